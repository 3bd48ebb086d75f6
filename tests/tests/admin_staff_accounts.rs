//! Staff accounts from the admin page, over HTTP on SQLite and PostgreSQL: an administrator
//! creates an account (its one-time password shown once, the first login must replace it),
//! disables it (its page session and API token end at once, it cannot sign in) and enables
//! it again, gives a new one-time password; cannot disable their own account; two
//! administrators disabling each other leave one. Agents are refused, forms without their
//! token change nothing, another structure's accounts are not found.

use cartable_server::demo;
use cartable_tests::admin_page::{Browser, assert_accessible, sign_in};
use cartable_tests::{TestServer, on_each_backend, staff};
use sqlx::Row;

const NEW_PASSWORD: &str = "un mot de passe bien à moi";

fn account_id(server: &TestServer, login: &str) -> Option<String> {
    server.block_on(async {
        sqlx::query("SELECT id FROM accounts WHERE login = $1")
            .bind(login)
            .fetch_optional(&server.state.db.pool)
            .await
            .expect("account")
            .map(|r| r.get("id"))
    })
}

fn disabled(server: &TestServer, login: &str) -> bool {
    server.block_on(async {
        sqlx::query("SELECT disabled_at_ms FROM accounts WHERE login = $1")
            .bind(login)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("account")
            .get::<Option<i64>, _>("disabled_at_ms")
            .is_some()
    })
}

fn audited(server: &TestServer, action: &str) -> i64 {
    server.block_on(async {
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("count")
            .get::<i64, _>(0)
    })
}

/// The one-time password on a credentials sheet.
fn password_on(html: &str) -> String {
    let marker = "<code class=\"password\">";
    let at = html.find(marker).expect("a password on the sheet") + marker.len();
    let end = html[at..].find('<').expect("end of the password");
    html[at..at + end].to_string()
}

/// Signs in with a one-time password and replaces it through the page.
fn first_login(server: &TestServer, login: &str, one_time: &str) -> Browser {
    let mut b = sign_in(server, login, one_time).browser;
    let home = b.get("/admin/");
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), "/admin/mot-de-passe");
    let changed = b.post_form(
        "/admin/mot-de-passe",
        "/admin/mot-de-passe",
        &[
            ("current", one_time),
            ("new", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ],
    );
    assert_eq!(changed.status, 303, "{}", changed.text());
    assert_eq!(b.get("/admin/").status, 200);
    b
}

fn login_status(server: &TestServer, login: &str, password: &str) -> u16 {
    let mut b = Browser::new(&server.url);
    let a = b.post_form(
        "/admin/connexion",
        "/admin/connexion",
        &[("login", login), ("password", password)],
    );
    a.status
}

