//! A real phone whose changes the server refuses (here: a text over the structure's limit)
//! says so in its sync report and status, stops sending them instead of retrying blindly,
//! keeps syncing everything else (the refused document included, downwards), and can start
//! that document over.

use cartable_domain::api::ErrorCode;
use cartable_domain::planning::RequestState;
use cartable_tests::family::signed_in;
use cartable_tests::raw::next;
use cartable_tests::{Device, TestServer, backends};
use jiff::civil::Weekday;

#[test]
fn a_phone_whose_changes_are_refused_says_so_syncs_the_rest_and_can_start_over() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start_with(backend, |s| s.max_string_bytes = 200);
        let seed = server.seed(1);
        let family = &seed.families[0];
        let child = family.children[0].0.clone();
        let device = Device::new();
        let phone = signed_in(&server, family, 0, &device);
        let other_device = Device::new();
        let other = signed_in(&server, family, 1, &other_device);

        // Offline: a doctor's name over the limit, and a booking.
        phone
            .set_child_field(&child, "doctor", &"Docteur Jean-Baptiste ".repeat(10))
            .expect("edit offline");
        let monday = next(Weekday::Monday);
        phone.book(&child, monday, "cantine").expect("book offline");
        let report = phone.sync().expect("the rest syncs");
        assert_eq!(report.refused_changes.len(), 1, "{report:?}");
        let refusal = report.refused_changes[0].clone();
        assert_eq!(refusal.code, ErrorCode::ChangeTooLarge);
        assert!(
            refusal.message.contains("200 octets"),
            "{}",
            refusal.message
        );
        let state = |phone: &cartable_core::Client| {
            phone
                .planning(None)
                .expect("planning")
                .into_iter()
                .find(|e| e.date == monday && e.child_id == child)
                .map(|e| e.state)
        };
        assert_eq!(state(&phone), Some(RequestState::Accepted));
        let status = phone.status().expect("status");
        assert_eq!(status.refused_changes, vec![refusal.clone()]);
        assert_eq!(status.last_error, None);

        // The other parent's edit still reaches the refused document; nothing goes up again.
        other
            .set_child_field(&child, "school", "École Jaurès")
            .expect("edit");
        other.sync().expect("sync");
        let again = phone.sync().expect("sync again");
        assert_eq!(again.refused_changes, vec![refusal.clone()]);
        assert!(again.rounds <= 2, "no retry loop: {} rounds", again.rounds);
        let sheet = |phone: &cartable_core::Client| {
            phone
                .dossier()
                .expect("dossier")
                .children
                .get(&child)
                .cloned()
                .expect("sheet")
        };
        assert_eq!(sheet(&phone).school, "École Jaurès");
        assert!(
            sheet(&phone).doctor.starts_with("Docteur"),
            "kept on the phone"
        );
        other.sync().expect("sync");
        assert_eq!(sheet(&other).doctor, "", "never reached the server");

        // Starting the document over: the phone holds what the server holds, and syncs it.
        assert!(phone.discard_refused_changes("pas-un-document").is_err());
        phone
            .discard_refused_changes(refusal.doc_id.as_str())
            .expect("discard");
        let report = phone.sync().expect("sync after discarding");
        assert!(report.refused_changes.is_empty());
        assert_eq!(sheet(&phone).doctor, "");
        assert_eq!(sheet(&phone).school, "École Jaurès");
        phone
            .set_child_field(&child, "doctor", "Dr Durand")
            .expect("edit");
        phone.sync().expect("sync");
        other.sync().expect("sync");
        assert_eq!(sheet(&other).doctor, "Dr Durand");
        assert!(phone.status().expect("status").refused_changes.is_empty());
    }
}
