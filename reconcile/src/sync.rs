//! Reconciling a family's changes merged through sync, in two steps:
//!
//! 1. [`plan_sync`] right after the merge: writes back what the family may not write
//!    (compensation) and finds the requests to decide and the place counters they need;
//! 2. the server locks those counters in the order given and reads them;
//! 3. [`SyncPlan::decide`]: decides the requests (and absences) with the counters' values
//!    and returns the [`Effects`] to apply in the same transaction.

use crate::absences;
use crate::cells::{cell, request_keys};
use crate::compensation::{Protected, compensate};
use crate::effects::{BookingRow, Effects, Event, Rows, SheetRows};
use crate::error::CoreError;
use crate::inputs::DecisionInputs;
use crate::ledger::Ledger;
use crate::patches::{touched_keys, touches_root};
use crate::places::{Counts, PlaceKey};
use automerge::{AutoCommit, ChangeHash, Patch};
use cartable_domain::DocKind;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::{BookingRequest, CellKey, Decision, Outcome};
use cartable_domain::rules::decide_cell;
use cartable_domain::school_year::SchoolYear;
use std::collections::{BTreeMap, BTreeSet};

/// What a merge asks of the server, before any counter is locked.
#[derive(Debug)]
pub struct SyncPlan {
    kind: DocKind,
    patches: Vec<Patch>,
    compensated: Vec<String>,
    /// Touched cells, in key order, as read after compensation (nothing changes the
    /// document between the plan and the decisions: the server only locks counters).
    cells: Vec<TouchedCell>,
    counters: Vec<PlaceKey>,
}

/// A touched request key and what the document holds there.
#[derive(Debug)]
struct TouchedCell {
    key: String,
    request: Option<BookingRequest>,
    previous: Option<Decision>,
}

/// Step 1, after the family's changes were merged into `doc` (whose heads were `before`):
/// compensates forbidden writes (as the document's actor) and plans the decisions.
pub fn plan_sync(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    kind: DocKind,
) -> Result<SyncPlan, CoreError> {
    let after = doc.get_heads();
    let patches = doc.diff(before, &after);
    plan_sync_with(doc, before, kind, patches)
}

/// [`plan_sync`] given the merge's patches (`doc.diff(before, heads)`), for a caller that
/// already computed them (the server checks them before anything else).
pub fn plan_sync_with(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    kind: DocKind,
    patches: Vec<Patch>,
) -> Result<SyncPlan, CoreError> {
    let protected = if kind.read_only_for_families() {
        Protected::All
    } else {
        Protected::Keys(kind.server_only_keys())
    };
    let compensated = compensate(doc, before, &patches, protected)?;
    let keys = match kind {
        DocKind::Planning => match touched_keys(&patches, "requests") {
            Some(keys) => keys.into_iter().collect(),
            None => request_keys(doc),
        },
        DocKind::Dossier | DocKind::Catalogue | DocKind::Ledger => Vec::new(),
    };
    let cells: Vec<TouchedCell> = keys
        .into_iter()
        .map(|key| {
            let (request, previous) = cell(doc, &key);
            TouchedCell {
                key,
                request,
                previous,
            }
        })
        .collect();
    let counters = counters_for(&cells);
    Ok(SyncPlan {
        kind,
        patches,
        compensated,
        cells,
        counters,
    })
}

/// The counters deciding `cells` may move: cells whose current request is not decided yet,
/// and removed requests whose decision held a place. Sorted, without duplicates.
fn counters_for(cells: &[TouchedCell]) -> Vec<PlaceKey> {
    let mut out = BTreeSet::new();
    for c in cells {
        let Ok(cell_key) = CellKey::decode(&c.key) else {
            continue;
        };
        let needed = match (&c.request, &c.previous) {
            (Some(request), previous) => previous.as_ref().is_none_or(|d| d.rev != request.rev),
            (None, previous) => previous.as_ref().is_some_and(Decision::holds_place),
        };
        if needed {
            out.insert(PlaceKey::of(&cell_key));
        }
    }
    out.into_iter().collect()
}

/// The rules a planning is decided with.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub inputs: &'a DecisionInputs,
    pub school_year: SchoolYear,
}

impl SyncPlan {
    /// The place counters to lock, in this order, before [`SyncPlan::decide`].
    pub fn counters(&self) -> &[PlaceKey] {
        &self.counters
    }

