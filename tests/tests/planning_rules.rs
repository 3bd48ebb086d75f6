//! Booking rules decided by the server: deadlines by the server's clock, capacity in arrival
//! order (also across server processes), late withdrawals, staff configuration, lists and
//! overrides.

use cartable_domain::DocKind;
use cartable_domain::planning::{Outcome, RequestState};
use cartable_tests::raw::{
    RawPeer, absence_outcome, decision, write_absence, write_absence_with, write_request,
};
use cartable_tests::{Backend, Device, Seed, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::{Value, json};

const PASSWORD: &str = "mot-de-passe-test";

fn paris(d: Date, hour: i8, minute: i8) -> jiff::Timestamp {
    d.at(hour, minute, 0, 0)
        .in_tz("Europe/Paris")
        .expect("Paris time")
        .timestamp()
}

fn staff_token(server: &TestServer, seed: &Seed) -> String {
    staff::login(&server.url, &seed.staff.login, PASSWORD)
}

fn put_activity(server: &TestServer, token: &str, id: &str, activity: Value) -> (u16, Value) {
    staff::send(
        &server.url,
        "PUT",
        &format!("/api/v1/staff/catalogue/activities/{id}"),
        Some(token),
        Some(&activity),
    )
}

fn canteen(rules: Value, cancel_rules: Value, capacity: Option<u32>) -> Value {
    json!({
        "name": "Restauration scolaire",
        "kind": "canteen",
        "weekdays": [1, 2, 3, 4, 5],
        "start_time": "11:30",
        "capacity": capacity,
        "booking_rules": rules,
        "cancel_rules": cancel_rules,
    })
}

fn day_before_at_15() -> Value {
    json!([{"kind": "days_before", "days": 1, "at": "15:00"}])
}

#[test]
fn a_booking_made_offline_before_the_deadline_and_synced_after_it_is_refused_on_the_phone() {
    on_each_backend(|server| {
        let monday = date(2026, 11, 30);
        server.clock.set(paris(monday, 10, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let (status, body) = put_activity(
            server,
            &token,
            "cantine",
            canteen(day_before_at_15(), json!([]), None),
        );
        assert_eq!(status, 200, "{body}");

        let family = &seed.families[0];
        let phone = Device::new();
        let client = phone.open();
        client
            .login(&server.url, &family.parents[0].login, PASSWORD, "téléphone")
            .expect("login");
        client.sync().expect("sync");
        let tuesday = date(2026, 12, 1);
        let wednesday = date(2026, 12, 2);
        client
            .book(&family.children[0].0, tuesday, "cantine")
            .expect("book offline at 10:00");
        client
            .book(&family.children[0].0, wednesday, "cantine")
            .expect("book Wednesday too");

        // The phone stays offline past Monday 15:00, then syncs at 16:00.
        server.clock.set(paris(monday, 16, 0));
        client.sync().expect("sync after the deadline");
        let planning = client.planning(None).expect("planning");
        let state_of = |d: Date| {
            planning
                .iter()
                .find(|e| e.date == d)
                .map(|e| e.state.clone())
                .expect("entry")
        };
        match state_of(tuesday) {
            RequestState::Refused { reason } => {
                assert!(reason.contains("Date limite"), "{reason}");
                assert!(reason.contains("15:00"), "{reason}");
            }
            other => panic!("Tuesday should be refused, got {other:?}"),
        }
        assert_eq!(
            state_of(wednesday),
            RequestState::Accepted,
            "Wednesday's deadline is Tuesday 15:00"
        );
    });
}

fn race_once(server_a: &TestServer, server_b: &TestServer, seed: &Seed, day: Date) -> Vec<Outcome> {
    let mut peers: Vec<(RawPeer, String)> = seed
        .families
        .iter()
        .zip([server_a, server_b])
        .map(|(family, server)| {
            let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
            peer.sync();
            let key = write_request(&mut peer, &family.children[0].0, day, "mercredi", true);
            (peer, key)
        })
        .collect();
    let barrier = std::sync::Barrier::new(peers.len());
    std::thread::scope(|scope| {
        for (peer, _) in peers.iter_mut() {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                peer.sync();
            });
        }
    });
    peers
        .iter_mut()
        .map(|(peer, key)| {
            peer.sync();
            decision(peer, key).map(|d| d.outcome).expect("decided")
        })
        .collect()
}

#[test]
fn two_families_racing_for_the_last_place_get_exactly_one_acceptance() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 25), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        let centre = json!({
            "name": "Accueil de loisirs du mercredi",
            "kind": "wednesday_centre",
            "weekdays": [3],
            "capacity": 1,
        });
        let (status, body) = put_activity(server, &token, "mercredi", centre);
        assert_eq!(status, 200, "{body}");
        // On PostgreSQL the two families go through two server processes.
        let second = (server.backend == Backend::Postgres).then(|| server.another_process());
        let other = second.as_ref().unwrap_or(server);
        let wednesdays = [
            date(2026, 12, 2),
            date(2026, 12, 9),
            date(2026, 12, 16),
            date(2027, 1, 6),
            date(2027, 1, 13),
        ];
        for day in wednesdays {
            let outcomes = race_once(server, other, &seed, day);
            let accepted = outcomes.iter().filter(|o| **o == Outcome::Accepted).count();
            assert_eq!(accepted, 1, "{day}: {outcomes:?}");
            assert!(outcomes.contains(&Outcome::Refused), "{day}: {outcomes:?}");
        }
        let (status, counts) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/counts?from=2026-12-01&to=2027-01-31",
            Some(&token),
            None,
        );
        assert_eq!(status, 200);
        let counts = counts.as_array().expect("counts");
        assert_eq!(counts.len(), wednesdays.len());
        assert!(counts.iter().all(|c| c["count"] == 1), "{counts:?}");
    });
}

