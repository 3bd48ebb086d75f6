//! The planning grid computed offline, bulk bookings and absences, against the in-memory
//! server.

use super::fake_server::{CANTINE, LEA};
use super::{Family, MONDAY, NOV_20_MS, WEDNESDAY};
use crate::domain::catalogue::{Closure, DeadlineRule};
use crate::domain::cells::CellState;
use crate::domain::refusal::RefusalCause;
use crate::{ActivityDays, BulkBooking, Client, Error};
use jiff::civil::{Date, date};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

fn paris(s: &str) -> jiff::Timestamp {
    cartable_domain::calendar::parse_local_instant(s).expect("instant")
}

fn days_before(days: u32, at: &str) -> DeadlineRule {
    DeadlineRule::DaysBefore {
        days,
        at: at.into(),
        skip_weekends: false,
        skip_public_holidays: false,
        skip_weekdays: vec![],
    }
}

fn state(client: &Client, child: &str, day: Date, activity: &str) -> CellState {
    let view = client.planning_view(None, day, day).expect("view");
    view.cell(child, day, activity)
        .map(|c| c.state().clone())
        .expect("cell")
}

fn pattern(children: &[&str], from: Date, to: Date, weekdays: &[u8]) -> BulkBooking {
    BulkBooking {
        children: children.iter().map(|c| c.to_string()).collect(),
        from,
        to,
        pattern: vec![ActivityDays::new(CANTINE, weekdays.to_vec())],
    }
}

