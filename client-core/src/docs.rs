//! The family's Automerge documents in memory, backed by the store's chunks.
//!
//! A document is loaded lazily from its chunks (concatenated, `AutoCommit::load`), given this
//! device's actor id, and kept in memory. New changes (a parent's edit or what a sync received)
//! are written as one more chunk (`save_after` the heads last saved) in the caller's
//! transaction; past [`COMPACT_AFTER_CHUNKS`] chunks the document is compacted into one
//! snapshot. If a transaction fails, the in-memory copy is dropped and reloaded from disk next
//! time, so memory never runs ahead of what is durable.
//!
//! A document listed by the server but not received yet is "not downloaded": reads see it empty
//! and edits refuse with [`Error::NotDownloaded`]. The device never creates a document's root
//! objects itself (the server does), because two actors creating the same root map
//! concurrently would make one of them invisible.

use crate::error::{Error, Result};
use crate::store::{self, DocRow, Store};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, Value};
use cartable_domain::DocKind;
use cartable_domain::ids::DocumentId;
use cartable_domain::protocol::DocumentInfo;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// A document is compacted into one snapshot once it has more chunks than this.
pub const COMPACT_AFTER_CHUNKS: usize = 16;

/// A document's content in memory.
pub(crate) struct Content {
    pub doc: AutoCommit,
    /// Heads already written to the store.
    saved_heads: Vec<ChangeHash>,
    /// Chunks the store holds for it.
    chunks: usize,
}

/// One document of the family: what the server says about it, its persisted sync state, and
/// (once loaded) its content.
pub(crate) struct LocalDoc {
    pub info: DocumentInfo,
    pub sync_state: Option<Vec<u8>>,
    content: Option<Content>,
}

/// All documents this device holds.
#[derive(Default)]
pub(crate) struct DocSet {
    docs: BTreeMap<DocumentId, LocalDoc>,
    actor: Option<ActorId>,
}

impl DocSet {
    /// An empty set whose documents will get `actor`.
    pub fn new(actor: Option<ActorId>) -> Self {
        Self {
            docs: BTreeMap::new(),
            actor,
        }
    }

    /// Reads the document list (not the contents) from the store.
    pub fn load_index(conn: &Connection, actor: Option<ActorId>) -> Result<Self> {
        let docs = store::list_documents(conn)?
            .into_iter()
            .map(|DocRow { info, sync_state }| {
                (
                    info.doc_id.clone(),
                    LocalDoc {
                        info,
                        sync_state,
                        content: None,
                    },
                )
            })
            .collect();
        Ok(Self { docs, actor })
    }

    pub fn ids(&self) -> Vec<DocumentId> {
        self.docs.keys().cloned().collect()
    }

    pub fn get(&self, id: &DocumentId) -> Option<&LocalDoc> {
        self.docs.get(id)
    }

    pub fn get_mut(&mut self, id: &DocumentId) -> Option<&mut LocalDoc> {
        self.docs.get_mut(id)
    }

    /// The document of `kind` (and school year, for plannings), if the server listed one.
    pub fn find(&self, kind: DocKind, school_year: Option<&str>) -> Option<DocumentId> {
        self.docs
            .values()
            .find(|d| {
                d.info.kind == kind
                    && (school_year.is_none() || d.info.school_year.as_deref() == school_year)
            })
            .map(|d| d.info.doc_id.clone())
    }

    /// Adds a document the server listed that this device did not know yet (no content).
    pub fn insert_new(&mut self, info: DocumentInfo) {
        self.docs.entry(info.doc_id.clone()).or_insert(LocalDoc {
            info,
            sync_state: None,
            content: None,
        });
    }

    pub fn remove(&mut self, id: &DocumentId) {
        self.docs.remove(id);
    }

    /// Drops an in-memory copy so the next access reloads it from the store.
    pub fn invalidate(&mut self, id: &DocumentId) {
        if let Some(d) = self.docs.get_mut(id) {
            d.content = None;
        }
    }

    /// The document's content, loading it from the store on first use.
    pub fn content(&mut self, store: &Store, id: &DocumentId) -> Result<&mut Content> {
        let local = self
            .docs
            .get_mut(id)
            .ok_or_else(|| Error::Document(format!("document inconnu {id}")))?;
        if local.content.is_none() {
            let actor = self.actor.clone();
            local.content = Some(store.read(|conn| Content::load(conn, id, actor))?);
        }
        local
            .content
            .as_mut()
            .ok_or_else(|| Error::Document(format!("document {id} non chargé")))
    }

    /// The content of a document already in memory (see [`DocSet::content`]).
    pub fn content_loaded(&mut self, id: &DocumentId) -> Result<&mut Content> {
        self.docs
            .get_mut(id)
            .and_then(|d| d.content.as_mut())
            .ok_or_else(|| Error::Document(format!("document {id} non chargé")))
    }

    /// The actor id given to every loaded document.
    pub fn actor(&self) -> Option<&ActorId> {
        self.actor.as_ref()
    }

    /// Runs an edit on the document `id` and makes it durable before returning: on success
    /// the new changes are written in one transaction; on failure nothing is kept.
    pub fn edit<T>(
        &mut self,
        store: &mut Store,
        id: &DocumentId,
        what: &str,
        f: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        self.edit_at(store, id, what, None, f)
    }

