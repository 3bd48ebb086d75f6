//! "Mon Planning" on real client cores against a real server: the grid computed offline with
//! the server's time (whatever the phone's clock says), a term booked in bulk and decided cell
//! by cell, bulk withdrawals and absences reaching the server.

use cartable_core::domain::cells::CellState;
use cartable_core::{ActivityDays, BulkBooking, Client, HttpTransport, ManualClock};
use cartable_domain::DocKind;
use cartable_domain::planning::{Outcome, Planning};
use cartable_domain::refusal::RefusalCause;
use cartable_tests::raw::RawPeer;
use cartable_tests::{Device, Seed, SeedFamily, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::{Value, json};
use std::sync::Arc;

const PASSWORD: &str = "mot-de-passe-test";
const HOUR_MS: i64 = 3_600_000;

fn paris(d: Date, hour: i8, minute: i8) -> jiff::Timestamp {
    d.at(hour, minute, 0, 0)
        .in_tz("Europe/Paris")
        .expect("Paris time")
        .timestamp()
}

fn staff_token(server: &TestServer, seed: &Seed) -> String {
    staff::login(&server.url, &seed.staff.login, PASSWORD)
}

/// A device whose clock shows what the test says.
fn device_with_clock(
    server: &TestServer,
    family: &SeedFamily,
    parent: usize,
    device: &Device,
    clock: Arc<ManualClock>,
) -> Client {
    let client = Client::open_with(device.dir.path(), Arc::new(HttpTransport::new()), clock)
        .expect("open client store");
    client
        .login(
            &server.url,
            &family.parents[parent].login,
            PASSWORD,
            "téléphone de test",
        )
        .expect("login");
    client.sync().expect("first sync");
    client
}

fn put_canteen_booked_the_day_before_at_15(server: &TestServer, token: &str) {
    let (status, body) = staff::send(
        &server.url,
        "PUT",
        "/api/v1/staff/catalogue/activities/cantine",
        Some(token),
        Some(&json!({
            "name": "Restauration scolaire",
            "kind": "canteen",
            "weekdays": [1, 2, 3, 4, 5],
            "start_time": "11:30",
            "booking_rules": [{"kind": "days_before", "days": 1, "at": "15:00"}],
        })),
    );
    assert_eq!(status, 200, "{body}");
}

fn state_of(client: &Client, child: &str, day: Date, activity: &str) -> CellState {
    client
        .planning_view(None, day, day)
        .expect("view")
        .cell(child, day, activity)
        .map(|c| c.view.state.clone())
        .expect("cell")
}

#[test]
fn a_device_whose_clock_is_two_hours_wrong_still_shows_the_correct_locked_cells() {
    on_each_backend(|server| {
        let monday = date(2026, 11, 30);
        let (tuesday, wednesday) = (date(2026, 12, 1), date(2026, 12, 2));
        // Monday 15:30 in Paris: Tuesday's deadline (Monday 15:00) has just passed.
        server.clock.set(paris(monday, 15, 30));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        put_canteen_booked_the_day_before_at_15(server, &token);
        let family = &seed.families[0];
        let lea = &family.children[1].0;
        assert_eq!(family.children[1].1, "Léa");

        // The phone's clock is two hours behind: by itself it would think it is 13:30.
        let behind = Arc::new(ManualClock::new(paris(monday, 13, 30).as_millisecond()));
        let phone = Device::new();
        let client = device_with_clock(server, family, 0, &phone, behind.clone());
        assert_eq!(
            client.status().expect("status").server_clock_offset_ms,
            2 * HOUR_MS
        );
        let week = client.planning_week(monday).expect("week");
        assert_eq!(week.server_now, paris(monday, 15, 30));
        let cell = week.cell(lea, tuesday, "cantine").expect("Tuesday");
        assert_eq!(
            cell.view.state,
            CellState::Locked {
                reason: "Date limite dépassée : lundi 30 novembre 2026 à 15:00".into(),
                deadline: Some(paris(monday, 15, 0)),
                opens: None,
            }
        );
        assert!(!cell.can_book);
        assert_eq!(cell.label, "verrouillé (depuis le 30/11 15:00)");
        let cell = week.cell(lea, wednesday, "cantine").expect("Wednesday");
        assert_eq!(cell.view.state, CellState::Free);
        assert_eq!(cell.view.booking_deadline, Some(paris(tuesday, 15, 0)));
        assert!(cell.can_book);

        // Offline, an hour later by the phone: the offset still applies.
        behind.set(paris(monday, 14, 30).as_millisecond());
        assert!(matches!(
            state_of(&client, lea, tuesday, "cantine"),
            CellState::Locked { .. }
        ));

        // Another phone, two hours ahead, at 14:00 server time: Tuesday is still free, although
        // the phone's own clock (16:00) is past the deadline.
        server.clock.set(paris(monday, 14, 0));
        let ahead = Arc::new(ManualClock::new(paris(monday, 16, 0).as_millisecond()));
        let tablet = Device::new();
        let other = device_with_clock(server, family, 1, &tablet, ahead);
        assert_eq!(
            other.status().expect("status").server_clock_offset_ms,
            -2 * HOUR_MS
        );
        let cell = other
            .planning_view(Some(vec![lea.clone()]), tuesday, tuesday)
            .expect("view");
        assert_eq!(
            cell.columns.len(),
            4,
            "Léa × the 4 activities of the catalogue"
        );
        let cell = cell.cell(lea, tuesday, "cantine").expect("Tuesday");
        assert_eq!(cell.view.state, CellState::Free);
        assert_eq!(cell.view.booking_deadline, Some(paris(monday, 15, 0)));
        // And the server agrees: booked now, it is accepted.
        other.book(lea, tuesday, "cantine").expect("book");
        other.sync().expect("sync");
        assert_eq!(
            state_of(&other, lea, tuesday, "cantine"),
            CellState::Accepted
        );
    });
}

fn put_christmas_closure(server: &TestServer, token: &str) {
    let (status, body) = staff::send(
        &server.url,
        "PUT",
        "/api/v1/staff/catalogue/closures",
        Some(token),
        Some(&json!([{"from": "2026-12-19", "to": "2027-01-03", "label": "Vacances de Noël"}])),
    );
    assert_eq!(status, 200, "{body}");
}

fn in_christmas(d: Date) -> bool {
    date(2026, 12, 19) <= d && d <= date(2027, 1, 3)
}

fn counts(server: &TestServer, token: &str, from: Date, to: Date) -> Vec<Value> {
    let (status, body) = staff::send(
        &server.url,
        "GET",
        &format!("/api/v1/staff/counts?from={from}&to={to}"),
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().expect("counts")
}

fn school_days(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if [1, 2, 4, 5].contains(&d.weekday().to_monday_one_offset()) {
            out.push(d);
        }
        d = d.tomorrow().expect("next day");
    }
    out
}

#[test]
fn a_bulk_booking_of_3_children_over_a_term_skips_the_closure_on_the_phone_and_the_rest_is_accepted()
 {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 16), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        put_christmas_closure(server, &token);
        let family = &seed.families[0];
        let phone = Device::new();
        let client = device_with_clock(
            server,
            family,
            0,
            &phone,
            Arc::new(ManualClock::new(
                paris(date(2026, 11, 16), 9, 0).as_millisecond(),
            )),
        );
        let zoe = client
            .add_child("Zoé", "Famille0", "2017-03-03")
            .expect("third child");
        client.sync().expect("sync the new child");
        let mut children: Vec<String> = family.children.iter().map(|(id, _)| id.clone()).collect();
        children.push(zoe.clone());

        // A term: Monday 30 November 2026 to Friday 12 February 2027. Canteen on Monday,
        // Tuesday, Thursday and Friday; evening childcare every weekday (it never runs on
        // Wednesdays: those are skipped).
        let (from, to) = (date(2026, 11, 30), date(2027, 2, 12));
        let report = client
            .book_pattern(BulkBooking {
                children: children.clone(),
                from,
                to,
                pattern: vec![
                    ActivityDays::new("cantine", [1, 2, 4, 5]),
                    ActivityDays::new("garderie-soir", [1, 2, 3, 4, 5]),
                ],
            })
            .expect("bulk booking");
        let days = school_days(from, to);
        assert_eq!(days.len(), 44, "11 weeks × 4 school days");
        let closed_days = days.iter().filter(|d| in_christmas(**d)).count();
        assert_eq!(closed_days, 8);
        // The closure's days are skipped on the phone with the server's words, Wednesdays
        // (11 in the term) as days without evening childcare, unless in the closure.
        assert_eq!(report.written, 3 * 2 * (44 - closed_days));
        assert_eq!(report.unchanged, 0);
        assert_eq!(
            report.skipped.len(),
            3 * (2 * closed_days + 11),
            "{:?}",
            report.skipped.first()
        );
        for s in &report.skipped {
            if in_christmas(s.date) {
                assert_eq!(s.reason, "Fermé : Vacances de Noël", "{s:?}");
                assert_eq!(s.cause, Some(RefusalCause::Closure), "{s:?}");
            } else {
                assert_eq!(s.activity_id, "garderie-soir", "{s:?}");
                assert_eq!(s.reason, "Pas d'accueil le mercredi", "{s:?}");
                assert_eq!(s.cause, Some(RefusalCause::NotRunning), "{s:?}");
            }
        }
        assert_eq!(client.status().expect("status").pending_changes, 1);

        let sync = client.sync().expect("one sync");
        assert!(sync.rounds <= 2, "rounds: {}", sync.rounds);
        assert_eq!(client.status().expect("status").pending_changes, 0);

        let view = client.planning_view(None, from, to).expect("view");
        assert_eq!(
            view.columns
                .iter()
                .filter(|c| c.activity_id == "cantine")
                .map(|c| c.child_name.as_str())
                .collect::<Vec<_>>(),
            ["Hugo", "Léa", "Zoé"]
        );
        let mut accepted = 0;
        for cell in view
            .cells()
            .filter(|c| c.activity_id == "cantine" || c.activity_id == "garderie-soir")
        {
            let school_day = days.contains(&cell.date);
            match &cell.view.state {
                CellState::Accepted => {
                    assert!(school_day && !in_christmas(cell.date), "{cell:?}");
                    accepted += 1;
                }
                CellState::Closed { reason } => {
                    assert!(!school_day || in_christmas(cell.date), "{cell:?}");
                    if school_day {
                        assert!(reason.contains("Vacances de Noël"), "{reason}");
                    }
                }
                other => panic!(
                    "{} {} {}: {other:?}",
                    cell.date, cell.child_name, cell.activity_id
                ),
            }
        }
        assert_eq!(accepted, 3 * 2 * (44 - closed_days));

        // Staff see three children every open school day, for both activities, and nobody in
        // the holidays.
        let counts = counts(server, &token, from, to);
        assert_eq!(counts.len(), 2 * (44 - closed_days), "{counts:?}");
        for c in &counts {
            assert_eq!(c["count"], 3, "{c}");
            let day: Date = c["date"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .expect("date");
            assert!(!in_christmas(day), "{c}");
        }

        // The same pattern again changes nothing.
        let again = client
            .book_pattern(BulkBooking {
                children,
                from: date(2027, 1, 4),
                to,
                pattern: vec![ActivityDays::new("cantine", [1, 2, 4, 5])],
            })
            .expect("again");
        assert_eq!((again.written, again.unchanged), (0, 3 * 24));
    });
}

