//! Helpers shared by scenarios: a signed-in phone, staff tokens, Paris instants, raw HTTP with
//! bytes.

use crate::raw::agent;
use crate::{Device, Seed, SeedFamily, TestServer, staff};
use jiff::civil::Date;

/// Password of every seeded login.
pub const PASSWORD: &str = "mot-de-passe-test";

/// A client core signed in as parent `parent` of `family`, synced once.
pub fn signed_in(
    server: &TestServer,
    family: &SeedFamily,
    parent: usize,
    device: &Device,
) -> cartable_core::Client {
    let client = device.open();
    client
        .login(
            &server.url,
            &family.parents[parent].login,
            PASSWORD,
            &format!("téléphone {parent}"),
        )
        .expect("login");
    client.sync().expect("first sync");
    client
}

/// The state `client` shows for `child`'s `activity` on `day`, if it holds a request there.
pub fn request_state(
    client: &cartable_core::Client,
    child: &str,
    day: Date,
    activity: &str,
) -> Option<cartable_domain::planning::RequestState> {
    client
        .planning(None)
        .expect("planning")
        .into_iter()
        .find(|e| e.child_id == child && e.date == day && e.activity_id == activity)
        .map(|e| e.state)
}

/// A bearer token of the seeded structure's admin.
pub fn staff_token(server: &TestServer, seed: &Seed) -> String {
    staff::login(&server.url, &seed.staff.login, PASSWORD)
}

/// A bearer token of parent `parent` of `family`.
pub fn family_token(server: &TestServer, family: &SeedFamily, parent: usize) -> String {
    crate::raw::login(&server.url, &family.parents[parent].login, PASSWORD).token
}

/// `day` at `hour:minute` in Europe/Paris.
pub fn paris(day: Date, hour: i8, minute: i8) -> jiff::Timestamp {
    day.at(hour, minute, 0, 0)
        .in_tz("Europe/Paris")
        .expect("Paris time")
        .timestamp()
}

/// An HTTP answer: status, headers (lower-case names) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The header's value, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text, for assertion messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub(crate) fn answer(mut resp: ureq::http::Response<ureq::Body>) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET path`, with a bearer token when given.
pub fn get(server: &TestServer, token: Option<&str>, path: &str) -> Answer {
    let mut req = agent().get(&format!("{}{path}", server.url));
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    answer(req.call().expect("HTTP"))
}

/// `POST path` with raw bytes and extra headers.
pub fn post_bytes(
    server: &TestServer,
    token: &str,
    path: &str,
    headers: &[(&str, &str)],
    bytes: &[u8],
) -> Answer {
    let mut req = agent()
        .post(&format!("{}{path}", server.url))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/octet-stream");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    answer(req.send(bytes).expect("HTTP"))
}
