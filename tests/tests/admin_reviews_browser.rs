//! Reviews in a real headless Chromium on SQLite and PostgreSQL: an agent opens the dossiers
//! waiting from the dashboard, reads a dossier's changes with their authors, is told a
//! rejection needs its reason, rejects, then approves the family's next submission; then the
//! supporting documents waiting, a PDF and a photo previewed in the page, one rejected with its
//! reason and one accepted. Full-page screenshots (`40-…` onwards) go to
//! `<target>/screenshots/admin/`. Without Chromium the test says SKIPPED (a failure under
//! `CARTABLE_REQUIRE_ALL=1`).

use cartable_core::ReviewStatus;
use cartable_server::demo;
use cartable_tests::chromium::{self, SignIn, click, fill, wait_text};
use cartable_tests::{Device, TestServer};
use fantoccini::{Client, Locator};

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// A demo parent's phone, signed in and synced.
fn phone_of(server: &TestServer, login: &str, device: &Device) -> cartable_core::Client {
    let client = device.open();
    client
        .login(
            &server.url,
            login,
            demo::PARENT_PASSWORD,
            &format!("téléphone de {login}"),
        )
        .expect("login");
    client.sync().expect("sync");
    client
}

fn child_id(client: &cartable_core::Client, first_name: &str) -> String {
    client
        .dossier()
        .expect("dossier")
        .children
        .iter()
        .find(|(_, c)| c.first_name == first_name)
        .map(|(id, _)| id.clone())
        .expect("child")
}

#[test]
fn an_agent_reviews_a_dossier_from_the_dashboard() {
    chromium::on_each_backend(|session, server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo data");
        let (camille_phone, julien_phone) = (Device::new(), Device::new());
        let camille = phone_of(server, "camille.martin", &camille_phone);
        let julien = phone_of(server, "julien.martin", &julien_phone);
        let hugo = child_id(&camille, "Hugo");
        camille
            .set_child_field(&hugo, "allergies", "arachide, kiwi")
            .expect("allergies");
        camille.set_child_field(&hugo, "pai", "oui").expect("PAI");
        camille.sync().expect("sync");
        julien.sync().expect("sync");
        julien
            .set_child_field(&hugo, "doctor", "Dr Morel, Nantes")
            .expect("doctor");
        julien.sync().expect("sync");
        camille.sync().expect("sync");
        camille
            .submit_dossier()
            .expect("Je valide mes modifications");
        camille.sync().expect("sent");

        session.run(server, SignIn::Agent, async |c| {
            click(c, "#titre-dossiers a").await;
            wait_text(c, "h1", "Dossiers à valider").await;
            let list = text_of(c, "table tbody").await;
            assert!(
                list.contains("Famille Martin") && list.contains("Camille Martin"),
                "{list}"
            );
            c.full_page_screenshot("40-dossiers-a-valider").await;

            click(c, "table tbody a").await;
            wait_text(c, "h1", "Dossier – Famille Martin").await;
            let changes = text_of(c, "table.changes").await;
            for expected in [
                "Allergies",
                "arachide, kiwi",
                "PAI",
                "Dr Morel, Nantes",
                "Julien Martin",
            ] {
                assert!(changes.contains(expected), "{expected}: {changes}");
            }
            c.full_page_screenshot("41-dossier").await;

            click(c, ".answer-reject button").await;
            wait_text(c, "#erreur-motif", "motif").await;
            c.full_page_screenshot("42-dossier-motif-manquant").await;
            fill(c, "#motif", "Merci de joindre le PAI signé par le médecin.").await;
            click(c, ".answer-reject button").await;
            wait_text(c, ".notice", "est refusé").await;
            c.full_page_screenshot("43-dossier-refuse").await;

            camille.sync().expect("sync");
            let review = camille.dossier_review().expect("review").expect("answered");
            assert_eq!(review.status, ReviewStatus::Rejected);
            camille
                .set_child_field(
                    &hugo,
                    "medical_treatments",
                    "Stylo d'adrénaline dans le sac",
                )
                .expect("treatment");
            camille.sync().expect("sync");
            camille.submit_dossier().expect("again");
            camille.sync().expect("sent again");

            c.refresh().await.expect("refresh");
            click(c, "table tbody a").await;
            wait_text(c, "h1", "Dossier – Famille Martin").await;
            let history = text_of(c, "section[aria-labelledby='titre-historique'] table").await;
            assert!(history.contains("Refusé le"), "{history}");
            c.full_page_screenshot("44-dossier-renvoye").await;
            click(c, ".answer-approve button").await;
            wait_text(c, ".notice", "est validé").await;
        });
        camille.sync().expect("sync");
        let review = camille.dossier_review().expect("review").expect("answered");
        assert_eq!(review.status, ReviewStatus::Approved);
    });
}

