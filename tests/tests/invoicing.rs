//! Mes Factures end to end: a real month invoiced to the cent, PDFs, numbering under
//! concurrency (two runs, two server processes), credit notes, payments, the ledger on the
//! phone offline.

use cartable_core::domain::api::{DeviceSummary, LoginRequest, LoginResponse};
use cartable_core::domain::protocol::{SyncRequest, SyncResponse};
use cartable_tests::billing::{
    child, get_bytes, get_ok, issue, mark, martin_family, pdf_text, post_ok, put_ok,
};
use cartable_tests::family::{paris, staff_token};
use cartable_tests::{Backend, Device, TestServer, on_each_backend, staff};
use jiff::civil::{Date, date};
use serde_json::{Value, json};

/// Canteen (Mon, Tue, Thu, Fri) priced by QF band, 10 % off for the second child, a €13 meal
/// without booking, cancellable until the day before at noon, absences free when declared
/// before 10:00 the day before; Wednesday centre at €12 a day.
fn configure(server: &TestServer, token: &str) {
    let mut catalogue = get_ok(server, token, "/api/v1/staff/catalogue");
    let mut canteen = catalogue["activities"]["cantine"].take();
    canteen["cancel_rules"] = json!([{"kind": "days_before", "days": 1, "at": "12:00"}]);
    canteen["absence"] = json!({"same_day_billed": true, "free_before": "10:00"});
    put_ok(
        server,
        token,
        "/api/v1/staff/catalogue/activities/cantine",
        canteen,
    );
    put_ok(
        server,
        token,
        "/api/v1/staff/catalogue/activities/cantine/tariff",
        json!({
            "price": {"kind": "qf_bands", "bands": [
                {"from_qf": 0, "cents": 100}, {"from_qf": 600, "cents": 305},
                {"from_qf": 1000, "cents": 310}, {"from_qf": 1500, "cents": 315}]},
            "sibling": {"kind": "percent_off", "by_rank": [0, 10]},
            "unbooked_presence": {"kind": "fixed_price", "cents": 1300},
        }),
    );
    put_ok(
        server,
        token,
        "/api/v1/staff/catalogue/activities/mercredi/tariff",
        json!({"price": {"kind": "flat", "cents": 1200}}),
    );
    put_ok(
        server,
        token,
        "/api/v1/staff/catalogue/billing",
        json!({
            "issuer": {
                "legal_name": "Mairie de Test — Régie périscolaire",
                "siret": "21440000000017",
                "address": "1 place de la Mairie, 44000 Testville",
            },
            "payment_days": 15,
        }),
    );
}

fn canteen_days_of_november() -> Vec<Date> {
    date(2026, 11, 1)
        .series(jiff::Span::new().days(1))
        .take_while(|d| d.month() == 11)
        .filter(|d| [1, 2, 4, 5].contains(&d.weekday().to_monday_one_offset()))
        .collect()
}

fn line(lines: &[Value], child: &str, activity: &str, kind: &str) -> (u64, i64, i64) {
    let l = lines
        .iter()
        .find(|l| {
            l["child_name"]
                .as_str()
                .is_some_and(|n| n.starts_with(child))
                && l["activity_id"] == activity
                && l["kind"] == kind
        })
        .unwrap_or_else(|| panic!("no {kind} line for {child} at {activity}: {lines:#?}"));
    (
        l["quantity"].as_u64().unwrap_or(0),
        l["unit_cents"].as_i64().unwrap_or(0),
        l["total_cents"].as_i64().unwrap_or(0),
    )
}

