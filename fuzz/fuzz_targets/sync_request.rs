//! The sync request decoder: a request body as the server reads it (CBOR, then each
//! document's Automerge sync message, then each change chunk, strictly). No input panics.

#![no_main]

use automerge::sync::Message;
use cartable_domain::protocol::{self, SyncRequest};
use cartable_reconcile::validate::Limits;
use cartable_reconcile::validate::chunks::{Budget, read_changes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(request) = protocol::decode::<SyncRequest>(body) else {
        // The bytes as one sync message, then as one change chunk.
        if let Ok(message) = Message::decode(body) {
            let _ = read_changes(&message);
        }
        let _ = cartable_reconcile::validate::chunks::read_change(body);
        return;
    };
    let mut budget = Budget::new(Limits::default());
    for doc in request.docs {
        let Some(bytes) = doc.message else { continue };
        let Ok(message) = Message::decode(&bytes) else {
            continue;
        };
        if let Ok(changes) = read_changes(&message) {
            let _ = budget.spend(&changes);
        }
    }
});
