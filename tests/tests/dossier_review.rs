//! Dossier review end to end: parents edit offline and submit ("Je valide mes
//! modifications"), staff see each changed field with its author and approve or reject, the
//! answer reaches every phone of the family.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use cartable_core::{ReviewStatus, ReviewView};
use cartable_domain::DocKind;
use cartable_domain::api::ErrorCode;
use cartable_tests::family::{PASSWORD, signed_in, staff_token};
use cartable_tests::raw::RawPeer;
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use serde_json::{Value, json};

fn own_adult_id(client: &cartable_core::Client) -> String {
    let account = client.account().expect("logged in").account_id;
    client
        .dossier()
        .expect("dossier")
        .adults
        .iter()
        .find(|(_, a)| a.account_id.as_deref() == Some(account.as_str()))
        .map(|(id, _)| id.clone())
        .expect("the parent has an adult sheet")
}

fn review_of(client: &cartable_core::Client) -> ReviewView {
    client
        .dossier_review()
        .expect("review")
        .expect("the dossier was submitted")
}

fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    staff::send(&server.url, "GET", path, Some(token), None)
}

fn post(server: &TestServer, token: &str, path: &str, body: Value) -> (u16, Value) {
    staff::send(&server.url, "POST", path, Some(token), Some(&body))
}

fn change<'a>(view: &'a Value, path: &str) -> &'a Value {
    view["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["path"] == path))
        .unwrap_or_else(|| panic!("no change at {path}: {:#}", view["changes"]))
}

