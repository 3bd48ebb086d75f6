//! Loaded documents, one lock each, kept in memory while in use and evicted when idle
//! once the documents in memory pass their memory budget (see [`super::cache`]).
//!
//! A loaded document remembers the storage version it reflects. Writers lock the document
//! row (PostgreSQL) and reload when another process moved the version on, so several server
//! processes can share one PostgreSQL; on SQLite (one process) the slot's lock is enough.

use super::cache::{SharedSlot, SlotCache, slot_bytes};
use super::hydrated::HydratedValues;
use super::place_locks::PlaceLocks;
use super::writers::WriteGauge;
use crate::db::chunk_codec::StoredDoc;
use crate::db::{Backend, Db, documents};
use crate::error::AppError;
use automerge::{ActorId, AutoCommit, ChangeHash, ReadDoc};
use cartable_domain::ids::DocumentId;
use sqlx::AnyConnection;
use std::any::Any;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A document as loaded from storage.
pub struct Loaded {
    pub doc: AutoCommit,
    /// Storage version this copy reflects.
    pub version: i64,
    /// Chunks stored since the last snapshot (drives compaction).
    pub chunks: i64,
    /// Bytes of its stored form (snapshot and chunks): part of its memory estimate.
    pub stored_bytes: usize,
    /// Its last hydration by [`DocStore::read_shared`], reused while the document is
    /// unchanged.
    pub hydrated: Option<Hydrated>,
    /// Changes in its history when this copy was made (loaded, or repacked: see
    /// [`super::repack`]): those applied since make it take more memory than a fresh copy of
    /// the same history (see `cache::estimated_bytes`).
    pub changes_at_copy: u64,
    /// Whether this copy was repacked (laid out tight) rather than loaded.
    pub repacked: bool,
}

impl Loaded {
    /// A document just loaded from (or stored to) storage at `version`.
    pub fn new(doc: AutoCommit, version: i64, chunks: i64, stored_bytes: usize) -> Self {
        Self {
            changes_at_copy: doc.stats().num_changes,
            repacked: false,
            doc,
            version,
            chunks,
            stored_bytes,
            hydrated: None,
        }
    }

    /// The document hydrated as a `T`: the value kept from the last call while the document's
    /// heads are the same and it was a `T`, else a fresh one (then kept).
    pub fn hydrate_shared<T>(&mut self) -> Result<Arc<T>, autosurgeon::HydrateError>
    where
        T: autosurgeon::Hydrate + Send + Sync + 'static,
    {
        let heads = self.doc.get_heads();
        if let Some(h) = &self.hydrated
            && h.heads == heads
            && let Ok(value) = h.value.clone().downcast::<T>()
        {
            return Ok(value);
        }
        let value: Arc<T> = Arc::new(autosurgeon::hydrate(&self.doc)?);
        self.hydrated = Some(Hydrated {
            heads,
            value: value.clone(),
        });
        Ok(value)
    }
}

/// A value hydrated from a document, with the heads it was read at: every change to the
/// document changes its heads, so the value is current exactly while they are equal.
pub struct Hydrated {
    heads: Vec<ChangeHash>,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub struct Slot {
    /// Boxed: a `Loaded` is several KB inline (its `AutoCommit` most of it), which every slot
    /// would otherwise carry while its document is not loaded.
    pub loaded: Option<Box<Loaded>>,
}

/// A locked slot. Letting go of it repacks a document loaded or changed meanwhile (see
/// [`super::repack`]) and tells the cache what the document now costs, which may evict other
/// idle documents.
pub struct SlotGuard {
    guard: tokio::sync::OwnedMutexGuard<Slot>,
    slot: SharedSlot,
    doc_id: DocumentId,
    cache: Arc<Mutex<SlotCache>>,
}

impl Deref for SlotGuard {
    type Target = Slot;
    fn deref(&self) -> &Slot {
        &self.guard
    }
}

impl DerefMut for SlotGuard {
    fn deref_mut(&mut self) -> &mut Slot {
        &mut self.guard
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(loaded) = self.guard.loaded.as_deref_mut() {
            loaded.repack();
        }
        let bytes = slot_bytes(&self.guard);
        let evicted = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .checkin(&self.doc_id, &self.slot, bytes);
        // Freed here, outside the cache's lock: a large document takes a while to free.
        drop(evicted);
    }
}

pub struct DocStore {
    db: Db,
    actor: ActorId,
    cache: Arc<Mutex<SlotCache>>,
    /// Place counters locked by writers, in memory (SQLite; see [`super::place_locks`]).
    place_locks: Arc<PlaceLocks>,
    /// Documents loaded from storage since start.
    loads: AtomicU64,
    /// Values hydrated by [`DocStore::read_shared`], kept after their documents left memory.
    hydrated: HydratedValues,
    /// Writes holding a document (see [`super::writers`]).
    writes: Arc<WriteGauge>,
}

impl DocStore {
    /// `actor` is this server process's Automerge actor: every change the server writes
    /// (decisions, compensations) is signed with it. Idle documents are evicted once the
    /// estimated memory of those loaded passes `budget_bytes`.
    pub fn new(db: Db, actor: ActorId, budget_bytes: usize) -> Self {
        Self {
            db,
            actor,
            cache: Arc::new(Mutex::new(SlotCache::new(budget_bytes))),
            place_locks: Arc::default(),
            loads: AtomicU64::new(0),
            hydrated: HydratedValues::default(),
            writes: Arc::default(),
        }
    }

