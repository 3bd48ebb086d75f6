//! The admin page's security at the HTTP level, on SQLite and PostgreSQL: the session
//! cookie's flags and rotation, the second factor (set-up, replay, recovery codes, too many
//! wrong codes), CSRF on every form, roles, the structure's walls, security headers,
//! logout and inactivity.

use cartable_domain::ids::StructureId;
use cartable_server::admin::{self, NewLogin};
use cartable_server::clock::Clock;
use cartable_tests::admin_page::{Browser, code, csrf_of, sign_in};
use cartable_tests::family::Answer;
use cartable_tests::{TestServer, on_each_backend, raw};

fn set_cookies(a: &Answer) -> Vec<String> {
    a.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.clone())
        .collect()
}

fn live_device(server: &TestServer, device_id: &str) -> bool {
    server.count(
        "SELECT COUNT(*) FROM devices WHERE id = $1 AND revoked_at_ms IS NULL",
        device_id,
    ) == 1
}

fn advance(server: &TestServer, secs: i64) {
    let now = server.clock.now();
    server
        .clock
        .set(now + jiff::SignedDuration::from_secs(secs));
}

fn create_agent(server: &TestServer, structure_id: &str) -> (String, String) {
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
    (login, "mot-de-passe-agent".into())
}

#[test]
fn cookies_second_factor_and_logout() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        // The login form sets its own cookie; a login without its token is refused.
        let mut b = Browser::new(&server.url);
        let page = b.get("/admin/connexion");
        assert_eq!(page.status, 200);
        assert!(
            page.text()
                .contains("<label for=\"login\">Identifiant</label>")
        );
        let refused = b.post_raw(
            "/admin/connexion",
            &[
                ("login", &seed.staff.login),
                ("password", &seed.staff.password),
            ],
        );
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert!(set_cookies(&refused).is_empty());

        // Password: a session cookie, HttpOnly, SameSite=Strict, limited to /admin.
        let token = csrf_of(&page.text()).expect("login form token");
        let a = b.post_raw(
            "/admin/connexion",
            &[
                ("csrf", &token),
                ("login", &seed.staff.login),
                ("password", &seed.staff.password),
            ],
        );
        assert_eq!(a.status, 303, "{}", a.text());
        assert_eq!(a.header("location"), "/admin/double-authentification");
        let session_cookie = set_cookies(&a)
            .into_iter()
            .find(|c| c.starts_with("cartable_admin="))
            .expect("session cookie");
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
            assert!(session_cookie.contains(flag), "{session_cookie}");
        }
        assert!(!session_cookie.contains("Secure"), "plain http by default");
        let half_open = b.cookies["cartable_admin"].clone();

        // Half signed in: pages send to the second factor.
        let d = b.get("/admin/");
        assert_eq!(d.status, 303);
        assert_eq!(d.header("location"), "/admin/double-authentification");

        // A wrong code is refused, tied to its field.
        let setup = b.get("/admin/double-authentification");
        let html = setup.text();
        let secret = cartable_tests::admin_page::secret_of(&html).expect("secret shown");
        assert!(html.contains("<svg"), "QR code drawn");
        let wrong = b.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", "000000")],
        );
        assert_eq!(wrong.status, 401);
        assert!(
            wrong
                .text()
                .contains("aria-describedby=\"aide-code erreur-code\"")
        );

        // The right code: recovery codes shown once, and a new session.
        let ok = b.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", &code(server, &secret, 0))],
        );
        assert_eq!(ok.status, 200, "{}", ok.text());
        assert!(ok.text().contains("codes de secours"));
        let full = b.cookies["cartable_admin"].clone();
        assert_ne!(full, half_open, "session rotated after the second factor");
        let dash = b.get("/admin/");
        assert_eq!(dash.status, 200, "{}", dash.text());
        assert!(dash.text().contains("Tableau de bord"));
        let recovery: Vec<String> = ok
            .text()
            .split("<li><code>")
            .skip(1)
            .filter_map(|s| s.split('<').next().map(String::from))
            .collect();
        assert_eq!(recovery.len(), 10);
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM staff_recovery_codes WHERE account_id = \
                 (SELECT id FROM accounts WHERE login = $1) AND code_hash NOT LIKE '%-%'",
                &seed.staff.login,
            ),
            10,
            "recovery codes are stored hashed"
        );
        // The old cookie is worth nothing.
        let mut old = Browser::new(&server.url);
        old.cookies
            .insert("cartable_admin".into(), half_open.clone());
        assert_eq!(old.get("/admin/").status, 303);

        // Next login: the same code again is refused (already used), a recovery code works
        // once.
        let mut b2 = Browser::new(&server.url);
        let a = b2.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[
                ("login", &seed.staff.login),
                ("password", &seed.staff.password),
            ],
        );
        assert_eq!(a.header("location"), "/admin/double-authentification");
        let login_cookie = b2.cookies["cartable_admin"].clone();
        let page = b2.get("/admin/double-authentification");
        assert!(
            !page.text().contains("totp-secret"),
            "the secret is shown only at set-up"
        );
        let replay = b2.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", &code(server, &secret, 0))],
        );
        assert_eq!(replay.status, 401, "a code is accepted once");
        let r = b2.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", &recovery[0].to_uppercase())],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(r.header("location"), "/admin/");
        assert_ne!(b2.cookies["cartable_admin"], login_cookie);
        assert_eq!(b2.get("/admin/").status, 200);

        // Third login: the used recovery code is refused; a code of a later step works.
        let mut b3 = Browser::new(&server.url);
        b3.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[
                ("login", &seed.staff.login),
                ("password", &seed.staff.password),
            ],
        );
        let again = b3.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", &recovery[0])],
        );
        assert_eq!(again.status, 401, "a recovery code serves once");
        advance(server, 30);
        let later = b3.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", &code(server, &secret, 0))],
        );
        assert_eq!(later.status, 303, "{}", later.text());

        // Five wrong codes end the half-open session.
        let window = server.state.settings.login_window_secs;
        advance(server, i64::try_from(window).expect("secs") + 1);
        let mut b4 = Browser::new(&server.url);
        b4.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[
                ("login", &seed.staff.login),
                ("password", &seed.staff.password),
            ],
        );
        let mut last = None;
        for _ in 0..5 {
            last = Some(b4.post_form(
                "/admin/double-authentification",
                "/admin/double-authentification",
                &[("code", "999999")],
            ));
        }
        let last = last.expect("answers");
        assert_eq!(last.status, 303);
        assert_eq!(last.header("location"), "/admin/connexion?fin=codes");
        assert_eq!(b4.get("/admin/double-authentification").status, 303);

        // Logout needs its token, then ends the session.
        let no_token = b.post_raw("/admin/deconnexion", &[]);
        assert_eq!(no_token.status, 403);
        assert_eq!(b.get("/admin/").status, 200, "still signed in");
        let kept = b.cookies["cartable_admin"].clone();
        let out = b.post_form("/admin/", "/admin/deconnexion", &[]);
        assert_eq!(out.status, 303);
        assert!(!b.cookies.contains_key("cartable_admin"), "cookie removed");
        let mut replayed = Browser::new(&server.url);
        replayed.cookies.insert("cartable_admin".into(), kept);
        assert_eq!(
            replayed.get("/admin/").status,
            303,
            "session ended on the server"
        );

        // Inactivity ends a session by the server's rules.
        let idle = server.state.settings.staff_session_idle_secs;
        let mut b5 = sign_in_again(server, &seed.staff.login, &seed.staff.password, &secret);
        assert_eq!(b5.get("/admin/").status, 200);
        advance(server, i64::try_from(idle).expect("secs") + 1);
        let expired = b5.get("/admin/");
        assert_eq!(expired.status, 303);
        assert_eq!(expired.header("location"), "/admin/connexion");

        // A family's account cannot use the page.
        let parent = &seed.families[0].parents[0];
        let mut p = Browser::new(&server.url);
        let refused = p.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[("login", &parent.login), ("password", &parent.password)],
        );
        assert_eq!(refused.status, 403);
        assert!(!p.cookies.contains_key("cartable_admin"));
    });
}