    /// [`DocSet::edit`], the change stamped with `time_ms` (ms since the Unix epoch, stored in
    /// seconds as Automerge does) so that staff see when a dossier field was changed.
    pub fn edit_at<T>(
        &mut self,
        store: &mut Store,
        id: &DocumentId,
        what: &str,
        time_ms: Option<i64>,
        f: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        let local = self
            .docs
            .get(id)
            .ok_or_else(|| Error::NotDownloaded(what.to_string()))?;
        if local.info.read_only {
            return Err(Error::invalid(format!("{what} est en lecture seule")));
        }
        let content = self.content(store, id)?;
        if content.doc.get_heads().is_empty() {
            return Err(Error::NotDownloaded(what.to_string()));
        }
        let out = match f(&mut content.doc) {
            Ok(out) => out,
            Err(e) => {
                content.doc.rollback();
                return Err(e);
            }
        };
        let mut options = automerge::transaction::CommitOptions::default();
        if let Some(ms) = time_ms {
            options.set_time(ms.div_euclid(1000));
        }
        content.doc.commit_with(options);
        let written = store.write(|tx| content.write_new_changes(tx, id));
        if let Err(e) = written {
            self.invalidate(id);
            return Err(e);
        }
        Ok(out)
    }
}

impl Content {
    fn load(conn: &Connection, id: &DocumentId, actor: Option<ActorId>) -> Result<Self> {
        let chunks = store::load_chunks(conn, id)?;
        let mut doc = if chunks.is_empty() {
            AutoCommit::new()
        } else {
            AutoCommit::load(&chunks.concat())
                .map_err(|e| Error::Document(format!("document {id} : {e}")))?
        };
        if let Some(actor) = actor {
            doc.set_actor(actor);
        }
        let saved_heads = doc.get_heads();
        Ok(Self {
            doc,
            saved_heads,
            chunks: chunks.len(),
        })
    }

    /// Writes the changes not yet in the store as one chunk (or a snapshot when the document
    /// has no chunk yet or too many). Returns true when something was written.
    pub fn write_new_changes(&mut self, conn: &Connection, id: &DocumentId) -> Result<bool> {
        let heads = self.doc.get_heads();
        if heads == self.saved_heads {
            return Ok(false);
        }
        if self.chunks == 0 || self.chunks >= COMPACT_AFTER_CHUNKS {
            let snapshot = self.doc.save();
            store::replace_chunks(conn, id, &snapshot)?;
            self.chunks = 1;
        } else {
            let bytes = self.doc.save_after(&self.saved_heads);
            self.chunks = store::append_chunk(conn, id, &bytes)?;
        }
        self.saved_heads = heads;
        Ok(true)
    }
}

/// The map at `key` under the root, if the document has it.
pub(crate) fn root_map(doc: &AutoCommit, key: &str) -> Result<Option<ObjId>> {
    map_at(doc, &automerge::ROOT, key)
}

/// The map at `obj[key]`, if present.
pub(crate) fn map_at(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<ObjId>> {
    Ok(match doc.get(obj, key)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

/// Parses the hex actor id stored in `meta`.
pub(crate) fn parse_actor(hex_actor: &str) -> Result<ActorId> {
    let bytes = hex::decode(hex_actor)
        .map_err(|e| Error::Storage(format!("identifiant d'acteur illisible : {e}")))?;
    Ok(ActorId::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn seeded_store(dir: &std::path::Path) -> (Store, DocumentId) {
        let mut store = Store::open(dir).expect("open");
        let id = DocumentId::new("d1");
        let info = DocumentInfo {
            doc_id: id.clone(),
            kind: DocKind::Dossier,
            school_year: None,
            read_only: false,
        };
        // A document as the server made it: root map present.
        let mut server = AutoCommit::new();
        server
            .put_object(automerge::ROOT, "children", ObjType::Map)
            .expect("root map");
        let snapshot = server.save();
        store
            .write(|tx| {
                store::upsert_document(tx, &info)?;
                store::replace_chunks(tx, &id, &snapshot)
            })
            .expect("seed");
        (store, id)
    }

    #[test]
    fn many_edits_are_compacted_and_reload_intact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, id) = seeded_store(dir.path());
        let mut docs = store
            .read(|c| DocSet::load_index(c, Some(ActorId::random())))
            .expect("index");
        for i in 0..40 {
            docs.edit(&mut store, &id, "le dossier", |doc| {
                let children =
                    root_map(doc, "children")?.ok_or_else(|| Error::invalid("no children"))?;
                doc.put(&children, format!("k{i}"), i)?;
                Ok(())
            })
            .expect("edit");
        }
        let chunks = store.read(|c| store::load_chunks(c, &id)).expect("chunks");
        assert!(
            chunks.len() <= COMPACT_AFTER_CHUNKS,
            "compacted: {}",
            chunks.len()
        );

        let mut reopened = store.read(|c| DocSet::load_index(c, None)).expect("index");
        let content = reopened.content(&store, &id).expect("load");
        let children = root_map(&content.doc, "children")
            .expect("read")
            .expect("children map");
        assert_eq!(content.doc.length(&children), 40);
    }

    #[test]
    fn a_failed_edit_leaves_the_document_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, id) = seeded_store(dir.path());
        let mut docs = store.read(|c| DocSet::load_index(c, None)).expect("index");
        let res: Result<()> = docs.edit(&mut store, &id, "le dossier", |doc| {
            let children = root_map(doc, "children")?.ok_or_else(|| Error::invalid("x"))?;
            doc.put(&children, "half", 1)?;
            Err(Error::invalid("refused"))
        });
        assert!(res.is_err());
        let content = docs.content(&store, &id).expect("load");
        let children = root_map(&content.doc, "children")
            .expect("read")
            .expect("map");
        assert_eq!(content.doc.length(&children), 0);
    }
}
