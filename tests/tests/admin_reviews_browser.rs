//! Reviews in a real headless Chromium: an agent opens the dossiers waiting from the
//! dashboard, reads a dossier's changes with their authors, is told a rejection needs its
//! reason, rejects, then approves the family's next submission. Full-page screenshots
//! (`40-…` onwards) go to `<target>/screenshots/admin/`. Without Chromium the test says
//! SKIPPED (a failure under `CARTABLE_REQUIRE_ALL=1`).

use cartable_core::ReviewStatus;
use cartable_server::demo;
use cartable_tests::chromium::{self, full_page_screenshot};
use cartable_tests::{Backend, Device, TestServer};
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

/// Waits (pages load after a click) until the element's text contains `want`.
async fn wait_text(client: &Client, css: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = client.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if t.contains(want) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css}: waited for {want:?}, last saw {last:?}");
}

async fn fill(client: &Client, css: &str, value: &str) {
    let field = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// A demo parent's phone, signed in and synced.
fn phone(server: &TestServer, login: &str, device: &Device) -> cartable_core::Client {
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
    let Some((browser, driver)) = chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite);
    server
        .block_on(demo::ensure_demo(&server.state))
        .expect("demo data");
    let (camille_phone, julien_phone) = (Device::new(), Device::new());
    let camille = phone(&server, "camille.martin", &camille_phone);
    let julien = phone(&server, "julien.martin", &julien_phone);
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

    let driver = chromium::start_driver(&driver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let c = chromium::connect(&driver, &browser).await;
        c.goto(&format!("{}/admin/connexion", server.url))
            .await
            .expect("goto");
        fill(&c, "#login", "agent").await;
        fill(&c, "#password", demo::AGENT_PASSWORD).await;
        click(&c, "button.primary").await;
        wait_text(&c, "h1", "Tableau de bord").await;
        click(&c, "#titre-dossiers a").await;
        wait_text(&c, "h1", "Dossiers à valider").await;
        let list = text_of(&c, "table tbody").await;
        assert!(
            list.contains("Famille Martin") && list.contains("Camille Martin"),
            "{list}"
        );
        full_page_screenshot(&c, "40-dossiers-a-valider").await;

        click(&c, "table tbody a").await;
        wait_text(&c, "h1", "Dossier – Famille Martin").await;
        let changes = text_of(&c, "table.changes").await;
        for expected in [
            "Allergies",
            "arachide, kiwi",
            "PAI",
            "Dr Morel, Nantes",
            "Julien Martin",
        ] {
            assert!(changes.contains(expected), "{expected}: {changes}");
        }
        full_page_screenshot(&c, "41-dossier").await;

        click(&c, ".answer-reject button").await;
        wait_text(&c, "#erreur-motif", "motif").await;
        full_page_screenshot(&c, "42-dossier-motif-manquant").await;
        fill(
            &c,
            "#motif",
            "Merci de joindre le PAI signé par le médecin.",
        )
        .await;
        click(&c, ".answer-reject button").await;
        wait_text(&c, ".notice", "est refusé").await;
        full_page_screenshot(&c, "43-dossier-refuse").await;

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
        click(&c, "table tbody a").await;
        wait_text(&c, "h1", "Dossier – Famille Martin").await;
        let history = text_of(&c, "section[aria-labelledby='titre-historique'] table").await;
        assert!(history.contains("Refusé le"), "{history}");
        full_page_screenshot(&c, "44-dossier-renvoye").await;
        click(&c, ".answer-approve button").await;
        wait_text(&c, ".notice", "est validé").await;
        c.close().await.expect("close");
    });
    camille.sync().expect("sync");
    let review = camille.dossier_review().expect("review").expect("answered");
    assert_eq!(review.status, ReviewStatus::Approved);
}