/// Signs an administrator in again with a code of a step not used yet, once the window
/// counting wrong codes is over.
fn sign_in_again(server: &TestServer, login: &str, password: &str, secret: &str) -> Browser {
    let window = server.state.settings.login_window_secs;
    advance(server, i64::try_from(window).expect("secs") + 1);
    let mut b = Browser::new(&server.url);
    let a = b.post_form(
        "/admin/connexion",
        "/admin/connexion",
        &[("login", login), ("password", password)],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let ok = b.post_form(
        "/admin/double-authentification",
        "/admin/double-authentification",
        &[("code", &code(server, secret, 0))],
    );
    assert_eq!(ok.status, 303, "{}", ok.text());
    b
}

#[test]
fn headers_csrf_roles_and_structures() {
    on_each_backend(|server| {
        let a = server.seed(2);
        let b = server.seed(1);
        let mut admin_a = sign_in(server, &a.staff.login, &a.staff.password).browser;

        // Security headers on pages and the style sheet.
        let mut anonymous = Browser::new(&server.url);
        for path in [
            "/admin/",
            "/admin/familles",
            "/admin/personnel",
            "/admin/connexion",
            "/admin/style.css",
        ] {
            let page = if path == "/admin/connexion" {
                anonymous.get(path)
            } else {
                admin_a.get(path)
            };
            assert_eq!(page.status, 200, "{path}");
            let csp = page.header("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
            assert!(
                !csp.contains("script-src") && !csp.contains("unsafe"),
                "{path}: {csp}"
            );
            assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(page.header("x-frame-options"), "DENY", "{path}");
            assert!(!page.header("referrer-policy").is_empty(), "{path}");
            if path != "/admin/style.css" {
                assert_eq!(page.header("cache-control"), "no-store", "{path}");
                assert!(page.header("content-type").starts_with("text/html"));
                assert!(!page.text().contains("<script"), "{path}: no script");
            }
        }

        // A parent's phone of structure A, and one of structure B.
        let parent_a = &a.families[0].parents[0];
        let phone_a = raw::login(&server.url, &parent_a.login, &parent_a.password);
        let parent_b = &b.families[0].parents[0];
        let phone_b = raw::login(&server.url, &parent_b.login, &parent_b.password);
        let family_a = &a.families[0].family_id;
        let family_b = &b.families[0].family_id;
        let revoke_a = format!(
            "/admin/familles/{family_a}/appareils/{}/revoquer",
            phone_a.device_id
        );
        let family_page = format!("/admin/familles/{family_a}");

        // CSRF: no token or a wrong one is refused, and nothing changes.
        let none = admin_a.post_raw(&revoke_a, &[]);
        assert_eq!(none.status, 403, "{}", none.text());
        let wrong = admin_a.post_raw(&revoke_a, &[("csrf", &"0".repeat(64))]);
        assert_eq!(wrong.status, 403);
        // A token of another session is no good either.
        let other_session = sign_in(server, &b.staff.login, &b.staff.password);
        let mut other = other_session.browser;
        let foreign_token = csrf_of(&other.get("/admin/").text()).expect("token");
        let foreign = admin_a.post_raw(&revoke_a, &[("csrf", &foreign_token)]);
        assert_eq!(foreign.status, 403);
        assert!(live_device(server, &phone_a.device_id), "nothing changed");
        // No state change on GET.
        assert_eq!(admin_a.get(&revoke_a).status, 405);
        assert!(live_device(server, &phone_a.device_id));

        // An agent: dashboard and families, but neither admin pages nor revocation.
        let (agent_login, agent_password) = create_agent(server, &a.structure_id);
        let agent = sign_in(server, &agent_login, &agent_password);
        assert!(agent.secret.is_none(), "agents have no second factor");
        let mut agent = agent.browser;
        let dash = agent.get("/admin/");
        assert_eq!(dash.status, 200);
        assert!(!dash.text().contains("Factures en retard"));
        assert!(!dash.text().contains("href=\"/admin/personnel\""));
        assert_eq!(agent.get("/admin/personnel").status, 403);
        let by_agent = agent.post_form(&family_page, &revoke_a, &[]);
        assert_eq!(by_agent.status, 403, "{}", by_agent.text());
        assert!(live_device(server, &phone_a.device_id));
        assert_eq!(agent.get(&family_page).status, 200);

        // Another structure's family: not found, by page or by form, nothing shown.
        let foreign_page = admin_a.get(&format!("/admin/familles/{family_b}"));
        assert_eq!(foreign_page.status, 404);
        assert!(!foreign_page.text().contains(&parent_b.display_name));
        let revoke_b = format!(
            "/admin/familles/{family_b}/appareils/{}/revoquer",
            phone_b.device_id
        );
        let cross = admin_a.post_form("/admin/", &revoke_b, &[]);
        assert_eq!(cross.status, 404);
        // B's device under A's family's address: not found either.
        let mixed = admin_a.post_form(
            "/admin/",
            &format!(
                "/admin/familles/{family_a}/appareils/{}/revoquer",
                phone_b.device_id
            ),
            &[],
        );
        assert_eq!(mixed.status, 404);
        assert!(live_device(server, &phone_b.device_id));
        let all = admin_a.get("/admin/familles?q=famille").text();
        assert!(all.contains(family_a.as_str()));
        assert!(!all.contains(family_b.as_str()), "no family of B listed");
        let children_b = admin_a
            .get(&format!("/admin/familles?q={}", "L%C3%A9a"))
            .text();
        assert!(!children_b.contains(family_b.as_str()));
        let staff_a = admin_a.get("/admin/personnel").text();
        assert!(!staff_a.contains(&b.staff.login), "no staff of B listed");

        // With its token, the administrator signs the phone out.
        let done = admin_a.post_form(&family_page, &revoke_a, &[]);
        assert_eq!(done.status, 303, "{}", done.text());
        assert!(!live_device(server, &phone_a.device_id));
        let after = admin_a.get(done.header("location"));
        assert!(
            after.text().contains("a été déconnecté"),
            "{}",
            after.text()
        );
        assert!(
            !after.text().contains(&phone_a.device_id),
            "the device is no longer listed"
        );

        // Signed out browsers go to the login page.
        anonymous.cookies.clear();
        for path in [
            "/admin/",
            "/admin/familles",
            &family_page,
            "/admin/personnel",
        ] {
            let r = anonymous.get(path);
            assert_eq!(r.status, 303, "{path}");
            // With the page asked for, to come back to it once signed in.
            assert!(
                r.header("location").starts_with("/admin/connexion"),
                "{path}: {}",
                r.header("location")
            );
        }
        // A bearer token of the JSON API is not a page session.
        anonymous.cookies.insert(
            "cartable_admin".into(),
            cartable_tests::staff::login(&server.url, &a.staff.login, &a.staff.password),
        );
        assert_eq!(anonymous.get("/admin/").status, 303);
        let _ = other.get("/admin/");
    });
}
