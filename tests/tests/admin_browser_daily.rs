//! The daily lists and attendance in a real headless Chromium: an agent chooses the day's
//! canteen list, opens its print view, then takes attendance (every booked child present,
//! one absent with a note, a child who came without a booking). Full-page screenshots go to
//! `<target>/screenshots/admin/3N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_server::demo;
use cartable_tests::chromium::{self, full_page_screenshot};
use cartable_tests::chromium::{click, fill, wait_text};
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::{Backend, TestServer};
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
        c.goto(&format!("{base}/admin/connexion"))
            .await
            .expect("goto");
        fill(&c, "#login", "agent").await;
        fill(&c, "#password", demo::AGENT_PASSWORD).await;
        click(&c, "button.primary").await;
        wait_text(&c, "h1", "Tableau de bord").await;

        // The list of the day: today (Monday) first, then Tuesday's canteen chosen.
        click(&c, "nav a[href='/admin/listes']").await;
        wait_text(&c, "h1", "Listes du jour").await;
        c.goto(&format!(
            "{base}/admin/listes?jour=2027-03-16&activite=cantine"
        ))
        .await
        .expect("goto");
        let title = wait_text(&c, "#titre-liste", "mardi 16 mars 2027").await;
        assert!(title.contains("Restauration scolaire"), "{title}");
        let table = text_of(&c, "table.daily").await;
        assert!(
            table.contains("arachide") && table.contains("Sans porc"),
            "{table}"
        );
        full_page_screenshot(&c, "30-liste-du-jour").await;

        click(&c, "a[href^='/admin/listes/imprimer']").await;
        wait_text(&c, "h1", "Restauration scolaire, mardi 16 mars 2027").await;
        full_page_screenshot(&c, "31-liste-a-imprimer").await;

        // Attendance: every booked child present but Yanis (declared absent).
        c.goto(&format!(
            "{base}/admin/pointage?jour=2027-03-16&activite=cantine"
        ))
        .await
        .expect("goto");
        wait_text(&c, "h1", "Pointage").await;
        full_page_screenshot(&c, "32-pointage-vide").await;
        click(&c, "form.bulk button").await;
        wait_text(&c, ".notice", "3 enfants inscrits marqués présents").await;

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
        click(&c, "table.sheet + button.primary").await;
        wait_text(&c, ".notice", "2 enfants mis à jour").await;

        // A child who came to the evening childcare without a booking.
        c.goto(&format!(
            "{base}/admin/pointage?jour=2027-03-16&activite=garderie-soir"
        ))
        .await
        .expect("goto");
        wait_text(&c, "#titre-feuille", "Accueil").await;
        let select = c.find(Locator::Css("#enfant")).await.expect("children");
        select
            .select_by_label("Martin Léa (CM1)")
            .await
            .expect("choose Léa");
        click(&c, "form.add-child button").await;
        wait_text(&c, ".notice", "sans réservation").await;
        full_page_screenshot(&c, "34-pointage-sans-reservation").await;

        c.goto(&format!(
            "{base}/admin/pointage?jour=2027-03-16&activite=cantine"
        ))
        .await
        .expect("goto");
        let sheet = wait_text(&c, "table.sheet", "Martin Hugo").await;
        assert!(sheet.contains("Absence signalée par la famille"), "{sheet}");
        full_page_screenshot(&c, "33-pointage-fait").await;
        c.close().await.expect("close");
    });
}
