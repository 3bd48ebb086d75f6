//! Push notifications end to end: a real server sends to the tests' own push service on
//! loopback, which checks VAPID, headers and encoding; the client core decrypts each message
//! and writes the notification from its synced data.

use cartable_domain::push::{PushEvent, PushKind};
use cartable_server::clock::Clock;
use cartable_server::push::worker;
use cartable_tests::family::{PASSWORD, signed_in, staff_token};
use cartable_tests::push_service::{PushService, Reply, server_key, subscribe};
use cartable_tests::{Backend, Device, TestServer, on_each_backend, staff};
use serde_json::{Value, json};
use sqlx::Row;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn publish(server: &TestServer, token: &str, title: &str) -> String {
    let (status, body) = staff::send(
        &server.url,
        "POST",
        "/api/v1/staff/information",
        Some(token),
        Some(&json!({"title": title, "body": "Texte du message."})),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("message id").to_string()
}

fn stats(server: &TestServer, token: &str) -> Value {
    let (status, body) = staff::send(
        &server.url,
        "GET",
        "/api/v1/staff/push/deliveries",
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body
}

fn kind_counts(stats: &Value, kind: &str) -> Value {
    stats["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == kind)
        .cloned()
        .expect("kind present")
}

/// States of the deliveries, sorted.
fn delivery_states(server: &TestServer) -> Vec<String> {
    server.block_on(async {
        let mut s: Vec<String> = sqlx::query("SELECT state FROM push_deliveries")
            .fetch_all(&server.state.db.pool)
            .await
            .expect("deliveries")
            .iter()
            .map(|r| r.get::<String, _>("state"))
            .collect();
        s.sort();
        s
    })
}

#[test]
fn a_published_information_reaches_subscribed_phones_signed_encrypted_and_readable() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let service = PushService::start(&server_key(server));
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let a = signed_in(server, family, 0, &phone_a);
        let b = signed_in(server, family, 1, &phone_b);
        subscribe(&a, &service, "a", &PushKind::ALL);
        // The other parent only wants invoices on this phone.
        subscribe(&b, &service, "b", &[PushKind::Invoice]);
        let view = a.push_subscription().expect("read").expect("subscribed");
        assert_eq!(view.kinds.len(), 5);
        assert!(!view.key_rotated);

        let token = staff_token(server, &seed);
        let id = publish(server, &token, "Menu de Noël le 18 décembre");
        assert!(
            service.wait_until(WAIT, |r| !r.is_empty()),
            "the message reaches the push service"
        );
        assert_eq!(service.violations(), Vec::<String>::new());
        let got = service.delivered_to("a");
        assert_eq!(got.len(), 1);
        let message = &got[0];
        assert_eq!(message.topic, "information");
        assert_eq!(message.urgency, "low");
        assert!(
            message.ttl > 2 * 24 * 3600 - 120 && message.ttl <= 2 * 24 * 3600,
            "TTL {}",
            message.ttl
        );

        let payload = a.open_push(&message.body).expect("the phone decrypts it");
        assert_eq!(payload.event, PushEvent::InformationPublished);
        assert_eq!(payload.subject.as_deref(), Some(id.as_str()));
        assert_eq!(payload.docs.len(), 1, "the catalogue to sync");
        // The second phone cannot read it: its keys are not the first phone's.
        assert!(b.open_push(&message.body).is_err());

        let received = a.receive_push(&message.body).expect("receive");
        assert_eq!(received.sync_error, None);
        assert_eq!(received.notification.title, "Nouvelle information");
        assert_eq!(received.notification.body, "Menu de Noël le 18 décembre");

        // Nothing for the phone that did not choose information.
        std::thread::sleep(Duration::from_millis(300));
        assert!(service.received().iter().all(|r| r.device == "a"));
        let counts = kind_counts(&stats(server, &token), "information");
        assert_eq!(counts["sent"], 1, "{counts}");
        assert_eq!(counts["subscribed_devices"], 1, "{counts}");
        assert_eq!(
            kind_counts(&stats(server, &token), "invoice")["subscribed_devices"],
            2
        );
    });
}

