//! Sessions and passwords as people meet them: staff logging out and ending their other
//! sessions, sessions expiring by the server's clock (idle and absolute), one-time passwords
//! replaced at the first login (also through the client core), a password change ending the
//! account's other sessions, and staff issuing one-time passwords.

use cartable_server::admin::{self, NewLogin};
use cartable_server::clock::Clock;
use cartable_tests::family::{PASSWORD, get, signed_in};
use cartable_tests::http::{call, json};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use serde_json::json;

const NEW_PASSWORD: &str = "une phrase de passe assez longue";

fn status(server: &TestServer, token: &str, path: &str) -> u16 {
    get(server, Some(token), path).status
}

#[test]
fn staff_see_and_end_their_sessions_and_log_out() {
    on_each_backend(|server| {
        let seed = server.seed(0);
        let office = staff::login(&server.url, &seed.staff.login, PASSWORD);
        let laptop = staff::login(&server.url, &seed.staff.login, PASSWORD);

        let list = get(server, Some(&office), "/api/v1/staff/sessions").json();
        let sessions = list.as_array().expect("sessions");
        assert_eq!(sessions.len(), 2, "{list:#}");
        let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1);
        assert!(
            sessions
                .iter()
                .all(|s| s["expires_at_ms"].as_i64().is_some())
        );
        let laptop_id = sessions
            .iter()
            .find(|s| s["current"] == false)
            .and_then(|s| s["device_id"].as_str())
            .expect("the other session")
            .to_string();

        let ended = call(
            &server.url,
            "DELETE",
            &format!("/api/v1/staff/sessions/{laptop_id}"),
            Some(&office),
            &[],
            b"",
        );
        assert_eq!(ended.status, 204, "{}", ended.text());
        assert_eq!(status(server, &laptop, "/api/v1/staff/catalogue"), 401);
        assert_eq!(status(server, &office, "/api/v1/staff/catalogue"), 200);
        let list = get(server, Some(&office), "/api/v1/staff/sessions").json();
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list:#}");

        let out = call(
            &server.url,
            "POST",
            "/api/v1/staff/logout",
            Some(&office),
            &[],
            b"",
        );
        assert_eq!(out.status, 204, "{}", out.text());
        assert_eq!(status(server, &office, "/api/v1/staff/catalogue"), 401);
        let reasons = server.count(
            "SELECT COUNT(*) FROM devices WHERE revoked_reason IN ('logout', 'revoked') \
             AND account_id = (SELECT id FROM accounts WHERE login = $1)",
            &seed.staff.login,
        );
        assert_eq!(reasons, 2);
    });
}

#[test]
fn sessions_expire_when_idle_and_after_their_lifetime_by_the_server_clock() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let minute = jiff::SignedDuration::from_mins(1);
        let start = server.clock.now();
        let at = |minutes: i64| start + minute * i32::try_from(minutes).expect("minutes");

        // Staff: 30 minutes idle, 12 hours in all (the defaults).
        let token = staff::login(&server.url, &seed.staff.login, PASSWORD);
        server.clock.set(at(29));
        assert_eq!(status(server, &token, "/api/v1/staff/catalogue"), 200);
        server.clock.set(at(29 + 30));
        let expired = get(server, Some(&token), "/api/v1/staff/catalogue");
        assert_eq!(expired.status, 401);
        assert!(
            expired.json()["message"]
                .as_str()
                .unwrap_or("")
                .contains("expirée")
        );

        // Used every 20 minutes, it still ends 12 hours after login.
        let base = 60;
        server.clock.set(at(base));
        let token = staff::login(&server.url, &seed.staff.login, PASSWORD);
        let mut minutes = base;
        while minutes + 20 < base + 12 * 60 {
            minutes += 20;
            server.clock.set(at(minutes));
            assert_eq!(
                status(server, &token, "/api/v1/staff/catalogue"),
                200,
                "at {minutes}"
            );
        }
        server.clock.set(at(base + 12 * 60));
        assert_eq!(status(server, &token, "/api/v1/staff/catalogue"), 401);

        // A parent's phone lasts much longer, but not forever unused.
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        server.clock.set(at(base + 12 * 60 + 60 * 24 * 80));
        client.sync().expect("80 days unused: still signed in");
        server.clock.set(at(base + 12 * 60 + 60 * 24 * 171));
        let err = client.sync().expect_err("91 days unused: expired");
        assert!(err.to_string().contains("expirée"), "{err}");
        let live = server.count(
            "SELECT COUNT(*) FROM devices d JOIN accounts a ON a.id = d.account_id \
             WHERE a.family_id = $1 AND d.revoked_at_ms IS NULL",
            &family.family_id,
        );
        assert_eq!(live, 0, "the expired session left the device list");
    });
}

