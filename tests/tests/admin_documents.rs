//! Supporting documents review from the admin page, on SQLite and PostgreSQL: the documents
//! waiting, a document's page with its preview (the page alone widens its policy to frames
//! of this server), the file served inline, never sniffed and framable by these pages only,
//! a rejection needing its reason, then the answers reaching the family and the push outbox.
//! A form without its token, a signed-out browser and another structure's staff change and
//! see nothing.

use cartable_server::admin_page::PAGE_CSP;
use cartable_server::admin_page::document_review::{DOCUMENT_CONTENT_CSP, DOCUMENT_PAGE_CSP};
use cartable_tests::admin_page::{Browser, assert_accessible, sign_in};
use cartable_tests::family::{PASSWORD, family_token};
use cartable_tests::{Seed, TestServer, on_each_backend};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// A PNG as the server checks it: signature, IHDR first, IEND last.
fn png() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&[0, 0, 0, 13]);
    out.extend_from_slice(b"IHDR");
    out.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    out.extend_from_slice(&[0x90, 0x77, 0x53, 0xDE]);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    out
}

/// A parent of the seed's first family sends a document; returns its id.
fn send(server: &TestServer, seed: &Seed, query: &str, content_type: &str, bytes: &[u8]) -> String {
    let family = &seed.families[0];
    let token = family_token(server, family, 0);
    let key: String = query
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(100)
        .collect();
    let sent = cartable_tests::http::call(
        &server.url,
        "POST",
        &format!("/api/v1/documents?{query}"),
        Some(&token),
        &[("Content-Type", content_type), ("Idempotency-Key", &key)],
        bytes,
    );
    assert_eq!(sent.status, 201, "{}", sent.text());
    sent.json()["id"].as_str().expect("document id").to_string()
}

fn status_of(server: &TestServer, id: &str) -> String {
    server.block_on(async {
        use sqlx::Row;
        sqlx::query("SELECT status FROM supporting_documents WHERE id = $1")
            .bind(id)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("document")
            .get::<String, _>("status")
    })
}

fn pushes(server: &TestServer, seed: &Seed) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM push_events WHERE family_id = $1",
        &seed.families[0].family_id,
    )
}

