//! Place counters: one per activity and day. The core says which counters a decision needs
//! (in the order they must be locked), the server locks them and hands their values in, and
//! the core returns how each one moves.

use cartable_domain::ids::ActivityId;
use cartable_domain::planning::CellKey;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// One counter of places taken: an activity on a day. Ordered by activity then day, the
/// order every writer locks counters in, so two writers never wait for each other in a
/// cycle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceKey {
    pub activity_id: ActivityId,
    pub date: Date,
}

impl PlaceKey {
    pub fn new(activity_id: impl Into<ActivityId>, date: Date) -> Self {
        Self {
            activity_id: activity_id.into(),
            date,
        }
    }

    /// The counter a cell's booking counts in.
    pub fn of(cell: &CellKey) -> Self {
        Self {
            activity_id: cell.activity_id.clone(),
            date: cell.date,
        }
    }
}

/// Counter values read under lock (places taken, this family's included). A counter the
/// server did not hand in counts as 0.
pub type Counts = BTreeMap<PlaceKey, i64>;

/// How counters move: net change per counter, zero entries left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceDeltas(BTreeMap<PlaceKey, i64>);

impl PlaceDeltas {
    /// Adds `delta` to the counter `key`.
    pub fn add(&mut self, key: &PlaceKey, delta: i64) {
        if delta == 0 {
            return;
        }
        let entry = self.0.entry(key.clone()).or_insert(0);
        *entry += delta;
        if *entry == 0 {
            self.0.remove(key);
        }
    }

    /// Non-zero changes, in locking order.
    pub fn iter(&self) -> impl Iterator<Item = (&PlaceKey, i64)> {
        self.0.iter().map(|(k, d)| (k, *d))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every change of `other`.
    pub fn merge(&mut self, other: &PlaceDeltas) {
        for (key, delta) in other.iter() {
            self.add(key, delta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn counters_sort_by_activity_then_day_and_deltas_cancel_out() {
        let mut keys = [
            PlaceKey::new("garderie", date(2026, 12, 1)),
            PlaceKey::new("cantine", date(2026, 12, 2)),
            PlaceKey::new("cantine", date(2026, 12, 1)),
        ];
        keys.sort();
        assert_eq!(keys[0], PlaceKey::new("cantine", date(2026, 12, 1)));
        assert_eq!(keys[2], PlaceKey::new("garderie", date(2026, 12, 1)));
        let mut deltas = PlaceDeltas::default();
        deltas.add(&keys[0], 1);
        deltas.add(&keys[1], 1);
        deltas.add(&keys[0], -1);
        assert_eq!(deltas.iter().collect::<Vec<_>>(), vec![(&keys[1], 1)]);
    }
}
