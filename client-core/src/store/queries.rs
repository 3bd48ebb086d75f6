//! The SQL of the local store, one small function per statement.
//!
//! Callers get a connection or a transaction from [`super::Store::read`] /
//! [`super::Store::write`]; nothing here opens a transaction of its own.

use crate::error::{Error, Result};
use cartable_domain::DocKind;
use cartable_domain::ids::DocumentId;
use cartable_domain::protocol::DocumentInfo;
use rusqlite::{Connection, OptionalExtension, params};

/// Keys of the `meta` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    ServerUrl,
    Token,
    AccountId,
    FamilyId,
    StructureId,
    DeviceId,
    DisplayName,
    /// Hex of this device's Automerge actor id, created at login.
    ActorId,
    /// Last measured `server clock - device clock`, in ms.
    ClockOffsetMs,
    /// JSON of the family's supporting documents as the server last listed them.
    DocumentsCache,
    /// JSON of the documents whose changes the server refused (see `crate::refusals`).
    RefusedChanges,
    /// The login name typed at sign-in.
    Login,
    /// "1" while the account's one-time password must be replaced.
    MustChangePassword,
    /// The server's proof that this device signed in before (kept across logouts: it
    /// protects the next login from lockouts caused by someone else, and holds nothing).
    KnownDevice,
    /// This device's Web Push keys (base64url): P-256 private scalar, public point, auth
    /// secret. Created once; wiped at logout.
    PushPrivateKey,
    PushPublicKey,
    PushAuth,
}

impl MetaKey {
    fn as_str(self) -> &'static str {
        match self {
            MetaKey::ServerUrl => "server_url",
            MetaKey::Token => "token",
            MetaKey::AccountId => "account_id",
            MetaKey::FamilyId => "family_id",
            MetaKey::StructureId => "structure_id",
            MetaKey::DeviceId => "device_id",
            MetaKey::DisplayName => "display_name",
            MetaKey::ActorId => "actor_id",
            MetaKey::ClockOffsetMs => "clock_offset_ms",
            MetaKey::DocumentsCache => "documents_cache",
            MetaKey::RefusedChanges => "refused_changes",
            MetaKey::Login => "login",
            MetaKey::MustChangePassword => "must_change_password",
            MetaKey::KnownDevice => "known_device",
            MetaKey::PushPrivateKey => "push_private_key",
            MetaKey::PushPublicKey => "push_public_key",
            MetaKey::PushAuth => "push_auth",
        }
    }
}

/// One row of `documents`: what the server told us about a document, and our sync state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRow {
    pub info: DocumentInfo,
    /// `automerge::sync::State::encode()` of the last sync, if any.
    pub sync_state: Option<Vec<u8>>,
}

/// One row of `sync_runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub rounds: u32,
    pub error: Option<String>,
}

pub(crate) fn get_meta(conn: &Connection, key: MetaKey) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [key.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: MetaKey, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key.as_str(), value],
    )?;
    Ok(())
}

/// Deletes everything the store holds (logout): session, documents, sync log.
pub(crate) fn wipe(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM doc_chunks; DELETE FROM announced; DELETE FROM documents; \
         DELETE FROM meta WHERE key <> 'known_device'; DELETE FROM sync_runs; \
         DELETE FROM absence_documents; DELETE FROM document_uploads; DELETE FROM information_read; DELETE FROM download_files;",
    )?;
    Ok(())
}

pub(crate) fn list_documents(conn: &Connection) -> Result<Vec<DocRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id, kind, school_year, read_only, sync_state FROM documents ORDER BY doc_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, Option<Vec<u8>>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (doc_id, kind, school_year, read_only, sync_state) = row?;
        let kind = DocKind::from_code(&kind)
            .ok_or_else(|| Error::Storage(format!("type de document inconnu « {kind} »")))?;
        out.push(DocRow {
            info: DocumentInfo {
                doc_id: DocumentId::new(doc_id),
                kind,
                school_year,
                read_only,
            },
            sync_state,
        });
    }
    Ok(out)
}

/// Records what the server says about a document, keeping its chunks and sync state.
pub(crate) fn upsert_document(conn: &Connection, info: &DocumentInfo) -> Result<()> {
    conn.execute(
        "INSERT INTO documents (doc_id, kind, school_year, read_only) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (doc_id) DO UPDATE SET
            kind = excluded.kind, school_year = excluded.school_year,
            read_only = excluded.read_only",
        params![
            info.doc_id.as_str(),
            info.kind.code(),
            info.school_year,
            info.read_only
        ],
    )?;
    Ok(())
}

