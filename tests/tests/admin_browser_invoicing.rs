//! The invoicing pages in a real headless Chromium on SQLite and PostgreSQL: an administrator
//! previews the month, issues it after ticking the confirmation, reads the list of invoices,
//! records a payment and issues a credit note. Full-page screenshots (from the SQLite run) go
//! to `<target>/screenshots/admin/5N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use cartable_tests::daily::demo_with_canteen;

#[test]
fn an_administrator_issues_the_month_and_records_a_payment() {
    chromium::on_each_backend(|session, server| {
        demo_with_canteen(server);
        session.run(server, SignIn::Administrator, async |c| {
            let base = c.base();

            click(c, "nav a[href='/admin/factures']").await;
            wait_text(c, "h1", "Factures").await;
            c.goto(&format!("{base}/admin/facturation?mois=2027-03"))
                .await
                .expect("goto");
            wait_text(c, "#titre-apercu", "mars 2027").await;
            click(c, "table.run details summary").await;
            c.full_page_screenshot("50-facturation-apercu").await;
            click(c, "#confirmation").await;
            click(c, "form.confirm button.primary").await;
            wait_text(c, ".notice", "2 factures émises").await;
            c.full_page_screenshot("51-factures").await;

            click(c, "table tbody th a").await;
            wait_text(c, "h1", "Facture").await;
            c.full_page_screenshot("52-facture").await;
            fill(c, "#reference", "Chèque 1234567").await;
            click(c, "form[action$='/paiement'] button.primary").await;
            wait_text(c, ".notice", "Paiement enregistré").await;
            fill(c, "#avoir-montant", "1,50").await;
            fill(c, "#motif", "Repas non servi le 16 mars").await;
            click(c, "form[action$='/avoir'] button").await;
            wait_text(c, ".notice", "Avoir émis").await;
            c.full_page_screenshot("53-avoir").await;
        });
    });
}
