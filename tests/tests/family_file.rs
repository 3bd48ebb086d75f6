//! What the family's file unlocks: bookings refused for an unapproved dossier or a missing
//! document are decided again once staff approve or accept, judged by the deadlines of the
//! moment the family booked; a requested certificate is no longer asked for once sent.

use cartable_core::domain::planning::RequestState;
use cartable_core::{Client, ReviewStatus};
use cartable_tests::family::{paris, signed_in, staff_token};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

fn send(server: &TestServer, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    staff::send(&server.url, method, path, Some(token), Some(&body))
}

/// A Wednesday centre: book by the Friday before at 12:00, with extra conditions.
fn centre(server: &TestServer, token: &str, extra: Value) {
    let mut activity = json!({
        "name": "Accueil du mercredi",
        "kind": "wednesday_centre",
        "weekdays": [3],
        "booking_rules": [{"kind": "weekday_of_previous_week", "weekday": 5, "at": "12:00",
                           "weeks_before": 0}],
    });
    if let (Some(a), Some(e)) = (activity.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    let (status, body) = send(
        server,
        token,
        "PUT",
        "/api/v1/staff/catalogue/activities/mercredi",
        activity,
    );
    assert_eq!(status, 200, "{body}");
}

fn state_on(client: &Client, day: Date) -> RequestState {
    client
        .planning(None)
        .expect("planning")
        .into_iter()
        .find(|e| e.date == day)
        .map(|e| e.state)
        .expect("a request that day")
}

fn refused_reason(client: &Client, day: Date) -> String {
    match state_on(client, day) {
        RequestState::Refused { reason } => reason,
        other => panic!("refused expected on {day}, got {other:?}"),
    }
}

#[test]
fn bookings_refused_for_an_unapproved_dossier_are_accepted_once_staff_approve_it() {
    on_each_backend(|server| {
        // Thursday 26 November 2026: Wednesday 2 December closes on Friday 27 at 12:00.
        server.clock.set(paris(date(2026, 11, 26), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        centre(server, &token, json!({"requires_approved_dossier": true}));
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let child = &family.children[0].0;
        let (open, next) = (date(2026, 12, 2), date(2026, 12, 9));
        for day in [open, next] {
            client.book(child, day, "mercredi").expect("book");
        }
        client.sync().expect("sync");
        for day in [open, next] {
            assert!(
                refused_reason(&client, day).starts_with("Dossier non validé"),
                "{day}"
            );
        }

        client.submit_dossier().expect("submit");
        client.sync().expect("sync");
        // Staff answer after the booking deadline of the 2nd (signed in again: staff sessions
        // end after half an hour unused): the family booked in time.
        server.clock.set(paris(date(2026, 12, 1), 9, 0));
        let token = staff_token(server, &seed);
        let (status, body) = send(
            server,
            &token,
            "POST",
            &format!("/api/v1/staff/dossiers/{}/approve", family.family_id),
            json!({}),
        );
        assert_eq!(status, 200, "{body}");
        client.sync().expect("sync");
        assert_eq!(state_on(&client, open), RequestState::Accepted);
        assert_eq!(state_on(&client, next), RequestState::Accepted);
        assert_eq!(
            server.count(
                "SELECT taken FROM activity_places WHERE activity_id = 'mercredi' AND day = $1",
                "2026-12-02"
            ),
            1,
            "the accepted booking holds its place"
        );
    });
}

#[test]
fn a_day_already_past_stays_refused_and_a_full_day_stays_full() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 26), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        centre(
            server,
            &token,
            json!({"requires_approved_dossier": true, "capacity": 1}),
        );
        let (ours, theirs) = (&seed.families[0], &seed.families[1]);
        let phone = Device::new();
        let client = signed_in(server, ours, 0, &phone);
        let (first, second) = (date(2026, 12, 2), date(2026, 12, 9));
        for day in [first, second] {
            client
                .book(&ours.children[0].0, day, "mercredi")
                .expect("book");
        }
        client.submit_dossier().expect("submit");
        client.sync().expect("sync");

        // The other family, already approved, takes the only place of the 9th meanwhile.
        let other_phone = Device::new();
        let other = signed_in(server, theirs, 0, &other_phone);
        other.submit_dossier().expect("submit");
        other.sync().expect("sync");
        let approve = |token: &str, family_id: &str| {
            let (status, body) = send(
                server,
                token,
                "POST",
                &format!("/api/v1/staff/dossiers/{family_id}/approve"),
                json!({}),
            );
            assert_eq!(status, 200, "{body}");
        };
        approve(&token, &theirs.family_id);
        other
            .book(&theirs.children[0].0, second, "mercredi")
            .expect("book");
        other.sync().expect("sync");
        assert_eq!(state_on(&other, second), RequestState::Accepted);

        // Approved only on the 3rd: the 2nd is past, the 9th is full.
        server.clock.set(paris(date(2026, 12, 3), 9, 0));
        approve(&staff_token(server, &seed), &ours.family_id);
        client.sync().expect("sync");
        assert!(refused_reason(&client, first).starts_with("Dossier non validé"));
        assert!(refused_reason(&client, second).starts_with("Complet"));
    });
}

#[test]
fn an_accepted_insurance_certificate_lets_the_refused_booking_through() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 26), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        centre(server, &token, json!({"required_documents": ["insurance"]}));
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let day = date(2026, 12, 2);
        client
            .book(&family.children[0].0, day, "mercredi")
            .expect("book");
        client
            .queue_document(
                "assurance.pdf",
                PDF,
                "insurance",
                None,
                Some(date(2027, 8, 31)),
            )
            .expect("queue");
        client.sync().expect("sync");
        assert!(refused_reason(&client, day).contains("attestation d'assurance"));

        let id = client.documents().expect("documents")[0]
            .server_id
            .clone()
            .expect("sent");
        let (status, body) = send(
            server,
            &token,
            "POST",
            &format!("/api/v1/staff/documents/{id}/accept"),
            json!({}),
        );
        assert_eq!(status, 200, "{body}");
        client.sync().expect("sync");
        assert_eq!(state_on(&client, day), RequestState::Accepted);
    });
}

#[test]
fn a_requested_qf_certificate_is_no_longer_asked_for_once_sent() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let account = client.account().expect("account").account_id;
        let me = client
            .dossier()
            .expect("dossier")
            .adults
            .into_iter()
            .find(|(_, a)| a.account_id.as_deref() == Some(account.as_str()))
            .map(|(id, _)| id)
            .expect("own sheet");
        client
            .set_adult_field(&me, "quotient_familial", "640")
            .expect("QF");
        client.submit_dossier().expect("submit");
        client.sync().expect("sync");
        let review = client.dossier_review().expect("review").expect("submitted");
        assert_eq!(review.status, ReviewStatus::Pending);
        assert_eq!(review.requested_documents, ["qf_certificate"]);

        client
            .queue_document("attestation-caf.pdf", PDF, "qf_certificate", None, None)
            .expect("queue");
        client.sync().expect("sync sends the certificate");
        client.sync().expect("sync brings the cleared request");
        let review = client.dossier_review().expect("review").expect("submitted");
        assert!(review.requested_documents.is_empty(), "{review:?}");
        let (status, view) = staff::send(
            &server.url,
            "GET",
            &format!("/api/v1/staff/dossiers/{}", family.family_id),
            Some(&token),
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(view["qf_certificate_needed"], false, "{view:#}");
        assert_eq!(view["requested_documents"], json!([]));
    });
}
