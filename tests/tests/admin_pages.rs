//! Every admin page reads well (an automated check of its structure: language, headings,
//! landmarks, labels, table headers, named charts, described errors), on SQLite and
//! PostgreSQL; the dashboard's overdue invoices for administrators only; a one-time
//! password replaced on the page before anything else; the `Secure` cookie setting; an
//! unknown address answers a page.

use cartable_domain::ids::StructureId;
use cartable_server::admin::{self, NewLogin};
use cartable_server::clock::Clock;
use cartable_server::demo;
use cartable_tests::admin_page::{Browser, assert_accessible, code, sign_in};
use cartable_tests::{TestServer, backends, on_each_backend};
use sqlx::Row;

/// Moves the server's clock to noon (UTC) two days after the latest due date of the demo's
/// invoices, so that the unpaid one is overdue.
fn after_due_dates(server: &TestServer) -> String {
    let due: String = server.block_on(async {
        sqlx::query("SELECT MAX(due_on) AS due FROM invoices WHERE due_on <> ''")
            .fetch_one(&server.state.db.pool)
            .await
            .expect("due dates")
            .get("due")
    });
    let day: jiff::civil::Date = due.parse().expect("date");
    let later = day
        .checked_add(jiff::Span::new().days(2))
        .expect("date")
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("instant")
        .timestamp();
    server.clock.set(later);
    due
}

#[test]
fn every_page_reads_well_and_overdue_invoices_are_for_administrators() {
    on_each_backend(|server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        after_due_dates(server);
        let unpaid: String = server.block_on(async {
            sqlx::query(
                "SELECT number FROM invoices i WHERE kind = 'invoice' AND NOT EXISTS \
                 (SELECT 1 FROM payments p WHERE p.family_id = i.family_id) ORDER BY number LIMIT 1",
            )
            .fetch_one(&server.state.db.pool)
            .await
            .expect("an unpaid invoice")
            .get("number")
        });

        let mut anonymous = Browser::new(&server.url);
        let login = anonymous.get("/admin/connexion");
        assert_accessible("login", &login);
        let refused = anonymous.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[("login", "admin"), ("password", "faux")],
        );
        assert_eq!(refused.status, 401);
        assert_accessible("login refused", &refused);
        let unknown = anonymous.get("/admin/nulle-part");
        assert_eq!(unknown.status, 404);
        assert!(unknown.header("content-type").starts_with("text/html"));
        assert_accessible("unknown page", &unknown);

        let mut b = Browser::new(&server.url);
        b.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[("login", "admin"), ("password", demo::STAFF_PASSWORD)],
        );
        let setup = b.get("/admin/double-authentification");
        assert_accessible("second factor set-up", &setup);
        let wrong = b.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", "12")],
        );
        assert_accessible("wrong code", &wrong);

        let mut admin_page = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let dash = admin_page.get("/admin/");
        assert_accessible("dashboard", &dash);
        let html = dash.text();
        assert!(html.contains("Factures en retard"));
        assert!(html.contains(&unpaid), "overdue invoice {unpaid} listed");
        let families = admin_page.get("/admin/familles");
        assert_accessible("families", &families);
        let first = families
            .text()
            .split("href=\"/admin/familles/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(String::from)
            .expect("a family link");
        assert_accessible(
            "family",
            &admin_page.get(&format!("/admin/familles/{first}")),
        );
        assert_accessible("staff", &admin_page.get("/admin/personnel"));
        assert_accessible("password", &admin_page.get("/admin/mot-de-passe"));
        assert_accessible("not found", &admin_page.get("/admin/familles/inconnue"));

        // The agent sees the day's work, not the invoices.
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        let dash = agent.get("/admin/");
        assert_accessible("agent dashboard", &dash);
        assert!(!dash.text().contains(&unpaid));
        let refused = agent.get("/admin/personnel");
        assert_eq!(refused.status, 403);
        assert_accessible("refused", &refused);
    });
}

