//! Supporting documents ("Mes Documents") end to end: the offline upload queue of the client
//! core, the server's content checks (nothing stored for a refused file), family scoping of
//! lists and downloads, staff answers reaching the family.

use cartable_core::{DocumentState, DocumentView};
use cartable_domain::api::{ApiErrorBody, ErrorCode};
use cartable_domain::supporting::{DocumentStatus, SupportingDocument};
use cartable_tests::family::{PASSWORD, family_token, get, signed_in, staff_token};
use cartable_tests::raw::agent;
use cartable_tests::{Device, TestServer, backends, on_each_backend, staff};
use serde_json::json;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// `POST /api/v1/documents` with raw bytes: (status, body).
fn upload(
    server: &TestServer,
    token: &str,
    key: &str,
    query: &str,
    headers: &[(&str, &str)],
    bytes: &[u8],
) -> (u16, Vec<u8>) {
    let mut req = agent()
        .post(&format!("{}/api/v1/documents?{query}", server.url))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/pdf");
    if !key.is_empty() {
        req = req.header("Idempotency-Key", key);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut resp = req.send(bytes).expect("HTTP");
    let status = resp.status().as_u16();
    (
        status,
        resp.body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .expect("body"),
    )
}

fn uploaded(status_body: (u16, Vec<u8>), expected: u16) -> SupportingDocument {
    let (status, body) = status_body;
    assert_eq!(status, expected, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("document")
}

/// `GET` with a bearer token: (status, headers, body).
fn fetch(server: &TestServer, token: &str, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let answer = get(server, Some(token), path);
    (answer.status, answer.headers, answer.body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn family_list(server: &TestServer, token: &str) -> Vec<SupportingDocument> {
    let (status, _, body) = fetch(server, token, "/api/v1/documents");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("list")
}

fn stored_rows(server: &TestServer, family_id: &str) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM supporting_documents WHERE family_id = $1",
        family_id,
    )
}

fn stored_files(server: &TestServer) -> Vec<String> {
    let dir = server.state.settings.data_dir.join("files");
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("files folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
    }
    out
}

fn state_of(docs: &[DocumentView], local_id: &str) -> DocumentState {
    docs.iter()
        .find(|d| d.local_id.as_deref() == Some(local_id))
        .map(|d| d.state.clone())
        .expect("queued document listed")
}

#[test]
fn a_queued_upload_survives_a_restart_and_arrives_once() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let device = Device::new();
        let local_id = {
            let client = signed_in(server, family, 0, &device);
            let child = family.children[0].0.clone();
            // Queued with no network call: what an offline phone does.
            let id = client
                .queue_document(
                    "../attestation CAF.pdf",
                    PDF,
                    "qf_certificate",
                    Some(&child),
                    Some("2027-08-31".parse().expect("date")),
                )
                .expect("queued");
            let docs = client.documents().expect("documents");
            assert_eq!(
                state_of(&docs, &id),
                DocumentState::WaitingToSend { last_error: None }
            );
            assert_eq!(docs[0].file_name, "attestation CAF.pdf");
            id
        };
        assert_eq!(stored_rows(server, &family.family_id), 0);

        // The app was killed; it starts again from its store.
        let client = device.open();
        assert_eq!(
            state_of(&client.documents().expect("documents"), &local_id),
            DocumentState::WaitingToSend { last_error: None }
        );
        // The first try reached the server but its answer was lost.
        let token = family_token(server, family, 1);
        let first = uploaded(
            upload(server, &token, &local_id, "kind=qf_certificate", &[], PDF),
            201,
        );
        let report = client.send_documents().expect("send");
        assert_eq!(report.sent, 1);
        let again = client.send_documents().expect("send again");
        assert_eq!(again.sent, 0, "nothing left to send");
        client.sync().expect("sync sends nothing more");
        assert_eq!(stored_rows(server, &family.family_id), 1, "arrived once");
        assert_eq!(stored_files(server).len(), 1);

        let docs = client.documents().expect("documents");
        assert_eq!(docs.len(), 1, "{docs:?}");
        assert_eq!(docs[0].server_id.as_deref(), Some(first.id.as_str()));
        assert_eq!(docs[0].state, DocumentState::Sent);
        let list = family_list(server, &token);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, DocumentStatus::Waiting);
        assert_eq!(
            list[0].valid_until, None,
            "the first arrival is the one kept"
        );

        // A file the client can tell is not acceptable is refused before queuing.
        let err = client
            .queue_document("page.pdf", b"<html></html>", "insurance", None, None)
            .expect_err("html refused");
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("PDF, JPEG et PNG"), "{err}");
    });
}

