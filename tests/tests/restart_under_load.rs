//! Right after a restart, sixteen phones booking at once all get their bookings decided:
//! no "database is locked" (or any other server error) reaches a phone. The first request of
//! each device after a restart also records its "last seen", which once raced the sync's own
//! write on SQLite.

use cartable_domain::planning::RequestState;
use cartable_tests::family::signed_in;
use cartable_tests::raw::next;
use cartable_tests::{Device, on_each_backend_mut};
use jiff::civil::Weekday;

#[test]
fn sixteen_phones_booking_right_after_a_restart_get_no_server_error() {
    on_each_backend_mut(|server| {
        let seed = server.seed(8);
        let devices: Vec<Device> = (0..16).map(|_| Device::new()).collect();
        let phones: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| signed_in(server, &seed.families[i / 2], i % 2, d))
            .collect();
        let monday = next(Weekday::Monday);

        for round in 0..3 {
            server.restart();
            let day = monday + jiff::ToSpan::weeks(round);
            let failures: Vec<String> = std::thread::scope(|s| {
                let handles: Vec<_> = phones
                    .iter()
                    .enumerate()
                    .map(|(i, phone)| {
                        let family = &seed.families[i / 2];
                        let child = &family.children[i % 2].0;
                        s.spawn(move || {
                            phone.book(child, day, "cantine").expect("book offline");
                            // A connection the restart closed fails like a network error:
                            // the phone retries, as it would.
                            for _ in 0..5 {
                                match phone.sync() {
                                    Ok(_) => return None,
                                    Err(cartable_core::Error::Network(_)) => continue,
                                    Err(e) => return Some(format!("phone {i}: {e}")),
                                }
                            }
                            Some(format!("phone {i}: network errors only"))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().expect("thread"))
                    .collect()
            });
            assert!(failures.is_empty(), "round {round}: {failures:#?}");
            for (i, phone) in phones.iter().enumerate() {
                phone.sync().expect("catch up");
                let child = &seed.families[i / 2].children[i % 2].0;
                let state = phone
                    .planning(None)
                    .expect("planning")
                    .into_iter()
                    .find(|e| &e.child_id == child && e.date == day && e.activity_id == "cantine")
                    .map(|e| e.state);
                assert_eq!(
                    state,
                    Some(RequestState::Accepted),
                    "phone {i}, round {round}"
                );
            }
        }
    });
}

#[test]
fn families_created_at_once_while_phones_sync_all_succeed() {
    on_each_backend_mut(|server| {
        let seed = server.seed(4);
        let devices: Vec<Device> = (0..8).map(|_| Device::new()).collect();
        let phones: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| signed_in(server, &seed.families[i / 2], i % 2, d))
            .collect();
        let monday = next(Weekday::Monday);
        let state = server.state.clone();
        let structure = seed.structure_id.clone();
        let created = std::thread::scope(|s| {
            let syncing: Vec<_> = phones
                .iter()
                .enumerate()
                .map(|(i, phone)| {
                    let child = &seed.families[i / 2].children[i % 2].0;
                    s.spawn(move || {
                        for week in 0..4 {
                            let day = monday + jiff::ToSpan::weeks(week);
                            phone.book(child, day, "cantine").expect("book");
                            phone.sync().expect("sync while families are created");
                        }
                    })
                })
                .collect();
            let creating = server.block_on(async {
                let tasks: Vec<_> = (0..12)
                    .map(|i| {
                        let state = state.clone();
                        let structure = structure.clone();
                        tokio::spawn(async move {
                            let parent = cartable_server::admin::NewLogin {
                                first_name: "Parent".into(),
                                last_name: format!("Nouveau{i}"),
                                login: format!("nouveau{i}.{}", &structure[..8]),
                                password: Some("mot-de-passe-test".into()),
                            };
                            cartable_server::admin::create_family(
                                &state,
                                &cartable_domain::ids::StructureId::from(&structure),
                                &format!("Famille Nouvelle {i}"),
                                &[parent],
                                &[],
                            )
                            .await
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.expect("task"));
                }
                out
            });
            for h in syncing {
                h.join().expect("phone thread");
            }
            creating
        });
        let failed: Vec<_> = created.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(failed.is_empty(), "{failed:#?}");
    });
}
