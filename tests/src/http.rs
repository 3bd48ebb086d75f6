//! Any HTTP request a test may need: any method, headers and bytes, with or without a token.

use crate::family::{Answer, answer};

/// Sends `method path` to `base_url` with `headers` and `body`; a bearer token when given.
pub fn call(
    base_url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base_url}{path}"));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(body.to_vec()).expect("request");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .build()
        .into();
    answer(agent.run(req).expect("HTTP"))
}

/// `call` with a JSON body.
pub fn json(
    base_url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Answer {
    let bytes = serde_json::to_vec(body).expect("json");
    call(
        base_url,
        method,
        path,
        token,
        &[("Content-Type", "application/json")],
        &bytes,
    )
}
