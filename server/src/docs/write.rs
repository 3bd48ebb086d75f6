//! One write to one document: lock it, bring it up to date, change it, store what changed
//! and commit, all or nothing.
//!
//! Dropping a [`DocWrite`] before [`DocWrite::commit`] succeeded rolls the transaction back
//! and forgets the in-memory copy, so nothing storage did not accept survives in memory.

use super::store::{DocStore, Loaded, SlotGuard};
use crate::db::{Db, WriteTx, documents};
use crate::error::{AppError, AppResult};
use automerge::{AutoCommit, ChangeHash};
use cartable_domain::ids::DocumentId;
use sqlx::AnyConnection;

pub struct DocWrite {
    slot: Option<SlotGuard>,
    tx: Option<WriteTx>,
    doc_id: DocumentId,
    /// Heads before this write.
    pub before: Vec<ChangeHash>,
}

impl DocStore {
    /// Starts a write to `doc_id`: locks its slot, opens a write transaction, locks the
    /// document row and loads the current version.
    pub async fn begin_write(&self, db: &Db, doc_id: &DocumentId) -> AppResult<DocWrite> {
        let slot = self.lock(doc_id).await;
        let tx = db.begin_write().await?;
        let mut write = DocWrite {
            slot: Some(slot),
            tx: Some(tx),
            doc_id: doc_id.clone(),
            before: Vec::new(),
        };
        let (Some(slot), Some(tx)) = (write.slot.as_mut(), write.tx.as_mut()) else {
            return Err(AppError::internal("écriture incomplète"));
        };
        let version = documents::lock_version(&mut tx.tx, db, doc_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.ensure_loaded(&mut tx.tx, slot, doc_id, version)
            .await?;
        write.before = write.loaded()?.doc.get_heads();
        Ok(write)
    }
}

impl DocWrite {
    fn loaded(&mut self) -> AppResult<&mut Loaded> {
        self.slot
            .as_mut()
            .and_then(|s| s.loaded.as_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))
    }

    /// The transaction's connection and the document, together.
    pub fn parts(&mut self) -> AppResult<(&mut AnyConnection, &mut AutoCommit)> {
        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let loaded = self
            .slot
            .as_mut()
            .and_then(|s| s.loaded.as_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        Ok((&mut *tx.tx, &mut loaded.doc))
    }

    pub fn doc(&mut self) -> AppResult<&mut AutoCommit> {
        Ok(self.parts()?.1)
    }

    /// Stores the changes made since the write began (compacting when chunks pile up) and
    /// commits. Returns the document's slot, still locked, to read the result.
    pub async fn commit(mut self, compaction_threshold: i64) -> AppResult<SlotGuard> {
        self.store_changes(compaction_threshold).await?;
        let tx = self
            .tx
            .take()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        if let Err(e) = tx.commit().await {
            if let Some(slot) = self.slot.as_mut() {
                slot.loaded = None;
            }
            return Err(e.into());
        }
        self.slot
            .take()
            .ok_or_else(|| AppError::internal("document non chargé"))
    }

    async fn store_changes(&mut self, threshold: i64) -> AppResult<()> {
        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let loaded = self
            .slot
            .as_mut()
            .and_then(|s| s.loaded.as_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        store_changes(&mut tx.tx, &self.doc_id, loaded, &self.before, threshold).await
    }
}

/// Stores what changed in `loaded` since `before` as the next version (a snapshot instead of
/// one more chunk once `threshold` chunks piled up). Nothing when nothing changed.
pub(super) async fn store_changes(
    conn: &mut AnyConnection,
    doc_id: &DocumentId,
    loaded: &mut Loaded,
    before: &[ChangeHash],
    threshold: i64,
) -> AppResult<()> {
    if loaded.doc.get_heads() == before {
        return Ok(());
    }
    let new_version = loaded.version + 1;
    if loaded.chunks + 1 > threshold {
        let snapshot = loaded.doc.save();
        documents::compact(conn, doc_id, new_version, &snapshot).await?;
        loaded.chunks = 1;
        loaded.stored_bytes = snapshot.len();
    } else {
        let bytes = loaded.doc.save_after(before);
        documents::append_chunk(conn, doc_id, new_version, &bytes).await?;
        loaded.chunks += 1;
        loaded.stored_bytes += bytes.len();
    }
    loaded.version = new_version;
    Ok(())
}

impl Drop for DocWrite {
    fn drop(&mut self) {
        // Not committed: the transaction rolls back as it drops; forget the in-memory copy.
        if self.tx.is_some()
            && let Some(slot) = self.slot.as_mut()
        {
            slot.loaded = None;
        }
    }
}
