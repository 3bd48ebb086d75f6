//! A hostile device of the family (a raw Automerge peer with a parent's login) sends what an
//! honest phone never would: changes under another device's or the server's actor, values of
//! the wrong type or shape, Automerge Text instead of strings, replaced root maps, requests in
//! the other parent's name, writes to the catalogue. Each gets its typed error, nothing of it
//! is kept (in storage or in the server's memory), and the family's real phones keep syncing.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ROOT, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::api::ErrorCode;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::RequestState;
use cartable_tests::family::{PASSWORD, signed_in};
use cartable_tests::hostile::{assert_refused, holds, stored, version};
use cartable_tests::raw::{RawPeer, next, write_request};
use cartable_tests::{Device, SeedFamily, TestServer, on_each_backend};
use jiff::civil::Weekday;

/// The object at `key` of `obj`.
fn obj(doc: &AutoCommit, parent: &ObjId, key: &str) -> ObjId {
    match doc.get(parent, key).expect("read") {
        Some((automerge::Value::Object(_), id)) => id,
        other => panic!("{key} is not an object: {other:?}"),
    }
}

/// A hostile peer signed in as the second parent, synced.
fn hostile(server: &TestServer, family: &SeedFamily) -> RawPeer {
    let mut peer = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
    peer.sync();
    peer
}

/// The actor of the first change in `doc` that is neither `mine` nor one of `others`.
fn actor_other_than(doc: &mut AutoCommit, exclude: &[ActorId]) -> ActorId {
    doc.get_changes(&[])
        .iter()
        .map(|c| c.actor_id().clone())
        .find(|a| !exclude.contains(a))
        .expect("another actor in the document")
}

/// The honest phone books `weekday` and sees it accepted after syncing.
fn books_and_is_accepted(phone: &cartable_core::Client, child: &str, weekday: Weekday) {
    let day = next(weekday);
    phone.book(child, day, "cantine").expect("book");
    phone.sync().expect("the honest phone keeps syncing");
    let state = phone
        .planning(None)
        .expect("planning")
        .into_iter()
        .find(|e| e.date == day && e.child_id == child)
        .map(|e| e.state);
    assert_eq!(state, Some(RequestState::Accepted));
}

#[test]
fn changes_under_another_devices_or_the_servers_actor_are_refused() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = &family.children[0].0;
        let device = Device::new();
        let phone = signed_in(server, family, 0, &device);
        books_and_is_accepted(&phone, child, Weekday::Monday);

        let mut peer = hostile(server, family);
        let planning = peer.doc_id(DocKind::Planning);
        let server_actor = server.state.docs.actor().clone();
        let peer_actor = peer.doc(DocKind::Planning).get_actor().clone();
        let phone_actor = actor_other_than(
            peer.doc(DocKind::Planning),
            &[server_actor.clone(), peer_actor.clone()],
        );
        for forged in [phone_actor, server_actor] {
            let saved = peer.doc(DocKind::Planning).fork();
            peer.doc(DocKind::Planning).set_actor(forged.clone());
            write_request(&mut peer, child, next(Weekday::Tuesday), "cantine", true);
            let hash = peer.unsynced_changes(DocKind::Planning)[0].hash();
            let before = version(server, &planning);
            let answer = peer.send_unsynced(DocKind::Planning);
            assert_refused(&answer, 403, ErrorCode::ForgedActor, &planning);
            assert!(!holds(server, &planning, &hash), "nothing kept");
            assert_eq!(version(server, &planning), before);
            *peer.doc(DocKind::Planning) = saved;
        }

        // The phone whose actor was borrowed writes its next change under that very actor and
        // sequence number: it syncs as if nothing happened.
        books_and_is_accepted(&phone, child, Weekday::Tuesday);
        // The hostile device under its own actor is an ordinary device.
        peer.sync();
        write_request(&mut peer, child, next(Weekday::Thursday), "cantine", true);
        assert!(peer.try_sync().is_ok());
    });
}

