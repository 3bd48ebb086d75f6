//! The families' pages in a real headless Chromium on SQLite and PostgreSQL: an administrator
//! creates a family (a wrong field said next to it first), prints the credentials letter, the
//! parent signs in on a phone with the letter's one-time password, then a new one-time password
//! is given from the family's page. Full-page screenshots (`30-…` onwards, from the SQLite run)
//! go to `<target>/screenshots/admin/`. Without Chromium the test says SKIPPED (a failure under
//! `CARTABLE_REQUIRE_ALL=1`).

use cartable_server::demo;
use cartable_tests::Device;
use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use fantoccini::{Client, Locator};

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// The value of a letter's row (`Identifiant`, `Mot de passe provisoire`), nth letter.
async fn letter_value(c: &Client, nth: usize, label: &str) -> String {
    let rows = c
        .find_all(Locator::Css("article.letter table.credentials tr"))
        .await
        .expect("rows");
    let mut seen = 0;
    for row in rows {
        let text = row.text().await.expect("text");
        if let Some(value) = text.strip_prefix(label) {
            if seen == nth {
                return value.trim().to_string();
            }
            seen += 1;
        }
    }
    panic!("no {label} in letter {nth}");
}

#[test]
fn an_administrator_creates_a_family_prints_its_letter_and_the_parent_signs_in() {
    chromium::on_each_backend(|session, server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo data");
        let (login, password, second_password) =
            session.run(server, SignIn::Administrator, async |c| {
                click(c, "nav a[href='/admin/familles']").await;
                wait_text(c, "h1", "Familles").await;
                click(c, "a[href='/admin/familles/nouvelle']").await;
                wait_text(c, "h1", "Nouvelle famille").await;
                c.full_page_screenshot("30-nouvelle-famille").await;

                fill(c, "#parent1_prenom", "Élodie").await;
                fill(c, "#parent1_nom", "Le Gall").await;
                fill(c, "#parent1_courriel", "elodie.legall").await;
                fill(c, "#parent1_telephone", "06 12 34 56 78").await;
                fill(c, "#parent2_prenom", "Yann").await;
                fill(c, "#parent2_nom", "Le Gall").await;
                fill(c, "#enfant1_prenom", "Maël").await;
                fill(c, "#enfant1_naissance", "11/02/2019").await;
                fill(c, "#enfant1_ecole", "École élémentaire Jules-Ferry").await;
                fill(c, "#enfant1_classe", "CE1").await;
                fill(c, "#enfant2_prenom", "Nolwenn").await;
                fill(c, "#enfant2_classe", "MS").await;
                click(c, "form.family-form button.primary").await;

                // Two mistakes, each said next to its field and in the summary.
                wait_text(c, ".error-summary", "2 champs à corriger").await;
                let email = text_of(c, "#erreur-parent1_courriel").await;
                assert!(email.contains("Adresse électronique invalide"), "{email}");
                let birth = text_of(c, "#erreur-enfant2_naissance").await;
                assert!(birth.contains("date de naissance"), "{birth}");
                let invalid = c
                    .find(Locator::Css("#parent1_courriel[aria-invalid='true']"))
                    .await
                    .expect("the email field is marked");
                assert_eq!(
                    invalid
                        .attr("aria-describedby")
                        .await
                        .expect("attr")
                        .as_deref(),
                    Some("erreur-parent1_courriel")
                );
                c.full_page_screenshot("31-nouvelle-famille-erreurs").await;

                fill(c, "#parent1_courriel", "elodie.legall@example.fr").await;
                fill(c, "#enfant2_naissance", "04/09/2021").await;
                click(c, "form.family-form button.primary").await;
                wait_text(c, "h1", "Famille créée").await;
                let letters = c
                    .find_all(Locator::Css("article.letter"))
                    .await
                    .expect("letters");
                assert_eq!(letters.len(), 2);
                let first = text_of(c, "article.letter").await;
                assert!(first.contains("Bonjour Élodie Le Gall"), "{first}");
                assert!(first.contains("02 40 00 00 00"), "{first}");
                let login = letter_value(c, 0, "Identifiant").await;
                let password = letter_value(c, 0, "Mot de passe provisoire").await;
                assert_eq!(login, "elodie.le-gall");
                c.full_page_screenshot("32-lettre-identifiants").await;

                // The family's page, then a new one-time password for Yann.
                click(c, ".screen-only a.button").await;
                wait_text(c, "h1", "Famille Le Gall").await;
                let children = text_of(c, "section[aria-labelledby='titre-enfants'] table").await;
                assert!(children.contains("lundi 11 février 2019"), "{children}");
                assert!(
                    children.contains("École élémentaire Jules-Ferry, CE1"),
                    "{children}"
                );
                c.full_page_screenshot("33-famille-creee").await;
                let buttons = c
                    .find_all(Locator::Css(
                        "section[aria-labelledby='titre-parents'] .parent-head button",
                    ))
                    .await
                    .expect("buttons");
                assert_eq!(buttons.len(), 2);
                let mut yann = None;
                for b in buttons {
                    if b.text().await.expect("text").contains("Yann") {
                        yann = Some(b);
                    }
                }
                yann.expect("Yann's button").click().await.expect("click");
                wait_text(c, "h1", "Nouveau mot de passe provisoire").await;
                let second_password = letter_value(c, 0, "Mot de passe provisoire").await;
                assert_eq!(letter_value(c, 0, "Identifiant").await, "yann.le-gall");
                c.full_page_screenshot("34-nouveau-mot-de-passe").await;
                (login, password, second_password)
            });

        // The parents sign in on their phones with the letters' passwords.
        for (who, pass) in [
            (login.as_str(), &password),
            ("yann.le-gall", &second_password),
        ] {
            let phone = Device::new();
            let client = phone.open();
            let account = client
                .login(&server.url, who, pass, "téléphone")
                .unwrap_or_else(|e| panic!("{who} signs in: {e}"));
            assert!(account.must_change_password);
            client
                .change_password(pass, "une phrase assez longue")
                .expect("own password");
            client.sync().expect("sync");
            let dossier = client.dossier().expect("dossier");
            assert_eq!(dossier.children.len(), 2);
        }
    });
}

