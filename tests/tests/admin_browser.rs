//! The admin page in a real headless Chromium on SQLite and PostgreSQL (WebDriver through
//! chromedriver): an administrator's first login with the second factor set up from the secret
//! the page shows (the code computed here), the dashboard's charts, the family search and a
//! family's page, logout. Full-page screenshots (from the SQLite run) go to
//! `<target>/screenshots/admin/`. Without Chromium the test says SKIPPED (a failure under
//! `CARTABLE_REQUIRE_ALL=1`).

use cartable_domain::calendar::{add_days, paris_date};
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::planning::CellKey;
use cartable_server::{demo, demo_billing};
use cartable_tests::TestServer;
use cartable_tests::admin_page::code;
use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use fantoccini::Locator;
use sqlx::Row;

/// This week's bookings for the demo families, so that the dashboard has something to draw.
fn book_this_week(server: &TestServer) {
    server.block_on(async {
        let state = &server.state;
        let structure_id =
            cartable_server::db::accounts::structure_by_name(&state.db, demo::STRUCTURE_NAME)
                .await
                .expect("query")
                .expect("demo structure");
        let structure_id = StructureId::new(structure_id);
        let today = paris_date(state.clock.now());
        let monday = add_days(
            today,
            -i64::from(today.weekday().to_monday_one_offset() - 1),
        )
        .expect("monday");
        let families = sqlx::query(
            "SELECT f.id, MIN(a.id) AS account_id FROM families f JOIN accounts a \
             ON a.family_id = f.id WHERE f.structure_id = $1 GROUP BY f.id ORDER BY f.id",
        )
        .bind(structure_id.as_str())
        .fetch_all(&state.db.pool)
        .await
        .expect("families");
        for (index, f) in families.iter().enumerate() {
            let family_id = FamilyId::new(f.get::<String, _>("id"));
            let account_id: String = f.get("account_id");
            let children = sqlx::query("SELECT child_id FROM children WHERE family_id = $1")
                .bind(family_id.as_str())
                .fetch_all(&state.db.pool)
                .await
                .expect("children");
            let mut cells = Vec::new();
            for c in &children {
                let child: String = c.get("child_id");
                for offset in 0..5 {
                    let day = add_days(monday, offset).expect("day");
                    let weekday = offset + 1;
                    if weekday != 3 {
                        cells.push(CellKey::new(child.clone(), day, "cantine"));
                    }
                    if index == 0 && (weekday == 2 || weekday == 4) {
                        cells.push(CellKey::new(child.clone(), day, "garderie-soir"));
                    }
                    if index == 1 && weekday == 3 {
                        cells.push(CellKey::new(child.clone(), day, "mercredi"));
                    }
                    if index == 1 && weekday == 1 {
                        cells.push(CellKey::new(child.clone(), day, "garderie-matin"));
                    }
                }
            }
            demo_billing::book(state, &structure_id, &family_id, &account_id, &cells)
                .await
                .expect("bookings");
        }
    });
}

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
fn admin_login_with_totp_dashboard_and_families() {
    chromium::on_each_backend(|session, server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo data");
        book_this_week(server);
        // A parent's phone, for the family's page to list.
        let phone = cartable_tests::http::json(
            &server.url,
            "POST",
            "/api/v1/login",
            None,
            &serde_json::json!({
                "login": "samira.benali",
                "password": demo::PARENT_PASSWORD,
                "device_name": "Téléphone de Samira",
            }),
        );
        assert_eq!(phone.status, 200, "{}", phone.text());
        session.run(server, SignIn::Nobody, async |c| {
            let base = c.base();

            // Signed out: the dashboard's address leads to the login page.
            c.goto(&format!("{base}/admin/")).await.expect("goto");
            assert!(
                c.current_url()
                    .await
                    .expect("url")
                    .path()
                    .ends_with("/admin/connexion")
            );
            wait_text(c, "h1", "Connexion du personnel").await;
            c.full_page_screenshot("01-connexion").await;

            // A wrong password is said next to the fields.
            fill(c, "#login", "admin").await;
            fill(c, "#password", "pas-le-bon").await;
            click(c, "button.primary").await;
            wait_text(c, "#erreur-connexion", "incorrect").await;
            c.full_page_screenshot("02-connexion-refusee").await;

            fill(c, "#login", "admin").await;
            fill(c, "#password", demo::STAFF_PASSWORD).await;
            click(c, "button.primary").await;

            // First login of an administrator: the second factor is set up.
            wait_text(c, "h1", "Activer la double authentification").await;
            c.find(Locator::Css(".qr svg")).await.expect("QR code");
            let secret = text_of(c, "#totp-secret").await.replace(' ', "");
            c.full_page_screenshot("03-double-authentification").await;
            fill(c, "#code", "000000").await;
            click(c, "button.primary").await;
            wait_text(c, "#erreur-code", "Code incorrect").await;
            c.full_page_screenshot("04-code-errone").await;
            fill(c, "#code", &code(server, &secret, 0)).await;
            click(c, "button.primary").await;
            wait_text(c, "h1", "Vos codes de secours").await;
            let codes = c
                .find_all(Locator::Css("#codes-secours code"))
                .await
                .expect("codes");
            assert_eq!(codes.len(), 10);
            c.full_page_screenshot("05-codes-de-secours").await;

            // The dashboard with its charts.
            click(c, "a.button.primary").await;
            wait_text(c, "h1", "Tableau de bord").await;
            c.find(Locator::Css("svg[aria-labelledby='semaine-t semaine-d']"))
                .await
                .expect("week chart");
            let week = text_of(c, "#titre-semaine").await;
            assert!(week.starts_with("Semaine du lundi"), "{week}");
            let source = c.source().await.expect("source");
            assert!(source.contains("Restauration scolaire"));
            c.full_page_screenshot("06-tableau-de-bord").await;

            // Families: all of them, then a search by a child's first name.
            click(c, "nav a[href='/admin/familles']").await;
            wait_text(c, "h1", "Familles").await;
            let all = text_of(c, "#titre-resultats").await;
            assert!(all.starts_with("Toutes les familles"), "{all}");
            fill(c, "#q", "Inès").await;
            click(c, "form.search button").await;
            let results = wait_text(c, "#titre-resultats", "Résultats pour").await;
            let results = format!("{results} {}", text_of(c, "table tbody").await);
            assert!(results.contains("Famille Benali"), "{results}");
            assert!(!results.contains("Famille Martin"), "{results}");
            c.full_page_screenshot("07-recherche-familles").await;

            // A family's page: children with dates in French, parents and devices.
            click(c, "table tbody a").await;
            wait_text(c, "h1", "Famille Benali").await;
            let children = text_of(c, "section[aria-labelledby='titre-enfants'] table").await;
            assert!(children.contains("jeudi 21 juin 2018"), "{children}");
            assert!(children.contains("Végétarien"), "{children}");
            let devices = text_of(c, "section[aria-labelledby='titre-parents']").await;
            assert!(devices.contains("Déconnecter"), "{devices}");
            c.full_page_screenshot("08-famille").await;

            // The administrator signs the parent's phone out.
            click(c, "section[aria-labelledby='titre-parents'] button.danger").await;
            wait_text(c, ".notice", "a été déconnecté").await;
            let devices = text_of(c, "section[aria-labelledby='titre-parents']").await;
            assert!(!devices.contains("Téléphone de Samira"), "{devices}");
            c.full_page_screenshot("09-appareil-deconnecte").await;

            // Staff accounts.
            click(c, "nav a[href='/admin/personnel']").await;
            wait_text(c, "h1", "Personnel").await;
            let staff = text_of(c, "table tbody").await;
            assert!(
                staff.contains("Activée") && staff.contains("Paul Girard"),
                "{staff}"
            );
            c.full_page_screenshot("10-personnel").await;

            // Logout.
            click(c, "header form button").await;
            wait_text(c, ".notice", "déconnecté").await;

            // An agent: no second factor, no invoices, no staff page.
            fill(c, "#login", "agent").await;
            fill(c, "#password", demo::AGENT_PASSWORD).await;
            click(c, "button.primary").await;
            wait_text(c, "h1", "Tableau de bord").await;
            let source = c.source().await.expect("source");
            assert!(!source.contains("Factures en retard"));
            assert!(!source.contains("/admin/personnel"));
            c.full_page_screenshot("11-tableau-agent").await;
            c.goto(&format!("{base}/admin/personnel"))
                .await
                .expect("goto");
            wait_text(c, "h1", "Accès refusé").await;
            c.full_page_screenshot("12-acces-refuse").await;
        });
    });
}
