//! What the phone already knows, it says before syncing: a booking the server is certain to
//! refuse (passed deadline, closure, public holiday, weekday without service, child not
//! eligible) is refused on the phone with the very cause and words the server gives the same
//! cell when the parent insists; a weekly pattern skips those days and reports them.

use cartable_core::{ActivityDays, BulkBooking, Client, Error};
use cartable_domain::planning::RequestState;
use cartable_domain::refusal::RefusalCause;
use cartable_tests::family::{paris, request_state, signed_in, staff_token};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::{Value, json};

fn send(server: &TestServer, token: &str, method: &str, path: &str, body: Value) {
    let (status, answer) = staff::send(&server.url, method, path, Some(token), Some(&body));
    assert_eq!(status, 200, "{method} {path}: {answer}");
}

fn state_on(client: &Client, child: &str, day: Date, activity: &str) -> RequestState {
    request_state(client, child, day, activity).expect("a request that day")
}

#[test]
fn a_refusal_on_the_phone_has_the_servers_cause_and_words() {
    on_each_backend(|server| {
        // Monday 30 November 2026, 10:00 in Paris.
        server.clock.set(paris(date(2026, 11, 30), 10, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        send(
            server,
            &token,
            "PUT",
            "/api/v1/staff/catalogue/activities/cantine",
            json!({
                "name": "Restauration scolaire",
                "kind": "canteen",
                "weekdays": [1, 2, 4, 5],
                "start_time": "11:30",
                "booking_rules": [{"kind": "days_before", "days": 1, "at": "15:00"}],
                "cancel_rules": [],
            }),
        );
        send(
            server,
            &token,
            "PUT",
            "/api/v1/staff/catalogue/activities/ados",
            json!({
                "name": "Accueil des ados",
                "kind": "wednesday_centre",
                "weekdays": [3],
                "eligibility": {"min_age_years": 12},
            }),
        );
        send(
            server,
            &token,
            "PUT",
            "/api/v1/staff/catalogue/closures",
            json!([{"from": "2026-12-10", "to": "2026-12-10", "label": "Grève des agents"}]),
        );
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let child = &family.children[0].0;

        let cases = [
            (date(2026, 11, 30), "cantine", RefusalCause::Deadline),
            (date(2026, 12, 10), "cantine", RefusalCause::Closure),
            (date(2026, 12, 25), "cantine", RefusalCause::PublicHoliday),
            (date(2026, 12, 9), "ados", RefusalCause::NotEligible),
        ];
        let mut offline = Vec::new();
        for (day, activity, expected) in cases {
            match client.book(child, day, activity) {
                Err(Error::WouldBeRefused { cause, reason }) => {
                    assert_eq!(cause, expected, "{day} {activity}: {reason}");
                    offline.push(reason);
                }
                other => panic!("{day} {activity}: refusal on the phone expected, got {other:?}"),
            }
        }
        assert_eq!(client.status().expect("status").pending_changes, 0);
        match client.book(child, date(2026, 12, 2), "cantine") {
            Err(Error::WouldBeRefused { cause, reason }) => {
                assert_eq!(cause, RefusalCause::NotRunning);
                assert_eq!(reason, "Pas d'accueil le mercredi");
            }
            other => panic!("no canteen on Wednesdays, got {other:?}"),
        }

        // The parent insists: the server refuses each cell with the same words.
        for (day, activity, _) in cases {
            client
                .book_insisting(child, day, activity)
                .expect("insisting writes the request");
        }
        client
            .book(child, date(2026, 12, 1), "cantine")
            .expect("on time");
        client.sync().expect("sync");
        for ((day, activity, _), reason) in cases.iter().zip(&offline) {
            assert_eq!(
                state_on(&client, child, *day, activity),
                RequestState::Refused {
                    reason: reason.clone()
                },
                "{day} {activity}"
            );
        }
        assert_eq!(
            state_on(&client, child, date(2026, 12, 1), "cantine"),
            RequestState::Accepted
        );

        // A weekly pattern over the strike's week skips it, with the server's words; the
        // other days are written and accepted.
        let report = client
            .book_pattern(BulkBooking {
                children: vec![child.clone()],
                from: date(2026, 12, 7),
                to: date(2026, 12, 11),
                pattern: vec![ActivityDays::new("cantine", vec![1, 2, 3, 4, 5])],
            })
            .expect("bulk");
        assert_eq!(report.written, 3, "{report:?}");
        let skipped: Vec<(Date, Option<RefusalCause>, &str)> = report
            .skipped
            .iter()
            .map(|s| (s.date, s.cause, s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (
                    date(2026, 12, 9),
                    Some(RefusalCause::NotRunning),
                    "Pas d'accueil le mercredi"
                ),
                (
                    date(2026, 12, 10),
                    Some(RefusalCause::Closure),
                    offline[1].as_str()
                ),
            ]
        );
        client.sync().expect("sync");
        for day in [date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 11)] {
            assert_eq!(
                state_on(&client, child, day, "cantine"),
                RequestState::Accepted,
                "{day}"
            );
        }
    });
}
