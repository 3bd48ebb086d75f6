//! How a request and a decision are stored in the planning document: each as one JSON
//! string (one Automerge operation per cell instead of five), which also makes a concurrent
//! write of one cell by two parents a clean "one whole value wins". Documents written before
//! hold a map of fields per cell; those are read as well, so nothing needs migrating.
//!
//! A school year holds about a thousand cells: storing each as one value makes loading the
//! planning on the phone about four times faster (see `docs/BENCHMARKS.md`).

use crate::planning::{BookingRequest, Decision, Outcome};
use automerge::ObjId;
use autosurgeon::reconcile::NoKey;
use autosurgeon::{Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler};
use serde_json::json;

/// A request as older documents hold it: a map of fields.
#[derive(Hydrate)]
struct RequestFields {
    wanted: bool,
    rev: String,
    by: String,
    at_ms: i64,
}

/// A decision as older documents hold it: a map of fields.
#[derive(Hydrate)]
struct DecisionFields {
    rev: String,
    outcome: Outcome,
    #[autosurgeon(missing = "Default::default")]
    reason: Option<String>,
    decided_at_ms: i64,
}

/// The JSON string of a decision: the cause only when there is one, so accepted decisions
/// keep the shape earlier builds wrote.
fn decision_json(d: &Decision) -> serde_json::Value {
    let mut value = json!({
        "rev": d.rev,
        "outcome": d.outcome.code(),
        "reason": d.reason,
        "decided_at_ms": d.decided_at_ms,
    });
    if let (Some(cause), Some(map)) = (d.cause, value.as_object_mut()) {
        map.insert("cause".into(), json!(cause.code()));
    }
    value
}

fn unreadable(what: &str, e: serde_json::Error) -> HydrateError {
    HydrateError::unexpected(what, e.to_string())
}

impl Reconcile for BookingRequest {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        let value = json!({
            "wanted": self.wanted,
            "rev": self.rev,
            "by": self.by,
            "at_ms": self.at_ms,
        });
        reconciler.str(value.to_string())
    }
}

impl Hydrate for BookingRequest {
    fn hydrate_string(text: &str) -> Result<Self, HydrateError> {
        serde_json::from_str(text).map_err(|e| unreadable("a booking request", e))
    }

    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Self, HydrateError> {
        let f = RequestFields::hydrate_map(doc, obj)?;
        Ok(BookingRequest {
            wanted: f.wanted,
            rev: f.rev,
            by: f.by,
            at_ms: f.at_ms,
        })
    }
}

impl Reconcile for Decision {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(decision_json(self).to_string())
    }
}

impl Hydrate for Decision {
    fn hydrate_string(text: &str) -> Result<Self, HydrateError> {
        serde_json::from_str::<Decision>(text)
            .map(Decision::with_legacy_cause)
            .map_err(|e| unreadable("a decision", e))
    }

    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Self, HydrateError> {
        let f = DecisionFields::hydrate_map(doc, obj)?;
        Ok(Decision {
            rev: f.rev,
            outcome: f.outcome,
            reason: f.reason,
            cause: None,
            decided_at_ms: f.decided_at_ms,
        }
        .with_legacy_cause())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};
    use autosurgeon::{hydrate_prop, reconcile_prop};

    fn request() -> BookingRequest {
        BookingRequest {
            wanted: true,
            rev: "r1".into(),
            by: "parent".into(),
            at_ms: 42,
        }
    }

    #[test]
    fn a_cell_is_one_operation_and_reads_back() {
        let mut doc = AutoCommit::new();
        let requests = doc.put_object(ROOT, "requests", ObjType::Map).expect("map");
        reconcile_prop(&mut doc, &requests, "k", request()).expect("write");
        let decision = Decision {
            rev: "r1".into(),
            outcome: Outcome::Refused,
            reason: Some("Complet : « 30 | places »".into()),
            cause: Some(crate::refusal::RefusalCause::Full),
            decided_at_ms: 7,
        };
        reconcile_prop(&mut doc, &requests, "d", &decision).expect("write");
        let back: BookingRequest = hydrate_prop(&doc, &requests, "k").expect("read");
        assert_eq!(back, request());
        let back: Decision = hydrate_prop(&doc, &requests, "d").expect("read");
        assert_eq!(back, decision);
        let (value, _) = doc.get(&requests, "k").expect("get").expect("value");
        assert!(value.is_scalar(), "stored as one value, not a map");
        // Writing the same value again changes nothing.
        let heads = doc.get_heads();
        reconcile_prop(&mut doc, &requests, "k", request()).expect("write");
        assert_eq!(doc.get_heads(), heads);
    }

    #[test]
    fn cells_written_as_maps_by_older_documents_still_read() {
        let mut doc = AutoCommit::new();
        let cell = doc.put_object(ROOT, "k", ObjType::Map).expect("map");
        doc.put(&cell, "wanted", true).expect("put");
        doc.put(&cell, "rev", "r1").expect("put");
        doc.put(&cell, "by", "parent").expect("put");
        doc.put(&cell, "at_ms", 42_i64).expect("put");
        let back: BookingRequest = hydrate_prop(&doc, ROOT, "k").expect("read");
        assert_eq!(back, request());
        let garbage = doc.put_object(ROOT, "g", ObjType::Map).expect("map");
        doc.put(&garbage, "wanted", "oui").expect("put");
        assert!(hydrate_prop::<_, BookingRequest, _, _>(&doc, ROOT, "g").is_err());
        doc.put(ROOT, "s", "{pas du json").expect("put");
        assert!(hydrate_prop::<_, BookingRequest, _, _>(&doc, ROOT, "s").is_err());
    }

    #[test]
    fn decisions_written_without_a_cause_get_it_from_their_text() {
        use crate::refusal::RefusalCause;
        let mut doc = AutoCommit::new();
        doc.put(
            ROOT,
            "old",
            r#"{"rev":"r1","outcome":"refused","reason":"Dossier non validé par la mairie (en cours d'examen)","decided_at_ms":3}"#,
        )
        .expect("put");
        let old: Decision = hydrate_prop(&doc, ROOT, "old").expect("read");
        assert_eq!(old.cause, Some(RefusalCause::DossierNotApproved));
        let cell = doc.put_object(ROOT, "map", ObjType::Map).expect("map");
        doc.put(&cell, "rev", "r1").expect("put");
        doc.put(&cell, "outcome", "Refused").expect("put");
        doc.put(&cell, "reason", "Fermé : Pont de l'Ascension")
            .expect("put");
        doc.put(&cell, "decided_at_ms", 3_i64).expect("put");
        let old: Decision = hydrate_prop(&doc, ROOT, "map").expect("read");
        assert_eq!(old.cause, Some(RefusalCause::Closure));
        // A stored cause wins over the text; an accepted decision has none.
        doc.put(
            ROOT,
            "new",
            r#"{"rev":"r1","outcome":"refused","reason":"Complet","cause":"closure","decided_at_ms":3}"#,
        )
        .expect("put");
        let new: Decision = hydrate_prop(&doc, ROOT, "new").expect("read");
        assert_eq!(new.cause, Some(RefusalCause::Closure));
        doc.put(
            ROOT,
            "ok",
            r#"{"rev":"r1","outcome":"accepted","reason":null,"decided_at_ms":3}"#,
        )
        .expect("put");
        let ok: Decision = hydrate_prop(&doc, ROOT, "ok").expect("read");
        assert_eq!(ok.cause, None);
    }
}
