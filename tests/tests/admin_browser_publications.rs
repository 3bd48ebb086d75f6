//! Information and downloads in a real headless Chromium: an administrator publishes a
//! message to the families and a PDF for them to download (chosen in the file picker),
//! then reads the journal.
//! Full-page screenshots go to `<target>/screenshots/admin/6N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, full_page_screenshot};
use cartable_tests::chromium::{click, fill, sign_in_admin, wait_text};
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::{Backend, TestServer};
use fantoccini::Locator;

#[test]
fn an_administrator_publishes_a_message_and_a_file() {
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
        sign_in_admin(&c, &server).await;

        click(&c, "nav a[href='/admin/informations']").await;
        wait_text(&c, "h1", "Informations et téléchargements").await;
        fill(&c, "#titre", "Sortie au musée").await;
        fill(
            &c,
            "#texte",
            "Les enfants de l'accueil du mercredi iront au musée le 24 mars.\nPrévoir un goûter.",
        )
        .await;
        click(&c, "form[action='/admin/informations'] button.primary").await;
        wait_text(&c, ".notice", "Message publié").await;

        let dir = tempfile::tempdir().expect("temporary folder");
        let pdf = dir.path().join("menus-mars.pdf");
        std::fs::write(
            &pdf,
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
        )
        .expect("pdf");
        fill(&c, "#fichier-titre", "Menus de mars").await;
        fill(&c, "#fichier-description", "Restauration scolaire").await;
        c.find(Locator::Css("#fichier"))
            .await
            .expect("file field")
            .send_keys(&pdf.display().to_string())
            .await
            .expect("file chosen");
        click(&c, "form[action='/admin/telechargements'] button.primary").await;
        wait_text(&c, ".notice", "Fichier publié").await;
        let files = wait_text(
            &c,
            "section[aria-labelledby='titre-fichiers']",
            "menus-mars.pdf",
        )
        .await;
        assert!(files.contains("Menus de mars"), "{files}");
        full_page_screenshot(&c, "60-informations").await;

        // The journal lists what was just done.
        click(&c, "nav a[href='/admin/journal']").await;
        let journal = wait_text(&c, "table tbody", "Fichier publié").await;
        assert!(journal.contains("Message publié"), "{journal}");
        full_page_screenshot(&c, "61-journal").await;
        c.close().await.expect("close");
    });
}