    /// The in-memory locks of the place counters.
    pub fn place_locks(&self) -> Arc<PlaceLocks> {
        self.place_locks.clone()
    }

    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Locks the slot of `doc_id` (loading nothing yet).
    pub async fn lock(&self, doc_id: &DocumentId) -> SlotGuard {
        let slot = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .checkout(doc_id);
        SlotGuard {
            guard: slot.clone().lock_owned().await,
            slot,
            doc_id: doc_id.clone(),
            cache: self.cache.clone(),
        }
    }

    /// Makes `slot` hold the document at `version`, reloading from storage if needed.
    pub async fn ensure_loaded(
        &self,
        conn: &mut AnyConnection,
        slot: &mut Slot,
        doc_id: &DocumentId,
        version: i64,
    ) -> Result<(), AppError> {
        if slot.loaded.as_ref().is_some_and(|l| l.version == version) {
            return Ok(());
        }
        let stored = documents::load_stored(conn, doc_id).await?;
        self.load_into(slot, &stored, version)
    }

    /// Makes `slot` hold the document `stored` at `version`.
    pub(super) fn load_into(
        &self,
        slot: &mut Slot,
        stored: &StoredDoc,
        version: i64,
    ) -> Result<(), AppError> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let mut doc = AutoCommit::load(&stored.bytes)?;
        doc.set_actor(self.actor.clone());
        slot.loaded = Some(Box::new(Loaded::new(
            doc,
            version,
            stored.chunks,
            stored.stored_len,
        )));
        Ok(())
    }

