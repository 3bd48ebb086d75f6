//! SQLite reads run on the calling thread, for the one-statement reads on every request's
//! path (a token's session, a sync's session with its documents).
//!
//! sqlx runs each SQLite connection on a worker thread of its own: a statement is sent to
//! that thread and its rows sent back, two thread wake-ups per statement. For a lookup of
//! a few rows on pages already in memory, those hand-offs cost several times the lookup
//! itself (see docs/BENCHMARKS.md, "Sync of an up-to-date device"). These connections are
//! opened read-only on the same database file and run the statement where the request runs.
//!
//! A read here blocks its runtime thread for the statement's time, as any computation of the
//! request does. The database is in WAL mode: a reader does not wait for the writer nor for
//! checkpoints; it may wait only while another connection recovers the log after a crash,
//! for at most [`BUSY_TIMEOUT`].
//!
//! Idle connections are kept (at most `max`), each with its prepared statements; one whose
//! statement failed is closed. Writes never go through them (they are opened read-only).

use rusqlite::{Connection, OpenFlags, Row};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a read waits for a lock before failing (answered as storage unavailable).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// Read-only connections to one SQLite database file.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max: usize,
    closed: AtomicBool,
}

impl Readers {
    /// Readers of the database at `path`, which must exist (the pool created it). Nothing is
    /// opened before the first read.
    pub fn new(path: &Path, max: usize) -> Readers {
        Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::with_capacity(max)),
            max,
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `sql` with one text parameter and maps each row with `row`.
    pub fn rows<T>(
        &self,
        sql: &str,
        key: &str,
        mut row: impl FnMut(&Row<'_>) -> Result<T, sqlx::Error>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let conn = self.take()?;
        let read = (|| {
            let mut statement = conn.prepare_cached(sql).map_err(storage_error)?;
            let mut rows = statement.query([key]).map_err(storage_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(storage_error)? {
                out.push(row(r)?);
            }
            Ok(out)
        })();
        if read.is_ok() {
            self.give_back(conn);
        }
        read
    }

    /// Closes the idle connections; reads after this fail as with a closed pool.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        match self.idle.lock() {
            Ok(mut idle) => idle.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }

    /// Idle connections kept.
    pub fn idle(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }

    fn take(&self) -> Result<Connection, sqlx::Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        if let Some(conn) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(conn);
        }
        self.open()
    }

    fn open(&self) -> Result<Connection, sqlx::Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(unavailable)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
        conn.pragma_update(None, "mmap_size", super::SQLITE_MMAP_BYTES)
            .map_err(unavailable)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max
        {
            idle.push(conn);
        }
    }
}

/// Opens the writer connection of the write gate ([`super::group_commit`]) on the database at
/// `path`, with the pooled connections' settings.
pub fn open_writer(path: &Path) -> Result<Connection, sqlx::Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(unavailable)?;
    conn.execute_batch(&super::SQLITE_PRAGMAS)
        .map_err(super::conn::error)?;
    // The statements of a sync's write, in their sizes (several rows a statement).
    conn.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
    Ok(conn)
}

/// Prepared statements kept by the writer connection.
const WRITER_STATEMENTS: usize = 64;

/// The database could not be opened or stayed locked: the request may be retried.
fn unavailable(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(e))
}

/// An error of a read: a lock held past the timeout may be retried, anything else is the
/// storage's error.
fn storage_error(e: rusqlite::Error) -> sqlx::Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            unavailable(e)
        }
        _ => sqlx::Error::AnyDriverError(Box::new(e)),
    }
}