#[test]
fn a_real_month_of_two_children_is_invoiced_to_the_cent_and_printed() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 10, 20), 10, 0));
        let seed = martin_family(server);
        let token = staff_token(server, &seed);
        configure(server, &token);
        let family = &seed.families[0];
        let (lea, hugo) = (child(family, "Léa"), child(family, "Hugo"));
        // QF 700 known in October: it applies from November.
        put_ok(
            server,
            &token,
            &format!("/api/v1/staff/families/{}/quotient", family.family_id),
            json!({"qf": 700}),
        );

        let phone = Device::new();
        let client = cartable_tests::family::signed_in(server, family, 0, &phone);
        for d in canteen_days_of_november() {
            client.book(&lea, d, "cantine").expect("book Léa");
        }
        for d in [date(2026, 11, 2), date(2026, 11, 3)] {
            client.book(&hugo, d, "cantine").expect("book Hugo");
        }
        // 11 November is a public holiday: that booking is refused, the others accepted. The
        // phone refuses it in advance; insisting sends it for the server to refuse.
        for d in [date(2026, 11, 4), date(2026, 11, 18)] {
            client.book(&lea, d, "mercredi").expect("book Wednesday");
        }
        let holiday = date(2026, 11, 11);
        assert!(matches!(
            client.book(&lea, holiday, "mercredi"),
            Err(cartable_core::Error::WouldBeRefused { .. })
        ));
        client
            .book_insisting(&lea, holiday, "mercredi")
            .expect("book the holiday anyway");
        client.sync().expect("sync bookings");

        // Léa is sick on Thursday 5: declared on Tuesday 3 at 09:00, in time.
        server.clock.set(paris(date(2026, 11, 3), 9, 0));
        client
            .declare_absence(&lea, date(2026, 11, 5), date(2026, 11, 5), "malade", None)
            .expect("absence");
        client.sync().expect("sync absence");
        // A new QF in mid-November applies from December only.
        server.clock.set(paris(date(2026, 11, 14), 10, 0));
        // Days later staff sign in again (sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        put_ok(
            server,
            &token,
            &format!("/api/v1/staff/families/{}/quotient", family.family_id),
            json!({"qf": 1600}),
        );
        // Friday 20 withdrawn on Thursday 19 at 14:00, after the noon deadline: kept, billed.
        server.clock.set(paris(date(2026, 11, 19), 14, 0));
        // Days later staff sign in again (sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        client
            .cancel(&lea, date(2026, 11, 20), "cantine")
            .expect("late withdrawal");
        client.sync().expect("sync withdrawal");
        // Attendance: Léa absent without a word on Friday 6, Hugo there without a booking
        // on Monday 9.
        mark(server, &token, "2026-11-06", "cantine", &[(&lea, "absent")]);
        mark(
            server,
            &token,
            "2026-11-09",
            "cantine",
            &[(&hugo, "present")],
        );

        server.clock.set(paris(date(2026, 12, 16), 9, 0));
        // Days later staff sign in again (sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        let preview = get_ok(server, &token, "/api/v1/staff/invoicing/2026-11/preview");
        assert_eq!(
            preview["families"].as_array().map(Vec::len),
            Some(1),
            "{preview}"
        );
        let report = issue(server, &token, "2026-11");
        assert_eq!(report["issued"], json!(["F2026-000001"]), "{report}");

        // The invoice a town hall expects, written by hand.
        let detail = get_ok(server, &token, "/api/v1/staff/invoices/F2026-000001");
        let lines = detail["content"]["lines"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(lines.len(), 6, "{lines:#?}");
        // Hugo is the second child: 3.05 € − 10 % = 2.745 € → 2.75 €.
        assert_eq!(line(&lines, "Hugo", "cantine", "booked"), (2, 275, 550));
        assert_eq!(
            line(&lines, "Hugo", "cantine", "unbooked_presence"),
            (1, 1300, 1300)
        );
        // 17 canteen days in November, the 20th withdrawn too late, the 5th refunded; the
        // 6th (absent without notice) is billed.
        assert_eq!(line(&lines, "Léa", "cantine", "booked"), (16, 305, 4880));
        assert_eq!(
            line(&lines, "Léa", "cantine", "late_cancellation"),
            (1, 305, 305)
        );
        assert_eq!(
            line(&lines, "Léa", "cantine", "absence_refund"),
            (1, -305, -305)
        );
        // Two Wednesdays: the 11th is a public holiday.
        assert_eq!(line(&lines, "Léa", "mercredi", "booked"), (2, 1200, 2400));
        assert_eq!(detail["content"]["total_cents"], 9130);
        assert_eq!(detail["summary"]["status"], "unpaid");
        assert_eq!(detail["summary"]["due_on"], "2026-12-31");

        let pdf = get_bytes(server, &token, "/api/v1/staff/invoices/F2026-000001/pdf");
        assert_eq!(pdf.header("content-type"), "application/pdf");
        if let Some(text) = pdf_text(&pdf.body) {
            for expected in [
                "Facture n° F2026-000001",
                "Mairie de Test — Régie périscolaire",
                "SIRET 21440000000017",
                "Camille Martin",
                "Famille Martin",
                "novembre 2026",
                "Léa Martin",
                "Hugo Martin",
                "Restauration scolaire — jours réservés",
                "Restauration scolaire — annulations hors délai",
                "Restauration scolaire — présences sans réservation",
                "Restauration scolaire — absences non facturées",
                "Accueil de loisirs du mercredi — jours réservés",
                "13,00 €",
                "-3,05 €",
                "Total à payer",
                "91,30 €",
                "Voies et délais de recours",
                "jeudi 31 décembre 2026",
            ] {
                assert!(text.contains(expected), "« {expected} » missing:\n{text}");
            }
        }

        // The phone, offline after one sync: the invoice, the balance, prices by month.
        client.sync().expect("sync ledger");
        let invoices = client.invoices().expect("invoices");
        assert_eq!(invoices.len(), 1);
        assert_eq!(invoices[0].number, "F2026-000001");
        assert_eq!(invoices[0].total_cents, 9130);
        assert_eq!(invoices[0].status, "unpaid");
        let balance = client.balance().expect("balance");
        assert_eq!(balance.balance_cents, -9130);
        assert_eq!(balance.label, "Solde : -91,30\u{a0}€ (à payer)");
        let november = client
            .booking_price(&lea, date(2026, 11, 30), "cantine")
            .expect("price");
        assert_eq!(
            (november.cents, november.basis.as_str()),
            (305, "QF 600 à 999")
        );
        let december = client
            .booking_price(&lea, date(2026, 12, 3), "cantine")
            .expect("price");
        assert_eq!(december.cents, 315);
        let wednesday = client
            .booking_price(&lea, date(2026, 12, 2), "mercredi")
            .expect("price");
        assert_eq!(wednesday.label, "12,00\u{a0}€");
        let free = client
            .booking_price(&lea, date(2026, 12, 3), "garderie-matin")
            .expect("price");
        assert!(!free.billed);
    });
}

