//! The administrators' TOTP secrets are sealed at rest, on SQLite and PostgreSQL: the
//! database holds them encrypted with the data folder's key (a file readable by the server's
//! user only), the second factor still works, and a secret stored in clear before is sealed
//! at the next start and keeps working.

use cartable_server::clock::Clock;
use cartable_server::demo;
use cartable_tests::admin_page::{Browser, code, sign_in};
use cartable_tests::{TestServer, on_each_backend_mut};
use sqlx::Row;

fn stored_secret(server: &TestServer) -> String {
    server.block_on(async {
        sqlx::query(
            "SELECT s.secret FROM staff_second_factors s JOIN accounts a ON a.id = s.account_id \
             WHERE a.login = 'admin'",
        )
        .fetch_one(&server.state.db.pool)
        .await
        .expect("secret")
        .get("secret")
    })
}

fn advance(server: &TestServer, secs: i64) {
    let now = server.clock.now();
    server
        .clock
        .set(now + jiff::SignedDuration::from_secs(secs));
}

/// Signs the demo administrator in again with a code of `secret`; returns the answer's
/// status to the code.
fn code_answer(server: &TestServer, secret: &str) -> u16 {
    let window = server.state.settings.login_window_secs;
    advance(server, i64::try_from(window).expect("secs") + 31);
    let mut b = Browser::new(&server.url);
    let a = b.post_form(
        "/admin/connexion",
        "/admin/connexion",
        &[("login", "admin"), ("password", demo::STAFF_PASSWORD)],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    b.post_form(
        "/admin/double-authentification",
        "/admin/double-authentification",
        &[("code", &code(server, secret, 0))],
    )
    .status
}

#[test]
fn second_factor_secrets_are_sealed_at_rest() {
    on_each_backend_mut(|server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        let signed = sign_in(server, "admin", demo::STAFF_PASSWORD);
        let secret = signed.secret.expect("secret shown at set-up");
        let stored = stored_secret(server);
        assert!(stored.starts_with("v1:"), "{stored}");
        assert!(!stored.contains(&secret), "{stored}");
        let key = server.settings().data_dir.join("secrets.key");
        assert_eq!(std::fs::read(&key).expect("key file").len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).expect("key").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(code_answer(server, &secret), 303);

        // A secret stored in clear (before secrets were sealed): sealed at the next start.
        server.block_on(async {
            sqlx::query(
                "UPDATE staff_second_factors SET secret = $1 WHERE account_id = \
                 (SELECT id FROM accounts WHERE login = 'admin')",
            )
            .bind(&secret)
            .execute(&server.state.db.pool)
            .await
            .expect("clear secret");
        });
        server.restart();
        let resealed = stored_secret(server);
        assert!(resealed.starts_with("v1:"), "{resealed}");
        assert_ne!(resealed, stored, "a new nonce");
        assert_eq!(code_answer(server, &secret), 303);
    });
}
