//! Retention and erasure (CNIL): erasing a family leaves nothing of its personal data in the
//! database, the synced documents' histories or the data folder, and keeps its accounting; the
//! purge removes a departed child's health data from the dossier and its history while its
//! brother's stay, by the settings' periods and the server's clock.

use cartable_core::domain::dossier::Dossier;
use cartable_domain::push::PushKind;
use cartable_server::retention::{self, erase};
use cartable_server::settings::Settings;
use cartable_tests::billing::{child, issue, mark, post_ok, put_ok};
use cartable_tests::family::{family_token, get, paris, signed_in, staff_token};
use cartable_tests::push_service::{PushService, server_key, subscribe};
use cartable_tests::traces::places_holding;
use cartable_tests::{Device, SeedFamily, TestServer, backends};
use jiff::civil::date;
use serde_json::json;
use sqlx::Row;

fn long_sessions(s: &mut Settings) {
    s.family_session_idle_secs = 20 * 365 * 24 * 3600;
    s.family_session_max_secs = 20 * 365 * 24 * 3600;
}

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {marker}\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n")
        .into_bytes()
}

fn count(server: &TestServer, sql: &'static str, family_id: &str) -> i64 {
    server.count(sql, family_id)
}

fn first_adult(server: &TestServer, family: &SeedFamily) -> String {
    server.block_on(async {
        sqlx::query("SELECT adult_id FROM adults WHERE family_id = $1 ORDER BY adult_id")
            .bind(&family.family_id)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("an adult")
            .get::<String, _>("adult_id")
    })
}

/// A family's phone with its dossier holding `marker` (an allergy, a doctor, an address), a
/// submitted dossier, a booking, a document sent and a push subscription.
fn personal_data(
    server: &TestServer,
    family: &SeedFamily,
    device: &Device,
    service: &PushService,
    marker: &str,
) -> cartable_core::Client {
    let client = signed_in(server, family, 0, device);
    let lea = child(family, "Léa");
    client
        .set_child_field(&lea, "allergies", &format!("arachide-{marker}"))
        .expect("allergies");
    client
        .set_child_field(&lea, "doctor", &format!("Dr {marker}"))
        .expect("doctor");
    client
        .set_adult_field(
            &first_adult(server, family),
            "address",
            &format!("3 rue {marker}"),
        )
        .expect("address");
    client.submit_dossier().expect("submit");
    client
        .book(&lea, date(2026, 12, 17), "cantine")
        .expect("book");
    client
        .queue_document(
            &format!("attestation-{marker}.pdf"),
            &pdf(marker),
            "insurance",
            None,
            None,
        )
        .expect("queue");
    client.sync().expect("sync");
    subscribe(&client, service, marker, &PushKind::ALL);
    client
}

