//! The accounting pages in a real headless Chromium: the month's invoices with their CSV
//! export, the overdue invoices across months, the annual statements and a family's ledger
//! with its certificates, the journal filtered by family, the
//! information messages with their notifications' counts. Full-page screenshots go to `<target>/screenshots/admin/8N-*.png`.
//! Without Chromium the test says SKIPPED (a failure under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::billing::demo_in_may;
use cartable_tests::chromium::{self, full_page_screenshot};
use cartable_tests::chromium::{click, fill, sign_in_admin, wait_text};
use cartable_tests::{Backend, TestServer};

#[test]
fn an_administrator_exports_the_month_and_follows_unpaid_invoices() {
    let Some((browser, driver)) = chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite);
    demo_in_may(&server);
    let driver = chromium::start_driver(&driver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let c = chromium::connect(&driver, &browser).await;
        let base = server.url.clone();
        sign_in_admin(&c, &server).await;

        c.goto(&format!("{base}/admin/factures?mois=2027-03"))
            .await
            .expect("goto");
        wait_text(&c, "#titre-factures", "mars 2027").await;
        wait_text(&c, "a[href^='/admin/factures/export.csv']", "CSV").await;
        full_page_screenshot(&c, "80-factures-export").await;

        click(&c, "nav.subnav a[href='/admin/impayes']").await;
        wait_text(&c, "h1", "Factures en retard").await;
        wait_text(&c, "#titre-retards", "3").await;
        full_page_screenshot(&c, "81-impayes").await;
        c.find(fantoccini::Locator::Css("#tri"))
            .await
            .expect("sort")
            .select_by_value("retard")
            .await
            .expect("select");
        click(&c, "form.chooser button.primary").await;
        wait_text(&c, "caption", "triées par retard").await;

        click(&c, "nav.subnav a[href='/admin/attestations']").await;
        wait_text(&c, "#titre-attestations", "2027").await;
        full_page_screenshot(&c, "82-attestations").await;

        click(&c, "table tbody th a").await;
        wait_text(&c, "#titre-compte", "Factures et paiements").await;
        wait_text(&c, "#compte", "Attestations de paiement").await;
        full_page_screenshot(&c, "83-famille-compte").await;

        click(&c, "nav.menu a[href='/admin/journal']").await;
        wait_text(&c, "#titre-journal", "Actions du personnel").await;
        wait_text(&c, "table", "Facturation du mois lancée").await;
        full_page_screenshot(&c, "84-journal").await;
        fill(&c, "#famille", "martin").await;
        click(&c, "form.filters button.primary").await;
        wait_text(&c, "#titre-journal", "(filtrées)").await;
        wait_text(&c, "table", "Paiement enregistré").await;
        full_page_screenshot(&c, "85-journal-filtre").await;

        click(&c, "nav.menu a[href='/admin/informations']").await;
        wait_text(&c, "#titre-messages", "Messages aux familles").await;
        wait_text(&c, "#titre-messages + p + table", "NOTIFICATIONS").await;
        full_page_screenshot(&c, "86-informations-notifications").await;
        c.close().await.expect("close");
    });
}
