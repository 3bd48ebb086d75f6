//! The sync endpoint seen from a raw Automerge peer: compensation, family scoping, typed
//! errors for bad input, harmless replays.

use automerge::sync::{Message, State, SyncDoc};
use automerge::{ROOT, ReadDoc, transaction::Transactable};
use cartable_domain::DocKind;
use cartable_domain::DocumentId;
use cartable_domain::api::ErrorCode;
use cartable_domain::planning::Outcome;
use cartable_domain::protocol::{self, DocMessage, PROTOCOL_VERSION, SyncRequest, SyncResponse};
use cartable_tests::on_each_backend;
use cartable_tests::raw::{self, RawPeer, decision, error_of, next, post_sync, write_request};
use jiff::civil::Weekday;

const PASSWORD: &str = "mot-de-passe-test";

fn sync_body(docs: Vec<DocMessage>) -> Vec<u8> {
    protocol::encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        docs,
    })
}

#[test]
fn forged_decisions_are_written_back_and_devices_keep_syncing() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        let child = &family.children[0].0;
        let key = write_request(&mut peer, child, next(Weekday::Monday), "cantine", true);
        peer.sync();
        assert_eq!(
            decision(&mut peer, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );

        // Forge: flip the decision, invent another. (Writes to the read-only catalogue are
        // refused outright: see hostile_changes.rs.)
        {
            let doc = peer.doc(DocKind::Planning);
            let (_, decisions) = doc
                .get(ROOT, "decisions")
                .ok()
                .flatten()
                .expect("decisions");
            let mut forged: cartable_domain::planning::Decision =
                autosurgeon::hydrate_prop(&*doc, &decisions, key.as_str()).expect("decision");
            forged.outcome = Outcome::Refused;
            forged.reason = Some("forgé".into());
            autosurgeon::reconcile_prop(doc, &decisions, key.as_str(), &forged).expect("forge");
            doc.put(&decisions, "invented", "x").expect("forge");
        }
        let responses = peer.sync();
        let compensated: Vec<String> = responses
            .iter()
            .flat_map(|r| r.compensations.iter().flat_map(|c| c.paths.clone()))
            .collect();
        assert!(
            compensated.contains(&format!("decisions/{key}")),
            "{compensated:?}"
        );
        assert!(
            compensated.contains(&"decisions/invented".to_string()),
            "{compensated:?}"
        );

        // The forging device itself now shows the server's values.
        assert_eq!(
            decision(&mut peer, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1 AND outcome = 'accepted'",
                &family.family_id
            ),
            1
        );

        // An honest device of the other parent sees the server's values and keeps syncing.
        let mut honest = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        honest.sync();
        assert_eq!(
            decision(&mut honest, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
        let other_key = write_request(&mut honest, child, next(Weekday::Tuesday), "cantine", true);
        honest.sync();
        assert_eq!(
            decision(&mut honest, &other_key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
        let before = honest.requests;
        honest.sync();
        assert_eq!(
            honest.requests - before,
            1,
            "an up-to-date device syncs in one request"
        );
    });
}

#[test]
fn another_familys_token_cannot_read_or_write_this_familys_documents() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let mut a = RawPeer::login(&server.url, &seed.families[0].parents[0].login, PASSWORD);
        let mut b = RawPeer::login(&server.url, &seed.families[1].parents[0].login, PASSWORD);
        a.sync();
        b.sync();
        let a_planning = a.doc_id(DocKind::Planning);
        let a_dossier = a.doc_id(DocKind::Dossier);
        assert!(
            b.infos
                .iter()
                .all(|i| i.doc_id.as_str() != a_planning && i.doc_id.as_str() != a_dossier)
        );

        // Reading: an empty sync message for A's dossier.
        let mut fresh = automerge::AutoCommit::new();
        let msg = fresh
            .sync()
            .generate_sync_message(&mut State::new())
            .map(Message::encode);
        for doc in [&a_dossier, &a_planning] {
            let (status, body) = post_sync(
                &server.url,
                &b.session.token,
                protocol::CONTENT_TYPE,
                &sync_body(vec![DocMessage {
                    doc_id: DocumentId::new(doc.clone()),
                    message: msg.clone(),
                }]),
            );
            assert_eq!(status, 404);
            assert_eq!(error_of(&body).code, ErrorCode::NotFound);
        }

        // Writing: A's planning with a change in it, sent with B's token.
        let child = seed.families[0].children[0].0.clone();
        write_request(&mut a, &child, next(Weekday::Monday), "cantine", true);
        let planning = a.doc(DocKind::Planning);
        let message = planning
            .sync()
            .generate_sync_message(&mut State::new())
            .map(Message::encode);
        let (status, _) = post_sync(
            &server.url,
            &b.session.token,
            protocol::CONTENT_TYPE,
            &sync_body(vec![DocMessage {
                doc_id: DocumentId::new(a_planning.clone()),
                message,
            }]),
        );
        assert_eq!(status, 404);
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1",
                &seed.families[0].family_id
            ),
            0,
            "nothing was written through another family's token"
        );

        // Another family's device cannot be revoked either.
        let mut resp = raw::agent()
            .delete(&format!(
                "{}/api/v1/devices/{}",
                server.url, a.session.device_id
            ))
            .header("Authorization", &format!("Bearer {}", b.session.token))
            .call()
            .expect("HTTP");
        assert_eq!(resp.status().as_u16(), 404);
        let _ = resp.body_mut().read_to_vec();
        a.sync();
    });
}

