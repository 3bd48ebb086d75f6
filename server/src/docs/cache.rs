//! Which loaded documents stay in memory: bounded by the memory they take, not by their
//! number, least recently used out first, and never one that someone holds or waits for.
//!
//! A planning of a thousand booked cells takes 340 to 730 KB as the server keeps it (booked
//! at once or cell by cell, repacked: see [`super::repack`]), a new family's dossier about
//! 10 KB: a bound by count would either waste memory on small documents or let a few large
//! ones blow it. Each entry is charged an estimate of its memory ([`estimated_bytes`]),
//! updated whenever its user lets go of it.

use super::store::{Loaded, Slot};
use automerge::ReadDoc;
use cartable_domain::ids::DocumentId;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A document's slot, shared between the cache and whoever locked or awaits it.
pub type SharedSlot = Arc<tokio::sync::Mutex<Slot>>;

/// What an entry costs with no document loaded: the map entry, the slot and its lock (its
/// loaded document is boxed, so that an empty slot stays this small; see the test
/// `an_empty_slot_is_charged_at_least_its_fixed_parts`).
pub const EMPTY_SLOT_BYTES: usize = 256;

/// Memory per Automerge operation of a document as the server keeps it (repacked), beyond
/// its stored bytes.
///
/// Measured with `cartable-docmem` (bench/src/docmem.rs; 5 December 2026, automerge 0.12,
/// mimalloc): it builds plannings of 0 to 1,000 booked cells, a request written by a
/// parent's device and a decision written by the server per cell, either each its own
/// change (a cell booked per sync) or many per change (a year or a month booked at once and
/// the sync that decided them), and a dossier; loads 800 to 13,000 copies of each in a fresh
/// process, repacks them as a slot does when let go, and divides the growth of VmRSS by the
/// number of copies. Fitted over the ten shapes: memory ≈ saved bytes + 5,912 + 169 ×
/// operations + 183 × changes; the constants here round it up (7 KiB, 170, 190). A planning
/// of 1,000 cells, 2,006 operations: 731 KB when each request and decision was its own
/// change, 381 KB when the year was booked and decided at once; an empty planning 9 KB; a
/// dossier of two children 10 KB. The rounded fit is within 8 % either way of every
/// planning, repacked after 1 to 50 syncs merged into it too, and charges the dossier 43 %
/// more. See `docs/BENCHMARKS.md`.
pub const BYTES_PER_OP: usize = 170;

/// Memory per change of a repacked document's history (its entry in the change graph, hash
/// and dependencies), beyond its operations; fitted with [`BYTES_PER_OP`].
pub const BYTES_PER_CHANGE: usize = 190;

/// Memory of a loaded document per byte of its stored form (snapshot and chunks).
pub const BYTES_PER_SAVED_BYTE: usize = 1;

/// Fixed memory of a repacked document (the fit's constant: op set, change graph, indexes).
pub const BYTES_PER_DOCUMENT: usize = 7 * 1024;

/// Memory per operation that a document not repacked since it was loaded or changed may
/// take beyond a repacked copy: a load lays its columns out with slack, and applying a
/// change splits and extends them. Measured in the same `cartable-docmem` run: the
/// 1,000-cell plannings take 389 KB and 726 KB as loaded and 768 KB and 1,282 KB after fifty
/// syncs merged without repacking, against 381 KB and 731 KB freshly repacked, 394 KB and
/// 807 KB repacked after the fifty syncs; 170 B per operation and 1,000 B per change applied
/// bound those cases.
pub const BYTES_PER_OP_ONCE_CHANGED: usize = 170;

/// Memory per change applied to a document since it was loaded or repacked, on top of
/// [`BYTES_PER_OP_ONCE_CHANGED`] (about five times what the same change costs in a repacked
/// copy).
pub const BYTES_PER_CHANGE_APPLIED: usize = 1_000;

