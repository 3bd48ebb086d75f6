//! Real client cores against a real server: two parents offline on two phones, a phone
//! killed before it synced, an honest phone after a forged write.

use automerge::{ROOT, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::planning::RequestState;
use cartable_tests::family::{PASSWORD, request_state, signed_in};
use cartable_tests::raw::{RawPeer, next, write_request};
use cartable_tests::{Device, on_each_backend};
use jiff::civil::Weekday;

fn own_adult_id(client: &cartable_core::Client) -> String {
    let account = client.account().expect("logged in").account_id;
    let dossier = client.dossier().expect("dossier");
    dossier
        .adults
        .iter()
        .find(|(_, a)| a.account_id.as_deref() == Some(account.as_str()))
        .map(|(id, _)| id.clone())
        .expect("the parent has an adult sheet")
}

#[test]
fn two_parents_offline_on_two_phones_keep_all_four_edits_in_either_sync_order() {
    on_each_backend(|server| {
        for a_first in [true, false] {
            let seed = server.seed(1);
            let family = &seed.families[0];
            let (lea, hugo) = (&family.children[0].0, &family.children[1].0);
            let (phone_a, phone_b) = (Device::new(), Device::new());
            let a = signed_in(server, family, 0, &phone_a);
            let b = signed_in(server, family, 1, &phone_b);
            let monday = next(Weekday::Monday);
            let tuesday = next(Weekday::Tuesday);

            // Both offline.
            a.book(hugo, monday, "cantine")
                .expect("book Monday canteen");
            let a_adult = own_adult_id(&a);
            a.set_adult_field(&a_adult, "mobile_phone", "06 11 22 33 44")
                .expect("change phone");
            b.book(lea, tuesday, "garderie-soir")
                .expect("book Tuesday childcare");
            b.set_child_field(hugo, "allergies", "arachide")
                .expect("add allergy");
            assert_eq!(
                request_state(&a, hugo, monday, "cantine"),
                Some(RequestState::Pending)
            );

            let (first, second) = if a_first { (&a, &b) } else { (&b, &a) };
            first.sync().expect("first phone syncs");
            second.sync().expect("second phone syncs");
            first.sync().expect("first phone catches up");

            for phone in [&a, &b] {
                assert_eq!(
                    request_state(phone, hugo, monday, "cantine"),
                    Some(RequestState::Accepted)
                );
                assert_eq!(
                    request_state(phone, lea, tuesday, "garderie-soir"),
                    Some(RequestState::Accepted)
                );
                let dossier = phone.dossier().expect("dossier");
                assert_eq!(
                    dossier.children[hugo].allergies,
                    vec!["arachide".to_string()]
                );
                assert_eq!(dossier.adults[&a_adult].mobile_phone, "06 11 22 33 44");
                assert_eq!(phone.status().expect("status").pending_changes, 0);
            }
            assert_eq!(
                server.count(
                    "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1 AND outcome = 'accepted'",
                    &family.family_id
                ),
                2
            );
            assert_eq!(
                server.count(
                    "SELECT COUNT(*) FROM children WHERE family_id = $1 AND allergies LIKE '%arachide%'",
                    &family.family_id
                ),
                1
            );
            assert_eq!(
                server.count(
                    "SELECT COUNT(*) FROM adults WHERE family_id = $1 AND mobile_phone = '06 11 22 33 44'",
                    &family.family_id
                ),
                1
            );
        }
    });
}

#[test]
fn an_edit_made_before_the_app_was_killed_is_sent_after_restart() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let thursday = next(Weekday::Thursday);
        {
            let client = signed_in(server, family, 0, &phone);
            client
                .book(&family.children[0].0, thursday, "cantine")
                .expect("book");
            // The app is killed here: the client is dropped without syncing.
        }
        let client = phone.open();
        assert!(client.status().expect("status").pending_changes > 0);
        client.sync().expect("sync after restart");
        assert_eq!(
            request_state(&client, &family.children[0].0, thursday, "cantine"),
            Some(RequestState::Accepted)
        );
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM booking_requests WHERE family_id = $1 AND outcome = 'accepted'",
                &family.family_id
            ),
            1
        );
        let report = client.sync().expect("sync again");
        assert_eq!(
            report.rounds, 1,
            "an up-to-date phone syncs in one round trip"
        );
    });
}

#[test]
fn an_honest_phone_sees_the_servers_values_after_a_forged_write_and_keeps_syncing() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let child = &family.children[0].0;
        let monday = next(Weekday::Monday);
        let wednesday = next(Weekday::Wednesday);
        client.book(child, monday, "cantine").expect("book");
        assert!(
            client.book(child, wednesday, "cantine").is_err(),
            "the phone itself refuses a day without canteen"
        );
        client.sync().expect("sync");
        // A device that does not check (an older app) books it anyway: the server refuses.
        let mut forger = RawPeer::login(&server.url, &family.parents[1].login, PASSWORD);
        forger.sync();
        write_request(&mut forger, child, wednesday, "cantine", true);
        forger.sync();
        client.sync().expect("sync");
        assert_eq!(
            request_state(&client, child, monday, "cantine"),
            Some(RequestState::Accepted)
        );
        assert!(matches!(
            request_state(&client, child, wednesday, "cantine"),
            Some(RequestState::Refused { .. })
        ));

        let key =
            cartable_domain::planning::CellKey::new(child.as_str(), wednesday, "cantine").encode();
        {
            let doc = forger.doc(DocKind::Planning);
            let (_, decisions) = doc
                .get(ROOT, "decisions")
                .ok()
                .flatten()
                .expect("decisions");
            let mut forged: cartable_domain::planning::Decision =
                autosurgeon::hydrate_prop(&*doc, &decisions, key.as_str()).expect("decision");
            forged.outcome = cartable_domain::planning::Outcome::Accepted;
            forged.reason = None;
            autosurgeon::reconcile_prop(doc, &decisions, key.as_str(), &forged).expect("forge");
        }
        forger.sync();

        client.sync().expect("honest phone syncs");
        assert!(matches!(
            request_state(&client, child, wednesday, "cantine"),
            Some(RequestState::Refused { .. })
        ));
        assert_eq!(
            client.catalogue().expect("catalogue").structure_name,
            "Mairie de Test"
        );
        let friday = next(Weekday::Friday);
        write_request(&mut forger, child, friday, "cantine", true);
        forger.sync();
        client.sync().expect("keeps syncing");
        assert_eq!(
            request_state(&client, child, friday, "cantine"),
            Some(RequestState::Accepted)
        );
    });
}