/// Forgets a document and its chunks.
pub(crate) fn delete_document(conn: &Connection, doc_id: &DocumentId) -> Result<()> {
    conn.execute("DELETE FROM documents WHERE doc_id = ?1", [doc_id.as_str()])?;
    Ok(())
}

pub(crate) fn set_sync_state(conn: &Connection, doc_id: &DocumentId, state: &[u8]) -> Result<()> {
    conn.execute(
        "UPDATE documents SET sync_state = ?2 WHERE doc_id = ?1",
        params![doc_id.as_str(), state],
    )?;
    Ok(())
}

/// The heads of `doc_id` up to which a sync announced the server's decisions (concatenated
/// 32-byte change hashes), if any sync did.
pub(crate) fn announced_heads(conn: &Connection, doc_id: &DocumentId) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT heads FROM announced WHERE doc_id = ?1",
            [doc_id.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn set_announced_heads(
    conn: &Connection,
    doc_id: &DocumentId,
    heads: &[u8],
) -> Result<()> {
    conn.execute(
        "INSERT INTO announced (doc_id, heads) VALUES (?1, ?2)
         ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads",
        params![doc_id.as_str(), heads],
    )?;
    Ok(())
}

/// The document's chunks in order; concatenated they load with `AutoCommit::load`.
pub(crate) fn load_chunks(conn: &Connection, doc_id: &DocumentId) -> Result<Vec<Vec<u8>>> {
    let mut stmt =
        conn.prepare_cached("SELECT data FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([doc_id.as_str()], |r| r.get::<_, Vec<u8>>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Appends a chunk and returns how many chunks the document now has.
pub(crate) fn append_chunk(conn: &Connection, doc_id: &DocumentId, data: &[u8]) -> Result<usize> {
    conn.execute(
        "INSERT INTO doc_chunks (doc_id, seq, data)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE doc_id = ?1), ?2)",
        params![doc_id.as_str(), data],
    )?;
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM doc_chunks WHERE doc_id = ?1",
        [doc_id.as_str()],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Replaces all chunks of a document by one snapshot (compaction).
pub(crate) fn replace_chunks(
    conn: &Connection,
    doc_id: &DocumentId,
    snapshot: &[u8],
) -> Result<()> {
    conn.execute(
        "DELETE FROM doc_chunks WHERE doc_id = ?1",
        [doc_id.as_str()],
    )?;
    conn.execute(
        "INSERT INTO doc_chunks (doc_id, seq, data) VALUES (?1, 1, ?2)",
        params![doc_id.as_str(), snapshot],
    )?;
    Ok(())
}

/// Opens a sync log entry; returns its id.
pub(crate) fn start_sync_run(conn: &Connection, started_ms: i64) -> Result<i64> {
    conn.execute(
        "INSERT INTO sync_runs (started_ms) VALUES (?1)",
        [started_ms],
    )?;
    let id = conn.last_insert_rowid();
    // Keep the log short: the last hundred runs are plenty for status and support.
    conn.execute("DELETE FROM sync_runs WHERE id <= ?1 - 100", [id])?;
    Ok(id)
}

pub(crate) fn finish_sync_run(
    conn: &Connection,
    id: i64,
    finished_ms: i64,
    rounds: u32,
    error: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE sync_runs SET finished_ms = ?2, rounds = ?3, error = ?4 WHERE id = ?1",
        params![id, finished_ms, rounds, error],
    )?;
    Ok(())
}

/// The most recent finished sync run, if any.
pub(crate) fn last_finished_run(conn: &Connection) -> Result<Option<SyncRun>> {
    query_run(
        conn,
        "SELECT started_ms, finished_ms, rounds, error FROM sync_runs
         WHERE finished_ms IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
}

/// The most recent successful sync run, if any.
pub(crate) fn last_successful_run(conn: &Connection) -> Result<Option<SyncRun>> {
    query_run(
        conn,
        "SELECT started_ms, finished_ms, rounds, error FROM sync_runs
         WHERE finished_ms IS NOT NULL AND error IS NULL ORDER BY id DESC LIMIT 1",
    )
}

fn query_run(conn: &Connection, sql: &str) -> Result<Option<SyncRun>> {
    Ok(conn
        .query_row(sql, [], |r| {
            Ok(SyncRun {
                started_ms: r.get(0)?,
                finished_ms: r.get(1)?,
                rounds: r.get(2)?,
                error: r.get(3)?,
            })
        })
        .optional()?)
}