/// Two children each present once without a booking at a €4 canteen (+€1): €10 a family.
fn one_line_per_family(server: &TestServer, token: &str, seed: &cartable_tests::Seed) {
    put_ok(
        server,
        token,
        "/api/v1/staff/catalogue/activities/cantine/tariff",
        json!({"price": {"kind": "flat", "cents": 400},
               "unbooked_presence": {"kind": "extra", "cents": 100}}),
    );
    let marks: Vec<(&str, &str)> = seed
        .families
        .iter()
        .flat_map(|f| f.children.iter().map(|(id, _)| (id.as_str(), "present")))
        .collect();
    mark(server, token, "2026-11-02", "cantine", &marks);
}

/// 16 December, 24 families with a line each for November; a staff token.
fn twenty_four_families_to_invoice(server: &TestServer) -> (cartable_tests::Seed, String) {
    server.clock.set(paris(date(2026, 12, 16), 9, 0));
    let seed = server.seed(24);
    let token = staff_token(server, &seed);
    one_line_per_family(server, &token, &seed);
    (seed, token)
}

#[test]
fn two_runs_at_once_and_two_server_processes_number_invoices_without_gap_or_duplicate() {
    on_each_backend(|server| {
        let (_, token) = twenty_four_families_to_invoice(server);
        let other = (server.backend == Backend::Postgres).then(|| server.another_process());
        let urls = [
            server.url.clone(),
            other
                .as_ref()
                .map(|o| o.url.clone())
                .unwrap_or(server.url.clone()),
        ];
        let reports: Vec<Value> = std::thread::scope(|s| {
            let runs: Vec<_> = urls
                .iter()
                .map(|url| {
                    let token = token.clone();
                    s.spawn(move || {
                        let (status, body) = staff::send(
                            url,
                            "POST",
                            "/api/v1/staff/invoicing/2026-11/issue",
                            Some(&token),
                            Some(&json!({})),
                        );
                        assert_eq!(status, 200, "{body}");
                        body
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().expect("run")).collect()
        });
        let mut numbers: Vec<String> = reports
            .iter()
            .flat_map(|r| r["issued"].as_array().cloned().unwrap_or_default())
            .filter_map(|n| n.as_str().map(String::from))
            .collect();
        numbers.sort();
        let expected: Vec<String> = (1..=24).map(|i| format!("F2026-{i:06}")).collect();
        assert_eq!(numbers, expected, "{reports:#?}");
        let skipped: u64 = reports
            .iter()
            .map(|r| r["already_issued"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(skipped, 24, "each family was seen by both runs");
        // Issuing the month again issues nothing.
        let again = issue(server, &token, "2026-11");
        assert_eq!(again["issued"], json!([]));
        assert_eq!(again["already_issued"], 24);
        let list = get_ok(server, &token, "/api/v1/staff/invoices?month=2026-11");
        assert_eq!(list.as_array().map(Vec::len), Some(24));
        let families: std::collections::BTreeSet<&str> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["family_id"].as_str())
            .collect();
        assert_eq!(families.len(), 24, "one invoice per family");
        // The next number follows on, also from the other process.
        let credit = post_ok(
            server,
            &token,
            "/api/v1/staff/invoices/F2026-000003/credit-notes",
            json!({"amount_cents": 100, "reason": "Geste commercial"}),
        );
        assert_eq!(credit["summary"]["number"], "A2026-000001");
    });
}

/// Where a document's PDF is stored: (number, object key, offset, length).
type Place = (String, Option<String>, Option<i64>, Option<i64>);

fn pdf_places(server: &TestServer, structure_id: &str) -> Vec<Place> {
    server.block_on(async {
        sqlx::query(
            "SELECT i.number, p.pdf_key, p.pdf_offset, p.pdf_length FROM invoices i \
             LEFT JOIN invoice_pdfs p ON p.invoice_id = i.id \
             WHERE i.structure_id = $1 ORDER BY i.number",
        )
        .bind(structure_id)
        .fetch_all(&server.state.db.pool)
        .await
        .expect("places")
        .iter()
        .map(|r| {
            use sqlx::Row;
            (r.get(0), r.get(1), r.get(2), r.get(3))
        })
        .collect()
    })
}

#[test]
fn a_runs_pdfs_are_stored_packed_and_each_family_is_served_its_own() {
    on_each_backend(|server| {
        let (seed, token) = twenty_four_families_to_invoice(server);
        let report = issue(server, &token, "2026-11");
        assert_eq!(report["issued"].as_array().map(Vec::len), Some(24));

        // Two packs of twelve (one per rendering thread), each PDF a range of one.
        let places = pdf_places(server, &seed.structure_id);
        let packs: std::collections::BTreeSet<&str> =
            places.iter().filter_map(|p| p.1.as_deref()).collect();
        assert_eq!(packs.len(), 2, "{places:?}");
        assert!(
            places.iter().all(|p| p.2.is_some() && p.3.is_some()),
            "{places:?}"
        );
        for (number, ..) in &places {
            let pdf = get_bytes(
                server,
                &token,
                &format!("/api/v1/staff/invoices/{number}/pdf"),
            );
            assert!(pdf.body.starts_with(b"%PDF-"), "{number}");
            assert!(pdf.body.trim_ascii_end().ends_with(b"%%EOF"), "{number}");
            if let Some(text) = pdf_text(&pdf.body) {
                assert!(text.contains(number.as_str()), "{number}: {text}");
            }
        }

        // A range that points at the neighbour's PDF is caught by the PDF's hash: the
        // document is rendered again and stored alone, never served the neighbour's.
        let (first, second) = (&places[0], &places[1]);
        server.block_on(async {
            sqlx::query(
                "UPDATE invoice_pdfs SET pdf_offset = $1, pdf_length = $2 \
                 WHERE invoice_id = (SELECT id FROM invoices WHERE number = $3)",
            )
            .bind(second.2)
            .bind(second.3)
            .bind(&first.0)
            .execute(&server.state.db.pool)
            .await
            .expect("tamper")
        });
        let pdf = get_bytes(
            server,
            &token,
            &format!("/api/v1/staff/invoices/{}/pdf", first.0),
        );
        let neighbours = get_bytes(
            server,
            &token,
            &format!("/api/v1/staff/invoices/{}/pdf", second.0),
        );
        assert_ne!(pdf.body, neighbours.body);
        if let Some(text) = pdf_text(&pdf.body) {
            assert!(text.contains(first.0.as_str()), "{text}");
            assert!(!text.contains(second.0.as_str()), "{text}");
        }
        let again = pdf_places(server, &seed.structure_id);
        assert_eq!(
            again[0],
            (
                first.0.clone(),
                Some(format!("invoices/{}/{}.pdf", seed.structure_id, first.0)),
                None,
                None
            )
        );
        assert_eq!(again[1], *second, "the neighbour keeps its place");
    });
}

#[test]
fn a_run_in_many_batches_gives_every_family_its_pdf_its_ledger_and_its_notification() {
    // Batches of five: the PDFs and ledgers of the first batches are made while the later
    // ones are numbered, and every family must come out with all three. Documents leave
    // memory as soon as they are idle and are compacted after two chunks, so each batch
    // loads its ledgers from storage, stores chunks and snapshots, and every ledger read
    // below is read back from what the batches stored.
    for backend in cartable_tests::backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| {
            s.invoice_batch = 5;
            s.doc_cache_bytes = 1;
            s.compaction_threshold = 2;
        });
        let (seed, token) = twenty_four_families_to_invoice(&server);
        let report = issue(&server, &token, "2026-11");
        assert_eq!(report["issued"].as_array().map(Vec::len), Some(24));

        let places = pdf_places(&server, &seed.structure_id);
        assert_eq!(places.len(), 24);
        assert!(
            places
                .iter()
                .all(|p| p.1.is_some() && p.2.is_some() && p.3.is_some()),
            "{places:?}"
        );
        let packs: std::collections::BTreeSet<&str> =
            places.iter().filter_map(|p| p.1.as_deref()).collect();
        assert!(packs.len() >= 5, "at least a pack per batch: {packs:?}");

        let now_ms = server.state.clock.now().as_millisecond();
        every_ledger_shows_its_familys_documents(&server, &seed.structure_id, 1);
        server.block_on(async {
            use sqlx::Row;
            let mut conn = server.state.db.pool.acquire().await.expect("connection");
            let (events, held): (i64, i64) = {
                let r = sqlx::query(
                    "SELECT COUNT(*) AS events, \
                     COALESCE(SUM(CASE WHEN due_at_ms > $2 THEN 1 ELSE 0 END), 0) AS held \
                     FROM push_events WHERE structure_id = $1 AND event = 'invoice_issued'",
                )
                .bind(&seed.structure_id)
                .bind(now_ms)
                .fetch_one(&mut *conn)
                .await
                .expect("notifications");
                (r.get("events"), r.get("held"))
            };
            assert_eq!(events, 24, "a notification per family");
            assert_eq!(held, 0, "every family's notification released");
        });

        // The next month, every family has its ledger already: each is written again, in
        // batches, with both months, their PDFs' hashes and the balance.
        let marks: Vec<(&str, &str)> = seed
            .families
            .iter()
            .flat_map(|f| f.children.iter().map(|(id, _)| (id.as_str(), "present")))
            .collect();
        mark(&server, &token, "2026-12-01", "cantine", &marks);
        let report = issue(&server, &token, "2026-12");
        assert_eq!(report["issued"].as_array().map(Vec::len), Some(24));
        every_ledger_shows_its_familys_documents(&server, &seed.structure_id, 2);
        // Created as a snapshot, one chunk for November's PDFs: December's write replaced
        // them with a snapshot.
        server.block_on(async {
            use sqlx::Row;
            let mut conn = server.state.db.pool.acquire().await.expect("connection");
            let rows = sqlx::query(
                "SELECT d.id, COUNT(*) AS chunks, MIN(c.is_snapshot) AS snapshot \
                 FROM documents d JOIN document_chunks c ON c.doc_id = d.id \
                 WHERE d.structure_id = $1 AND d.kind = 'ledger' GROUP BY d.id",
            )
            .bind(&seed.structure_id)
            .fetch_all(&mut *conn)
            .await
            .expect("chunks");
            assert_eq!(rows.len(), 24);
            for r in &rows {
                let (chunks, snapshot): (i64, i64) = (r.get("chunks"), r.get("snapshot"));
                assert_eq!((chunks, snapshot), (1, 1), "{}", r.get::<String, _>("id"));
            }
        });
    }
}

/// Every family of the structure has a ledger document showing each of its `per_family`
/// documents with its PDF's hash, and the balance the tables give.
fn every_ledger_shows_its_familys_documents(
    server: &TestServer,
    structure_id: &str,
    per_family: usize,
) {
    use cartable_core::domain::DocKind;
    use cartable_core::domain::ids::FamilyId;
    use cartable_core::domain::ledger::Ledger;
    use sqlx::Row;
    use std::collections::BTreeMap;
    server.block_on(async {
        let mut conn = server.state.db.pool.acquire().await.expect("connection");
        let rows = sqlx::query(
            "SELECT i.family_id, i.number, i.total_cents, p.pdf_sha256 FROM invoices i \
             LEFT JOIN invoice_pdfs p ON p.invoice_id = i.id WHERE i.structure_id = $1",
        )
        .bind(structure_id)
        .fetch_all(&mut *conn)
        .await
        .expect("invoices");
        let mut by_family: BTreeMap<String, Vec<(String, i64, Option<String>)>> = BTreeMap::new();
        for r in &rows {
            by_family.entry(r.get("family_id")).or_default().push((
                r.get("number"),
                r.get("total_cents"),
                r.get("pdf_sha256"),
            ));
        }
        let ids: Vec<&str> = by_family.keys().map(String::as_str).collect();
        let ledgers = cartable_server::db::documents::family_documents(
            &mut conn,
            structure_id,
            &ids,
            DocKind::Ledger,
        )
        .await
        .expect("ledgers");
        assert_eq!(ledgers.len(), by_family.len());
        for (family, documents) in &by_family {
            assert_eq!(documents.len(), per_family, "{family}: {documents:?}");
            let doc = ledgers
                .get(&FamilyId::from(family.as_str()))
                .expect("the family's ledger");
            let ledger: Ledger = server.state.docs.read(&doc.id).await.expect("ledger");
            assert_eq!(ledger.documents.len(), per_family, "{family}: {ledger:?}");
            for (number, _, sha256) in documents {
                assert!(sha256.is_some(), "{number} has its PDF's hash");
                assert_eq!(
                    ledger.documents.get(number).map(|d| d.pdf_sha256.clone()),
                    sha256.clone(),
                    "{number}"
                );
            }
            let owed: i64 = documents.iter().map(|(_, total, _)| total).sum();
            assert_eq!(ledger.balance_cents, -owed, "{family}");
        }
    });
}

#[test]
fn credit_notes_and_payments_move_the_balance_the_phone_shows_offline_with_its_pdf() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 12, 16), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        one_line_per_family(server, &token, &seed);
        let family = &seed.families[0];
        let report = issue(server, &token, "2026-11");
        assert_eq!(report["total_cents"], 1000, "{report}");
        let number = "F2026-000001";

        // An issued invoice never changes: corrections are credit notes referencing it.
        let credit = post_ok(
            server,
            &token,
            &format!("/api/v1/staff/invoices/{number}/credit-notes"),
            json!({"amount_cents": 500, "reason": "Repas du 2 novembre non servi"}),
        );
        assert_eq!(credit["summary"]["number"], "A2026-000001");
        assert_eq!(credit["content"]["refers_to"], number);
        let (status, body) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/invoices/{number}/credit-notes"),
            Some(&token),
            Some(&json!({"amount_cents": 501, "reason": "trop"})),
        );
        assert_eq!(status, 409, "more than the invoice: {body}");
        let invoice = get_ok(server, &token, &format!("/api/v1/staff/invoices/{number}"));
        assert_eq!(invoice["content"]["total_cents"], 1000);
        assert_eq!(invoice["summary"]["remaining_cents"], 500);

        // A partial payment by cheque.
        post_ok(
            server,
            &token,
            "/api/v1/staff/payments",
            json!({"family_id": family.family_id, "method": "cheque", "amount_cents": 200,
                   "invoice_number": number, "reference": "chèque n° 1234567"}),
        );
        let (status, _) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/payments",
            Some(&token),
            Some(&json!({"family_id": family.family_id, "method": "bitcoin", "amount_cents": 1})),
        );
        assert_eq!(status, 400);

        let phone = Device::new();
        let client = cartable_tests::family::signed_in(server, family, 0, &phone);
        let invoices = client.invoices().expect("invoices");
        assert_eq!(invoices.len(), 2, "{invoices:#?}");
        let inv = invoices
            .iter()
            .find(|i| i.number == number)
            .expect("invoice");
        assert_eq!(
            (inv.remaining_cents, inv.status.as_str()),
            (300, "partially_paid")
        );
        let balance = client.balance().expect("balance");
        assert_eq!(balance.balance_cents, -300);
        assert_eq!(balance.payments.len(), 1);
        assert_eq!(balance.payments[0].method_label, "chèque");
        let pdf = client.invoice_pdf(number).expect("fetch PDF");
        let bytes = std::fs::read(&pdf).expect("cached PDF");
        assert!(bytes.starts_with(b"%PDF-"));

        // After the due date the invoice is overdue; the CSV export lists it all.
        server.clock.set(paris(date(2027, 1, 2), 9, 0));
        // Days later staff sign in again (sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        let overdue = get_ok(server, &token, &format!("/api/v1/staff/invoices/{number}"));
        assert_eq!(overdue["summary"]["status"], "overdue");
        let csv = get_bytes(server, &token, "/api/v1/staff/invoicing/2026-11/export.csv");
        let text = csv.text();
        assert!(text.starts_with("type;numero;date"), "{text}");
        assert!(
            text.contains(&format!(
                "Facture;{number};2026-12-16;2026-12-31;Famille 0;"
            )),
            "{text}"
        );
        let december = get_bytes(server, &token, "/api/v1/staff/invoicing/2026-12/export.csv");
        let text = december.text();
        assert!(
            text.contains("Avoir;A2026-000001;2026-12-16;;Famille 0;"),
            "{text}"
        );
        assert!(text.contains("Paiement;;2026-12-16;;Famille 0;"), "{text}");
        assert!(
            text.contains(";2,00;200;chèque;chèque n° 1234567;F2026-000001"),
            "{text}"
        );

        // Paid in full: no longer overdue. The annual statement counts the money received.
        post_ok(
            server,
            &token,
            "/api/v1/staff/payments",
            json!({"family_id": family.family_id, "method": "cesu", "amount_cents": 300}),
        );
        let paid = get_ok(server, &token, &format!("/api/v1/staff/invoices/{number}"));
        assert_eq!(paid["summary"]["status"], "paid");
        let annual = get_ok(
            server,
            &token,
            &format!(
                "/api/v1/staff/families/{}/annual-statement/2027",
                family.family_id
            ),
        );
        assert_eq!(annual["total_paid_cents"], 300, "{annual}");
        let annual_2026 = get_ok(
            server,
            &token,
            &format!(
                "/api/v1/staff/families/{}/annual-statement/2026",
                family.family_id
            ),
        );
        assert_eq!(annual_2026["total_paid_cents"], 200);
        assert_eq!(annual_2026["children"].as_array().map(Vec::len), Some(2));

        // With no network at all, the phone still shows everything, the PDF included.
        drop(client);
        let offline = cartable_core::Client::open_with(
            phone.dir.path(),
            std::sync::Arc::new(NoNetwork),
            std::sync::Arc::new(cartable_core::SystemClock),
        )
        .expect("open offline");
        let invoices = offline.invoices().expect("offline invoices");
        assert_eq!(invoices.len(), 2);
        let again = offline.invoice_pdf(number).expect("cached PDF offline");
        assert_eq!(again, pdf);
        assert_eq!(offline.balance().expect("balance").balance_cents, -300);
    });
}

