//! How many writes hold a document at once.
//!
//! A sync that brings changes keeps its document loaded from its merge until its batch is
//! committed and the reply written, and a document in use is outside the cache's budget
//! (see [`super::cache`]): it cannot be evicted. With thousands of phones syncing at once
//! most of them wait for the write gate, so those copies, not the cache, would set the
//! server's memory (a booked school year's planning takes several hundred KB loaded). A sync
//! therefore takes a turn ([`SyncWriters::turn`]) before it loads the document it writes: at
//! most `CARTABLE_SYNC_WRITERS` at once, the others waiting in arrival order with nothing but
//! their request. Twice the group commit's largest batch by default, so that a batch fills
//! while the one before commits.
//!
//! The turns are taken by the sync, not by [`super::store::DocStore::begin_write`]: a sync
//! writes one document at a time and gives its turn back before the next, while the other
//! writers (staff pages, closures, invoice runs: some eighty call sites) come a few at a time
//! and were not checked for one that begins a write while holding another, which would wait
//! forever once every turn is taken.
//!
//! [`WriteGauge`] counts the writes holding a document ([`super::write::DocWrite`]), with
//! the most at once since start.

use crate::error::{AppError, AppResult};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Turns of the syncs that write a document.
pub struct SyncWriters {
    turns: Semaphore,
}

impl SyncWriters {
    /// At most `writers` syncs writing at once (at least one).
    pub fn new(writers: usize) -> Self {
        Self {
            turns: Semaphore::new(writers.max(1)),
        }
    }

    /// Waits for a turn, kept until the permit is dropped; turns are given in the order asked.
    pub async fn turn(&self) -> AppResult<SemaphorePermit<'_>> {
        self.turns
            .acquire()
            .await
            .map_err(|_| AppError::internal("tours d'écriture fermés"))
    }

    /// Turns free now.
    pub fn available(&self) -> usize {
        self.turns.available_permits()
    }
}

/// Writes holding a document now, and the most at once since start.
#[derive(Default)]
pub struct WriteGauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl WriteGauge {
    /// Counts one more write until the mark is dropped.
    pub fn enter(self: &Arc<Self>) -> WriteMark {
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        WriteMark(self.clone())
    }

    pub fn now(&self) -> usize {
        self.now.load(Ordering::Relaxed)
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }
}

/// One write counted by a [`WriteGauge`].
pub struct WriteMark(Arc<WriteGauge>);

impl Drop for WriteMark {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_counts_marks_alive_and_keeps_the_most() {
        let gauge = Arc::new(WriteGauge::default());
        let a = gauge.enter();
        let b = gauge.enter();
        assert_eq!((gauge.now(), gauge.peak()), (2, 2));
        drop(a);
        let c = gauge.enter();
        drop(b);
        assert_eq!((gauge.now(), gauge.peak()), (1, 2));
        drop(c);
        assert_eq!((gauge.now(), gauge.peak()), (0, 2));
    }

    #[tokio::test]
    async fn turns_are_bounded_and_given_back() {
        let writers = SyncWriters::new(2);
        let first = writers.turn().await.expect("a turn");
        let _second = writers.turn().await.expect("a turn");
        assert_eq!(writers.available(), 0);
        let third = tokio::time::timeout(std::time::Duration::from_millis(20), writers.turn());
        assert!(third.await.is_err(), "a third sync waits for a turn");
        drop(first);
        let third = tokio::time::timeout(std::time::Duration::from_secs(5), writers.turn());
        assert!(third.await.is_ok(), "a turn given back is taken");
        assert_eq!(SyncWriters::new(0).available(), 1);
    }
}