#[test]
fn bad_sync_requests_get_typed_errors_and_lose_nothing_accepted() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        let key = write_request(
            &mut peer,
            &family.children[0].0,
            next(Weekday::Monday),
            "cantine",
            true,
        );
        peer.sync();
        let token = peer.session.token.clone();
        let cbor = protocol::CONTENT_TYPE;
        let planning = peer.doc_id(DocKind::Planning);

        let expect = |status: u16, body: &[u8], want_status: u16, code: ErrorCode| {
            assert_eq!(status, want_status, "{}", String::from_utf8_lossy(body));
            assert_eq!(error_of(body).code, code);
        };
        let (s, b) = post_sync(&server.url, &token, cbor, b"\xff\x00 not cbor");
        expect(s, &b, 400, ErrorCode::MalformedSync);
        let (s, b) = post_sync(&server.url, &token, cbor, &protocol::encode(&"a string"));
        expect(s, &b, 400, ErrorCode::MalformedSync);
        let (s, b) = post_sync(
            &server.url,
            &token,
            cbor,
            &sync_body(vec![DocMessage {
                doc_id: DocumentId::new(planning.clone()),
                message: Some(vec![0x42, 0xff, 0xff, 0xff]),
            }]),
        );
        expect(s, &b, 400, ErrorCode::MalformedSync);
        let (s, b) = post_sync(
            &server.url,
            &token,
            cbor,
            &sync_body(vec![DocMessage {
                doc_id: DocumentId::new("0123456789abcdef0123456789abcdef"),
                message: None,
            }]),
        );
        expect(s, &b, 404, ErrorCode::NotFound);
        let (s, b) = post_sync(&server.url, &token, cbor, &vec![0u8; 300 * 1024]);
        expect(s, &b, 413, ErrorCode::PayloadTooLarge);
        let old = protocol::encode(&SyncRequest {
            protocol: 0,
            docs: vec![],
        });
        let (s, b) = post_sync(&server.url, &token, cbor, &old);
        expect(s, &b, 426, ErrorCode::ProtocolTooOld);
        let future = protocol::encode(&SyncRequest {
            protocol: PROTOCOL_VERSION + 1,
            docs: vec![],
        });
        let (s, b) = post_sync(&server.url, &token, cbor, &future);
        expect(s, &b, 400, ErrorCode::ProtocolTooNew);
        let (s, b) = post_sync(&server.url, &token, "application/json", b"{}");
        expect(s, &b, 415, ErrorCode::MalformedSync);
        let (s, b) = post_sync(&server.url, &"0".repeat(64), cbor, &sync_body(vec![]));
        expect(s, &b, 401, ErrorCode::Unauthorized);
        let (s, b) = post_sync(&server.url, "short", cbor, &sync_body(vec![]));
        expect(s, &b, 401, ErrorCode::Unauthorized);

        // A revoked token is refused.
        let other = raw::login(&server.url, &family.parents[0].login, PASSWORD);
        let mut resp = raw::agent()
            .post(&format!("{}/api/v1/logout", server.url))
            .header("Authorization", &format!("Bearer {}", other.token))
            .send(&[][..])
            .expect("HTTP");
        assert_eq!(resp.status().as_u16(), 204);
        let _ = resp.body_mut().read_to_vec();
        let (s, b) = post_sync(&server.url, &other.token, cbor, &sync_body(vec![]));
        expect(s, &b, 401, ErrorCode::Unauthorized);

        // The server still serves, and what it accepted is still there.
        let (status, _) = post_sync(&server.url, &token, cbor, &sync_body(vec![]));
        assert_eq!(status, 200);
        peer.sync();
        assert_eq!(
            decision(&mut peer, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
        let mut second = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        second.sync();
        assert_eq!(
            decision(&mut second, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
    });
}

#[test]
fn the_same_sync_request_sent_twice_changes_nothing_more() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        let planning_id = peer.doc_id(DocKind::Planning);
        write_request(
            &mut peer,
            &family.children[0].0,
            next(Weekday::Thursday),
            "cantine",
            true,
        );
        let token = peer.session.token.clone();
        let doc = peer.doc(DocKind::Planning);
        // A fresh state sends heads and a bloom filter; a second message carries the change.
        let mut state = State::new();
        let first = doc
            .sync()
            .generate_sync_message(&mut state)
            .expect("message");
        let body = sync_body(vec![DocMessage {
            doc_id: DocumentId::new(planning_id.clone()),
            message: Some(first.encode()),
        }]);
        let (status, reply) = post_sync(&server.url, &token, protocol::CONTENT_TYPE, &body);
        assert_eq!(status, 200);
        let reply: SyncResponse = protocol::decode(&reply).expect("response");
        let server_msg = reply.docs[0].message.clone().expect("server replies");
        doc.sync()
            .receive_sync_message(&mut state, Message::decode(&server_msg).expect("decode"))
            .expect("apply");
        let with_change = doc
            .sync()
            .generate_sync_message(&mut state)
            .expect("change message");
        assert!(!with_change.changes.is_empty());
        let body = sync_body(vec![DocMessage {
            doc_id: DocumentId::new(planning_id),
            message: Some(with_change.encode()),
        }]);
        for attempt in 0..2 {
            let (status, bytes) = post_sync(&server.url, &token, protocol::CONTENT_TYPE, &body);
            assert_eq!(
                status,
                200,
                "attempt {attempt}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1",
                &family.family_id
            ),
            1
        );
        let mut other = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        other.sync();
        let planning = other.doc(DocKind::Planning);
        let (_, decisions) = planning
            .get(ROOT, "decisions")
            .ok()
            .flatten()
            .expect("decisions");
        assert_eq!(
            planning.keys(&decisions).count(),
            1,
            "one decision, not two"
        );
    });
}

