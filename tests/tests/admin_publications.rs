//! The admin page's information and downloads, over HTTP on SQLite and PostgreSQL: a
//! message published to every family (dates checked next to their fields) and withdrawn; a
//! file uploaded in a multipart form, checked by content as the API checks it, and
//! withdrawn; forms without their token change nothing; agents refused; another
//! structure's message or file is not found.

use cartable_domain::catalogue::Catalogue;
use cartable_domain::ids::StructureId;
use cartable_tests::admin_page::{assert_accessible, csrf_of, sign_in};
use cartable_tests::{TestServer, on_each_backend};

const PAGE: &str = "/admin/informations";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

fn catalogue_of(server: &TestServer, structure_id: &str) -> Catalogue {
    server
        .block_on(cartable_server::docs::catalogue::read(
            &server.state,
            &StructureId::new(structure_id.to_string()),
        ))
        .expect("catalogue")
}

/// The id in the first `action="{prefix}{id}/retirer"` of a page.
fn id_after(html: &str, prefix: &str) -> String {
    let at = html.find(prefix).expect("a form to withdraw") + prefix.len();
    html[at..].split('/').next().expect("id").to_string()
}

#[test]
fn messages_and_files_are_published_and_withdrawn() {
    on_each_backend(|server| {
        let a = server.seed(1);
        let b = server.seed(1);
        let mut admin = sign_in(server, &a.staff.login, &a.staff.password).browser;
        let page = admin.get(PAGE);
        assert_eq!(page.status, 200, "{}", page.text());
        assert_accessible("publications", &page);

        // A message: wrong dates are said next to their field, nothing published.
        let wrong = admin.post_form(
            PAGE,
            PAGE,
            &[
                ("titre", "Fermeture exceptionnelle"),
                ("texte", "La cantine sera fermée."),
                ("du", "2030-05-10"),
                ("au", "2030-05-01"),
            ],
        );
        assert_eq!(wrong.status, 400);
        assert_accessible("message refused", &wrong);
        assert!(
            wrong
                .text()
                .contains("aria-describedby=\"aide-au erreur-au\"")
        );
        assert!(catalogue_of(server, &a.structure_id).information.is_empty());
        let forged = admin.post_raw(PAGE, &[("titre", "X"), ("texte", "Y")]);
        assert_eq!(forged.status, 403);
        let done = admin.post_form(
            PAGE,
            PAGE,
            &[
                ("titre", "Menus de la semaine"),
                ("texte", "Les menus sont en ligne."),
                ("du", ""),
                ("au", ""),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.text());
        let html = admin.get(done.header("location")).text();
        assert!(html.contains("Message publié"));
        assert!(html.contains("affiché"), "{html}");
        assert!(
            catalogue_of(server, &a.structure_id)
                .information
                .values()
                .any(|m| m.title == "Menus de la semaine")
        );
        let message_id = id_after(&html, "action=\"/admin/informations/");

        // A file: checked by content, without its token refused.
        let token = csrf_of(&admin.get(PAGE).text()).expect("token");
        let fake = admin.post_multipart(
            "/admin/telechargements",
            &[("csrf", &token), ("titre", "Menu"), ("description", "")],
            &[("fichier", "menu.pdf", b"pas un pdf")],
        );
        assert_eq!(fake.status, 400, "{}", fake.text());
        assert_accessible("file refused", &fake);
        assert!(fake.text().contains("erreur-fichier"));
        let forged = admin.post_multipart(
            "/admin/telechargements",
            &[("titre", "Menu")],
            &[("fichier", "menu.pdf", PDF)],
        );
        assert_eq!(forged.status, 403);
        assert!(catalogue_of(server, &a.structure_id).downloads.is_empty());
        let uploaded = admin.post_multipart(
            "/admin/telechargements",
            &[
                ("csrf", &token),
                ("titre", "Menus de mars"),
                ("description", "Restauration scolaire"),
            ],
            &[("fichier", "menus-mars.pdf", PDF)],
        );
        assert_eq!(uploaded.status, 303, "{}", uploaded.text());
        let html = admin.get(uploaded.header("location")).text();
        assert!(html.contains("Fichier publié") && html.contains("menus-mars.pdf"));
        let downloads = catalogue_of(server, &a.structure_id).downloads;
        assert_eq!(downloads.len(), 1);
        assert!(
            downloads
                .values()
                .all(|d| d.content_type == "application/pdf")
        );
        let file_id = id_after(&html, "action=\"/admin/telechargements/");

        // Another structure's administrator: not found, nothing withdrawn.
        let mut admin_b = sign_in(server, &b.staff.login, &b.staff.password).browser;
        assert!(!admin_b.get(PAGE).text().contains("Menus de la semaine"));
        let cross = admin_b.post_form(
            PAGE,
            &format!("/admin/informations/{message_id}/retirer"),
            &[],
        );
        assert_eq!(cross.status, 404);
        let cross = admin_b.post_form(
            PAGE,
            &format!("/admin/telechargements/{file_id}/retirer"),
            &[],
        );
        assert_eq!(cross.status, 404);
        assert_eq!(catalogue_of(server, &a.structure_id).downloads.len(), 1);

        // Withdrawn.
        let gone = admin.post_form(
            PAGE,
            &format!("/admin/informations/{message_id}/retirer"),
            &[],
        );
        assert_eq!(gone.status, 303);
        assert!(catalogue_of(server, &a.structure_id).information.is_empty());
        let gone = admin.post_form(
            PAGE,
            &format!("/admin/telechargements/{file_id}/retirer"),
            &[],
        );
        assert_eq!(gone.status, 303);
        assert!(catalogue_of(server, &a.structure_id).downloads.is_empty());
    });
}

#[test]
fn agents_may_not_publish() {
    on_each_backend(|server| {
        server
            .block_on(cartable_server::demo::ensure_demo(&server.state))
            .expect("demo");
        let mut agent = sign_in(server, "agent", cartable_server::demo::AGENT_PASSWORD).browser;
        assert_eq!(agent.get(PAGE).status, 403);
        let refused = agent.post_form(
            "/admin/",
            PAGE,
            &[("titre", "X"), ("texte", "Y"), ("du", ""), ("au", "")],
        );
        assert_eq!(refused.status, 403);
        let token = csrf_of(&agent.get("/admin/").text()).expect("token");
        let upload = agent.post_multipart(
            "/admin/telechargements",
            &[("csrf", &token), ("titre", "Menu")],
            &[("fichier", "menu.pdf", PDF)],
        );
        assert_eq!(upload.status, 403);
        assert!(
            !agent
                .get("/admin/")
                .text()
                .contains("href=\"/admin/informations\"")
        );
    });
}
