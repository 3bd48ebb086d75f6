//! Phones whose clocks say 1970, 2099, two hours behind or two hours ahead: what they show
//! (deadlines, locked cells) and what they write (a booking, a submission's time) follow the
//! server's clock, as do the decisions and the expiry of their session.

use cartable_core::domain::cells::CellState;
use cartable_core::domain::dossier::Dossier;
use cartable_core::{Client, HttpTransport, ManualClock};
use cartable_tests::family::{PASSWORD, paris, staff_token};
use cartable_tests::{Device, TestServer, backends, staff};
use jiff::civil::date;
use serde_json::json;
use std::sync::Arc;

const HOUR_MS: i64 = 3_600_000;

#[test]
fn deadlines_decisions_and_session_expiry_follow_the_server_whatever_the_phone_clock() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| {
            s.family_session_idle_secs = 24 * 3600;
            s.family_session_max_secs = 30 * 24 * 3600;
        });
        let monday = date(2026, 11, 30);
        let (tuesday, wednesday) = (date(2026, 12, 1), date(2026, 12, 2));
        let now = paris(monday, 14, 0);
        server.clock.set(now);
        let seed = server.seed(1);
        let token = staff_token(&server, &seed);
        let (status, body) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/activities/cantine",
            Some(&token),
            Some(&json!({
                "name": "Restauration scolaire", "kind": "canteen",
                "weekdays": [1, 2, 3, 4, 5], "start_time": "11:30",
                "booking_rules": [{"kind": "days_before", "days": 1, "at": "15:00"}],
            })),
        );
        assert_eq!(status, 200, "{body}");
        let family = &seed.families[0];
        let lea = family
            .children
            .iter()
            .find(|(_, n)| n == "Léa")
            .map(|(id, _)| id.clone())
            .expect("Léa");
        let clocks = [
            ("1970", 0),
            ("2099", paris(date(2099, 6, 1), 8, 0).as_millisecond()),
            ("2 h behind", now.as_millisecond() - 2 * HOUR_MS),
            ("2 h ahead", now.as_millisecond() + 2 * HOUR_MS),
        ];
        let devices: Vec<Device> = clocks.iter().map(|_| Device::new()).collect();
        let mut phones = Vec::new();
        for ((name, at_ms), device) in clocks.iter().zip(&devices) {
            server.clock.set(now);
            let clock = Arc::new(ManualClock::new(*at_ms));
            let phone = Client::open_with(device.dir.path(), Arc::new(HttpTransport::new()), clock)
                .expect("open");
            phone
                .login(&server.url, &family.parents[0].login, PASSWORD, name)
                .unwrap_or_else(|e| panic!("{name}: login: {e}"));
            phone.sync().unwrap_or_else(|e| panic!("{name}: sync: {e}"));
            assert_eq!(
                phone.status().expect("status").server_clock_offset_ms,
                now.as_millisecond() - at_ms,
                "{name}"
            );
            // Monday 14:00 at the server: Tuesday's deadline (Monday 15:00) is an hour away.
            let week = phone.planning_week(monday).expect("week");
            assert_eq!(week.server_now, now, "{name}");
            let cell = week.cell(&lea, tuesday, "cantine").expect("Tuesday");
            assert_eq!(cell.view.state, CellState::Free, "{name}");
            assert_eq!(
                cell.view.booking_deadline,
                Some(paris(monday, 15, 0)),
                "{name}"
            );
            phones.push((name, phone));
        }

        // Each phone books (one after the other: the last word is the last phone's); the
        // server decides with its own time.
        for (name, phone) in &phones {
            phone
                .book(&lea, tuesday, "cantine")
                .unwrap_or_else(|e| panic!("{name}: book: {e}"));
            phone.sync().unwrap_or_else(|e| panic!("{name}: sync: {e}"));
            let cell = phone
                .planning_week(monday)
                .expect("week")
                .cell(&lea, tuesday, "cantine")
                .map(|c| c.view.state.clone())
                .expect("cell");
            assert!(
                cell == CellState::Accepted,
                "{name}: accepted by the server, not judged by the phone's clock: {cell:?}"
            );
        }

        // A submission is stamped with the server's time as the phone estimates it.
        let (name, first) = &phones[0];
        first.submit_dossier().expect("submit");
        first.sync().expect("sync");
        let dossier: Dossier = first.dossier().expect("dossier");
        let at = dossier.submission.expect("submitted").at_ms;
        assert!(
            (at - now.as_millisecond()).abs() < HOUR_MS,
            "{name}: submission stamped {at}, the server says {}",
            now.as_millisecond()
        );

        // At 15:30 by the server, Wednesday is still open and Tuesday locked, on every phone,
        // once it synced (offline too: the offset holds).
        server.clock.set(paris(monday, 15, 30));
        for (name, phone) in &phones {
            phone.sync().unwrap_or_else(|e| panic!("{name}: sync: {e}"));
            let week = phone.planning_week(monday).expect("week");
            let wed = week.cell(&lea, wednesday, "cantine").expect("Wednesday");
            assert_eq!(wed.view.state, CellState::Free, "{name}");
            assert!(wed.can_book, "{name}");
        }

        // Sessions expire by the server's clock: a day idle later, every phone is signed
        // out, the one whose clock says 1970 included, and none earlier.
        server
            .clock
            .set(paris(monday, 15, 30) + jiff::SignedDuration::from_hours(23));
        for (name, phone) in &phones {
            phone
                .sync()
                .unwrap_or_else(|e| panic!("{name}: still signed in: {e}"));
        }
        server.clock.set(
            paris(monday, 15, 30)
                + jiff::SignedDuration::from_hours(23)
                + jiff::SignedDuration::from_hours(25),
        );
        for (name, phone) in &phones {
            let err = phone.sync().expect_err(name);
            assert!(
                matches!(
                    err,
                    cartable_core::Error::Server { status: 401, .. }
                        | cartable_core::Error::NotLoggedIn
                ),
                "{name}: {err:?}"
            );
        }
    }
}