#[test]
fn a_one_time_password_is_replaced_first() {
    on_each_backend(|server| {
        let seed = server.seed(0);
        let issued = server
            .block_on(admin::create_staff(
                &server.state,
                &StructureId::new(seed.structure_id.clone()),
                &NewLogin {
                    first_name: "Lina".into(),
                    last_name: "Nouvelle".into(),
                    login: format!("lina.{}", &seed.structure_id[..8]),
                    password: None,
                },
                false,
            ))
            .expect("agent with a one-time password");
        let mut b = Browser::new(&server.url);
        let a = b.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[("login", &issued.login), ("password", &issued.password)],
        );
        assert_eq!(a.status, 303);
        for path in ["/admin/", "/admin/familles"] {
            let r = b.get(path);
            assert_eq!(r.status, 303, "{path}");
            assert_eq!(r.header("location"), "/admin/mot-de-passe");
        }
        let page = b.get("/admin/mot-de-passe");
        assert!(page.text().contains("ne sert qu'une fois"));
        let mismatch = b.post_form(
            "/admin/mot-de-passe",
            "/admin/mot-de-passe",
            &[
                ("current", &issued.password),
                ("new", "une phrase assez longue"),
                ("confirm", "une autre phrase longue"),
            ],
        );
        assert_eq!(mismatch.status, 400);
        assert!(
            mismatch
                .text()
                .contains("aria-describedby=\"erreur-confirm\"")
        );
        assert_accessible("password mismatch", &mismatch);
        let short = b.post_form(
            "/admin/mot-de-passe",
            "/admin/mot-de-passe",
            &[
                ("current", &issued.password),
                ("new", "court"),
                ("confirm", "court"),
            ],
        );
        assert_eq!(short.status, 400);
        assert!(
            short
                .text()
                .contains("aria-describedby=\"aide-new erreur-new\"")
        );
        let done = b.post_form(
            "/admin/mot-de-passe",
            "/admin/mot-de-passe",
            &[
                ("current", &issued.password),
                ("new", "une phrase assez longue"),
                ("confirm", "une phrase assez longue"),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.text());
        let dash = b.get(done.header("location"));
        assert_eq!(dash.status, 200);
        assert!(dash.text().contains("Votre mot de passe a été changé"));
        // The one-time password no longer opens anything.
        let mut again = Browser::new(&server.url);
        let old = again.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[("login", &issued.login), ("password", &issued.password)],
        );
        assert_eq!(old.status, 401);
    });
}

#[test]
fn the_cookie_is_secure_when_the_setting_says_so() {
    for backend in backends() {
        let server = TestServer::start_with(backend, |s| s.admin_secure_cookie = true);
        let seed = server.seed(0);
        let mut b = Browser::new(&server.url);
        let page = b.get("/admin/connexion");
        let login_cookie = page.header("set-cookie").to_string();
        assert!(login_cookie.contains("; Secure"), "{login_cookie}");
        let a = b.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[
                ("login", &seed.staff.login),
                ("password", &seed.staff.password),
            ],
        );
        let session = a
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with("cartable_admin="))
            .expect("session cookie")
            .to_string();
        assert!(
            session.contains("; Secure") && session.contains("HttpOnly"),
            "{session}"
        );
    }
}

