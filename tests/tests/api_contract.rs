//! The HTTP contract every client relies on: each error is the `{code, message}` JSON with a
//! French message and the right status, whatever refused the request (an unknown path, a
//! method, a body, a query, a size or a time limit), nothing echoes huge input or Rust
//! internals, and every answer carries the security headers.

use cartable_tests::family::{Answer, staff_token};
use cartable_tests::http::{call, json};
use cartable_tests::{Backend, TestServer};
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

fn assert_api_error(answer: &Answer, status: u16, code: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json"),
        "content type {:?} for {}",
        answer.header("content-type"),
        answer.text()
    );
    let body = answer.json();
    assert_eq!(body["code"], code, "{}", answer.text());
    let message = body["message"].as_str().expect("message").to_string();
    assert!(!message.is_empty());
    for english in [
        "Failed",
        "failed",
        "Expected",
        "expected",
        "Error(",
        "invalid type",
    ] {
        assert!(!message.contains(english), "not French: {message}");
    }
    message
}

#[test]
fn unknown_paths_and_methods_answer_typed_json_errors() {
    let server = TestServer::start(Backend::Sqlite);
    let answer = call(&server.url, "GET", "/api/v1/nowhere", None, &[], b"");
    assert_api_error(&answer, 404, "not_found");
    let answer = call(&server.url, "GET", "/index.php", None, &[], b"");
    assert_api_error(&answer, 404, "not_found");

    let answer = call(&server.url, "DELETE", "/api/v1/login", None, &[], b"");
    assert_api_error(&answer, 405, "method_not_allowed");
    assert!(
        answer.header("allow").contains("POST"),
        "{:?}",
        answer.headers
    );
}

#[test]
fn unknown_ids_in_paths_are_not_found_rather_than_empty() {
    for backend in cartable_tests::backends() {
        let server = TestServer::start(backend);
        let seed = server.seed(1);
        let other = server.seed(1);
        let staff = staff_token(&server, &seed);
        let get = |path: &str| call(&server.url, "GET", path, Some(&staff), &[], b"");

        // The structure's own activity and family: found (the list may be empty).
        let known = get("/api/v1/staff/days/2026-12-01/activities/cantine");
        assert_eq!(known.status, 200, "{}", known.text());
        let dossier = get(&format!(
            "/api/v1/staff/dossiers/{}",
            seed.families[0].family_id
        ));
        assert_eq!(dossier.status, 200, "{}", dossier.text());

        for path in [
            "/api/v1/staff/days/2026-12-01/activities/piscine".to_string(),
            "/api/v1/staff/attendance/2026-12-01/piscine".to_string(),
            format!("/api/v1/staff/dossiers/{}", other.families[0].family_id),
            "/api/v1/staff/dossiers/0123456789abcdef0123456789abcdef".to_string(),
        ] {
            assert_api_error(&get(&path), 404, "not_found");
        }
        let bad_day = get("/api/v1/staff/days/2026-13-45/activities/cantine");
        assert_api_error(&bad_day, 400, "bad_request");
    }
}

