//! A booking made on a phone comes back decided in the round trip that carries it, every time:
//! the server's reply holds its decision even when the phone's bloom filter wrongly claims to
//! have it (Automerge's filters do so for about one change in a hundred).

use cartable_domain::planning::RequestState;
use cartable_tests::family::signed_in;
use cartable_tests::raw::next;
use cartable_tests::{Device, on_each_backend};
use jiff::ToSpan;
use jiff::civil::Weekday;

/// Bookings synced one by one: without the completed replies, about three of them would need
/// a second round trip on each backend.
const BOOKINGS: usize = 300;

#[test]
fn every_booking_comes_back_decided_in_one_round_trip() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let mut day = next(Weekday::Monday);
        let last_day = day.saturating_add(300.days());
        let mut synced = 0;
        while synced < BOOKINGS && day < last_day {
            for (child, _) in &family.children {
                for activity in ["cantine", "garderie-soir"] {
                    // Days the phone itself knows are closed are refused before any sync.
                    if client.book(child, day, activity).is_err() {
                        continue;
                    }
                    let report = client.sync().expect("sync");
                    assert_eq!(report.rounds, 1, "booking {synced} ({day}, {activity})");
                    let state = client
                        .planning(None)
                        .expect("planning")
                        .into_iter()
                        .find(|e| {
                            e.child_id == *child && e.date == day && e.activity_id == activity
                        })
                        .map(|e| e.state);
                    assert!(
                        matches!(
                            state,
                            Some(RequestState::Accepted | RequestState::Refused { .. })
                        ),
                        "booking {synced} ({day}, {activity}) decided: {state:?}"
                    );
                    synced += 1;
                }
            }
            day = day.tomorrow().expect("a day inside the calendar");
        }
        assert!(
            synced >= BOOKINGS,
            "{synced} bookable cells until {last_day}"
        );
    });
}
