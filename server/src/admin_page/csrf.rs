//! CSRF protection: every form carries a token derived from the secret cookie of the
//! browser (the session token once signed in, the login cookie before), and every POST
//! under `/admin` is refused with 403 unless its form carries the right one. A cross-site
//! page can neither read the cookie nor compute the token; the cookies are SameSite=Strict
//! besides.

use super::{cookies, render};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The form field carrying the token.
pub const FIELD: &str = "csrf";

/// Largest form accepted by the admin page, in bytes.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The token of forms shown to the holder of `secret`.
pub fn token(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"cartable-admin-csrf\0");
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether `given` is the token of one of the browser's secrets.
pub fn valid(headers: &axum::http::HeaderMap, given: &str) -> bool {
    [cookies::SESSION, cookies::LOGIN]
        .iter()
        .filter_map(|name| cookies::get(headers, name))
        .any(|secret| same(&token(&secret), given))
}

/// Middleware: a POST passes only with the right token in its form.
pub async fn check(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // A form with a file (multipart) may be larger; its token is one of its parts.
    let multipart = super::multipart::is_multipart(&content_type);
    let limit = if multipart {
        super::multipart::MAX_BYTES
    } else {
        MAX_FORM_BYTES
    };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return render::error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Formulaire trop volumineux",
            "Ce formulaire dépasse la taille acceptée.",
        );
    };
    let given = if multipart {
        super::multipart::parse(&content_type, &bytes)
            .and_then(|p| super::multipart::text(&p, FIELD).map(String::from))
    } else {
        form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    };
    if !given.is_some_and(|g| valid(&parts.headers, &g)) {
        tracing::warn!(
            event = "admin_csrf_refused",
            path = %cartable_domain::text::LogSafe(parts.uri.path()),
            "admin page form refused: missing or wrong CSRF token"
        );
        return render::error_page(
            StatusCode::FORBIDDEN,
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret_and_compare_exactly() {
        let a = token(&"a".repeat(64));
        assert_eq!(a.len(), 64);
        assert_ne!(a, token(&"b".repeat(64)));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &a[..63]));
    }
}