#[test]
fn a_wrong_file_queued_offline_can_be_withdrawn_before_it_is_sent() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let device = Device::new();
        let client = signed_in(server, family, 0, &device);
        let wrong = client
            .queue_document("mauvais.pdf", PDF, "insurance", None, None)
            .expect("queued");
        let right = client
            .queue_document("assurance.pdf", PDF, "insurance", None, None)
            .expect("queued");
        let err = client
            .queue_document("x.pdf", PDF, "insurance", Some("enfant-inconnu"), None)
            .expect_err("a child of another family is refused before queuing");
        assert!(err.to_string().contains("enfant inconnu"), "{err}");
        client.cancel_queued_document(&wrong).expect("withdrawn");
        let err = client
            .cancel_queued_document(&wrong)
            .expect_err("already gone");
        assert_eq!(err.code(), "invalid_input");
        client.sync().expect("sync sends the other one");
        assert_eq!(stored_rows(server, &family.family_id), 1);
        let docs = client.documents().expect("documents");
        assert_eq!(docs.len(), 1, "{docs:?}");
        assert_eq!(docs[0].file_name, "assurance.pdf");
        let err = client
            .cancel_queued_document(&right)
            .expect_err("the structure has it");
        assert!(err.to_string().contains("déjà envoyé"), "{err}");
        assert_eq!(stored_rows(server, &family.family_id), 1);
    });
}

#[test]
fn refused_uploads_get_clear_errors_and_store_nothing() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| s.max_document_bytes = 64 * 1024);
        let seed = server.seed(1);
        let family = &seed.families[0];
        let token = family_token(&server, family, 0);
        let mut too_big = PDF.to_vec();
        too_big.splice(10..10, std::iter::repeat_n(b' ', 64 * 1024));
        let truncated = &PDF[..PDF.len() - 7];
        let cases: [(&str, &[u8], u16, ErrorCode); 7] = [
            ("trop gros", &too_big, 413, ErrorCode::PayloadTooLarge),
            ("vide", b"", 400, ErrorCode::BadRequest),
            (
                "texte",
                b"Ceci est une attestation, promis.\n",
                415,
                ErrorCode::UnsupportedMediaType,
            ),
            (
                "html",
                b"<!DOCTYPE html><html><script>alert(1)</script></html>",
                415,
                ErrorCode::UnsupportedMediaType,
            ),
            (
                "svg",
                b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
                415,
                ErrorCode::UnsupportedMediaType,
            ),
            ("pdf tronqué", truncated, 415, ErrorCode::UnsupportedMediaType),
            (
                "jpeg tronqué",
                &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'],
                415,
                ErrorCode::UnsupportedMediaType,
            ),
        ];
        for (i, (name, bytes, status, code)) in cases.iter().enumerate() {
            let (got, body) = upload(
                &server,
                &token,
                &format!("refus-{i}"),
                "kind=insurance",
                &[("X-File-Name", "attestation.pdf")],
                bytes,
            );
            assert_eq!(got, *status, "{name}: {}", String::from_utf8_lossy(&body));
            let err: ApiErrorBody = serde_json::from_slice(&body).expect("typed error");
            assert_eq!(err.code, *code, "{name}");
            assert!(!err.message.is_empty(), "{name}");
        }
        // Missing or wrong metadata.
        let (got, _) = upload(&server, &token, "", "kind=insurance", &[], PDF);
        assert_eq!(got, 400, "Idempotency-Key required");
        let (got, _) = upload(&server, &token, "k1", "kind=passport", &[], PDF);
        assert_eq!(got, 400, "unknown kind");
        let (got, body) = upload(
            &server,
            &token,
            "k2",
            "kind=pai&child_id=not-a-child",
            &[],
            PDF,
        );
        assert_eq!(got, 400, "{}", String::from_utf8_lossy(&body));
        let (got, _) = upload(
            &server,
            &token,
            "k3",
            "kind=pai&valid_until=31/02/2027",
            &[],
            PDF,
        );
        assert_eq!(got, 400, "bad date");

        assert_eq!(stored_rows(&server, &family.family_id), 0, "no row");
        assert!(stored_files(&server).is_empty(), "no object file");

        // The limit itself is fine.
        let mut just_fits = PDF.to_vec();
        just_fits.splice(10..10, std::iter::repeat_n(b' ', 64 * 1024 - PDF.len()));
        uploaded(
            upload(&server, &token, "ok", "kind=insurance", &[], &just_fits),
            201,
        );
        assert_eq!(stored_files(&server).len(), 1);
    }
}