#[test]
fn an_administrator_reads_a_familys_planning_and_ledger() {
    chromium::on_each_backend(|session, server| {
        let day = |t: &str| t.parse::<jiff::civil::Date>().expect("date");
        server
            .clock
            .set(cartable_tests::family::paris(day("2026-12-01"), 15, 0));
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo data");
        let device = Device::new();
        let phone = device.open();
        phone
            .login(
                &server.url,
                "camille.martin",
                demo::PARENT_PASSWORD,
                "téléphone",
            )
            .expect("login");
        phone.sync().expect("sync");
        let children = phone.dossier().expect("dossier").children;
        let id_of = |first: &str| {
            children
                .iter()
                .find(|(_, c)| c.first_name == first)
                .map(|(id, _)| id.clone())
                .expect("child")
        };
        let (lea, hugo) = (id_of("Léa"), id_of("Hugo"));
        for d in [
            "2026-12-07",
            "2026-12-08",
            "2026-12-10",
            "2026-12-11",
            "2026-12-04",
        ] {
            phone.book(&lea, day(d), "cantine").expect("canteen");
            phone.book(&hugo, day(d), "cantine").expect("canteen");
        }
        phone
            .book(&hugo, day("2026-12-09"), "mercredi")
            .expect("Wednesday centre");
        phone
            .book(&lea, day("2026-12-07"), "garderie-soir")
            .expect("evening");
        phone
            .book_insisting(&lea, day("2026-12-03"), "cantine")
            .expect("too late");
        phone.sync().expect("sync");
        phone
            .declare_absence(&hugo, day("2026-12-08"), day("2026-12-08"), "malade", None)
            .expect("absence");
        phone.sync().expect("sync");

        session.run(server, SignIn::Administrator, async |c| {
            click(c, "nav a[href='/admin/familles']").await;
            wait_text(c, "h1", "Familles").await;
            fill(c, "#q", "Martin").await;
            click(c, "form.search button").await;
            wait_text(c, "#titre-resultats", "Résultats pour").await;
            click(c, "table tbody a").await;
            wait_text(c, "h1", "Famille Martin").await;
            let planning = text_of(c, "#planning").await;
            assert!(planning.contains("Refusé"), "{planning}");
            click(c, ".week-nav a:last-child").await;
            wait_text(c, "#planning h3", "Semaine du lundi 7 décembre 2026").await;
            let planning = text_of(c, "#planning").await;
            assert!(
                planning.contains("Absent") && planning.contains("malade"),
                "{planning}"
            );
            let ledger = text_of(c, "#compte").await;
            assert!(
                ledger.contains("Facture") && ledger.contains("novembre 2026"),
                "{ledger}"
            );
            c.full_page_screenshot("35-famille-planning-factures").await;
        });
    });
}
