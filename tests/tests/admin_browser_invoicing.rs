//! The invoicing pages in a real headless Chromium: an administrator previews the month,
//! issues it after ticking the confirmation, reads the list of invoices, records a payment
//! and issues a credit note. Full-page screenshots go to
//! `<target>/screenshots/admin/5N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, full_page_screenshot};
use cartable_tests::chromium::{click, fill, sign_in_admin, wait_text};
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::{Backend, TestServer};

#[test]
fn an_administrator_issues_the_month_and_records_a_payment() {
    let Some((browser, driver)) = chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite);
    demo_with_canteen(&server);
    let driver = chromium::start_driver(&driver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let c = chromium::connect(&driver, &browser).await;
        let base = server.url.clone();
        sign_in_admin(&c, &server).await;

        click(&c, "nav a[href='/admin/factures']").await;
        wait_text(&c, "h1", "Factures").await;
        c.goto(&format!("{base}/admin/facturation?mois=2027-03"))
            .await
            .expect("goto");
        wait_text(&c, "#titre-apercu", "mars 2027").await;
        click(&c, "table.run details summary").await;
        full_page_screenshot(&c, "50-facturation-apercu").await;
        click(&c, "#confirmation").await;
        click(&c, "form.confirm button.primary").await;
        wait_text(&c, ".notice", "2 factures émises").await;
        full_page_screenshot(&c, "51-factures").await;

        click(&c, "table tbody th a").await;
        wait_text(&c, "h1", "Facture").await;
        full_page_screenshot(&c, "52-facture").await;
        fill(&c, "#reference", "Chèque 1234567").await;
        click(&c, "form[action$='/paiement'] button.primary").await;
        wait_text(&c, ".notice", "Paiement enregistré").await;
        fill(&c, "#avoir-montant", "1,50").await;
        fill(&c, "#motif", "Repas non servi le 16 mars").await;
        click(&c, "form[action$='/avoir'] button").await;
        wait_text(&c, ".notice", "Avoir émis").await;
        full_page_screenshot(&c, "53-avoir").await;
        c.close().await.expect("close");
    });
}
