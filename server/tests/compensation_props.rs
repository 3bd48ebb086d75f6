//! Property: whatever a device forges in the server-only parts of a planning (decisions,
//! absence outcomes, family and year), the checks of incoming changes then compensation leave
//! those parts exactly as the server had them, and keep the family's own edits made in the
//! same change.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use cartable_domain::DocKind;
use cartable_domain::planning::{BookingRequest, Decision, Outcome, Planning};
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::compensation::{Protected, compensate};
use cartable_reconcile::validate::Limits;
use cartable_reconcile::validate::patches::{Context, check};
use proptest::prelude::*;

const AUTHOR: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const CELL: &str = "c1|2026-12-07|cantine";

/// A planning with one decided request, as the server holds it.
fn server_planning() -> AutoCommit {
    let mut planning = Planning::new("f1", SchoolYear(2026));
    planning.requests.insert(
        CELL.into(),
        BookingRequest {
            wanted: true,
            rev: "r1".into(),
            by: AUTHOR.into(),
            at_ms: 1,
        },
    );
    planning.decisions.insert(
        CELL.into(),
        Decision {
            rev: "r1".into(),
            outcome: Outcome::Accepted,
            reason: None,
            cause: None,
            decided_at_ms: 2,
        },
    );
    let mut doc = AutoCommit::new();
    autosurgeon::reconcile(&mut doc, &planning).expect("planning");
    doc.commit();
    doc
}

/// A forged write into a server-only part.
#[derive(Debug, Clone)]
enum Forgery {
    PutDecision(String, u8),
    DeleteDecision(String),
    NestedObject(String, u8),
    PutRootScalar(&'static str, u8),
    PutAbsenceOutcome(String, u8),
}

fn forgery() -> impl Strategy<Value = Forgery> {
    let key = prop_oneof![Just(CELL.to_string()), "[a-z0-9|-]{1,12}"];
    prop_oneof![
        (key.clone(), any::<u8>()).prop_map(|(k, v)| Forgery::PutDecision(k, v)),
        key.clone().prop_map(Forgery::DeleteDecision),
        (key.clone(), any::<u8>()).prop_map(|(k, v)| Forgery::NestedObject(k, v)),
        (
            prop_oneof![Just("family_id"), Just("school_year")],
            any::<u8>()
        )
            .prop_map(|(k, v)| Forgery::PutRootScalar(k, v)),
        (key, any::<u8>()).prop_map(|(k, v)| Forgery::PutAbsenceOutcome(k, v)),
    ]
}

fn value(v: u8) -> ScalarValue {
    match v % 5 {
        0 => ScalarValue::Str(
            r#"{"rev":"r1","outcome":"refused","reason":"forgé","decided_at_ms":0}"#.into(),
        ),
        1 => ScalarValue::Str(format!("x{v}").into()),
        2 => ScalarValue::Int(i64::from(v)),
        3 => ScalarValue::Null,
        _ => ScalarValue::Boolean(true),
    }
}

fn map(doc: &AutoCommit, key: &str) -> ObjId {
    match doc.get(ROOT, key).expect("read") {
        Some((automerge::Value::Object(_), id)) => id,
        other => panic!("{key}: {other:?}"),
    }
}

fn forge(doc: &mut AutoCommit, f: &Forgery) {
    match f {
        Forgery::PutDecision(k, v) => {
            let decisions = map(doc, "decisions");
            doc.put(&decisions, k.as_str(), value(*v)).expect("put");
        }
        Forgery::DeleteDecision(k) => {
            let decisions = map(doc, "decisions");
            let _ = doc.delete(&decisions, k.as_str());
        }
        Forgery::NestedObject(k, v) => {
            let decisions = map(doc, "decisions");
            let obj = doc
                .put_object(&decisions, k.as_str(), ObjType::Map)
                .expect("object");
            doc.put(&obj, "outcome", value(*v)).expect("put");
        }
        Forgery::PutRootScalar(k, v) => {
            doc.put(ROOT, *k, format!("forgé{v}")).expect("put");
        }
        Forgery::PutAbsenceOutcome(k, v) => {
            let outcomes = map(doc, "absence_decisions");
            doc.put(&outcomes, k.as_str(), value(*v)).expect("put");
        }
    }
}

/// The server-only parts, as the phone reads them.
fn server_parts(p: &Planning) -> impl PartialEq + std::fmt::Debug {
    (
        p.family_id.clone(),
        p.school_year.clone(),
        p.decisions.clone(),
        p.absence_decisions.clone(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn forged_server_only_values_are_written_back_and_honest_edits_kept(
        forgeries in proptest::collection::vec(forgery(), 1..6),
        honest_edit in any::<bool>(),
    ) {
        let mut server = server_planning();
        let before_state: Planning = autosurgeon::hydrate(&server).expect("reads");
        let mut device = server.fork();
        for f in &forgeries {
            forge(&mut device, f);
        }
        let honest = BookingRequest {
            wanted: false,
            rev: "r2".into(),
            by: AUTHOR.into(),
            at_ms: 3,
        };
        if honest_edit {
            let requests = map(&device, "requests");
            autosurgeon::reconcile_prop(&mut device, &requests, CELL, &honest).expect("edit");
        }
        let before = server.get_heads();
        server.merge(&mut device).expect("merge");
        let after = server.get_heads();
        let patches = server.diff(&before, &after);
        let limits = Limits::default();
        let ctx = Context { kind: DocKind::Planning, author: AUTHOR, limits: &limits };
        prop_assert!(check(&server, &ctx, &patches).is_ok(), "forgeries inside server-only parts pass to compensation");
        compensate(&mut server, &before, &patches, Protected::Keys(DocKind::Planning.server_only_keys()))
            .expect("compensates");
        let now: Planning = autosurgeon::hydrate(&server).expect("still reads");
        prop_assert_eq!(server_parts(&now), server_parts(&before_state));
        let expected = if honest_edit { honest } else { before_state.requests[CELL].clone() };
        prop_assert_eq!(&now.requests[CELL], &expected);

        // Another device syncing afterwards reads the same.
        let mut other = AutoCommit::new();
        other.merge(&mut server).expect("fresh copy");
        let seen: Planning = autosurgeon::hydrate(&other).expect("reads");
        prop_assert_eq!(server_parts(&seen), server_parts(&before_state));
    }
}