#[test]
fn a_withdrawn_or_scheduled_message_is_not_sent_before_it_is_shown() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let service = PushService::start(&server_key(server));
        let phone = Device::new();
        let client = signed_in(server, &seed.families[0], 0, &phone);
        subscribe(&client, &service, "a", &[PushKind::Information]);
        let token = staff_token(server, &seed);
        let today = cartable_domain::calendar::paris_date(server.clock.now());
        let in_three_days = today.checked_add(jiff::Span::new().days(3)).expect("date");
        let (status, body) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/information",
            Some(&token),
            Some(&json!({"title": "Fermeture", "body": "Texte.",
                          "published_from": in_three_days.to_string()})),
        );
        assert_eq!(status, 201, "{body}");
        let withdrawn = publish(server, &token, "Annonce retirée aussitôt");
        let (status, _) = staff::send(
            &server.url,
            "DELETE",
            &format!("/api/v1/staff/information/{withdrawn}"),
            Some(&token),
            None,
        );
        assert_eq!(status, 204);
        std::thread::sleep(Duration::from_millis(500));
        // The withdrawn one may have gone out between publish and withdraw; the scheduled
        // one must not have.
        let before = service.delivered_to("a").len();
        assert!(before <= 1);
        server.clock.set(
            cartable_domain::calendar::start_of_day(in_three_days).expect("instant")
                + jiff::SignedDuration::from_mins(1),
        );
        assert!(service.wait_until(WAIT, |r| r.len() == before + 1));
        let last = service.delivered_to("a").pop().expect("scheduled message");
        let payload = client.open_push(&last.body).expect("decrypt");
        assert_eq!(payload.event, PushEvent::InformationPublished);
        assert_ne!(payload.subject.as_deref(), Some(withdrawn.as_str()));
    });
}

#[test]
fn the_push_services_answers_remove_retry_wait_or_count_as_staff_see_them() {
    on_each_backend(|server| {
        let seed = server.seed(3);
        let service = PushService::start(&server_key(server));
        let names = ["gone404", "gone410", "big413", "busy429", "down503", "fine"];
        let phones: Vec<Device> = names.iter().map(|_| Device::new()).collect();
        let clients: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let client = signed_in(server, &seed.families[i / 2], i % 2, &phones[i]);
                subscribe(&client, &service, name, &[PushKind::Information]);
                client
            })
            .collect();
        service.script("gone404", [Reply::status(404)]);
        service.script("gone410", [Reply::status(410)]);
        service.script("big413", [Reply::status(413)]);
        service.script("busy429", [Reply::retry_after(429, "120")]);
        service.script("down503", (0..200).map(|_| Reply::status(503)));
        let token = staff_token(server, &seed);
        publish(server, &token, "Réunion de rentrée");
        assert!(service.wait_until(WAIT, |r| r.len() == names.len()));
        assert!(service.wait_until(WAIT, |_| {
            delivery_states(server)
                .iter()
                .filter(|s| s.as_str() != "pending")
                .count()
                == 4
        }));
        // Gone: the subscription is removed (the phone sees it is not subscribed any more).
        assert_eq!(clients[0].push_subscription().expect("read"), None);
        assert_eq!(clients[1].push_subscription().expect("read"), None);
        assert!(clients[2].push_subscription().expect("read").is_some());

        // 429 with Retry-After: 120 s: not before.
        let start = server.clock.now();
        server
            .clock
            .set(start + jiff::SignedDuration::from_secs(60));
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            service
                .received()
                .iter()
                .filter(|r| r.device == "busy429")
                .count(),
            1,
            "Retry-After honoured"
        );
        server
            .clock
            .set(start + jiff::SignedDuration::from_secs(121));
        assert!(service.wait_until(WAIT, |_| service.delivered_to("busy429").len() == 1));

        // 503 every time: retried with backoff until the time to live (2 days), then given up.
        let mut at = start;
        for _ in 0..200 {
            let attempts = service
                .received()
                .iter()
                .filter(|r| r.device == "down503")
                .count();
            if delivery_states(server)
                .iter()
                .filter(|s| *s == "pending")
                .count()
                == 0
            {
                break;
            }
            at += jiff::SignedDuration::from_hours(2);
            server.clock.set(at);
            service.wait_until(Duration::from_secs(2), |r| {
                r.iter().filter(|r| r.device == "down503").count() > attempts
            });
        }
        let tries = service
            .received()
            .iter()
            .filter(|r| r.device == "down503")
            .count();
        assert!(tries > 3, "retried ({tries} tries)");
        assert!(!delivery_states(server).contains(&"pending".to_string()));
        server.clock.set(at + jiff::SignedDuration::from_hours(72));
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            service
                .received()
                .iter()
                .filter(|r| r.device == "down503")
                .count(),
            tries,
            "no retry after the time to live"
        );

        // Days later staff sign in again (sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        let counts = kind_counts(&stats(server, &token), "information");
        assert_eq!(counts["sent"], 2, "{counts}");
        assert_eq!(counts["gone"], 2, "{counts}");
        assert_eq!(counts["rejected"]["413"], 1, "{counts}");
        assert_eq!(counts["expired"], 1, "{counts}");
        assert!(counts["retries"].as_i64().unwrap_or(0) >= 4, "{counts}");
        let failures = stats(server, &token)["recent_failures"]
            .as_array()
            .expect("list")
            .len();
        assert_eq!(failures, 4);
        assert_eq!(service.violations(), Vec::<String>::new());
    });
}

