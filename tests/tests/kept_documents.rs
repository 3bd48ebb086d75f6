//! What a server keeps in memory of a family's documents after its syncs: repacked copies
//! (`docs::repack`) of what storage holds, the planning's booking included.

use cartable_domain::DocKind;
use cartable_domain::ids::DocumentId;
use cartable_domain::planning::Outcome;
use cartable_tests::on_each_backend;
use cartable_tests::raw::{RawPeer, decision, next, write_request};
use jiff::civil::Weekday;

const PASSWORD: &str = "mot-de-passe-test";

#[test]
fn a_familys_documents_are_kept_repacked_after_a_booking_sync() {
    on_each_backend(|server| {
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

        server.block_on(async {
            for kind in [DocKind::Planning, DocKind::Dossier] {
                let slot = server
                    .state
                    .docs
                    .lock(&DocumentId::new(phone.doc_id(kind)))
                    .await;
                let loaded = slot
                    .loaded
                    .as_deref()
                    .unwrap_or_else(|| panic!("the {kind:?} is kept in memory"));
                assert!(
                    !loaded.needs_repack(),
                    "the {kind:?} was repacked when its sync let go of it"
                );
                assert!(loaded.repacked);
            }
        });
        // The planning holds the booking and its decision, in storage as in memory.
        let planning = phone.doc_id(DocKind::Planning);
        let mut stored = cartable_tests::hostile::stored(server, &planning);
        let kept = server.block_on(async {
            let slot = server.state.docs.lock(&DocumentId::new(&planning)).await;
            slot.loaded.as_deref().map(|l| l.doc.clone())
        });
        let mut kept = kept.expect("the planning is kept in memory");
        assert_eq!(kept.get_heads(), stored.get_heads());
    });
}