#[test]
fn staff_preview_a_document_inline_and_answer_it() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let other = server.seed(1);
        let family = &seed.families[0];
        let hugo = &family.children[0];
        let insurance = send(
            server,
            &seed,
            "kind=insurance&file_name=assurance%202026.pdf",
            "application/pdf",
            PDF,
        );
        let note = send(
            server,
            &seed,
            &format!(
                "kind=medical_note&child_id={}&file_name=certificat.png",
                hugo.0
            ),
            "image/png",
            &png(),
        );
        let elsewhere = send(server, &other, "kind=insurance", "application/pdf", PDF);

        let mut staff = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let list = staff.get("/admin/justificatifs");
        assert_eq!(list.status, 200);
        assert_accessible("documents waiting", &list);
        assert_eq!(list.header("content-security-policy"), PAGE_CSP);
        let html = list.text();
        for expected in [
            format!("href=\"/admin/justificatifs/{insurance}\""),
            format!("href=\"/admin/justificatifs/{note}\""),
            "Attestation d&#39;assurance".to_string(),
            "Hugo Famille0".to_string(),
            "assurance 2026.pdf".to_string(),
        ] {
            assert!(html.contains(&expected), "{expected}: {html}");
        }
        assert!(!html.contains(&elsewhere), "nothing of another structure");

        // The PDF's page: an object of this server, allowed by this page's policy only.
        let page_path = format!("/admin/justificatifs/{insurance}");
        let content_path = format!("{page_path}/contenu");
        let page = staff.get(&page_path);
        assert_eq!(page.status, 200);
        assert_accessible("document", &page);
        assert_eq!(page.header("content-security-policy"), DOCUMENT_PAGE_CSP);
        assert!(DOCUMENT_PAGE_CSP.contains("frame-src 'self'"));
        assert!(DOCUMENT_PAGE_CSP.contains("frame-ancestors 'none'"));
        assert_eq!(page.header("x-frame-options"), "DENY");
        assert!(
            page.text().contains(&format!(
                "<iframe src=\"{content_path}#view=FitH&amp;navpanes=0\""
            )),
            "{}",
            page.text()
        );
        let file = staff.get(&content_path);
        assert_eq!(file.status, 200);
        assert_eq!(file.body, PDF);
        assert_eq!(file.header("content-type"), "application/pdf");
        assert!(
            file.header("content-disposition")
                .starts_with("inline; filename=\"assurance 2026.pdf\""),
            "{}",
            file.header("content-disposition")
        );
        assert_eq!(file.header("x-content-type-options"), "nosniff");
        assert_eq!(file.header("content-security-policy"), DOCUMENT_CONTENT_CSP);
        assert!(DOCUMENT_CONTENT_CSP.contains("frame-ancestors 'self'"));
        assert_eq!(file.header("x-frame-options"), "SAMEORIGIN");
        assert!(file.header("cache-control").contains("no-store"));

        // The image, a health document: shown as an image, its reading logged.
        let reads = || {
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE family_id = $1 AND action = 'download_document'",
                &family.family_id,
            )
        };
        let before = reads();
        let page = staff.get(&format!("/admin/justificatifs/{note}"));
        assert!(
            page.text().contains(&format!(
                "<img src=\"/admin/justificatifs/{note}/contenu\" alt="
            )),
            "{}",
            page.text()
        );
        let image = staff.get(&format!("/admin/justificatifs/{note}/contenu"));
        assert_eq!(image.header("content-type"), "image/png");
        assert_eq!(image.body, png());
        assert_eq!(reads(), before + 1);

        // Nothing for a signed-out browser or another structure; no change without the token.
        let mut anonymous = Browser::new(&server.url);
        assert_eq!(anonymous.get(&content_path).status, 303);
        let mut outsider = sign_in(server, &other.staff.login, PASSWORD).browser;
        assert_eq!(outsider.get(&page_path).status, 404);
        let refused = outsider.get(&content_path);
        assert_eq!(refused.status, 404);
        assert_ne!(refused.body, PDF);
        assert_eq!(
            outsider
                .post_form(
                    "/admin/justificatifs",
                    &format!("{page_path}/accepter"),
                    &[]
                )
                .status,
            404
        );
        assert_eq!(
            staff.post_raw(&format!("{page_path}/accepter"), &[]).status,
            403
        );
        let pushed = pushes(server, &seed);
        assert_eq!(status_of(server, &insurance), "waiting");

        // A rejection needs its reason.
        let empty = staff.post_form(
            &page_path,
            &format!("{page_path}/refuser"),
            &[("motif", "")],
        );
        assert_eq!(empty.status, 422);
        assert_accessible("rejection without a reason", &empty);
        assert_eq!(empty.header("content-security-policy"), DOCUMENT_PAGE_CSP);
        assert!(empty.text().contains("aria-invalid=\"true\""));
        assert_eq!(status_of(server, &insurance), "waiting");
        assert_eq!(pushes(server, &seed), pushed);

        let rejected = staff.post_form(
            &page_path,
            &format!("{page_path}/refuser"),
            &[(
                "motif",
                "Attestation de l'an dernier : envoyez celle de 2026.",
            )],
        );
        assert_eq!(rejected.status, 303, "{}", rejected.text());
        let back = staff.get(rejected.header("location")).text();
        assert!(
            back.contains("refusé. La famille en est prévenue"),
            "{back}"
        );
        assert_eq!(status_of(server, &insurance), "rejected");
        assert_eq!(pushes(server, &seed), pushed + 1);
        let token = family_token(server, family, 1);
        let mine = cartable_tests::family::get(server, Some(&token), "/api/v1/documents").json();
        let seen = mine
            .as_array()
            .and_then(|a| a.iter().find(|d| d["id"] == insurance.as_str()))
            .expect("the family's document");
        assert_eq!(seen["status"], "rejected");
        assert_eq!(
            seen["reason"],
            "Attestation de l'an dernier : envoyez celle de 2026."
        );

        let accepted = staff.post_form(
            &format!("/admin/justificatifs/{note}"),
            &format!("/admin/justificatifs/{note}/accepter"),
            &[],
        );
        assert_eq!(accepted.status, 303);
        assert_eq!(status_of(server, &note), "accepted");
        assert_eq!(pushes(server, &seed), pushed + 2);
        let list = staff.get("/admin/justificatifs").text();
        assert!(list.contains("Aucun justificatif en attente"), "{list}");
        let answered = staff.get(&page_path).text();
        assert!(answered.contains("Refusé le"), "{answered}");
        assert!(!answered.contains("Accepter le justificatif"));
    });
}

#[test]
fn agents_answer_documents_from_the_dashboard_and_the_family_page() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let id = send(server, &seed, "kind=insurance", "application/pdf", PDF);
        let login = format!("agent.{}", &seed.structure_id[..8]);
        server
            .block_on(cartable_server::admin::create_staff(
                &server.state,
                &cartable_domain::ids::StructureId::new(seed.structure_id.clone()),
                &cartable_server::admin::NewLogin {
                    first_name: "Paul".into(),
                    last_name: "Agent".into(),
                    login: login.clone(),
                    password: Some("mot-de-passe-agent".into()),
                },
                false,
            ))
            .expect("agent");
        let mut agent = sign_in(server, &login, "mot-de-passe-agent").browser;
        let path = format!("/admin/justificatifs/{id}");
        let dash = agent.get("/admin/").text();
        assert!(dash.contains("href=\"/admin/justificatifs\""), "{dash}");
        assert!(dash.contains(&format!("href=\"{path}\"")), "{dash}");
        let family = agent
            .get(&format!("/admin/familles/{}", seed.families[0].family_id))
            .text();
        assert!(family.contains(&format!("href=\"{path}\"")), "{family}");
        let done = agent.post_form(&path, &format!("{path}/accepter"), &[]);
        assert_eq!(done.status, 303);
        assert_eq!(status_of(server, &id), "accepted");
    });
}
