//! What a family is told, and what is never in a notification: the events of a family's
//! file and its invoices reach the parents' phones (the one that already has the answer
//! excepted), each notification is written on the phone from its own data, and a child's
//! allergy planted in the dossier never appears in any push body, decrypted payload or
//! server log.

use cartable_domain::calendar::format_date_fr;
use cartable_domain::push::{PushEvent, PushKind};
use cartable_tests::billing::{issue, mark, put_ok};
use cartable_tests::family::{paris, signed_in, staff_token};
use cartable_tests::push_service::{PushService, server_key, subscribe};
use cartable_tests::{Device, on_each_backend, staff};
use jiff::civil::date;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ALLERGY: &str = "arachide-et-kiwi-PLANTE";
const WAIT: Duration = Duration::from_secs(20);
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// Every log line of the process, kept for the leak check.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[test]
fn family_events_reach_the_other_phones_and_no_health_data_is_in_any_push_or_log() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(move || writer.clone())
        .init();
    on_each_backend(|server| {
        let monday = date(2026, 11, 30);
        server.clock.set(paris(monday, 10, 0));
        let seed = server.seed(1);
        let family = &seed.families[0];
        let token = staff_token(server, &seed);
        let (status, body) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/activities/cantine",
            Some(&token),
            Some(&json!({
                "name": "Restauration scolaire", "kind": "canteen",
                "weekdays": [1, 2, 3, 4, 5], "start_time": "11:30",
                "booking_rules": [{"kind": "days_before", "days": 1, "at": "15:00"}],
                "cancel_rules": [],
            })),
        );
        assert_eq!(status, 200, "{body}");
        let service = PushService::start(&server_key(server));
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let a = signed_in(server, family, 0, &phone_a);
        let b = signed_in(server, family, 1, &phone_b);
        subscribe(&a, &service, "a", &PushKind::ALL);
        subscribe(&b, &service, "b", &PushKind::ALL);
        let (lea, _) = family
            .children
            .iter()
            .find(|(_, name)| name == "Léa")
            .expect("Léa");
        a.set_child_field(lea, "allergies", ALLERGY)
            .expect("plant the allergy");
        a.sync().expect("sync");

        // B books today's lunch after yesterday's 15:00 deadline, insisting past the phone's
        // own refusal: refused. B's sync answers with the refusal; A is told by push.
        b.book_insisting(lea, monday, "cantine").expect("book");
        b.sync().expect("sync");
        assert!(service.wait_until(WAIT, |r| r.len() == 1));
        let refused = service.delivered_to("a");
        assert_eq!(refused.len(), 1, "the other parent is told");
        assert_eq!(refused[0].urgency, "high");
        assert_eq!(refused[0].topic, "booking");
        let shown = a.receive_push(&refused[0].body).expect("receive");
        assert_eq!(shown.payload.event, PushEvent::BookingRefused);
        assert_eq!(shown.notification.title, "Réservation refusée");
        assert!(
            shown
                .notification
                .body
                .starts_with("Restauration scolaire de Léa le lundi 30 novembre 2026 : "),
            "{}",
            shown.notification.body
        );

        // A document sent, then accepted by staff.
        a.queue_document(
            "assurance.pdf",
            PDF,
            "insurance",
            None,
            Some(date(2027, 8, 31)),
        )
        .expect("queue");
        a.send_documents().expect("send");
        let docs = a.documents().expect("list");
        let doc_id = docs[0].server_id.clone().expect("sent");
        let (status, body) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/documents/{doc_id}/accept"),
            Some(&token),
            None,
        );
        assert_eq!(status, 200, "{body}");
        assert!(service.wait_until(WAIT, |r| r.len() == 3));
        let accepted = service.delivered_to("b").pop().expect("to b");
        let shown = b.receive_push(&accepted.body).expect("receive");
        assert_eq!(shown.notification.title, "Justificatif accepté");
        assert_eq!(
            shown.notification.body,
            "Attestation d'assurance : accepté par la structure."
        );

        // The dossier sent for review and rejected.
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");
        let (status, body) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/dossiers/{}/reject", family.family_id),
            Some(&token),
            Some(&json!({"reason": "Numéro de téléphone manquant"})),
        );
        assert_eq!(status, 200, "{body}");
        assert!(service.wait_until(WAIT, |r| r.len() == 5));
        let rejected = service.delivered_to("a").pop().expect("to a");
        let shown = a.receive_push(&rejected.body).expect("receive");
        assert_eq!(shown.payload.event, PushEvent::DossierRejected);
        assert_eq!(
            shown.notification.body,
            "Votre dossier est à compléter : Numéro de téléphone manquant"
        );

        // November invoiced: both children came once without a booking (€4 + €1 each).
        put_ok(
            server,
            &token,
            "/api/v1/staff/catalogue/activities/cantine/tariff",
            json!({"price": {"kind": "flat", "cents": 400},
                   "unbooked_presence": {"kind": "extra", "cents": 100}}),
        );
        let marks: Vec<(&str, &str)> = family
            .children
            .iter()
            .map(|(id, _)| (id.as_str(), "present"))
            .collect();
        mark(server, &token, "2026-11-02", "cantine", &marks);
        issue(server, &token, "2026-11");
        assert!(service.wait_until(WAIT, |r| r.len() == 7));
        let invoiced = service.delivered_to("b").pop().expect("to b");
        assert_eq!(
            (invoiced.topic.as_str(), invoiced.urgency.as_str()),
            ("invoice", "normal")
        );
        let shown = b.receive_push(&invoiced.body).expect("receive");
        assert_eq!(shown.payload.event, PushEvent::InvoiceIssued);
        assert_eq!(shown.notification.title, "Nouvelle facture");
        let invoice = b.invoices().expect("invoices").pop().expect("one invoice");
        assert_eq!(
            shown.notification.body,
            format!(
                "Facture F2026-000001 de novembre 2026 : 10,00\u{a0}€, à régler avant le {}.",
                format_date_fr(invoice.due_on.parse().expect("due date"))
            )
        );

        // Nothing personal anywhere: bodies, decrypted payloads, logs.
        for r in service.received() {
            assert!(!String::from_utf8_lossy(&r.body).contains(ALLERGY));
            let client = if r.device == "a" { &a } else { &b };
            let payload = client.open_push(&r.body).expect("decrypt");
            let json = serde_json::to_value(&payload).expect("json");
            let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
            assert!(
                keys.iter()
                    .all(|k| ["v", "event", "docs", "at_ms", "subject"].contains(&k.as_str())),
                "{json}"
            );
            let text = json.to_string();
            for secret in [
                ALLERGY,
                "Léa",
                "Numéro de téléphone",
                "Restauration",
                "assurance",
                "10,00",
                "novembre",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
        assert!(!logs.text().is_empty(), "logs are captured");
        assert!(
            !logs.text().contains(ALLERGY),
            "the allergy never reaches the logs"
        );
        assert_eq!(service.violations(), Vec::<String>::new());
    });
}