#[test]
fn the_grid_uses_the_servers_time_even_offline_and_with_a_wrong_device_clock() {
    let family = Family::new();
    // Friday 20 November 2026, 11:00 in Paris on the server; the phone says 09:00.
    family.clock.set(NOV_20_MS - 2 * HOUR_MS);
    family.server.edit_catalogue(|c| {
        c.activities
            .get_mut(CANTINE)
            .expect("cantine")
            .booking_rules = vec![days_before(3, "10:00")]
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    assert_eq!(
        client.status().expect("status").server_clock_offset_ms,
        2 * HOUR_MS
    );

    let week = client.planning_week(date(2026, 11, 25)).expect("week");
    assert_eq!(
        (week.from, week.to),
        (date(2026, 11, 23), date(2026, 11, 29))
    );
    assert_eq!(week.rows().len(), 7);
    assert_eq!(week.columns.len(), 1, "Léa × cantine");
    assert_eq!(week.server_now.as_millisecond(), NOV_20_MS);
    // Monday 23's deadline (Friday 20 at 10:00) has passed by the server's clock.
    let monday = week.cell(LEA, date(2026, 11, 23), CANTINE).expect("cell");
    assert_eq!(
        monday.view.state,
        CellState::Locked {
            reason: "Date limite dépassée : vendredi 20 novembre 2026 à 10:00".into(),
            deadline: Some(paris("2026-11-20T10:00")),
            opens: None,
        }
    );
    assert!(!monday.can_book);
    assert_eq!(monday.label, "verrouillé (depuis le 20/11 10:00)");
    let tuesday = week.cell(LEA, date(2026, 11, 24), CANTINE).expect("cell");
    assert_eq!(tuesday.view.state, CellState::Free);
    assert_eq!(
        tuesday.view.booking_deadline,
        Some(paris("2026-11-21T10:00"))
    );
    assert!(tuesday.can_book && !tuesday.can_cancel);
    assert_eq!(tuesday.label, "—");
    let wednesday = week.cell(LEA, date(2026, 11, 25), CANTINE).expect("cell");
    assert!(matches!(wednesday.view.state, CellState::Closed { .. }));
    assert_eq!(wednesday.label, "fermé");
    // Compact: weekends and Wednesdays (no activity) go away.
    let compact = week.without_idle();
    assert_eq!(
        compact
            .rows()
            .iter()
            .map(|r| r.date.day())
            .collect::<Vec<_>>(),
        [23, 24, 26, 27]
    );

    // Offline a day later: Tuesday is locked too, by the same offset.
    family.server.set_offline(true);
    family.clock.set(NOV_20_MS - 2 * HOUR_MS + DAY_MS);
    assert!(matches!(
        state(&client, LEA, date(2026, 11, 24), CANTINE),
        CellState::Locked { .. }
    ));

    let month = client.planning_month(date(2026, 2, 14)).expect("month");
    assert_eq!(month.rows().len(), 28);
}

#[test]
fn a_bulk_booking_is_one_local_edit_decided_cell_by_cell() {
    let family = Family::new();
    family.server.edit_catalogue(|c| {
        c.closures.push(Closure {
            from: "2026-12-19".into(),
            to: "2027-01-03".into(),
            label: "Vacances de Noël".into(),
            activities: vec![],
        })
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    let tom = client
        .add_child("Tom", "Martin", "2019-02-03")
        .expect("add Tom");
    client.sync().expect("sync Tom");

    // Monday 14 December 2026 to Friday 8 January 2027, Monday to Friday.
    let (from, to) = (date(2026, 12, 14), date(2027, 1, 8));
    let booking = pattern(&[LEA, &tom], from, to, &[1, 2, 3, 4, 5]);
    let report = client.book_pattern(booking.clone()).expect("bulk");
    assert_eq!(
        report.written,
        2 * 8,
        "2 open weeks × Mon, Tue, Thu, Fri × 2 children"
    );
    assert_eq!(report.unchanged, 0);
    // Skipped with the server's cause and reason: the Wednesdays of the open weeks, and every
    // day of the closure (it comes first, Wednesdays and public holidays included).
    let skipped = |cause: RefusalCause, reason: &str| {
        report
            .skipped
            .iter()
            .filter(|s| s.cause == Some(cause) && s.reason == reason)
            .count()
    };
    assert_eq!(
        skipped(RefusalCause::NotRunning, "Pas d'accueil le mercredi"),
        2 * 2,
        "{report:?}"
    );
    assert_eq!(
        skipped(RefusalCause::Closure, "Fermé : Vacances de Noël"),
        2 * 10,
        "{report:?}"
    );
    assert_eq!(report.skipped.len(), 2 * 12, "{report:?}");
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.child_id == tom && s.date == date(2026, 12, 25)),
        "{report:?}"
    );
    assert_eq!(
        client.status().expect("status").pending_changes,
        1,
        "one durable local edit"
    );
    let pending = client.planning_view(None, from, to).expect("view");
    assert_eq!(
        pending
            .cells()
            .filter(|c| c.view.state == CellState::Pending { wanted: true })
            .count(),
        16
    );
    // The same pattern again: nothing new to write.
    let again = client.book_pattern(booking).expect("again");
    assert_eq!((again.written, again.unchanged), (0, 16));
    assert_eq!(again.skipped.len(), 2 * 12);

    client.sync().expect("sync");
    let view = client.planning_view(None, from, to).expect("view");
    // Children in first-name order: Léa, then Tom.
    assert_eq!(view.columns[0].child_name, "Léa");
    assert_eq!(view.columns[1].child_name, "Tom");
    let mut accepted = 0;
    for cell in view.cells() {
        match &cell.view.state {
            CellState::Accepted => {
                assert!(cell.date < date(2026, 12, 19) || cell.date > date(2027, 1, 3));
                assert_eq!(cell.label, "✓ réservé");
                assert!(cell.can_cancel);
                accepted += 1;
            }
            CellState::Refused { reason } => panic!("refused by the server: {reason}"),
            _ => {}
        }
    }
    assert_eq!(accepted, 2 * 8);

    // Withdraw the first week for Tom: only his booked cells are written.
    let cancel = pattern(&[&tom], from, date(2026, 12, 20), &[1, 2, 3, 4, 5]);
    let report = client.cancel_pattern(cancel).expect("cancel");
    assert_eq!((report.written, report.unchanged), (4, 1));
    client.sync().expect("sync");
    assert_eq!(
        state(&client, &tom, date(2026, 12, 14), CANTINE),
        CellState::Cancelled
    );
    assert_eq!(
        state(&client, LEA, date(2026, 12, 14), CANTINE),
        CellState::Accepted
    );
}

#[test]
fn bulk_bookings_are_validated_with_clear_french_errors() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    let (from, to) = (MONDAY, date(2026, 12, 11));
    let msg = |b: BulkBooking| client.book_pattern(b).expect_err("refused").to_string();

    assert!(msg(pattern(&["c9"], from, to, &[1])).contains("enfant inconnu"));
    let mut unknown = pattern(&[LEA], from, to, &[1]);
    unknown.pattern[0].activity_id = "piscine".into();
    let m = msg(unknown);
    assert!(
        m.contains("activité inconnue") && m.contains("cantine"),
        "{m}"
    );
    assert!(msg(pattern(&[LEA], to, from, &[1])).contains("période invalide"));
    assert!(msg(pattern(&[LEA], from, date(2027, 12, 1), &[1])).contains("au plus 366 jours"));
    assert!(msg(pattern(&[LEA], from, to, &[8])).contains("jour de la semaine invalide"));
    assert!(msg(pattern(&[LEA], from, to, &[])).contains("aucun jour"));
    assert!(msg(pattern(&[], from, to, &[1])).contains("aucun enfant"));
    assert_eq!(client.status().expect("status").pending_changes, 0);

    let err = client
        .planning_view(Some(vec!["c9".into()]), from, to)
        .expect_err("unknown child");
    assert!(err.to_string().contains("enfant inconnu"), "{err}");

    // Before the first download: say to sync.
    let other = tempfile::tempdir().expect("tempdir");
    let fresh = family.open(other.path());
    assert!(matches!(
        fresh.planning_week(MONDAY),
        Err(Error::NotLoggedIn)
    ));
    fresh
        .login("http://fake", "camille", "secret", "Tablette")
        .expect("login");
    assert!(matches!(
        fresh.planning_week(MONDAY),
        Err(Error::NotDownloaded(_))
    ));
    assert!(matches!(
        fresh.book_pattern(pattern(&[LEA], from, to, &[1])),
        Err(Error::NotDownloaded(_))
    ));
}

#[test]
fn an_absence_is_declared_on_booked_days_and_shown_with_the_servers_outcome() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    let (from, to) = (MONDAY, date(2026, 12, 4));

    let err = client
        .declare_absence(LEA, from, to, "malade", None)
        .expect_err("nothing booked");
    assert!(
        err.to_string().contains("aucune réservation de Léa"),
        "{err}"
    );

    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.book(LEA, date(2026, 12, 1), CANTINE).expect("book");
    client.book(LEA, date(2026, 12, 7), CANTINE).expect("book");
    client.sync().expect("sync");

    let report = client
        .declare_absence(LEA, from, to, "malade", None)
        .expect("declared");
    assert_eq!((report.written, report.unchanged), (2, 0));
    let view = client.planning_view(None, from, to).expect("view");
    let monday = view.cell(LEA, MONDAY, CANTINE).expect("cell");
    let absence = monday.absence.as_ref().expect("absence");
    assert_eq!(absence.reason, "malade");
    assert_eq!(absence.outcome, None);
    assert_eq!(monday.label, "absent (en attente)");
    assert!(
        view.cell(LEA, WEDNESDAY, CANTINE)
            .expect("cell")
            .absence
            .is_none()
    );

    let again = client
        .declare_absence(LEA, from, to, "malade", None)
        .expect("again");
    assert_eq!((again.written, again.unchanged), (0, 2));
    let err = client
        .declare_absence(LEA, from, to, "malade", Some("../etc".into()))
        .expect_err("bad document id");
    assert!(err.to_string().contains("justificatif"), "{err}");

    client.sync().expect("sync");
    let monday = client
        .planning_view(None, MONDAY, MONDAY)
        .expect("view")
        .cell(LEA, MONDAY, CANTINE)
        .cloned()
        .expect("cell");
    let outcome = monday
        .absence
        .and_then(|a| a.outcome)
        .expect("decided by the server");
    assert!(!outcome.billed, "declared ten days ahead: {outcome:?}");
    assert_eq!(monday.label, "absent (non facturé)");
    let planning = family
        .server
        .planning(crate::domain::school_year::SchoolYear(2026));
    assert_eq!(planning.absences.len(), 2);
}
