//! The accounting pages in a real headless Chromium on SQLite and PostgreSQL: the month's
//! invoices with their CSV export, the overdue invoices across months, the annual statements
//! and a family's ledger with its certificates, the journal filtered by family, the information
//! messages with their notifications' counts. Full-page screenshots (from the SQLite run) go to
//! `<target>/screenshots/admin/8N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::billing::demo_in_may;
use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};

#[test]
fn an_administrator_exports_the_month_and_follows_unpaid_invoices() {
    chromium::on_each_backend(|session, server| {
        demo_in_may(server);
        session.run(server, SignIn::Administrator, async |c| {
            let base = c.base();

            c.goto(&format!("{base}/admin/factures?mois=2027-03"))
                .await
                .expect("goto");
            wait_text(c, "#titre-factures", "mars 2027").await;
            wait_text(c, "a[href^='/admin/factures/export.csv']", "CSV").await;
            c.full_page_screenshot("80-factures-export").await;

            click(c, "nav.subnav a[href='/admin/impayes']").await;
            wait_text(c, "h1", "Factures en retard").await;
            wait_text(c, "#titre-retards", "3").await;
            c.full_page_screenshot("81-impayes").await;
            c.find(fantoccini::Locator::Css("#tri"))
                .await
                .expect("sort")
                .select_by_value("retard")
                .await
                .expect("select");
            click(c, "form.chooser button.primary").await;
            wait_text(c, "caption", "triées par retard").await;

            click(c, "nav.subnav a[href='/admin/attestations']").await;
            wait_text(c, "#titre-attestations", "2027").await;
            c.full_page_screenshot("82-attestations").await;

            click(c, "table tbody th a").await;
            wait_text(c, "#titre-compte", "Factures et paiements").await;
            wait_text(c, "#compte", "Attestations de paiement").await;
            c.full_page_screenshot("83-famille-compte").await;

            click(c, "nav.menu a[href='/admin/journal']").await;
            wait_text(c, "#titre-journal", "Actions du personnel").await;
            wait_text(c, "table", "Facturation du mois lancée").await;
            c.full_page_screenshot("84-journal").await;
            fill(c, "#famille", "martin").await;
            click(c, "form.filters button.primary").await;
            wait_text(c, "#titre-journal", "(filtrées)").await;
            wait_text(c, "table", "Paiement enregistré").await;
            c.full_page_screenshot("85-journal-filtre").await;

            click(c, "nav.menu a[href='/admin/informations']").await;
            wait_text(c, "#titre-messages", "Messages aux familles").await;
            wait_text(c, "#titre-messages + p + table", "NOTIFICATIONS").await;
            c.full_page_screenshot("86-informations-notifications")
                .await;
        });
    });
}
