//! The configuration pages in a real headless Chromium on SQLite and PostgreSQL: an
//! administrator reads the activities and closures, closes a booked day (the preview says what
//! it cancels, then the confirmation), edits an activity and a tariff. Full-page screenshots
//! (from the SQLite run) go to `<target>/screenshots/admin/4N-*.png`. Without Chromium the test
//! says SKIPPED (a failure under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use cartable_tests::daily::demo_with_canteen;
use fantoccini::Locator;

#[test]
fn an_administrator_closes_a_booked_day_and_edits_a_tariff() {
    chromium::on_each_backend(|session, server| {
        demo_with_canteen(server);
        session.run(server, SignIn::Administrator, async |c| {
            let base = c.base();
            click(c, "nav a[href='/admin/configuration']").await;
            wait_text(c, "h1", "Configuration").await;
            c.full_page_screenshot("40-configuration").await;

            // A strike on Tuesday at the canteen.
            fill(c, "#libelle", "Grève des agents").await;
            c.execute(
                "document.getElementById('du').value = '2027-03-16'; \
             document.getElementById('au').value = '2027-03-16';",
                vec![],
            )
            .await
            .expect("dates");
            click(c, "#fermeture-cantine").await;
            click(c, ".closure-form button.primary").await;
            wait_text(
                c,
                "#impact",
                "Cette fermeture annule 4 réservations de 2 familles",
            )
            .await;
            c.full_page_screenshot("41-fermeture-apercu").await;
            click(c, "form button.primary").await;
            wait_text(c, ".notice", "4 réservations annulées").await;
            c.full_page_screenshot("42-fermeture-enregistree").await;

            // The canteen's settings and tariff.
            c.goto(&format!("{base}/admin/configuration/activites/cantine"))
                .await
                .expect("goto");
            wait_text(c, "h1", "Restauration scolaire").await;
            c.full_page_screenshot("43-activite").await;
            c.goto(&format!(
                "{base}/admin/configuration/activites/cantine/tarif"
            ))
            .await
            .expect("goto");
            wait_text(c, "h1", "Tarif").await;
            click(c, "#mode-tranches").await;
            fill(c, "#tranches", "0 : 1,20\n700 : 3,10\n1200 : 4,50").await;
            c.full_page_screenshot("44-tarif").await;
            click(c, "form.settings button.primary").await;
            wait_text(c, ".notice", "Tarif enregistré").await;
            let text = c
                .find(Locator::Css("#titre-activites"))
                .await
                .expect("activities")
                .text()
                .await
                .expect("text");
            assert!(text.contains("Activités"));
            let source = c.source().await.expect("source");
            assert!(source.contains("QF 700 à 1199"), "tariff in words");
        });
    });
}
