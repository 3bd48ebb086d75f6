//! A map by document bounded by the memory of its values: what the server keeps about
//! documents beside the loaded ones (remembered replies, hydrated values), which any sync
//! can put back when it was forgotten.

use cartable_domain::ids::DocumentId;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// What an entry costs beyond its value's own estimate: the id, the map's slot.
pub const ENTRY_OVERHEAD_BYTES: usize = 128;

struct Inner<V> {
    entries: HashMap<DocumentId, (V, usize)>,
    total: usize,
}

/// Values by document, shared between requests, forgotten (any of them) once their
/// estimates pass the budget.
pub struct BoundedMap<V> {
    budget: usize,
    inner: Mutex<Inner<V>>,
}

impl<V> BoundedMap<V> {
    /// A map of about `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                total: 0,
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner<V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What `read` makes of the value kept for `doc_id`, if there is one.
    pub fn read<R>(&self, doc_id: &DocumentId, read: impl FnOnce(&V) -> Option<R>) -> Option<R> {
        self.inner().entries.get(doc_id).and_then(|(v, _)| read(v))
    }

    /// Keeps `value` for `doc_id`, estimated at `bytes`, in place of the one it had. An
    /// entry larger than the whole budget is not kept. Over the budget, an eighth of it is
    /// freed at once, so that the pass over the entries happens once per thousands of new
    /// ones; any entry will do (one is worth another, and the next sync that needs a
    /// forgotten one puts it back), except the one just kept.
    pub fn insert(&self, doc_id: &DocumentId, value: V, bytes: usize) {
        let bytes = bytes.saturating_add(ENTRY_OVERHEAD_BYTES);
        if bytes > self.budget {
            return;
        }
        let mut inner = self.inner();
        if let Some((_, old)) = inner.entries.insert(doc_id.clone(), (value, bytes)) {
            inner.total -= old;
        }
        inner.total += bytes;
        if inner.total > self.budget {
            let target = self.budget - self.budget / 8;
            let mut total = inner.total;
            inner.entries.retain(|k, (_, b)| {
                if total <= target || k == doc_id {
                    return true;
                }
                total -= *b;
                false
            });
            inner.total = total;
        }
    }

    /// Entries kept.
    pub fn count(&self) -> usize {
        self.inner().entries.len()
    }

    /// Their estimated memory, in bytes.
    pub fn bytes(&self) -> usize {
        self.inner().total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DocumentId {
        DocumentId::from(format!("{n:02x}").repeat(16))
    }

    #[test]
    fn a_new_value_replaces_the_documents_previous_one() {
        let map = BoundedMap::new(10_000);
        map.insert(&id(1), "a", 10);
        map.insert(&id(1), "b", 20);
        assert_eq!(map.read(&id(1), |v| Some(*v)), Some("b"));
        assert_eq!(map.count(), 1);
        assert_eq!(map.bytes(), 20 + ENTRY_OVERHEAD_BYTES);
    }

    #[test]
    fn entries_are_forgotten_to_stay_within_the_budget_but_never_the_newest() {
        let one = 100 + ENTRY_OVERHEAD_BYTES;
        let map = BoundedMap::new(16 * one);
        for n in 0..100 {
            map.insert(&id(n), n, 100);
            assert!(map.bytes() <= 16 * one);
            assert_eq!(map.bytes(), map.count() * one);
            assert_eq!(map.read(&id(n), |v| Some(*v)), Some(n));
        }
        // Down to seven eighths of the budget at each pass, then filled again.
        assert!(map.count() >= 14);
        let count = map.count();
        map.insert(&id(200), 0, 16 * one);
        assert_eq!(
            map.read(&id(200), |v| Some(*v)),
            None,
            "larger than the budget"
        );
        assert_eq!(map.count(), count);
    }
}