/// Estimated memory of a loaded document, from its operation and change counts, its stored
/// size and whether it was repacked since it was loaded or last changed; a value hydrated
/// from it and kept (`Loaded::hydrated`, a dossier for the rules) is charged its stored size
/// once more (its strings and maps, uncompressed but without Automerge's history).
pub fn estimated_bytes(loaded: &Loaded) -> usize {
    let stats = loaded.doc.stats();
    let ops = usize::try_from(stats.num_ops).unwrap_or(usize::MAX);
    let changes = usize::try_from(stats.num_changes).unwrap_or(usize::MAX);
    let applied = usize::try_from(stats.num_changes.saturating_sub(loaded.changes_at_copy))
        .unwrap_or(usize::MAX);
    let hydrated = if loaded.hydrated.is_some() {
        loaded.stored_bytes
    } else {
        0
    };
    let slack = if loaded.needs_repack() {
        ops.saturating_mul(BYTES_PER_OP_ONCE_CHANGED)
            .saturating_add(applied.saturating_mul(BYTES_PER_CHANGE_APPLIED))
    } else {
        0
    };
    BYTES_PER_DOCUMENT
        .saturating_add(ops.saturating_mul(BYTES_PER_OP))
        .saturating_add(changes.saturating_mul(BYTES_PER_CHANGE))
        .saturating_add(loaded.stored_bytes.saturating_mul(BYTES_PER_SAVED_BYTE))
        .saturating_add(slack)
        .saturating_add(hydrated)
}

/// What a slot costs as it is now.
pub fn slot_bytes(slot: &Slot) -> usize {
    EMPTY_SLOT_BYTES + slot.loaded.as_deref().map_or(0, estimated_bytes)
}

struct Entry {
    slot: SharedSlot,
    bytes: usize,
    /// When it was last handed out (larger is more recent); its key in `order`.
    tick: u64,
}

/// The slots by document, with their estimated memory and their order of use.
pub struct SlotCache {
    budget: usize,
    entries: HashMap<DocumentId, Entry>,
    /// Least recently handed out first.
    order: BTreeMap<u64, DocumentId>,
    total: usize,
    clock: u64,
}