fn author_names(change: &Value) -> Vec<String> {
    change["authors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn two_parents_edit_one_child_offline_and_staff_see_both_authors_then_approve() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let lea = &family.children[0].0;
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let a = signed_in(server, family, 0, &phone_a);
        let b = signed_in(server, family, 1, &phone_b);
        assert_eq!(a.dossier_review().expect("review"), None);

        // Both offline, each on one field of Léa's sheet.
        a.set_child_field(lea, "diet", "sans_porc").expect("diet");
        b.set_child_field(lea, "doctor", "Dr Lambert, Lyon")
            .expect("doctor");
        a.sync().expect("a syncs");
        b.sync().expect("b syncs");
        a.sync().expect("a catches up");

        a.submit_dossier().expect("Je valide mes modifications");
        assert_eq!(review_of(&a).status, ReviewStatus::Sent);
        a.sync().expect("submission reaches the server");
        let pending = review_of(&a);
        assert_eq!(pending.status, ReviewStatus::Pending, "{pending:?}");
        assert!(!pending.approval_in_force);
        assert!(pending.requested_documents.is_empty());

        let token = staff_token(server, &seed);
        let (status, list) = get(server, &token, "/api/v1/staff/dossiers?status=pending");
        assert_eq!(status, 200, "{list}");
        let listed = list.as_array().expect("list");
        assert_eq!(listed.len(), 1, "{list:#}");
        assert_eq!(listed[0]["family_id"], family.family_id.as_str());
        assert_eq!(listed[0]["version"]["submitted_by_name"], "Alex Famille0");

        let audited = |server: &TestServer| {
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE family_id = $1 \
                 AND action = 'read_dossier_health_diet'",
                &family.family_id,
            )
        };
        let (status, view) = get(
            server,
            &token,
            &format!("/api/v1/staff/dossiers/{}", family.family_id),
        );
        assert_eq!(status, 200, "{view}");
        assert_eq!(audited(server), 1, "reading health and diet data is logged");
        let diet = change(&view, &format!("children/{lea}/diet"));
        assert_eq!(diet["old"], "standard");
        assert_eq!(diet["new"], "sans_porc");
        assert_eq!(diet["sensitive"], true);
        assert_eq!(author_names(diet), vec!["Alex Famille0"]);
        assert!(diet["authors"][0]["at_ms"].as_i64().is_some_and(|t| t > 0));
        assert_eq!(diet["authors"][0]["device_name"], "téléphone 0");
        let doctor = change(&view, &format!("children/{lea}/doctor"));
        assert_eq!(doctor["old"], "");
        assert_eq!(doctor["new"], "Dr Lambert, Lyon");
        assert_eq!(author_names(doctor), vec!["Sam Famille0"]);
        assert_eq!(
            view["changes"].as_array().map(Vec::len),
            Some(2),
            "only the two fields changed: {:#}",
            view["changes"]
        );
        assert_eq!(view["compared_with_version"], Value::Null);
        assert_eq!(view["modified_since_submission"], false);
        assert_eq!(view["review"]["status"], "pending");
        let version_id = view["version"]["id"].as_i64().expect("version id");

        let (status, review) = post(
            server,
            &token,
            &format!("/api/v1/staff/dossiers/{}/approve", family.family_id),
            json!({"version_id": version_id}),
        );
        assert_eq!(status, 200, "{review}");
        assert_eq!(review["status"], "approved");

        for phone in [&a, &b] {
            phone.sync().expect("sync");
            let r = review_of(phone);
            assert_eq!(r.status, ReviewStatus::Approved, "{r:?}");
            assert!(r.approval_in_force);
            assert!(!r.changed_since_submission);
            let dossier = phone.dossier().expect("dossier");
            assert_eq!(
                dossier.children[lea].diet,
                cartable_domain::dossier::Diet::SansPorc
            );
            assert_eq!(dossier.children[lea].doctor, "Dr Lambert, Lyon");
        }
        let (_, list) = get(server, &token, "/api/v1/staff/dossiers");
        assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing pending");
        let (_, list) = get(server, &token, "/api/v1/staff/dossiers?status=approved");
        assert_eq!(list.as_array().map(Vec::len), Some(1));

        // A later change is compared with the approved version; the approval stays in force
        // while the new submission waits.
        b.set_child_field(lea, "allergies", "arachide")
            .expect("allergy");
        assert!(review_of(&b).changed_since_submission);
        b.submit_dossier().expect("submit again");
        b.sync().expect("sync");
        let r = review_of(&b);
        assert_eq!(r.status, ReviewStatus::Pending);
        assert!(
            r.approval_in_force,
            "the earlier approval still lets them book"
        );
        let (_, view) = get(
            server,
            &token,
            &format!("/api/v1/staff/dossiers/{}", family.family_id),
        );
        assert_eq!(view["compared_with_version"], version_id);
        assert_eq!(view["changes"].as_array().map(Vec::len), Some(1));
        let allergies = change(&view, &format!("children/{lea}/allergies"));
        assert_eq!(allergies["new"], json!(["arachide"]));
        assert_eq!(author_names(allergies), vec!["Sam Famille0"]);
        assert_eq!(view["version"]["submitted_by_name"], "Sam Famille0");
        assert_eq!(audited(server), 2);
    });
}

