//! A booking made on a phone comes back decided in the round trip that carries it, every time:
//! the server's reply holds its decision even when the phone's bloom filter wrongly claims to
//! have it (Automerge's filters do so for about one change in a hundred).

use cartable_domain::planning::RequestState;
use cartable_tests::family::{request_state, signed_in};
use cartable_tests::raw::next;
use cartable_tests::{Device, on_each_backend};
use jiff::civil::Weekday;

/// Edits synced one by one: without the completed replies, about three of them would need a
/// second round trip on each backend.
const EDITS: usize = 300;

#[test]
fn every_booking_comes_back_decided_in_one_round_trip() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        // A few cells booked and cancelled in turn: every edit is decided by the server, and
        // the test needs no more school days than the year has left.
        let mut cells = Vec::new();
        for day in [next(Weekday::Monday), next(Weekday::Tuesday)] {
            for (child, _) in &family.children {
                for activity in ["cantine", "garderie-soir"] {
                    cells.push((child.as_str(), day, activity));
                }
            }
        }
        for edit in 0..EDITS {
            let (child, day, activity) = cells[edit % cells.len()];
            let state = || request_state(&client, child, day, activity);
            let booking = state() != Some(RequestState::Accepted);
            if booking {
                client.book(child, day, activity).expect("book");
            } else {
                client.cancel(child, day, activity).expect("cancel");
            }
            let report = client.sync().expect("sync");
            assert_eq!(report.rounds, 1, "edit {edit} ({day}, {activity})");
            if booking {
                assert!(
                    matches!(
                        state(),
                        Some(RequestState::Accepted | RequestState::Refused { .. })
                    ),
                    "edit {edit} ({day}, {activity}) decided: {:?}",
                    state()
                );
            }
        }
    });
}
