//! One write to one document: lock it, bring it up to date, change it, store what changed
//! and commit, all or nothing.
//!
//! On PostgreSQL the write's transaction starts at once and locks the document's row (another
//! process may write it too). On SQLite the transaction takes the process's write gate, shared
//! by every writer: it starts only when the write first needs it ([`DocWrite::parts`] or the
//! commit), so that merging, checking and deciding, which need only the document (locked by
//! its slot) and the place counters (locked by [`DocWrite::lock_counters`]), do not make every
//! other family wait.
//!
//! Dropping a [`DocWrite`] before [`DocWrite::commit`] succeeded rolls the transaction back
//! and forgets the in-memory copy, so nothing storage did not accept survives in memory.

use super::place_locks::{PlaceGuards, PlaceLocks};
use super::store::{DocStore, Loaded, SlotGuard};
use super::writers::WriteMark;
use crate::db::document_batch::NewVersion;
use crate::db::{Backend, Conn, Db, DirectTx, chunk_codec, documents, places};
use crate::error::{AppError, AppResult};
use automerge::{AutoCommit, ChangeHash};
use cartable_domain::ids::{DocumentId, StructureId};
use cartable_reconcile::{Counts, PlaceDeltas, PlaceKey};
use sqlx::AnyConnection;
use std::sync::Arc;

/// Counters up to which a SQLite write decides inside the write gate (see
/// [`DocWrite::lock_counters`]).
const IN_GATE_COUNTERS: usize = 8;

pub struct DocWrite {
    slot: Option<SlotGuard>,
    tx: Option<DirectTx>,
    /// Whether the transaction runs on the write gate's writer connection (SQLite file):
    /// every statement of the write then takes a [`Conn`] ([`DocWrite::conn_parts`]).
    direct: bool,
    db: Db,
    doc_id: DocumentId,
    place_locks: Arc<PlaceLocks>,
    /// Counters locked in memory (SQLite), let go once this write joined its batch.
    places: Option<PlaceGuards>,
    /// The counters' values this write decided on (SQLite).
    counts: Counts,
    /// Failed batches when the counters were read, and when the gate was taken (SQLite; see
    /// [`crate::db::group_commit::GroupCommit::failures`]).
    failures_read: u64,
    failures_at_gate: u64,
    /// Whether the transaction was started (it is not started again once committed).
    started: bool,
    /// Whether its connection was handed out to write (then the transaction may no longer
    /// be given up to wait for counters).
    conn_used: bool,
    /// What the commit stores, encoded ahead (see [`DocWrite::encode`]).
    encoded: Option<Encoded>,
    /// Heads before this write.
    pub before: Vec<ChangeHash>,
    /// Counts this write among those holding a document while it lives.
    _counted: WriteMark,
}

impl DocStore {
    /// Starts a write to `doc_id`: locks its slot and loads the current version. On
    /// PostgreSQL, also opens the write's transaction and locks the document's row.
    pub async fn begin_write(&self, db: &Db, doc_id: &DocumentId) -> AppResult<DocWrite> {
        self.begin(db, doc_id, false).await
    }

    /// As [`DocStore::begin_write`], for a write whose statements all take a [`Conn`]
    /// ([`DocWrite::conn_parts`], not [`DocWrite::parts`]): on a SQLite file they run on the
    /// write gate's writer connection, in the request's thread.
    pub async fn begin_direct_write(&self, db: &Db, doc_id: &DocumentId) -> AppResult<DocWrite> {
        self.begin(db, doc_id, true).await
    }

    async fn begin(&self, db: &Db, doc_id: &DocumentId, direct: bool) -> AppResult<DocWrite> {
        let mut slot = self.lock(doc_id).await;
        let mut write = DocWrite {
            slot: None,
            tx: None,
            direct,
            db: db.clone(),
            doc_id: doc_id.clone(),
            place_locks: self.place_locks(),
            places: None,
            counts: Counts::new(),
            failures_read: 0,
            failures_at_gate: 0,
            started: false,
            conn_used: false,
            encoded: None,
            before: Vec::new(),
            _counted: self.writes().enter(),
        };
        match db.backend {
            Backend::Sqlite => {
                // One process: a loaded copy is current, checked again when the gate is taken.
                self.ensure_current_for_read(&mut slot, doc_id).await?;
                write.slot = Some(slot);
            }
            Backend::Postgres => {
                let mut tx = db.begin_write().await?;
                let version = documents::lock_version(&mut Conn::Any(&mut tx.tx), db, doc_id)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                self.ensure_loaded(&mut tx.tx, &mut slot, doc_id, version)
                    .await?;
                let tx = DirectTx::Any(tx);
                write.slot = Some(slot);
                write.tx = Some(tx);
                write.started = true;
            }
        }
        write.before = write.loaded()?.doc.get_heads();
        Ok(write)
    }
}

