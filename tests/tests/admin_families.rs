//! Creating a family from the admin page and the parents' credentials letter, on SQLite and
//! PostgreSQL: the family, its dossier and its logins exist and a parent signs in on a phone
//! with the letter's one-time password; wrong fields are said next to them and nothing is
//! created; a form without its CSRF token changes nothing; agents may not create families but
//! may give a parent a new one-time password; another structure's parents are not found.

use cartable_domain::ids::StructureId;
use cartable_server::admin::{self, NewLogin};
use cartable_tests::admin_page::{Browser, assert_accessible, sign_in};
use cartable_tests::family::Answer;
use cartable_tests::{Device, Seed, TestServer, on_each_backend, raw};

const PASSWORD: &str = "mot-de-passe-test";

fn create_agent(server: &TestServer, structure_id: &str) -> Browser {
    let login = format!("agent.{}", &structure_id[..8]);
    server
        .block_on(admin::create_staff(
            &server.state,
            &StructureId::new(structure_id.to_string()),
            &NewLogin {
                first_name: "Paul".into(),
                last_name: "Agent".into(),
                login: login.clone(),
                password: Some("mot-de-passe-agent".into()),
            },
            false,
        ))
        .expect("agent");
    sign_in(server, &login, "mot-de-passe-agent").browser
}

fn families_of(server: &TestServer, seed: &Seed) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM families WHERE structure_id = $1",
        &seed.structure_id,
    )
}

/// The text of the `<code>` cell that follows `label` in a letter.
fn letter_value(html: &str, label: &str, nth: usize) -> String {
    html.split(&format!("<th scope=\"row\">{label}</th><td><code"))
        .nth(nth + 1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no {label} in the letter: {html}"))
        .to_string()
}

fn family_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("nom", ""),
        ("parent1_prenom", "Élodie"),
        ("parent1_nom", "Le Gall"),
        ("parent1_courriel", "elodie.legall@example.fr"),
        ("parent1_telephone", "06 12 34 56 78"),
        ("parent1_identifiant", ""),
        ("parent2_prenom", "Yann"),
        ("parent2_nom", "Le Gall"),
        ("parent2_courriel", ""),
        ("parent2_telephone", ""),
        ("parent2_identifiant", "yann.lg"),
        ("enfant1_prenom", "Maël"),
        ("enfant1_nom", ""),
        ("enfant1_naissance", "2019-02-11"),
        ("enfant1_ecole", "École du Port"),
        ("enfant1_classe", "CE1"),
        ("enfant2_prenom", "Nolwenn"),
        ("enfant2_nom", ""),
        ("enfant2_naissance", "04/09/2021"),
        ("enfant2_ecole", ""),
        ("enfant2_classe", "MS"),
    ]
}

