//! Place counters: whoever decides (sync, re-decision after a review, staff override,
//! closure), the counters equal a recount from the projection rebuilt from the documents;
//! families booking the same days in opposite orders never deadlock.

use cartable_tests::family::{paris, signed_in, staff_token};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// Every non-zero counter: (activity, day) → places taken.
fn counters(server: &TestServer) -> BTreeMap<(String, String), i64> {
    server.block_on(async {
        sqlx::query("SELECT activity_id, day, taken FROM activity_places WHERE taken <> 0")
            .fetch_all(&server.state.db.pool)
            .await
            .expect("counters")
            .iter()
            .map(|r| {
                (
                    (r.get::<String, _>("activity_id"), r.get::<String, _>("day")),
                    r.get::<i64, _>("taken"),
                )
            })
            .collect()
    })
}

fn send(server: &TestServer, token: &str, method: &str, path: &str, body: serde_json::Value) {
    let (status, answer) = staff::send(&server.url, method, path, Some(token), Some(&body));
    assert_eq!(status, 200, "{method} {path}: {answer}");
}

#[test]
fn counters_moved_by_sync_review_override_and_closure_equal_a_rebuild() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 23), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        send(
            server,
            &token,
            "PUT",
            "/api/v1/staff/catalogue/activities/mercredi",
            json!({"name": "Mercredi", "kind": "wednesday_centre", "weekdays": [3],
                   "capacity": 10, "requires_approved_dossier": true}),
        );
        let (ours, theirs) = (&seed.families[0], &seed.families[1]);
        let phones = [Device::new(), Device::new()];
        let a = signed_in(server, ours, 0, &phones[0]);
        let b = signed_in(server, theirs, 0, &phones[1]);
        let (lea, hugo) = (&ours.children[0].0, &ours.children[1].0);
        let days = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3)];
        // Through sync: bookings, and a withdrawal.
        for day in days {
            a.book(lea, day, "cantine").expect("book");
            b.book(&theirs.children[0].0, day, "cantine").expect("book");
        }
        a.book(hugo, days[0], "cantine").expect("book");
        a.sync().expect("sync");
        b.sync().expect("sync");
        a.cancel(hugo, days[0], "cantine").expect("cancel");
        // Refused for the dossier, then accepted when staff approve it.
        a.book(lea, date(2026, 12, 2), "mercredi").expect("book");
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");
        send(
            server,
            &token,
            "POST",
            &format!("/api/v1/staff/dossiers/{}/approve", ours.family_id),
            json!({}),
        );
        // A withdrawal turned back into a booking by staff.
        send(
            server,
            &token,
            "POST",
            "/api/v1/staff/decisions",
            json!({"family_id": ours.family_id, "child_id": hugo, "date": days[0],
                   "activity_id": "cantine", "outcome": "accepted",
                   "reason": "Inscription maintenue"}),
        );
        // A closure over one of the days.
        send(
            server,
            &token,
            "PUT",
            "/api/v1/staff/catalogue/closures",
            json!([{"from": "2026-12-03", "to": "2026-12-03", "label": "Sortie scolaire"}]),
        );
        a.sync().expect("sync");
        let live = counters(server);
        let day = |d: Date| ("cantine".to_string(), d.to_string());
        assert_eq!(live.get(&day(days[0])), Some(&3), "{live:?}");
        assert_eq!(live.get(&day(days[1])), Some(&2), "{live:?}");
        assert_eq!(live.get(&day(days[2])), None, "{live:?}");
        assert_eq!(
            live.get(&("mercredi".to_string(), "2026-12-02".to_string())),
            Some(&1),
            "{live:?}"
        );
        server
            .block_on(cartable_server::admin::rebuild_projections(&server.state))
            .expect("rebuild");
        assert_eq!(counters(server), live);
    });
}

#[test]
fn families_booking_the_same_days_in_opposite_orders_never_deadlock() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 2), 9, 0));
        let seed = server.seed(2);
        let phones = [Device::new(), Device::new()];
        let clients = [
            signed_in(server, &seed.families[0], 0, &phones[0]),
            signed_in(server, &seed.families[1], 0, &phones[1]),
        ];
        // Each family's cells are decided in key order (child, then day): with the children
        // sorted by id, family 0 books the later day for its first child and family 1 the
        // earlier one, so their cells name the two days in opposite orders.
        let sorted = |f: usize| {
            let mut ids: Vec<String> = seed.families[f]
                .children
                .iter()
                .map(|(id, _)| id.clone())
                .collect();
            ids.sort();
            ids
        };
        let children = [sorted(0), sorted(1)];
        // Two consecutive days both activities run: Monday and Tuesday, Thursday and Friday
        // (no evening care on Wednesdays), six school weeks.
        let monday = date(2026, 11, 9);
        let pairs = (0..6).flat_map(|week| {
            let m = monday
                .checked_add(jiff::Span::new().days(7 * week))
                .expect("day");
            let next = |d: Date, n: i64| d.checked_add(jiff::Span::new().days(n)).expect("day");
            [(m, next(m, 1)), (next(m, 3), next(m, 4))]
        });
        for (first, second) in pairs {
            let orders = [[second, first], [first, second]];
            for (f, client) in clients.iter().enumerate() {
                for (child, d) in children[f].iter().zip(orders[f]) {
                    client.book(child, d, "garderie-soir").expect("book");
                    client.book(child, d, "cantine").expect("book");
                }
            }
            let barrier = std::sync::Barrier::new(2);
            std::thread::scope(|s| {
                for client in &clients {
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        client.sync().expect("sync without a deadlock error");
                    });
                }
            });
        }
        for client in &clients {
            client.sync().expect("sync");
            let entries = client.planning(None).expect("planning");
            assert!(
                entries
                    .iter()
                    .all(|e| !matches!(e.state, cartable_domain::planning::RequestState::Pending)),
                "every booking decided"
            );
        }
    });
}
