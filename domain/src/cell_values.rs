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
        let value = json!({
            "rev": self.rev,
            "outcome": self.outcome.code(),
            "reason": self.reason,
            "decided_at_ms": self.decided_at_ms,
        });
        reconciler.str(value.to_string())
    }
}

impl Hydrate for Decision {
    fn hydrate_string(text: &str) -> Result<Self, HydrateError> {
        serde_json::from_str(text).map_err(|e| unreadable("a decision", e))
    }

    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Self, HydrateError> {
        let f = DecisionFields::hydrate_map(doc, obj)?;
        Ok(Decision {
            rev: f.rev,
            outcome: f.outcome,
            reason: f.reason,
            decided_at_ms: f.decided_at_ms,
        })
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
}
