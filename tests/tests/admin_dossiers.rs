//! Dossier review from the admin page, on SQLite and PostgreSQL: the list of dossiers
//! waiting, a dossier's changed fields with the parent and phone behind each, a rejection
//! needing its reason, then an approval; each answer reaches the phones and the push outbox.
//! A form without its token, a stale version and another structure's staff change nothing.

use cartable_core::ReviewStatus;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::family::{PASSWORD, signed_in};
use cartable_tests::{Device, Seed, TestServer, on_each_backend};

fn pending(server: &TestServer, seed: &Seed) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM dossier_versions WHERE family_id = $1 AND status = 'pending'",
        &seed.families[0].family_id,
    )
}

fn pushes(server: &TestServer, seed: &Seed) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM push_events WHERE family_id = $1",
        &seed.families[0].family_id,
    )
}

/// The `version` hidden field of the page's answer forms.
fn version_of(html: &str) -> String {
    html.split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no version on the page: {html}"))
        .to_string()
}

#[test]
fn staff_review_a_dossier_field_by_field_reject_it_then_approve_it() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let other = server.seed(1);
        let family = &seed.families[0];
        let lea = &family.children[0].0;
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let a = signed_in(server, family, 0, &phone_a);
        let b = signed_in(server, family, 1, &phone_b);
        a.set_child_field(lea, "diet", "sans_porc").expect("diet");
        b.set_child_field(lea, "doctor", "Dr Lambert, Lyon")
            .expect("doctor");
        a.sync().expect("a syncs");
        b.sync().expect("b syncs");
        a.sync().expect("a catches up");
        a.submit_dossier().expect("Je valide mes modifications");
        a.sync().expect("submission sent");
        assert_eq!(pending(server, &seed), 1);

        let mut staff = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let list = staff.get("/admin/dossiers");
        assert_eq!(list.status, 200);
        assert_accessible("dossiers waiting", &list);
        let path = format!("/admin/dossiers/{}", family.family_id);
        let html = list.text();
        assert!(html.contains(&format!("href=\"{path}\"")), "{html}");
        assert!(
            html.contains("Famille 0") && html.contains("Alex Famille0"),
            "{html}"
        );
        assert!(
            !html.contains(&other.families[0].family_id),
            "nothing of another structure"
        );

        let reads = |server: &TestServer| {
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE family_id = $1 \
                 AND action = 'read_dossier_health_diet'",
                &family.family_id,
            )
        };
        let before = reads(server);
        let page = staff.get(&path);
        assert_eq!(page.status, 200);
        assert_accessible("dossier", &page);
        assert_eq!(reads(server), before + 1, "reading the dossier is logged");
        let html = page.text();
        for expected in [
            "Hugo Famille0",
            "Régime alimentaire",
            "Sans régime particulier",
            "Sans porc",
            "Alex Famille0 (téléphone 0)",
            "Médecin",
            "Dr Lambert, Lyon",
            "Sam Famille0 (téléphone 1)",
            "santé",
            "en attente de validation",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        let version = version_of(&html);

        // A rejection needs its reason, said next to the field.
        let pushed = pushes(server, &seed);
        let empty = staff.post_form(
            &path,
            &format!("{path}/refuser"),
            &[("version", &version), ("motif", "  ")],
        );
        assert_eq!(empty.status, 422);
        assert_accessible("rejection without a reason", &empty);
        assert!(
            empty
                .text()
                .contains("aria-describedby=\"aide-motif erreur-motif\" aria-invalid=\"true\"")
        );
        // Without the token, or from another structure: nothing happens.
        let forged = staff.post_raw(
            &format!("{path}/refuser"),
            &[("version", &version), ("motif", "faux")],
        );
        assert_eq!(forged.status, 403);
        let mut outsider = sign_in(server, &other.staff.login, PASSWORD).browser;
        assert_eq!(outsider.get(&path).status, 404);
        let crossed = outsider.post_form(
            "/admin/dossiers",
            &format!("{path}/valider"),
            &[("version", &version)],
        );
        assert_eq!(crossed.status, 404);
        assert_eq!(pending(server, &seed), 1);
        assert_eq!(pushes(server, &seed), pushed);

        let rejected = staff.post_form(
            &path,
            &format!("{path}/refuser"),
            &[
                ("version", &version),
                ("motif", "Merci d'indiquer le téléphone du médecin."),
            ],
        );
        assert_eq!(rejected.status, 303, "{}", rejected.text());
        let back = staff.get(rejected.header("location"));
        assert!(back.text().contains("est refusé"), "{}", back.text());
        assert!(!back.text().contains(&format!("href=\"{path}\"")));
        assert_eq!(pending(server, &seed), 0);
        assert_eq!(pushes(server, &seed), pushed + 1, "the family is told");
        a.sync().expect("sync");
        let review = a.dossier_review().expect("review").expect("answered");
        assert_eq!(review.status, ReviewStatus::Rejected);
        assert_eq!(
            review.reason.as_deref(),
            Some("Merci d'indiquer le téléphone du médecin.")
        );

        // The family sends again; an answer to the old version is refused.
        b.sync().expect("b catches up");
        b.set_child_field(lea, "doctor", "Dr Lambert, 04 78 00 00 00")
            .expect("doctor");
        b.sync().expect("b syncs");
        b.submit_dossier().expect("again");
        b.sync().expect("sent again");
        let stale = staff.post_form(&path, &format!("{path}/valider"), &[("version", &version)]);
        assert_eq!(stale.status, 409, "{}", stale.text());
        assert!(stale.text().contains("renvoyé son dossier"));
        assert_eq!(pending(server, &seed), 1);

        let page = staff.get(&path);
        let html = page.text();
        assert!(html.contains("Dr Lambert, 04 78 00 00 00"), "{html}");
        assert!(
            html.contains("Refusé le")
                && (html.contains("Merci d&#39;indiquer") || html.contains("Merci d'indiquer")),
            "the history keeps the rejection: {html}"
        );
        let approved = staff.post_form(
            &path,
            &format!("{path}/valider"),
            &[("version", &version_of(&html))],
        );
        assert_eq!(approved.status, 303, "{}", approved.text());
        assert!(
            staff
                .get(approved.header("location"))
                .text()
                .contains("est validé")
        );
        assert_eq!(pushes(server, &seed), pushed + 2);
        a.sync().expect("sync");
        let review = a.dossier_review().expect("review").expect("answered");
        assert_eq!(review.status, ReviewStatus::Approved);
        let page = staff.get(&path).text();
        assert!(page.contains("Validé le"), "{page}");
        assert!(
            !page.contains("Valider le dossier"),
            "nothing left to answer"
        );
    });
}

#[test]
fn agents_review_dossiers_and_the_dashboard_links_to_them() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let a = signed_in(server, family, 0, &phone);
        a.set_child_field(&family.children[0].0, "allergies", "arachide")
            .expect("allergies");
        a.sync().expect("sync");
        a.submit_dossier().expect("submit");
        a.sync().expect("sent");

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
        let dash = agent.get("/admin/").text();
        let path = format!("/admin/dossiers/{}", family.family_id);
        assert!(dash.contains("href=\"/admin/dossiers\""), "{dash}");
        assert!(dash.contains(&format!("href=\"{path}\"")), "{dash}");
        let html = agent.get(&path).text();
        assert!(
            html.contains("Allergies") && html.contains("arachide"),
            "{html}"
        );
        let version = version_of(&html);
        let done = agent.post_form(&path, &format!("{path}/valider"), &[("version", &version)]);
        assert_eq!(done.status, 303);
        assert_eq!(pending(server, &seed), 0);
        a.sync().expect("sync");
        assert_eq!(
            a.dossier_review()
                .expect("review")
                .expect("answered")
                .status,
            ReviewStatus::Approved
        );
    });
}
