//! The admin page's journal, over HTTP on SQLite and PostgreSQL: staff readings of health
//! data and configuration changes are listed with who did them, in French; agents refused;
//! another structure's entries never shown.

use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::daily::{DAY, demo_with_canteen};
use cartable_tests::on_each_backend;

#[test]
fn the_journal_lists_what_staff_did_in_the_structure() {
    on_each_backend(|server| {
        demo_with_canteen(server);
        let other = server.seed(1);
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(
            agent
                .get(&format!("/admin/listes?jour={DAY}&activite=cantine"))
                .status,
            200
        );
        assert_eq!(agent.get("/admin/journal").status, 403);

        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let tariff = "/admin/configuration/activites/garderie-matin/tarif";
        let saved = admin.post_form(
            tariff,
            tariff,
            &[
                ("mode", "unique"),
                ("prix", "1,60"),
                ("fratrie", "aucune"),
                ("sans-reservation-type", "aucun"),
                ("hors-delai-type", "aucun"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        let closed = admin.post_form(
            "/admin/configuration",
            "/admin/configuration/fermetures",
            &[
                ("libelle", "Pont"),
                ("du", "2027-05-07"),
                ("au", "2027-05-07"),
            ],
        );
        assert_eq!(closed.status, 303, "{}", closed.text());

        let journal = admin.get("/admin/journal");
        assert_eq!(journal.status, 200);
        assert_accessible("journal", &journal);
        let html = journal.text();
        for expected in [
            "Liste du jour consultée (régimes, allergies, PAI)",
            "Tarif modifié",
            "Fermetures modifiées",
            "Paul Girard",
            "garderie-matin",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        let foreign = admin_b.get("/admin/journal").text();
        assert!(!foreign.contains("Tarif modifié") && !foreign.contains("Paul Girard"));
    });
}