#[test]
fn a_withdrawal_after_the_cancellation_deadline_is_kept_and_billed() {
    on_each_backend(|server| {
        let monday = date(2026, 11, 30);
        server.clock.set(paris(date(2026, 11, 26), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        put_activity(
            server,
            &token,
            "cantine",
            canteen(json!([]), day_before_at_15(), None),
        );
        let family = &seed.families[0];
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        let child = &family.children[0].0;
        let key = write_request(&mut peer, child, date(2026, 12, 1), "cantine", true);
        let early = write_request(&mut peer, child, date(2026, 12, 3), "cantine", true);
        peer.sync();
        assert_eq!(
            decision(&mut peer, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );

        server.clock.set(paris(monday, 15, 30));
        write_request(&mut peer, child, date(2026, 12, 1), "cantine", false);
        write_request(&mut peer, child, date(2026, 12, 3), "cantine", false);
        peer.sync();
        let late = decision(&mut peer, &key).expect("decision");
        assert_eq!(late.outcome, Outcome::KeptBillable);
        assert!(late.reason.unwrap_or_default().contains("factur"));
        assert_eq!(
            decision(&mut peer, &early).map(|d| d.outcome),
            Some(Outcome::Cancelled)
        );
    });
}

#[test]
fn staff_see_who_is_expected_and_can_override_a_decision_with_a_reason() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 25), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        put_activity(
            server,
            &token,
            "cantine",
            canteen(json!([]), json!([]), Some(1)),
        );
        let day = date(2026, 12, 1);
        let mut peers: Vec<RawPeer> = seed
            .families
            .iter()
            .map(|f| {
                let mut p = RawPeer::login(&server.url, &f.parents[0].login, PASSWORD);
                p.sync();
                write_request(&mut p, &f.children[1].0, day, "cantine", true);
                p.sync();
                p
            })
            .collect();
        let key_b = cartable_domain::planning::CellKey::new(
            seed.families[1].children[1].0.as_str(),
            day,
            "cantine",
        )
        .encode();
        assert_eq!(
            decision(&mut peers[1], &key_b).map(|d| d.outcome),
            Some(Outcome::Refused)
        );

        let (status, list) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/days/2026-12-01/activities/cantine",
            Some(&token),
            None,
        );
        assert_eq!(status, 200, "{list}");
        let children = list["children"].as_array().expect("children");
        assert_eq!(children.len(), 1);
        assert_eq!(
            children[0]["family_id"],
            seed.families[0].family_id.as_str()
        );
        assert!(children[0].get("allergies").is_some() && children[0].get("diet").is_some());
        assert!(
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE structure_id = $1 AND action = 'read_day_list_health_diet'",
                &seed.structure_id
            ) >= 1
        );

        let (status, body) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/decisions",
            Some(&token),
            Some(&json!({
                "family_id": seed.families[1].family_id,
                "child_id": seed.families[1].children[1].0,
                "date": "2026-12-01",
                "activity_id": "cantine",
                "outcome": "accepted",
                "reason": "Place supplémentaire accordée",
            })),
        );
        assert_eq!(status, 200, "{body}");
        peers[1].sync();
        let d = decision(&mut peers[1], &key_b).expect("decision");
        assert_eq!(d.outcome, Outcome::Accepted);
        assert!(
            d.reason
                .unwrap_or_default()
                .contains("Place supplémentaire")
        );
        let (_, list) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/days/2026-12-01/activities/cantine",
            Some(&token),
            None,
        );
        assert_eq!(list["children"].as_array().map(Vec::len), Some(2));

        // Another structure's family is out of reach.
        let other = server.seed(1);
        let (status, _) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/decisions",
            Some(&token),
            Some(&json!({
                "family_id": other.families[0].family_id,
                "child_id": other.families[0].children[0].0,
                "date": "2026-12-01",
                "activity_id": "cantine",
                "outcome": "accepted",
                "reason": "x",
            })),
        );
        assert_eq!(status, 404);
    });
}