#[test]
fn a_familys_events_reach_only_its_own_phones_and_information_every_phone() {
    on_each_backend(|server| {
        let seed = server.seed(3);
        let token = staff_token(server, &seed);
        let service = PushService::start(&server_key(server));
        let names = ["first", "second", "third"];
        let phones: Vec<Device> = names.iter().map(|_| Device::new()).collect();
        let clients: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let client = signed_in(server, &seed.families[i], 0, &phones[i]);
                subscribe(&client, &service, name, &PushKind::ALL);
                client
            })
            .collect();
        // The first two families' dossiers are sent for review and sent back, one right
        // after the other (the worker may expand both events in one round); then one
        // message for everyone.
        for (client, family) in clients.iter().zip(&seed.families).take(2) {
            client.submit_dossier().expect("submit");
            client.sync().expect("sync");
            let (status, body) = staff::send(
                &server.url,
                "POST",
                &format!("/api/v1/staff/dossiers/{}/reject", family.family_id),
                Some(&token),
                Some(&json!({"reason": "Attestation d'assurance manquante"})),
            );
            assert_eq!(status, 200, "{body}");
        }
        publish(server, &token, "Fermeture le 24 décembre");
        assert!(
            service.wait_until(WAIT, |r| r.len() == 5),
            "{:?}",
            service
                .received()
                .iter()
                .map(|r| &r.device)
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(300));
        for (i, name) in names.iter().enumerate() {
            let events: Vec<PushEvent> = service
                .delivered_to(name)
                .iter()
                .map(|m| clients[i].open_push(&m.body).expect("decrypt").event)
                .collect();
            let mut expected = vec![PushEvent::InformationPublished];
            if i < 2 {
                expected.insert(0, PushEvent::DossierRejected);
            }
            let mut got = events;
            got.sort_by_key(|e| e.code());
            expected.sort_by_key(|e| e.code());
            assert_eq!(got, expected, "{name}");
        }
        assert_eq!(service.violations(), Vec::<String>::new());
    });
}

#[test]
fn a_worker_killed_between_sending_and_marking_loses_nothing_and_sends_at_most_once_more() {
    for backend in cartable_tests::backends() {
        let server = TestServer::start_with(backend, |s| s.push_worker = false);
        let seed = server.seed(2);
        let service = PushService::start(&server_key(&server));
        let phones: Vec<Device> = (0..3).map(|_| Device::new()).collect();
        let clients: Vec<_> = (0..3)
            .map(|i| {
                let c = signed_in(&server, &seed.families[i / 2], i % 2, &phones[i]);
                subscribe(&c, &service, &format!("p{i}"), &[PushKind::Information]);
                c
            })
            .collect();
        let token = staff_token(&server, &seed);
        publish(&server, &token, "Sortie au musée");
        let lease = Duration::from_secs(server.state.settings.push_lease_secs);
        // The worker expands, claims and sends... then the process dies before marking.
        let sent = server.block_on(async {
            worker::expand_due(&server.state, 10).await.expect("expand");
            let claimed = worker::claim(&server.state, 100, lease)
                .await
                .expect("claim");
            worker::send_claimed(&server.state, claimed).await
        });
        assert_eq!(sent.len(), 3);
        assert_eq!(service.received().len(), 3);
        // Restarted: nothing is due while the lease runs.
        let round = server
            .block_on(worker::round(&server.state))
            .expect("round");
        assert_eq!(round.sent, 0);
        // After the lease: each delivery is sent once more, then never again.
        server
            .clock
            .set(server.clock.now() + jiff::SignedDuration::from_secs(lease.as_secs() as i64 + 1));
        let round = server
            .block_on(worker::round(&server.state))
            .expect("round");
        assert_eq!(round.sent, 3);
        let round = server
            .block_on(worker::round(&server.state))
            .expect("round");
        assert_eq!(round.sent, 0);
        for (i, client) in clients.iter().enumerate() {
            let got = service.delivered_to(&format!("p{i}"));
            assert_eq!(got.len(), 2, "one duplicate at most");
            assert_eq!(got[0].topic, got[1].topic, "same Topic: shown once");
            let first = client.open_push(&got[0].body).expect("decrypt");
            let second = client.open_push(&got[1].body).expect("decrypt");
            assert_eq!(first, second);
        }
        assert_eq!(delivery_states(&server), ["sent", "sent", "sent"]);
    }
}