    /// For readers: the slot's copy when it is known current, else a fresh load.
    pub async fn ensure_current_for_read(
        &self,
        slot: &mut Slot,
        doc_id: &DocumentId,
    ) -> Result<(), AppError> {
        // SQLite serves one process: a loaded copy is current (every write goes through it).
        if self.db.backend == Backend::Sqlite && slot.loaded.is_some() {
            return Ok(());
        }
        let mut conn = self.db.pool.acquire().await?;
        let version = documents::version(&mut conn, doc_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.ensure_loaded(&mut conn, slot, doc_id, version).await
    }

    /// For readers that already read the document's row (a sync request lists a family's
    /// documents, with their versions, first): the slot's copy when it reflects at least that
    /// version, else a fresh load, without asking storage for the version once more.
    ///
    /// On PostgreSQL a copy written since by this process is newer than the row and kept;
    /// a fresh load may be newer than `version` too (written by another process meanwhile)
    /// and is marked with `version`, so that a writer, which reads the version under lock,
    /// reloads it rather than trusting it. On SQLite (one process) a loaded copy is current;
    /// an empty slot is loaded at the version read now, which the write gate checks.
    pub async fn ensure_at_least(
        &self,
        slot: &mut Slot,
        doc_id: &DocumentId,
        version: i64,
    ) -> Result<(), AppError> {
        match self.db.backend {
            Backend::Sqlite => self.ensure_current_for_read(slot, doc_id).await,
            Backend::Postgres => {
                if slot.loaded.as_ref().is_some_and(|l| l.version >= version) {
                    return Ok(());
                }
                let mut conn = self.db.pool.acquire().await?;
                self.ensure_loaded(&mut conn, slot, doc_id, version).await
            }
        }
    }

    /// Hydrates a document for reading, through the slot cache.
    pub async fn read<T: autosurgeon::Hydrate>(&self, doc_id: &DocumentId) -> Result<T, AppError> {
        let mut slot = self.lock(doc_id).await;
        self.ensure_current_for_read(&mut slot, doc_id).await?;
        let loaded = slot.loaded.as_ref().ok_or_else(AppError::not_found)?;
        autosurgeon::hydrate(&loaded.doc)
            .map_err(|e| AppError::internal(format!("document {doc_id} illisible : {e}")))
    }

    /// Hydrates a document for reading, like [`DocStore::read`], sharing the value with
    /// earlier readers while the document has not changed: a booking sync needs the family's
    /// dossier for the rules, and hydrating it again each time cost more than the rules.
    /// `version` is the document's version as its row was just read, when known (see
    /// [`DocStore::ensure_at_least`]): the value read at that version is then given without
    /// the document, even after it left memory (see [`super::hydrated`]).
    pub async fn read_shared<T>(
        &self,
        doc_id: &DocumentId,
        version: Option<i64>,
    ) -> Result<Arc<T>, AppError>
    where
        T: autosurgeon::Hydrate + Send + Sync + 'static,
    {
        if let Some(v) = version
            && let Some(value) = self.hydrated.get::<T>(doc_id, v)
        {
            return Ok(value);
        }
        let mut slot = self.lock(doc_id).await;
        match version {
            Some(v) => self.ensure_at_least(&mut slot, doc_id, v).await?,
            None => self.ensure_current_for_read(&mut slot, doc_id).await?,
        }
        let loaded = slot.loaded.as_mut().ok_or_else(AppError::not_found)?;
        let value: Arc<T> = loaded
            .hydrate_shared()
            .map_err(|e| AppError::internal(format!("document {doc_id} illisible : {e}")))?;
        // Estimated at its stored size, as the slot's cache charges it.
        self.hydrated
            .put(doc_id, loaded.version, value.clone(), loaded.stored_bytes);
        Ok(value)
    }

    /// Number of documents in memory.
    pub fn loaded_count(&self) -> usize {
        self.cache.lock().map(|c| c.count()).unwrap_or(0)
    }

    /// Whether `doc_id` has a slot in memory (loaded or about to be).
    pub fn in_memory(&self, doc_id: &DocumentId) -> bool {
        self.cache
            .lock()
            .map(|c| c.contains(doc_id))
            .unwrap_or(false)
    }

    /// Documents loaded from storage since start (a sync that finds its documents in memory,
    /// or needs none, loads none).
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Writes holding a document now and at most since start (see [`super::writers`]).
    pub fn writes(&self) -> &Arc<WriteGauge> {
        &self.writes
    }

    /// Estimated memory of the documents in memory, in bytes.
    pub fn loaded_bytes(&self) -> usize {
        self.cache.lock().map(|c| c.bytes()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::Loaded;
    use automerge::AutoCommit;
    use automerge::transaction::Transactable;
    use autosurgeon::{Hydrate, Reconcile};
    use std::sync::Arc;

    #[derive(Debug, Clone, PartialEq, Hydrate, Reconcile)]
    struct Sheet {
        name: String,
    }

    #[derive(Debug, Clone, PartialEq, Hydrate, Reconcile)]
    struct Other {
        name: String,
    }

    fn loaded(name: &str) -> Loaded {
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, Sheet { name: name.into() }).expect("reconcile");
        Loaded::new(doc, 1, 1, 0)
    }

    #[test]
    fn a_hydrated_value_is_shared_until_the_document_changes() {
        let mut l = loaded("Léa");
        let first = l.hydrate_shared::<Sheet>().expect("hydrate");
        let again = l.hydrate_shared::<Sheet>().expect("hydrate");
        assert!(Arc::ptr_eq(&first, &again));
        l.doc
            .put(automerge::ROOT, "name", "Hugo")
            .expect("put into the root map");
        let changed = l.hydrate_shared::<Sheet>().expect("hydrate");
        assert!(!Arc::ptr_eq(&first, &changed));
        assert_eq!(changed.name, "Hugo");
        assert_eq!(first.name, "Léa");
    }

    #[test]
    fn another_type_is_hydrated_afresh_and_replaces_the_kept_value() {
        let mut l = loaded("Léa");
        let sheet = l.hydrate_shared::<Sheet>().expect("hydrate");
        let other = l.hydrate_shared::<Other>().expect("hydrate");
        assert_eq!(other.name, "Léa");
        let sheet_again = l.hydrate_shared::<Sheet>().expect("hydrate");
        assert!(!Arc::ptr_eq(&sheet, &sheet_again));
        assert_eq!(*sheet, *sheet_again);
    }
}
