//! axe-core on every main page of the admin page, in a real headless Chromium on SQLite and
//! PostgreSQL: the login page, then each page an administrator uses (with the demo's data in
//! late May 2027, so tables, forms and charts are filled), and the accessibility statement. A
//! serious or critical violation fails the test; the others are printed. Without Chromium or
//! axe-core the test says SKIPPED (a failure under `CARTABLE_REQUIRE_ALL=1`). Over HTTP on both
//! backends: the statement is linked from every page's footer, signed in or not, and gives the
//! structure's contact once signed in.

use cartable_server::demo;
use cartable_tests::admin_page::{Browser, assert_accessible, sign_in};
use cartable_tests::axe;
use cartable_tests::billing::demo_in_may;
use cartable_tests::chromium::{self, SignIn, sign_in_admin, wait_text};
use cartable_tests::{TestServer, on_each_backend};
use sqlx::Row;

fn first(server: &TestServer, sql: &'static str) -> String {
    server.block_on(async {
        sqlx::query(sql)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("row")
            .get(0)
    })
}

#[test]
fn every_main_page_passes_axe_core_without_serious_violations() {
    let Some(script) = axe::script() else {
        return;
    };
    chromium::on_each_backend(|session, server| {
        demo_in_may(server);
        let family = first(
            server,
            "SELECT id FROM families WHERE name = 'Famille Martin'",
        );
        let invoice = first(
            server,
            "SELECT number FROM invoices WHERE kind = 'invoice' ORDER BY number",
        );
        let pages = [
            "/admin/",
            "/admin/familles?q=martin",
            &format!("/admin/familles/{family}"),
            "/admin/familles/nouvelle",
            "/admin/dossiers",
            "/admin/justificatifs",
            "/admin/listes?jour=2027-05-18&activite=cantine",
            "/admin/pointage?jour=2027-05-18&activite=cantine",
            "/admin/configuration",
            "/admin/configuration/activites/cantine",
            "/admin/configuration/activites/cantine/tarif",
            "/admin/facturation?mois=2027-04",
            "/admin/factures?mois=2027-03",
            &format!("/admin/factures/{invoice}"),
            "/admin/impayes",
            "/admin/attestations",
            "/admin/informations",
            "/admin/journal",
            "/admin/personnel",
            "/admin/mot-de-passe",
            "/admin/accessibilite",
        ];
        session.run(server, SignIn::Nobody, async |c| {
            let base = c.base();
            let mut serious = Vec::new();
            let mut report = |path: &str, found: Vec<axe::Violation>| {
                for v in found {
                    let line = format!(
                        "{path}: {} ({}) {}\n    {}",
                        v.id,
                        v.impact.as_deref().unwrap_or("?"),
                        v.help,
                        v.nodes.join("\n    ")
                    );
                    eprintln!("axe: {line}");
                    if v.is_serious() {
                        serious.push(line);
                    }
                }
            };
            // The checker itself: a page with an unnamed image and a field without a label.
            c.goto("data:text/html,<html><body><img src='x.png'><input></body></html>")
                .await
                .expect("goto");
            let known: Vec<String> = axe::check(c, &script)
                .await
                .into_iter()
                .map(|v| v.id)
                .collect();
            assert!(
                known.contains(&"image-alt".to_string()) && known.contains(&"label".to_string()),
                "axe-core did not run: {known:?}"
            );
            c.goto(&format!("{base}/admin/connexion"))
                .await
                .expect("goto");
            wait_text(c, "h1", "Connexion").await;
            report("/admin/connexion", axe::check(c, &script).await);
            sign_in_admin(c, server).await;
            for path in pages {
                c.goto(&format!("{base}{path}")).await.expect("goto");
                let title = wait_text(c, "h1", "").await;
                assert!(!title.contains("introuvable"), "{path}: {title}");
                report(path, axe::check(c, &script).await);
            }
            c.full_page_screenshot("90-declaration-accessibilite").await;
            assert!(
                serious.is_empty(),
                "axe-core found serious or critical violations:\n{}",
                serious.join("\n")
            );
        });
    });
}

#[test]
fn the_statement_is_linked_from_every_footer_and_gives_the_structures_contact() {
    on_each_backend(|server| {
        cartable_tests::daily::demo_with_canteen(server);
        let mut anonymous = Browser::new(&server.url);
        let login = anonymous.get("/admin/connexion").text();
        assert!(
            login.contains(
                "<a href=\"/admin/accessibilite\">Accessibilité : partiellement conforme</a>"
            ),
            "{login}"
        );
        let public = anonymous.get("/admin/accessibilite");
        assert_eq!(public.status, 200);
        assert_accessible("accessibility statement", &public);
        let html = public.text();
        for expected in [
            "Déclaration d'accessibilité",
            "partiellement conforme",
            "RGAA",
            "axe-core",
            "Défenseur des droits",
            "au service périscolaire de votre mairie",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        for page in ["/admin/", "/admin/listes", "/admin/accessibilite"] {
            assert!(
                agent
                    .get(page)
                    .text()
                    .contains("href=\"/admin/accessibilite\""),
                "{page}"
            );
        }
        let signed = agent.get("/admin/accessibilite").text();
        assert!(
            signed.contains("mailto:periscolaire@saint-aubin.example")
                && signed.contains("aux coordonnées ci-dessous"),
            "{signed}"
        );
    });
}