/// The planning document of 2026-2027 as another (raw) device of the family receives it.
fn raw_planning(server: &TestServer, family: &SeedFamily) -> Planning {
    let mut peer = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
    peer.sync();
    let id = peer
        .infos
        .iter()
        .find(|i| i.kind == DocKind::Planning && i.school_year.as_deref() == Some("2026-2027"))
        .map(|i| i.doc_id.as_str().to_string())
        .expect("planning 2026-2027");
    let doc = peer.docs.get(&id).expect("planning received");
    autosurgeon::hydrate(doc).expect("planning hydrates")
}

#[test]
fn bulk_withdrawals_and_absences_reach_the_server() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 16), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let family = &seed.families[0];
        let (hugo, lea) = (&family.children[0].0, &family.children[1].0);
        let phone = Device::new();
        let client = device_with_clock(
            server,
            family,
            0,
            &phone,
            Arc::new(ManualClock::new(
                paris(date(2026, 11, 16), 9, 0).as_millisecond(),
            )),
        );
        // Two weeks of canteen for both children.
        let (from, to) = (date(2026, 11, 30), date(2026, 12, 11));
        let both = vec![hugo.clone(), lea.clone()];
        let booked = client
            .book_pattern(BulkBooking {
                children: both.clone(),
                from,
                to,
                pattern: vec![ActivityDays::new("cantine", [1, 2, 4, 5])],
            })
            .expect("book");
        assert_eq!(booked.written, 16);
        client.sync().expect("sync");

        // Hugo's second week is withdrawn in one edit; Léa keeps hers.
        let withdrawn = client
            .cancel_pattern(BulkBooking {
                children: vec![hugo.clone()],
                from: date(2026, 12, 7),
                to,
                pattern: vec![ActivityDays::new("cantine", [1, 2, 3, 4, 5])],
            })
            .expect("cancel");
        assert_eq!((withdrawn.written, withdrawn.unchanged), (4, 1));
        // Léa is sick on Monday 30 November and Tuesday 1 December.
        let absent = client
            .declare_absence(lea, from, date(2026, 12, 1), "malade", None)
            .expect("absence");
        assert_eq!(absent.written, 2);
        let err = client
            .declare_absence(hugo, date(2026, 12, 7), to, "malade", None)
            .expect_err("nothing booked any more (locally)");
        assert!(err.to_string().contains("aucune réservation"), "{err}");
        assert_eq!(client.status().expect("status").pending_changes, 2);
        client.sync().expect("sync");

        assert_eq!(
            state_of(&client, hugo, date(2026, 12, 7), "cantine"),
            CellState::Cancelled
        );
        let counts = counts(server, &token, from, to);
        let count_on = |d: &str| {
            counts
                .iter()
                .find(|c| c["date"] == d && c["activity_id"] == "cantine")
                .map(|c| c["count"].as_i64().unwrap_or(0))
                .unwrap_or(0)
        };
        assert_eq!(count_on("2026-12-03"), 2);
        assert_eq!(count_on("2026-12-07"), 1);

        // Another device of the family receives the withdrawals, decided, and the absences.
        let planning = raw_planning(server, family);
        let hugo_monday = format!("{hugo}|2026-12-07|cantine");
        assert_eq!(
            planning.requests.get(&hugo_monday).map(|r| r.wanted),
            Some(false)
        );
        assert_eq!(
            planning.decisions.get(&hugo_monday).map(|d| d.outcome),
            Some(Outcome::Cancelled)
        );
        for day in ["2026-11-30", "2026-12-01"] {
            let key = format!("{lea}|{day}|cantine");
            let declared = planning.absences.get(&key).expect("absence on the server");
            assert_eq!(declared.reason, "malade");
            assert_eq!(declared.by, client.account().expect("account").account_id);
        }
        assert_eq!(planning.absences.len(), 2);

        // The second parent's phone shows Léa absent on Monday.
        let tablet = Device::new();
        let other = device_with_clock(
            server,
            family,
            1,
            &tablet,
            Arc::new(ManualClock::new(
                paris(date(2026, 11, 16), 9, 0).as_millisecond(),
            )),
        );
        let view = other.planning_week(from).expect("week");
        let monday = view.cell(lea, from, "cantine").expect("cell");
        assert_eq!(monday.view.state, CellState::Accepted);
        let absence = monday.absence.as_ref().expect("absence shown");
        assert_eq!(absence.reason, "malade");
        if let Some(outcome) = &absence.outcome {
            // Declared two weeks ahead: never billed, whatever the structure's rule.
            assert!(!outcome.billed, "{outcome:?}");
        }
    });
}
