//! One write to several documents: lock them, bring them up to date, change them, store
//! what changed and commit once, all or nothing (one commit, so one fsync, for a whole batch
//! of families' ledgers after an invoice run).
//!
//! The slots are locked in the documents' id order before the transaction begins, as a
//! single write locks its one slot before its transaction, and the rows are then locked in
//! that same order: two batch writes, or a batch write and single writes, never wait on each
//! other in a cycle. Dropping a [`BatchWrite`] before [`BatchWrite::commit`] succeeded rolls
//! the transaction back and forgets the in-memory copies.

use super::store::{DocStore, SlotGuard};
use super::write::store_changes;
use crate::db::{Db, WriteTx, documents};
use crate::error::{AppError, AppResult};
use automerge::{AutoCommit, ChangeHash};
use cartable_domain::ids::DocumentId;
use sqlx::AnyConnection;

struct Entry {
    doc_id: DocumentId,
    slot: SlotGuard,
    /// Heads before this write.
    before: Vec<ChangeHash>,
}

pub struct BatchWrite {
    entries: Vec<Entry>,
    tx: Option<WriteTx>,
}

impl DocStore {
    /// Starts a write to every document of `doc_ids` (duplicates ignored), in id order.
    pub async fn begin_batch_write(
        &self,
        db: &Db,
        doc_ids: &[DocumentId],
    ) -> AppResult<BatchWrite> {
        let mut ids = doc_ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut entries = Vec::with_capacity(ids.len());
        for doc_id in ids {
            let slot = self.lock(&doc_id).await;
            entries.push(Entry {
                doc_id,
                slot,
                before: Vec::new(),
            });
        }
        let mut write = BatchWrite {
            entries,
            tx: Some(db.begin_write().await?),
        };
        let BatchWrite { entries, tx } = &mut write;
        let tx = tx
            .as_mut()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        for e in entries.iter_mut() {
            let version = documents::lock_version(&mut tx.tx, db, &e.doc_id)
                .await?
                .ok_or_else(AppError::not_found)?;
            self.ensure_loaded(&mut tx.tx, &mut e.slot, &e.doc_id, version)
                .await?;
            e.before = e
                .slot
                .loaded
                .as_mut()
                .map(|l| l.doc.get_heads())
                .unwrap_or_default();
        }
        Ok(write)
    }
}

impl BatchWrite {
    /// The documents written, in the order [`BatchWrite::parts`] takes.
    pub fn doc_ids(&self) -> Vec<DocumentId> {
        self.entries.iter().map(|e| e.doc_id.clone()).collect()
    }

    /// The transaction's connection and the `index`-th document, together.
    pub fn parts(&mut self, index: usize) -> AppResult<(&mut AnyConnection, &mut AutoCommit)> {
        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let doc = self
            .entries
            .get_mut(index)
            .and_then(|e| e.slot.loaded.as_mut())
            .map(|l| &mut l.doc)
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        Ok((&mut *tx.tx, doc))
    }

    /// The transaction's connection alone, for rows written with the documents.
    pub fn conn(&mut self) -> AppResult<&mut AnyConnection> {
        self.tx
            .as_mut()
            .map(|tx| &mut *tx.tx)
            .ok_or_else(|| AppError::internal("écriture terminée"))
    }

    /// Stores every document's changes and commits them together.
    pub async fn commit(mut self, compaction_threshold: i64) -> AppResult<()> {
        let BatchWrite { entries, tx } = &mut self;
        let conn = tx
            .as_mut()
            .map(|tx| &mut *tx.tx)
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        for e in entries.iter_mut() {
            let loaded = e
                .slot
                .loaded
                .as_mut()
                .ok_or_else(|| AppError::internal("document non chargé"))?;
            store_changes(conn, &e.doc_id, loaded, &e.before, compaction_threshold).await?;
        }
        let tx = self
            .tx
            .take()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        if let Err(e) = tx.commit().await {
            self.forget();
            return Err(e.into());
        }
        Ok(())
    }

    fn forget(&mut self) {
        for e in &mut self.entries {
            e.slot.loaded = None;
        }
    }
}

impl Drop for BatchWrite {
    fn drop(&mut self) {
        // Not committed: the transaction rolls back as it drops; forget the in-memory copies.
        if self.tx.is_some() {
            self.forget();
        }
    }
}
