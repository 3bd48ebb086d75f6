//! A phone with nothing new is answered from the reply the server remembered for its
//! documents, without loading them: the same bytes Automerge gave the last time, until the
//! document changes (here, or through another server process on PostgreSQL).

use cartable_domain::DocKind;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::DocumentId;
use cartable_domain::planning::Outcome;
use cartable_domain::protocol::SyncResponse;
use cartable_tests::raw::{RawPeer, decision, next, write_request};
use cartable_tests::{Backend, TestServer, backends};
use jiff::civil::Weekday;

const PASSWORD: &str = "mot-de-passe-test";

/// The replies of a sync of one round, by document.
fn replies(responses: &[SyncResponse]) -> Vec<(String, Option<Vec<u8>>)> {
    assert_eq!(responses.len(), 1, "an up-to-date sync takes one round");
    responses[0]
        .docs
        .iter()
        .map(|d| (d.doc_id.as_str().to_string(), d.message.clone()))
        .collect()
}

#[test]
fn an_up_to_date_phone_is_answered_without_loading_its_documents_until_they_change() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        // No document stays in memory once let go: each one a sync needs is loaded again.
        let mut server = TestServer::start_with(backend, |s| s.doc_cache_bytes = 0);
        let seed = server.seed(1);
        let family = &seed.families[0];
        let mut phone = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        phone.sync();
        let child = &family.children[0].0;
        let key = write_request(&mut phone, child, next(Weekday::Monday), "cantine", true);
        phone.sync();
        assert_eq!(
            decision(&mut phone, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );

        // An up-to-date sync: Automerge computes the reply, the device's sync state is
        // persisted at the heads it named, and the reply is remembered with both. From then
        // on the device's message and its persisted state are the same at every sync.
        phone.sync();
        let loads = server.state.docs.loads();
        let remembered = replies(&phone.sync());
        assert_eq!(server.state.docs.loads(), loads, "no document loaded");
        assert_eq!(remembered.len(), 4, "dossier, planning, ledger, catalogue");
        assert!(remembered.iter().all(|(_, m)| m.is_some()));

        // After a restart nothing is remembered: Automerge answers from the loaded
        // documents, with the same bytes.
        server.restart();
        let loads = server.state.docs.loads();
        let computed = replies(&phone.sync());
        assert!(
            server.state.docs.loads() >= loads + 4,
            "the documents were loaded"
        );
        assert_eq!(computed, remembered);
        let loads = server.state.docs.loads();
        assert_eq!(replies(&phone.sync()), computed);
        assert_eq!(server.state.docs.loads(), loads, "no document loaded");

        // Bookings decide with the family's dossier.
        let thursday = write_request(&mut phone, child, next(Weekday::Thursday), "cantine", true);
        phone.sync();
        assert_eq!(
            decision(&mut phone, &thursday).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );

        // The other parent books; the planning changed, so the first phone's next sync
        // brings the booking and its decision.
        let mut other = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        other.sync();
        let tuesday = write_request(&mut other, child, next(Weekday::Tuesday), "cantine", true);
        other.sync();
        phone.sync();
        assert_eq!(
            decision(&mut phone, &tuesday).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
        assert_eq!(
            phone.doc(DocKind::Planning).get_heads(),
            other.doc(DocKind::Planning).get_heads()
        );

        if backend == Backend::Postgres {
            let other_login = &family.parents[1].login;
            a_change_through_another_process_is_not_hidden(&server, &mut phone, other_login, child);
        }
    }
}

/// On PostgreSQL, a reply remembered by one process is not given once another process
/// changed the document.
fn a_change_through_another_process_is_not_hidden(
    server: &TestServer,
    phone: &mut RawPeer,
    other_login: &str,
    child: &str,
) {
    // The first process remembers the phone's up-to-date reply.
    phone.sync();
    let loads = server.state.docs.loads();
    phone.sync();
    assert_eq!(server.state.docs.loads(), loads, "answered from memory");

    // The other parent books through a second process.
    let second = server.another_process();
    let mut through_second = RawPeer::login(&second.url, other_login, PASSWORD);
    through_second.sync();
    let key = write_request(
        &mut through_second,
        child,
        next(Weekday::Monday)
            .checked_add(jiff::Span::new().days(7))
            .expect("a date"),
        "cantine",
        true,
    );
    through_second.sync();
    assert_eq!(
        decision(&mut through_second, &key).map(|d| d.outcome),
        Some(Outcome::Accepted)
    );

    phone.sync();
    assert_eq!(
        decision(phone, &key).map(|d| d.outcome),
        Some(Outcome::Accepted),
        "the first process's remembered reply was not given"
    );
}

#[test]
fn the_rules_read_a_dossier_at_its_version_without_loading_its_document_again() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| s.doc_cache_bytes = 0);
        let seed = server.seed(1);
        let mut phone = RawPeer::login(&server.url, &seed.families[0].parents[0].login, PASSWORD);
        phone.sync();
        let dossier = DocumentId::new(phone.doc_id(DocKind::Dossier));
        let planning = DocumentId::new(phone.doc_id(DocKind::Planning));
        let version = server.count(
            "SELECT version FROM documents WHERE id = $1",
            dossier.as_str(),
        );
        let docs = &server.state.docs;
        let read = || {
            server
                .block_on(docs.read_shared::<Dossier>(&dossier, Some(version)))
                .expect("the dossier")
        };
        let first = read();
        assert_eq!(first.children.len(), 2);
        // Letting go of another document evicts the idle dossier (no memory budget).
        server.block_on(async { drop(docs.lock(&planning).await) });
        assert!(!docs.in_memory(&dossier));

        let loads = docs.loads();
        let again = read();
        assert_eq!(docs.loads(), loads, "read without loading the document");
        assert!(std::sync::Arc::ptr_eq(&first, &again));

        // Another version is read from the document.
        let newer = server
            .block_on(docs.read_shared::<Dossier>(&dossier, Some(version + 1)))
            .expect("the dossier");
        assert_eq!(docs.loads(), loads + 1);
        assert_eq!(*newer, *first);
    }
}