#[test]
fn an_administrator_creates_disables_enables_and_resets_staff_accounts() {
    on_each_backend(|server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        let other = server.seed(1);
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;

        let page = admin.get("/admin/personnel");
        assert_eq!(page.status, 200, "{}", page.text());
        assert_accessible("staff accounts", &page);
        let html = page.text();
        assert!(
            html.contains("Paul Girard") && html.contains("(vous)"),
            "{html}"
        );

        // Agents are refused; a form without its token changes nothing.
        assert_eq!(agent.get("/admin/personnel").status, 403);
        let fields = [
            ("prenom", "Élodie"),
            ("nom", "Le Gall"),
            ("identifiant", ""),
            ("role", "agent"),
        ];
        assert_eq!(
            agent
                .post_form("/admin/", "/admin/personnel/nouveau", &fields)
                .status,
            403
        );
        assert_eq!(
            admin.post_raw("/admin/personnel/nouveau", &fields).status,
            403
        );
        assert_eq!(account_id(server, "elodie.le-gall"), None);

        // Errors sit next to their field; nothing is created.
        let empty = admin.post_form(
            "/admin/personnel",
            "/admin/personnel/nouveau",
            &[("prenom", " "), ("nom", "Le Gall"), ("role", "agent")],
        );
        assert_eq!(empty.status, 400);
        assert_accessible("staff form with an error", &empty);
        assert!(empty.text().contains("aria-describedby=\"erreur-prenom\""));
        let taken = admin.post_form(
            "/admin/personnel",
            "/admin/personnel/nouveau",
            &[
                ("prenom", "Paul"),
                ("nom", "Bis"),
                ("identifiant", "Agent"),
                ("role", "agent"),
            ],
        );
        assert_eq!(taken.status, 400);
        assert!(
            taken
                .text()
                .contains("L&#39;identifiant « agent » est déjà pris"),
            "{}",
            taken.text()
        );
        assert_eq!(audited(server, "create_staff_account"), 0);

        // Created: the sheet shows the one-time password once.
        let sheet = admin.post_form("/admin/personnel", "/admin/personnel/nouveau", &fields);
        assert_eq!(sheet.status, 200, "{}", sheet.text());
        assert_accessible("staff credentials", &sheet);
        assert_eq!(sheet.header("cache-control"), "no-store");
        let html = sheet.text();
        assert!(html.contains("<code>elodie.le-gall</code>"), "{html}");
        let one_time = password_on(&html);
        assert_eq!(audited(server, "create_staff_account"), 1);
        assert!(!admin.get("/admin/personnel").text().contains(&one_time));

        // Her first login must replace the password; then the page and the API take her.
        let mut elodie = first_login(server, "elodie.le-gall", &one_time);
        let token = staff::login(&server.url, "elodie.le-gall", NEW_PASSWORD);
        let api = |token: &str| {
            staff::send(
                &server.url,
                "GET",
                "/api/v1/staff/catalogue",
                Some(token),
                None,
            )
            .0
        };
        assert_eq!(api(&token), 200);

        // Disabled: her page session and her token end at once; she cannot sign in.
        let elodie_id = account_id(server, "elodie.le-gall").expect("account");
        let disable = format!("/admin/personnel/{elodie_id}/desactiver");
        assert_eq!(admin.post_raw(&disable, &[]).status, 403);
        assert!(!disabled(server, "elodie.le-gall"));
        assert_eq!(agent.post_form("/admin/", &disable, &[]).status, 403);
        let done = admin.post_form("/admin/personnel", &disable, &[]);
        assert_eq!(done.status, 303, "{}", done.text());
        let after = admin.get(done.header("location"));
        assert!(
            after
                .text()
                .contains("Compte désactivé : Élodie Le Gall ne peut plus se connecter"),
            "{}",
            after.text()
        );
        assert!(disabled(server, "elodie.le-gall"));
        assert_eq!(elodie.get("/admin/").status, 303);
        assert_eq!(api(&token), 401);
        assert_eq!(
            login_status(server, "elodie.le-gall", NEW_PASSWORD),
            403,
            "a disabled account cannot sign in"
        );
        let (status, body) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/login",
            None,
            Some(
                &serde_json::json!({"login": "elodie.le-gall", "password": NEW_PASSWORD,
                "device_name": "poste"}),
            ),
        );
        assert_eq!(status, 403, "{body}");

        // Enabled again: she signs in with her own password.
        let enable = format!("/admin/personnel/{elodie_id}/reactiver");
        assert_eq!(
            admin.post_form("/admin/personnel", &enable, &[]).status,
            303
        );
        assert!(!disabled(server, "elodie.le-gall"));
        assert_eq!(
            staff::send(
                &server.url,
                "GET",
                "/api/v1/staff/catalogue",
                Some(&staff::login(&server.url, "elodie.le-gall", NEW_PASSWORD)),
                None,
            )
            .0,
            200
        );

        // A new one-time password for the agent: his session ends, his next login must
        // choose a password.
        let agent_id = account_id(server, "agent").expect("agent");
        let sheet = admin.post_form(
            "/admin/personnel",
            &format!("/admin/personnel/{agent_id}/mot-de-passe"),
            &[],
        );
        assert_eq!(sheet.status, 200, "{}", sheet.text());
        assert!(sheet.text().contains("Nouveau mot de passe provisoire"));
        let reset = password_on(&sheet.text());
        assert_eq!(agent.get("/admin/").status, 303);
        assert_eq!(login_status(server, "agent", demo::AGENT_PASSWORD), 401);
        first_login(server, "agent", &reset);

        // Not their own account; not another structure's.
        let admin_id = account_id(server, "admin").expect("admin");
        let own = admin.post_form(
            "/admin/personnel",
            &format!("/admin/personnel/{admin_id}/desactiver"),
            &[],
        );
        assert_eq!(own.status, 400);
        assert!(
            own.text()
                .contains("Vous ne pouvez pas désactiver votre propre compte"),
            "{}",
            own.text()
        );
        assert!(!disabled(server, "admin"));
        let foreign = account_id(server, &other.staff.login).expect("other admin");
        for action in ["desactiver", "reactiver", "mot-de-passe"] {
            let a = admin.post_form(
                "/admin/personnel",
                &format!("/admin/personnel/{foreign}/{action}"),
                &[],
            );
            assert_eq!(a.status, 404, "{action}");
        }
        assert!(!disabled(server, &other.staff.login));
        assert_eq!(audited(server, "disable_staff_account"), 1);
        assert_eq!(audited(server, "enable_staff_account"), 1);

        // The journal says it in words.
        let journal = admin.get("/admin/journal").text();
        assert!(
            journal.contains("Compte du personnel désactivé"),
            "{journal}"
        );
        assert!(
            journal.contains("Élodie Le Gall (agent, identifiant elodie.le-gall)"),
            "{journal}"
        );
    });
}

#[test]
fn two_administrators_disabling_each_other_leave_one() {
    on_each_backend(|server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        let mut nadia = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let sheet = nadia.post_form(
            "/admin/personnel",
            "/admin/personnel/nouveau",
            &[
                ("prenom", "Marc"),
                ("nom", "Roy"),
                ("identifiant", ""),
                ("role", "administrateur"),
            ],
        );
        assert_eq!(sheet.status, 200, "{}", sheet.text());
        assert!(sheet.text().contains("double authentification"));
        let mut marc = first_login(server, "marc.roy", &password_on(&sheet.text()));
        let nadia_id = account_id(server, "admin").expect("Nadia");
        let marc_id = account_id(server, "marc.roy").expect("Marc");
        let nadia_token =
            cartable_tests::admin_page::csrf_of(&nadia.get("/admin/personnel").text())
                .expect("token");
        let marc_token = cartable_tests::admin_page::csrf_of(&marc.get("/admin/personnel").text())
            .expect("token");
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                nadia.post_raw(
                    &format!("/admin/personnel/{marc_id}/desactiver"),
                    &[("csrf", &nadia_token)],
                )
            });
            let b = s.spawn(|| {
                marc.post_raw(
                    &format!("/admin/personnel/{nadia_id}/desactiver"),
                    &[("csrf", &marc_token)],
                )
            });
            (
                a.join().expect("Nadia's request"),
                b.join().expect("Marc's request"),
            )
        });
        // The other request finds its session ended (back to the login page) or its target
        // the last administrator enabled (400).
        let done = [&a, &b]
            .iter()
            .filter(|r| {
                r.header("location")
                    .starts_with("/admin/personnel?fait=desactive")
            })
            .count();
        assert_eq!(done, 1, "{} {}", a.status, b.status);
        assert_ne!(
            disabled(server, "admin"),
            disabled(server, "marc.roy"),
            "one administrator stays enabled"
        );
    });
}
