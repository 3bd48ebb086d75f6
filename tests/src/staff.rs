//! The staff JSON API from a test's point of view.

use crate::raw::agent;
use cartable_domain::api::{LoginRequest, StaffLoginResponse};
use serde_json::Value;

/// Logs a member of staff in; returns the bearer token.
pub fn login(url: &str, login: &str, password: &str) -> String {
    let req = LoginRequest {
        login: login.into(),
        password: password.into(),
        device_name: "poste de la mairie".into(),
        known_device: None,
    };
    let (status, body) = send(
        url,
        "POST",
        "/api/v1/staff/login",
        None,
        Some(&serde_json::to_value(req).expect("json")),
    );
    assert_eq!(status, 200, "staff login: {body}");
    let resp: StaffLoginResponse = serde_json::from_value(body).expect("staff login response");
    resp.token
}

/// Sends a JSON request; returns (status, JSON body or Null).
pub fn send(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let agent = agent();
    let full = format!("{url}{path}");
    let auth = token.map(|t| format!("Bearer {t}"));
    let result = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(&full);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(&full);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        (m, b) => {
            let mut r = if m == "PUT" {
                agent.put(&full)
            } else {
                agent.post(&full)
            };
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            let bytes = serde_json::to_vec(b.unwrap_or(&Value::Null)).expect("json");
            r.header("Content-Type", "application/json")
                .send(bytes.as_slice())
        }
    };
    let mut resp = result.expect("HTTP");
    let status = resp.status().as_u16();
    let bytes = resp.body_mut().read_to_vec().expect("body");
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}