impl SlotCache {
    /// A cache that evicts idle documents once their estimated memory passes `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            total: 0,
            clock: 0,
        }
    }

    /// The slot of `doc_id` (a new empty one if it has none), now the most recently used.
    pub fn checkout(&mut self, doc_id: &DocumentId) -> SharedSlot {
        self.clock += 1;
        let tick = self.clock;
        if let Some(entry) = self.entries.get_mut(doc_id) {
            self.order.remove(&entry.tick);
            entry.tick = tick;
            self.order.insert(tick, doc_id.clone());
            return entry.slot.clone();
        }
        let slot = SharedSlot::default();
        self.entries.insert(
            doc_id.clone(),
            Entry {
                slot: slot.clone(),
                bytes: EMPTY_SLOT_BYTES,
                tick,
            },
        );
        self.order.insert(tick, doc_id.clone());
        self.total += EMPTY_SLOT_BYTES;
        slot
    }

    /// Records what `slot` of `doc_id` costs now that its user lets go of it, then evicts
    /// idle documents, least recently used first, until the total fits the budget. Returns
    /// the evicted slots, for the caller to free once it let go of the cache's lock.
    #[must_use = "the evicted slots are freed when dropped, best outside the cache's lock"]
    pub fn checkin(
        &mut self,
        doc_id: &DocumentId,
        slot: &SharedSlot,
        bytes: usize,
    ) -> Vec<SharedSlot> {
        if let Some(entry) = self.entries.get_mut(doc_id)
            && Arc::ptr_eq(&entry.slot, slot)
        {
            self.total = self.total - entry.bytes + bytes;
            entry.bytes = bytes;
        }
        self.evict()
    }

    fn evict(&mut self) -> Vec<SharedSlot> {
        if self.total <= self.budget {
            return Vec::new();
        }
        let mut excess = self.total - self.budget;
        let mut victims = Vec::new();
        for (tick, doc_id) in &self.order {
            if excess == 0 {
                break;
            }
            let Some(entry) = self.entries.get(doc_id) else {
                continue;
            };
            // Slots are handed out only under the cache's lock: a count of one means no one
            // holds this slot or waits for it, so no one can be using it while it goes.
            if Arc::strong_count(&entry.slot) > 1 {
                continue;
            }
            excess = excess.saturating_sub(entry.bytes);
            victims.push(*tick);
        }
        let mut evicted = Vec::with_capacity(victims.len());
        for tick in victims {
            if let Some(doc_id) = self.order.remove(&tick)
                && let Some(entry) = self.entries.remove(&doc_id)
            {
                self.total -= entry.bytes;
                evicted.push(entry.slot);
            }
        }
        evicted
    }

    /// Documents (slots) in memory.
    pub fn count(&self) -> usize {
        self.entries.len()
    }

    /// Their estimated memory, in bytes.
    pub fn bytes(&self) -> usize {
        self.total
    }

    /// Whether `doc_id` has a slot in memory.
    pub fn contains(&self, doc_id: &DocumentId) -> bool {
        self.entries.contains_key(doc_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DocumentId {
        DocumentId::from(format!("{n:02x}").repeat(16))
    }

    /// Checks `doc_id` out and back in at `bytes`, as a user who loads it and lets go.
    fn use_at(cache: &mut SlotCache, doc_id: &DocumentId, bytes: usize) {
        let slot = cache.checkout(doc_id);
        drop(cache.checkin(doc_id, &slot, bytes));
    }

    #[test]
    fn an_empty_slot_is_charged_at_least_its_fixed_parts() {
        // The slot behind its lock and the `Arc`'s two counts; the map's key and entry and
        // the order's key and value; the id's 32 characters twice (the map's key, the
        // order's value), each in an allocation of its own.
        let slot = size_of::<tokio::sync::Mutex<Slot>>() + 2 * size_of::<usize>();
        let map = size_of::<DocumentId>() + size_of::<Entry>();
        let order = size_of::<u64>() + size_of::<DocumentId>();
        let ids = 2 * 32;
        let fixed = slot + map + order + ids;
        assert!(
            fixed <= EMPTY_SLOT_BYTES,
            "an empty slot takes at least {fixed} B ({slot} B of them the slot), \
             more than the {EMPTY_SLOT_BYTES} B it is charged"
        );
    }

    #[test]
    fn the_least_recently_used_documents_go_first_once_the_budget_is_passed() {
        let mut cache = SlotCache::new(3_000);
        use_at(&mut cache, &id(1), 1_000);
        use_at(&mut cache, &id(2), 1_000);
        use_at(&mut cache, &id(3), 1_000);
        assert_eq!(cache.count(), 3);
        // Using 1 again makes 2 the least recently used.
        use_at(&mut cache, &id(1), 1_000);
        use_at(&mut cache, &id(4), 1_000);
        assert!(!cache.contains(&id(2)), "2 was the least recently used");
        assert!(cache.contains(&id(1)) && cache.contains(&id(3)) && cache.contains(&id(4)));
        assert_eq!(cache.bytes(), 3_000);
    }

    #[test]
    fn one_large_document_evicts_as_many_small_ones_as_its_size_needs() {
        let mut cache = SlotCache::new(10_000);
        for n in 1..=10 {
            use_at(&mut cache, &id(n), 1_000);
        }
        assert_eq!(cache.count(), 10);
        use_at(&mut cache, &id(20), 4_500);
        // 14,500 bytes: the five least recently used small ones make room.
        for n in 1..=5 {
            assert!(!cache.contains(&id(n)), "{n} should be evicted");
        }
        for n in 6..=10 {
            assert!(cache.contains(&id(n)), "{n} should stay");
        }
        assert!(cache.contains(&id(20)));
        assert_eq!(cache.bytes(), 9_500);
    }

    #[test]
    fn many_small_documents_fit_where_a_count_bound_would_have_stopped() {
        let mut cache = SlotCache::new(1_000_000);
        for n in 0..=255 {
            use_at(&mut cache, &id(n), 2_000);
        }
        assert_eq!(cache.count(), 256);
        assert_eq!(cache.bytes(), 512_000);
    }

    #[test]
    fn a_document_in_use_or_awaited_is_never_evicted_under_its_user() {
        let mut cache = SlotCache::new(2_000);
        // 1 is held by a user (as a locked slot's guard holds it) across everything below.
        let held = cache.checkout(&id(1));
        use_at(&mut cache, &id(2), 1_000);
        use_at(&mut cache, &id(3), 1_000);
        use_at(&mut cache, &id(4), 1_000);
        assert!(
            cache.contains(&id(1)),
            "held: must stay although least recently used"
        );
        assert!(!cache.contains(&id(2)));
        // The user reports a large cost; still held, still there, the others make room.
        drop(cache.checkin(&id(1), &held, 1_900));
        assert!(cache.contains(&id(1)));
        assert!(!cache.contains(&id(3)) && !cache.contains(&id(4)));
        // Once let go, it is an ordinary idle entry again: a newer one pushes it out.
        drop(held);
        use_at(&mut cache, &id(5), 1_000);
        assert!(!cache.contains(&id(1)));
        assert!(cache.contains(&id(5)));
        assert_eq!(cache.bytes(), 1_000);
    }

    #[test]
    fn a_checkout_returns_the_same_slot_while_it_is_cached() {
        let mut cache = SlotCache::new(10_000);
        let a = cache.checkout(&id(1));
        let b = cache.checkout(&id(1));
        assert!(
            Arc::ptr_eq(&a, &b),
            "two users of one document share one lock"
        );
        assert_eq!(cache.count(), 1);
        assert_eq!(cache.bytes(), EMPTY_SLOT_BYTES);
    }

    #[test]
    fn a_late_checkin_of_an_evicted_slot_changes_nothing() {
        let mut cache = SlotCache::new(1_000);
        use_at(&mut cache, &id(1), 900);
        use_at(&mut cache, &id(2), 900);
        assert!(!cache.contains(&id(1)));
        // A report about a slot the cache no longer holds is ignored.
        let gone = SharedSlot::default();
        let evicted = cache.checkin(&id(1), &gone, 50_000);
        assert!(evicted.is_empty());
        assert!(!cache.contains(&id(1)));
        assert_eq!(cache.bytes(), 900);
    }

    /// A document of 100 keys at its root, committed every `per_change` keys.
    fn hundred_keys(per_change: u32) -> automerge::AutoCommit {
        let mut doc = automerge::AutoCommit::new();
        for i in 0..100_u32 {
            automerge::transaction::Transactable::put(
                &mut doc,
                automerge::ROOT,
                format!("k{i}"),
                i,
            )
            .expect("put into a fresh map");
            if (i + 1) % per_change == 0 {
                doc.commit();
            }
        }
        doc
    }

    #[test]
    fn a_loaded_document_costs_more_than_an_empty_slot_and_grows_with_its_operations() {
        let mut empty_doc = automerge::AutoCommit::new();
        let empty_bytes = empty_doc.save().len();
        let empty = Loaded::new(empty_doc, 1, 1, empty_bytes);
        let mut doc = hundred_keys(100);
        let stored_bytes = doc.save().len();
        let full = Loaded::new(doc, 2, 1, stored_bytes);
        let empty_slot = Slot::default();
        assert_eq!(slot_bytes(&empty_slot), EMPTY_SLOT_BYTES);
        assert!(estimated_bytes(&empty) >= BYTES_PER_DOCUMENT);
        assert!(estimated_bytes(&full) >= estimated_bytes(&empty) + 100 * BYTES_PER_OP);
    }

    #[test]
    fn the_same_operations_cost_more_written_one_change_at_a_time() {
        let write = |per_change: u32| {
            let mut doc = hundred_keys(per_change);
            let stored_bytes = doc.save().len();
            Loaded::new(doc, 1, 1, stored_bytes)
        };
        let at_once = write(100);
        let one_by_one = write(1);
        assert_eq!(at_once.doc.stats().num_changes, 1);
        assert_eq!(one_by_one.doc.stats().num_changes, 100);
        assert!(
            estimated_bytes(&one_by_one) >= estimated_bytes(&at_once) + 99 * BYTES_PER_CHANGE,
            "each change of the history is charged"
        );
    }

    #[test]
    fn a_document_loaded_or_changed_is_charged_its_slack_until_repacked() {
        let mut doc = hundred_keys(100);
        let stored = doc.save();
        let fresh = automerge::AutoCommit::load(&stored).expect("load");
        let mut loaded = Loaded::new(fresh, 1, 1, stored.len());
        let as_loaded = estimated_bytes(&loaded);
        loaded.repack();
        let repacked = estimated_bytes(&loaded);
        assert_eq!(
            as_loaded,
            repacked + 100 * BYTES_PER_OP_ONCE_CHANGED,
            "a load's slack is charged until the copy is repacked"
        );
        automerge::transaction::Transactable::put(&mut loaded.doc, automerge::ROOT, "k0", -1)
            .expect("put");
        loaded.doc.commit();
        assert!(
            estimated_bytes(&loaded)
                >= repacked + 100 * BYTES_PER_OP_ONCE_CHANGED + BYTES_PER_CHANGE_APPLIED,
            "the operations of a changed document and the change applied are charged"
        );
        loaded.repack();
        assert_eq!(
            estimated_bytes(&loaded),
            repacked + BYTES_PER_CHANGE + BYTES_PER_OP,
            "repacked again: the fit of its one more change and operation"
        );
    }
}
