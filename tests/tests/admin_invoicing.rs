//! The admin page's invoicing, over HTTP on SQLite and PostgreSQL: the month's preview per
//! family, the issue only once its box is ticked (and never twice), the list of invoices with
//! their status, an invoice's PDF, a payment recorded, a credit note issued; agents refused;
//! forms without their token change nothing; another structure's invoices are not found.

use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::{TestServer, on_each_backend};
use sqlx::Row;

const MONTH: &str = "2027-03";
const RUN: &str = "/admin/facturation?mois=2027-03";

fn issued(server: &TestServer) -> Vec<(String, i64)> {
    server.block_on(async {
        sqlx::query(
            "SELECT number, total_cents FROM invoices WHERE run_month = $1 \
             AND kind = 'invoice' ORDER BY number",
        )
        .bind(MONTH)
        .fetch_all(&server.state.db.pool)
        .await
        .expect("invoices")
        .iter()
        .map(|r| (r.get("number"), r.get("total_cents")))
        .collect()
    })
}

fn amount(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

#[test]
fn a_month_is_previewed_issued_once_paid_and_credited() {
    on_each_backend(|server| {
        demo_with_canteen(server);
        let other = server.seed(1);
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;

        let preview = admin.get(RUN);
        assert_eq!(preview.status, 200, "{}", preview.text());
        assert_accessible("invoicing preview", &preview);
        let html = preview.text();
        assert!(html.contains("Factures de mars 2027"), "{html}");
        assert!(html.contains("Famille Martin") && html.contains("Famille Benali"));
        assert!(html.contains("Restauration scolaire"), "{html}");
        assert!(html.contains("À émettre"));

        // Not confirmed, without its token, or by an agent: nothing is issued.
        let unconfirmed = admin.post_form(RUN, "/admin/facturation/emettre", &[("mois", MONTH)]);
        assert_eq!(unconfirmed.status, 400);
        assert_accessible("issue unconfirmed", &unconfirmed);
        assert!(
            unconfirmed
                .text()
                .contains("aria-describedby=\"erreur-confirmation\"")
        );
        let forged = admin.post_raw(
            "/admin/facturation/emettre",
            &[("mois", MONTH), ("confirmation", "1")],
        );
        assert_eq!(forged.status, 403);
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(agent.get(RUN).status, 403);
        assert_eq!(agent.get("/admin/factures").status, 403);
        let by_agent = agent.post_form(
            "/admin/",
            "/admin/facturation/emettre",
            &[("mois", MONTH), ("confirmation", "1")],
        );
        assert_eq!(by_agent.status, 403);
        assert!(issued(server).is_empty());

        // Confirmed: issued, then never twice.
        let fields = [("mois", MONTH), ("confirmation", "1")];
        let done = admin.post_form(RUN, "/admin/facturation/emettre", &fields);
        assert_eq!(done.status, 303, "{}", done.text());
        let invoices = issued(server);
        assert_eq!(invoices.len(), 2, "{invoices:?}");
        let list = admin.get(done.header("location"));
        assert_accessible("invoices", &list);
        assert!(
            list.text().contains("2 factures émises."),
            "{}",
            list.text()
        );
        assert!(list.text().contains("à payer"));
        let again = admin.post_form(RUN, "/admin/facturation/emettre", &fields);
        assert_eq!(again.status, 303);
        assert_eq!(issued(server).len(), 2);

        // An invoice, its PDF, a payment.
        let (number, total) = invoices[0].clone();
        assert!(total > 0);
        let page = format!("/admin/factures/{number}");
        let detail = admin.get(&page);
        assert_eq!(detail.status, 200);
        assert_accessible("invoice", &detail);
        let pdf = admin.get(&format!("{page}/pdf"));
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.header("content-type"), "application/pdf");
        assert!(pdf.body.starts_with(b"%PDF"));
        let wrong = admin.post_form(
            &page,
            &format!("{page}/paiement"),
            &[("montant", "beaucoup"), ("moyen", "cheque")],
        );
        assert_eq!(wrong.status, 400);
        assert_accessible("payment refused", &wrong);
        assert!(wrong.text().contains("erreur-paiement"));
        let paid = admin.post_form(
            &page,
            &format!("{page}/paiement"),
            &[
                ("montant", &amount(total)),
                ("moyen", "cheque"),
                ("date", "2027-03-20"),
                ("reference", "Chèque 1234567"),
            ],
        );
        assert_eq!(paid.status, 303, "{}", paid.text());
        let after = admin.get(paid.header("location")).text();
        assert!(after.contains("Paiement enregistré."));
        assert!(after.contains("status-paid"), "{after}");
        assert!(after.contains("Chèque 1234567"));

        // A credit note on the other invoice.
        let (second, _) = invoices[1].clone();
        let second_page = format!("/admin/factures/{second}");
        let credited = admin.post_form(
            &second_page,
            &format!("{second_page}/avoir"),
            &[
                ("avoir-montant", "1,50"),
                ("motif", "Repas non servi le 16 mars"),
            ],
        );
        assert_eq!(credited.status, 303, "{}", credited.text());
        let note = admin.get(credited.header("location"));
        assert_eq!(note.status, 200);
        assert_accessible("credit note", &note);
        assert!(note.text().contains("Repas non servi le 16 mars"));
        assert!(note.text().contains(&format!("Facture {second}")));
        let credit_notes: i64 = server.count(
            "SELECT COUNT(*) FROM invoices WHERE kind = 'credit_note' AND refers_to = $1",
            &second,
        );
        assert_eq!(credit_notes, 1);

        // Another structure's administrator: not found, nothing recorded.
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        assert_eq!(admin_b.get(&second_page).status, 404);
        assert_eq!(admin_b.get(&format!("{second_page}/pdf")).status, 404);
        let cross = admin_b.post_form(
            "/admin/",
            &format!("{second_page}/paiement"),
            &[("montant", "1,00"), ("moyen", "cash")],
        );
        assert_eq!(cross.status, 404);
        let cross = admin_b.post_form(
            "/admin/",
            &format!("{second_page}/avoir"),
            &[("avoir-montant", "1,00"), ("motif", "Essai")],
        );
        assert_eq!(cross.status, 404);
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM payments WHERE invoice_number = $1",
                &second
            ),
            0
        );
        assert!(
            !admin_b
                .get("/admin/factures?mois=2027-03")
                .text()
                .contains(&second)
        );
    });
}