/// A demo parent sends a document through the API; returns its id.
fn send_document(
    server: &TestServer,
    token: &str,
    query: &str,
    content_type: &str,
    bytes: &[u8],
) -> String {
    let key: String = query
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(100)
        .collect();
    let sent = cartable_tests::http::call(
        &server.url,
        "POST",
        &format!("/api/v1/documents?{query}"),
        Some(token),
        &[("Content-Type", content_type), ("Idempotency-Key", &key)],
        bytes,
    );
    assert_eq!(sent.status, 201, "{}", sent.text());
    sent.json()["id"].as_str().expect("id").to_string()
}

#[test]
fn an_agent_previews_documents_and_answers_them() {
    chromium::on_each_backend(|browser, server| {
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo data");
        let session =
            cartable_tests::raw::login(&server.url, "samira.benali", demo::PARENT_PASSWORD);
        let year = cartable_domain::calendar::paris_date(cartable_server::clock::Clock::now(
            &*server.clock,
        ))
        .year();
        let statement = cartable_tests::http::call(
            &server.url,
            "GET",
            &format!("/api/v1/annual-statement/{year}/pdf"),
            Some(&session.token),
            &[],
            &[],
        );
        assert_eq!(statement.status, 200, "{}", statement.text());
        let pdf = send_document(
            server,
            &session.token,
            "kind=other&file_name=attestation-annuelle.pdf",
            "application/pdf",
            &statement.body,
        );
        let phone = Device::new();
        let samira = phone_of(server, "samira.benali", &phone);
        let ines = child_id(&samira, "Inès");

        browser.run(server, SignIn::Nobody, async |c| {
        // A photo of a doctor's note, as a parent's phone would take it.
        c.goto(
            "data:text/html;charset=utf-8,<body style='font:22px serif;padding:60px;background:%23fffdf5'>\
             <h1>Certificat médical</h1><p>Je soussigné, Dr Morel, certifie que l'enfant \
             Inès Benali ne peut pas consommer d'arachide.</p><p>Fait à Nantes, le 30 novembre \
             2026.</p></body>",
        )
        .await
        .expect("goto");
        let photo = c.screenshot().await.expect("photo");
        let image = send_document(
            server,
            &session.token,
            &format!("kind=medical_note&child_id={ines}&file_name=certificat.png"),
            "image/png",
            &photo,
        );

        chromium::sign_in_agent(c, server).await;
        click(c, "#titre-documents a").await;
        wait_text(c, "h1", "Justificatifs à vérifier").await;
        let list = text_of(c, "table tbody").await;
        assert!(list.contains("Famille Benali") && list.contains("Inès Benali"), "{list}");
        c.full_page_screenshot("45-justificatifs-a-verifier").await;

        c.goto(&format!("{}/admin/justificatifs/{pdf}", server.url))
            .await
            .expect("goto");
        wait_text(c, "h1", "Autre").await;
        c.find(Locator::Css("iframe.pdf"))
            .await
            .expect("the PDF preview");
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        c.full_page_screenshot("46-justificatif-pdf").await;

        c.goto(&format!("{}/admin/justificatifs/{image}", server.url))
            .await
            .expect("goto");
        wait_text(c, "h1", "Certificat").await;
        let loaded = c
            .execute(
                "const i = document.querySelector('.preview img'); return i.complete && i.naturalWidth;",
                vec![],
            )
            .await
            .expect("image");
        assert_eq!(loaded.as_u64(), Some(1280), "the photo is shown in the page");
        c.full_page_screenshot("47-justificatif-image").await;
        click(c, ".answer-reject button").await;
        wait_text(c, "#erreur-motif", "motif").await;
        fill(c, "#motif", "Le certificat doit être signé par le médecin.").await;
        click(c, ".answer-reject button").await;
        wait_text(c, ".notice", "refusé").await;
        c.full_page_screenshot("48-justificatif-refuse").await;

        click(c, "table tbody a").await;
        wait_text(c, "h1", "Autre").await;
        click(c, ".answer-approve button").await;
        wait_text(c, ".notice", "accepté").await;
        let empty = text_of(c, "main").await;
        assert!(empty.contains("Aucun justificatif en attente"), "{empty}");
    });
    });
}
