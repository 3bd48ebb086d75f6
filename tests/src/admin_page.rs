//! The admin page from a test's point of view: a small browser over HTTP (cookies, forms and
//! their CSRF tokens, no redirection followed), and signing in with the second factor
//! computed from the secret the page shows.

use crate::TestServer;
use crate::family::{Answer, answer};
use cartable_server::clock::Clock;
use std::collections::BTreeMap;

/// A browser without script: keeps the cookies the server sets, nothing else.
pub struct Browser {
    pub base: String,
    pub cookies: BTreeMap<String, String>,
    agent: ureq::Agent,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            cookies: BTreeMap::new(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, a: &Answer) {
        for (name, value) in &a.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let first = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies
                        .insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
    }

    /// GET `path`.
    pub fn get(&mut self, path: &str) -> Answer {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            req = req.header("Cookie", self.cookie_header());
        }
        let a = answer(req.call().expect("HTTP"));
        self.keep_cookies(&a);
        a
    }

    /// POST `fields` as a form to `path`, exactly as given (no token added).
    pub fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded");
        if !self.cookies.is_empty() {
            req = req.header("Cookie", self.cookie_header());
        }
        let a = answer(req.send(body.as_bytes()).expect("HTTP"));
        self.keep_cookies(&a);
        a
    }

    /// POST a multipart form (text fields, then files as (field, file name, bytes)) to
    /// `path`, exactly as given (no token added).
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Answer {
        let boundary = "----cartable-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                     filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self.agent.post(format!("{}{path}", self.base)).header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        );
        if !self.cookies.is_empty() {
            req = req.header("Cookie", self.cookie_header());
        }
        let a = answer(req.send(&body[..]).expect("HTTP"));
        self.keep_cookies(&a);
        a
    }

    /// POST `fields` to `path` with the CSRF token of the form found on page `from`.
    pub fn post_form(&mut self, from: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
        let page = self.get(from);
        let token =
            csrf_of(&page.text()).unwrap_or_else(|| panic!("no form on {from}: {}", page.text()));
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all)
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    attribute_after(html, "name=\"csrf\" value=\"")
}

fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

/// The TOTP secret shown on the set-up page (spaces removed).
pub fn secret_of(html: &str) -> Option<String> {
    let marker = "id=\"totp-secret\" class=\"secret\">";
    let at = html.find(marker)? + marker.len();
    let end = html[at..].find('<')?;
    Some(html[at..at + end].replace(' ', ""))
}

/// The current code of `secret` by the server's clock, `steps` time steps later.
pub fn code(server: &TestServer, secret: &str, steps: i64) -> String {
    let t = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(totp_rs::Secret::try_from_base32(secret).expect("base32 secret"))
        .with_account_name("test")
        .build()
        .expect("totp");
    let now = server.clock.now().as_second() + steps * 30;
    t.generate(u64::try_from(now).expect("time")).to_string()
}

/// A member of staff signed in (second factor included for administrators).
pub struct SignedIn {
    pub browser: Browser,
    /// The administrator's TOTP secret, as shown once at set-up.
    pub secret: Option<String>,
    /// The recovery codes shown once at set-up.
    pub recovery_codes: Vec<String>,
}

/// Signs in through the pages: login form, then (administrators, first time) the second
/// factor's set-up with a code computed from the secret shown.
pub fn sign_in(server: &TestServer, login: &str, password: &str) -> SignedIn {
    let mut b = Browser::new(&server.url);
    let a = b.post_form(
        "/admin/connexion",
        "/admin/connexion",
        &[("login", login), ("password", password)],
    );
    assert_eq!(a.status, 303, "login: {}", a.text());
    let next = a.header("location").to_string();
    if next == "/admin/" {
        return SignedIn {
            browser: b,
            secret: None,
            recovery_codes: Vec::new(),
        };
    }
    assert_eq!(next, "/admin/double-authentification");
    let page = b.get(&next);
    assert_eq!(page.status, 200, "{}", page.text());
    let secret = secret_of(&page.text()).expect("the set-up page shows the secret");
    let code = code(server, &secret, 0);
    let a = b.post_form(&next, &next, &[("code", &code)]);
    assert_eq!(a.status, 200, "second factor set-up: {}", a.text());
    let html = a.text();
    let recovery_codes = html
        .split("<li><code>")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(String::from)
        .collect::<Vec<_>>();
    assert_eq!(recovery_codes.len(), 10, "{html}");
    SignedIn {
        browser: b,
        secret: Some(secret),
        recovery_codes,
    }
}