#[test]
fn failed_logins_are_rate_limited_and_answered_with_typed_errors() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let login = &seed.families[0].parents[0].login;
        for _ in 0..5 {
            let (status, body) = raw::login_attempt(&server.url, login, "wrong");
            assert_eq!(status, 401);
            assert_eq!(error_of(&body).code, ErrorCode::Unauthorized);
        }
        let (status, body) = raw::login_attempt(&server.url, login, PASSWORD);
        assert_eq!(status, 429);
        assert_eq!(error_of(&body).code, ErrorCode::RateLimited);
    });
}

#[test]
fn projections_are_rebuilt_from_the_documents_alone() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let mut peer = RawPeer::login(&server.url, &family.parents[0].login, PASSWORD);
        peer.sync();
        for (i, day) in [Weekday::Monday, Weekday::Tuesday, Weekday::Friday]
            .iter()
            .enumerate()
        {
            write_request(
                &mut peer,
                &family.children[i % 2].0,
                next(*day),
                "cantine",
                true,
            );
        }
        peer.sync();
        let snapshot = |server: &cartable_tests::TestServer| {
            server.block_on(async {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT child_id, day, activity_id, wanted, rev, outcome FROM booking_requests \
                     UNION ALL SELECT child_id, first_name, last_name, pai, diet, class FROM children \
                     ORDER BY 1, 2, 3",
                )
                .fetch_all(&server.state.db.pool)
                .await
                .expect("projection rows");
                rows.iter()
                    .map(|r| {
                        (0..6)
                            .map(|i| {
                                r.try_get::<String, _>(i)
                                    .or_else(|_| r.try_get::<i64, _>(i).map(|n| n.to_string()))
                                    .unwrap_or_default()
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        };
        let before = snapshot(server);
        assert_eq!(before.len(), 3 + 2);
        let (docs, rows) = server
            .block_on(cartable_server::admin::rebuild_projections(&server.state))
            .expect("rebuild");
        assert!(docs >= 3 && rows >= 5, "{docs} documents, {rows} rows");
        assert_eq!(snapshot(server), before);
    });
}
