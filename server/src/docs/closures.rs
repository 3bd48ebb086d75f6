//! Closures decided like everything else: when staff add a closure over days families
//! booked, those bookings are cancelled by the structure (not billed, the closure's label
//! as the reason, places released) through the reconciliation core. A removed closure
//! re-books nobody. Staff can ask beforehand how many bookings a new list would cancel.

use crate::AppState;
use crate::db::bookings::{self, HeldPlace};
use crate::docs::apply::FamilyDoc;
use crate::docs::redecide;
use crate::error::AppResult;
use cartable_domain::calendar::{ClosedReason, closure_on, paris_date, parse_date};
use cartable_domain::catalogue::{Catalogue, Closure};
use cartable_domain::ids::StructureId;
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::DecisionInputs;
use cartable_reconcile::redecide::{cancelled_by_closure, plan_closures};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a list of closures would do to the bookings made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClosuresPreview {
    /// Bookings that would be cancelled (from today on).
    pub cancelled_bookings: usize,
    /// Families that have at least one of them.
    pub families: usize,
    /// Per closure of the list, in its order.
    pub closures: Vec<ClosureImpact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosureImpact {
    pub label: String,
    pub from: String,
    pub to: String,
    pub cancelled_bookings: usize,
}

/// The bookings holding a place that `catalogue`'s closures cancel, from `today` on.
async fn cancelled(
    state: &AppState,
    structure_id: &StructureId,
    catalogue: &Catalogue,
    today: Date,
) -> AppResult<Vec<HeldPlace>> {
    let Some((from, to)) = span(&catalogue.closures, today) else {
        return Ok(Vec::new());
    };
    let held = bookings::holding_places(&state.db, structure_id, from, to).await?;
    Ok(held
        .into_iter()
        .filter(|h| cancelled_by_closure(catalogue, &h.key, today))
        .collect())
}

/// The days the closures cover from `today` on, as one range.
fn span(closures: &[Closure], today: Date) -> Option<(Date, Date)> {
    let days = closures
        .iter()
        .filter_map(|c| Some((parse_date(&c.from).ok()?, parse_date(&c.to).ok()?)));
    let (from, to) = days.fold(None, |acc: Option<(Date, Date)>, (f, t)| match acc {
        None => Some((f, t)),
        Some((a, b)) => Some((a.min(f), b.max(t))),
    })?;
    (to >= today).then_some((from.max(today), to))
}

/// How many bookings `closures` would cancel if they replaced the structure's list.
pub async fn preview(
    state: &AppState,
    structure_id: &StructureId,
    current: &Catalogue,
    closures: Vec<Closure>,
) -> AppResult<ClosuresPreview> {
    let today = paris_date(state.clock.now());
    let catalogue = Catalogue {
        closures,
        ..current.clone()
    };
    let cancelled = cancelled(state, structure_id, &catalogue, today).await?;
    let families: BTreeSet<_> = cancelled.iter().map(|h| &h.family_id).collect();
    let mut by_label: BTreeMap<String, usize> = BTreeMap::new();
    for h in &cancelled {
        if let Some(ClosedReason::Closure { label }) =
            closure_on(&catalogue, h.key.activity_id.as_str(), h.key.date)
        {
            *by_label.entry(label).or_default() += 1;
        }
    }
    Ok(ClosuresPreview {
        cancelled_bookings: cancelled.len(),
        families: families.len(),
        closures: catalogue
            .closures
            .iter()
            .map(|c| ClosureImpact {
                label: c.label.clone(),
                from: c.from.clone(),
                to: c.to.clone(),
                cancelled_bookings: by_label.remove(&c.label).unwrap_or(0),
            })
            .collect(),
    })
}

/// After the structure's catalogue changed (committed): cancels the bookings its closures
/// now cancel, one family planning at a time. Returns how many bookings were cancelled.
pub async fn apply(
    state: &AppState,
    structure_id: &StructureId,
    catalogue: &Catalogue,
) -> AppResult<usize> {
    let now = state.clock.now();
    let today = paris_date(now);
    let held = cancelled(state, structure_id, catalogue, today).await?;
    let plannings: BTreeSet<_> = held
        .iter()
        .map(|h| {
            (
                h.family_id.clone(),
                h.doc_id.clone(),
                SchoolYear::of(h.key.date),
            )
        })
        .collect();
    // Cancelling needs only the catalogue: closures come before every other rule.
    let inputs = DecisionInputs {
        catalogue: Arc::new(catalogue.clone()),
        dossier: Default::default(),
        valid_documents: Default::default(),
        overdue: None,
        now,
    };
    let mut cancelled = 0;
    for (family_id, doc_id, school_year) in &plannings {
        let at = FamilyDoc {
            structure_id,
            family_id,
            doc_id,
        };
        let effects = redecide::on_planning(state, at, *school_year, &inputs, |doc| {
            Ok(plan_closures(doc, catalogue, today))
        })
        .await?;
        cancelled += effects.decisions().count();
    }
    Ok(cancelled)
}

/// [`apply`] after staff's change is durable: a failure is logged, not returned (the
/// closures stand; the bookings are cancelled at the next change of the list). Returns how
/// many bookings were cancelled.
pub async fn after_change(
    state: &AppState,
    structure_id: &StructureId,
    catalogue: &Catalogue,
) -> usize {
    match apply(state, structure_id, catalogue).await {
        Ok(0) => 0,
        Ok(n) => {
            tracing::info!(%structure_id, bookings = n, "bookings cancelled by closures");
            n
        }
        Err(e) => {
            tracing::error!(error = %e, %structure_id, "bookings not cancelled by closures");
            0
        }
    }
}
