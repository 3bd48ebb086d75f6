//! Storage through sqlx's `Any` driver: the embedded SQLite by default, PostgreSQL when a
//! `postgres://` URL is configured. Queries are written once with `$N` placeholders, which
//! both backends accept; each backend has its own migration tree.

pub mod accounts;
pub mod actors;
pub mod admin_page;
pub mod attendance;
pub mod audit;
pub mod bookings;
pub mod chunk_codec;
mod columns;
pub mod conn;
pub use conn::Conn;
pub mod direct;
pub mod document_batch;
pub mod documents;
pub mod downloads;
pub mod group_commit;
pub mod information;
pub mod invoices;
pub mod login_attempts;
pub mod lookups;
pub mod migrations;
pub mod multi_row;
pub mod places;
pub mod projections;
pub mod quick;
pub mod reviews;
pub mod search_keys;
pub mod statistics;
pub mod supporting;

use crate::settings::Settings;
pub(crate) use columns::Columns;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A shared handle on the database.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite allows one writer at a time: writers queue here instead of spinning on
    /// `SQLITE_BUSY`, and share commits (see [`group_commit`]). PostgreSQL writers rely on
    /// row locks instead and commit on their own (PostgreSQL groups WAL flushes itself).
    group: group_commit::GroupCommit,
    /// Connections for the short reads on a request's path (see [`quick`]).
    readers: Arc<quick::Readers>,
    /// On a SQLite file, the same reads on the request's own thread (see [`direct`]).
    direct: Option<Arc<direct::Readers>>,
}

/// Connections kept for quick reads, next to the pool's.
const QUICK_READERS: usize = 8;

/// How much of a SQLite database file each connection reads through a shared memory map,
/// the pool's as the direct readers'.
pub(crate) const SQLITE_MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// The settings of each pooled SQLite connection (see [`Db::connect`]).
pub(crate) static SQLITE_PRAGMAS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
         PRAGMA secure_delete = ON; PRAGMA mmap_size = {SQLITE_MMAP_BYTES}; \
         PRAGMA analysis_limit = 400;"
    )
});

/// The connection of a write transaction.
#[derive(Debug)]
pub enum WriteConn {
    /// A transaction of its own (PostgreSQL).
    Own(sqlx::Transaction<'static, sqlx::Any>),
    /// A savepoint in a shared SQLite batch, holding the write gate.
    Batched(group_commit::BatchedTx),
}

impl std::ops::Deref for WriteConn {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        match self {
            WriteConn::Own(tx) => tx,
            // Begun as pooled by `Db::begin_write`.
            WriteConn::Batched(b) => b
                .pooled_ref()
                .expect("a batch begun on a pooled connection"),
        }
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match self {
            WriteConn::Own(tx) => tx,
            WriteConn::Batched(b) => b.pooled().expect("a batch begun on a pooled connection"),
        }
    }
}

/// A write transaction. Dropping it without `commit` undoes its writes.
#[derive(Debug)]
pub struct WriteTx {
    pub tx: WriteConn,
}

impl WriteTx {
    /// Returns once the writes are durable.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.tx {
            WriteConn::Own(tx) => tx.commit().await,
            WriteConn::Batched(b) => b.commit().await,
        }
    }

    /// Ends the write's part: on SQLite its savepoint joins the batch and the gate is let go
    /// (`durable` then waits for the batch's commit); PostgreSQL commits here.
    pub async fn release(self) -> Result<Option<group_commit::Released>, sqlx::Error> {
        match self.tx {
            WriteConn::Own(tx) => tx.commit().await.map(|()| None),
            WriteConn::Batched(b) => b.release().await.map(Some),
        }
    }
}

/// A write whose statements take a [`Conn`]: on a SQLite file they run on the write gate's
/// writer connection, in the calling thread ([`conn`]). Dropping it without `commit` undoes
/// its writes.
#[derive(Debug)]
pub enum DirectTx {
    /// PostgreSQL, or SQLite in memory.
    Any(WriteTx),
    /// A savepoint in a batch of the writer connection.
    Direct(group_commit::BatchedTx),
}

impl DirectTx {
    /// The connection the write's statements run on.
    pub fn conn(&mut self) -> Result<Conn<'_>, sqlx::Error> {
        match self {
            DirectTx::Any(w) => Ok(Conn::Any(&mut w.tx)),
            DirectTx::Direct(b) => b.conn(),
        }
    }

    /// sqlx's connection, for statements that only take one: an error on the writer
    /// connection.
    pub fn pooled(&mut self) -> Result<&mut sqlx::AnyConnection, sqlx::Error> {
        match self {
            DirectTx::Any(w) => Ok(&mut w.tx),
            DirectTx::Direct(b) => b.pooled(),
        }
    }

    /// Returns once the writes are durable.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            DirectTx::Any(w) => w.commit().await,
            DirectTx::Direct(b) => b.commit().await,
        }
    }

    /// As [`WriteTx::release`].
    pub async fn release(self) -> Result<Option<group_commit::Released>, sqlx::Error> {
        match self {
            DirectTx::Any(w) => w.release().await,
            DirectTx::Direct(b) => b.release().await.map(Some),
        }
    }
}

