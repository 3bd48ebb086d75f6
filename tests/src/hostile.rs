//! Helpers of the hostile-peer scenarios: what the server holds of a document, in storage and
//! in memory, to prove that refused changes left nothing behind.

use crate::TestServer;
use automerge::{AutoCommit, ChangeHash};
use cartable_domain::api::ErrorCode;
use cartable_domain::ids::DocumentId;

/// The document `doc_id` as stored (every chunk loaded), independent of the server's cache.
pub fn stored(server: &TestServer, doc_id: &str) -> AutoCommit {
    server.block_on(async {
        let mut conn = server.state.db.pool.acquire().await.expect("connection");
        let stored =
            cartable_server::db::documents::load_stored(&mut conn, &DocumentId::new(doc_id))
                .await
                .expect("document bytes");
        AutoCommit::load(&stored.bytes).expect("stored document loads")
    })
}

/// The storage version of `doc_id` (one more per write).
pub fn version(server: &TestServer, doc_id: &str) -> i64 {
    server.block_on(async {
        let mut conn = server.state.db.pool.acquire().await.expect("connection");
        cartable_server::db::documents::version(&mut conn, &DocumentId::new(doc_id))
            .await
            .expect("version")
            .expect("document exists")
    })
}

/// True when the server holds change `hash` of `doc_id`, in storage or in its loaded copy.
pub fn holds(server: &TestServer, doc_id: &str, hash: &ChangeHash) -> bool {
    let in_storage = stored(server, doc_id)
        .get_change_meta_by_hash(hash)
        .is_some();
    let in_memory = server.block_on(async {
        let mut slot = server.state.docs.lock(&DocumentId::new(doc_id)).await;
        slot.loaded
            .as_mut()
            .is_some_and(|l| l.doc.get_change_meta_by_hash(hash).is_some())
    });
    in_storage || in_memory
}

/// Asserts an error answer: its status, code, and that it names document `doc_id`.
pub fn assert_refused(answer: &(u16, Vec<u8>), status: u16, code: ErrorCode, doc_id: &str) {
    let (got, body) = answer;
    let error = crate::raw::error_of(body);
    assert_eq!(
        (*got, error.code),
        (status, code),
        "{}",
        String::from_utf8_lossy(body)
    );
    assert!(!error.message.is_empty());
    assert_eq!(
        error.doc_id.as_ref().map(|d| d.as_str()),
        Some(doc_id),
        "the refusal names the document"
    );
}