#[test]
fn documents_stay_in_their_family_and_names_are_harmless() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let (a, b) = (&seed.families[0], &seed.families[1]);
        let token_a = family_token(server, a, 0);
        let token_b = family_token(server, b, 0);
        let doc = uploaded(
            upload(
                server,
                &token_a,
                "nom-bizarre",
                "kind=medical_note",
                &[(
                    "X-File-Name",
                    "..%2F..%2Fetc%2Fpasswd%0D%0AX-Injected%3A%201%22%3B.pdf",
                )],
                PDF,
            ),
            201,
        );
        assert!(!doc.file_name.contains('/'), "{}", doc.file_name);
        assert!(
            !doc.file_name.contains(['\r', '\n', '"']),
            "{}",
            doc.file_name
        );
        assert!(doc.file_name.ends_with(".pdf"));
        assert_eq!(doc.content_type, "application/pdf");
        for file in stored_files(server) {
            assert!(!file.contains("passwd") && !file.contains(".pdf"), "{file}");
        }

        // Another family neither sees nor fetches it.
        assert!(family_list(server, &token_b).is_empty());
        let path = format!("/api/v1/documents/{}/content", doc.id);
        let (status, _, _) = fetch(server, &token_b, &path);
        assert_eq!(status, 404);
        let (status, _, _) = fetch(
            server,
            &token_b,
            "/api/v1/documents/../../etc/passwd/content",
        );
        assert_eq!(status, 404);
        // Nor does the staff of another structure.
        let other = server.seed(0);
        let (status, _, _) = fetch(server, &staff_token(server, &other), &path);
        assert_eq!(status, 404);
        let (status, _, _) = fetch(
            server,
            &staff_token(server, &other),
            "/api/v1/staff/documents",
        );
        assert_eq!(status, 200);

        // The family gets its bytes back as an attachment.
        let (status, headers, body) = fetch(server, &token_a, &path);
        assert_eq!(status, 200);
        assert_eq!(body, PDF);
        assert_eq!(header(&headers, "content-type"), "application/pdf");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        let disposition = header(&headers, "content-disposition");
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{disposition}"
        );
        assert!(!disposition.contains("../"), "{disposition}");
        assert!(
            !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("x-injected"))
        );

        // Staff of the structure download it; a health document's download is logged.
        let staff = staff_token(server, &seed);
        let before = server.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'download_document' AND family_id = $1",
            &a.family_id,
        );
        let (status, headers, body) = fetch(server, &staff, &path);
        assert_eq!(status, 200);
        assert_eq!(body, PDF);
        assert!(header(&headers, "content-disposition").starts_with("attachment"));
        let after = server.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'download_document' AND family_id = $1",
            &a.family_id,
        );
        assert_eq!(after, before + 1);
    });
}

#[test]
fn staff_accept_and_reject_with_a_reason_and_the_family_sees_it() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let device = Device::new();
        let client = signed_in(server, family, 0, &device);
        let today = cartable_domain::calendar::paris_date(jiff::Timestamp::now());
        let soon = today.checked_add(jiff::Span::new().days(10)).expect("date");
        let insurance = client
            .queue_document("assurance.pdf", PDF, "insurance", None, Some(soon))
            .expect("queued");
        let qf = client
            .queue_document("caf.pdf", PDF, "qf_certificate", None, None)
            .expect("queued");
        client.sync().expect("sync sends the queue");
        let docs = client.documents().expect("documents");
        assert_eq!(state_of(&docs, &insurance), DocumentState::Sent);
        assert_eq!(state_of(&docs, &qf), DocumentState::Sent);

        let staff_tok = staff_token(server, &seed);
        let (status, waiting) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/documents?status=waiting",
            Some(&staff_tok),
            None,
        );
        assert_eq!(status, 200);
        let waiting: Vec<SupportingDocument> = serde_json::from_value(waiting).expect("list");
        assert_eq!(waiting.len(), 2);
        let id_of = |kind: &str| {
            waiting
                .iter()
                .find(|d| d.kind == kind)
                .map(|d| d.id.clone())
                .expect("listed")
        };
        let (ins_id, qf_id) = (id_of("insurance"), id_of("qf_certificate"));

        let (status, _) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/documents/{qf_id}/reject"),
            Some(&staff_tok),
            Some(&json!({"reason": "  "})),
        );
        assert_eq!(status, 400, "a reason is required");
        let (status, _) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/documents/{qf_id}/reject"),
            Some(&staff_tok),
            Some(&json!({"reason": "Attestation de plus de 3 mois"})),
        );
        assert_eq!(status, 200);
        let (status, _) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/documents/{ins_id}/accept"),
            Some(&staff_tok),
            None,
        );
        assert_eq!(status, 200);
        let (status, _) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/documents/0123456789abcdef0123456789abcdef/accept",
            Some(&staff_tok),
            None,
        );
        assert_eq!(status, 404);

        // The reminder list: the insurance ends within 30 days, not within 5.
        let (status, expiring) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/documents/expiring?within_days=30",
            Some(&staff_tok),
            None,
        );
        assert_eq!(status, 200);
        let expiring: Vec<SupportingDocument> = serde_json::from_value(expiring).expect("list");
        assert_eq!(expiring.len(), 1);
        assert_eq!(expiring[0].id, ins_id);
        let (_, expiring) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/documents/expiring?within_days=5",
            Some(&staff_tok),
            None,
        );
        assert_eq!(expiring, json!([]));

        client.send_documents().expect("refresh");
        let docs = client.documents().expect("documents");
        assert_eq!(state_of(&docs, &insurance), DocumentState::Accepted);
        assert_eq!(
            state_of(&docs, &qf),
            DocumentState::Rejected {
                reason: "Attestation de plus de 3 mois".into()
            }
        );
        // A new device of the family sees them too, as sent from elsewhere.
        let other = Device::new();
        let phone = other.open();
        phone
            .login(&server.url, &family.parents[1].login, PASSWORD, "autre")
            .expect("login");
        phone.sync().expect("sync");
        let seen = phone.documents().expect("documents");
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(|d| d.local_id.is_none()));
    });
}

