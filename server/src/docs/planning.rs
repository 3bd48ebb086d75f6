//! Planning documents on the server: deciding requests and projecting them.

use super::touched_keys;
use crate::db::projections;
use crate::error::AppError;
use automerge::{AutoCommit, ObjId, Patch, ROOT, ReadDoc};
use autosurgeon::{hydrate_prop, reconcile_prop};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::{BookingRequest, CellKey, Decision};
use cartable_domain::rules::{DecisionContext, decide};
use cartable_domain::school_year::SchoolYear;
use sqlx::AnyConnection;

/// What deciding needs beyond the document itself.
#[derive(Debug, Clone)]
pub struct DecisionInputs {
    pub catalogue: Catalogue,
    pub dossier: Dossier,
    pub now_ms: i64,
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

/// Decides every touched request whose current version has no decision yet, writes the
/// decisions into the document and projects the touched cells. Returns how many decisions
/// were written.
pub async fn decide_and_project(
    conn: &mut AnyConnection,
    doc_id: &str,
    family_id: &str,
    school_year: SchoolYear,
    doc: &mut AutoCommit,
    keys: &[String],
    inputs: &DecisionInputs,
) -> Result<usize, AppError> {
    let Some(requests) = map(doc, "requests") else {
        return Ok(0);
    };
    let Some(decisions) = map(doc, "decisions") else {
        return Err(AppError::internal("planning sans décisions"));
    };
    let ctx = DecisionContext {
        catalogue: &inputs.catalogue,
        dossier: &inputs.dossier,
        school_year,
        now_ms: inputs.now_ms,
    };
    let mut written = 0;
    for key in keys {
        let Ok(cell) = CellKey::decode(key) else {
            tracing::warn!(
                doc_id,
                key,
                "ignoring a request with an unreadable cell key"
            );
            continue;
        };
        let request: Option<BookingRequest> = match doc.get(&requests, key.as_str())? {
            Some(_) => match hydrate_prop(&*doc, &requests, key.as_str()) {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::warn!(doc_id, key, error = %e, "ignoring an unreadable request");
                    continue;
                }
            },
            None => None,
        };
        let Some(request) = request else {
            projections::delete_booking(conn, doc_id, &cell).await?;
            continue;
        };
        let existing: Option<Decision> =
            hydrate_prop(&*doc, &decisions, key.as_str()).ok().flatten();
        let decision = match existing {
            Some(d) if d.rev == request.rev => d,
            _ => {
                let d = decide(&ctx, &cell, &request);
                reconcile_prop(doc, &decisions, key.as_str(), &d)
                    .map_err(|e| AppError::internal(format!("écriture de décision : {e}")))?;
                written += 1;
                d
            }
        };
        projections::upsert_booking(conn, doc_id, family_id, &cell, &request, Some(&decision))
            .await?;
    }
    Ok(written)
}
