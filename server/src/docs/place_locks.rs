//! Place counters locked one (activity, day) at a time, in memory, on SQLite.
//!
//! PostgreSQL locks a counter's row (`SELECT … FOR UPDATE`) inside the write's transaction,
//! and its transactions run side by side. SQLite has one writer at a time (the write gate of
//! [`crate::db::group_commit`]): locking counters there meant holding the gate while
//! deciding, so one family's large request made every other family wait. Here a writer locks
//! the counters it decides on in memory, reads their values outside the gate, decides, and
//! only then takes the gate to store. It lets go of the counters as soon as its savepoint
//! joined the batch, before the batch's commit (an fsync): the next writer of the same
//! counter reads the value from memory, moves included, and can join the same batch. A value
//! written in a batch that then fails to commit is void (tagged with the count of failed
//! batches), and a writer that read a value before such a failure gives up. Two families
//! wanting the same place are still decided one after the other; families wanting different
//! places no longer wait for each other.
//!
//! Every writer locks counters in [`PlaceKey`] order and before taking the write gate, so
//! no two writers wait for each other in a cycle.

use cartable_domain::ids::StructureId;
use cartable_reconcile::{Counts, PlaceKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

type Key = (StructureId, PlaceKey);

/// What this process knows of a counter beyond storage: its value with the moves of writes
/// released into a batch that may not be committed yet, tagged with the count of failed
/// batches when it was written (void once that count moved).
#[derive(Debug, Default)]
pub struct Counter {
    known: Option<(u64, i64)>,
}

type Lock = Arc<tokio::sync::Mutex<Counter>>;

/// The counters someone holds, awaits, or moved in a batch not yet durable (an entry goes
/// once none of these is true).
#[derive(Debug, Default)]
pub struct PlaceLocks {
    held: Mutex<HashMap<Key, Lock>>,
}

/// Counters locked by one writer. [`PlaceGuards::unlock`] lets others decide on them once the
/// writer's moves are in the batch; dropping them ends the writer's interest (after its
/// commit, or when it gives up).
pub struct PlaceGuards {
    locks: Arc<PlaceLocks>,
    keys: Vec<Key>,
    /// Kept until the writer's batch is durable: the counter's known value must not be
    /// forgotten while storage does not have it yet.
    entries: Vec<Lock>,
    guards: Vec<OwnedMutexGuard<Counter>>,
    /// Known values before this writer's moves, to put back if its write is undone.
    before_moves: Option<Vec<Option<(u64, i64)>>>,
}

impl std::fmt::Debug for PlaceGuards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaceGuards")
            .field("counters", &self.keys.len())
            .field("locked", &!self.guards.is_empty())
            .finish()
    }
}

impl PlaceLocks {
    /// Locks the counters `keys` of `structure_id`, in key order, waiting for whoever holds
    /// one of them.
    pub async fn lock(
        self: &Arc<Self>,
        structure_id: &StructureId,
        keys: &[PlaceKey],
    ) -> PlaceGuards {
        let (mut out, keys) = self.guards_for(structure_id, keys);
        for key in keys {
            // Recorded before waiting: if this future is dropped while it waits, the drop of
            // `out` still removes the entry once no one uses it.
            let lock = out.enter(key);
            out.guards.push(lock.lock_owned().await);
        }
        out
    }

    /// Locks the counters `keys` of `structure_id` if no one holds any of them; `None`
    /// otherwise (and nothing stays locked). For a writer already holding the write gate,
    /// which must not wait for a counter.
    pub fn try_lock(
        self: &Arc<Self>,
        structure_id: &StructureId,
        keys: &[PlaceKey],
    ) -> Option<PlaceGuards> {
        let (mut out, keys) = self.guards_for(structure_id, keys);
        for key in keys {
            let lock = out.enter(key);
            // A busy counter: `out` goes, letting go of those taken so far.
            out.guards.push(lock.try_lock_owned().ok()?);
        }
        Some(out)
    }

