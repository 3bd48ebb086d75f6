//! `sync` reports what the structure decided since the last successful sync, for the app to
//! announce, once.

use super::fake_server::{CANTINE, LEA};
use super::{Family, MONDAY};
use crate::domain::planning::Outcome;
use jiff::civil::date;

#[test]
fn a_sync_announces_each_decision_once_with_a_french_sentence() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    let friday = date(2026, 12, 4);

    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.book(LEA, friday, CANTINE).expect("book");
    let report = client.sync().expect("sync");
    let decided: Vec<(jiff::civil::Date, Outcome)> =
        report.decided.iter().map(|d| (d.date, d.outcome)).collect();
    assert_eq!(
        decided,
        [(MONDAY, Outcome::Accepted), (friday, Outcome::Accepted)]
    );
    assert_eq!(
        report.decided[0].message,
        "Réservation acceptée : Léa, Restauration scolaire, lundi 30 novembre 2026."
    );
    assert_eq!(report.decided[0].child_name, "Léa");
    assert!(report.decided[0].wanted);

    let again = client.sync().expect("sync again");
    assert!(again.decided.is_empty(), "announced once: {again:?}");
}

#[test]
fn a_refusal_is_announced_with_its_reason_and_the_other_parents_phone_hears_too() {
    let family = Family::new();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let phone = family.device(a.path(), "Pixel");
    let tablet = family.device(b.path(), "Tablette");
    // Staff stop Monday canteens; the phone has not heard yet.
    family.server.set_weekdays(CANTINE, vec![2, 4, 5]);

    phone.book(LEA, MONDAY, CANTINE).expect("book offline");
    let report = phone.sync().expect("sync");
    assert_eq!(report.decided.len(), 1, "{report:?}");
    let refused = &report.decided[0];
    assert_eq!(refused.outcome, Outcome::Refused);
    assert_eq!(refused.reason.as_deref(), Some("Pas d'accueil le lundi"));
    assert_eq!(
        refused.message,
        "Réservation refusée : Léa, Restauration scolaire, lundi 30 novembre 2026. \
         Pas d'accueil le lundi"
    );

    let heard = tablet.sync().expect("the other phone syncs");
    assert_eq!(heard.decided, report.decided);
}

#[test]
fn decisions_received_by_a_failed_sync_are_announced_by_the_next_one() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    family.server.set_offline(true);
    assert!(client.sync().is_err());
    family.server.set_offline(false);
    let report = client.sync().expect("sync");
    assert_eq!(report.decided.len(), 1, "{report:?}");

    // A withdrawal and an absence are news as well.
    client.cancel(LEA, MONDAY, CANTINE).expect("withdraw");
    let report = client.sync().expect("sync");
    assert_eq!(report.decided.len(), 1, "{report:?}");
    assert!(!report.decided[0].wanted);
    assert_eq!(report.decided[0].outcome, Outcome::Cancelled);
    assert!(
        report.decided[0].message.starts_with("Annulation acceptée"),
        "{report:?}"
    );
    let friday = date(2026, 12, 4);
    client.book(LEA, friday, CANTINE).expect("book");
    client.sync().expect("sync");
    client
        .declare_absence(LEA, friday, friday, "malade", None)
        .expect("absence");
    let report = client.sync().expect("sync");
    assert_eq!(report.absences_decided.len(), 1, "{report:?}");
    assert!(
        report.absences_decided[0]
            .message
            .contains("Léa, Restauration scolaire, vendredi 4 décembre 2026"),
        "{report:?}"
    );
}

#[test]
fn the_first_sync_after_login_announces_nothing_of_the_past() {
    let family = Family::new();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let phone = family.device(a.path(), "Pixel");
    phone.book(LEA, MONDAY, CANTINE).expect("book");
    phone.sync().expect("sync");

    let tablet = family.open(b.path());
    tablet
        .login(
            "http://fake",
            super::fake_server::LOGIN,
            super::fake_server::PASSWORD,
            "Tablette",
        )
        .expect("login");
    let first = tablet.sync().expect("first sync");
    assert!(first.decided.is_empty(), "{first:?}");
}
