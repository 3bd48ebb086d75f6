//! Many families syncing a booking at once: only `sync_writers` of those syncs hold their
//! planning in memory at a time (`docs::writers`); the others wait their turn with nothing
//! loaded, and every booking is still decided and acknowledged.

use cartable_domain::planning::Outcome;
use cartable_tests::raw::{RawPeer, decision, next, write_request};
use cartable_tests::{TestServer, backends};
use jiff::civil::Weekday;
use std::sync::{Arc, Barrier};

const PASSWORD: &str = "mot-de-passe-test";
const FAMILIES: usize = 12;
const WRITERS: usize = 2;

#[test]
fn syncs_booking_at_once_hold_at_most_their_turns_of_documents() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| s.sync_writers = WRITERS);
        let seed = server.seed(FAMILIES);
        let day = next(Weekday::Monday);
        let phones: Vec<(RawPeer, String)> = seed
            .families
            .iter()
            .map(|family| {
                let mut phone = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
                phone.sync();
                (phone, family.children[0].0.clone())
            })
            .collect();
        let before = server.state.docs.writes().peak();
        assert!(before <= WRITERS, "one family at a time so far: {before}");

        let start = Arc::new(Barrier::new(FAMILIES));
        let booked: Vec<Option<Outcome>> = std::thread::scope(|scope| {
            let handles: Vec<_> = phones
                .into_iter()
                .map(|(mut phone, child)| {
                    let start = start.clone();
                    scope.spawn(move || {
                        let key = write_request(&mut phone, &child, day, "cantine", true);
                        start.wait();
                        phone.sync();
                        decision(&mut phone, &key).map(|d| d.outcome)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a phone's thread"))
                .collect()
        });
        assert_eq!(booked, vec![Some(Outcome::Accepted); FAMILIES]);

        let writes = server.state.docs.writes();
        assert_eq!(writes.now(), 0, "every write let go of its document");
        assert!(
            writes.peak() <= WRITERS,
            "{} writes held a document at once, for {WRITERS} turns",
            writes.peak()
        );
        assert_eq!(server.state.sync_writers.available(), WRITERS);
    }
}
