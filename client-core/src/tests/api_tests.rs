//! The typed API: sessions, dossier edits, bookings and their validation.

use super::fake_server::{CAMILLE, CANTINE, LEA};
use super::{Family, MONDAY, WEDNESDAY};
use crate::Error;
use crate::domain::api::ErrorCode;
use crate::domain::dossier::Diet;
use crate::domain::planning::RequestState;
use crate::domain::school_year::SchoolYear;

#[test]
fn a_wrong_password_is_refused_with_the_servers_french_message() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.open(dir.path());

    let err = client
        .login("http://fake", "camille", "wrong", "Pixel")
        .expect_err("refused");

    assert!(matches!(
        err,
        Error::Server {
            code: ErrorCode::Unauthorized,
            ..
        }
    ));
    assert_eq!(err.to_string(), "identifiant ou mot de passe incorrect");
    assert!(!client.status().expect("status").logged_in);
}

#[test]
fn calls_before_login_say_to_log_in() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.open(dir.path());
    assert!(matches!(client.sync(), Err(Error::NotLoggedIn)));
    assert!(matches!(client.dossier(), Err(Error::NotLoggedIn)));
    assert!(matches!(
        client.book(LEA, MONDAY, CANTINE),
        Err(Error::NotLoggedIn)
    ));
}

#[test]
fn edits_before_the_first_download_ask_to_sync_first() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.open(dir.path());
    client
        .login("http://fake", "camille", "secret", "Pixel")
        .expect("login");

    let err = client
        .book(LEA, MONDAY, CANTINE)
        .expect_err("not downloaded");
    assert!(matches!(err, Error::NotDownloaded(_)));
    assert!(err.to_string().contains("synchronisez d'abord"));
    assert!(matches!(
        client.set_child_field(LEA, "school", "X"),
        Err(Error::NotDownloaded(_))
    ));
    assert!(matches!(
        client.add_child("Tom", "Martin", "2020-01-01"),
        Err(Error::NotDownloaded(_))
    ));
}

#[test]
fn unknown_children_activities_and_days_without_service_are_refused_clearly() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");

    let err = client.book("c9", MONDAY, CANTINE).expect_err("child");
    assert!(err.to_string().contains("enfant inconnu"), "{err}");
    let err = client.book(LEA, MONDAY, "piscine").expect_err("activity");
    assert!(err.to_string().contains("activité inconnue"), "{err}");
    let err = client.book(LEA, WEDNESDAY, CANTINE).expect_err("day");
    assert_eq!(err.to_string(), "Pas d'accueil le mercredi");
    assert_eq!(err.code(), "would_be_refused");
    // Insisting does not make the activity run on Wednesdays.
    let err = client
        .book_insisting(LEA, WEDNESDAY, CANTINE)
        .expect_err("day");
    assert_eq!(
        err.to_string(),
        "Restauration scolaire n'a pas lieu le mercredi 2 décembre 2026"
    );
    let err = client
        .set_child_field("c9", "school", "X")
        .expect_err("child");
    assert!(err.to_string().contains("enfant inconnu"), "{err}");
    let err = client
        .set_child_field(LEA, "religion", "X")
        .expect_err("field");
    assert!(err.to_string().contains("champ inconnu"), "{err}");
    let err = client
        .set_child_field(LEA, "diet", "halal")
        .expect_err("value");
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(client.status().expect("status").pending_changes, 0);
}

#[test]
fn cancelling_a_booking_is_decided_as_cancelled() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.sync().expect("sync");

    client.cancel(LEA, MONDAY, CANTINE).expect("cancel");
    let pending = client.planning(None).expect("planning");
    assert!(!pending[0].wanted);
    assert_eq!(pending[0].state, RequestState::Pending);
    client.sync().expect("sync");

    let entries = client.planning(None).expect("planning");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].state, RequestState::Cancelled);
}

#[test]
fn booking_twice_writes_once_and_cancelling_nothing_is_refused() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");

    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.book(LEA, MONDAY, CANTINE).expect("book again");
    assert_eq!(client.status().expect("status").pending_changes, 1);

    let err = client
        .cancel(LEA, jiff::civil::date(2026, 12, 7), CANTINE)
        .expect_err("nothing to cancel");
    assert!(err.to_string().contains("aucune réservation"), "{err}");
}