#[test]
fn an_activity_requiring_insurance_is_booked_once_the_insurance_is_accepted() {
    use cartable_domain::planning::Outcome;
    use cartable_tests::raw::{RawPeer, decision, write_request};
    on_each_backend(|server| {
        let start = jiff::civil::date(2026, 11, 25)
            .at(9, 0, 0, 0)
            .in_tz("Europe/Paris")
            .expect("Paris")
            .timestamp();
        server.clock.set(start);
        let seed = server.seed(1);
        let family = &seed.families[0];
        let staff_tok = staff_token(server, &seed);
        let centre = serde_json::json!({
            "name": "Accueil de loisirs du mercredi",
            "kind": "wednesday_centre",
            "weekdays": [3],
            "required_documents": ["insurance"],
        });
        let (status, body) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/activities/mercredi",
            Some(&staff_tok),
            Some(&centre),
        );
        assert_eq!(status, 200, "{body}");
        let child = &family.children[0].0;
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        let first = write_request(
            &mut peer,
            child,
            jiff::civil::date(2026, 12, 2),
            "mercredi",
            true,
        );
        peer.sync();
        let refused = decision(&mut peer, &first).expect("decided");
        assert_eq!(refused.outcome, Outcome::Refused);

        let token = family_token(server, family, 0);
        let doc = uploaded(
            upload(
                server,
                &token,
                "assurance-1",
                "kind=insurance&valid_until=2027-08-31",
                &[],
                PDF,
            ),
            201,
        );
        let (status, body) = staff::send(
            &server.url,
            "POST",
            &format!("/api/v1/staff/documents/{}/accept", doc.id),
            Some(&staff_tok),
            None,
        );
        assert_eq!(status, 200, "{body}");
        let second = write_request(
            &mut peer,
            child,
            jiff::civil::date(2026, 12, 9),
            "mercredi",
            true,
        );
        peer.sync();
        assert_eq!(
            decision(&mut peer, &second).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
    });
}

#[test]
fn a_family_over_its_quota_is_refused_and_names_follow_the_checked_type() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        // Room for two small PDFs, not three.
        let quota = 2 * PDF.len() as u64 + 10;
        let server = TestServer::start_with(backend, |s| s.family_documents_quota_bytes = quota);
        let seed = server.seed(2);
        let (a, b) = (&seed.families[0], &seed.families[1]);
        let token_a = family_token(&server, a, 0);
        let first = uploaded(
            upload(
                &server,
                &token_a,
                "q1",
                "kind=insurance",
                &[("X-File-Name", "attestation.html")],
                PDF,
            ),
            201,
        );
        assert_eq!(first.file_name, "attestation.pdf");
        let second = uploaded(
            upload(
                &server,
                &token_a,
                "q2",
                "kind=other",
                &[("X-File-Name", "Certificat%20Dr.%20Martin")],
                PDF,
            ),
            201,
        );
        assert_eq!(second.file_name, "Certificat Dr. Martin.pdf");

        let (status, body) = upload(&server, &token_a, "q3", "kind=other", &[], PDF);
        assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
        let err: ApiErrorBody = serde_json::from_slice(&body).expect("typed error");
        assert_eq!(err.code, ErrorCode::QuotaExceeded);
        assert!(err.message.contains("plein"), "{}", err.message);
        assert_eq!(stored_rows(&server, &a.family_id), 2, "nothing stored");
        assert_eq!(stored_files(&server).len(), 2, "no object file");
        // A retry of an accepted upload still answers it.
        uploaded(
            upload(&server, &token_a, "q1", "kind=insurance", &[], PDF),
            200,
        );
        // Another family has its own quota.
        let token_b = family_token(&server, b, 0);
        uploaded(
            upload(&server, &token_b, "b1", "kind=insurance", &[], PDF),
            201,
        );

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let data = &server.state.settings.data_dir;
            for dir in [data.clone(), data.join("files")] {
                let mode = std::fs::metadata(&dir)
                    .expect("folder")
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
            }
        }
    }
}