#[test]
fn bodies_and_queries_that_cannot_be_read_are_refused_in_french() {
    let server = TestServer::start(Backend::Sqlite);
    let seed = server.seed(1);
    let staff = staff_token(&server, &seed);

    let not_json = call(
        &server.url,
        "POST",
        "/api/v1/login",
        None,
        &[("Content-Type", "text/plain")],
        b"login=x",
    );
    assert_api_error(&not_json, 415, "unsupported_media_type");

    let broken = call(
        &server.url,
        "POST",
        "/api/v1/login",
        None,
        &[("Content-Type", "application/json")],
        b"{\"login\": ",
    );
    assert_api_error(&broken, 400, "bad_request");

    let missing = json(
        &server.url,
        "POST",
        "/api/v1/login",
        None,
        &json!({"login": "x"}),
    );
    let message = assert_api_error(&missing, 400, "bad_request");
    assert!(message.contains("password"), "{message}");

    let wrong_type = json(
        &server.url,
        "POST",
        "/api/v1/staff/information",
        Some(&staff),
        &json!({"title": 12}),
    );
    let message = assert_api_error(&wrong_type, 400, "bad_request");
    assert!(message.contains("title"), "{message}");

    let query = call(
        &server.url,
        "GET",
        "/api/v1/staff/counts?from=hier&to=demain",
        Some(&staff),
        &[],
        b"",
    );
    assert_api_error(&query, 400, "bad_request");
    let query = call(
        &server.url,
        "GET",
        "/api/v1/staff/counts",
        Some(&staff),
        &[],
        b"",
    );
    assert_api_error(&query, 400, "bad_request");

    // Larger than any JSON body the API takes. The server answers before reading it all and
    // closes, so it is sent from its own thread that may be cut off.
    let (status, body) = send_raw(&server.url, 3 * 1024 * 1024, vec![b' '; 3 * 1024 * 1024]);
    assert_eq!(status, 413, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(body["code"], "payload_too_large", "{body}");
}

#[test]
fn refusals_never_echo_huge_input_or_internals() {
    let server = TestServer::start(Backend::Sqlite);
    let seed = server.seed(1);
    let staff = staff_token(&server, &seed);
    let family = cartable_tests::family::family_token(&server, &seed.families[0], 0);
    let canary = format!("ECHO{}", "Z".repeat(50_000));

    let answers = [
        json(
            &server.url,
            "POST",
            "/api/v1/login",
            None,
            &json!({"login": canary, "password": "x"}),
        ),
        json(
            &server.url,
            "POST",
            "/api/v1/login",
            None,
            &json!({"login": "x", "password": "y", canary.clone(): 1}),
        ),
        call(
            &server.url,
            "GET",
            &format!("/api/v1/staff/dossiers?status={canary}"),
            Some(&staff),
            &[],
            b"",
        ),
        call(
            &server.url,
            "GET",
            &format!("/api/v1/staff/dossiers/{canary}"),
            Some(&staff),
            &[],
            b"",
        ),
        call(
            &server.url,
            "POST",
            "/api/v1/sync",
            Some(&family),
            &[("Content-Type", cartable_domain::protocol::CONTENT_TYPE)],
            canary.as_bytes(),
        ),
    ];
    for answer in answers {
        assert!(
            answer.status >= 400 && answer.status < 500,
            "{}",
            answer.text()
        );
        let text = answer.text();
        assert!(text.len() < 400, "{} bytes: {}", text.len(), &text[..200]);
        assert!(
            !text.contains("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"),
            "{text}"
        );
        assert!(!text.contains("Error") && !text.contains("::"), "{text}");
    }
}

#[test]
fn every_answer_carries_the_security_headers() {
    let server = TestServer::start(Backend::Sqlite);
    let seed = server.seed(1);
    let family = &seed.families[0];
    let token = cartable_tests::family::family_token(&server, family, 0);
    let answers = [
        call(&server.url, "GET", "/healthz", None, &[], b""),
        call(&server.url, "GET", "/api/openapi.json", None, &[], b""),
        call(
            &server.url,
            "GET",
            "/api/v1/devices",
            Some(&token),
            &[],
            b"",
        ),
        call(&server.url, "GET", "/api/v1/devices", None, &[], b""),
        call(&server.url, "GET", "/nothing/here", None, &[], b""),
        json(
            &server.url,
            "POST",
            "/api/v1/login",
            None,
            &json!({"login": family.parents[1].login, "password": cartable_tests::family::PASSWORD}),
        ),
    ];
    for answer in answers {
        let csp = answer.header("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'"),
            "{:?}",
            answer.headers
        );
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(answer.header("x-content-type-options"), "nosniff");
        assert_eq!(answer.header("referrer-policy"), "no-referrer");
        assert_eq!(answer.header("x-frame-options"), "DENY");
        assert!(
            answer.header("cache-control").contains("no-store"),
            "{:?}",
            answer.headers
        );
    }
}