    /// The merge's patches (from the heads before to the heads after the family's changes).
    pub fn patches(&self) -> &[Patch] {
        &self.patches
    }

    /// Paths written back so far.
    pub fn compensated(&self) -> &[String] {
        &self.compensated
    }

    /// Step 3: decides with the locked counters' values. `rules` is needed for plannings
    /// (without it nothing is decided, and the touched cells are only projected).
    pub fn decide(
        self,
        doc: &mut AutoCommit,
        rules: Option<Rules<'_>>,
        counts: &Counts,
    ) -> Result<Effects, CoreError> {
        let mut ledger = Ledger::new(counts);
        match self.kind {
            DocKind::Planning => {
                decide_requests(doc, self.cells, rules, &mut ledger)?;
                if let Some(rules) = rules {
                    let keys = match touched_keys(&self.patches, "absences") {
                        Some(keys) => keys.into_iter().collect(),
                        None => absence_keys(doc),
                    };
                    if !keys.is_empty() {
                        ledger.effects.absences = absences::decide(doc, &keys, rules.inputs)?;
                    }
                }
            }
            DocKind::Dossier => {
                ledger.effects.sheets = Some(sheet_rows(doc, &self.patches)?);
                ledger.effects.submitted = touches_root(&self.patches, "submission");
            }
            DocKind::Catalogue | DocKind::Ledger => {}
        }
        ledger.effects.compensated = self.compensated;
        Ok(ledger.effects)
    }
}

fn absence_keys(doc: &AutoCommit) -> Vec<String> {
    use automerge::ReadDoc;
    crate::cells::root_map(doc, "absences")
        .map(|a| doc.keys(&a).collect())
        .unwrap_or_default()
}

/// Decides every touched request whose current version has no decision yet, in key order.
fn decide_requests(
    doc: &mut AutoCommit,
    cells: Vec<TouchedCell>,
    rules: Option<Rules<'_>>,
    ledger: &mut Ledger,
) -> Result<(), CoreError> {
    let ctx = rules.map(|r| r.inputs.context(r.school_year));
    for TouchedCell {
        key,
        request,
        previous,
    } in cells
    {
        let Ok(cell_key) = CellKey::decode(&key) else {
            ledger.effects.unreadable_keys.push(key);
            continue;
        };
        let Some(request) = request else {
            // A removed request releases the place its decision held.
            if previous.is_some_and(|d| d.holds_place()) {
                ledger.moved(&cell_key, -1);
            }
            ledger
                .effects
                .bookings
                .push(BookingRow::Delete { key: cell_key });
            continue;
        };
        let decided = previous.as_ref().is_some_and(|d| d.rev == request.rev);
        let Some(ctx) = ctx.as_ref().filter(|_| !decided) else {
            ledger.unchanged(&cell_key, &request, previous);
            continue;
        };
        let others = ledger.taken_by_others(&cell_key, previous.as_ref());
        let decision: Decision = decide_cell(ctx, &cell_key, &request, previous.as_ref(), others);
        if decision.outcome == Outcome::Refused
            && let Some(cause) = decision.cause
        {
            ledger.effects.events.push(Event::BookingRefused {
                key: cell_key.clone(),
                cause,
            });
        }
        ledger.record(doc, &cell_key, &request, previous.as_ref(), decision)?;
    }
    Ok(())
}

/// The dossier's sheets to project: the touched ones, or all when a map was replaced.
fn sheet_rows(doc: &AutoCommit, patches: &[Patch]) -> Result<SheetRows, CoreError> {
    let children = touched_keys(patches, "children");
    let adults = touched_keys(patches, "adults");
    if children.as_ref().is_some_and(BTreeSet::is_empty)
        && adults.as_ref().is_some_and(BTreeSet::is_empty)
    {
        return Ok(SheetRows::default());
    }
    let dossier: Dossier =
        autosurgeon::hydrate(doc).map_err(|e| CoreError::Unreadable(e.to_string()))?;
    Ok(SheetRows {
        children: rows(children, &dossier.children),
        adults: rows(adults, &dossier.adults),
    })
}

fn rows<T: Clone>(touched: Option<BTreeSet<String>>, sheets: &BTreeMap<String, T>) -> Rows<T> {
    match touched {
        Some(keys) => Rows::Changed(
            keys.into_iter()
                .map(|k| {
                    let sheet = sheets.get(&k).cloned();
                    (k, sheet)
                })
                .collect(),
        ),
        None => Rows::All(sheets.clone()),
    }
}