#[test]
fn erasing_a_family_leaves_none_of_its_personal_data_and_keeps_its_accounting() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, long_sessions);
        server.clock.set(paris(date(2026, 12, 16), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(&server, &seed);
        put_ok(
            &server,
            &token,
            "/api/v1/staff/catalogue/activities/cantine/tariff",
            json!({"price": {"kind": "flat", "cents": 400},
                   "unbooked_presence": {"kind": "extra", "cents": 100}}),
        );
        let marks: Vec<(&str, &str)> = seed
            .families
            .iter()
            .flat_map(|f| f.children.iter().map(|(id, _)| (id.as_str(), "present")))
            .collect();
        mark(&server, &token, "2026-11-02", "cantine", &marks);
        issue(&server, &token, "2026-11");
        let (gone, stays) = (&seed.families[0], &seed.families[1]);
        let number: String = server.block_on(async {
            sqlx::query("SELECT number FROM invoices WHERE family_id = $1")
                .bind(&gone.family_id)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("the family's invoice")
                .get("number")
        });
        post_ok(
            &server,
            &token,
            "/api/v1/staff/payments",
            json!({"family_id": gone.family_id, "method": "cheque", "amount_cents": 1000,
                   "invoice_number": number, "reference": "chèque n° 42"}),
        );
        let service = PushService::start(&server_key(&server));
        let (phone, other_phone) = (Device::new(), Device::new());
        let client = personal_data(&server, gone, &phone, &service, "Quetzalcoatl7");
        let other = personal_data(&server, stays, &other_phone, &service, "Xochipilli9");
        let family_token = family_token(&server, gone, 1);
        assert!(!places_holding(&server, "Quetzalcoatl7").is_empty());
        let invoices = count(
            &server,
            "SELECT COUNT(*) FROM invoices WHERE family_id = $1",
            &gone.family_id,
        );
        assert!(invoices >= 1);
        let billing_name: String = server.block_on(async {
            let content: String = sqlx::query("SELECT content FROM invoices WHERE family_id = $1")
                .bind(&gone.family_id)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("invoice")
                .get("content");
            let v: serde_json::Value = serde_json::from_str(&content).expect("JSON");
            v["family"]["billing_name"]
                .as_str()
                .expect("billing name")
                .to_string()
        });

        let erasure = server
            .block_on(erase::erase_family(&server.state, &gone.parents[1].login))
            .expect("erase");
        assert!(!erasure.already_erased);
        assert_eq!(erasure.accounts, 2);
        assert!(
            erasure.devices >= 1 && erasure.documents >= 2,
            "{erasure:?}"
        );
        assert_eq!(erasure.supporting_documents, 1);
        assert_eq!(erasure.push_subscriptions, 1);
        assert_eq!(erasure.invoices_kept, invoices as u64);
        assert_eq!(erasure.payments_kept, 1);
        assert_eq!(erasure.kept_name, billing_name);

        // Nothing personal is left, anywhere: tables, document histories, files.
        assert_eq!(
            places_holding(&server, "Quetzalcoatl7"),
            Vec::<String>::new()
        );
        for (sql, what) in [
            (
                "SELECT COUNT(*) FROM accounts WHERE family_id = $1",
                "logins",
            ),
            (
                "SELECT COUNT(*) FROM documents WHERE family_id = $1",
                "documents",
            ),
            (
                "SELECT COUNT(*) FROM children WHERE family_id = $1",
                "children",
            ),
            ("SELECT COUNT(*) FROM adults WHERE family_id = $1", "adults"),
            (
                "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1",
                "bookings",
            ),
            (
                "SELECT COUNT(*) FROM attendance WHERE family_id = $1",
                "attendance",
            ),
            (
                "SELECT COUNT(*) FROM dossier_versions WHERE family_id = $1",
                "versions",
            ),
            (
                "SELECT COUNT(*) FROM supporting_documents WHERE family_id = $1",
                "documents sent",
            ),
            (
                "SELECT COUNT(*) FROM push_subscriptions WHERE family_id = $1",
                "push",
            ),
        ] {
            assert_eq!(count(&server, sql, &gone.family_id), 0, "{what}");
        }
        // Accounting stays, under the name on the invoices.
        assert_eq!(
            count(
                &server,
                "SELECT COUNT(*) FROM invoices WHERE family_id = $1",
                &gone.family_id
            ),
            invoices
        );
        assert_eq!(
            count(
                &server,
                "SELECT COUNT(*) FROM payments WHERE family_id = $1",
                &gone.family_id
            ),
            1
        );
        let kept: String = server.block_on(async {
            sqlx::query("SELECT name FROM families WHERE id = $1")
                .bind(&gone.family_id)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("family row")
                .get("name")
        });
        assert_eq!(kept, billing_name);
        let ledger = get(
            &server,
            Some(&token),
            &format!("/api/v1/staff/families/{}/ledger", gone.family_id),
        );
        assert_ne!(ledger.status, 500, "{}", ledger.text());
        // The places its booking held are free again, as a rebuild counts them.
        let held = server.block_on(async {
            sqlx::query(
                "SELECT CAST(COALESCE(SUM(taken), 0) AS BIGINT) AS n FROM activity_places \
                 WHERE day = '2026-12-17'",
            )
            .fetch_one(&server.state.db.pool)
            .await
            .expect("places")
            .get::<i64, _>("n")
        });
        assert_eq!(held, 1, "only the other family's booking holds a place");
        // Audited, and the family's tokens answer 401.
        assert_eq!(
            count(
                &server,
                "SELECT COUNT(*) FROM audit_log WHERE family_id = $1 AND action = 'erase_family'",
                &gone.family_id
            ),
            1
        );
        assert_eq!(
            get(&server, Some(&family_token), "/api/v1/documents").status,
            401
        );
        assert!(
            client.sync().is_err(),
            "the erased family's phone is signed out"
        );

        // The other family is untouched and keeps syncing.
        other.sync().expect("the other family syncs");
        assert!(
            places_holding(&server, "Xochipilli9")
                .iter()
                .any(|p| p == "table children"),
            "the other family's dossier is still there"
        );

        // A second run is harmless.
        let again = server
            .block_on(erase::erase_family(&server.state, &gone.family_id))
            .expect("erase again");
        assert!(again.already_erased);
        assert_eq!((again.accounts, again.documents, again.files), (0, 0, 0));
        assert_eq!(again.invoices_kept, invoices as u64);
        assert!(
            server
                .block_on(erase::erase_family(&server.state, "personne.inconnue"))
                .is_err()
        );
    }
}

