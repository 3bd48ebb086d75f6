//! Decisions the structure takes again after the fact, on a family's planning:
//!
//! - after staff approve the dossier or accept a document: bookings refused only because of
//!   the family's file ([`RefusalCause::follows_family_file`]) are decided again, with the
//!   deadlines judged at the instant of the first decision (the family booked in time, the
//!   review took a while) and places counted now;
//! - after a payment or a credit note: bookings refused for an unpaid invoice
//!   ([`RefusalCause::follows_payment`]) are decided again the same way;
//! - after a closure is added: bookings holding a place on a day it closes are cancelled by
//!   the structure, not billed, with the closure's label as the reason. A closure removed
//!   re-books nobody: a cancelled booking stays cancelled until the family asks again;
//! - a staff override of one cell, with staff's reason.
//!
//! Days before `today` (Europe/Paris) stay as they were. Each works in two steps like sync:
//! a plan naming the counters to lock, then the decisions with their values.

use crate::cells::{cell, request_keys};
use crate::effects::{Effects, Event, Redecision};
use crate::error::CoreError;
use crate::inputs::DecisionInputs;
use crate::ledger::Ledger;
use crate::places::{Counts, PlaceKey};
use automerge::AutoCommit;
use cartable_domain::calendar::{ClosedReason, closure_on};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::planning::{BookingRequest, CellKey, Decision, Outcome};
use cartable_domain::refusal::RefusalCause;
use cartable_domain::rules::decide_cell;
use cartable_domain::school_year::SchoolYear;
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::BTreeSet;

/// Cells to decide again and the counters they need.
#[derive(Debug, Clone)]
pub struct RedecisionPlan {
    why: Redecision,
    cells: Vec<(CellKey, BookingRequest, Option<Decision>)>,
    counters: Vec<PlaceKey>,
    staff: Option<StaffDecision>,
}

/// What a member of staff decided for one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffDecision {
    pub outcome: Outcome,
    /// Staff's reason, shown to the family (with "(décision de la structure)").
    pub reason: String,
}

impl RedecisionPlan {
    fn new(why: Redecision, cells: Vec<(CellKey, BookingRequest, Option<Decision>)>) -> Self {
        let counters: BTreeSet<PlaceKey> = cells.iter().map(|(k, _, _)| PlaceKey::of(k)).collect();
        Self {
            why,
            cells,
            counters: counters.into_iter().collect(),
            staff: None,
        }
    }

    /// The place counters to lock, in this order, before deciding.
    pub fn counters(&self) -> &[PlaceKey] {
        &self.counters
    }

