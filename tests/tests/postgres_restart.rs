//! PostgreSQL restarted twice while phones book and sync and a parent uploads a file: requests
//! caught by the restart fail with the typed 503 `unavailable` (never a 500 or an untyped
//! body), the pool reconnects by itself, a retried upload is stored once and every booking
//! once. The cluster is the test's own (`cartable_tests::private_postgres`), so restarting
//! it disturbs no one; without PostgreSQL's binaries the test is SKIPPED.

use cartable_domain::api::{ApiErrorBody, ErrorCode};
use cartable_tests::family::{family_token, signed_in};
use cartable_tests::private_postgres::PrivateCluster;
use cartable_tests::raw::agent;
use cartable_tests::{Device, TestServer};
use jiff::civil::{Date, Weekday};
use sqlx::Row;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

fn read(url: &str, token: &str) -> (u16, Vec<u8>) {
    match agent()
        .get(&format!("{url}/api/v1/documents"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(mut r) => {
            let status = r.status().as_u16();
            (status, r.body_mut().read_to_vec().unwrap_or_default())
        }
        Err(e) => (0, e.to_string().into_bytes()),
    }
}

fn upload(url: &str, token: &str) -> (u16, Vec<u8>) {
    let sent = agent()
        .post(&format!("{url}/api/v1/documents?kind=insurance"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/pdf")
        .header("Idempotency-Key", "envoi-pendant-le-redemarrage")
        .send(PDF);
    match sent {
        Ok(mut r) => {
            let status = r.status().as_u16();
            (status, r.body_mut().read_to_vec().unwrap_or_default())
        }
        Err(e) => (0, e.to_string().into_bytes()),
    }
}

/// A failed answer is the typed 503, or no answer at all: never a 500 or an untyped body.
fn check_failure(what: &str, status: u16, body: &[u8]) {
    if status == 0 {
        return;
    }
    assert_eq!(status, 503, "{what}: {}", String::from_utf8_lossy(body));
    let err: ApiErrorBody = serde_json::from_slice(body).expect("a typed error body");
    assert_eq!(err.code, ErrorCode::Unavailable);
}

fn canteen_days(count: usize) -> Vec<Date> {
    let mut day = jiff::Zoned::now().date() + jiff::ToSpan::days(7);
    let end = cartable_domain::school_year::SchoolYear::of(day).last_day();
    let mut out = Vec::new();
    while out.len() < count && day <= end {
        if matches!(day.weekday(), Weekday::Monday | Weekday::Tuesday) {
            out.push(day);
        }
        day += jiff::ToSpan::days(1);
    }
    out
}

#[test]
fn postgresql_restarted_mid_traffic_fails_requests_cleanly_and_a_retry_has_one_effect() {
    if let Some(why) = PrivateCluster::unavailable() {
        eprintln!("SKIPPED: no private PostgreSQL cluster ({why})");
        return;
    }
    let cluster = PrivateCluster::start();
    let server = TestServer::start_on_postgres(&cluster.url());
    let seed = server.seed(2);
    let devices: Vec<Device> = (0..4).map(|_| Device::new()).collect();
    let phones: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| signed_in(&server, &seed.families[i / 2], i % 2, d))
        .collect();
    let children: Vec<String> = (0..4)
        .map(|i| seed.families[i / 2].children[i % 2].0.clone())
        .collect();
    let token = family_token(&server, &seed.families[0], 0);
    let days = canteen_days(40);
    let booked: Vec<Mutex<Vec<Date>>> = (0..4).map(|_| Mutex::new(Vec::new())).collect();
    let done = AtomicBool::new(false);
    let failures = Mutex::new(0usize);

    std::thread::scope(|s| {
        for (i, phone) in phones.iter().enumerate() {
            let (booked, done, days, child) = (&booked[i], &done, &days, &children[i]);
            s.spawn(move || {
                for day in days.iter() {
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    match phone.book(child, *day, "cantine") {
                        Ok(()) => booked.lock().expect("lock").push(*day),
                        Err(cartable_core::Error::WouldBeRefused { .. }) => continue,
                        Err(e) => panic!("book on the phone: {e}"),
                    }
                    if phone.sync().is_err() {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            });
        }
        // Reads, answered or refused with the typed error.
        s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                let (status, body) = read(&server.url, &token);
                if status != 200 {
                    check_failure("GET /api/v1/documents", status, &body);
                    *failures.lock().expect("lock") += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        // One upload, retried with its key until it is answered.
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(250));
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let (status, body) = upload(&server.url, &token);
                if status == 201 || status == 200 {
                    break;
                }
                check_failure("upload", status, &body);
                assert!(Instant::now() < deadline, "the upload never went through");
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        for _ in 0..2 {
            std::thread::sleep(Duration::from_millis(300));
            cluster.restart();
        }
        // The pool reconnects by itself: reads are answered again.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, _) = read(&server.url, &token);
            if status == 200 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no answer 30 s after the restart"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        done.store(true, Ordering::SeqCst);
    });
    eprintln!(
        "{} reads refused during two restarts",
        failures.lock().expect("lock")
    );

    // The retried upload: stored once, and a later retry answers the same document.
    let stored = server.count(
        "SELECT COUNT(*) FROM supporting_documents WHERE family_id = $1",
        &seed.families[0].family_id,
    );
    assert_eq!(stored, 1);
    let (status, _) = upload(&server.url, &token);
    assert_eq!(status, 200);

    // Every booking once, decided.
    for phone in &phones {
        let mut last = None;
        for _ in 0..10 {
            match phone.sync() {
                Ok(_) => {
                    last = None;
                    break;
                }
                Err(e) => last = Some(e.to_string()),
            }
        }
        assert_eq!(last, None, "a phone cannot sync after the restarts");
    }
    for (i, child) in children.iter().enumerate() {
        let booked: Vec<String> = booked[i]
            .lock()
            .expect("lock")
            .iter()
            .map(Date::to_string)
            .collect();
        let stored: Vec<(String, Option<String>)> = server.block_on(async {
            sqlx::query(
                "SELECT day, outcome FROM booking_requests WHERE child_id = $1 \
                 AND activity_id = 'cantine' AND wanted = 1 ORDER BY day",
            )
            .bind(child)
            .fetch_all(&server.state.db.pool)
            .await
            .expect("bookings")
            .iter()
            .map(|r| (r.get("day"), r.get("outcome")))
            .collect()
        });
        let days: Vec<String> = stored.iter().map(|(d, _)| d.clone()).collect();
        assert_eq!(days, booked, "phone {i}: each booking stored once");
        assert!(stored.iter().all(|(_, o)| o.is_some()), "{stored:?}");
    }
}