/// Sends the head of a login request announcing `content_length` bytes, then `body` from a
/// thread of its own (the server may answer and close before it is all sent); returns the
/// server's answer.
fn send_raw(url: &str, content_length: usize, body: Vec<u8>) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(addr).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).expect("send head");
    let mut writer = socket.try_clone().expect("socket");
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&body);
    });
    let mut raw = Vec::new();
    let _ = socket.read_to_end(&mut raw);
    let _ = socket.shutdown(std::net::Shutdown::Both);
    let _ = sending.join();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// Announces a body, sends a little of it, then nothing.
fn stall_body(url: &str) -> (u16, String) {
    send_raw(url, 1000, b"{\"login\": \"a".to_vec())
}

#[test]
fn a_body_that_stalls_is_answered_with_a_timeout_error() {
    let server = TestServer::start_with(Backend::Sqlite, |s| s.body_idle_timeout_secs = 1);
    let (status, body) = stall_body(&server.url);
    assert_eq!(status, 408, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(body["code"], "timeout", "{body}");
}

#[test]
fn texts_with_a_nul_character_are_refused_on_every_backend() {
    cartable_tests::on_each_backend(|server| {
        let seed = server.seed(1);
        let staff = staff_token(server, &seed);
        // PostgreSQL cannot store a NUL in a text: it must be a refusal, not a server error.
        let login = json(
            &server.url,
            "POST",
            "/api/v1/login",
            None,
            &json!({"login": "a\u{0}b", "password": "x", "device_name": "Téléphone"}),
        );
        let message = assert_api_error(&login, 400, "bad_request");
        assert!(message.contains("caractère nul"), "{message}");
        let query = call(
            &server.url,
            "GET",
            "/api/v1/staff/counts?from=2026-12-01%00&to=2026-12-02",
            Some(&staff),
            &[],
            b"",
        );
        assert_api_error(&query, 400, "bad_request");
        // No invoice number, family or activity holds a NUL: nothing by that name exists.
        for path in [
            "/api/v1/staff/invoices/F2026-000001%00",
            "/api/v1/staff/families/f%00/quotient",
            "/api/v1/staff/attendance/2026-12-01/cantine%00",
        ] {
            let answer = call(&server.url, "GET", path, Some(&staff), &[], b"");
            assert_api_error(&answer, 404, "not_found");
        }
    });
}

#[test]
fn staff_texts_over_their_documented_length_are_refused_and_the_catalogue_kept() {
    cartable_tests::on_each_backend(|server| {
        let seed = server.seed(1);
        let staff = staff_token(server, &seed);
        let closure = |label: &str, activities: &[&str]| {
            json!([{"from": "2026-12-21", "to": "2026-12-24", "label": label,
                    "activities": activities}])
        };
        let put = |body: &serde_json::Value| {
            json(
                &server.url,
                "PUT",
                "/api/v1/staff/catalogue/closures",
                Some(&staff),
                body,
            )
        };
        let kept = put(&closure("Vacances de Noël", &[]));
        assert_eq!(kept.status, 200, "{}", kept.text());

        let long = put(&closure(&"0".repeat(201), &[]));
        let message = assert_api_error(&long, 400, "bad_request");
        assert!(message.contains("label"), "{message}");
        let control = put(&closure("Noël\u{7}", &[]));
        assert_api_error(&control, 400, "bad_request");
        let unknown = put(&closure("Grève", &["piscine"]));
        let message = assert_api_error(&unknown, 400, "bad_request");
        assert!(message.contains("piscine"), "{message}");

        let name = json(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/settings",
            Some(&staff),
            &json!({"structure_name": "M".repeat(201)}),
        );
        assert_api_error(&name, 400, "bad_request");

        let catalogue = call(
            &server.url,
            "GET",
            "/api/v1/staff/catalogue",
            Some(&staff),
            &[],
            b"",
        )
        .json();
        let closures = catalogue["closures"].as_array().expect("closures");
        assert_eq!(closures.len(), 1, "{catalogue}");
        assert_eq!(closures[0]["label"], "Vacances de Noël");
        assert!(
            catalogue["structure_name"]
                .as_str()
                .is_some_and(|n| n.chars().count() <= 200),
            "{catalogue}"
        );
    });
}