#[test]
fn another_familys_invoice_is_not_found_and_the_pdf_needs_a_login() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 12, 16), 9, 0));
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        one_line_per_family(server, &token, &seed);
        issue(server, &token, "2026-11");
        let list = get_ok(
            server,
            &token,
            &format!(
                "/api/v1/staff/invoices?family_id={}",
                seed.families[1].family_id
            ),
        );
        let theirs = list[0]["number"].as_str().unwrap_or_default().to_string();
        let mine = cartable_tests::family::family_token(server, &seed.families[0], 0);
        let answer = cartable_tests::family::get(
            server,
            Some(&mine),
            &format!("/api/v1/invoices/{theirs}/pdf"),
        );
        assert_eq!(answer.status, 404);
        let answer =
            cartable_tests::family::get(server, None, &format!("/api/v1/invoices/{theirs}/pdf"));
        assert_eq!(answer.status, 401);
    });
}

#[test]
fn attendance_lists_booked_children_and_marks_them_all_present_in_one_go() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 20), 10, 0));
        let seed = martin_family(server);
        let token = staff_token(server, &seed);
        let family = &seed.families[0];
        let (lea, hugo) = (child(family, "Léa"), child(family, "Hugo"));
        let phone = Device::new();
        let client = cartable_tests::family::signed_in(server, family, 0, &phone);
        client
            .book(&lea, date(2026, 11, 30), "cantine")
            .expect("book");
        client.sync().expect("sync");
        let sheet = get_ok(
            server,
            &token,
            "/api/v1/staff/attendance/2026-11-30/cantine",
        );
        let children = sheet["children"].as_array().cloned().unwrap_or_default();
        assert_eq!(children.len(), 1);
        assert_eq!(children[0]["first_name"], "Léa");
        assert_eq!(children[0]["booking"], "accepted");
        assert_eq!(children[0]["status"], Value::Null);
        let all = post_ok(
            server,
            &token,
            "/api/v1/staff/attendance/2026-11-30/cantine/all-present",
            json!({}),
        );
        assert_eq!(all["marked"], 1);
        assert_eq!(all["sheet"]["children"][0]["status"], "present");
        // Hugo turned up without a booking.
        mark(
            server,
            &token,
            "2026-11-30",
            "cantine",
            &[(&hugo, "present")],
        );
        let sheet = get_ok(
            server,
            &token,
            "/api/v1/staff/attendance/2026-11-30/cantine",
        );
        let children = sheet["children"].as_array().cloned().unwrap_or_default();
        assert_eq!(children.len(), 2);
        assert_eq!(children[1]["first_name"], "Hugo");
        assert_eq!(children[1]["booking"], Value::Null);
        // Calling it again changes nothing; a stranger child is refused.
        let again = post_ok(
            server,
            &token,
            "/api/v1/staff/attendance/2026-11-30/cantine/all-present",
            json!({}),
        );
        assert_eq!(again["marked"], 0);
        let (status, _) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/attendance/2026-11-30/cantine",
            Some(&token),
            Some(
                &json!({"marks": [{"child_id": "0123456789abcdef0123456789abcdef", "status": "present"}]}),
            ),
        );
        assert_eq!(status, 404);
        let (status, _) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/attendance/2026-11-30/cantine",
            Some(&token),
            Some(&json!({"marks": [{"child_id": lea, "status": "late"}]})),
        );
        assert_eq!(status, 400);
    });
}

