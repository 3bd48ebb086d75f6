//! The server's routes as its own router lists them, so that tests covering "every route"
//! cover routes added later without anyone updating a list.
//!
//! axum does not expose its routing table, but its `Debug` output names every path; the
//! methods of a path are what the server itself answers in `Allow` when asked with a method
//! no route takes.

use crate::TestServer;
use crate::http::call;

/// A method and path template (`/api/v1/documents/{id}/content`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    pub method: String,
    pub path: String,
}

/// Value put in a path parameter when only the route matters.
pub const PROBE_VALUE: &str = "zz-probe";

/// Every path template the router serves under `/api` or `/healthz`. The admin page's HTML
/// pages (`/admin/...`) are not part of the JSON API nor of its OpenAPI description; their
/// own tests (`admin_security`, `admin_browser`) cover them.
pub fn api_paths(server: &TestServer) -> Vec<String> {
    let router = cartable_server::routes::router(server.state.clone());
    let debug = format!("{router:?}");
    let mut out = Vec::new();
    let mut rest = debug.as_str();
    while let Some(at) = rest.find("RouteId(") {
        rest = &rest[at + "RouteId(".len()..];
        let Some(close) = rest.find("): \"") else {
            continue;
        };
        if !rest[..close].bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let after = &rest[close + 4..];
        let Some(end) = after.find('"') else {
            continue;
        };
        let path = &after[..end];
        if path.contains("__private__") {
            continue;
        }
        if path.starts_with("/api/") || path == "/healthz" {
            out.push(path.to_string());
        }
    }
    out.sort();
    out.dedup();
    assert!(
        out.len() > 10,
        "the router's paths could not be read from its Debug output: {out:?}"
    );
    out
}

/// `template` with every `{param}` replaced by `value(param)`.
pub fn fill(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = rest[open + 1..open + close].trim_start_matches('*');
        out.push_str(&value(name));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The parameter names of a template, in order.
pub fn params(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    fill(template, |n| {
        names.push(n.to_string());
        String::new()
    });
    names
}

/// The methods the server takes on `path` (HEAD, implied by GET, left out).
pub fn methods(server: &TestServer, path: &str) -> Vec<String> {
    let concrete = fill(path, |_| PROBE_VALUE.to_string());
    let answer = call(&server.url, "CARTABLE-PROBE", &concrete, None, &[], b"");
    assert_eq!(
        answer.status,
        405,
        "{path}: a method no route takes should answer 405, got {}",
        answer.text()
    );
    let mut methods: Vec<String> = answer
        .header("allow")
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty() && m != "HEAD")
        .collect();
    methods.sort();
    methods.dedup();
    assert!(!methods.is_empty(), "{path}: no Allow header");
    methods
}

/// Every route of the API: each path with each of its methods.
pub fn api_routes(server: &TestServer) -> Vec<Route> {
    let mut out = Vec::new();
    for path in api_paths(server) {
        for method in methods(server, &path) {
            out.push(Route {
                method,
                path: path.clone(),
            });
        }
    }
    out
}

/// The smallest valid example of `schema` (following `$ref`s into `spec`): required
/// properties only, the first enumerated value, a date for dates, the minimum for numbers.
pub fn example(spec: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Value, json};
    if let Some(reference) = schema["$ref"].as_str() {
        let pointer = reference.trim_start_matches('#');
        return example(spec, spec.pointer(pointer).unwrap_or(&Value::Null));
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or_default(),
        other => other.clone(),
    };
    match kind.as_str().unwrap_or("object") {
        "string" if schema["format"] == "date" => json!("2026-12-01"),
        "string" => {
            let min = schema["minLength"].as_u64().unwrap_or(1).max(1);
            json!(
                "Texte d'essai assez long"
                    .chars()
                    .cycle()
                    .take(min.max(6) as usize)
                    .collect::<String>()
            )
        }
        "integer" | "number" => json!(schema["minimum"].as_i64().unwrap_or(1)),
        "boolean" => json!(false),
        "array" => json!([]),
        _ => {
            let mut out = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    out.insert(name.to_string(), example(spec, &schema["properties"][name]));
                }
            }
            Value::Object(out)
        }
    }
}

/// The example JSON body of an operation of `spec`, if it takes one.
pub fn example_body(
    spec: &serde_json::Value,
    method: &str,
    path: &str,
) -> Option<serde_json::Value> {
    let op = &spec["paths"][path][method.to_ascii_lowercase()];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    (!schema.is_null()).then(|| example(spec, schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_and_list_their_parameters() {
        assert_eq!(
            fill("/a/{family_id}/b/{id}", |n| format!("<{n}>")),
            "/a/<family_id>/b/<id>"
        );
        assert_eq!(
            params("/x/{date}/y/{activity_id}"),
            vec!["date", "activity_id"]
        );
        assert!(params("/healthz").is_empty());
    }
}
