//! `kill -9` of the server at random moments while eight phones book and sync at once, twenty
//! times: afterwards every booking a phone made is stored once with its decision (the ones a
//! sync acknowledged before a kill included), the place counters equal a rebuild from the
//! documents, and SQLite's integrity check passes.

use cartable_tests::family::signed_in;
use cartable_tests::process::ServerProcess;
use cartable_tests::{Backend, Device, TestServer, backends};
use jiff::civil::{Date, Weekday};
use rand::Rng;
use sqlx::Row;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const KILLS: usize = 20;
const PHONES: usize = 8;

/// Canteen days (Monday, Tuesday, Thursday, Friday) from a week ahead on, within the school
/// year.
fn canteen_days(count: usize) -> Vec<Date> {
    let today = jiff::Zoned::now().date();
    let end = cartable_domain::school_year::SchoolYear::of(today).last_day();
    let mut day = today + jiff::ToSpan::days(7);
    let mut out = Vec::new();
    while out.len() < count && day <= end {
        if matches!(
            day.weekday(),
            Weekday::Monday | Weekday::Tuesday | Weekday::Thursday | Weekday::Friday
        ) {
            out.push(day);
        }
        day += jiff::ToSpan::days(1);
    }
    out
}

/// Projection rows and place counters, as text, in a fixed order.
fn projections(server: &TestServer) -> Vec<Vec<String>> {
    server.block_on(async {
        let rows = sqlx::query(
            "SELECT child_id, day, activity_id, wanted, rev, outcome FROM booking_requests \
             UNION ALL SELECT activity_id, day, structure_id, taken, '', '' FROM activity_places \
             WHERE taken <> 0 ORDER BY 1, 2, 3",
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
                    .collect()
            })
            .collect()
    })
}

#[test]
fn twenty_kill_9_under_concurrent_syncs_lose_and_double_nothing() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let mut server = TestServer::start(backend);
        let seed = server.seed(PHONES / 2);
        let devices: Vec<Device> = (0..PHONES).map(|_| Device::new()).collect();
        let phones: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| signed_in(&server, &seed.families[i / 2], i % 2, d))
            .collect();
        // Each parent books their own child: no two phones write the same cell.
        let children: Vec<String> = (0..PHONES)
            .map(|i| seed.families[i / 2].children[i % 2].0.clone())
            .collect();
        let days = canteen_days(120);
        assert!(
            days.len() >= 40,
            "not enough school days left: {}",
            days.len()
        );
        server.stop();

        let booked: Vec<Mutex<Vec<Date>>> = (0..PHONES).map(|_| Mutex::new(Vec::new())).collect();
        let acknowledged: Vec<Mutex<BTreeSet<Date>>> =
            (0..PHONES).map(|_| Mutex::new(BTreeSet::new())).collect();
        let done = AtomicBool::new(false);
        let mut process = Some(ServerProcess::start(&server));
        std::thread::scope(|s| {
            for (i, phone) in phones.iter().enumerate() {
                let (booked, acknowledged, done, days, child) =
                    (&booked[i], &acknowledged[i], &done, &days, &children[i]);
                s.spawn(move || {
                    for day in days.iter() {
                        if done.load(Ordering::SeqCst) {
                            break;
                        }
                        match phone.book(child, *day, "cantine") {
                            Ok(()) => {}
                            // A public holiday: the phone knows it is closed.
                            Err(cartable_core::Error::WouldBeRefused { .. }) => continue,
                            Err(e) => panic!("book on the phone: {e}"),
                        }
                        booked.lock().expect("lock").push(*day);
                        // A sync that answers acknowledges every booking made before it.
                        if phone.sync().is_ok() {
                            let mine = booked.lock().expect("lock").clone();
                            acknowledged.lock().expect("lock").extend(mine);
                        } else {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    // Out of days: keep syncing until the last kill.
                    while !done.load(Ordering::SeqCst) {
                        let _ = phone.sync();
                        std::thread::sleep(Duration::from_millis(20));
                    }
                });
            }
            let mut rng = rand::rng();
            for _ in 0..KILLS {
                std::thread::sleep(Duration::from_millis(rng.random_range(50..600)));
                if let Some(p) = process.take() {
                    p.kill();
                }
                process = Some(ServerProcess::start(&server));
            }
            done.store(true, Ordering::SeqCst);
        });

        // Every phone sends what it still holds.
        for (i, phone) in phones.iter().enumerate() {
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
            assert_eq!(last, None, "phone {i} cannot sync after the kills");
        }
        if let Some(p) = process.take() {
            p.kill();
        }
        server.restart();

        let mut total = 0;
        for (i, child) in children.iter().enumerate() {
            let booked = booked[i].lock().expect("lock").clone();
            let acknowledged = acknowledged[i].lock().expect("lock").clone();
            assert!(acknowledged.iter().all(|d| booked.contains(d)));
            total += booked.len();
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
            let expected: Vec<String> = booked.iter().map(Date::to_string).collect();
            assert_eq!(days, expected, "phone {i}: each booking stored once");
            assert!(
                stored.iter().all(|(_, outcome)| outcome.is_some()),
                "phone {i}: every booking decided: {stored:?}"
            );
        }
        eprintln!("{total} bookings across {KILLS} kills");
        assert!(total >= PHONES, "the phones booked during the kills");

        if backend == Backend::Sqlite {
            let check: String = server.block_on(async {
                sqlx::query("PRAGMA integrity_check")
                    .fetch_one(&server.state.db.pool)
                    .await
                    .expect("integrity check")
                    .get(0)
            });
            assert_eq!(check, "ok");
        }
        let before = projections(&server);
        server
            .block_on(cartable_server::admin::rebuild_projections(&server.state))
            .expect("rebuild");
        assert_eq!(projections(&server), before, "projections equal a rebuild");
    }
}
