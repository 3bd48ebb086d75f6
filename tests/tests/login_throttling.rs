//! Login throttling: guesses sent at once meet the same limit as guesses in a row, a
//! refusal says when to come back, a parent's known phone is never locked out by someone
//! else's guesses, the client address comes from a trusted proxy only, and the limits hold
//! across server processes sharing PostgreSQL.

use cartable_domain::api::{LoginRequest, LoginResponse};
use cartable_tests::family::{Answer, PASSWORD};
use cartable_tests::http::call;
use cartable_tests::{Backend, TestServer, backends, on_each_backend};

fn attempt(
    url: &str,
    login: &str,
    password: &str,
    known: Option<&str>,
    from: Option<&str>,
) -> Answer {
    let body = serde_json::to_vec(&LoginRequest {
        login: login.into(),
        password: password.into(),
        device_name: "essai".into(),
        known_device: known.map(String::from),
    })
    .expect("json");
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(ip) = from {
        headers.push(("X-Forwarded-For", ip));
    }
    call(url, "POST", "/api/v1/login", None, &headers, &body)
}

fn statuses(answers: &[Answer]) -> (usize, usize) {
    let wrong = answers.iter().filter(|a| a.status == 401).count();
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(wrong + limited, answers.len(), "only 401 and 429 expected");
    (wrong, limited)
}

#[test]
fn thirty_guesses_at_once_meet_the_same_limit_as_thirty_in_a_row() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let limit = server.state.settings.login_attempts as usize;

        let in_a_row: Vec<Answer> = (0..30)
            .map(|i| {
                attempt(
                    &server.url,
                    &seed.families[0].parents[0].login,
                    &format!("faux{i}"),
                    None,
                    None,
                )
            })
            .collect();
        assert_eq!(statuses(&in_a_row), (limit, 30 - limit));

        let target = seed.families[1].parents[0].login.clone();
        let at_once: Vec<Answer> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..30)
                .map(|i| {
                    let (url, target) = (&server.url, &target);
                    s.spawn(move || attempt(url, target, &format!("faux{i}"), None, None))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert_eq!(
            statuses(&at_once),
            (limit, 30 - limit),
            "same limit as in a row"
        );

        let refused = at_once.iter().find(|a| a.status == 429).expect("a refusal");
        let wait: u64 = refused
            .header("retry-after")
            .parse()
            .expect("Retry-After seconds");
        assert!(
            (1..=server.state.settings.login_window_secs).contains(&wait),
            "{wait}"
        );
        assert_eq!(refused.json()["code"], "rate_limited");
        // Even the right password waits: the limit is on the login, not on being wrong.
        assert_eq!(
            attempt(&server.url, &target, PASSWORD, None, None).status,
            429
        );
    });
}

#[test]
fn a_known_phone_signs_in_despite_someone_elses_guesses() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let login = seed.families[0].parents[0].login.clone();
        let first = attempt(&server.url, &login, PASSWORD, None, None);
        assert_eq!(first.status, 200, "{}", first.text());
        let first: LoginResponse = serde_json::from_slice(&first.body).expect("login");
        let proof = first.known_device.expect("a known-device proof");

        for i in 0..20 {
            attempt(&server.url, &login, &format!("devine{i}"), None, None);
        }
        assert_eq!(
            attempt(&server.url, &login, PASSWORD, None, None).status,
            429,
            "an unknown device is locked out"
        );
        let known = attempt(&server.url, &login, PASSWORD, Some(&proof), None);
        assert_eq!(
            known.status,
            200,
            "the parent's own phone: {}",
            known.text()
        );
        // A proof of another account does not help.
        let other = &seed.families[0].parents[1].login;
        for i in 0..20 {
            attempt(&server.url, other, &format!("devine{i}"), None, None);
        }
        assert_eq!(
            attempt(&server.url, other, PASSWORD, Some(&proof), None).status,
            429
        );

        // The client core keeps its proof across a logout and sends it.
        let login = seed.families[1].parents[0].login.clone();
        let phone = cartable_tests::Device::new();
        let client = phone.open();
        client
            .login(&server.url, &login, PASSWORD, "téléphone")
            .expect("login with the proof it was given");
        client.logout().expect("logout");
        for i in 0..20 {
            attempt(&server.url, &login, &format!("encore{i}"), None, None);
        }
        client
            .login(&server.url, &login, PASSWORD, "téléphone")
            .expect("the phone is known: not locked out");
    });
}

#[test]
fn the_client_address_comes_from_a_trusted_proxy_only() {
    for backend in backends() {
        for trusted in [true, false] {
            let server = TestServer::start_with(backend, |s| {
                s.login_ip_attempts = 3;
                if trusted {
                    s.trusted_proxies = vec!["127.0.0.0/8".into()];
                }
            });
            let seed = server.seed(3);
            let logins: Vec<String> = seed
                .families
                .iter()
                .flat_map(|f| f.parents.iter().map(|p| p.login.clone()))
                .collect();
            for login in &logins[..3] {
                let a = attempt(&server.url, login, "faux", None, Some("203.0.113.7"));
                assert_eq!(a.status, 401);
            }
            let same_address = attempt(&server.url, &logins[3], "faux", None, Some("203.0.113.7"));
            assert_eq!(same_address.status, 429, "the address used up its failures");
            let other_address =
                attempt(&server.url, &logins[4], "faux", None, Some("198.51.100.9"));
            let expected = if trusted { 401 } else { 429 };
            assert_eq!(
                other_address.status,
                expected,
                "trusted proxy {trusted}: a forged header {}",
                if trusted {
                    "names another client"
                } else {
                    "changes nothing"
                }
            );
        }
    }
}

#[test]
fn limits_hold_across_server_processes_on_postgresql() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let first = TestServer::start(Backend::Postgres);
    let second = first.another_process();
    let seed = first.seed(1);
    let login = &seed.families[0].parents[0].login;
    let limit = first.state.settings.login_attempts as usize;
    let answers: Vec<Answer> = (0..12)
        .map(|i| {
            let url = if i % 2 == 0 { &first.url } else { &second.url };
            attempt(url, login, &format!("faux{i}"), None, None)
        })
        .collect();
    assert_eq!(statuses(&answers), (limit, 12 - limit));
}