fn create_family_with_one_time_passwords(
    server: &TestServer,
    structure_id: &str,
) -> Vec<admin::Credentials> {
    server.block_on(async {
        let parents = [NewLogin {
            first_name: "Inès".into(),
            last_name: "Nouvelle".into(),
            login: format!("ines.{}", &structure_id[..8]),
            password: None,
        }];
        let (_, creds) = admin::create_family(
            &server.state,
            &cartable_domain::ids::StructureId::from(structure_id),
            "Famille Nouvelle",
            &parents,
            &[],
        )
        .await
        .expect("family");
        creds
    })
}

#[test]
fn a_one_time_password_must_be_replaced_at_first_login() {
    on_each_backend(|server| {
        let seed = server.seed(0);
        let creds = create_family_with_one_time_passwords(server, &seed.structure_id);
        let otp = &creds[0];

        // A raw session: everything but changing the password is refused.
        let raw = cartable_tests::raw::login(&server.url, &otp.login, &otp.password);
        assert!(raw.must_change_password);
        let refused = get(server, Some(&raw.token), "/api/v1/devices");
        assert_eq!(refused.status, 403);
        assert_eq!(refused.json()["code"], "password_change_required");

        // The phone: signed in, told to change, refused weak passwords, then syncs.
        let phone = Device::new();
        let client = phone.open();
        let account = client
            .login(&server.url, &otp.login, &otp.password, "téléphone d'Inès")
            .expect("login");
        assert!(account.must_change_password);
        let err = client.sync().expect_err("sync before the change");
        assert!(
            matches!(&err, cartable_core::Error::Server { code, .. }
                if *code == cartable_domain::api::ErrorCode::PasswordChangeRequired),
            "{err:?}"
        );
        let weak = client
            .change_password(&otp.password, "court")
            .expect_err("too short");
        assert!(weak.to_string().contains("12 caractères"), "{weak}");
        let wrong = client
            .change_password("pas le bon", NEW_PASSWORD)
            .expect_err("wrong current password");
        assert!(wrong.to_string().contains("incorrect"), "{wrong}");
        client
            .change_password(&otp.password, NEW_PASSWORD)
            .expect("change");
        assert!(!client.account().expect("signed in").must_change_password);
        client.sync().expect("sync after the change");

        // The raw session opened with the one-time password ended; the old password is gone.
        assert_eq!(status(server, &raw.token, "/api/v1/devices"), 401);
        let (code, _) = cartable_tests::raw::login_attempt(&server.url, &otp.login, &otp.password);
        assert_eq!(code, 401);
        cartable_tests::raw::login(&server.url, &otp.login, NEW_PASSWORD);
    });
}

#[test]
fn a_password_change_ends_the_accounts_other_sessions_only() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let (a, b, other) = (Device::new(), Device::new(), Device::new());
        let phone_a = signed_in(server, family, 0, &a);
        let phone_b = signed_in(server, family, 0, &b);
        let other_parent = signed_in(server, family, 1, &other);

        phone_a
            .change_password(PASSWORD, NEW_PASSWORD)
            .expect("change");
        phone_a.sync().expect("this phone goes on");
        let err = phone_b.sync().expect_err("the other phone is signed out");
        assert!(
            matches!(&err, cartable_core::Error::Server { status: 401, .. }),
            "{err:?}"
        );
        other_parent
            .sync()
            .expect("the other parent is not affected");
    });
}

