//! A hostile device sends requests no honest phone would: oversized values and maps, too many
//! changes or operations, corrupt changes, whole documents, changes whose dependencies never
//! come. Each gets its typed error instead of a silent retry loop, nothing of it is kept, and
//! the family's real phones keep syncing.

use automerge::sync::Message;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ROOT, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::api::ErrorCode;
use cartable_domain::planning::{BookingRequest, RequestState};
use cartable_domain::protocol::{self, SyncResponse};
use cartable_tests::family::{PASSWORD, signed_in};
use cartable_tests::hostile::{assert_refused, holds, version};
use cartable_tests::raw::{RawPeer, next};
use cartable_tests::{Device, TestServer, backends};
use jiff::civil::Weekday;

/// Each scenario runs on a server with small limits, once per backend.
fn on_each_small_server(scenario: impl Fn(&TestServer)) {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| {
            s.max_string_bytes = 256;
            s.max_map_keys = 40;
            s.max_changes_per_sync = 20;
            s.max_ops_per_sync = 300;
            s.max_orphan_changes = 5;
        });
        scenario(&server);
    }
}

fn obj(doc: &AutoCommit, parent: &ObjId, key: &str) -> ObjId {
    match doc.get(parent, key).expect("read") {
        Some((automerge::Value::Object(_), id)) => id,
        other => panic!("{key} is not an object: {other:?}"),
    }
}

/// Writes `days` booking requests for `child` into `doc`, as `by`, starting next Monday.
fn requests(doc: &mut AutoCommit, by: &str, child: &str, days: usize, commit_each: bool) {
    let requests = obj(doc, &ROOT, "requests");
    let mut day = next(Weekday::Monday);
    for i in 0..days {
        let key = format!("{child}|{day}|cantine");
        let request = BookingRequest {
            wanted: true,
            rev: format!("{}{i}", cartable_server::auth::new_id()),
            by: by.to_string(),
            at_ms: 0,
        };
        autosurgeon::reconcile_prop(doc, &requests, key.as_str(), &request).expect("request");
        if commit_each {
            doc.commit();
        }
        day = day.tomorrow().expect("next day");
    }
}

/// The honest phone books next `weekday` and sees it accepted.
fn honest_phone_books(
    server: &TestServer,
    phone: &cartable_core::Client,
    child: &str,
    weekday: Weekday,
) {
    let day = next(weekday);
    phone.book(child, day, "cantine").expect("book");
    phone.sync().expect("the honest phone keeps syncing");
    let state = phone
        .planning(None)
        .expect("planning")
        .into_iter()
        .find(|e| e.date == day && e.child_id == child)
        .map(|e| e.state);
    assert_eq!(state, Some(RequestState::Accepted), "{}", server.url);
}

#[test]
fn oversized_values_maps_and_requests_get_typed_errors() {
    on_each_small_server(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = family.children[0].0.clone();
        let device = Device::new();
        let phone = signed_in(server, family, 0, &device);
        let mut peer = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        peer.sync();
        let by = peer.session.account_id.clone();
        let dossier = peer.doc_id(DocKind::Dossier);
        let planning = peer.doc_id(DocKind::Planning);

        // A text longer than the limit.
        let saved = peer.doc(DocKind::Dossier).fork();
        {
            let doc = peer.doc(DocKind::Dossier);
            let sheet = obj(doc, &obj(doc, &ROOT, "children"), &child);
            doc.put(&sheet, "doctor", "x".repeat(257)).expect("long");
        }
        let before = version(server, &dossier);
        let answer = peer.send_unsynced(DocKind::Dossier);
        assert_refused(&answer, 413, ErrorCode::ChangeTooLarge, &dossier);
        assert_eq!(version(server, &dossier), before);
        *peer.doc(DocKind::Dossier) = saved;

        // More planning cells than a map may hold, in one change.
        let saved = peer.doc(DocKind::Planning).fork();
        requests(peer.doc(DocKind::Planning), &by, &child, 41, false);
        let hash = peer.unsynced_changes(DocKind::Planning)[0].hash();
        let answer = peer.send_unsynced(DocKind::Planning);
        assert_refused(&answer, 413, ErrorCode::ChangeTooLarge, &planning);
        assert!(!holds(server, &planning, &hash));
        *peer.doc(DocKind::Planning) = saved;

        // Too many changes, then too many operations, in one request.
        for (days, commit_each) in [(21, true), (301, false)] {
            let saved = peer.doc(DocKind::Planning).fork();
            requests(peer.doc(DocKind::Planning), &by, &child, days, commit_each);
            let answer = peer.send_unsynced(DocKind::Planning);
            assert_refused(&answer, 413, ErrorCode::ChangeTooLarge, &planning);
            *peer.doc(DocKind::Planning) = saved;
        }
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1",
                &family.family_id
            ),
            0
        );
        honest_phone_books(server, &phone, &child, Weekday::Monday);
    });
}