impl Db {
    /// Connects to the configured database and brings its schema up to date.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
        install_default_drivers();
        let (url, backend) = match &settings.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                (url.clone(), Backend::Postgres)
            }
            Some(url) if url.starts_with("sqlite:") => (url.clone(), Backend::Sqlite),
            Some(other) => anyhow::bail!(
                "unsupported database URL {}: use postgres://... or sqlite:...",
                crate::settings::redact_url(other)
            ),
            None => {
                crate::data_dir::create_private(&settings.data_dir)?;
                let path = settings.data_dir.join("cartable.sqlite3");
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
        };
        // No ping before handing out a connection: a broken one fails its query and is
        // replaced, and the ping would double the round trips of every request.
        let mut options = AnyPoolOptions::new()
            .max_connections(settings.db_max_connections.max(2))
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS.as_str()).await?;
                    // Pages of the database file are read through a shared memory map
                    // (up to 256 MiB) rather than copied into each connection's page cache:
                    // every commit of another connection empties that cache, so under
                    // concurrent writes each query read its pages again with `pread`
                    // (about a fifth of SQLite's CPU per sync, see docs/BENCHMARKS.md).
                    // Pages still in the write-ahead log are read as before.
                    // `analysis_limit` bounds the work of gathering the planner's
                    // statistics, done by one task rather than by each new connection
                    // (see `statistics`).
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        let file = match backend {
            Backend::Sqlite => sqlite_file(&url),
            Backend::Postgres => None,
        };
        let direct = file
            .as_ref()
            .map(|path| Arc::new(direct::Readers::new(path, QUICK_READERS)));
        let group = match &file {
            Some(path) => group_commit::GroupCommit::with_writer(path),
            None => group_commit::GroupCommit::default(),
        };
        let db = Db {
            pool,
            backend,
            group,
            readers: Arc::new(quick::Readers::new(QUICK_READERS)),
            direct,
        };
        migrations::run(&db).await?;
        search_keys::fill_missing(&db).await?;
        // Statistics are an optimisation: a database that cannot store them (a full disk)
        // still serves.
        if let Err(e) = statistics::refresh(&db).await {
            tracing::warn!(error = %e, "statistiques SQLite non mises à jour");
        }
        Ok(db)
    }

    /// A connection for one read statement on a request's path, given back without the
    /// pool's ping once [`quick::ReadConn::done`] says its result was read (see [`quick`]).
    pub async fn read(&self) -> Result<quick::ReadConn<'_>, sqlx::Error> {
        self.readers.get(&self.pool).await
    }

    /// Readers of the SQLite file on the request's own thread, when the database is one
    /// (see [`direct`]); `None` on PostgreSQL and for a database in memory.
    pub fn direct(&self) -> Option<&direct::Readers> {
        self.direct.as_deref()
    }

    /// Closes every connection: the direct and quick readers', the writer connection and the
    /// pool's.
    pub async fn close(&self) {
        self.group.close().await;
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.readers.close().await;
        self.pool.close().await;
    }

    /// Starts a write transaction.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let tx = match self.backend {
            Backend::Sqlite => WriteConn::Batched(
                self.group
                    .begin(&self.pool, group_commit::Kind::Pooled)
                    .await?,
            ),
            Backend::Postgres => WriteConn::Own(self.pool.begin().await?),
        };
        Ok(WriteTx { tx })
    }

    /// Starts a write whose statements all take a [`Conn`] (see [`DirectTx`]).
    pub async fn begin_direct(&self) -> Result<DirectTx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let b = self
                    .group
                    .begin(&self.pool, group_commit::Kind::Direct)
                    .await?;
                if b.is_direct() {
                    Ok(DirectTx::Direct(b))
                } else {
                    Ok(DirectTx::Any(WriteTx {
                        tx: WriteConn::Batched(b),
                    }))
                }
            }
            Backend::Postgres => self.begin_write().await.map(DirectTx::Any),
        }
    }

    /// SQLite batches that failed to commit so far (see [`group_commit::GroupCommit::failures`]).
    pub fn commit_failures(&self) -> u64 {
        self.group.failures()
    }

    /// `FOR UPDATE` where the backend has row locks (SQLite transactions are serialised).
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
}

/// The file of a SQLite URL, once the pool has opened it; `None` for a database in memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    path.is_file().then(|| path.to_path_buf())
}

/// A typed id read from a column.
pub(crate) fn id<T: From<String>>(
    row: &(impl Columns + ?Sized),
    column: &str,
) -> Result<T, sqlx::Error> {
    row.text(column).map(T::from)
}

/// A typed id read from a nullable column.
pub(crate) fn opt_id<T: From<String>>(
    row: &(impl Columns + ?Sized),
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    Ok(row.opt_text(column)?.map(T::from))
}

/// A value stored as its code, e.g. a role or a document kind; an unknown code is a
/// decoding error (storage holds only what this server wrote).
pub(crate) fn coded<T>(
    row: &(impl Columns + ?Sized),
    column: &str,
    what: &str,
    from_code: impl FnOnce(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let code = row.text(column)?;
    from_code(&code).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: format!("unknown {what} {code:?}").into(),
    })
}

/// An account's role column.
pub(crate) fn role(
    row: &(impl Columns + ?Sized),
    column: &str,
) -> Result<cartable_domain::roles::Role, sqlx::Error> {
    coded(row, column, "role", cartable_domain::roles::Role::from_code)
}

/// The `detail` lines of SQLite's plan for `explain`, an `EXPLAIN QUERY PLAN` statement with
/// its values bound, for unit tests that check how a statement is planned.
#[cfg(test)]
pub(crate) async fn plan_details(
    conn: &mut sqlx::AnyConnection,
    explain: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
) -> Vec<String> {
    explain
        .fetch_all(conn)
        .await
        .expect("plan")
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
        .collect()
}

/// A SQLite database of the default settings in a temporary folder, for unit tests (the
/// folder goes with the returned guard).
#[cfg(test)]
pub(crate) async fn temporary_sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    let db = Db::connect(&settings).await.expect("database");
    (db, dir)
}
