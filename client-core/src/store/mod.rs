//! The device's local store: one SQLite file, `cartable.db`, in the store directory.
//!
//! Everything the core keeps lives here: the session (`meta`), each document's Automerge
//! chunks and persisted sync state, and the sync log. All access goes through two closures,
//! [`Store::read`] and [`Store::write`] (the latter inside a transaction), so this module is the
//! single place to add encryption at rest later (a key from the Android Keystore / iOS
//! Keychain handed to [`Store::open`]).
//!
//! The file runs in WAL mode with `synchronous=FULL`: a committed edit survives a crash or a
//! killed app.

mod queries;
pub mod schema;

pub(crate) use queries::*;

use crate::error::{Error, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File name of the store inside its directory.
pub const FILE_NAME: &str = "cartable.db";

/// An open local store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, bringing its schema up to date.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Storage(format!(
                "impossible de créer le dossier {} : {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(FILE_NAME);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;",
        )?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn, path })
    }

    /// The directory holding the store (and files kept beside it, such as cached downloads).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Runs `f` on the connection, for reads.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.conn)
    }

    /// Runs `f` inside an immediate transaction, committed (durably) when `f` succeeds and rolled
    /// back when it fails.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Store {
    /// Deletes everything (session, documents, sync log) and flushes the write-ahead log so
    /// the deleted pages do not linger in `cartable.db-wal` (`secure_delete` zeroes them in
    /// the main file).
    pub fn wipe(&mut self) -> Result<()> {
        self.write(|tx| queries::wipe(tx))?;
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("open");
        let res: Result<()> = store.write(|tx| {
            set_meta(tx, MetaKey::ServerUrl, "http://x")?;
            Err(Error::invalid("stop"))
        });
        assert!(res.is_err());
        let url = store
            .read(|c| get_meta(c, MetaKey::ServerUrl))
            .expect("read");
        assert_eq!(url, None);
    }

    #[test]
    fn the_store_reopens_with_its_data_and_journal_settings() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut store = Store::open(dir.path()).expect("open");
            store
                .write(|tx| set_meta(tx, MetaKey::AccountId, "acc"))
                .expect("write");
        }
        let store = Store::open(dir.path()).expect("reopen");
        let (mode, sync): (String, i64) = store
            .read(|c| {
                let mode = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let sync = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
                Ok((mode, sync))
            })
            .expect("pragmas");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
        assert_eq!(
            store
                .read(|c| get_meta(c, MetaKey::AccountId))
                .expect("read"),
            Some("acc".to_string())
        );
    }
}