#[test]
fn the_purge_removes_a_departed_childs_health_data_from_the_dossier_and_its_history() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, long_sessions);
        server.clock.set(paris(date(2026, 12, 16), 9, 0));
        let seed = server.seed(1);
        let family = &seed.families[0];
        let (lea, hugo) = (child(family, "Léa"), child(family, "Hugo"));
        let phone = Device::new();
        let client = signed_in(&server, family, 0, &phone);
        client
            .set_child_field(&lea, "allergies", "arachide-Tlaloc3")
            .expect("allergies");
        client
            .set_child_field(&lea, "doctor", "Dr Tlaloc3")
            .expect("doctor");
        client
            .set_child_field(&hugo, "allergies", "kiwi-Mictlan5")
            .expect("allergies");
        client.submit_dossier().expect("submit");
        client
            .queue_document(
                "certificat.pdf",
                &pdf("Tlaloc3"),
                "medical_note",
                Some(&lea),
                None,
            )
            .expect("queue");
        client.sync().expect("sync");
        let token = staff_token(&server, &seed);
        post_ok(
            &server,
            &token,
            &format!("/api/v1/staff/dossiers/{}/approve", family.family_id),
            json!({}),
        );
        // Léa changes her allergy once more: the old value stays in the history.
        client
            .set_child_field(&lea, "allergies", "arachide-Tlaloc3, noix")
            .expect("allergies");
        client.sync().expect("sync");

        // Thirteen months later Léa has left; Hugo still comes to the canteen.
        server.clock.set(paris(date(2028, 1, 18), 9, 0));
        let token = staff_token(&server, &seed);
        mark(
            &server,
            &token,
            "2028-01-18",
            "cantine",
            &[(&hugo, "present")],
        );
        client.sync().expect("sync after a year");

        let dry = server
            .block_on(retention::purge(&server.state, true))
            .expect("dry run");
        assert!(dry.dry_run);
        assert_eq!(
            (dry.health_children, dry.health_documents),
            (1, 1),
            "{dry:?}"
        );
        assert_eq!(dry.families_erased, 0);
        assert!(
            !places_holding(&server, "Tlaloc3").is_empty(),
            "a dry run changes nothing"
        );

        let report = server
            .block_on(retention::purge(&server.state, false))
            .expect("purge");
        assert_eq!(
            (report.health_children, report.health_documents),
            (1, 1),
            "{report:?}"
        );
        assert_eq!(
            (report.families_erased, report.documents),
            (0, 0),
            "{report:?}"
        );
        assert!(report.files >= 1);
        assert_eq!(places_holding(&server, "Tlaloc3"), Vec::<String>::new());
        assert!(
            places_holding(&server, "Mictlan5")
                .iter()
                .any(|p| p == "table children"),
            "Hugo's allergy stays"
        );
        assert!(
            count(
                &server,
                "SELECT COUNT(*) FROM audit_log WHERE structure_id = $1 AND action = 'retention_purge'",
                &seed.structure_id
            ) >= 1
        );

        // The phone forgets the old dossier and takes the rewritten one; the family goes on.
        client.sync().expect("sync after the purge");
        let dossier: Dossier = client.dossier().expect("dossier");
        assert!(dossier.children[&lea].allergies.is_empty());
        assert!(dossier.children[&lea].doctor.is_empty());
        assert_eq!(
            dossier.children[&hugo].allergies,
            vec!["kiwi-Mictlan5".to_string()]
        );
        assert!(dossier.review.is_some_and(|r| r.approved_at_ms.is_some()));
        client
            .set_child_field(&hugo, "allergies", "kiwi, lait")
            .expect("allergies");
        client.submit_dossier().expect("submit again");
        client.sync().expect("sync the new submission");
        let review = get(
            &server,
            Some(&token),
            &format!("/api/v1/staff/dossiers/{}", family.family_id),
        );
        assert_eq!(review.status, 200, "{}", review.text());
        assert!(review.text().contains("lait"));
        assert!(!review.text().contains("Tlaloc3"));

        // A second purge finds nothing more of Léa's.
        let again = server
            .block_on(retention::purge(&server.state, false))
            .expect("purge again");
        assert_eq!(
            (again.health_children, again.health_documents),
            (0, 0),
            "{again:?}"
        );
    }
}
