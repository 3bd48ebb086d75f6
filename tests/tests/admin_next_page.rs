//! Back to the page asked for after signing in, over HTTP on SQLite and PostgreSQL: an agent
//! straight after the password, an administrator after the second factor (set up or
//! given); an address that is not one of this server's admin pages leads to the dashboard.

use cartable_server::clock::Clock;
use cartable_server::demo;
use cartable_tests::admin_page::{Browser, code, csrf_of, secret_of};
use cartable_tests::{TestServer, on_each_backend};

fn advance(server: &TestServer, secs: i64) {
    let now = server.clock.now();
    server
        .clock
        .set(now + jiff::SignedDuration::from_secs(secs));
}

const LIST: &str = "/admin/listes?jour=2027-03-16&activite=cantine";

/// Posts the login form with `suite`; returns the answer's location.
fn login_to(server: &TestServer, login: &str, password: &str, suite: &str) -> (Browser, String) {
    let mut b = Browser::new(&server.url);
    let a = b.post_form(
        "/admin/connexion",
        "/admin/connexion",
        &[("login", login), ("password", password), ("suite", suite)],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let location = a.header("location").to_string();
    (b, location)
}

#[test]
fn signing_in_leads_back_to_the_page_asked_for_and_nowhere_else() {
    on_each_backend(|server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");

        // Signed out: the login page, which carries the page asked for.
        let mut anonymous = Browser::new(&server.url);
        let asked = anonymous.get(LIST);
        assert_eq!(asked.status, 303);
        let login_page = asked.header("location").to_string();
        assert_eq!(
            login_page,
            "/admin/connexion?suite=%2Fadmin%2Flistes%3Fjour%3D2027-03-16%26activite%3Dcantine"
        );
        let html = anonymous.get(&login_page).text();
        assert!(
            html.contains(
                "name=\"suite\" value=\"/admin/listes?jour=2027-03-16&#38;activite=cantine\""
            ),
            "{html}"
        );

        // An agent goes straight there.
        let (mut agent, location) = login_to(server, "agent", demo::AGENT_PASSWORD, LIST);
        assert_eq!(location, LIST);
        assert_eq!(agent.get(&location).status, 200);

        // Anything else leads to the dashboard.
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/admin/../x",
            "/admin/%2e%2e/x",
            "/admin\\..\\x",
            "/administrateur",
            "/admin/x\r\nSet-Cookie: cartable_admin=x",
        ] {
            let (_, location) = login_to(server, "agent", demo::AGENT_PASSWORD, evil);
            assert_eq!(location, "/admin/", "{evil:?}");
        }
        let html = Browser::new(&server.url)
            .get("/admin/connexion?suite=https%3A%2F%2Fevil.example")
            .text();
        assert!(!html.contains("evil.example"), "{html}");

        // An administrator: the second factor first, set up, then the page asked for.
        let (mut admin, location) =
            login_to(server, "admin", demo::STAFF_PASSWORD, "/admin/journal");
        assert_eq!(
            location,
            "/admin/double-authentification?suite=%2Fadmin%2Fjournal"
        );
        let page = admin.get(&location).text();
        let secret = secret_of(&page).expect("secret");
        let token = csrf_of(&page).expect("token");
        let suite = "/admin/journal";
        let codes = admin.post_raw(
            "/admin/double-authentification",
            &[
                ("csrf", &token),
                ("code", &code(server, &secret, 0)),
                ("suite", suite),
            ],
        );
        assert_eq!(codes.status, 200, "{}", codes.text());
        assert!(
            codes
                .text()
                .contains("href=\"/admin/journal\">Continuer vers la page demandée"),
            "{}",
            codes.text()
        );
        assert_eq!(admin.get("/admin/journal").status, 200);

        // Next time, the code leads there at once; an unsafe address to the dashboard.
        let window = server.state.settings.login_window_secs;
        advance(server, i64::try_from(window).expect("secs") + 1);
        for (suite, expected) in [
            ("/admin/personnel", "/admin/personnel"),
            ("//evil.example/admin/", "/admin/"),
        ] {
            let (mut b, location) = login_to(server, "admin", demo::STAFF_PASSWORD, suite);
            let page = b.get(&location).text();
            let token = csrf_of(&page).expect("token");
            advance(server, 31);
            let done = b.post_raw(
                "/admin/double-authentification",
                &[
                    ("csrf", &token),
                    ("code", &code(server, &secret, 0)),
                    ("suite", suite),
                ],
            );
            assert_eq!(done.status, 303, "{}", done.text());
            assert_eq!(done.header("location"), expected, "{suite}");
        }
    });
}
