//! Helpers for "Mes Factures" scenarios: a family with two children of different ages,
//! tariffs sent through the staff API, issuing a month, PDF text.

use crate::family::{Answer, PASSWORD, get};
use crate::{Seed, SeedFamily, TestServer, staff};
use cartable_domain::dossier::ChildSheet;
use cartable_server::admin::{self, NewLogin};
use serde_json::{Value, json};
use sqlx::Row;

/// A structure with one family: Camille and Julien Martin, Léa (born 2017) and Hugo (2019).
pub fn martin_family(server: &TestServer) -> Seed {
    server.block_on(async {
        let structure_id =
            admin::create_structure(&server.state, "Mairie de Test", Default::default())
                .await
                .expect("structure");
        let staff = admin::create_staff(
            &server.state,
            &structure_id,
            &NewLogin {
                first_name: "Nadia".into(),
                last_name: "Régie".into(),
                login: format!("regie.{}", &structure_id[..8]),
                password: Some(PASSWORD.into()),
            },
            true,
        )
        .await
        .expect("staff");
        let parents: Vec<NewLogin> = ["Camille", "Julien"]
            .iter()
            .map(|first| NewLogin {
                first_name: first.to_string(),
                last_name: "Martin".into(),
                login: format!("{}.martin.{}", first.to_lowercase(), &structure_id[..8]),
                password: Some(PASSWORD.into()),
            })
            .collect();
        let children: Vec<ChildSheet> = [("Léa", "2017-03-14"), ("Hugo", "2019-10-02")]
            .iter()
            .map(|(first, birth)| ChildSheet {
                first_name: first.to_string(),
                last_name: "Martin".into(),
                birth_date: birth.to_string(),
                ..Default::default()
            })
            .collect();
        let (family_id, parents) = admin::create_family(
            &server.state,
            &structure_id,
            "Famille Martin",
            &parents,
            &children,
        )
        .await
        .expect("family");
        let rows = sqlx::query(
            "SELECT child_id, first_name FROM children WHERE family_id = $1 ORDER BY first_name",
        )
        .bind(family_id.as_str())
        .fetch_all(&server.state.db.pool)
        .await
        .expect("children");
        let children = rows
            .iter()
            .map(|r| {
                (
                    r.get::<String, _>("child_id"),
                    r.get::<String, _>("first_name"),
                )
            })
            .collect();
        Seed {
            structure_id: structure_id.into_string(),
            staff,
            families: vec![SeedFamily {
                family_id: family_id.into_string(),
                parents,
                children,
            }],
        }
    })
}

/// The child id of `first_name` in `family`.
pub fn child(family: &SeedFamily, first_name: &str) -> String {
    family
        .children
        .iter()
        .find(|(_, name)| name == first_name)
        .map(|(id, _)| id.clone())
        .expect("child")
}

/// `PUT`s JSON and asserts a 2xx answer.
pub fn put_ok(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = staff::send(&server.url, "PUT", path, Some(token), Some(&body));
    assert!(
        (200..300).contains(&status),
        "PUT {path}: {status} {answer}"
    );
    answer
}

/// `POST`s JSON and asserts a 2xx answer.
pub fn post_ok(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = staff::send(&server.url, "POST", path, Some(token), Some(&body));
    assert!(
        (200..300).contains(&status),
        "POST {path}: {status} {answer}"
    );
    answer
}

/// `GET`s JSON and asserts a 200 answer.
pub fn get_ok(server: &TestServer, token: &str, path: &str) -> Value {
    let (status, answer) = staff::send(&server.url, "GET", path, Some(token), None);
    assert_eq!(status, 200, "GET {path}: {answer}");
    answer
}

/// Marks attendance of children at an activity on a day: (child id, status).
pub fn mark(server: &TestServer, token: &str, day: &str, activity: &str, marks: &[(&str, &str)]) {
    let marks: Vec<Value> = marks
        .iter()
        .map(|(child, status)| json!({"child_id": child, "status": status}))
        .collect();
    put_ok(
        server,
        token,
        &format!("/api/v1/staff/attendance/{day}/{activity}"),
        json!({ "marks": marks }),
    );
}

/// Issues `month` ("2026-11"); returns the report.
pub fn issue(server: &TestServer, token: &str, month: &str) -> Value {
    post_ok(
        server,
        token,
        &format!("/api/v1/staff/invoicing/{month}/issue"),
        json!({}),
    )
}

/// A staff GET of raw bytes (PDF, CSV).
pub fn get_bytes(server: &TestServer, token: &str, path: &str) -> Answer {
    let answer = get(server, Some(token), path);
    assert_eq!(answer.status, 200, "GET {path}: {}", answer.text());
    answer
}

/// The text of a PDF as pdftotext extracts it (no-break spaces as spaces), or `None` (with
/// "SKIPPED") when pdftotext is missing; a failure with `CARTABLE_REQUIRE_ALL=1`.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("write PDF");
    match std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(o) if o.status.success() => {
            Some(String::from_utf8_lossy(&o.stdout).replace('\u{a0}', " "))
        }
        _ => {
            assert!(
                !crate::require_all(),
                "CARTABLE_REQUIRE_ALL=1 but pdftotext (poppler-utils) is missing"
            );
            eprintln!("SKIPPED PDF text checks: pdftotext is not installed");
            None
        }
    }
}

/// The demo on 20 May 2027, for the accounting pages: February and March issued, the
/// Martins paid February, the Benalis' billing adult has a phone and an email.
pub fn demo_in_may(server: &TestServer) {
    let canteen = crate::daily::demo_with_canteen(server);
    let at = |s: &str| s.parse::<jiff::Timestamp>().expect("instant");
    server.clock.set(at("2027-04-20T08:00:00Z"));
    server.block_on(async {
        let admin_id: String = sqlx::query("SELECT id FROM accounts WHERE login = 'admin'")
            .fetch_one(&server.state.db.pool)
            .await
            .expect("admin")
            .get(0);
        cartable_server::invoicing::run::issue(
            &server.state,
            &canteen.structure_id,
            "2027-03".parse().expect("month"),
            &admin_id,
        )
        .await
        .expect("March issued");
        sqlx::query(
            "UPDATE adults SET email = 'samira.benali@example.org', \
             mobile_phone = '06 12 34 56 78' WHERE first_name = 'Samira'",
        )
        .execute(&server.state.db.pool)
        .await
        .expect("contact");
    });
    server.clock.set(at("2027-05-20T08:00:00Z"));
}
