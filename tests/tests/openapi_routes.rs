//! `/api/openapi.json` describes exactly the routes the server serves, each with its path
//! parameters, its body and its error statuses.

use cartable_tests::http::call;
use cartable_tests::routes::{Route, api_routes, params};
use cartable_tests::{Backend, TestServer};
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// Routes anyone may call without a token.
const PUBLIC: &[&str] = &[
    "/healthz",
    "/api/openapi.json",
    "/api/v1/login",
    "/api/v1/staff/login",
];

fn documented(spec: &Value) -> BTreeSet<Route> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(*method).is_some() {
                out.insert(Route {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                });
            }
        }
    }
    out
}

fn spec(server: &TestServer) -> Value {
    let answer = call(&server.url, "GET", "/api/openapi.json", None, &[], b"");
    assert_eq!(answer.status, 200);
    answer.json()
}

#[test]
fn the_router_and_the_openapi_document_list_the_same_routes() {
    let server = TestServer::start(Backend::Sqlite);
    let served: BTreeSet<Route> = api_routes(&server).into_iter().collect();
    let documented = documented(&spec(&server));
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in /api/openapi.json: {undocumented:#?}\n\
         documented but not served: {unserved:#?}"
    );
}

#[test]
fn every_operation_documents_its_parameters_body_and_errors() {
    let server = TestServer::start(Backend::Sqlite);
    let spec = spec(&server);
    let mut problems = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let here = format!("{} {path}", method.to_ascii_uppercase());
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{here}: no summary"));
            }
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(item["parameters"].as_array().into_iter().flatten())
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(String::from))
                .collect();
            let in_template: BTreeSet<String> = params(path).into_iter().collect();
            if declared != in_template {
                problems.push(format!(
                    "{here}: path parameters {declared:?}, template has {in_template:?}"
                ));
            }
            let responses = op["responses"].as_object();
            let Some(responses) = responses else {
                problems.push(format!("{here}: no responses"));
                continue;
            };
            if !responses.keys().any(|k| k.starts_with('2')) {
                problems.push(format!("{here}: no success status"));
            }
            let public = PUBLIC.contains(&path.as_str());
            if !public {
                if op["security"].as_array().is_none_or(Vec::is_empty) {
                    problems.push(format!("{here}: no security requirement"));
                }
                if !responses.contains_key("401") {
                    problems.push(format!("{here}: 401 not documented"));
                }
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    if schema != "#/components/schemas/Error" {
                        problems.push(format!("{here}: {status} is not the Error shape"));
                    }
                }
            }
            if matches!(*method, "put" | "patch") && op.get("requestBody").is_none() {
                problems.push(format!("{here}: no request body"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