#[test]
fn staff_issue_one_time_passwords_within_their_structure_and_role() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let other = server.seed(0);
        let family = &seed.families[0];
        let parent = cartable_tests::raw::login(&server.url, &family.parents[0].login, PASSWORD);
        let agent_login = server.block_on(async {
            admin::create_staff(
                &server.state,
                &cartable_domain::ids::StructureId::from(&seed.structure_id),
                &NewLogin {
                    first_name: "Alain".into(),
                    last_name: "Agent".into(),
                    login: format!("agent.{}", &seed.structure_id[..8]),
                    password: Some(PASSWORD.into()),
                },
                false,
            )
            .await
            .expect("agent")
            .login
        });
        let staff_session = |login: &str| {
            let body = json(
                &server.url,
                "POST",
                "/api/v1/staff/login",
                None,
                &json!({"login": login, "password": PASSWORD}),
            )
            .json();
            (
                body["token"].as_str().expect("token").to_string(),
                body["account_id"].as_str().expect("account id").to_string(),
            )
        };
        let (agent, agent_account) = staff_session(&agent_login);
        let (admin, admin_account) = staff_session(&seed.staff.login);
        let reset = |token: &str, account: &str| {
            call(
                &server.url,
                "POST",
                &format!("/api/v1/staff/accounts/{account}/one-time-password"),
                Some(token),
                &[],
                b"",
            )
        };

        // Another structure's administrator does not even see the account.
        let foreign = staff::login(&server.url, &other.staff.login, PASSWORD);
        assert_eq!(reset(&foreign, &parent.account_id).status, 404);
        // An agent may not reset an administrator.
        assert_eq!(reset(&agent, &admin_account).status, 403);
        // An agent helps a parent who lost their password.
        let issued = reset(&agent, &parent.account_id);
        assert_eq!(issued.status, 200, "{}", issued.text());
        let body = issued.json();
        assert_eq!(body["login"], family.parents[0].login.as_str());
        let otp = body["password"].as_str().expect("password").to_string();
        assert_eq!(status(server, &parent.token, "/api/v1/devices"), 401);
        let again = cartable_tests::raw::login(&server.url, &family.parents[0].login, &otp);
        assert!(again.must_change_password);
        let changed = json(
            &server.url,
            "POST",
            "/api/v1/password",
            Some(&again.token),
            &json!({"current_password": otp, "new_password": NEW_PASSWORD}),
        );
        assert_eq!(changed.status, 204, "{}", changed.text());
        assert_eq!(status(server, &again.token, "/api/v1/devices"), 200);
        // An administrator may reset a colleague, whose sessions end.
        let issued = reset(&admin, &agent_account);
        assert_eq!(issued.status, 200, "{}", issued.text());
        assert_eq!(status(server, &agent, "/api/v1/staff/catalogue"), 401);
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'issue_one_time_password' \
                 AND family_id = $1",
                &family.family_id
            ),
            1
        );
    });
}

#[test]
fn the_admin_command_issues_a_one_time_password_by_login() {
    let server = TestServer::start(cartable_tests::Backend::Sqlite);
    let seed = server.seed(1);
    let login = seed.families[0].parents[1].login.clone();
    let otp = server
        .block_on(
            cartable_server::auth::account_ops::issue_one_time_password_for_login(
                &server.state,
                &login.to_uppercase(),
            ),
        )
        .expect("reset");
    assert_eq!(otp.login, login);
    let session = cartable_tests::raw::login(&server.url, &login, &otp.password);
    assert!(session.must_change_password);
}
