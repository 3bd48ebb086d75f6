//! A document kept in memory is a tight copy of itself: Automerge's in-memory columns grow
//! with slack as a load builds them and as applied changes split and extend them, and a clone
//! lays them out again at their size.
//!
//! Measured with `cartable-docmem` (5 December 2026, automerge 0.12, mimalloc; see
//! `docs/BENCHMARKS.md`, "Memory of a loaded document"): a planning of a thousand cells booked
//! at once takes 389 KB freshly loaded and 782 KB after ten syncs merged into it, 402 KB
//! repacked; a month's worth (a hundred cells) 103 KB after ten syncs, 50 KB repacked; an
//! empty planning 17 KB loaded, 9 KB repacked; a dossier 18 KB loaded, 10 KB repacked. A
//! year booked cell by cell (2,000 changes) gains nothing at load (726 KB loaded, 731 KB
//! repacked) but takes 807 instead of 1,282 KB after fifty syncs. The copy costs 4 to 12 µs
//! for a dossier, an empty planning or a month's worth, and 16 to 190 µs for a booked year,
//! against 1.7 to 7 ms to load the year again. With the demo's rules and booked years
//! (`cartable-loadgen`, 1,000 families), a cache of 160 MiB (the default then) held 387
//! documents instead of 216, and a booking sync loaded 0.73 plannings from storage instead
//! of 0.88.
//!
//! So a slot repacks its document when its user lets go of it, once after each load and
//! once after each write that changed it ([`Loaded::repack`]); the cache charges the memory of
//! a repacked copy (`cache::estimated_bytes`).

use super::store::Loaded;
use automerge::ReadDoc;
use automerge::transaction::Transactable;

impl Loaded {
    /// Whether the document changed, or was loaded, since it was last repacked.
    pub fn needs_repack(&self) -> bool {
        !self.repacked || self.doc.stats().num_changes != self.changes_at_copy
    }

    /// Replaces the document by a tight copy of itself when it [needs it](Self::needs_repack)
    /// and has no operations waiting for a commit (those stay where they are). The copy has
    /// the same history, heads and actor; values hydrated from the document stay valid.
    pub fn repack(&mut self) {
        if !self.needs_repack() || self.doc.pending_ops() > 0 {
            return;
        }
        let actor = self.doc.get_actor().clone();
        let mut copy = self.doc.fork();
        copy.set_actor(actor);
        self.doc = copy;
        self.changes_at_copy = self.doc.stats().num_changes;
        self.repacked = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{ActorId, AutoCommit, ROOT};

    fn loaded_with_keys(keys: usize) -> Loaded {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(b"server-actor".as_slice()));
        for i in 0..keys {
            doc.put(ROOT, format!("k{i}"), i as i64).expect("put");
        }
        doc.commit();
        let saved = doc.save();
        let mut fresh = AutoCommit::load(&saved).expect("load");
        fresh.set_actor(ActorId::from(b"server-actor".as_slice()));
        Loaded::new(fresh, 1, 1, saved.len())
    }

    #[test]
    fn a_repacked_copy_has_the_same_history_heads_actor_and_values() {
        let mut loaded = loaded_with_keys(50);
        loaded.doc.put(ROOT, "k0", "changed").expect("put");
        loaded.doc.commit();
        let heads = loaded.doc.get_heads();
        let saved = loaded.doc.save();
        assert!(loaded.needs_repack());
        loaded.repack();
        assert!(!loaded.needs_repack());
        assert_eq!(loaded.doc.get_heads(), heads);
        assert_eq!(loaded.doc.save(), saved);
        assert_eq!(
            loaded.doc.get_actor(),
            &ActorId::from(b"server-actor".as_slice())
        );
        assert_eq!(loaded.changes_at_copy, 2, "the keys, then the change");
        // The copy goes on like the original: the next change is signed by the same actor.
        loaded.doc.put(ROOT, "k1", "again").expect("put");
        loaded.doc.commit();
        let last = loaded.doc.get_last_local_change().expect("a local change");
        assert_eq!(last.actor_id(), &ActorId::from(b"server-actor".as_slice()));
        assert!(loaded.needs_repack(), "changed since");
    }

    #[test]
    fn a_fresh_load_is_repacked_once_and_an_unchanged_copy_not_again() {
        let mut loaded = loaded_with_keys(10);
        assert!(loaded.needs_repack());
        loaded.repack();
        assert!(!loaded.needs_repack());
        let heads = loaded.doc.get_heads();
        loaded.repack();
        assert_eq!(loaded.doc.get_heads(), heads);
        assert!(!loaded.needs_repack());
    }

    #[test]
    fn operations_waiting_for_a_commit_keep_the_document_as_it_is() {
        let mut loaded = loaded_with_keys(10);
        loaded.doc.put(ROOT, "pending", 1).expect("put");
        loaded.repack();
        assert!(loaded.needs_repack());
        assert_eq!(
            loaded.doc.pending_ops(),
            1,
            "the pending operation is still there"
        );
        loaded.doc.commit();
        loaded.repack();
        assert!(!loaded.needs_repack());
        assert_eq!(
            loaded
                .doc
                .get(ROOT, "pending")
                .expect("get")
                .map(|(v, _)| v.as_i64()),
            Some(Some(1))
        );
    }
}
