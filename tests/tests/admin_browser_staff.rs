//! The staff's own work in a real headless Chromium on SQLite and PostgreSQL: an agent refuses
//! a child's booking from the day's list with a reason. Full-page screenshots (from the SQLite
//! run) go to `<target>/screenshots/admin/7N-*.png`. Without Chromium the test says SKIPPED (a
//! failure under `CARTABLE_REQUIRE_ALL=1`).

use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use cartable_tests::daily::demo_with_canteen;
use fantoccini::Locator;

#[test]
fn an_agent_refuses_a_booking_from_the_day_list_with_a_reason() {
    chromium::on_each_backend(|session, server| {
        demo_with_canteen(server);
        session.run(server, SignIn::Agent, async |c| {
            let base = c.base();

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
            c.full_page_screenshot("70-decision-formulaire").await;
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
            c.full_page_screenshot("71-decision-sans-motif").await;

            fill(c, "#motif", "Sortie scolaire à la journée").await;
            click(c, "button.primary").await;
            wait_text(c, ".notice", "Réservation refusée pour Léa Martin").await;
            let table = wait_text(c, "table.daily", "Hugo").await;
            assert!(!table.contains("Léa"), "{table}");
            c.full_page_screenshot("72-decision-liste-apres").await;

            // The family's page shows the refusal and its reason.
            c.goto(&format!("{base}{family_page}")).await.expect("goto");
            let planning = wait_text(c, "#planning", "Sortie scolaire à la journée").await;
            assert!(planning.contains("Refusé"), "{planning}");
            c.full_page_screenshot("73-decision-planning-famille").await;
        });
    });
}

#[test]
fn an_administrator_creates_and_disables_a_staff_account() {
    chromium::on_each_backend(|session, server| {
        demo_with_canteen(server);
        session.run(server, SignIn::Administrator, async |c| {
            click(c, "nav a[href='/admin/personnel']").await;
            wait_text(c, "h1", "Personnel").await;
            fill(c, "#prenom", "Élodie").await;
            fill(c, "#nom", "Le Gall").await;
            click(c, "#role-agent").await;
            click(c, ".staff-form button.primary").await;
            wait_text(c, "h1", "Compte créé").await;
            let sheet = wait_text(c, "table.credentials", "elodie.le-gall").await;
            assert!(sheet.contains("Mot de passe provisoire"), "{sheet}");
            c.full_page_screenshot("74-personnel-identifiants").await;

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
            c.full_page_screenshot("75-personnel-compte-desactive")
                .await;
        });
    });
}