/// A column of a row read here, as the `Any` rows' columns are read (see [`super::Columns`]).
pub(crate) fn get<T: rusqlite::types::FromSql>(
    row: &Row<'_>,
    column: &str,
) -> Result<T, sqlx::Error> {
    row.get(column).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(readers: &Readers) -> i64 {
        let counts = readers
            .rows(
                "SELECT COUNT(*) AS n FROM structures WHERE id <> $1",
                "",
                |r| get::<i64>(r, "n"),
            )
            .expect("count");
        counts.first().copied().expect("one row")
    }

    async fn insert_structure(db: &crate::db::Db, id: &str) {
        let mut wtx = db.begin_write().await.expect("write");
        sqlx::query("INSERT INTO structures (id, name, created_at_ms) VALUES ($1, 'Direct', 0)")
            .bind(id)
            .execute(&mut *wtx.tx)
            .await
            .expect("insert");
        wtx.commit().await.expect("commit");
    }

    #[tokio::test]
    async fn a_kept_connection_sees_every_later_commit() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let readers = db.direct().expect("a SQLite file is read directly");
        let before = count(readers);
        assert_eq!(readers.idle(), 1);

        insert_structure(&db, "s-direct-1").await;
        assert_eq!(count(readers), before + 1);
        insert_structure(&db, "s-direct-2").await;
        assert_eq!(count(readers), before + 2);
        assert_eq!(
            readers.idle(),
            1,
            "the same connection served the three reads"
        );
    }

    #[tokio::test]
    async fn a_failed_read_closes_its_connection_and_writes_are_refused() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let readers = db.direct().expect("a SQLite file is read directly");
        count(readers);
        assert_eq!(readers.idle(), 1);

        let missing = readers.rows("SELECT no_such_column FROM structures", "", |_| Ok(()));
        assert!(matches!(missing, Err(sqlx::Error::AnyDriverError(_))));
        assert_eq!(readers.idle(), 0, "the failed connection is not kept");

        let write = readers.rows(
            "INSERT INTO structures (id, name, created_at_ms) VALUES ($1, 'x', 0) RETURNING id",
            "s-direct-write",
            |r| get::<String>(r, "id"),
        );
        assert!(write.is_err(), "the connections are read-only");
        assert_eq!(count(readers), 0, "nothing was written");
    }

    #[tokio::test]
    async fn a_decoding_error_is_the_column_s_and_keeps_nothing_half_read() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        insert_structure(&db, "s-direct").await;
        let readers = db.direct().expect("a SQLite file is read directly");
        let wrong = readers.rows(
            "SELECT name FROM structures WHERE id = $1",
            "s-direct",
            |r| get::<i64>(r, "name"),
        );
        match wrong {
            Err(sqlx::Error::ColumnDecode { index, .. }) => assert_eq!(index, "name"),
            other => panic!("expected a column decoding error, got {other:?}"),
        }
        assert_eq!(readers.idle(), 0);
        assert_eq!(count(readers), 1);
    }

    #[tokio::test]
    async fn a_reader_opened_alone_reads_and_then_sees_a_new_writer_s_commits() {
        let (db, dir) = crate::db::temporary_sqlite().await;
        insert_structure(&db, "s-before").await;
        // The last connection closing checkpoints the log and removes it with its index.
        db.close().await;
        assert!(!dir.path().join("cartable.sqlite3-wal").exists());
        let readers = Readers::new(&dir.path().join("cartable.sqlite3"), 2);
        assert_eq!(count(&readers), 1);

        let settings = crate::settings::Settings {
            data_dir: dir.path().to_path_buf(),
            ..crate::settings::Settings::default()
        };
        let db = crate::db::Db::connect(&settings).await.expect("database");
        insert_structure(&db, "s-after").await;
        assert_eq!(count(&readers), 2);
    }

    #[tokio::test]
    async fn at_most_max_connections_are_kept_and_close_ends_reads() {
        let (_db, dir) = crate::db::temporary_sqlite().await;
        let path = dir.path().join("cartable.sqlite3");
        let readers = Readers::new(&path, 2);
        let held: Vec<Connection> = (0..3).map(|_| readers.take().expect("open")).collect();
        for conn in held {
            readers.give_back(conn);
        }
        assert_eq!(readers.idle(), 2);

        readers.close();
        assert_eq!(readers.idle(), 0);
        assert!(matches!(
            readers.rows("SELECT 1 AS one WHERE $1 = ''", "", |_| Ok(())),
            Err(sqlx::Error::PoolClosed)
        ));
    }
}