#[test]
fn corrupt_changes_and_whole_documents_get_typed_errors_instead_of_retry_loops() {
    on_each_small_server(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = family.children[0].0.clone();
        let device = Device::new();
        let phone = signed_in(server, family, 0, &device);
        let mut peer = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        peer.sync();
        let by = peer.session.account_id.clone();
        let planning = peer.doc_id(DocKind::Planning);
        requests(peer.doc(DocKind::Planning), &by, &child, 1, true);
        let raw = peer.unsynced_changes(DocKind::Planning)[0]
            .raw_bytes()
            .to_vec();
        let before = version(server, &planning);

        let mut flipped = raw.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x5a;
        let whole = peer.doc(DocKind::Planning).save();
        for chunk in [
            flipped,
            raw[..raw.len() / 2].to_vec(),
            whole,
            b"garbage".to_vec(),
        ] {
            let answer = peer.send_chunks(DocKind::Planning, vec![chunk]);
            assert_refused(&answer, 400, ErrorCode::CorruptChange, &planning);
        }
        assert_eq!(version(server, &planning), before, "nothing kept");
        honest_phone_books(server, &phone, &child, Weekday::Tuesday);

        // The very change, intact, is accepted.
        let answer = peer.send_chunks(DocKind::Planning, vec![raw]);
        assert_eq!(answer.0, 200, "{}", String::from_utf8_lossy(&answer.1));
    });
}

/// The `need` of the server's reply for the only document of a sync response.
fn reply_need(body: &[u8]) -> Vec<automerge::ChangeHash> {
    let response: SyncResponse = protocol::decode(body).expect("sync response");
    response
        .docs
        .iter()
        .filter_map(|d| d.message.as_ref())
        .map(|m| Message::decode(m).expect("message").need)
        .next()
        .unwrap_or_default()
}

#[test]
fn orphan_changes_wait_for_their_dependencies_then_are_dropped_with_an_error() {
    on_each_small_server(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = family.children[0].0.clone();
        let device = Device::new();
        let phone = signed_in(server, family, 0, &device);
        let mut peer = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        peer.sync();
        let by = peer.session.account_id.clone();
        let planning = peer.doc_id(DocKind::Planning);

        // The second of two changes arrives first: it waits, and the reply asks for the first.
        requests(peer.doc(DocKind::Planning), &by, &child, 2, true);
        let changes = peer.unsynced_changes(DocKind::Planning);
        let (first, second) = (changes[0].clone(), changes[1].clone());
        let answer = peer.send_chunks(DocKind::Planning, vec![second.raw_bytes().to_vec()]);
        assert_eq!(answer.0, 200, "{}", String::from_utf8_lossy(&answer.1));
        assert!(reply_need(&answer.1).contains(&first.hash()));
        assert!(!holds(server, &planning, &second.hash()), "not merged yet");
        assert_eq!(server.state.orphans.len(), 1);
        let answer = peer.send_chunks(DocKind::Planning, vec![first.raw_bytes().to_vec()]);
        assert_eq!(answer.0, 200, "{}", String::from_utf8_lossy(&answer.1));
        assert!(holds(server, &planning, &first.hash()));
        assert!(holds(server, &planning, &second.hash()));
        assert!(server.state.orphans.is_empty());
        peer.sync();

        // One whose dependency never comes is dropped with an error after a few requests.
        let saved = peer.doc(DocKind::Planning).fork();
        requests(peer.doc(DocKind::Planning), &by, &child, 2, true);
        let orphan = peer.unsynced_changes(DocKind::Planning)[1].clone();
        for _ in 0..3 {
            let answer = peer.send_chunks(DocKind::Planning, vec![orphan.raw_bytes().to_vec()]);
            assert_eq!(answer.0, 200, "{}", String::from_utf8_lossy(&answer.1));
        }
        let answer = peer.send_chunks(DocKind::Planning, vec![orphan.raw_bytes().to_vec()]);
        assert_refused(&answer, 409, ErrorCode::MissingDependencies, &planning);
        assert!(server.state.orphans.is_empty(), "dropped");
        assert!(!holds(server, &planning, &orphan.hash()));
        *peer.doc(DocKind::Planning) = saved;

        // Too many orphans at once are refused outright.
        let saved = peer.doc(DocKind::Planning).fork();
        requests(peer.doc(DocKind::Planning), &by, &child, 7, true);
        let chunks = peer.unsynced_changes(DocKind::Planning)[1..]
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let answer = peer.send_chunks(DocKind::Planning, chunks);
        assert_refused(&answer, 413, ErrorCode::ChangeTooLarge, &planning);
        assert!(server.state.orphans.is_empty());
        *peer.doc(DocKind::Planning) = saved;

        honest_phone_books(server, &phone, &child, Weekday::Friday);
    });
}
