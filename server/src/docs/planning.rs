//! Planning documents on the server: deciding requests, counting places, projecting cells.

use super::touched_keys;
use crate::db::{Db, places, projections};
use crate::error::AppError;
use automerge::{AutoCommit, ObjId, Patch, ROOT, ReadDoc};
use autosurgeon::{hydrate_prop, reconcile_prop};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::{BookingRequest, CellKey, Decision};
use cartable_domain::rules::{DecisionContext, decide_cell, place_delta, takes_place};
use cartable_domain::school_year::SchoolYear;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

/// What deciding needs beyond the document itself.
#[derive(Debug, Clone)]
pub struct DecisionInputs {
    pub catalogue: std::sync::Arc<Catalogue>,
    pub dossier: Dossier,
    /// Kinds of supporting document currently valid for the family.
    pub valid_documents: BTreeSet<String>,
    pub now: jiff::Timestamp,
    /// The family's unpaid invoice blocking new bookings, when the structure blocks them.
    pub overdue: Option<cartable_domain::rules::OverdueInvoice>,
}

/// Where a planning lives.
#[derive(Debug, Clone, Copy)]
pub struct PlanningRef<'a> {
    pub db: &'a Db,
    pub structure_id: &'a str,
    pub family_id: &'a str,
    pub doc_id: &'a str,
}

fn map(doc: &AutoCommit, key: &str) -> Option<ObjId> {
    doc.get(ROOT, key).ok().flatten().map(|(_, id)| id)
}

/// Request keys that `patches` touched (every request when `None` or when the requests map
/// itself was replaced).
pub fn touched_requests(doc: &AutoCommit, patches: Option<&[Patch]>) -> Vec<String> {
    match patches.and_then(|p| touched_keys(p, "requests")) {
        Some(keys) => keys.into_iter().collect(),
        None => map(doc, "requests")
            .map(|r| doc.keys(&r).collect())
            .unwrap_or_default(),
    }
}

/// The request and decision stored at `key`.
pub fn cell(
    doc: &AutoCommit,
    key: &str,
) -> Result<(Option<BookingRequest>, Option<Decision>), AppError> {
    let request = match map(doc, "requests") {
        Some(requests) if doc.get(&requests, key)?.is_some() => {
            hydrate_prop(doc, &requests, key).ok()
        }
        _ => None,
    };
    let decision = map(doc, "decisions").and_then(|d| hydrate_prop(doc, &d, key).ok().flatten());
    Ok((request, decision))
}

/// Writes `decision` for the request at `key`, moves the place counter accordingly and
/// projects the cell. `previous` is the decision that stood before.
pub async fn record_decision(
    conn: &mut AnyConnection,
    at: PlanningRef<'_>,
    doc: &mut AutoCommit,
    cell_key: &CellKey,
    request: &BookingRequest,
    previous: Option<&Decision>,
    decision: &Decision,
) -> Result<(), AppError> {
    let decisions =
        map(doc, "decisions").ok_or_else(|| AppError::internal("planning sans décisions"))?;
    reconcile_prop(doc, &decisions, cell_key.encode().as_str(), decision)
        .map_err(|e| AppError::internal(format!("écriture de décision : {e}")))?;
    let delta = place_delta(previous.map(|d| d.outcome), decision.outcome);
    if delta != 0 {
        let day = cell_key.date.to_string();
        places::add(
            conn,
            at.structure_id,
            &cell_key.activity_id,
            &day,
            i64::from(delta),
        )
        .await?;
    }
    projections::upsert_booking(
        conn,
        at.doc_id,
        at.family_id,
        cell_key,
        request,
        Some(decision),
    )
    .await?;
    Ok(())
}

/// Places of the cell's activity and day taken by other cells, counted under the counter's
/// lock (held until the transaction ends, so decisions of one day follow arrival order).
/// `previous` is the cell's standing decision: its own place is not counted.
pub async fn places_taken_by_others(
    conn: &mut AnyConnection,
    at: PlanningRef<'_>,
    cell_key: &CellKey,
    previous: Option<&Decision>,
) -> Result<u32, AppError> {
    let day = cell_key.date.to_string();
    let taken = places::lock(conn, at.db, at.structure_id, &cell_key.activity_id, &day).await?;
    let own = i64::from(previous.is_some_and(|d| takes_place(d.outcome)));
    Ok(u32::try_from((taken - own).max(0)).unwrap_or(u32::MAX))
}

/// Decides every touched request whose current version has no decision yet, in key order,
/// and projects the touched cells. Returns how many decisions were written.
pub async fn decide_and_project(
    conn: &mut AnyConnection,
    at: PlanningRef<'_>,
    school_year: SchoolYear,
    doc: &mut AutoCommit,
    keys: &[String],
    inputs: &DecisionInputs,
) -> Result<usize, AppError> {
    let ctx = DecisionContext::new(&inputs.catalogue, &inputs.dossier, school_year, inputs.now)
        .with_documents(&inputs.valid_documents)
        .with_overdue(inputs.overdue.as_ref());
    let mut written = 0;
    for key in keys {
        let Ok(cell_key) = CellKey::decode(key) else {
            tracing::warn!(
                doc_id = at.doc_id,
                key,
                "ignoring a request with an unreadable cell key"
            );
            continue;
        };
        let (request, previous) = cell(doc, key)?;
        let Some(request) = request else {
            projections::delete_booking(conn, at.doc_id, &cell_key).await?;
            continue;
        };
        if previous.as_ref().is_some_and(|d| d.rev == request.rev) {
            projections::upsert_booking(
                conn,
                at.doc_id,
                at.family_id,
                &cell_key,
                &request,
                previous.as_ref(),
            )
            .await?;
            continue;
        }
        let others = places_taken_by_others(conn, at, &cell_key, previous.as_ref()).await?;
        let decision = decide_cell(&ctx, &cell_key, &request, previous.as_ref(), others);
        record_decision(
            conn,
            at,
            doc,
            &cell_key,
            &request,
            previous.as_ref(),
            &decision,
        )
        .await?;
        written += 1;
    }
    Ok(written)
}
