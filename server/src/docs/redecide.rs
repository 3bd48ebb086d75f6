//! Decisions the structure takes again on a family's planning, through the reconciliation
//! core (`cartable_reconcile::redecide`): after staff approve the dossier or accept a
//! document, after the family paid an overdue invoice, after a closure is added, and staff
//! overrides.
//!
//! Each planning is one write: the document locked, the counters the core names locked in
//! its order, the core's effects applied, committed.

use crate::AppState;
use crate::db::{documents, supporting};
use crate::docs::apply::{self, FamilyDoc};
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use automerge::AutoCommit;
use cartable_domain::DocKind;
use cartable_domain::calendar::paris_date;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::{DocumentId, FamilyId, StructureId};
use cartable_domain::ledger::Ledger;
use cartable_domain::rules::OverdueInvoice;
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::redecide::RedecisionPlan;
use cartable_reconcile::{DecisionInputs, Effects, Redecision};
use std::sync::Arc;

/// The rules' inputs for a family now: its structure's catalogue, its dossier, its valid
/// documents, its overdue invoice. `None` when the family has no dossier or its structure no catalogue.
pub async fn inputs(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &FamilyId,
) -> AppResult<Option<(DecisionInputs, Vec<documents::DocRow>)>> {
    let rows = {
        let mut conn = state.db.pool.acquire().await?;
        documents::of_family(&mut conn, structure_id, family_id).await?
    };
    let Some(dossier_row) = rows.iter().find(|r| r.kind == DocKind::Dossier) else {
        return Ok(None);
    };
    let catalogue = match catalogue::read(state, structure_id).await {
        Ok(c) => c,
        // A structure without a catalogue has no activity to book.
        Err(e) if e.code() == cartable_domain::api::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let dossier: Arc<Dossier> = state.docs.read_shared(&dossier_row.id, None).await?;
    let now = state.clock.now();
    let today = paris_date(now).to_string();
    let valid_documents = supporting::valid_kinds(&state.db, family_id, &today).await?;
    let ledger = rows.iter().find(|r| r.kind == DocKind::Ledger);
    let overdue = overdue_invoice(state, &catalogue, ledger, now).await?;
    let inputs = DecisionInputs {
        catalogue: Arc::new(catalogue),
        dossier,
        valid_documents,
        overdue,
        now,
    };
    Ok(Some((inputs, rows)))
}

/// The family's invoice that blocks new bookings now, read from its ledger document only
/// when the structure blocks bookings for unpaid invoices.
pub async fn overdue_invoice(
    state: &AppState,
    catalogue: &Catalogue,
    ledger: Option<&documents::DocRow>,
    now: jiff::Timestamp,
) -> AppResult<Option<OverdueInvoice>> {
    if catalogue.billing.block_bookings_when_overdue.is_none() {
        return Ok(None);
    }
    let Some(row) = ledger else {
        return Ok(None);
    };
    let ledger: Ledger = state.docs.read(&row.id).await?;
    Ok(OverdueInvoice::blocking(
        catalogue,
        &ledger,
        paris_date(now),
    ))
}

/// Runs one re-decision on one planning: `plan` picks the cells from the document as it is
/// under the write lock (and may first write requests of the structure's own). Returns how many decisions were written.
pub async fn on_planning(
    state: &AppState,
    at: FamilyDoc<'_>,
    school_year: SchoolYear,
    inputs: &DecisionInputs,
    plan: impl FnOnce(&mut AutoCommit) -> AppResult<RedecisionPlan>,
) -> AppResult<Effects> {
    let mut write = state.docs.begin_write(&state.db, at.doc_id).await?;
    let plan = plan(write.doc()?)?;
    if plan.is_empty() {
        return Ok(Effects::default());
    }
    let counts = write
        .lock_counters(at.structure_id, plan.counters())
        .await?;
    let effects = plan.decide(write.doc()?, inputs, school_year, &counts)?;
    write
        .move_counters(at.structure_id, &effects.places)
        .await?;
    let (mut conn, _) = write.conn_parts().await?;
    apply::apply(&mut conn, at, None, &effects, inputs.now.as_millisecond()).await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(effects)
}

/// Decides again the family's refused bookings that its file was the reason for. Returns how
/// many decisions changed.
///
/// Called after staff's answer is committed: a failure here leaves the answer standing and is
/// logged by [`after_review`].
pub async fn family_file_refusals(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &FamilyId,
) -> AppResult<usize> {
    refusals(state, structure_id, family_id, Redecision::FamilyFile).await
}

/// Decides again, on every planning of the family, the refusals whose cause `why` lifts
/// ([`cartable_reconcile::redecide::plan_refusals`]).
async fn refusals(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &FamilyId,
    why: Redecision,
) -> AppResult<usize> {
    let Some((inputs, rows)) = inputs(state, structure_id, family_id).await? else {
        return Ok(0);
    };
    let today = paris_date(inputs.now);
    let mut changed = 0;
    for row in rows.iter().filter(|r| r.kind == DocKind::Planning) {
        let Some(year) = row.school_year else {
            continue;
        };
        let at = FamilyDoc {
            structure_id,
            family_id,
            doc_id: &row.id,
        };
        let effects = on_planning(state, at, year, &inputs, |doc| {
            Ok(cartable_reconcile::redecide::plan_refusals(doc, why, today))
        })
        .await?;
        changed += effects.decisions().count();
    }
    Ok(changed)
}

/// Decides again the family's bookings refused for an unpaid invoice (after a payment or a
/// credit note). Returns how many decisions changed.
pub async fn unpaid_invoice_refusals(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &FamilyId,
) -> AppResult<usize> {
    refusals(state, structure_id, family_id, Redecision::Payment).await
}

/// [`unpaid_invoice_refusals`] after a committed payment: a failure is logged, not returned.
pub async fn after_payment(state: &AppState, structure_id: &StructureId, family_id: &FamilyId) {
    match unpaid_invoice_refusals(state, structure_id, family_id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            %family_id,
            decisions = n,
            "bookings decided again after payment"
        ),
        Err(e) => {
            tracing::error!(error = %e, %family_id, "bookings not decided again after payment")
        }
    }
}

/// [`family_file_refusals`] after a staff answer that is already durable: its failure is
/// logged, not returned, so staff are not told their answer failed. The bookings concerned
/// are decided again at the next approval or accepted document.
pub async fn after_review(state: &AppState, structure_id: &StructureId, family_id: &FamilyId) {
    match family_file_refusals(state, structure_id, family_id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            %family_id,
            decisions = n,
            "bookings decided again after review"
        ),
        Err(e) => {
            tracing::error!(error = %e, %family_id, "bookings not decided again after review")
        }
    }
}

/// The planning of `family_id` for `school_year`, or 404.
pub async fn planning_of(
    state: &AppState,
    family_id: &FamilyId,
    school_year: SchoolYear,
) -> AppResult<DocumentId> {
    let mut conn = state.db.pool.acquire().await?;
    documents::family_document(&mut conn, family_id, DocKind::Planning, Some(school_year))
        .await?
        .map(|row| row.id)
        .ok_or_else(AppError::not_found)
}