#[test]
fn two_server_processes_on_one_postgresql_send_each_delivery_once() {
    let backends = cartable_tests::backends();
    if !backends.contains(&Backend::Postgres) {
        return;
    }
    let first = TestServer::start(Backend::Postgres);
    let second = first.another_process();
    let seed = first.seed(2);
    let service = PushService::start(&server_key(&first));
    let phones: Vec<Device> = (0..4).map(|_| Device::new()).collect();
    let _clients: Vec<_> = (0..4)
        .map(|i| {
            let c = signed_in(&first, &seed.families[i / 2], i % 2, &phones[i]);
            subscribe(&c, &service, &format!("p{i}"), &[PushKind::Information]);
            c
        })
        .collect();
    let token = staff_token(&first, &seed);
    for n in 0..10 {
        // Published through both processes.
        let server = if n % 2 == 0 { &first } else { &second };
        publish(server, &token, &format!("Message {n}"));
    }
    assert!(service.wait_until(WAIT, |r| r.len() >= 40));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(service.received().len(), 40, "each delivery sent once");
    for i in 0..4 {
        assert_eq!(service.delivered_to(&format!("p{i}")).len(), 10);
    }
    let attempts: Vec<i64> = first.block_on(async {
        sqlx::query("SELECT attempts FROM push_deliveries")
            .fetch_all(&first.state.db.pool)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get::<i64, _>("attempts"))
            .collect()
    });
    assert_eq!(attempts.len(), 40);
    assert!(attempts.iter().all(|a| *a == 1));
    drop(second);
}

#[test]
fn subscriptions_are_checked_changed_and_removed_with_the_device() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let service = PushService::start(&server_key(server));
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let setup = client.push_setup().expect("setup");
        assert_eq!(setup.vapid_public_key, server_key(server));
        // Keys are kept: the same after reopening the store.
        drop(client);
        let client = phone.open();
        assert_eq!(client.push_setup().expect("setup").p256dh, setup.p256dh);

        let token = cartable_tests::family::family_token(server, family, 1);
        let bad = |body: Value| {
            staff::send(
                &server.url,
                "PUT",
                "/api/v1/push/subscription",
                Some(&token),
                Some(&body),
            )
        };
        let ok_key = setup.p256dh.clone();
        let (s, b) = bad(
            json!({"endpoint": "ftp://x/y", "p256dh": ok_key, "auth": setup.auth, "kinds": []}),
        );
        assert_eq!((s, b["code"].as_str()), (400, Some("bad_request")), "{b}");
        let mut off_curve = ok_key.clone().into_bytes();
        off_curve[20] = if off_curve[20] == b'A' { b'B' } else { b'A' };
        let off_curve = String::from_utf8(off_curve).expect("ascii");
        let (s, b) = bad(
            json!({"endpoint": service.endpoint("x"), "p256dh": off_curve,
                                "auth": setup.auth, "kinds": []}),
        );
        assert_eq!(s, 400, "{b}");
        let (s, b) = bad(json!({"endpoint": service.endpoint("x"), "p256dh": ok_key,
                                "auth": "AAAA", "kinds": []}));
        assert_eq!(s, 400, "{b}");

        let view = client
            .register_push(&service.endpoint("a"), &[PushKind::Booking])
            .expect("register");
        assert_eq!(view.kinds, [PushKind::Booking]);
        let view = client
            .register_push(
                &service.endpoint("a"),
                &[PushKind::Booking, PushKind::Dossier],
            )
            .expect("change kinds");
        assert_eq!(view.kinds, [PushKind::Booking, PushKind::Dossier]);
        client.unregister_push().expect("unregister");
        assert_eq!(client.push_subscription().expect("read"), None);
        client
            .register_push(&service.endpoint("a"), &[PushKind::Information])
            .expect("again");
        let device_id = client.account().expect("account").device_id;
        client.logout().expect("logout");
        let left: i64 = server.block_on(async {
            sqlx::query("SELECT COUNT(*) AS n FROM push_subscriptions WHERE device_id = $1")
                .bind(&device_id)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("count")
                .get("n")
        });
        assert_eq!(left, 0, "signing out removes the subscription");
        let _ = PASSWORD;
    });
}