#[test]
fn values_of_the_wrong_type_or_shape_are_refused_and_the_family_keeps_syncing() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = family.children[0].0.clone();
        let device = Device::new();
        let phone = signed_in(server, family, 0, &device);
        let mut peer = hostile(server, family);
        let dossier = peer.doc_id(DocKind::Dossier);
        let planning = peer.doc_id(DocKind::Planning);

        type Forge = fn(&mut AutoCommit, &str);
        let dossier_forgeries: Vec<(&str, Forge)> = vec![
            ("a number for a first name", |d, child| {
                let sheet = obj(d, &obj(d, &ROOT, "children"), child);
                d.put(&sheet, "first_name", 42).expect("forge");
            }),
            ("Automerge Text for a first name", |d, child| {
                let sheet = obj(d, &obj(d, &ROOT, "children"), child);
                let text = d
                    .put_object(&sheet, "first_name", ObjType::Text)
                    .expect("forge");
                d.splice_text(&text, 0, 0, "Léa").expect("forge");
            }),
            ("the children map replaced", |d, _| {
                d.put_object(ROOT, "children", ObjType::Map).expect("forge");
            }),
            ("a field no sheet has", |d, child| {
                let sheet = obj(d, &obj(d, &ROOT, "children"), child);
                d.put(&sheet, "religion", "x").expect("forge");
            }),
        ];
        let planning_forgeries: Vec<(&str, Forge)> = vec![
            ("the requests map replaced", |d, _| {
                d.put_object(ROOT, "requests", ObjType::Map).expect("forge");
            }),
            ("a request that is not one", |d, child| {
                let requests = obj(d, &ROOT, "requests");
                let key = format!("{child}|{}|cantine", next(Weekday::Monday));
                d.put(&requests, key.as_str(), true).expect("forge");
            }),
        ];
        for (kind, doc_id, forgeries) in [
            (DocKind::Dossier, &dossier, dossier_forgeries),
            (DocKind::Planning, &planning, planning_forgeries),
        ] {
            for (what, forge) in forgeries {
                let saved = peer.doc(kind).fork();
                forge(peer.doc(kind), &child);
                let hash = peer.unsynced_changes(kind)[0].hash();
                let before = version(server, doc_id);
                let answer = peer.send_unsynced(kind);
                assert_eq!(
                    answer.0,
                    422,
                    "{what}: {}",
                    String::from_utf8_lossy(&answer.1)
                );
                assert_refused(&answer, 422, ErrorCode::InvalidChange, doc_id);
                assert!(!holds(server, doc_id, &hash), "{what}: nothing kept");
                assert_eq!(version(server, doc_id), before, "{what}");
                *peer.doc(kind) = saved;
            }
        }

        // A request in the other parent's name.
        let saved = peer.doc(DocKind::Planning).fork();
        let phone_account = phone.account().expect("signed in").account_id;
        peer.session.account_id = phone_account;
        write_request(&mut peer, &child, next(Weekday::Friday), "cantine", true);
        let answer = peer.send_unsynced(DocKind::Planning);
        assert_refused(&answer, 422, ErrorCode::InvalidChange, &planning);
        *peer.doc(DocKind::Planning) = saved;

        // The server's copy still reads, and both parents' phones keep syncing.
        let read: Dossier = server
            .block_on(
                server
                    .state
                    .docs
                    .read(&cartable_domain::ids::DocumentId::new(dossier.as_str())),
            )
            .expect("the dossier still reads");
        assert_eq!(
            read.children.get(&child).map(|c| c.first_name.as_str()),
            Some(family.children[0].1.as_str())
        );
        let stored_dossier: Dossier =
            autosurgeon::hydrate(&stored(server, &dossier)).expect("stored dossier reads");
        assert_eq!(stored_dossier, read);
        books_and_is_accepted(&phone, &child, Weekday::Thursday);
        let other = Device::new();
        let second = signed_in(server, family, 1, &other);
        phone
            .set_child_field(&child, "doctor", "Dr Durand")
            .expect("honest edit");
        phone.sync().expect("sync");
        second.sync().expect("the other parent's phone syncs");
        let seen = second.dossier().expect("dossier");
        assert_eq!(
            seen.children.get(&child).map(|c| c.doctor.as_str()),
            Some("Dr Durand")
        );
    });
}

#[test]
fn writes_to_the_catalogue_are_refused_without_entering_its_history() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let family = &seed.families[0];
        let mut peer = hostile(server, family);
        let catalogue = peer.doc_id(DocKind::Catalogue);
        peer.doc(DocKind::Catalogue)
            .put(ROOT, "structure_name", "Piraté")
            .expect("forge");
        let hash = peer.unsynced_changes(DocKind::Catalogue)[0].hash();
        let before = version(server, &catalogue);
        let answer = peer.send_unsynced(DocKind::Catalogue);
        assert_refused(&answer, 403, ErrorCode::ReadOnlyDocument, &catalogue);
        assert!(!holds(server, &catalogue, &hash));
        assert_eq!(
            version(server, &catalogue),
            before,
            "no compensation either"
        );

        // Another family's phone sees the structure's name.
        let other = &seed.families[1];
        let device = Device::new();
        let phone = signed_in(server, other, 0, &device);
        assert_eq!(
            phone.catalogue().expect("catalogue").structure_name,
            "Mairie de Test"
        );
    });
}