impl DocWrite {
    fn loaded(&mut self) -> AppResult<&mut Loaded> {
        self.slot
            .as_mut()
            .and_then(|s| s.loaded.as_deref_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))
    }

    /// Starts the transaction if it is not yet (SQLite: takes the write gate, then checks
    /// that the loaded copy is still the stored version).
    async fn start(&mut self) -> AppResult<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let mut tx = if self.direct {
            self.db.begin_direct().await?
        } else {
            DirectTx::Any(self.db.begin_write().await?)
        };
        // Holding the gate: a batch that failed since the counters were read may have held
        // moves those values counted.
        self.failures_at_gate = self.db.commit_failures();
        if self.places.is_some() && self.failures_at_gate != self.failures_read {
            return Err(AppError::client(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                cartable_domain::api::ErrorCode::Unavailable,
                "Service momentanément indisponible, réessayez",
            ));
        }
        let version = documents::lock_version(&mut tx.conn()?, &self.db, &self.doc_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if self.loaded()?.version != version {
            // Every write of this process goes through the document's slot: another version
            // means storage was written behind it. Forget the copy; the next write reloads.
            if let Some(slot) = self.slot.as_mut() {
                slot.loaded = None;
            }
            return Err(AppError::internal(
                "document modifié hors de son verrou pendant une écriture",
            ));
        }
        self.tx = Some(tx);
        Ok(())
    }

    /// The transaction's sqlx connection and the document, together (starting the
    /// transaction). An error for a write begun with [`DocStore::begin_direct_write`].
    pub async fn parts(&mut self) -> AppResult<(&mut AnyConnection, &mut AutoCommit)> {
        let (tx, doc) = self.started_parts().await?;
        Ok((tx.pooled()?, doc))
    }

    /// The transaction's connection and the document, together (starting the transaction).
    pub async fn conn_parts(&mut self) -> AppResult<(Conn<'_>, &mut AutoCommit)> {
        let (tx, doc) = self.started_parts().await?;
        Ok((tx.conn()?, doc))
    }

    /// The transaction, started and handed out to write, and the document.
    async fn started_parts(&mut self) -> AppResult<(&mut DirectTx, &mut AutoCommit)> {
        self.start().await?;
        self.conn_used = true;
        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let loaded = self
            .slot
            .as_mut()
            .and_then(|s| s.loaded.as_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        Ok((tx, &mut loaded.doc))
    }

    /// Takes the write gate now (SQLite), for a write that will decide in one turn of it.
    pub async fn start_now(&mut self) -> AppResult<()> {
        self.start().await
    }

    /// The transaction's connection if it started, to read only, and the document (without
    /// starting it).
    pub fn parts_if_started(&mut self) -> AppResult<(Option<Conn<'_>>, &mut AutoCommit)> {
        let conn = self.tx.as_mut().map(DirectTx::conn).transpose()?;
        let loaded = self
            .slot
            .as_mut()
            .and_then(|s| s.loaded.as_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        Ok((conn, &mut loaded.doc))
    }

    /// The document, without starting the transaction.
    pub fn doc(&mut self) -> AppResult<&mut AutoCommit> {
        Ok(&mut self.loaded()?.doc)
    }

    /// Locks the place counters `keys` (given in the core's locking order) until the write
    /// joined its batch (SQLite) or committed (PostgreSQL), and reads their values.
    /// PostgreSQL locks their rows in the transaction. SQLite locks them in memory, and no
    /// writer waits for a counter while holding the write gate: a write deciding on a few
    /// counters (a phone's usual sync) takes the gate and then the counters if they are free,
    /// and decides in the gate, as one turn; one deciding on many (a large request) or
    /// finding one busy waits for them outside the gate and decides before taking it.
    pub async fn lock_counters(
        &mut self,
        structure_id: &StructureId,
        keys: &[PlaceKey],
    ) -> AppResult<Counts> {
        if keys.is_empty() {
            return Ok(Counts::new());
        }
        match self.db.backend {
            Backend::Postgres => {
                let db = self.db.clone();
                let (conn, _) = self.parts().await?;
                super::apply::lock_counters(conn, &db, structure_id, keys).await
            }
            Backend::Sqlite => {
                if self.places.is_some() {
                    return Err(AppError::internal(
                        "compteurs de places verrouillés deux fois dans l'écriture",
                    ));
                }
                if keys.len() <= IN_GATE_COUNTERS
                    && !self.conn_used
                    && let Some(counts) = self.lock_counters_in_gate(structure_id, keys).await?
                {
                    return Ok(counts);
                }
                if self.started && !self.conn_used {
                    // Too many counters to decide in the gate, or one held by someone deciding
                    // outside it: let go of the gate (nothing was written) and wait for them
                    // as they do.
                    self.tx = None;
                    self.started = false;
                }
                if self.started {
                    return Err(AppError::internal(
                        "compteurs de places verrouillés trop tard dans l'écriture",
                    ));
                }
                let mut guards = self.place_locks.lock(structure_id, keys).await;
                let failures = self.db.commit_failures();
                let (mut counts, missing) = guards.known(failures);
                if !missing.is_empty() {
                    // No move of these is pending in a batch (it would be known): storage
                    // has their values.
                    let mut conn = self.db.pool.acquire().await?;
                    let read =
                        places::read(&mut Conn::Any(&mut conn), structure_id, &missing).await?;
                    guards.remember(&read, failures);
                    counts.extend(read);
                }
                self.places = Some(guards);
                self.failures_read = failures;
                self.counts = counts.clone();
                Ok(counts)
            }
        }
    }

    /// Takes the write gate (if not yet) and, if no one holds them, the counters `keys`,
    /// reading their values in the transaction. `None` if one of them is held.
    async fn lock_counters_in_gate(
        &mut self,
        structure_id: &StructureId,
        keys: &[PlaceKey],
    ) -> AppResult<Option<Counts>> {
        self.start().await?;
        let Some(mut guards) = self.place_locks.try_lock(structure_id, keys) else {
            return Ok(None);
        };
        let failures = self.failures_at_gate;
        let (mut counts, missing) = guards.known(failures);
        if !missing.is_empty() {
            let tx = self
                .tx
                .as_mut()
                .ok_or_else(|| AppError::internal("écriture terminée"))?;
            let read = places::read(&mut tx.conn()?, structure_id, &missing).await?;
            guards.remember(&read, failures);
            counts.extend(read);
        }
        self.places = Some(guards);
        self.failures_read = failures;
        self.counts = counts.clone();
        Ok(Some(counts))
    }

    /// Moves the counters locked by [`DocWrite::lock_counters`] by `deltas`, in the write's
    /// transaction (and, on SQLite, in memory for the next writer of the same counters).
    pub async fn move_counters(
        &mut self,
        structure_id: &StructureId,
        deltas: &PlaceDeltas,
    ) -> AppResult<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        let moves: Vec<(&PlaceKey, i64)> = deltas.iter().collect();
        let (mut conn, _) = self.conn_parts().await?;
        places::add_all(&mut conn, structure_id, &moves).await?;
        if let Some(guards) = self.places.as_mut() {
            let mut moved = Counts::new();
            for (key, delta) in moves {
                let Some(value) = self.counts.get(key) else {
                    return Err(AppError::internal(
                        "compteur de places déplacé sans avoir été verrouillé",
                    ));
                };
                moved.insert(key.clone(), value + delta);
            }
            guards.moved(&moved, self.failures_at_gate);
        }
        Ok(())
    }

    /// Stores the changes made since the write began (compacting when chunks pile up) and
    /// commits. Returns the document's slot, still locked, to read the result.
    pub async fn commit(mut self, compaction_threshold: i64) -> AppResult<SlotGuard> {
        if !self.started && self.loaded()?.doc.get_heads() == self.before {
            // Nothing written and nothing to store: no transaction to take.
            self.started = true;
            self.places = None;
            return self
                .slot
                .take()
                .ok_or_else(|| AppError::internal("document non chargé"));
        }
        self.start().await?;
        self.store_changes(compaction_threshold).await?;
        let tx = self
            .tx
            .take()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let committed = match tx.release().await {
            Ok(Some(released)) => {
                // The moves are in the batch: the next writer of these counters may decide
                // on them now (from memory) and join the same batch.
                let mut places = self.places.take();
                if let Some(guards) = places.as_mut() {
                    guards.unlock();
                }
                // The counters' values stay known until the batch is durable, even if this
                // request goes away meanwhile.
                let durable = tokio::spawn(async move {
                    let outcome = released.durable().await;
                    drop(places);
                    outcome
                });
                match durable.await {
                    Ok(outcome) => outcome,
                    Err(e) => Err(sqlx::Error::Protocol(format!(
                        "validation groupée interrompue : {e}"
                    ))),
                }
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = committed {
            if let Some(slot) = self.slot.as_mut() {
                slot.loaded = None;
            }
            return Err(e.into());
        }
        self.places = None;
        self.slot
            .take()
            .ok_or_else(|| AppError::internal("document non chargé"))
    }

    /// Encodes what the write will store, now, before the transaction starts: encoding a
    /// large merge takes a while, better spent outside the write gate. The commit stores these
    /// bytes unless the document changed again since.
    pub fn encode(&mut self, threshold: i64) -> AppResult<()> {
        let before = self.before.clone();
        let encoded = encode_changes(self.loaded()?, &before, threshold);
        self.encoded = encoded;
        Ok(())
    }

    async fn store_changes(&mut self, threshold: i64) -> AppResult<()> {
        let encoded = self.encoded.take();
        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| AppError::internal("écriture terminée"))?;
        let loaded = self
            .slot
            .as_mut()
            .and_then(|s| s.loaded.as_mut())
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        match encoded {
            Some(encoded) if encoded.heads == loaded.doc.get_heads() => {
                write_encoded(&mut tx.conn()?, &self.doc_id, loaded, encoded).await
            }
            _ => {
                let mut conn = tx.conn()?;
                store_changes(&mut conn, &self.doc_id, loaded, &self.before, threshold).await
            }
        }
    }
}

/// What a write stores: the changes since it began, or the whole document.
pub struct Encoded {
    /// The document's heads when encoded (stale once it changes again).
    heads: Vec<ChangeHash>,
    bytes: Vec<u8>,
    snapshot: bool,
}

/// A chunk at least this large that also outweighs everything stored of its document is
/// stored as a snapshot instead (see [`encode_changes`]).
pub const LARGE_CHUNK_BYTES: usize = 4096;

/// Encodes what changed in `loaded` since `before` for storage: one more chunk, or a snapshot
/// of the whole document once `threshold` chunks piled up or when the chunk is large
/// ([`LARGE_CHUNK_BYTES`]) and outweighs what is stored already (a school year booked at
/// once, a month's bulk booking). Automerge rebuilds a document from a snapshot about twice
/// as fast as it applies the same operations as changes, and stores it in far fewer bytes
/// (a year of 1,100 booked cells: 1.45 against 3.0 ms per load, 15 KB against 227 KB).
/// A snapshot is stored as [`chunk_codec::snapshot`] encodes it. `None` when nothing changed.
pub(super) fn encode_changes(
    loaded: &mut Loaded,
    before: &[ChangeHash],
    threshold: i64,
) -> Option<Encoded> {
    let heads = loaded.doc.get_heads();
    if heads == before {
        return None;
    }
    let (bytes, snapshot) = if loaded.chunks + 1 > threshold {
        (chunk_codec::snapshot(&mut loaded.doc), true)
    } else {
        let chunk = loaded.doc.save_after(before);
        if chunk.len() >= LARGE_CHUNK_BYTES && chunk.len() > loaded.stored_bytes {
            (chunk_codec::snapshot(&mut loaded.doc), true)
        } else {
            (chunk, false)
        }
    };
    Some(Encoded {
        heads,
        bytes,
        snapshot,
    })
}

/// Stores `encoded` as the next version of `loaded`.
async fn write_encoded(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    loaded: &mut Loaded,
    encoded: Encoded,
) -> AppResult<()> {
    let new_version = loaded.version + 1;
    if encoded.snapshot {
        documents::compact(conn, doc_id, new_version, &encoded.bytes).await?;
    } else {
        documents::append_chunk(conn, doc_id, new_version, &encoded.bytes).await?;
    }
    encoded.stored_in(loaded);
    Ok(())
}

impl Encoded {
    /// The row that stores this as `doc_id`'s `version`.
    pub(super) fn row<'a>(&'a self, doc_id: &'a DocumentId, version: i64) -> NewVersion<'a> {
        NewVersion {
            doc_id,
            version,
            data: &self.bytes,
            snapshot: self.snapshot,
        }
    }

    /// Records in `loaded` that this was stored as its next version.
    pub(super) fn stored_in(&self, loaded: &mut Loaded) {
        if self.snapshot {
            loaded.chunks = 1;
            loaded.stored_bytes = self.bytes.len();
        } else {
            loaded.chunks += 1;
            loaded.stored_bytes += self.bytes.len();
        }
        loaded.version += 1;
    }
}

/// Stores what changed in `loaded` since `before` as the next version (a snapshot instead of
/// one more chunk once `threshold` chunks piled up). Nothing when nothing changed.
async fn store_changes(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    loaded: &mut Loaded,
    before: &[ChangeHash],
    threshold: i64,
) -> AppResult<()> {
    match encode_changes(loaded, before, threshold) {
        Some(encoded) => write_encoded(conn, doc_id, loaded, encoded).await,
        None => Ok(()),
    }
}

impl Drop for DocWrite {
    fn drop(&mut self) {
        // Not committed: the transaction rolls back as it drops; forget the in-memory copy,
        // which may hold changes merged before the transaction started.
        if let Some(slot) = self.slot.as_mut() {
            slot.loaded = None;
        }
        // The counters' values from before this write's moves are put back as it lets go
        // of them (`PlaceGuards`' drop); its savepoint is rolled back in the batch.
        self.tx = None;
        self.places = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

    /// A planning stored as one snapshot, as [`Loaded`] holds it after a load.
    fn stored() -> Loaded {
        let mut doc = AutoCommit::new();
        doc.put_object(ROOT, "requests", ObjType::Map)
            .expect("requests");
        let bytes = doc.save().len();
        Loaded::new(doc, 1, 1, bytes)
    }

    /// Writes `cells` requests (versions `version`) in one change; the heads before it.
    fn book(loaded: &mut Loaded, cells: usize, version: usize) -> Vec<ChangeHash> {
        let before = loaded.doc.get_heads();
        let requests = match loaded.doc.get(ROOT, "requests") {
            Ok(Some((_, id))) => id,
            other => panic!("no requests map: {other:?}"),
        };
        for i in 0..cells {
            let key = format!("enfant|2026-09-{:02}|cantine|{i}", i % 28 + 1);
            loaded
                .doc
                .put(
                    &requests,
                    key,
                    format!("{{\"rev\":\"{version}-{i:032x}\"}}"),
                )
                .expect("request");
        }
        loaded.doc.commit();
        before
    }

    #[test]
    fn a_small_change_is_a_chunk_and_a_year_booked_at_once_a_snapshot() {
        let mut loaded = stored();
        let before = book(&mut loaded, 1, 1);
        let one = encode_changes(&mut loaded, &before, 16).expect("changed");
        assert!(!one.snapshot);
        assert!(one.bytes.len() < LARGE_CHUNK_BYTES);

        let mut loaded = stored();
        let before = book(&mut loaded, 1100, 1);
        let chunk_len = loaded.doc.save_after(&before).len();
        assert!(
            chunk_len > LARGE_CHUNK_BYTES,
            "a chunk of {chunk_len} bytes"
        );
        let year = encode_changes(&mut loaded, &before, 16).expect("changed");
        assert!(year.snapshot);
        assert!(
            year.bytes.len() < chunk_len / 4,
            "{} bytes",
            year.bytes.len()
        );
        let stored = chunk_codec::decode(&year.bytes).expect("decompresses");
        let mut reloaded = AutoCommit::load(&stored).expect("snapshot loads");
        assert_eq!(reloaded.get_heads(), loaded.doc.get_heads());
    }

    #[test]
    fn a_large_chunk_beside_a_larger_document_stays_a_chunk_until_the_threshold() {
        let mut loaded = stored();
        let before = book(&mut loaded, 1100, 1);
        loaded.stored_bytes = loaded.doc.save().len() * 100;
        let later = book(&mut loaded, 100, 2);
        let chunk = encode_changes(&mut loaded, &later, 16).expect("changed");
        assert!(!chunk.snapshot, "{} bytes", chunk.bytes.len());
        assert!(chunk.bytes.len() >= LARGE_CHUNK_BYTES);
        loaded.chunks = 16;
        let compacted = encode_changes(&mut loaded, &before, 16).expect("changed");
        assert!(compacted.snapshot);
        let now = loaded.doc.get_heads();
        assert!(encode_changes(&mut loaded, &now, 16).is_none());
    }
}
