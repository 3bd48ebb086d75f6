//! Tenant isolation, route by route, from the router's own route list (so a route added
//! tomorrow is checked too): every route called without credentials, with another family's
//! token and with another structure's staff and family tokens answers 401, 403 or 404 when
//! it names the victim's objects, and nothing it answers carries the victim's data.

use cartable_tests::family::{PASSWORD, get, post_bytes, signed_in, staff_token};
use cartable_tests::http::call;
use cartable_tests::routes::{Route, api_routes, example_body, fill};
use cartable_tests::{Device, TestServer, on_each_backend};
use serde_json::json;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// Routes anyone may call without a token.
const PUBLIC: &[&str] = &[
    "/healthz",
    "/api/openapi.json",
    "/api/v1/login",
    "/api/v1/staff/login",
];

/// Who owns what a path parameter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The victim family alone (and its structure's staff).
    Family,
    /// Everyone of the victim's structure.
    Structure,
    /// A key scoped by the caller's own structure (an activity, a date): names nothing of
    /// the victim's.
    Caller,
}

/// The victim: a family of structure A, its structure's objects, and text planted in them.
struct Victim {
    family_id: String,
    account_id: String,
    device_id: String,
    document_id: String,
    download_id: String,
    information_id: String,
    /// Text only the victim family's people and staff may see.
    family_canaries: Vec<String>,
    /// Text everyone of structure A may see.
    structure_canaries: Vec<String>,
}

impl Victim {
    /// The value of `param` in `path`, and who owns it. Fails for a parameter nobody taught
    /// this test: add it here when adding a route that takes it.
    fn target(&self, path: &str, param: &str) -> (String, Owner) {
        match param {
            "family_id" => (self.family_id.clone(), Owner::Family),
            "account_id" => (self.account_id.clone(), Owner::Family),
            "device_id" | "session_id" => (self.device_id.clone(), Owner::Family),
            "activity_id" => ("cantine".into(), Owner::Caller),
            "date" => ("2026-12-01".into(), Owner::Caller),
            "month" => ("2026-11".into(), Owner::Caller),
            "year" => ("2026".into(), Owner::Caller),
            // The first invoice number of the victim's structure (another structure numbers
            // its own invoices alike: staff there see theirs, never the victim's).
            "number" => ("F2026-000001".into(), Owner::Family),
            "id" if path.contains("/documents/") => (self.document_id.clone(), Owner::Family),
            "id" if path.contains("/downloads/") => (self.download_id.clone(), Owner::Structure),
            "id" if path.contains("/information/") => {
                (self.information_id.clone(), Owner::Structure)
            }
            other => panic!(
                "tenant matrix: no victim value for parameter {{{other}}} of {path}: \
                 teach Victim::target which of the victim's objects it names"
            ),
        }
    }
}

struct Caller {
    name: &'static str,
    token: Option<String>,
    /// Whether this caller belongs to the victim's structure.
    same_structure: bool,
}

fn setup(server: &TestServer) -> (Victim, Vec<Caller>, impl Fn() -> Vec<Caller>) {
    let tag = cartable_server::auth::new_id()[..8].to_string();
    let a = server.seed(2);
    let b = server.seed(1);
    let victim_family = &a.families[0];

    // Health data and a document in the victim's family.
    let phone = Device::new();
    let client = signed_in(server, victim_family, 0, &phone);
    let allergy = format!("CANARI-ALLERGIE-{tag}");
    client
        .set_child_field(&victim_family.children[0].0, "allergies", &allergy)
        .expect("allergy");
    client.sync().expect("sync");
    let victim_login =
        cartable_tests::raw::login(&server.url, &victim_family.parents[0].login, PASSWORD);
    let file_name = format!("CANARI-DOC-{tag}.pdf");
    let upload = post_bytes(
        server,
        &victim_login.token,
        &format!("/api/v1/documents?kind=medical_note&file_name={file_name}"),
        &[("Idempotency-Key", "canari-1")],
        PDF,
    );
    assert_eq!(upload.status, 201, "{}", upload.text());
    let document_id = upload.json()["id"].as_str().expect("id").to_string();

    // The structure's own published objects.
    let staff_a = staff_token(server, &a);
    let info_title = format!("CANARI-INFO-{tag}");
    let info = cartable_tests::http::json(
        &server.url,
        "POST",
        "/api/v1/staff/information",
        Some(&staff_a),
        &json!({"title": info_title, "body": "Texte."}),
    );
    assert_eq!(info.status, 201, "{}", info.text());
    let information_id = info.json()["id"].as_str().expect("id").to_string();
    let download_title = format!("CANARI-TELECHARGEMENT-{tag}");
    let download = post_bytes(
        server,
        &staff_a,
        &format!("/api/v1/staff/downloads?title={download_title}"),
        &[],
        PDF,
    );
    assert_eq!(download.status, 201, "{}", download.text());
    let download_id = download.json()["id"].as_str().expect("id").to_string();

    let victim = Victim {
        family_id: victim_family.family_id.clone(),
        account_id: victim_login.account_id.clone(),
        device_id: victim_login.device_id.clone(),
        document_id: document_id.clone(),
        download_id: download_id.clone(),
        information_id: information_id.clone(),
        family_canaries: vec![
            allergy,
            file_name,
            victim_family.family_id.clone(),
            victim_login.account_id.clone(),
            victim_login.device_id.clone(),
            document_id,
        ],
        structure_canaries: vec![info_title, download_title, a.structure_id.clone()],
    };
    let server_url = server.url.clone();
    let (other_family, other_staff, foreign_family) = (
        a.families[1].clone(),
        b.staff.login.clone(),
        b.families[0].clone(),
    );
    let callers = move || {
        vec![
            Caller {
                name: "no credentials",
                token: None,
                same_structure: false,
            },
            Caller {
                name: "another family of the structure",
                token: Some(
                    cartable_tests::raw::login(
                        &server_url,
                        &other_family.parents[0].login,
                        PASSWORD,
                    )
                    .token,
                ),
                same_structure: true,
            },
            Caller {
                name: "staff of another structure",
                token: Some(cartable_tests::staff::login(
                    &server_url,
                    &other_staff,
                    PASSWORD,
                )),
                same_structure: false,
            },
            Caller {
                name: "a family of another structure",
                token: Some(
                    cartable_tests::raw::login(
                        &server_url,
                        &foreign_family.parents[0].login,
                        PASSWORD,
                    )
                    .token,
                ),
                same_structure: false,
            },
        ]
    };
    let first = callers();
    (victim, first, callers)
}

