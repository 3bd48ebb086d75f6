//! Information and downloads in a real headless Chromium on SQLite and PostgreSQL: an
//! administrator publishes a message to the families and a PDF for them to download (chosen in
//! the file picker), then reads the journal. Full-page screenshots (from the SQLite run) go to
//! `<target>/screenshots/admin/6N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use cartable_tests::daily::demo_with_canteen;
use fantoccini::Locator;

#[test]
fn an_administrator_publishes_a_message_and_a_file() {
    chromium::on_each_backend(|session, server| {
        demo_with_canteen(server);
        session.run(server, SignIn::Administrator, async |c| {
            click(c, "nav a[href='/admin/informations']").await;
            wait_text(c, "h1", "Informations et téléchargements").await;
            fill(c, "#titre", "Sortie au musée").await;
            fill(
            c,
            "#texte",
            "Les enfants de l'accueil du mercredi iront au musée le 24 mars.\nPrévoir un goûter.",
        )
        .await;
            click(c, "form[action='/admin/informations'] button.primary").await;
            wait_text(c, ".notice", "Message publié").await;

            let dir = tempfile::tempdir().expect("temporary folder");
            let pdf = dir.path().join("menus-mars.pdf");
            std::fs::write(
                &pdf,
                b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
            )
            .expect("pdf");
            fill(c, "#fichier-titre", "Menus de mars").await;
            fill(c, "#fichier-description", "Restauration scolaire").await;
            c.find(Locator::Css("#fichier"))
                .await
                .expect("file field")
                .send_keys(&pdf.display().to_string())
                .await
                .expect("file chosen");
            click(c, "form[action='/admin/telechargements'] button.primary").await;
            wait_text(c, ".notice", "Fichier publié").await;
            let files = wait_text(
                c,
                "section[aria-labelledby='titre-fichiers']",
                "menus-mars.pdf",
            )
            .await;
            assert!(files.contains("Menus de mars"), "{files}");
            c.full_page_screenshot("60-informations").await;

            // The journal lists what was just done.
            click(c, "nav a[href='/admin/journal']").await;
            let journal = wait_text(c, "table tbody", "Fichier publié").await;
            assert!(journal.contains("Message publié"), "{journal}");
            c.full_page_screenshot("61-journal").await;
        });
    });
}