#[test]
fn a_new_child_and_field_edits_show_locally_and_reach_the_server() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");

    let tom = client
        .add_child("Tom", "Martin", "2020-02-29")
        .expect("add child");
    client
        .set_child_field(&tom, "diet", "vegetarien")
        .expect("diet");
    client
        .set_child_field(&tom, "allergies", "arachide, lait")
        .expect("allergies");
    let sam = client.add_adult("Sam", "Martin").expect("add adult");
    client
        .set_adult_field(&sam, "email", "sam@example.fr")
        .expect("email");
    client
        .set_adult_field(CAMILLE, "quotient_familial", "850")
        .expect("qf");

    let local = client.dossier().expect("dossier");
    assert_eq!(local.children[&tom].diet, Diet::Vegetarien);
    assert_eq!(local.children[&tom].allergies, vec!["arachide", "lait"]);
    assert_eq!(
        crate::resolve_child(&local, "tom").expect("by first name"),
        tom
    );

    client.sync().expect("sync");
    let server = family.server.dossier();
    assert_eq!(server.children[&tom].first_name, "Tom");
    assert_eq!(server.children[&tom].birth_date, "2020-02-29");
    assert_eq!(server.adults[&sam].email, "sam@example.fr");
    assert_eq!(server.adults[CAMILLE].quotient_familial, Some(850));
    assert_eq!(
        server.children[LEA].first_name, "Léa",
        "other sheets untouched"
    );
}

#[test]
fn logout_revokes_the_token_and_wipes_local_data() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    let holds_token = |dir: &std::path::Path| {
        ["cartable.db", "cartable.db-wal"].iter().any(|file| {
            std::fs::read(dir.join(file))
                .unwrap_or_default()
                .windows(4)
                .any(|w| w == b"tok1")
        })
    };
    assert!(
        holds_token(dir.path()),
        "the store holds the token while signed in"
    );

    let outcome = client.logout().expect("logout");

    assert!(outcome.revoked_on_server);
    assert_eq!(outcome.discarded_changes, 1);
    assert!(!client.status().expect("status").logged_in);
    assert!(!holds_token(dir.path()), "the token is gone from the files");
    drop(client);
    let reopened = family.open(dir.path());
    assert!(!reopened.status().expect("status").logged_in);
    reopened
        .login("http://fake", "camille", "secret", "Pixel")
        .expect("login again");
    assert!(reopened.dossier().expect("dossier").children.is_empty());
    assert!(
        reopened
            .planning(Some(SchoolYear(2026)))
            .expect("planning")
            .is_empty()
    );
}

#[test]
fn logging_in_twice_is_refused() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    assert!(matches!(
        client.login("http://fake", "camille", "secret", "Pixel"),
        Err(Error::AlreadyLoggedIn)
    ));
}

#[test]
fn the_client_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<crate::Client>();
}

#[test]
fn a_submission_is_durable_offline_and_later_edits_are_flagged() {
    use crate::ReviewStatus;
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    assert_eq!(client.dossier_review().expect("review"), None);

    client
        .set_child_field(LEA, "doctor", "Dr Lambert")
        .expect("edit");
    client.submit_dossier().expect("submit offline");
    drop(client); // killed before any sync

    let reopened = family.open(dir.path());
    let review = reopened
        .dossier_review()
        .expect("review")
        .expect("submitted");
    assert_eq!(review.status, ReviewStatus::Sent);
    assert_eq!(review.submitted_at_ms, Some(super::NOV_20_MS));
    assert!(!review.changed_since_submission);
    assert!(!review.approval_in_force);

    reopened
        .set_adult_field(CAMILLE, "mobile_phone", "06 12 34 56 78")
        .expect("edit after submitting");
    let review = reopened
        .dossier_review()
        .expect("review")
        .expect("submitted");
    assert!(review.changed_since_submission);
    reopened.sync().expect("sync");
    let on_server = family.server.dossier().submission.expect("received");
    assert_eq!(Some(on_server.at_ms), review.submitted_at_ms);
}