/// A body the route would accept from its own tenant: the smallest valid example of its
/// documented JSON body, a PDF for a file, nothing otherwise. The refusal must then come
/// from who is asking, not from what was sent.
fn body_for(
    spec: &serde_json::Value,
    method: &str,
    path: &str,
) -> (Vec<(&'static str, &'static str)>, Vec<u8>) {
    if let Some(body) = example_body(spec, method, path) {
        return (
            vec![("Content-Type", "application/json")],
            serde_json::to_vec(&body).expect("json"),
        );
    }
    let op = &spec["paths"][path][method.to_ascii_lowercase()];
    if op["requestBody"]["content"]["application/pdf"].is_object() {
        return (
            vec![
                ("Content-Type", "application/pdf"),
                ("Idempotency-Key", "matrice"),
            ],
            PDF.to_vec(),
        );
    }
    (Vec::new(), Vec::new())
}

#[test]
fn every_route_keeps_other_tenants_out() {
    on_each_backend(|server| {
        let (victim, mut callers, fresh_callers) = setup(server);
        let routes = api_routes(server);
        let spec = get(server, None, "/api/openapi.json").json();
        let mut failures = Vec::new();
        for Route { method, path } in &routes {
            if PUBLIC.contains(&path.as_str()) {
                continue;
            }
            let mut owners = Vec::new();
            let concrete = fill(path, |param| {
                let (value, owner) = victim.target(path, param);
                owners.push(owner);
                value
            });
            let (headers, body) = body_for(&spec, method, path);
            for caller in &callers {
                let answer = call(
                    &server.url,
                    method,
                    &concrete,
                    caller.token.as_deref(),
                    &headers,
                    &body,
                );
                let here = format!("{method} {path} as {}", caller.name);
                let names_victim = owners.iter().any(|o| match o {
                    Owner::Family => true,
                    Owner::Structure => !caller.same_structure,
                    Owner::Caller => false,
                });
                if caller.token.is_none() && answer.status != 401 {
                    failures.push(format!("{here}: {} instead of 401", answer.status));
                } else if names_victim && !matches!(answer.status, 401 | 403 | 404) {
                    failures.push(format!("{here}: {} {}", answer.status, answer.text()));
                }
                if answer.status >= 500 {
                    failures.push(format!("{here}: server error {}", answer.text()));
                }
                let text = String::from_utf8_lossy(&answer.body).into_owned();
                let mut forbidden = victim.family_canaries.iter().collect::<Vec<_>>();
                if !caller.same_structure {
                    forbidden.extend(victim.structure_canaries.iter());
                }
                for canary in forbidden {
                    if text.contains(canary.as_str()) {
                        failures.push(format!("{here}: the answer shows the victim's {canary}"));
                    }
                }
            }
            if path.ends_with("logout") || path.ends_with("password") {
                callers = fresh_callers();
            }
        }
        assert!(
            failures.is_empty(),
            "{} routes checked; isolation failures:\n{}",
            routes.len(),
            failures.join("\n")
        );

        // The victim's objects are all still there.
        let staff_a = server.count(
            "SELECT COUNT(*) FROM supporting_documents WHERE family_id = $1",
            &victim.family_id,
        );
        assert_eq!(staff_a, 1);
        let live = server.count(
            "SELECT COUNT(*) FROM devices WHERE id = $1 AND revoked_at_ms IS NULL",
            &victim.device_id,
        );
        assert_eq!(live, 1, "the victim's session is still live");
    });
}
