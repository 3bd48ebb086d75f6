//! Bookings the server is certain to refuse are refused on the device, with the server's
//! cause and wording; insisting writes them anyway.

use super::fake_server::{CANTINE, LEA};
use super::{Family, MONDAY, NOV_20_MS, WEDNESDAY};
use crate::domain::catalogue::{Activity, ActivityKind, Closure, DeadlineRule, Eligibility};
use crate::domain::planning::RequestState;
use crate::domain::refusal::RefusalCause;
use crate::{Client, Error};
use jiff::civil::{Date, date};

const DAY_MS: i64 = 24 * 3_600_000;
/// The Wednesday centre, from 12 years old (Léa is 8).
const CENTRE: &str = "mercredi";

fn days_before(days: u32, at: &str) -> DeadlineRule {
    DeadlineRule::DaysBefore {
        days,
        at: at.into(),
        skip_weekends: false,
        skip_public_holidays: false,
        skip_weekdays: vec![],
    }
}

/// The canteen booked the day before at 15:00, cancelled two days before at 12:00, closed on
/// Thursday 3 December 2026 for a strike; a Wednesday centre for children of 12 and more.
fn family() -> Family {
    let family = Family::new();
    family.server.edit_catalogue(|c| {
        if let Some(canteen) = c.activities.get_mut(CANTINE) {
            canteen.booking_rules = vec![days_before(1, "15:00")];
            canteen.cancel_rules = vec![days_before(2, "12:00")];
        }
        let mut centre = Activity::simple(
            "Accueil du mercredi",
            ActivityKind::WednesdayCentre,
            vec![3],
        );
        centre.eligibility = Eligibility {
            min_age_years: Some(12),
            ..Default::default()
        };
        c.activities.insert(CENTRE.into(), centre);
        c.closures.push(Closure {
            from: "2026-12-03".into(),
            to: "2026-12-03".into(),
            label: "Grève du personnel".into(),
            activities: vec![CANTINE.into()],
        });
    });
    family
}

fn refusal(client: &Client, day: Date, activity: &str) -> (RefusalCause, String) {
    match client.book(LEA, day, activity) {
        Err(Error::WouldBeRefused { cause, reason }) => (cause, reason),
        other => panic!("expected a refusal on the device, got {other:?}"),
    }
}

fn server_state(client: &Client, day: Date, activity: &str) -> RequestState {
    client
        .planning(None)
        .expect("planning")
        .into_iter()
        .find(|e| e.date == day && e.activity_id == activity)
        .map(|e| e.state)
        .expect("entry")
}

#[test]
fn each_certain_refusal_is_given_offline_with_the_servers_cause_and_reason() {
    let family = family();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    family.server.set_offline(true);

    // Friday 20 November 2026, 11:00 in Paris: today's canteen closed yesterday at 15:00.
    let today = date(2026, 11, 20);
    let strike = date(2026, 12, 3);
    let christmas = date(2026, 12, 25);
    let centre_day = date(2026, 12, 9);
    let cases = [
        (
            today,
            CANTINE,
            RefusalCause::Deadline,
            "Date limite dépassée : jeudi 19 novembre 2026 à 15:00",
        ),
        (
            strike,
            CANTINE,
            RefusalCause::Closure,
            "Fermé : Grève du personnel",
        ),
        (
            christmas,
            CANTINE,
            RefusalCause::PublicHoliday,
            "Jour férié (Noël)",
        ),
        (
            WEDNESDAY,
            CANTINE,
            RefusalCause::NotRunning,
            "Pas d'accueil le mercredi",
        ),
        (
            centre_day,
            CENTRE,
            RefusalCause::NotEligible,
            "Réservé aux enfants de 12 ans et plus (votre enfant aura 8 ans ce jour-là)",
        ),
    ];
    for (day, activity, cause, reason) in cases {
        assert_eq!(
            refusal(&client, day, activity),
            (cause, reason.to_string()),
            "{day} {activity}"
        );
        let err = client.book(LEA, day, activity).expect_err("refused");
        assert_eq!(err.code(), "would_be_refused");
        assert_eq!(err.to_string(), reason);
    }
    assert_eq!(
        client.status().expect("status").pending_changes,
        0,
        "nothing written"
    );
    // An on-time booking of an open day is written as before.
    client.book(LEA, MONDAY, CANTINE).expect("book");
    assert_eq!(client.status().expect("status").pending_changes, 1);

    // Insisting writes the request; the server refuses it with the very same words.
    for (day, activity, _, _) in cases.iter().filter(|c| c.0 != WEDNESDAY) {
        client
            .book_insisting(LEA, *day, activity)
            .expect("insisting writes");
    }
    assert_eq!(client.status().expect("status").pending_changes, 5);
    family.server.set_offline(false);
    client.sync().expect("sync");
    for (day, activity, _, reason) in cases.iter().filter(|c| c.0 != WEDNESDAY) {
        assert_eq!(
            server_state(&client, *day, activity),
            RequestState::Refused {
                reason: reason.to_string()
            },
            "{day} {activity}"
        );
    }
    assert_eq!(
        server_state(&client, MONDAY, CANTINE),
        RequestState::Accepted
    );
}

