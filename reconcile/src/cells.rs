//! Reading and writing one cell of a planning document: its request and its decision.
//!
//! Cells are read one by one (a school year holds about a thousand): a sync that touched
//! two requests reads two cells, never the whole planning.

use crate::error::CoreError;
use automerge::{AutoCommit, ObjId, ROOT, ReadDoc};
use autosurgeon::{hydrate_prop, reconcile_prop};
use cartable_domain::planning::{BookingRequest, CellKey, Decision};

/// The object id of the root map `key`, if it is a map.
pub fn root_map(doc: &AutoCommit, key: &str) -> Option<ObjId> {
    match doc.get(ROOT, key).ok().flatten() {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => Some(id),
        _ => None,
    }
}

/// Every request key of the planning.
pub fn request_keys(doc: &AutoCommit) -> Vec<String> {
    root_map(doc, "requests")
        .map(|r| doc.keys(&r).collect())
        .unwrap_or_default()
}

/// The request and decision stored at `key` (an unreadable value reads as none).
pub fn cell(doc: &AutoCommit, key: &str) -> (Option<BookingRequest>, Option<Decision>) {
    let request = root_map(doc, "requests").and_then(|r| {
        doc.get(&r, key)
            .ok()
            .flatten()
            .and_then(|_| hydrate_prop(doc, &r, key).ok())
    });
    let decision =
        root_map(doc, "decisions").and_then(|d| hydrate_prop(doc, &d, key).ok().flatten());
    (request, decision)
}

/// Writes `decision` for the cell at `key` (as the document's actor: the server's).
pub fn write_decision(
    doc: &mut AutoCommit,
    key: &CellKey,
    decision: &Decision,
) -> Result<(), CoreError> {
    let decisions = root_map(doc, "decisions").ok_or(CoreError::NoDecisionsMap)?;
    reconcile_prop(doc, &decisions, key.encode().as_str(), decision)
        .map_err(|e| CoreError::Write(e.to_string()))
}