    /// The cells concerned, in key order.
    pub fn cells(&self) -> impl Iterator<Item = &CellKey> {
        self.cells.iter().map(|(k, _, _)| k)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Decides the cells again with the locked counters' values. `inputs` are the rules'
    /// inputs now (the catalogue with the new closure, the dossier as approved…).
    pub fn decide(
        self,
        doc: &mut AutoCommit,
        inputs: &DecisionInputs,
        school_year: SchoolYear,
        counts: &Counts,
    ) -> Result<Effects, CoreError> {
        let mut ledger = Ledger::new(counts);
        let now = inputs.now;
        for (key, request, previous) in &self.cells {
            let previous = previous.as_ref();
            let decision = match (self.why, &self.staff, previous) {
                (Redecision::FamilyFile | Redecision::Payment, _, Some(previous)) => {
                    lifted_refusal(inputs, school_year, &ledger, key, request, previous)
                }
                (Redecision::FamilyFile | Redecision::Payment | Redecision::Closure, _, None) => {
                    None
                }
                (Redecision::Closure, _, Some(_)) => closure(&inputs.catalogue, key, request, now),
                (Redecision::Override, Some(staff), _) => Some(Decision {
                    rev: request.rev.clone(),
                    outcome: staff.outcome,
                    reason: Some(format!("{} (décision de la structure)", staff.reason)),
                    cause: Some(RefusalCause::StaffDecision),
                    decided_at_ms: now.as_millisecond(),
                }),
                (Redecision::Override, None, _) => None,
                (Redecision::Recorded, _, _) => Some(Decision {
                    rev: request.rev.clone(),
                    outcome: Outcome::Accepted,
                    reason: None,
                    cause: None,
                    decided_at_ms: now.as_millisecond(),
                }),
            };
            let Some(decision) = decision else {
                continue;
            };
            let before = previous.map(|p| p.outcome);
            if self.why != Redecision::Recorded
                && (before != Some(decision.outcome)
                    || decision.reason != previous.and_then(|p| p.reason.clone()))
            {
                ledger.effects.events.push(Event::BookingRedecided {
                    key: key.clone(),
                    before,
                    after: decision.outcome,
                    cause: decision.cause,
                    why: self.why,
                });
            }
            ledger.record(doc, key, request, previous, decision)?;
        }
        Ok(ledger.effects)
    }
}

/// The family's refused bookings that its file was the reason for, from `today` on.
pub fn plan_family_file(doc: &AutoCommit, today: Date) -> RedecisionPlan {
    plan_refusals(doc, Redecision::FamilyFile, today)
}

/// The family's refused bookings, from `today` on, whose cause `why` may lift: the family's
/// file ([`RefusalCause::follows_family_file`]) after a review, an unpaid invoice
/// ([`RefusalCause::follows_payment`]) after a payment. Closures and overrides have their
/// own plans: for them, no cell is picked.
pub fn plan_refusals(doc: &AutoCommit, why: Redecision, today: Date) -> RedecisionPlan {
    let lifted: fn(RefusalCause) -> bool = match why {
        Redecision::FamilyFile => RefusalCause::follows_family_file,
        Redecision::Payment => RefusalCause::follows_payment,
        Redecision::Closure | Redecision::Override | Redecision::Recorded => |_| false,
    };
    let cells = standing_cells(doc, today, |request, decision| {
        request.wanted
            && decision.rev == request.rev
            && decision.outcome == Outcome::Refused
            && decision.cause.is_some_and(lifted)
    });
    RedecisionPlan::new(why, cells)
}

/// The bookings holding a place, from `today` on, on a day `catalogue`'s closures close.
pub fn plan_closures(doc: &AutoCommit, catalogue: &Catalogue, today: Date) -> RedecisionPlan {
    let mut cells = Vec::new();
    for key in request_keys(doc) {
        let Ok(cell_key) = CellKey::decode(&key) else {
            continue;
        };
        if !cancelled_by_closure(catalogue, &cell_key, today) {
            continue;
        }
        if let (Some(request), Some(decision)) = cell(doc, &key)
            && decision.holds_place()
        {
            cells.push((cell_key, request, Some(decision)));
        }
    }
    RedecisionPlan::new(Redecision::Closure, cells)
}

/// Staff's decision for one cell (any day: staff may correct the past). Fails when the
/// family never asked anything for that cell.
pub fn plan_override(
    doc: &AutoCommit,
    key: &CellKey,
    staff: StaffDecision,
) -> Result<RedecisionPlan, CoreError> {
    let (Some(request), previous) = cell(doc, &key.encode()) else {
        return Err(CoreError::NoRequest);
    };
    let mut plan =
        RedecisionPlan::new(Redecision::Override, vec![(key.clone(), request, previous)]);
    plan.staff = Some(staff);
    Ok(plan)
}

/// Bookings recorded as accepted on the structure's word, for the cells of `keys` whose
/// current request asks for a place (bookings taken before the structure used Cartable):
/// no rule is checked, places are counted like any decision.
pub fn plan_recorded(doc: &AutoCommit, keys: &[CellKey]) -> RedecisionPlan {
    let cells = keys
        .iter()
        .filter_map(|key| match cell(doc, &key.encode()) {
            (Some(request), previous) if request.wanted => Some((key.clone(), request, previous)),
            _ => None,
        })
        .collect();
    RedecisionPlan::new(Redecision::Recorded, cells)
}

fn standing_cells(
    doc: &AutoCommit,
    today: Date,
    keep: impl Fn(&BookingRequest, &Decision) -> bool,
) -> Vec<(CellKey, BookingRequest, Option<Decision>)> {
    let mut cells = Vec::new();
    for key in request_keys(doc) {
        let Ok(cell_key) = CellKey::decode(&key) else {
            continue;
        };
        if cell_key.date < today {
            continue;
        }
        if let (Some(request), Some(decision)) = cell(doc, &key)
            && keep(&request, &decision)
        {
            cells.push((cell_key, request, Some(decision)));
        }
    }
    cells
}

/// A refusal whose cause was lifted (the family's file, an unpaid invoice) decided again:
/// deadlines judged when it was first decided, places counted now. `None` when nothing
/// changes.
fn lifted_refusal(
    inputs: &DecisionInputs,
    school_year: SchoolYear,
    ledger: &Ledger,
    key: &CellKey,
    request: &BookingRequest,
    previous: &Decision,
) -> Option<Decision> {
    let then = Timestamp::from_millisecond(previous.decided_at_ms).unwrap_or(inputs.now);
    let ctx = inputs.context(school_year).at(then);
    let others = ledger.taken_by_others(key, Some(previous));
    let mut decision = decide_cell(&ctx, key, request, None, others);
    if decision.outcome == previous.outcome && decision.reason == previous.reason {
        return None;
    }
    decision.decided_at_ms = inputs.now.as_millisecond();
    Some(decision)
}

/// A booking on a day a closure now closes: cancelled by the structure, never billed.
fn closure(
    catalogue: &Catalogue,
    key: &CellKey,
    request: &BookingRequest,
    now: Timestamp,
) -> Option<Decision> {
    let Some(ClosedReason::Closure { label }) =
        closure_on(catalogue, key.activity_id.as_str(), key.date)
    else {
        return None;
    };
    Some(Decision {
        rev: request.rev.clone(),
        outcome: Outcome::Cancelled,
        reason: Some(format!("Annulé par la structure : {label}")),
        cause: Some(RefusalCause::Closure),
        decided_at_ms: now.as_millisecond(),
    })
}

/// True when a booking of `key` holding a place is cancelled by `catalogue`'s closures:
/// a day from `today` on that a closure (not a weekday or a holiday) closes. The staff's
/// preview of a new closure counts with it, and [`plan_closures`] picks with it.
pub fn cancelled_by_closure(catalogue: &Catalogue, key: &CellKey, today: Date) -> bool {
    key.date >= today
        && matches!(
            closure_on(catalogue, key.activity_id.as_str(), key.date),
            Some(ClosedReason::Closure { .. })
        )
}
