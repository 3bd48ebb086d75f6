//! Leak canaries: a unique string planted in a child's allergies and treatments, carried
//! through the dossier's sync, its submission and review, staff reads, pushes and changes the
//! server refuses, never appears in the server's log (every level, request URIs included),
//! in a URL a push went to, in an error body, or in a push payload.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ROOT, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::push::PushKind;
use cartable_tests::billing::{child, post_ok};
use cartable_tests::family::{PASSWORD, get, signed_in, staff_token};
use cartable_tests::push_service::{PushService, server_key, subscribe};
use cartable_tests::raw::RawPeer;
use cartable_tests::{Device, on_each_backend};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CANARY: &str = "Zyxquorble4417";

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn obj(doc: &AutoCommit, parent: &ObjId, key: &str) -> ObjId {
    match doc.get(parent, key).expect("read") {
        Some((automerge::Value::Object(_), id)) => id,
        other => panic!("{key} is not an object: {other:?}"),
    }
}

#[test]
fn a_childs_allergy_never_reaches_logs_urls_error_bodies_or_pushes() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "cartable_server=trace,tower_http=trace,sqlx=debug",
        ))
        .with_writer(move || writer.clone())
        .init();
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let lea = child(family, "Léa");
        let service = PushService::start(&server_key(server));
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let a = signed_in(server, family, 0, &phone_a);
        let b = signed_in(server, family, 1, &phone_b);
        subscribe(&a, &service, "a", &PushKind::ALL);
        subscribe(&b, &service, "b", &PushKind::ALL);
        a.set_child_field(&lea, "allergies", &format!("arachide-{CANARY}"))
            .expect("allergy");
        a.set_child_field(&lea, "medical_treatments", &format!("Ventoline {CANARY}"))
            .expect("treatment");
        a.submit_dossier().expect("submit");
        a.sync().expect("sync");
        b.sync().expect("the other parent receives it");

        // Staff read it (its body carries it: that is the point of the read) and answer.
        let token = staff_token(server, &seed);
        let read = get(
            server,
            Some(&token),
            &format!("/api/v1/staff/dossiers/{}", family.family_id),
        );
        assert_eq!(read.status, 200);
        assert!(read.text().contains(CANARY));
        post_ok(
            server,
            &token,
            &format!("/api/v1/staff/dossiers/{}/reject", family.family_id),
            json!({"reason": "Attestation d'assurance manquante"}),
        );

        // Changes the server refuses, carrying the canary: an unknown diet, an allergy longer
        // than allowed. Their error bodies do not quote it.
        let mut errors = Vec::new();
        let mut peer = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        peer.sync();
        let long = format!("{CANARY} ").repeat(2_000);
        type Forge = Box<dyn Fn(&mut AutoCommit)>;
        let forgeries: Vec<Forge> = vec![
            Box::new({
                let lea = lea.clone();
                move |d: &mut AutoCommit| {
                    let sheet = obj(d, &obj(d, &ROOT, "children"), &lea);
                    d.put(&sheet, "diet", format!("régime {CANARY}"))
                        .expect("forge");
                }
            }),
            Box::new({
                let lea = lea.clone();
                move |d: &mut AutoCommit| {
                    let sheet = obj(d, &obj(d, &ROOT, "children"), &lea);
                    let allergies = obj(d, &sheet, "allergies");
                    d.insert(&allergies, 0, long.as_str()).expect("forge");
                }
            }),
        ];
        for forge in forgeries {
            let saved = peer.doc(DocKind::Dossier).fork();
            forge(peer.doc(DocKind::Dossier));
            let (status, body) = peer.send_unsynced(DocKind::Dossier);
            assert!((400..500).contains(&status), "refused: {status}");
            errors.push(String::from_utf8_lossy(&body).into_owned());
            *peer.doc(DocKind::Dossier) = saved;
        }
        a.sync().expect("the phone keeps syncing");

        // Pushes went out (the review's answer), none carrying it.
        assert!(service.wait_until(Duration::from_secs(20), |r| !r.is_empty()));
        for r in service.received() {
            assert!(!String::from_utf8_lossy(&r.body).contains(CANARY));
            let client = if r.device == "a" { &a } else { &b };
            let payload = client.open_push(&r.body).expect("decrypt");
            let json = serde_json::to_string(&payload).expect("json");
            assert!(!json.contains(CANARY), "push payload: {json}");
            assert!(!r.device.contains(CANARY));
        }
        for body in &errors {
            assert!(!body.contains(CANARY), "error body: {body}");
        }
    });
    let text =
        String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        text.contains("/api/v1/sync"),
        "the log holds the requests' URIs"
    );
    let leaks: Vec<&str> = text.lines().filter(|l| l.contains(CANARY)).collect();
    assert!(leaks.is_empty(), "logged: {leaks:#?}");
}