#[test]
fn an_administrator_creates_a_family_and_a_parent_signs_in_with_the_letter() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let mut admin_page = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let list = admin_page.get("/admin/familles");
        assert!(list.text().contains("href=\"/admin/familles/nouvelle\""));
        let form = admin_page.get("/admin/familles/nouvelle");
        assert_eq!(form.status, 200);
        assert_accessible("new family", &form);

        let before = families_of(server, &seed);
        let letter = admin_page.post_form(
            "/admin/familles/nouvelle",
            "/admin/familles/nouvelle",
            &family_form(),
        );
        assert_eq!(letter.status, 200, "{}", letter.text());
        assert_accessible("credentials letter", &letter);
        assert_eq!(letter.header("cache-control"), "no-store");
        let html = letter.text();
        assert!(html.contains("Famille créée"), "{html}");
        assert!(html.contains("Bonjour Élodie Le Gall"), "{html}");
        assert!(html.contains("Bonjour Yann Le Gall"), "{html}");
        assert!(html.contains("Installez l'application"), "{html}");
        assert_eq!(letter_value(&html, "Identifiant", 0), "elodie.le-gall");
        assert_eq!(letter_value(&html, "Identifiant", 1), "yann.lg");
        let password = letter_value(&html, "Mot de passe provisoire", 0);
        assert!(password.len() >= 12, "{password}");
        assert_eq!(
            letter_value(&html, "Adresse du service", 0),
            server.url,
            "the app's address is this server"
        );
        assert_eq!(families_of(server, &seed), before + 1);

        // The family's page: its name from the first parent, its children with their school,
        // the first parent's contact on the dossier.
        let family_id = html
            .split("href=\"/admin/familles/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("link to the family")
            .to_string();
        let page = admin_page.get(&format!("/admin/familles/{family_id}"));
        assert_eq!(page.status, 200);
        let page = page.text();
        assert!(page.contains("<h1>Famille Le Gall</h1>"), "{page}");
        assert!(page.contains("Maël Le Gall"), "{page}");
        assert!(page.contains("lundi 11 février 2019"), "{page}");
        assert!(page.contains("École du Port, CE1"), "{page}");
        assert!(page.contains("samedi 4 septembre 2021"), "{page}");
        assert!(page.contains("06 12 34 56 78"), "{page}");
        assert!(page.contains("elodie.legall@example.fr"), "{page}");
        assert!(page.contains("mot de passe provisoire à changer"), "{page}");
        let audited = server.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'create_family' AND family_id = $1",
            &family_id,
        );
        assert_eq!(audited, 1);

        // The parent signs in on a phone with the letter's password, and must replace it.
        let phone = Device::new();
        let client = phone.open();
        let account = client
            .login(
                &server.url,
                "elodie.le-gall",
                &password,
                "téléphone d'Élodie",
            )
            .expect("login with the one-time password");
        assert!(account.must_change_password);
        client
            .change_password(&password, "une phrase assez longue")
            .expect("own password");
        client.sync().expect("sync");
        let dossier = client.dossier().expect("dossier");
        let mut children: Vec<String> = dossier
            .children
            .values()
            .map(|c| format!("{} {} {}", c.first_name, c.last_name, c.birth_date))
            .collect();
        children.sort();
        assert_eq!(
            children,
            ["Maël Le Gall 2019-02-11", "Nolwenn Le Gall 2021-09-04"]
        );
    });
}

fn field_error(a: &Answer, field: &str) -> bool {
    let html = a.text();
    html.contains(&format!("id=\"erreur-{field}\""))
        && html.contains(&format!("id=\"{field}\" name=\"{field}\""))
        && html
            .split(&format!("id=\"{field}\" name=\"{field}\""))
            .nth(1)
            .and_then(|s| s.split('>').next())
            .is_some_and(|tag| tag.contains("aria-invalid=\"true\"") && tag.contains("erreur-"))
}

#[test]
fn wrong_fields_are_said_next_to_them_and_nothing_is_created() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let taken = seed.families[0].parents[0].login.clone();
        let mut admin_page = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let before = families_of(server, &seed);
        let accounts_before = server.count(
            "SELECT COUNT(*) FROM accounts WHERE structure_id = $1",
            &seed.structure_id,
        );
        let mut fields = family_form();
        for (k, v) in fields.iter_mut() {
            match *k {
                "parent1_courriel" => *v = "pas-une-adresse",
                "parent1_telephone" => *v = "appelez-moi",
                "parent2_identifiant" => *v = taken.as_str(),
                "enfant1_naissance" => *v = "31/02/2019",
                "enfant2_prenom" => *v = "",
                _ => {}
            }
        }
        let refused = admin_page.post_form(
            "/admin/familles/nouvelle",
            "/admin/familles/nouvelle",
            &fields,
        );
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert_accessible("new family with errors", &refused);
        for field in [
            "parent1_courriel",
            "parent1_telephone",
            "parent2_identifiant",
            "enfant1_naissance",
            "enfant2_prenom",
        ] {
            assert!(field_error(&refused, field), "{field}: {}", refused.text());
        }
        let html = refused.text();
        assert!(html.contains("5 champs à corriger"), "{html}");
        assert!(html.contains("Adresse électronique invalide"), "{html}");
        assert!(html.contains("déjà utilisé"), "{html}");
        // What was typed is kept.
        assert!(html.contains("value=\"Élodie\""), "{html}");
        assert_eq!(families_of(server, &seed), before);
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM accounts WHERE structure_id = $1",
                &seed.structure_id,
            ),
            accounts_before
        );

        // A form without a first parent.
        let empty = admin_page.post_form(
            "/admin/familles/nouvelle",
            "/admin/familles/nouvelle",
            &[("nom", "Famille Vide")],
        );
        assert_eq!(empty.status, 422);
        assert!(field_error(&empty, "parent1_prenom"));
        assert!(field_error(&empty, "parent1_nom"));
        assert_eq!(families_of(server, &seed), before);
    });
}

