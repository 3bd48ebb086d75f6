//! The page a member of staff asked for before signing in, to go back to once signed in
//! (`?suite=` on the login and second-factor pages). Only a relative address of this
//! server's admin pages is followed; anything else (another site, `//host`, a scheme, a
//! path with `..`, encoded separators or control characters) leads to the dashboard.

/// Where a signed-in member of staff goes when no page was asked for.
pub const DASHBOARD: &str = "/admin/";

/// Longest address followed.
const MAX_LEN: usize = 512;

/// `next` when it is an address of the admin pages to follow after signing in.
pub fn safe(next: &str) -> Option<&str> {
    let (path, _query) = next.split_once('?').unwrap_or((next, ""));
    let admin = path == "/admin" || path.starts_with("/admin/");
    let lower = next.to_ascii_lowercase();
    let ok = admin
        && next.len() <= MAX_LEN
        && next.bytes().all(|b| b.is_ascii_graphic())
        && !next.contains("//")
        && !next.contains('\\')
        && !next.contains('#')
        && !["%2e", "%2f", "%5c", "%00"]
            .iter()
            .any(|e| lower.contains(e))
        && !path.split('/').any(|segment| segment == ".." || segment == ".")
        // Not back to the sign-in pages themselves.
        && !["/admin/connexion", "/admin/deconnexion", "/admin/double-authentification"]
            .iter()
            .any(|p| path.starts_with(p));
    ok.then_some(next)
}

/// `next` if it is safe, the dashboard otherwise.
pub fn or_dashboard(next: Option<&str>) -> String {
    next.and_then(safe).unwrap_or(DASHBOARD).to_string()
}

/// `path` with `?suite=next` (URL-encoded) when `next` is safe and not the dashboard.
pub fn with_next(path: &str, next: Option<&str>) -> String {
    match next.and_then(safe) {
        Some(n) if n != DASHBOARD && n != "/admin" => format!(
            "{path}?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("suite", n)
                .finish()
        ),
        _ => path.to_string(),
    }
}

/// The value a form carries on: the safe address or nothing.
pub fn carried(next: Option<&str>) -> String {
    next.and_then(safe).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_pages_of_this_server_are_followed() {
        for good in [
            "/admin/listes?jour=2027-03-16&activite=cantine",
            "/admin/familles/abc",
            "/admin",
        ] {
            assert_eq!(safe(good), Some(good), "{good}");
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/admin/../x",
            "/admin/./x",
            "/admin/%2e%2e/x",
            "/admin/%2F%2Fevil.example",
            "/admin//evil.example",
            "/admin\\evil.example",
            "/administrateur",
            "/admin.evil.example",
            "/api/v1/staff/catalogue",
            "/admin/x\r\nSet-Cookie: a=b",
            "/admin/café",
            "/admin/connexion?suite=/admin/",
            "",
            "admin/listes",
        ] {
            assert_eq!(safe(bad), None, "{bad:?}");
        }
        assert_eq!(or_dashboard(Some("//evil.example")), "/admin/");
        assert_eq!(or_dashboard(None), "/admin/");
        assert_eq!(
            with_next("/admin/connexion", Some("/admin/listes?jour=2027-03-16")),
            "/admin/connexion?suite=%2Fadmin%2Flistes%3Fjour%3D2027-03-16"
        );
        assert_eq!(
            with_next("/admin/connexion", Some("/admin/")),
            "/admin/connexion"
        );
        assert_eq!(
            with_next("/admin/connexion", Some("https://x")),
            "/admin/connexion"
        );
    }
}
