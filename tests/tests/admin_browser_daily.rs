//! The daily lists and attendance in a real headless Chromium on SQLite and PostgreSQL: an
//! agent chooses the day's canteen list, opens its print view, then takes attendance (every
//! booked child present, one absent with a note, a child who came without a booking). Full-page
//! screenshots (from the SQLite run) go to `<target>/screenshots/admin/3N-*.png`. Without
//! Chromium the test says SKIPPED (a failure under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, SignIn, click, wait_text};
use cartable_tests::daily::demo_with_canteen;
use fantoccini::Locator;

async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[test]
fn an_agent_prints_the_canteen_list_and_takes_attendance() {
    chromium::on_each_backend(|session, server| {
        demo_with_canteen(server);
        session.run(server, SignIn::Agent, async |c| {
            let base = c.base();

            // The list of the day: today (Monday) first, then Tuesday's canteen chosen.
            click(c, "nav a[href='/admin/listes']").await;
            wait_text(c, "h1", "Listes du jour").await;
            c.goto(&format!(
                "{base}/admin/listes?jour=2027-03-16&activite=cantine"
            ))
            .await
            .expect("goto");
            let title = wait_text(c, "#titre-liste", "mardi 16 mars 2027").await;
            assert!(title.contains("Restauration scolaire"), "{title}");
            let table = text_of(c, "table.daily").await;
            assert!(
                table.contains("arachide") && table.contains("Sans porc"),
                "{table}"
            );
            c.full_page_screenshot("30-liste-du-jour").await;

            click(c, "a[href^='/admin/listes/imprimer']").await;
            wait_text(c, "h1", "Restauration scolaire, mardi 16 mars 2027").await;
            c.full_page_screenshot("31-liste-a-imprimer").await;

            // Attendance: every booked child present but Yanis (declared absent).
            c.goto(&format!(
                "{base}/admin/pointage?jour=2027-03-16&activite=cantine"
            ))
            .await
            .expect("goto");
            wait_text(c, "h1", "Pointage").await;
            c.full_page_screenshot("32-pointage-vide").await;
            click(c, "form.bulk button").await;
            wait_text(c, ".notice", "3 enfants inscrits marqués présents").await;

            // Hugo left early: absent, with a note; Yanis justified.
            let hugo = c
                .find(Locator::XPath(
                    "//tr[th[contains(., 'Martin Hugo')]]//input[@value='absent']",
                ))
                .await
                .expect("Hugo's absent mark");
            hugo.click().await.expect("click");
            let note = c
                .find(Locator::XPath(
                    "//tr[th[contains(., 'Martin Hugo')]]//input[@type='text']",
                ))
                .await
                .expect("Hugo's note");
            note.send_keys("Parti à 11 h avec sa mère")
                .await
                .expect("type");
            c.find(Locator::XPath(
                "//tr[th[contains(., 'Benali Yanis')]]//input[@value='absent_justified']",
            ))
            .await
            .expect("Yanis's mark")
            .click()
            .await
            .expect("click");
            click(c, "table.sheet + button.primary").await;
            wait_text(c, ".notice", "2 enfants mis à jour").await;

            // A child who came to the evening childcare without a booking.
            c.goto(&format!(
                "{base}/admin/pointage?jour=2027-03-16&activite=garderie-soir"
            ))
            .await
            .expect("goto");
            wait_text(c, "#titre-feuille", "Accueil").await;
            let select = c.find(Locator::Css("#enfant")).await.expect("children");
            select
                .select_by_label("Martin Léa (CM1)")
                .await
                .expect("choose Léa");
            click(c, "form.add-child button").await;
            wait_text(c, ".notice", "sans réservation").await;
            c.full_page_screenshot("34-pointage-sans-reservation").await;

            c.goto(&format!(
                "{base}/admin/pointage?jour=2027-03-16&activite=cantine"
            ))
            .await
            .expect("goto");
            let sheet = wait_text(c, "table.sheet", "Martin Hugo").await;
            assert!(sheet.contains("Absence signalée par la famille"), "{sheet}");
            c.full_page_screenshot("33-pointage-fait").await;
        });
    });
}
