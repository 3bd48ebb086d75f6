//! Two server processes on one PostgreSQL: a phone whose documents one process holds in
//! memory reads, at its next sync through that process, a decision staff made through the
//! other (the sync compares the document's stored version with its copy in memory). On
//! SQLite, which serves one process, the same scenario runs through the one server.

use cartable_domain::planning::{CellKey, Outcome};
use cartable_server::demo;
use cartable_tests::daily::{DAY, demo_with_canteen, family_of};
use cartable_tests::raw::{RawPeer, decision};
use cartable_tests::{Backend, TestServer, on_each_backend, staff};
use serde_json::json;

fn override_decision(server: &TestServer, family: &str, child: &str, outcome: &str) {
    let token = staff::login(&server.url, "agent", demo::AGENT_PASSWORD);
    let (status, body) = staff::send(
        &server.url,
        "POST",
        "/api/v1/staff/decisions",
        Some(&token),
        Some(&json!({
            "family_id": family,
            "child_id": child,
            "date": DAY,
            "activity_id": "cantine",
            "outcome": outcome,
            "reason": "Sortie de classe ce jour-là",
        })),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_decision_made_through_one_process_reaches_a_phone_syncing_through_the_other() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let lea = demo.children["Léa"].clone();
        let family = family_of(server, &lea);
        let key = CellKey::new(lea.as_str(), DAY.parse().expect("date"), "cantine").encode();
        let second = (server.backend == Backend::Postgres).then(|| server.another_process());
        let staff_side = second.as_ref().unwrap_or(server);

        // The phone syncs through the first process, which now holds its planning.
        let mut parent = RawPeer::login(&server.url, "camille.martin", demo::PARENT_PASSWORD);
        parent.sync();
        assert_eq!(
            decision(&mut parent, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );

        // Staff refuse the day through the other process; the phone's next sync, through
        // the first, reads it.
        override_decision(staff_side, &family, &lea, "refused");
        parent.sync();
        let refused = decision(&mut parent, &key).expect("a decision");
        assert_eq!(refused.outcome, Outcome::Refused);
        let reason = refused.reason.unwrap_or_default();
        assert!(
            reason.starts_with("Sortie de classe ce jour-là"),
            "{reason}"
        );

        // And back: the first process's copy, updated by that sync, is behind again.
        override_decision(staff_side, &family, &lea, "accepted");
        parent.sync();
        assert_eq!(
            decision(&mut parent, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
    });
}
