//! The local store's schema, as code.
//!
//! The version lives in `PRAGMA user_version`. A new store gets the current schema from
//! [`create`]; an older store is brought forward one version at a time by [`upgrade_from`].
//! A test proves that upgrading the kept snapshot of every old schema (see `fixtures/`) gives
//! exactly what [`create`] gives.
//!
//! History:
//! - v1: `meta`, `documents`, `doc_chunks`.
//! - v2: `sync_runs`, the log of syncs behind `status()`.
//! - v3: `document_uploads`, the queue of supporting documents waiting to be sent.
//! - v4: `information_read` (messages the user opened) and `download_files` (published files
//!   fetched for offline reading).
//! - v5: `announced`, the heads of each document up to which the server's decisions were
//!   reported by a sync (what `sync` announces is what came after).
//! - v6: `absence_documents`, the absence a queued medical note is to be joined to once sent.

use crate::error::{Error, Result};
use rusqlite::Connection;

/// Schema version written by this build.
pub const VERSION: i32 = 6;

/// Full current schema, for a new store.
const CREATE: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    school_year TEXT,
    read_only INTEGER NOT NULL DEFAULT 0,
    sync_state BLOB
);
CREATE TABLE doc_chunks (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    rounds INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE TABLE document_uploads (
    local_id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    child_id TEXT,
    valid_until TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    data BLOB,
    queued_ms INTEGER NOT NULL,
    server_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    permanent_error INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE information_read (
    info_id TEXT PRIMARY KEY NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE TABLE download_files (
    download_id TEXT PRIMARY KEY NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    fetched_ms INTEGER NOT NULL
);
CREATE TABLE announced (
    doc_id TEXT PRIMARY KEY NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    heads BLOB NOT NULL
);
CREATE TABLE absence_documents (
    local_id TEXT PRIMARY KEY NOT NULL REFERENCES document_uploads(local_id) ON DELETE CASCADE,
    child_id TEXT NOT NULL,
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL,
    reason TEXT NOT NULL
);
";

/// v1 -> v2: the sync log.
const V1_TO_V2: &str = "
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    rounds INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
";

/// v2 -> v3: the upload queue of supporting documents. `data` holds the file until the
/// server has it (then NULL); `server_id` is set once sent.
const V2_TO_V3: &str = "
CREATE TABLE document_uploads (
    local_id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    child_id TEXT,
    valid_until TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    data BLOB,
    queued_ms INTEGER NOT NULL,
    server_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    permanent_error INTEGER NOT NULL DEFAULT 0
);
";

/// v3 -> v4: read markers of "Informations" (a message changed since is unread again) and the
/// cache of "Téléchargement" files (`path` inside the store directory, checked by `sha256`).
const V3_TO_V4: &str = "
CREATE TABLE information_read (
    info_id TEXT PRIMARY KEY NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE TABLE download_files (
    download_id TEXT PRIMARY KEY NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    fetched_ms INTEGER NOT NULL
);
";

/// v4 -> v5: what syncs have announced so far, per document (concatenated change hashes).
const V4_TO_V5: &str = "
CREATE TABLE announced (
    doc_id TEXT PRIMARY KEY NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    heads BLOB NOT NULL
);
";

/// v5 -> v6: the absence each queued medical note is to be joined to once the server has it
/// (declared again with the document's id by the send that delivers it); removed with the
/// queued file.
const V5_TO_V6: &str = "
CREATE TABLE absence_documents (
    local_id TEXT PRIMARY KEY NOT NULL REFERENCES document_uploads(local_id) ON DELETE CASCADE,
    child_id TEXT NOT NULL,
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL,
    reason TEXT NOT NULL
);
";

/// Brings the store at `conn` to [`VERSION`], inside one transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match version {
        0 => create(&tx)?,
        v if v > VERSION => {
            return Err(Error::Storage(format!(
                "ce stockage vient d'une version plus récente de l'application (schéma {v}) ; \
                 mettez l'application à jour"
            )));
        }
        mut v => {
            while v < VERSION {
                upgrade_from(&tx, v)?;
                v += 1;
            }
        }
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Creates the current schema in an empty database.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(CREATE)?;
    Ok(())
}

/// Upgrades a store from `version` to `version + 1`.
pub fn upgrade_from(conn: &Connection, version: i32) -> Result<()> {
    match version {
        1 => conn.execute_batch(V1_TO_V2)?,
        2 => conn.execute_batch(V2_TO_V3)?,
        3 => conn.execute_batch(V3_TO_V4)?,
        4 => conn.execute_batch(V4_TO_V5)?,
        5 => conn.execute_batch(V5_TO_V6)?,
        other => {
            return Err(Error::Storage(format!(
                "version de schéma inconnue : {other}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA_V1: &str = include_str!("fixtures/schema_v1.sql");

    /// Every object of the schema with its SQL, whitespace-normalised, plus the version.
    fn describe(conn: &Connection) -> (i32, Vec<(String, String, String)>) {
        let version = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("user_version");
        let mut stmt = conn
            .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
            .expect("prepare");
        let rows = stmt
            .query_map([], |r| {
                let sql: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    sql.split_whitespace().collect::<Vec<_>>().join(" "),
                ))
            })
            .expect("query")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        (version, rows)
    }

    #[test]
    fn a_version_1_store_upgraded_equals_a_fresh_store() {
        let mut old = Connection::open_in_memory().expect("open");
        old.execute_batch(SCHEMA_V1).expect("v1 fixture");
        migrate(&mut old).expect("upgrade");

        let mut fresh = Connection::open_in_memory().expect("open");
        migrate(&mut fresh).expect("create");

        assert_eq!(describe(&old), describe(&fresh));
        assert_eq!(describe(&fresh).0, VERSION);
        assert!(
            describe(&fresh)
                .1
                .iter()
                .any(|(_, name, _)| name == "sync_runs"),
            "the current schema has the sync log"
        );
        assert!(
            describe(&fresh)
                .1
                .iter()
                .any(|(_, name, _)| name == "document_uploads"),
            "the current schema has the upload queue"
        );
    }

    #[test]
    fn a_store_from_a_newer_app_is_refused_not_damaged() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("PRAGMA user_version = 99;")
            .expect("set version");
        let err = migrate(&mut conn).expect_err("newer schema refused");
        assert!(err.to_string().contains("plus récente"));
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("create");
        let before = describe(&conn);
        migrate(&mut conn).expect("again");
        assert_eq!(describe(&conn), before);
    }
}
