//! One write to several documents: lock them, bring them up to date, change them, store
//! what changed and commit once, all or nothing (one commit, so one fsync, for a whole batch
//! of families' ledgers after an invoice run).
//!
//! The slots are locked in the documents' id order before the transaction begins, as a
//! single write locks its one slot before its transaction, and the rows are then locked in
//! that same order: two batch writes, or a batch write and single writes, never wait on each
//! other in a cycle. Dropping a [`BatchWrite`] before [`BatchWrite::commit`] succeeded rolls
//! the transaction back and forgets the in-memory copies.
//!
//! The batch's rows are read and written together ([`crate::db::document_batch`]): the
//! versions locked, the documents not in memory loaded, and at the commit the new chunks and
//! versions stored, each in a statement per hundred documents rather than one per document.

use super::store::{DocStore, SlotGuard};
use super::write::encode_changes;
use crate::db::document_batch::{self, NewVersion};
use crate::db::{Db, WriteTx};
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
        let conn = tx
            .as_mut()
            .map(|tx| &mut *tx.tx)
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let ids: Vec<DocumentId> = entries.iter().map(|e| e.doc_id.clone()).collect();
        let versions = document_batch::lock_versions(conn, db, &ids).await?;
        let wanted = entries
            .iter()
            .map(|e| {
                versions
                    .get(&e.doc_id)
                    .copied()
                    .ok_or_else(AppError::not_found)
            })
            .collect::<AppResult<Vec<i64>>>()?;
        let stale: Vec<&DocumentId> = entries
            .iter()
            .zip(&wanted)
            .filter(|(e, v)| e.slot.loaded.as_ref().is_none_or(|l| l.version != **v))
            .map(|(e, _)| &e.doc_id)
            .collect();
        let mut stored = document_batch::load_bytes_many(conn, &stale).await?;
        for (e, &version) in entries.iter_mut().zip(&wanted) {
            if let Some(doc) = stored.remove(&e.doc_id) {
                self.load_into(&mut e.slot, &doc, version)?;
            }
            let loaded = e
                .slot
                .loaded
                .as_mut()
                .filter(|l| l.version == version)
                .ok_or_else(|| AppError::internal("document sans données"))?;
            e.before = loaded.doc.get_heads();
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
        // (index, the version it becomes, what it stores)
        let mut encoded = Vec::with_capacity(entries.len());
        for (index, e) in entries.iter_mut().enumerate() {
            let loaded = e
                .slot
                .loaded
                .as_mut()
                .ok_or_else(|| AppError::internal("document non chargé"))?;
            if let Some(changes) = encode_changes(loaded, &e.before, compaction_threshold) {
                encoded.push((index, loaded.version + 1, changes));
            }
        }
        let rows: Vec<NewVersion<'_>> = encoded
            .iter()
            .map(|(index, version, changes)| changes.row(&entries[*index].doc_id, *version))
            .collect();
        document_batch::store_versions(conn, &rows).await?;
        drop(rows);
        for (index, _, changes) in &encoded {
            if let Some(loaded) = entries[*index].slot.loaded.as_mut() {
                changes.stored_in(loaded);
            }
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
