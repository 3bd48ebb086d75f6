//! The staff's own work in a real headless Chromium: an agent refuses a child's booking
//! from the day's list with a reason. Full-page screenshots go to
//! `<target>/screenshots/admin/7N-*.png`. Without Chromium the test says SKIPPED (a failure
//! under `CARTABLE_REQUIRE_ALL=1`).

use cartable_server::demo;
use cartable_tests::chromium::{self, click, fill, full_page_screenshot, wait_text};
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::{Backend, TestServer};
use fantoccini::Locator;

/// Runs `steps` in a Chromium session on a fresh SQLite server with the demo's canteen day.
fn in_chromium<F>(steps: F)
where
    F: for<'a> FnOnce(
        &'a fantoccini::Client,
        &'a TestServer,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>,
{
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
        // The browser speaks French: date fields read JJ/MM/AAAA.
        let language = c
            .execute("return navigator.language;", vec![])
            .await
            .expect("language");
        assert_eq!(language.as_str(), Some("fr-FR"));
        steps(&c, &server).await;
        let _ = c.close().await;
    });
}

#[test]
fn an_agent_refuses_a_booking_from_the_day_list_with_a_reason() {
    in_chromium(|c, server| {
        Box::pin(async move {
            let base = server.url.clone();
            c.goto(&format!("{base}/admin/connexion"))
                .await
                .expect("goto");
            fill(c, "#login", "agent").await;
            fill(c, "#password", demo::AGENT_PASSWORD).await;
            click(c, "button.primary").await;
            wait_text(c, "h1", "Tableau de bord").await;

            c.goto(&format!(
                "{base}/admin/listes?jour=2027-03-16&activite=cantine"
            ))
            .await
            .expect("goto");
            wait_text(c, "#titre-liste", "mardi 16 mars 2027").await;
            c.find(Locator::XPath(
                "//tr[th[.='Martin'] and td[.='Léa']]//a[starts-with(., 'Refuser')]",
            ))
            .await
            .expect("Léa's link")
            .click()
            .await
            .expect("click");
            wait_text(c, "h1", "Accepter ou refuser une réservation").await;
            let state = wait_text(c, ".state", "Réservé").await;
            assert!(state.contains("État actuel"), "{state}");
            full_page_screenshot(c, "70-decision-formulaire").await;
            let family_page = c
                .find(Locator::Css(".crumbs a[href$='#planning']"))
                .await
                .expect("family link")
                .attr("href")
                .await
                .expect("href")
                .expect("an address");

            // No reason: the form says so next to the field.
            click(c, "button.primary").await;
            wait_text(c, ".error-summary", "n'a pas été enregistrée").await;
            wait_text(c, "#erreur-motif", "Écrivez le motif").await;
            full_page_screenshot(c, "71-decision-sans-motif").await;

            fill(c, "#motif", "Sortie scolaire à la journée").await;
            click(c, "button.primary").await;
            wait_text(c, ".notice", "Réservation refusée pour Léa Martin").await;
            let table = wait_text(c, "table.daily", "Hugo").await;
            assert!(!table.contains("Léa"), "{table}");
            full_page_screenshot(c, "72-decision-liste-apres").await;

            // The family's page shows the refusal and its reason.
            c.goto(&format!("{base}{family_page}")).await.expect("goto");
            let planning = wait_text(c, "#planning", "Sortie scolaire à la journée").await;
            assert!(planning.contains("Refusé"), "{planning}");
            full_page_screenshot(c, "73-decision-planning-famille").await;
        })
    });
}

#[test]
fn an_administrator_creates_and_disables_a_staff_account() {
    in_chromium(|c, server| {
        Box::pin(async move {
            chromium::sign_in_admin(c, server).await;
            click(c, "nav a[href='/admin/personnel']").await;
            wait_text(c, "h1", "Personnel").await;
            fill(c, "#prenom", "Élodie").await;
            fill(c, "#nom", "Le Gall").await;
            click(c, "#role-agent").await;
            click(c, ".staff-form button.primary").await;
            wait_text(c, "h1", "Compte créé").await;
            let sheet = wait_text(c, "table.credentials", "elodie.le-gall").await;
            assert!(sheet.contains("Mot de passe provisoire"), "{sheet}");
            full_page_screenshot(c, "74-personnel-identifiants").await;

            click(c, "a.button[href='/admin/personnel']").await;
            wait_text(c, "h1", "Personnel").await;
            c.find(Locator::XPath(
                "//tr[th[contains(., 'Élodie Le Gall')]]//button[starts-with(., 'Désactiver')]",
            ))
            .await
            .expect("Élodie's button")
            .click()
            .await
            .expect("click");
            wait_text(c, ".notice", "Compte désactivé : Élodie Le Gall").await;
            let table = wait_text(c, "table.staff", "Désactivé").await;
            assert!(table.contains("Réactiver"), "{table}");
            full_page_screenshot(c, "75-personnel-compte-desactive").await;
        })
    });
}