#[test]
fn what_only_the_server_knows_is_written_and_decided_there() {
    let family = family();
    family.server.edit_catalogue(|c| {
        if let Some(canteen) = c.activities.get_mut(CANTINE) {
            canteen.capacity = Some(0);
            canteen.requires_approved_dossier = true;
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    // The dossier is not approved and the day is full: only the server can say.
    client.book(LEA, MONDAY, CANTINE).expect("written");
    client.sync().expect("sync");
    assert!(matches!(
        server_state(&client, MONDAY, CANTINE),
        RequestState::Refused { .. }
    ));
}

#[test]
fn withdrawals_are_never_refused_and_a_held_place_can_be_asked_for_again() {
    let family = family();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.sync().expect("sync");

    // Sunday 29 November, 16:00 in Paris: both deadlines of Monday passed.
    let late = NOV_20_MS + 9 * DAY_MS + 5 * 3_600_000;
    family.clock.set(late);
    family.server.set_now(late);
    client
        .cancel(LEA, MONDAY, CANTINE)
        .expect("withdrawal written");
    // Changed her mind before syncing: the accepted booking still holds the place.
    client.book(LEA, MONDAY, CANTINE).expect("asked again");
    client
        .cancel(LEA, MONDAY, CANTINE)
        .expect("withdrawal written");
    client.sync().expect("sync");
    assert!(matches!(
        server_state(&client, MONDAY, CANTINE),
        RequestState::KeptBillable { .. }
    ));
    // The late withdrawal kept the place: booking again is not refused either.
    client.book(LEA, MONDAY, CANTINE).expect("still held");
}

#[test]
fn deadlines_are_judged_at_the_servers_time_not_a_wrong_device_clock() {
    let family = family();
    // The phone's clock is ten days ahead of the server's.
    family.clock.set(NOV_20_MS + 10 * DAY_MS);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client
        .book(LEA, MONDAY, CANTINE)
        .expect("on time by the server's clock");
    client.sync().expect("sync");
    assert_eq!(
        server_state(&client, MONDAY, CANTINE),
        RequestState::Accepted
    );
}

#[test]
fn a_bulk_booking_skips_passed_deadlines_with_the_servers_reason() {
    let family = family();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    // Thursday 19 to Friday 27 November: the 19th and the 20th are past their deadline.
    let report = client
        .book_pattern(crate::BulkBooking {
            children: vec![LEA.into()],
            from: date(2026, 11, 19),
            to: date(2026, 11, 27),
            pattern: vec![crate::ActivityDays::new(CANTINE, vec![1, 2, 4, 5])],
        })
        .expect("bulk");
    assert_eq!(report.written, 4, "{report:?}");
    let late: Vec<(Date, Option<RefusalCause>, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.date, s.cause, s.reason.as_str()))
        .collect();
    assert_eq!(
        late,
        [
            (
                date(2026, 11, 19),
                Some(RefusalCause::Deadline),
                "Date limite dépassée : mercredi 18 novembre 2026 à 15:00"
            ),
            (
                date(2026, 11, 20),
                Some(RefusalCause::Deadline),
                "Date limite dépassée : jeudi 19 novembre 2026 à 15:00"
            ),
        ]
    );
}
