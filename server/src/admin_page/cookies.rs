//! The admin page's cookies: the session (the token of a staff session) and, before login,
//! a random value the login form's CSRF token is derived from. Both are HttpOnly,
//! SameSite=Strict, limited to `/admin` and `Secure` when the settings say the server is
//! reached over TLS.

use axum::http::{HeaderMap, HeaderValue, header};

/// The session cookie's name.
pub const SESSION: &str = "cartable_admin";
/// The cookie the login form's token is derived from.
pub const LOGIN: &str = "cartable_admin_login";

/// The value of cookie `name` in a request, when it looks like one of ours (64 hex digits).
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A `Set-Cookie` value giving cookie `name` the value `value`, for the browser's session.
pub fn set(name: &str, value: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/admin; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value removing cookie `name`.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_values_are_read() {
        let token = "a".repeat(64);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; {SESSION}={token}; {LOGIN}=short"))
                .expect("header"),
        );
        assert_eq!(get(&h, SESSION), Some(token));
        assert_eq!(get(&h, LOGIN), None);
        assert_eq!(get(&h, "other"), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_when_asked() {
        let v = set(SESSION, "abc", true);
        let v = v.to_str().expect("ascii");
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict") && v.contains("Secure"));
        assert!(
            !set(SESSION, "abc", false)
                .to_str()
                .expect("ascii")
                .contains("Secure")
        );
        assert!(
            clear(SESSION, false)
                .to_str()
                .expect("ascii")
                .contains("Max-Age=0")
        );
    }
}