#[test]
fn a_rejection_with_its_reason_reaches_the_phone_and_a_stale_answer_is_refused() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let a = signed_in(server, family, 0, &phone);
        let me = own_adult_id(&a);
        a.set_adult_field(&me, "mobile_phone", "06 12 34 56 78")
            .expect("phone");
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");

        let token = staff_token(server, &seed);
        let base = format!("/api/v1/staff/dossiers/{}", family.family_id);
        let (status, body) = post(server, &token, &format!("{base}/reject"), json!({}));
        assert_eq!(status, 400, "a rejection needs a reason: {body}");
        assert_eq!(body["code"], "bad_request");
        let (status, body) = post(
            server,
            &token,
            &format!("{base}/reject"),
            json!({"reason": "  "}),
        );
        assert_eq!(status, 400, "{body}");
        let (status, review) = post(
            server,
            &token,
            &format!("{base}/reject"),
            json!({"reason": "Attestation d'assurance illisible"}),
        );
        assert_eq!(status, 200, "{review}");
        let (status, body) = post(server, &token, &format!("{base}/approve"), json!({}));
        assert_eq!(status, 409, "nothing pending any more: {body}");
        assert_eq!(body["code"], "conflict");

        a.sync().expect("sync");
        let r = review_of(&a);
        assert_eq!(r.status, ReviewStatus::Rejected);
        assert_eq!(
            r.reason.as_deref(),
            Some("Attestation d'assurance illisible")
        );
        assert!(r.label.contains("Attestation d'assurance illisible"));
        assert!(!r.approval_in_force);

        // Corrected and submitted twice before staff look: the first is superseded.
        a.set_adult_field(&me, "email", "alex@example.fr")
            .expect("email");
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");
        let (_, first) = get(server, &token, &base);
        let first_id = first["version"]["id"].as_i64().expect("id");
        a.submit_dossier().expect("submit again");
        a.sync().expect("sync");
        let (status, body) = post(
            server,
            &token,
            &format!("{base}/approve"),
            json!({"version_id": first_id}),
        );
        assert_eq!(status, 409, "a newer submission replaced it: {body}");
        let (_, view) = get(server, &token, &base);
        assert_ne!(view["version"]["id"].as_i64(), Some(first_id));
        // Nothing approved yet: still compared with the dossier as created.
        assert_eq!(view["compared_with_version"], Value::Null);
        assert!(view["changes"].as_array().is_some_and(|c| c.len() == 2));
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM dossier_versions WHERE family_id = $1 \
                 AND status = 'superseded'",
                &family.family_id
            ),
            1
        );
        let (status, _) = post(server, &token, &format!("{base}/approve"), Value::Null);
        assert_eq!(status, 200);
        a.sync().expect("sync");
        assert_eq!(review_of(&a).status, ReviewStatus::Approved);
        assert_eq!(review_of(&a).reason, None);
    });
}

#[test]
fn another_structures_staff_and_parents_get_nothing() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let a = signed_in(server, family, 0, &phone);
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");

        let other = server.seed(1);
        let stranger = staff_token(server, &other);
        let base = format!("/api/v1/staff/dossiers/{}", family.family_id);
        let (status, body) = get(server, &stranger, &base);
        assert_eq!(status, 404, "{body}");
        for (action, body) in [("approve", json!({})), ("reject", json!({"reason": "x"}))] {
            let (status, _) = post(server, &stranger, &format!("{base}/{action}"), body);
            assert_eq!(status, 404, "{action}");
        }
        let (_, list) = get(server, &stranger, "/api/v1/staff/dossiers");
        assert_eq!(list.as_array().map(Vec::len), Some(0));
        let (status, _) = get(server, &stranger, "/api/v1/staff/dossiers/inconnu");
        assert_eq!(status, 404);
        let (status, _) = get(server, &stranger, "/api/v1/staff/dossiers?status=n_importe");
        assert_eq!(status, 400);
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE family_id = $1",
                &family.family_id
            ),
            0,
            "refused reads are not reads"
        );

        // A parent's token is not a staff token.
        let parent = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        let (status, _) = get(server, &parent.session.token, &base);
        assert_eq!(status, 403);
        assert_eq!(review_of(&a).status, ReviewStatus::Pending);
    });
}

