//! Recording one decision: written into the document, its place counted, its projection
//! row and event noted. Every path that decides (sync, re-decisions, overrides) goes
//! through here, so counters move the same way whoever decided.

use crate::cells::write_decision;
use crate::effects::{BookingRow, Effects};
use crate::error::CoreError;
use crate::places::{Counts, PlaceKey};
use automerge::AutoCommit;
use cartable_domain::planning::{BookingRequest, CellKey, Decision};
use cartable_domain::rules::place_delta;

/// The counters handed in, kept current as decisions move them.
#[derive(Debug)]
pub(crate) struct Ledger {
    counts: Counts,
    pub(crate) effects: Effects,
}

impl Ledger {
    pub(crate) fn new(counts: &Counts) -> Self {
        Self {
            counts: counts.clone(),
            effects: Effects::default(),
        }
    }

    /// Places of the cell's day taken by other cells: the counter minus the cell's own
    /// place when its standing decision holds one.
    pub(crate) fn taken_by_others(&self, key: &CellKey, previous: Option<&Decision>) -> u32 {
        let taken = self.counts.get(&PlaceKey::of(key)).copied().unwrap_or(0);
        let own = i64::from(previous.is_some_and(Decision::holds_place));
        u32::try_from((taken - own).max(0)).unwrap_or(u32::MAX)
    }

    /// Writes `decision` for the cell and moves its counter from `previous`.
    pub(crate) fn record(
        &mut self,
        doc: &mut AutoCommit,
        key: &CellKey,
        request: &BookingRequest,
        previous: Option<&Decision>,
        decision: Decision,
    ) -> Result<(), CoreError> {
        write_decision(doc, key, &decision)?;
        let delta = i64::from(place_delta(previous.map(|d| d.outcome), decision.outcome));
        self.moved(key, delta);
        self.effects.bookings.push(BookingRow::Upsert {
            key: key.clone(),
            request: request.clone(),
            decision: Some(decision),
            decided: true,
        });
        Ok(())
    }

    /// Moves the cell's counter by `delta` places.
    pub(crate) fn moved(&mut self, key: &CellKey, delta: i64) {
        if delta == 0 {
            return;
        }
        let place = PlaceKey::of(key);
        *self.counts.entry(place.clone()).or_insert(0) += delta;
        self.effects.places.add(&place, delta);
    }

    /// Notes the cell's projection row, unchanged by this run.
    pub(crate) fn unchanged(
        &mut self,
        key: &CellKey,
        request: &BookingRequest,
        decision: Option<Decision>,
    ) {
        self.effects.bookings.push(BookingRow::Upsert {
            key: key.clone(),
            request: request.clone(),
            decision,
            decided: false,
        });
    }
}