fn password_step(server: &TestServer, login: &str, password: &str) -> Browser {
    let mut b = Browser::new(&server.url);
    let a = b.post_form(
        "/admin/connexion",
        "/admin/connexion",
        &[("login", login), ("password", password)],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    assert_eq!(a.header("location"), "/admin/double-authentification");
    b
}

fn send_code(b: &mut Browser, code: &str) -> cartable_tests::family::Answer {
    b.post_form(
        "/admin/double-authentification",
        "/admin/double-authentification",
        &[("code", code)],
    )
}

#[test]
fn codes_are_counted_per_account_and_a_lost_phone_is_reset() {
    on_each_backend(|server| {
        let seed = server.seed(0);
        let (login, password) = (seed.staff.login.clone(), seed.staff.password.clone());
        let secret = sign_in(server, &login, &password)
            .secret
            .expect("administrator's secret");
        // Five wrong codes in a first session (which ends), then the limit holds for the
        // account in a new session, even with the right code.
        let mut first = password_step(server, &login, &password);
        for _ in 0..5 {
            send_code(&mut first, "111111");
        }
        let mut second = password_step(server, &login, &password);
        server
            .clock
            .set(server.clock.now() + jiff::SignedDuration::from_secs(30));
        let held = send_code(&mut second, &code(server, &secret, 0));
        assert_eq!(held.status, 429, "{}", held.text());
        assert!(held.text().contains("Trop de codes"));
        // After the window, the right code passes.
        let window = server.state.settings.login_window_secs;
        server.clock.set(
            server.clock.now()
                + jiff::SignedDuration::from_secs(i64::try_from(window).expect("secs") + 1),
        );
        let mut third = password_step(server, &login, &password);
        let ok = send_code(&mut third, &code(server, &secret, 0));
        assert_eq!(ok.status, 303, "{}", ok.text());
        assert_eq!(third.get("/admin/").status, 200);

        // A lost phone: the second factor is reset, sessions end, set up again.
        server
            .block_on(admin::reset_second_factor(&server.state, &login))
            .expect("reset");
        assert_eq!(third.get("/admin/").status, 303, "sessions ended");
        let again = sign_in(server, &login, &password);
        let new_secret = again.secret.expect("set up again");
        assert_ne!(new_secret, secret);
        assert!(
            server
                .block_on(admin::reset_second_factor(&server.state, "nobody"))
                .is_err()
        );
    });
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// A family of `seed` submits its dossier and sends a document, both waiting for staff.
fn waiting_for_review(server: &TestServer, seed: &cartable_tests::Seed) {
    let family = &seed.families[0];
    let device = cartable_tests::Device::new();
    let phone = cartable_tests::family::signed_in(server, family, 0, &device);
    phone
        .set_child_field(&family.children[0].0, "diet", "sans_porc")
        .expect("diet");
    phone.sync().expect("sync");
    phone.submit_dossier().expect("Je valide mes modifications");
    phone.sync().expect("submission sent");
    let token = cartable_tests::family::family_token(server, family, 1);
    let sent = cartable_tests::http::call(
        &server.url,
        "POST",
        "/api/v1/documents?kind=insurance",
        Some(&token),
        &[
            ("Content-Type", "application/pdf"),
            ("Idempotency-Key", "k1"),
        ],
        PDF,
    );
    assert_eq!(sent.status, 201, "{}", sent.text());
}

#[test]
fn the_dashboard_lists_what_waits_in_its_own_structure_only() {
    on_each_backend(|server| {
        let a = server.seed(1);
        let b = server.seed(1);
        waiting_for_review(server, &a);
        waiting_for_review(server, &b);
        let mut admin_a = sign_in(server, &a.staff.login, &a.staff.password).browser;
        let dash = admin_a.get("/admin/");
        assert_eq!(dash.status, 200);
        let html = dash.text();
        let family_a = format!("/admin/familles/{}", a.families[0].family_id);
        let family_b = format!("/admin/familles/{}", b.families[0].family_id);
        let dossier_a = format!("/admin/dossiers/{}", a.families[0].family_id);
        let dossier_b = format!("/admin/dossiers/{}", b.families[0].family_id);
        assert_eq!(html.matches(&dossier_a).count(), 1, "a dossier: {html}");
        assert!(
            html.contains("href=\"/admin/justificatifs/"),
            "a document: {html}"
        );
        assert!(!html.contains(&family_a), "{html}");
        assert!(!html.contains(&dossier_b), "nothing of the other structure");
        assert!(html.contains("Dossier envoyé par Alex Famille0"), "{html}");
        assert!(
            html.contains("Attestation d&#39;assurance")
                || html.contains("Attestation d'assurance"),
            "{html}"
        );
        assert!(!html.contains(&family_b), "nothing of the other structure");
        assert_accessible("dashboard with reviews", &dash);
        let page = admin_a.get(&family_a);
        assert!(
            page.text().contains("en attente de validation"),
            "{}",
            page.text()
        );
        assert!(page.text().contains("En attente de vérification"));
    });
}