#[test]
fn an_overdue_familys_booking_is_refused_with_its_reason_and_accepted_once_paid() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 12, 16), 9, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        one_line_per_family(server, &token, &seed);
        put_ok(
            server,
            &token,
            "/api/v1/staff/catalogue/billing",
            json!({"payment_days": 15, "block_bookings_when_overdue": {"grace_days": 0}}),
        );
        issue(server, &token, "2026-11");
        let family = &seed.families[0];
        let child_id = family.children[0].0.clone();
        let phone = Device::new();
        let client = cartable_tests::family::signed_in(server, family, 0, &phone);

        // Due on 31 December; on 4 January a new booking is refused with the reason.
        server.clock.set(paris(date(2027, 1, 4), 10, 0));
        // Days later staff sign in again (sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        let friday = date(2027, 1, 8);
        client.book(&child_id, friday, "cantine").expect("book");
        client.sync().expect("sync");
        let state = |client: &cartable_core::Client| {
            client
                .planning(None)
                .expect("planning")
                .into_iter()
                .find(|e| e.date == friday && e.activity_id == "cantine")
                .map(|e| e.state)
                .expect("entry")
        };
        match state(&client) {
            cartable_core::domain::planning::RequestState::Refused { reason } => assert_eq!(
                reason,
                "Facture impayée (F2026-000001, échue le jeudi 31 décembre 2026) : réglez-la pour réserver à nouveau"
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Morning childcare is not billed: not blocked.
        client
            .book(&child_id, friday, "garderie-matin")
            .expect("book free activity");
        client.sync().expect("sync");

        // Paid at the town hall: the booking is decided again and accepted.
        post_ok(
            server,
            &token,
            "/api/v1/staff/payments",
            json!({"family_id": family.family_id, "method": "cash", "amount_cents": 1000}),
        );
        client.sync().expect("sync after payment");
        assert_eq!(
            state(&client),
            cartable_core::domain::planning::RequestState::Accepted
        );
        assert_eq!(client.balance().expect("balance").balance_cents, 0);
    });
}

/// A transport for a phone with no network.
struct NoNetwork;

fn offline<T>() -> cartable_core::Result<T> {
    Err(cartable_core::Error::Network("hors ligne".into()))
}

impl cartable_core::Transport for NoNetwork {
    fn login(&self, _: &str, _: &LoginRequest) -> cartable_core::Result<LoginResponse> {
        offline()
    }
    fn sync(&self, _: &str, _: &str, _: &SyncRequest) -> cartable_core::Result<SyncResponse> {
        offline()
    }
    fn devices(&self, _: &str, _: &str) -> cartable_core::Result<Vec<DeviceSummary>> {
        offline()
    }
    fn revoke_device(&self, _: &str, _: &str, _: &str) -> cartable_core::Result<()> {
        offline()
    }
    fn logout(&self, _: &str, _: &str) -> cartable_core::Result<()> {
        offline()
    }
}
