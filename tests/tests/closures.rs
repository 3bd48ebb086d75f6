//! Closures decided like everything else: a closure added over booked days cancels those
//! bookings (by the structure, not billed, with its label, places released) and the parents
//! see it at their next sync; staff can count beforehand what a closure would cancel; a
//! closure removed re-books nobody.

use cartable_core::Client;
use cartable_domain::planning::RequestState;
use cartable_tests::family::{paris, signed_in, staff_token};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::{Value, json};
use sqlx::Row;

fn state_on(client: &Client, child: &str, day: Date) -> RequestState {
    client
        .planning(None)
        .expect("planning")
        .into_iter()
        .find(|e| e.date == day && e.child_id == child && e.activity_id == "cantine")
        .map(|e| e.state)
        .expect("a request that day")
}

fn taken(server: &TestServer, day: Date) -> i64 {
    server.block_on(async {
        sqlx::query(
            "SELECT CAST(COALESCE(SUM(taken), 0) AS BIGINT) AS n FROM activity_places \
             WHERE activity_id = 'cantine' AND day = $1",
        )
        .bind(day.to_string())
        .fetch_one(&server.state.db.pool)
        .await
        .expect("count")
        .get::<i64, _>("n")
    })
}

fn closures(server: &TestServer, token: &str, path: &str, method: &str, list: Value) -> Value {
    let (status, body) = staff::send(&server.url, method, path, Some(token), Some(&list));
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn a_closure_added_over_booked_days_cancels_them_and_a_removed_one_rebooks_nobody() {
    on_each_backend(|server| {
        // Monday 23 November 2026; the canteen runs Monday, Tuesday, Thursday, Friday.
        server.clock.set(paris(date(2026, 11, 23), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        let (strike, after) = (date(2026, 11, 30), date(2026, 12, 1));
        let (ours, theirs) = (&seed.families[0], &seed.families[1]);
        let phones = [Device::new(), Device::new()];
        let ours_client = signed_in(server, ours, 0, &phones[0]);
        let theirs_client = signed_in(server, theirs, 0, &phones[1]);
        let (lea, hugo) = (&ours.children[0].0, &ours.children[1].0);
        for (child, day) in [(lea, strike), (lea, after), (hugo, strike)] {
            ours_client.book(child, day, "cantine").expect("book");
        }
        theirs_client
            .book(&theirs.children[0].0, strike, "cantine")
            .expect("book");
        ours_client.sync().expect("sync");
        theirs_client.sync().expect("sync");
        assert_eq!(taken(server, strike), 3);

        let list = json!([{"from": "2026-11-30", "to": "2026-11-30", "label": "Grève des agents"}]);
        let preview = closures(
            server,
            &token,
            "/api/v1/staff/catalogue/closures/preview",
            "POST",
            list.clone(),
        );
        assert_eq!(preview["cancelled_bookings"], 3, "{preview}");
        assert_eq!(preview["families"], 2, "{preview}");
        assert_eq!(preview["closures"][0]["cancelled_bookings"], 3, "{preview}");
        assert_eq!(taken(server, strike), 3, "a preview changes nothing");

        closures(
            server,
            &token,
            "/api/v1/staff/catalogue/closures",
            "PUT",
            list,
        );
        assert_eq!(taken(server, strike), 0, "places released");
        assert_eq!(taken(server, after), 1);
        ours_client.sync().expect("sync");
        for child in [lea, hugo] {
            match state_on(&ours_client, child, strike) {
                RequestState::CancelledByStructure { reason } => {
                    assert!(reason.contains("Grève des agents"), "{reason}")
                }
                other => panic!("cancelled by the structure expected, got {other:?}"),
            }
        }
        assert_eq!(state_on(&ours_client, lea, after), RequestState::Accepted);
        let billed = server.count(
            "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1 AND holds_place = 1",
            &ours.family_id,
        );
        assert_eq!(
            billed, 1,
            "only the day after the strike is booked (and billed)"
        );

        // Nothing left to cancel; removing the closure re-books nobody.
        let again = closures(
            server,
            &token,
            "/api/v1/staff/catalogue/closures/preview",
            "POST",
            json!([{"from": "2026-11-30", "to": "2026-11-30", "label": "Grève des agents"}]),
        );
        assert_eq!(again["cancelled_bookings"], 0, "{again}");
        closures(
            server,
            &token,
            "/api/v1/staff/catalogue/closures",
            "PUT",
            json!([]),
        );
        ours_client.sync().expect("sync");
        assert!(matches!(
            state_on(&ours_client, lea, strike),
            RequestState::CancelledByStructure { .. }
        ));
        assert_eq!(taken(server, strike), 0);
        // The family may book the day again.
        ours_client.book(lea, strike, "cantine").expect("book");
        ours_client.sync().expect("sync");
        assert_eq!(state_on(&ours_client, lea, strike), RequestState::Accepted);
        assert_eq!(taken(server, strike), 1);
    });
}

#[test]
fn days_already_past_are_never_cancelled_by_a_closure() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 23), 9, 0));
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let child = &family.children[0].0;
        let (monday, tuesday) = (date(2026, 11, 23), date(2026, 11, 24));
        for day in [monday, tuesday] {
            client.book(child, day, "cantine").expect("book");
        }
        client.sync().expect("sync");
        // Tuesday: a closure of the whole week only cancels from today on.
        server.clock.set(paris(tuesday, 7, 0));
        // Staff sessions end after half an hour unused: sign in again.
        let token = staff_token(server, &seed);
        let list = json!([{"from": "2026-11-23", "to": "2026-11-27", "label": "Travaux"}]);
        let preview = closures(
            server,
            &token,
            "/api/v1/staff/catalogue/closures/preview",
            "POST",
            list.clone(),
        );
        assert_eq!(preview["cancelled_bookings"], 1, "{preview}");
        closures(
            server,
            &token,
            "/api/v1/staff/catalogue/closures",
            "PUT",
            list,
        );
        client.sync().expect("sync");
        assert_eq!(state_on(&client, child, monday), RequestState::Accepted);
        assert!(matches!(
            state_on(&client, child, tuesday),
            RequestState::CancelledByStructure { .. }
        ));
    });
}
