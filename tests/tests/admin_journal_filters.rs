//! The journal's money entries and filters, over HTTP on SQLite and PostgreSQL: invoicing
//! runs, payments and credit notes are written in French; the journal is filtered by family
//! or child name, by member of staff and by period (GET only, errors next to their field),
//! and paged with its filters kept; another structure's entries are never shown.

use cartable_server::demo;
use cartable_tests::admin_page::{Browser, assert_accessible, sign_in};
use cartable_tests::daily::{DAY, demo_with_canteen};
use cartable_tests::{TestServer, on_each_backend};
use sqlx::Row;

fn one(server: &TestServer, sql: &'static str, bind: &str) -> String {
    server.block_on(async {
        sqlx::query(sql)
            .bind(bind)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("row")
            .get(0)
    })
}

/// The "next page" link of a journal page, decoded.
fn older_link(html: &str) -> Option<String> {
    let at = html.find("href=\"/admin/journal?avant=")? + "href=\"".len();
    let end = html[at..].find('"')?;
    Some(
        html[at..at + end]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

fn journal(b: &mut Browser, query: &str) -> String {
    let a = b.get(&format!("/admin/journal{query}"));
    assert_eq!(a.status, 200, "{query}: {}", a.text());
    a.text()
}

#[test]
fn money_entries_are_in_french_and_the_journal_is_filtered_and_paged() {
    on_each_backend(|server| {
        let canteen = demo_with_canteen(server);
        let other = server.seed(1);
        // The demo's run and card payment are dated 15 March; today is the 17th.
        server
            .clock
            .set("2027-03-17T09:00:00Z".parse().expect("instant"));
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        let list = format!("/admin/listes?jour={DAY}&activite=cantine");
        assert_eq!(agent.get(&list).status, 200);
        assert_eq!(agent.get("/admin/journal").status, 403);
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let benali_invoice = one(
            server,
            "SELECT i.number FROM invoices i JOIN families f ON f.id = i.family_id \
             WHERE f.name = $1 AND i.kind = 'invoice'",
            "Famille Benali",
        );
        let martin_invoice = one(
            server,
            "SELECT i.number FROM invoices i JOIN families f ON f.id = i.family_id \
             WHERE f.name = $1 AND i.kind = 'invoice'",
            "Famille Martin",
        );
        let page = format!("/admin/factures/{benali_invoice}");
        let paid = admin.post_form(
            &page,
            &format!("{page}/paiement"),
            &[
                ("montant", "20,00"),
                ("moyen", "cheque"),
                ("reference", "Chèque 7654321"),
            ],
        );
        assert_eq!(paid.status, 303, "{}", paid.text());
        let page = format!("/admin/factures/{martin_invoice}");
        let credited = admin.post_form(
            &page,
            &format!("{page}/avoir"),
            &[("avoir-montant", "4,20"), ("motif", "Repas non servi")],
        );
        assert_eq!(credited.status, 303, "{}", credited.text());
        let note = one(
            server,
            "SELECT number FROM invoices WHERE kind = 'credit_note' AND refers_to = $1",
            &martin_invoice,
        );

        // A payment confirmed by the online payment service (its test double).
        server.block_on(async {
            use cartable_server::invoicing::provider::{
                FakeProvider, PaymentProvider, PaymentRequest, confirm,
            };
            let family_id: String = sqlx::query("SELECT family_id FROM invoices WHERE number = $1")
                .bind(&benali_invoice)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("invoice")
                .get(0);
            let provider = FakeProvider::default();
            let request = PaymentRequest {
                structure_id: canteen.structure_id.clone(),
                family_id,
                invoice_number: benali_invoice.clone(),
                amount_cents: 300,
                return_url: String::new(),
            };
            let started = provider.start(&request).expect("started");
            provider.pay(&started.provider_ref, "2027-03-17");
            confirm(&server.state, &provider, &request, &started.provider_ref)
                .await
                .expect("confirmed")
                .expect("paid");
        });
        let all = admin.get("/admin/journal");
        assert_accessible("journal", &all);
        let html = all.text();
        for expected in [
            "Facturation du mois lancée",
            "février 2027 : 2 documents émis (F2027-000001 à F2027-000002) pour",
            "Paiement enregistré",
            &format!("par carte bancaire, facture {martin_invoice}, réf. paiement en ligne"),
            &format!("20,00\u{a0}€ par chèque, facture {benali_invoice}, réf. Chèque 7654321"),
            "Avoir émis",
            &format!("{note} de 4,20\u{a0}€ sur la facture {martin_invoice} : Repas non servi"),
            "Liste du jour consultée",
            "Paiement en ligne (test)",
            &format!("3,00\u{a0}€ par carte bancaire, facture {benali_invoice}"),
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }

        // By family (any case), or by a child's name.
        let benali = journal(&mut admin, "?famille=benali");
        assert!(benali.contains("Chèque 7654321"), "{benali}");
        assert!(!benali.contains("Repas non servi") && !benali.contains("Facturation du mois"));
        assert!(benali.contains("value=\"benali\""));
        let lea = journal(&mut admin, "?famille=L%C3%A9a");
        assert!(lea.contains("Repas non servi") && !lea.contains("Chèque 7654321"));
        let nobody = journal(&mut admin, "?famille=Dupont");
        assert!(nobody.contains("Aucune action ne correspond à ces filtres."));

        // By member of staff.
        let agent_id = one(server, "SELECT id FROM accounts WHERE login = $1", "agent");
        let by_agent = journal(&mut admin, &format!("?personnel={agent_id}"));
        assert!(by_agent.contains("Liste du jour consultée"), "{by_agent}");
        assert!(!by_agent.contains("Paiement enregistré"));
        assert!(by_agent.contains(&format!("<option value=\"{agent_id}\" selected>")));

        // By period: the demo's entries are of the 15th, the rest of the 17th.
        let earlier = journal(&mut admin, "?du=2027-03-01&au=2027-03-16");
        assert!(earlier.contains("Facturation du mois lancée"));
        assert!(!earlier.contains("Chèque 7654321") && !earlier.contains("Liste du jour"));
        let later = journal(&mut admin, "?du=2027-03-17");
        assert!(later.contains("Chèque 7654321") && !later.contains("Facturation du mois"));
        let reversed = admin.get("/admin/journal?du=2027-03-17&au=2027-03-01");
        assert_eq!(reversed.status, 400);
        assert_accessible("period reversed", &reversed);
        assert!(reversed.text().contains("aria-describedby=\"erreur-au\""));
        let bad = admin.get("/admin/journal?du=hier");
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("aria-describedby=\"erreur-du\""));

        // Paged, filters kept: 130 more readings by the agent.
        server.block_on(async {
            for i in 0..130 {
                sqlx::query(
                    "INSERT INTO audit_log (at_ms, account_id, structure_id, action, \
                     family_id, detail) VALUES ($1, $2, $3, 'read_day_list_health_diet', \
                     NULL, $4)",
                )
                .bind(1_805_275_800_000_i64 + i)
                .bind(&agent_id)
                .bind(&canteen.structure_id)
                .bind(format!("lecture {i}"))
                .execute(&server.state.db.pool)
                .await
                .expect("entry");
            }
        });
        let first = journal(&mut admin, &format!("?personnel={agent_id}"));
        assert!(first.contains("lecture 129") && !first.contains("lecture 29<"));
        let next = older_link(&first).expect("older entries link");
        assert!(next.contains(&format!("&personnel={agent_id}")), "{next}");
        let second = journal(&mut admin, next.trim_start_matches("/admin/journal"));
        assert!(second.contains("lecture 29<") && second.contains("lecture 0<"));
        assert!(!second.contains("lecture 30<") && !second.contains("Paiement enregistré"));
        assert!(older_link(&second).is_none());
        assert!(second.contains("Actions les plus récentes"));

        // Another structure: none of it.
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        for q in [
            "".to_string(),
            "?famille=martin".to_string(),
            format!("?personnel={agent_id}"),
        ] {
            let foreign = journal(&mut admin_b, &q);
            assert!(
                !foreign.contains("Paiement enregistré") && !foreign.contains("lecture"),
                "{q}: {foreign}"
            );
        }
    });
}