/// The tags `<name ...>` of a page, as their attribute text.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let boundary = after.chars().next().is_some_and(|c| c == ' ' || c == '>');
        let end = after.find('>').unwrap_or(after.len());
        if boundary {
            out.push(&after[..end]);
        }
        rest = &after[end..];
    }
    out
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    let end = tag[at..].find('"')?;
    Some(&tag[at..at + end])
}

/// What an automated reading finds wrong in a page's structure (RGAA basics): the page's
/// language, one h1 and a main landmark, a label for every field, headers of tables with
/// their scope and a caption for every table, charts and images named, and every
/// `aria-describedby` pointing at an element of the page.
pub fn accessibility_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !html.contains("<html lang=\"fr\">") {
        problems.push("no lang=\"fr\" on <html>".to_string());
    }
    let h1 = tags(html, "h1").len();
    if h1 != 1 {
        problems.push(format!("{h1} h1 headings"));
    }
    if tags(html, "main").is_empty() {
        problems.push("no <main>".to_string());
    }
    let ids: Vec<&str> = html
        .split(" id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    for input in tags(html, "input") {
        if attribute(input, "type") == Some("hidden") {
            continue;
        }
        match attribute(input, "id") {
            Some(id) if html.contains(&format!("<label for=\"{id}\"")) => {}
            _ => problems.push(format!("input without a label: <input{input}>")),
        }
    }
    for th in tags(html, "th") {
        if attribute(th, "scope").is_none() {
            problems.push(format!("<th{th}> without scope"));
        }
    }
    let tables = tags(html, "table").len();
    let captions = tags(html, "caption").len();
    if captions < tables {
        problems.push(format!("{tables} tables but {captions} captions"));
    }
    for svg in tags(html, "svg") {
        if attribute(svg, "role") != Some("img")
            || (attribute(svg, "aria-label").is_none()
                && attribute(svg, "aria-labelledby").is_none())
        {
            problems.push(format!("<svg{svg}> not named as an image"));
        }
    }
    for img in tags(html, "img") {
        if attribute(img, "alt").is_none() {
            problems.push(format!("<img{img}> without alt"));
        }
    }
    for piece in html.split(" aria-describedby=\"").skip(1) {
        let value = piece.split('"').next().unwrap_or("");
        for id in value.split_whitespace() {
            if !ids.contains(&id) {
                problems.push(format!("aria-describedby points at missing #{id}"));
            }
        }
    }
    for piece in html.split(" aria-labelledby=\"").skip(1) {
        let value = piece.split('"').next().unwrap_or("");
        for id in value.split_whitespace() {
            if !ids.contains(&id) {
                problems.push(format!("aria-labelledby points at missing #{id}"));
            }
        }
    }
    problems
}

/// Panics with the page when it has accessibility problems.
pub fn assert_accessible(what: &str, a: &Answer) {
    let html = a.text();
    let problems = accessibility_problems(&html);
    assert!(
        problems.is_empty(),
        "{what}: {}\n{html}",
        problems.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_structure_check_finds_what_is_missing() {
        let bad = "<html><body><h1>A</h1><h1>B</h1><input id=\"x\" name=\"x\">\
                   <table><tr><th>t</th></tr></table><svg viewBox=\"0 0 1 1\"></svg>\
                   <p aria-describedby=\"nope\"></p></body></html>";
        let problems = accessibility_problems(bad);
        for expected in [
            "lang",
            "2 h1",
            "<main>",
            "input without a label",
            "without scope",
            "captions",
            "not named",
            "#nope",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{expected}: {problems:?}"
            );
        }
        let good = "<html lang=\"fr\"><main><h1>A</h1><label for=\"x\">X</label>\
                    <input id=\"x\" aria-describedby=\"h\"><p id=\"h\">aide</p>\
                    <table><caption>c</caption><tr><th scope=\"col\">t</th></tr></table></main></html>";
        assert_eq!(accessibility_problems(good), Vec::<String>::new());
    }
}