#[test]
fn a_new_quotient_familial_asks_for_a_qf_certificate() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let a = signed_in(server, family, 0, &phone);
        let me = own_adult_id(&a);
        a.set_adult_field(&me, "quotient_familial", "850")
            .expect("QF");
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");
        let r = review_of(&a);
        assert_eq!(r.status, ReviewStatus::Pending);
        assert_eq!(r.requested_documents, vec!["qf_certificate".to_string()]);

        let token = staff_token(server, &seed);
        let base = format!("/api/v1/staff/dossiers/{}", family.family_id);
        let (_, view) = get(server, &token, &base);
        assert_eq!(view["qf_certificate_needed"], true);
        assert_eq!(view["requested_documents"][0]["kind"], "qf_certificate");
        assert_eq!(
            view["requested_documents"][0]["label"],
            "attestation de quotient familial"
        );
        assert!(
            view["notices"][0]
                .as_str()
                .is_some_and(|n| n.contains("quotient familial")),
            "{view:#}"
        );
        let qf = change(&view, &format!("adults/{me}/quotient_familial"));
        assert_eq!(qf["old"], Value::Null);
        assert_eq!(qf["new"], 850);
        assert_eq!(author_names(qf), vec!["Alex Famille0"]);
        let (_, list) = get(server, &token, "/api/v1/staff/dossiers");
        assert_eq!(list[0]["requested_documents"][0]["kind"], "qf_certificate");

        let (status, _) = post(server, &token, &format!("{base}/approve"), json!({}));
        assert_eq!(status, 200);
        a.sync().expect("sync");
        let r = review_of(&a);
        assert_eq!(r.status, ReviewStatus::Approved);
        assert_eq!(r.requested_documents, vec!["qf_certificate".to_string()]);

        // Compared with the approved version, a change elsewhere asks for nothing.
        a.set_adult_field(&me, "address", "3 rue des Écoles, Lyon")
            .expect("address");
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");
        assert!(review_of(&a).requested_documents.is_empty());
        let (_, view) = get(server, &token, &base);
        assert_eq!(view["qf_certificate_needed"], false);
    });
}

#[test]
fn a_forged_review_or_submission_has_no_effect() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let honest = signed_in(server, family, 0, &phone);
        let mut forger = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        forger.sync();
        let refused = |forger: &mut RawPeer, what: &str| {
            let refusal = forger.try_sync().expect_err(what);
            assert_eq!(
                (refusal.status, refusal.error.code),
                (422, ErrorCode::InvalidChange),
                "{what}: {}",
                refusal.error.message
            );
        };
        // A review put in place of the server's: refused outright, nothing kept.
        let mut saved = forger.doc(DocKind::Dossier).fork();
        {
            let doc = forger.doc(DocKind::Dossier);
            let review = doc
                .put_object(ROOT, "review", ObjType::Map)
                .expect("forge review");
            doc.put(&review, "status", "approved").expect("status");
            doc.put(&review, "at_ms", 1_i64).expect("at");
            doc.put(&review, "approved_at_ms", 1_i64).expect("at");
        }
        refused(&mut forger, "a forged review");
        *forger.doc(DocKind::Dossier) = saved.fork();
        honest.sync().expect("sync");
        assert_eq!(honest.dossier_review().expect("review"), None);
        assert!(
            !cartable_domain::rules::dossier_approved(&honest.dossier().expect("dossier")),
            "a forged approval does not open bookings"
        );

        // A malformed submission is refused too, and records nothing.
        forger
            .doc(DocKind::Dossier)
            .put(ROOT, "submission", "n'importe quoi")
            .expect("forge submission");
        refused(&mut forger, "a malformed submission");
        *forger.doc(DocKind::Dossier) = saved;
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM dossier_versions WHERE family_id = $1",
                &family.family_id
            ),
            0
        );
        honest.sync().expect("still syncs");
        assert_eq!(honest.dossier_review().expect("review"), None);
        honest
            .submit_dossier()
            .expect("an honest submission still works");
        honest.sync().expect("sync");
        assert_eq!(review_of(&honest).status, ReviewStatus::Pending);

        // Once the server wrote its review, a forged status inside it is written back.
        forger.sync();
        {
            let doc = forger.doc(DocKind::Dossier);
            let review = match doc.get(ROOT, "review").expect("read") {
                Some((automerge::Value::Object(_), id)) => id,
                other => panic!("review is a map: {other:?}"),
            };
            doc.put(&review, "status", "approved")
                .expect("forge status");
        }
        let restored: Vec<String> = forger
            .sync()
            .iter()
            .flat_map(|r| r.compensations.iter())
            .flat_map(|c| c.paths.iter().cloned())
            .collect();
        assert!(
            restored.contains(&"review/status".to_string()),
            "{restored:?}"
        );
        honest.sync().expect("sync");
        assert_eq!(review_of(&honest).status, ReviewStatus::Pending);
    });
}