    /// A writer's guards with no counter entered yet, and the counters `keys` of
    /// `structure_id` to enter, each once and in key order.
    fn guards_for(
        self: &Arc<Self>,
        structure_id: &StructureId,
        keys: &[PlaceKey],
    ) -> (PlaceGuards, Vec<Key>) {
        let mut sorted: Vec<&PlaceKey> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        let out = PlaceGuards {
            locks: self.clone(),
            keys: Vec::with_capacity(sorted.len()),
            entries: Vec::with_capacity(sorted.len()),
            guards: Vec::with_capacity(sorted.len()),
            before_moves: None,
        };
        let keys = sorted
            .into_iter()
            .map(|key| (structure_id.clone(), key.clone()))
            .collect();
        (out, keys)
    }

    /// Counters held, awaited or moved in a batch not yet durable.
    pub fn len(&self) -> usize {
        self.held.lock().map(|h| h.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PlaceGuards {
    /// Records the counter `key` as this writer's and returns its lock, for the writer to
    /// take next: the writer's drop removes the entry once no one uses it, taken or not.
    fn enter(&mut self, key: Key) -> Lock {
        let lock = self
            .locks
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        self.keys.push(key);
        self.entries.push(lock.clone());
        lock
    }

    /// The values known in memory and still valid (`failures` is the current count of failed
    /// batches), and the keys whose value must be read from storage.
    pub fn known(&self, failures: u64) -> (Counts, Vec<PlaceKey>) {
        let mut known = Counts::new();
        let mut missing = Vec::new();
        for ((_, key), guard) in self.keys.iter().zip(&self.guards) {
            match guard.known {
                Some((tag, value)) if tag == failures => {
                    known.insert(key.clone(), value);
                }
                _ => missing.push(key.clone()),
            }
        }
        (known, missing)
    }

    /// Records values read from storage, or moved by this writer in a batch it joined while
    /// `failures` batches had failed.
    pub fn remember(&mut self, values: &Counts, failures: u64) {
        for ((_, key), guard) in self.keys.iter().zip(self.guards.iter_mut()) {
            if let Some(value) = values.get(key) {
                guard.known = Some((failures, *value));
            }
        }
    }

    /// Records this writer's moves (new values, tagged like [`PlaceGuards::remember`]),
    /// keeping the values before them for [`PlaceGuards::undo_moves`].
    pub fn moved(&mut self, values: &Counts, failures: u64) {
        if self.before_moves.is_none() {
            self.before_moves = Some(self.guards.iter().map(|g| g.known).collect());
        }
        self.remember(values, failures);
    }

    /// Puts back the values from before this writer's moves: its write was undone before
    /// joining a batch. (Once it joined, a failed batch voids them instead.)
    pub fn undo_moves(&mut self) {
        if let Some(before) = self.before_moves.take() {
            for (guard, known) in self.guards.iter_mut().zip(before) {
                guard.known = known;
            }
        }
    }

    /// Lets others decide on the counters: this writer's moves are in its batch.
    pub fn unlock(&mut self) {
        self.before_moves = None;
        self.guards.clear();
    }
}

impl Drop for PlaceGuards {
    fn drop(&mut self) {
        // Still locked: the write did not join a batch, its moves never happen.
        self.undo_moves();
        self.guards.clear();
        self.entries.clear();
        let mut held = self.locks.held.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            // Entries are cloned only under this lock: a count of one means no one else
            // holds, awaits or has a batch pending on this counter.
            if held.get(key).is_some_and(|l| Arc::strong_count(l) == 1) {
                held.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(activity: &str, day: i8) -> PlaceKey {
        PlaceKey::new(activity, jiff::civil::date(2027, 1, day))
    }

    #[tokio::test]
    async fn a_counter_is_held_by_one_writer_at_a_time_and_others_pass() {
        let locks = Arc::new(PlaceLocks::default());
        let structure = StructureId::new("s".to_string());
        let held = locks
            .lock(&structure, &[key("cantine", 5), key("cantine", 4)])
            .await;
        // The same counter waits.
        let waiting = tokio::time::timeout(
            Duration::from_millis(50),
            locks.lock(&structure, &[key("cantine", 5)]),
        )
        .await;
        assert!(waiting.is_err(), "a held counter was handed out twice");
        // Another day, another activity or another structure does not.
        let other = StructureId::new("t".to_string());
        for (s, k) in [
            (&structure, key("cantine", 6)),
            (&structure, key("garderie", 5)),
            (&other, key("cantine", 5)),
        ] {
            let free = tokio::time::timeout(Duration::from_secs(5), locks.lock(s, &[k])).await;
            assert!(free.is_ok(), "an unrelated counter waited");
        }
        drop(held);
        let again = tokio::time::timeout(
            Duration::from_secs(5),
            locks.lock(&structure, &[key("cantine", 5)]),
        )
        .await
        .expect("let go once the holder is done");
        drop(again);
        assert!(locks.is_empty(), "entries remain once no one holds them");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_locking_overlapping_counters_in_any_order_never_deadlock() {
        let locks = Arc::new(PlaceLocks::default());
        let structure = StructureId::new("s".to_string());
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let locks = locks.clone();
                let structure = structure.clone();
                tokio::spawn(async move {
                    // Given in different orders by different writers.
                    let mut keys: Vec<PlaceKey> = (1..=4).map(|d| key("cantine", d)).collect();
                    keys.rotate_left(i % 4);
                    let _held = locks.lock(&structure, &keys).await;
                    tokio::task::yield_now().await;
                })
            })
            .collect();
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("no deadlock")
                .expect("task");
        }
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn a_value_moved_in_a_batch_is_handed_to_the_next_writer_unless_a_batch_failed() {
        let locks = Arc::new(PlaceLocks::default());
        let structure = StructureId::new("s".to_string());
        let k = key("cantine", 5);
        let mut first = locks.lock(&structure, std::slice::from_ref(&k)).await;
        let (known, missing) = first.known(0);
        assert!(known.is_empty());
        assert_eq!(
            missing,
            vec![k.clone()],
            "unknown at first: read from storage"
        );
        // Read 3 from storage, moved to 4 in a batch joined with no failure so far.
        first.remember(&Counts::from([(k.clone(), 3)]), 0);
        first.remember(&Counts::from([(k.clone(), 4)]), 0);
        first.unlock();
        // The next writer gets it while the first one's batch is not durable yet.
        let second = tokio::time::timeout(
            Duration::from_secs(5),
            locks.lock(&structure, std::slice::from_ref(&k)),
        )
        .await
        .expect("let go once the moves joined the batch");
        assert_eq!(second.known(0).0.get(&k), Some(&4));
        // Once a batch failed, the value is void: storage is read again.
        assert_eq!(second.known(1).1, vec![k.clone()]);
        drop(second);
        // Kept while the first writer's batch is pending, forgotten once it is done.
        assert_eq!(locks.len(), 1);
        drop(first);
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn moves_of_a_write_undone_before_its_batch_are_put_back() {
        let locks = Arc::new(PlaceLocks::default());
        let structure = StructureId::new("s".to_string());
        let k = key("cantine", 5);
        let mut first = locks.lock(&structure, std::slice::from_ref(&k)).await;
        first.remember(&Counts::from([(k.clone(), 3)]), 0);
        first.unlock();
        // Pending in a batch: 3. A second writer moves it to 4, then gives up.
        let mut second = locks.lock(&structure, std::slice::from_ref(&k)).await;
        second.moved(&Counts::from([(k.clone(), 4)]), 0);
        drop(second);
        let third = locks.lock(&structure, std::slice::from_ref(&k)).await;
        assert_eq!(third.known(0).0.get(&k), Some(&3));
        drop(third);
        drop(first);
    }

    #[tokio::test]
    async fn trying_a_busy_counter_takes_none_of_them() {
        let locks = Arc::new(PlaceLocks::default());
        let structure = StructureId::new("s".to_string());
        let held = locks.lock(&structure, &[key("cantine", 5)]).await;
        assert!(
            locks
                .try_lock(&structure, &[key("cantine", 4), key("cantine", 5)])
                .is_none()
        );
        // The free one was let go again.
        let free = locks.try_lock(&structure, &[key("cantine", 4)]);
        assert!(free.is_some());
        drop(free);
        drop(held);
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn a_writer_cancelled_while_waiting_leaves_nothing_behind() {
        let locks = Arc::new(PlaceLocks::default());
        let structure = StructureId::new("s".to_string());
        let held = locks.lock(&structure, &[key("cantine", 5)]).await;
        let waiting = tokio::time::timeout(
            Duration::from_millis(20),
            locks.lock(&structure, &[key("cantine", 4), key("cantine", 5)]),
        )
        .await;
        assert!(waiting.is_err());
        drop(held);
        assert!(locks.is_empty(), "a cancelled waiter's entries remain");
    }
}
