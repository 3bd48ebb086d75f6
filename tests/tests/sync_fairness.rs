//! One family's largest allowed request does not stall the others: while a phone (long
//! offline, buggy or hostile) sends as many changes as one request may carry, another
//! family's phone keeps booking and syncing. (Two families wanting the same place are
//! decided one after the other, by design: the other family books a day the large request
//! does not touch.)
//!
//! The test measures the other family's sync latency during the large request and compares
//! it with the large request's own duration, so it does not depend on how fast the machine
//! is: a server that made every other family wait for the large request would show a sync
//! as long as the large request itself.

use cartable_domain::DocKind;
use cartable_tests::family::{PASSWORD, signed_in};
use cartable_tests::raw::{RawPeer, next, write_request};
use cartable_tests::{Device, TestServer, backends};
use jiff::civil::Weekday;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One sync of the other family's phone: when it started and ended.
struct Timed {
    start: Instant,
    end: Instant,
}

impl Timed {
    fn took(&self) -> Duration {
        self.end - self.start
    }
}

#[test]
fn a_family_sending_the_largest_request_does_not_stall_another_familys_syncs() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| {
            // Room for the largest request the limits allow (not the tests' small body).
            s.max_sync_body_bytes = 8 * 1024 * 1024;
        });
        let seed = server.seed(2);
        let (large, other) = (&seed.families[0], &seed.families[1]);
        let changes = server.state.settings.limits().max_changes_per_request;

        // The large request: one booking request per change, for both children, day after
        // day from the third week on (most of them past the school year: decided and refused
        // all the same).
        let mut peer = RawPeer::login(&server.url, &large.parents[0].login, PASSWORD);
        peer.sync();
        let mut day = next(Weekday::Monday)
            .checked_add(jiff::Span::new().days(14))
            .expect("a date");
        let mut written = 0;
        'write: loop {
            for (child, _) in &large.children {
                if written == changes {
                    break 'write;
                }
                write_request(&mut peer, child, day, "cantine", true);
                peer.doc(DocKind::Planning).commit();
                written += 1;
            }
            day = day.tomorrow().expect("next day");
        }

        let phone = signed_in(&server, other, 0, &Device::new());
        let child = other.children[0].0.clone();
        let booked = next(Weekday::Tuesday);
        let done = AtomicBool::new(false);
        let (window, status, timings) = std::thread::scope(|s| {
            let syncing = s.spawn(|| {
                let mut timings = Vec::new();
                let mut wanted = true;
                while !done.load(Ordering::SeqCst) {
                    if wanted {
                        phone.book(&child, booked, "cantine").expect("book");
                    } else {
                        phone.cancel(&child, booked, "cantine").expect("cancel");
                    }
                    wanted = !wanted;
                    let start = Instant::now();
                    phone.sync().expect("the other family's sync");
                    timings.push(Timed {
                        start,
                        end: Instant::now(),
                    });
                }
                timings
            });
            // Let the other phone reach its pace first.
            std::thread::sleep(Duration::from_millis(300));
            let start = Instant::now();
            let (status, body) = peer.send_unsynced(DocKind::Planning);
            let end = Instant::now();
            done.store(true, Ordering::SeqCst);
            let timings = syncing.join().expect("the other phone's thread");
            assert!(
                status == 200,
                "the large request was refused: {status} {}",
                String::from_utf8_lossy(&body)
            );
            (Timed { start, end }, status, timings)
        });
        assert_eq!(status, 200);

        // The other family's syncs that overlapped the large request.
        let during: Vec<&Timed> = timings
            .iter()
            .filter(|t| t.end > window.start && t.start < window.end)
            .collect();
        let worst = during.iter().map(|t| t.took()).max().unwrap_or_default();
        let mut sorted: Vec<Duration> = during.iter().map(|t| t.took()).collect();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        eprintln!(
            "{backend:?}: {changes} changes in {:?}; the other family's syncs during it: {} \
             (median {median:?}, worst {worst:?})",
            window.took(),
            during.len(),
        );
        assert!(
            during.len() >= 4,
            "the other family's phone synced only {} times during the {:?} of the large request",
            during.len(),
            window.took()
        );
        assert!(
            worst * 3 < window.took(),
            "one of the other family's syncs took {worst:?}, a third or more of the large \
             request's {:?}",
            window.took()
        );
    }
}
