//! Bookings refused only because of the family's file (dossier not approved yet, a document
//! missing or expired) are decided again once staff approve the dossier or accept a document;
//! bookings refused for an unpaid invoice, once the family paid.
//!
//! Deadlines are judged at the instant the server first received the request (the refusal's
//! own time, the server's clock), so a family that booked in time is not penalised for the
//! review's delay; places are counted now, in the usual order. Days before today stay as
//! they were.

use crate::AppState;
use crate::db::{documents, supporting};
use crate::docs::catalogue;
use crate::docs::planning::{PlanningRef, cell, places_taken_by_others, record_decision};
use crate::error::AppResult;
use cartable_domain::DocKind;
use cartable_domain::calendar::paris_date;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::{CellKey, Outcome};
use cartable_domain::rules::{
    DecisionContext, OverdueInvoice, decide_cell, refused_for_family_file,
    refused_for_unpaid_invoice,
};
use cartable_domain::school_year::SchoolYear;

/// Decides again the family's refused bookings that its file was the reason for. Returns how
/// many decisions changed.
///
/// Called after staff's answer is committed: a failure here leaves the answer standing and is
/// logged by [`after_review`].
pub async fn family_file_refusals(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
) -> AppResult<usize> {
    refusals_matching(state, structure_id, family_id, refused_for_family_file).await
}

/// Decides again the family's bookings refused for an unpaid invoice (after a payment or a
/// credit note). Returns how many decisions changed.
pub async fn unpaid_invoice_refusals(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
) -> AppResult<usize> {
    refusals_matching(state, structure_id, family_id, refused_for_unpaid_invoice).await
}

/// [`unpaid_invoice_refusals`] after a committed payment: a failure is logged, not returned.
pub async fn after_payment(state: &AppState, structure_id: &str, family_id: &str) {
    match unpaid_invoice_refusals(state, structure_id, family_id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            family_id,
            decisions = n,
            "bookings decided again after payment"
        ),
        Err(e) => {
            tracing::error!(error = %e, family_id, "bookings not decided again after payment")
        }
    }
}

async fn refusals_matching(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
    refused_for: fn(&str) -> bool,
) -> AppResult<usize> {
    let rows = {
        let mut conn = state.db.pool.acquire().await?;
        documents::of_family(&mut conn, structure_id, family_id).await?
    };
    let Some(dossier_row) = rows.iter().find(|r| r.kind == DocKind::Dossier.code()) else {
        return Ok(0);
    };
    let catalogue = match catalogue::read(state, structure_id).await {
        Ok(c) => c,
        // A structure without a catalogue has no activity to book.
        Err(e) if e.code() == cartable_domain::api::ErrorCode::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let dossier: Dossier = state.docs.read(&dossier_row.id).await?;
    let now = state.clock.now();
    let today = paris_date(now);
    let valid_documents = supporting::valid_kinds(&state.db, family_id, &today.to_string()).await?;
    let overdue = match rows.iter().find(|r| r.kind == DocKind::Ledger.code()) {
        Some(row) if catalogue.billing.block_bookings_when_overdue.is_some() => {
            let ledger: cartable_domain::ledger::Ledger = state.docs.read(&row.id).await?;
            OverdueInvoice::blocking(&catalogue, &ledger, today)
        }
        _ => None,
    };
    let mut changed = 0;
    for row in rows.iter().filter(|r| r.kind == DocKind::Planning.code()) {
        let Some(year) = row
            .school_year
            .as_deref()
            .and_then(|y| y.parse::<SchoolYear>().ok())
        else {
            continue;
        };
        let at = PlanningRef {
            db: &state.db,
            structure_id,
            family_id,
            doc_id: &row.id,
        };
        let mut write = state.docs.begin_write(&state.db, &row.id).await?;
        let (conn, doc) = write.parts()?;
        let keys: Vec<String> = crate::docs::planning::touched_requests(doc, None);
        for key in keys {
            let Ok(cell_key) = CellKey::decode(&key) else {
                continue;
            };
            if cell_key.date < today {
                continue;
            }
            let (Some(request), Some(previous)) = cell(doc, &key)? else {
                continue;
            };
            let refused_for_file = previous.outcome == Outcome::Refused
                && previous.rev == request.rev
                && request.wanted
                && previous.reason.as_deref().is_some_and(refused_for);
            if !refused_for_file {
                continue;
            }
            let then = jiff::Timestamp::from_millisecond(previous.decided_at_ms).unwrap_or(now);
            let ctx = DecisionContext::new(&catalogue, &dossier, year, then)
                .with_documents(&valid_documents)
                .with_overdue(overdue.as_ref());
            let others = places_taken_by_others(conn, at, &cell_key, Some(&previous)).await?;
            let mut decision = decide_cell(&ctx, &cell_key, &request, None, others);
            if decision.outcome == previous.outcome && decision.reason == previous.reason {
                continue;
            }
            decision.decided_at_ms = now.as_millisecond();
            record_decision(
                conn,
                at,
                doc,
                &cell_key,
                &request,
                Some(&previous),
                &decision,
            )
            .await?;
            changed += 1;
        }
        write.commit(state.settings.compaction_threshold).await?;
    }
    Ok(changed)
}

/// [`family_file_refusals`] after a staff answer that is already durable: its failure is
/// logged, not returned, so staff are not told their answer failed. The bookings concerned
/// are decided again at the next approval or accepted document.
pub async fn after_review(state: &AppState, structure_id: &str, family_id: &str) {
    match family_file_refusals(state, structure_id, family_id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            family_id,
            decisions = n,
            "bookings decided again after review"
        ),
        Err(e) => tracing::error!(error = %e, family_id, "bookings not decided again after review"),
    }
}