#[test]
fn bad_configuration_and_the_wrong_accounts_are_refused_with_clear_errors() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let (status, body) = put_activity(
            server,
            &token,
            "cantine",
            canteen(
                json!([{"kind": "days_before", "days": 1, "at": "25:99"}]),
                json!([]),
                None,
            ),
        );
        assert_eq!(status, 400);
        assert!(
            body["message"].as_str().unwrap_or("").contains("at"),
            "{body}"
        );
        let (status, _) = put_activity(server, &token, "../x", canteen(json!([]), json!([]), None));
        assert!(status == 400 || status == 404, "{status}");
        let (status, body) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/closures",
            Some(&token),
            Some(&json!([{"from": "2026-12-20", "to": "2026-12-19", "label": "Noël"}])),
        );
        assert_eq!(status, 400, "{body}");

        let parent =
            cartable_tests::raw::login(&server.url, &seed.families[0].parents[0].login, PASSWORD);
        let (status, body) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/catalogue",
            Some(&parent.token),
            None,
        );
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "forbidden");

        // The catalogue kept its activities, and families still see it.
        let (status, catalogue) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/catalogue",
            Some(&token),
            None,
        );
        assert_eq!(status, 200);
        assert!(catalogue["activities"]["cantine"].is_object());
        let mut peer = RawPeer::login(&server.url, &seed.families[0].parents[0].login, PASSWORD);
        peer.sync();
        let _ = peer.doc(DocKind::Catalogue);
    });
}

#[test]
fn a_sick_childs_same_day_meal_is_billed_and_later_days_are_free_when_declared_in_time() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 26), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let mut activity = canteen(json!([]), json!([]), None);
        activity["absence"] =
            json!({"same_day_billed": true, "free_before": "10:00", "medical_note_days": 7});
        let (status, body) = put_activity(server, &token, "cantine", activity);
        assert_eq!(status, 200, "{body}");
        let family = &seed.families[0];
        let child = &family.children[0].0;
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        let (tue, wed, thu) = (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3));
        for d in [tue, wed, thu] {
            write_request(&mut peer, child, d, "cantine", true);
        }
        peer.sync();

        // Tuesday 08:00: the child is sick today; Thursday is declared too.
        server.clock.set(paris(tue, 8, 0));
        let today = write_absence(&mut peer, child, tue, "cantine", "malade");
        let later = write_absence(&mut peer, child, thu, "cantine", "malade");
        let never_booked = write_absence(&mut peer, child, date(2026, 12, 4), "cantine", "malade");
        peer.sync();
        let today = absence_outcome(&mut peer, &today).expect("decided");
        assert!(today.billed, "{}", today.reason);
        let later = absence_outcome(&mut peer, &later).expect("decided");
        assert!(!later.billed, "{}", later.reason);
        let none = absence_outcome(&mut peer, &never_booked).expect("decided");
        assert!(!none.billed);
        // Wednesday, declared on Wednesday at 11:00 (after 10:00 the day before): billed.
        server.clock.set(paris(wed, 11, 0));
        let late = write_absence(&mut peer, child, wed, "cantine", "malade");
        peer.sync();
        assert!(absence_outcome(&mut peer, &late).expect("decided").billed);

        // A medical note joined within the week frees the late day; amending Thursday's
        // declaration after the limit does not make it late.
        server.clock.set(paris(date(2026, 12, 4), 9, 0));
        write_absence_with(
            &mut peer,
            child,
            wed,
            "cantine",
            "malade",
            Some("certificat-1"),
        );
        write_absence_with(
            &mut peer,
            child,
            thu,
            "cantine",
            "malade",
            Some("certificat-1"),
        );
        peer.sync();
        let wed_outcome = absence_outcome(&mut peer, &late).expect("decided");
        assert!(!wed_outcome.billed, "{}", wed_outcome.reason);
        let key_thu =
            cartable_domain::planning::CellKey::new(child.as_str(), thu, "cantine").encode();
        assert!(
            !absence_outcome(&mut peer, &key_thu)
                .expect("decided")
                .billed
        );
        // A week later the agent signs in again (staff sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        let (status, counts) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/counts?from=2026-12-01&to=2026-12-03",
            Some(&token),
            None,
        );
        assert_eq!(status, 200);
        let counts = counts.as_array().expect("counts");
        assert!(
            counts.iter().all(|c| c["count"] == 1 && c["absent"] == 1),
            "{counts:?}"
        );
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM absences WHERE family_id = $1 AND billed = 1",
                &family.family_id
            ),
            1
        );
    });
}