#[test]
fn without_its_token_or_as_an_agent_the_form_creates_nothing() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let mut admin_page = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let before = families_of(server, &seed);
        let forged = admin_page.post_raw("/admin/familles/nouvelle", &family_form());
        assert_eq!(forged.status, 403);
        let mut wrong_token = vec![("csrf", "0".repeat(64).leak() as &str)];
        wrong_token.extend(family_form());
        let forged = admin_page.post_raw("/admin/familles/nouvelle", &wrong_token);
        assert_eq!(forged.status, 403);
        assert_eq!(families_of(server, &seed), before);

        let mut agent = create_agent(server, &seed.structure_id);
        let list = agent.get("/admin/familles");
        assert!(!list.text().contains("/admin/familles/nouvelle"));
        assert_eq!(agent.get("/admin/familles/nouvelle").status, 403);
        let refused = agent.post_form(
            "/admin/familles",
            "/admin/familles/nouvelle",
            &family_form(),
        );
        assert_eq!(refused.status, 403);
        assert_eq!(families_of(server, &seed), before);

        // Signed out: the login page, nothing created.
        let mut anonymous = Browser::new(&server.url);
        assert_eq!(anonymous.get("/admin/familles/nouvelle").status, 303);
        assert_eq!(families_of(server, &seed), before);
    });
}

#[test]
fn staff_give_a_parent_a_new_one_time_password_in_their_structure_only() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let other = server.seed(1);
        let family = &seed.families[0];
        let parent = &family.parents[0];
        let account_id = server.block_on(async {
            cartable_server::db::accounts::account_by_login(&server.state.db, &parent.login)
                .await
                .expect("query")
                .expect("parent")
                .id
                .to_string()
        });
        let session = raw::login(&server.url, &parent.login, PASSWORD);
        let path = format!(
            "/admin/familles/{}/parents/{account_id}/mot-de-passe",
            family.family_id
        );
        let family_page = format!("/admin/familles/{}", family.family_id);

        let mut agent = create_agent(server, &seed.structure_id);
        let page = agent.get(&family_page);
        assert!(page.text().contains(&format!("action=\"{path}\"")));

        // Without the token: refused, the password still works.
        assert_eq!(agent.post_raw(&path, &[]).status, 403);
        assert_eq!(
            raw::login_attempt(&server.url, &parent.login, PASSWORD).0,
            200
        );

        // Another structure's administrator: not found, nothing changed.
        let mut outsider = sign_in(server, &other.staff.login, PASSWORD).browser;
        let other_family = format!("/admin/familles/{}", other.families[0].family_id);
        assert_eq!(outsider.post_form(&other_family, &path, &[]).status, 404);
        let crossed = format!(
            "/admin/familles/{}/parents/{account_id}/mot-de-passe",
            other.families[0].family_id
        );
        assert_eq!(outsider.post_form(&other_family, &crossed, &[]).status, 404);
        assert_eq!(
            raw::login_attempt(&server.url, &parent.login, PASSWORD).0,
            200
        );

        // The agent of the structure: a letter with the new password; the old one and the
        // parent's sessions end.
        let letter = agent.post_form(&family_page, &path, &[]);
        assert_eq!(letter.status, 200, "{}", letter.text());
        assert_accessible("new password letter", &letter);
        let html = letter.text();
        assert!(html.contains("Nouveau mot de passe provisoire"), "{html}");
        assert_eq!(letter_value(&html, "Identifiant", 0), parent.login);
        let password = letter_value(&html, "Mot de passe provisoire", 0);
        assert_ne!(
            raw::login_attempt(&server.url, &parent.login, PASSWORD).0,
            200
        );
        let fresh = raw::login(&server.url, &parent.login, &password);
        assert!(fresh.must_change_password);
        let ended = server.count(
            "SELECT COUNT(*) FROM devices WHERE id = $1 AND revoked_at_ms IS NULL",
            &session.device_id,
        );
        assert_eq!(ended, 0, "the parent's earlier session ended");
        assert!(
            agent
                .get(&family_page)
                .text()
                .contains("mot de passe provisoire à changer")
        );
    });
}
