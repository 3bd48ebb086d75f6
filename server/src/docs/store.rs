//! Loaded documents, one lock each, kept in memory while in use and evicted when idle.
//!
//! A loaded document remembers the storage version it reflects. Writers lock the document
//! row (PostgreSQL) or the write gate (SQLite) and reload when another process moved the
//! version on, so several server processes can share one PostgreSQL.

use crate::db::{Backend, Db, documents};
use crate::error::AppError;
use automerge::{ActorId, AutoCommit};
use cartable_domain::ids::DocumentId;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A document as loaded from storage.
pub struct Loaded {
    pub doc: AutoCommit,
    /// Storage version this copy reflects.
    pub version: i64,
    /// Chunks stored since the last snapshot (drives compaction).
    pub chunks: i64,
}

#[derive(Default)]
pub struct Slot {
    pub loaded: Option<Loaded>,
    last_used: Option<Instant>,
}

pub type SlotGuard = tokio::sync::OwnedMutexGuard<Slot>;

pub struct DocStore {
    db: Db,
    actor: ActorId,
    capacity: usize,
    slots: Mutex<HashMap<DocumentId, Arc<tokio::sync::Mutex<Slot>>>>,
}

impl DocStore {
    /// `actor` is this server process's Automerge actor: every change the server writes
    /// (decisions, compensations) is signed with it.
    pub fn new(db: Db, actor: ActorId, capacity: usize) -> Self {
        Self {
            db,
            actor,
            capacity: capacity.max(16),
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Locks the slot of `doc_id` (loading nothing yet).
    pub async fn lock(&self, doc_id: &DocumentId) -> SlotGuard {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if slots.len() >= self.capacity && !slots.contains_key(doc_id) {
                evict_idle(&mut slots, self.capacity / 2);
            }
            slots.entry(doc_id.clone()).or_default().clone()
        };
        let mut guard = slot.lock_owned().await;
        guard.last_used = Some(Instant::now());
        guard
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
        let (bytes, chunks) = documents::load_bytes(conn, doc_id).await?;
        let mut doc = AutoCommit::load(&bytes)?;
        doc.set_actor(self.actor.clone());
        slot.loaded = Some(Loaded {
            doc,
            version,
            chunks,
        });
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

    /// Hydrates a document for reading, through the slot cache.
    pub async fn read<T: autosurgeon::Hydrate>(&self, doc_id: &DocumentId) -> Result<T, AppError> {
        let mut slot = self.lock(doc_id).await;
        self.ensure_current_for_read(&mut slot, doc_id).await?;
        let loaded = slot.loaded.as_ref().ok_or_else(AppError::not_found)?;
        autosurgeon::hydrate(&loaded.doc)
            .map_err(|e| AppError::internal(format!("document {doc_id} illisible : {e}")))
    }

    /// Number of documents in memory.
    pub fn loaded_count(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }
}

fn evict_idle(slots: &mut HashMap<DocumentId, Arc<tokio::sync::Mutex<Slot>>>, keep: usize) {
    let mut idle: Vec<(DocumentId, Instant)> = slots
        .iter()
        .filter(|(_, s)| Arc::strong_count(s) == 1)
        .filter_map(|(k, s)| {
            s.try_lock()
                .ok()
                .map(|g| (k.clone(), g.last_used.unwrap_or_else(Instant::now)))
        })
        .collect();
    idle.sort_by_key(|(_, t)| *t);
    let excess = slots.len().saturating_sub(keep);
    for (k, _) in idle.into_iter().take(excess) {
        slots.remove(&k);
    }
}
