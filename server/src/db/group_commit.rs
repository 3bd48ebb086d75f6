//! Group commit for SQLite: concurrent writers share one transaction, each inside its own
//! savepoint, and one `COMMIT` (one fsync) makes a whole batch durable.
//!
//! SQLite allows one writer at a time and `synchronous=FULL` costs an fsync per commit, so
//! committing each request alone caps writes at the disk's fsync rate. Here writers still
//! take turns (the batch's mutex is the write gate), but a writer that finishes only releases
//! its savepoint and waits; the batch is committed by the last writer of a burst (nobody else
//! waiting for the gate) or once it holds [`MAX_BATCH`] writers. Every writer of the batch
//! then learns the outcome of that one commit, so nothing is acknowledged before it is
//! durable, and a failed commit fails every writer of the batch (each then forgets what it
//! changed in memory, as after any failed commit).
//!
//! A writer that fails (or is dropped) rolls back to its savepoint, leaving the others'
//! work in the batch untouched.
//!
//! A batch runs either on a pooled sqlx connection or, on a SQLite file, on the writer
//! connection whose statements run in the gate holder's own thread ([`super::conn`]): a
//! writer asks for one or the other ([`Kind`]), and a writer of the other kind than the open
//! batch's commits that batch before starting its own. The writer connection's `BEGIN` and
//! `COMMIT` (which may wait for another process's lock, and for the disk) run on a blocking
//! thread.

use super::conn::{self, Conn};
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};
use tokio::task::JoinHandle;

/// Most writers committed together.
pub const MAX_BATCH: usize = 64;

/// The outcome of a batch's commit, shared by its writers.
pub type Outcome = Result<(), Arc<str>>;

/// The connection a writer's statements run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A pooled sqlx connection: every write may use it.
    Pooled,
    /// The writer connection on a SQLite file, for writes whose statements all take a
    /// [`Conn`] (a family's sync); a pooled one where there is no file.
    Direct,
}

/// A batch's open transaction.
enum Open {
    Pooled(Transaction<'static, Any>),
    /// The writer connection, inside `BEGIN IMMEDIATE`.
    Direct(Box<rusqlite::Connection>),
}

impl Open {
    fn kind(&self) -> Kind {
        match self {
            Open::Pooled(_) => Kind::Pooled,
            Open::Direct(_) => Kind::Direct,
        }
    }

    /// Runs statements without parameters or rows (savepoints).
    async fn run(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Open::Pooled(tx) => sqlx::query(sql).execute(&mut **tx).await.map(drop),
            Open::Direct(conn) => conn.execute_batch(sql).map_err(conn::error),
        }
    }
}

#[derive(Default)]
struct Batch {
    /// The open transaction, between writers.
    tx: Option<Open>,
    /// Writers whose savepoint is released, waiting for the commit.
    waiters: Vec<oneshot::Sender<Outcome>>,
    /// The writer connection between its batches.
    writer: Option<Box<rusqlite::Connection>>,
}

/// The SQLite write gate and its open batch.
#[derive(Clone, Default)]
pub struct GroupCommit {
    batch: Arc<Mutex<Batch>>,
    /// Writers waiting for the gate (a writer commits the batch when none are).
    queued: Arc<AtomicUsize>,
    /// Batches that failed, counted before the gate is let go: what a writer remembers of a
    /// batch it wrote in is void once this moved (see [`GroupCommit::failures`]).
    failures: Arc<AtomicU64>,
    /// The database file, for the writer connection (none: every batch is pooled).
    file: Option<Arc<PathBuf>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .field("file", &self.file)
            .finish()
    }
}

const SAVEPOINT: &str = "SAVEPOINT writer";
const RELEASE: &str = "RELEASE SAVEPOINT writer";
const ROLLBACK: &str = "ROLLBACK TO SAVEPOINT writer; RELEASE SAVEPOINT writer";

fn failed(e: &sqlx::Error) -> Arc<str> {
    Arc::from(e.to_string())
}

fn outcome_error(message: &Arc<str>) -> sqlx::Error {
    sqlx::Error::Protocol(format!("validation groupée échouée : {message}"))
}

/// Commits the batch's transaction and tells every waiter.
async fn commit_batch(batch: &mut Batch, failures: &AtomicU64) -> Outcome {
    let waiters = std::mem::take(&mut batch.waiters);
    let outcome = match batch.tx.take() {
        Some(Open::Pooled(tx)) => tx.commit().await.map_err(|e| failed(&e)),
        Some(Open::Direct(conn)) => {
            let (conn, outcome) = end_on_writer(conn, "COMMIT").await;
            batch.writer = conn;
            outcome
        }
        None => Ok(()),
    };
    if outcome.is_err() {
        failures.fetch_add(1, Ordering::SeqCst);
    }
    for w in waiters {
        let _ = w.send(outcome.clone());
    }
    outcome
}

/// Runs `COMMIT` or `ROLLBACK` on the writer connection in a blocking thread; a transaction
/// that is still open after a failure is rolled back. The connection comes back unless its
/// thread panicked.
async fn end_on_writer(
    conn: Box<rusqlite::Connection>,
    sql: &'static str,
) -> (Option<Box<rusqlite::Connection>>, Outcome) {
    let ended = tokio::task::spawn_blocking(move || {
        let outcome = conn.execute_batch(sql);
        if outcome.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        (conn, outcome)
    })
    .await;
    match ended {
        Ok((conn, Ok(()))) => (Some(conn), Ok(())),
        Ok((conn, Err(e))) => (Some(conn), Err(failed(&conn::error(e)))),
        Err(e) => (None, Err(Arc::from(e.to_string()))),
    }
}

/// Rolls the whole batch back after its transaction broke; every waiter fails.
async fn abandon_batch(batch: &mut Batch, failures: &AtomicU64, why: Arc<str>) {
    failures.fetch_add(1, Ordering::SeqCst);
    match batch.tx.take() {
        Some(Open::Pooled(tx)) => {
            if let Err(e) = tx.rollback().await {
                tracing::error!(error = %e, "rollback of a broken batch failed");
            }
        }
        Some(Open::Direct(conn)) => {
            let (conn, outcome) = end_on_writer(conn, "ROLLBACK").await;
            if let Err(e) = outcome {
                tracing::error!(error = %e, "rollback of a broken batch failed");
            }
            batch.writer = conn;
        }
        None => {}
    }
    for w in std::mem::take(&mut batch.waiters) {
        let _ = w.send(Err(why.clone()));
    }
}

/// A writer's place in the queue for the gate. A writer cancelled while queued (its client
/// went away) leaves the queue on drop and, if it was the last one, commits what the writers
/// already waiting left in the batch: they counted on a later writer to do it.
struct Ticket {
    gate: GroupCommit,
    queued: bool,
}

impl Ticket {
    fn new(gate: &GroupCommit) -> Self {
        gate.queued.fetch_add(1, Ordering::SeqCst);
        Ticket {
            gate: gate.clone(),
            queued: true,
        }
    }

    /// The gate is ours: leave the queue.
    fn served(mut self) {
        self.queued = false;
        self.gate.queued.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.queued {
            return;
        }
        if self.gate.queued.fetch_sub(1, Ordering::SeqCst) == 1
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let gate = self.gate.clone();
            runtime.spawn(async move { gate.flush().await });
        }
    }
}

impl GroupCommit {
    /// Commits the writers waiting in the batch if no writer is queued to do it.
    async fn flush(&self) {
        let mut guard = self.batch.clone().lock_owned().await;
        if self.queued.load(Ordering::SeqCst) == 0 && !guard.waiters.is_empty() {
            let _ = commit_batch(&mut guard, &self.failures).await;
        }
    }

    /// Batches that failed so far in this process. A writer that remembers values written in
    /// its batch (place counters) tags them with this count read while it holds the gate:
    /// they are void once the count moved, since the batch may be the one that failed.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::SeqCst)
    }

    /// Closes the writer connection once the open batch is committed; a later batch on it
    /// opens it again.
    pub async fn close(&self) {
        let mut guard = self.batch.clone().lock_owned().await;
        if !guard.waiters.is_empty() || guard.tx.is_some() {
            let _ = commit_batch(&mut guard, &self.failures).await;
        }
        guard.writer = None;
    }

    /// The gate of a SQLite file at `file`, whose batches may run on a writer connection.
    pub fn with_writer(file: &Path) -> Self {
        GroupCommit {
            file: Some(Arc::new(file.to_path_buf())),
            ..GroupCommit::default()
        }
    }

    /// Waits for the gate and opens a savepoint in the batch (starting one if needed), on a
    /// connection of `kind` (pooled where there is no writer connection).
    pub async fn begin(&self, pool: &AnyPool, kind: Kind) -> Result<BatchedTx, sqlx::Error> {
        let kind = match &self.file {
            Some(_) => kind,
            None => Kind::Pooled,
        };
        let ticket = Ticket::new(self);
        let mut guard = self.batch.clone().lock_owned().await;
        ticket.served();
        if guard.tx.as_ref().is_some_and(|open| open.kind() != kind) {
            // The writers in the open batch learn its outcome; this one starts the next.
            let _ = commit_batch(&mut guard, &self.failures).await;
        }
        // IMMEDIATE: the batch takes SQLite's write lock when it starts. A deferred batch
        // that read first would fail at once with "database is locked" on its first write if
        // another connection wrote in between (no busy wait applies to that upgrade).
        let mut tx = match guard.tx.take() {
            Some(tx) => tx,
            None => match (kind, &self.file) {
                (Kind::Direct, Some(file)) => {
                    let writer = guard.writer.take();
                    Open::Direct(begin_on_writer(writer, file.clone()).await?)
                }
                _ => Open::Pooled(begin_immediate(pool).await?),
            },
        };
        if let Err(e) = tx.run(SAVEPOINT).await {
            guard.tx = Some(tx);
            abandon_batch(&mut guard, &self.failures, failed(&e)).await;
            return Err(e);
        }
        Ok(BatchedTx {
            tx: Some(tx),
            guard: Some(guard),
            gate: self.clone(),
        })
    }
}

/// Starts a batch on the writer connection (opened if there is none yet) in a blocking
/// thread: `BEGIN IMMEDIATE` waits there for another process's write lock.
async fn begin_on_writer(
    writer: Option<Box<rusqlite::Connection>>,
    file: Arc<PathBuf>,
) -> Result<Box<rusqlite::Connection>, sqlx::Error> {
    tokio::task::spawn_blocking(move || {
        let conn = match writer {
            Some(conn) => conn,
            None => Box::new(super::direct::open_writer(&file)?),
        };
        conn.execute_batch("BEGIN IMMEDIATE").map_err(conn::error)?;
        Ok(conn)
    })
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("début d'écriture interrompu : {e}")))?
}

/// Starts a batch's transaction on a pooled connection sqlx believes idle. When a disk is full
/// SQLite rolls a failed COMMIT back by itself; sqlx then still counts the transaction open
/// (its own ROLLBACK finds none) and would refuse every later BEGIN on that connection: such a
/// connection is closed instead of reused, so the server recovers once space is back.
async fn begin_immediate(pool: &AnyPool) -> Result<Transaction<'static, Any>, sqlx::Error> {
    use sqlx::{Connection, SqlSafeStr};
    for _ in 0..=pool.options().get_max_connections() {
        let mut conn = pool.acquire().await?;
        if conn.is_in_transaction() {
            tracing::warn!("a connection left in a transaction is closed");
            conn.close_on_drop();
            continue;
        }
        return Transaction::begin(conn, Some("BEGIN IMMEDIATE".into_sql_str())).await;
    }
    Err(sqlx::Error::Protocol(
        "aucune connexion disponible hors transaction".into(),
    ))
}

/// One writer's part of the batch: a savepoint on the shared transaction, holding the gate.
pub struct BatchedTx {
    tx: Option<Open>,
    guard: Option<OwnedMutexGuard<Batch>>,
    gate: GroupCommit,
}

impl std::fmt::Debug for BatchedTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchedTx")
            .field("kind", &self.tx.as_ref().map(Open::kind))
            .finish_non_exhaustive()
    }
}

impl BatchedTx {
    /// The connection the writer's statements run on.
    pub fn conn(&mut self) -> Result<Conn<'_>, sqlx::Error> {
        match self.tx.as_mut() {
            Some(Open::Pooled(tx)) => Ok(Conn::Any(tx)),
            Some(Open::Direct(conn)) => Ok(Conn::Direct(conn)),
            None => Err(ended()),
        }
    }

    /// sqlx's connection, for a write begun as [`Kind::Pooled`].
    pub fn pooled(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        match self.tx.as_mut() {
            Some(Open::Pooled(tx)) => Ok(&mut **tx),
            Some(Open::Direct(_)) => Err(sqlx::Error::Protocol(
                "écriture sur la connexion d'écriture directe, sans connexion sqlx".into(),
            )),
            None => Err(ended()),
        }
    }

    /// sqlx's connection, for a write begun as [`Kind::Pooled`], to read only.
    pub fn pooled_ref(&self) -> Option<&AnyConnection> {
        match self.tx.as_ref() {
            Some(Open::Pooled(tx)) => Some(&**tx),
            _ => None,
        }
    }

    /// Whether the writer's statements run on the writer connection.
    pub fn is_direct(&self) -> bool {
        matches!(self.tx, Some(Open::Direct(_)))
    }
}

fn ended() -> sqlx::Error {
    sqlx::Error::Protocol("écriture déjà terminée".into())
}

/// A writer's savepoint released into its batch, not yet durable.
pub enum Released {
    /// This writer commits the batch (in a task of its own).
    Committing(JoinHandle<Outcome>),
    /// Another writer of the batch will commit it.
    Waiting(oneshot::Receiver<Outcome>),
}

impl Released {
    /// Returns once the batch holding the writer's work is durable.
    pub async fn durable(self) -> Result<(), sqlx::Error> {
        match self {
            Released::Committing(committing) => match committing.await {
                Ok(outcome) => outcome.map_err(|m| outcome_error(&m)),
                Err(e) => Err(sqlx::Error::Protocol(format!(
                    "validation groupée interrompue : {e}"
                ))),
            },
            Released::Waiting(receiver) => match receiver.await {
                Ok(outcome) => outcome.map_err(|m| outcome_error(&m)),
                Err(_) => Err(sqlx::Error::Protocol(
                    "validation groupée interrompue".into(),
                )),
            },
        }
    }
}

impl BatchedTx {
    /// Releases this writer's savepoint and returns once the batch holding it is durable.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.release().await?.durable().await
    }

    /// Releases this writer's savepoint into the batch and lets go of the gate: its work
    /// commits with the batch, which [`Released::durable`] waits for.
    pub async fn release(mut self) -> Result<Released, sqlx::Error> {
        let (Some(mut tx), Some(mut guard)) = (self.tx.take(), self.guard.take()) else {
            return Err(ended());
        };
        if let Err(e) = tx.run(RELEASE).await {
            guard.tx = Some(tx);
            abandon_batch(&mut guard, &self.gate.failures, failed(&e)).await;
            return Err(e);
        }
        guard.tx = Some(tx);
        let (sender, receiver) = oneshot::channel();
        guard.waiters.push(sender);
        if self.gate.queued.load(Ordering::SeqCst) == 0 || guard.waiters.len() >= MAX_BATCH {
            // Last of the burst (or a full batch): commit for everyone in it, in a task of its
            // own so that this request being cancelled cannot interrupt the commit.
            let failures = self.gate.failures.clone();
            return Ok(Released::Committing(tokio::spawn(async move {
                commit_batch(&mut guard, &failures).await
            })));
        }
        drop(guard);
        Ok(Released::Waiting(receiver))
    }
}

impl Drop for BatchedTx {
    fn drop(&mut self) {
        // Not committed: undo this writer's work only, then hand the batch on (committing it
        // if nobody else is coming, so the writers already waiting are not left hanging).
        let (Some(tx), Some(guard)) = (self.tx.take(), self.guard.take()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let gate = self.gate.clone();
        runtime.spawn(async move {
            let mut guard = guard;
            let mut tx = tx;
            if let Err(e) = tx.run(ROLLBACK).await {
                guard.tx = Some(tx);
                abandon_batch(&mut guard, &gate.failures, failed(&e)).await;
                return;
            }
            guard.tx = Some(tx);
            if gate.queued.load(Ordering::SeqCst) == 0 {
                let _ = commit_batch(&mut guard, &gate.failures).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{Db, DirectTx};
    use std::time::Duration;

    async fn sqlite() -> (Db, tempfile::TempDir) {
        let (db, dir) = crate::db::temporary_sqlite().await;
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .execute(&db.pool)
            .await
            .expect("table");
        (db, dir)
    }

    async fn rows(db: &Db) -> Vec<i64> {
        use sqlx::Row;
        sqlx::query("SELECT n FROM t ORDER BY n")
            .fetch_all(&db.pool)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get::<i64, _>("n"))
            .collect()
    }

    /// Inserts `n` on a pooled connection; writers whose `n` is a multiple of 7 fail after
    /// writing and drop.
    async fn writer(db: Db, n: i64) -> Result<(), String> {
        write(db, n, false).await
    }

    /// As [`writer`], on the writer connection.
    async fn direct_writer(db: Db, n: i64) -> Result<(), String> {
        write(db, n, true).await
    }

    async fn write(db: Db, n: i64, direct: bool) -> Result<(), String> {
        let mut w = if direct {
            db.begin_direct().await
        } else {
            db.begin_write().await.map(DirectTx::Any)
        }
        .map_err(|e| e.to_string())?;
        if direct != matches!(w, DirectTx::Direct(_)) {
            return Err("not on the connection asked for".into());
        }
        let mut conn = w.conn().map_err(|e| e.to_string())?;
        sqlx::query("INSERT INTO t (n) VALUES ($1)")
            .bind(n)
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::yield_now().await;
        if n % 7 == 0 {
            return Err("abandoned".into());
        }
        w.commit().await.map_err(|e| e.to_string())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pooled_and_direct_writers_in_turn_commit_all_and_only_their_work() {
        let (db, _dir) = sqlite().await;
        // Runs of each kind, so that batches of both kinds fill and hand over to each other.
        let tasks: Vec<_> = (1..=120)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    if (n / 10) % 2 == 0 {
                        direct_writer(db, n).await
                    } else {
                        writer(db, n).await
                    }
                })
            })
            .collect();
        let mut committed = Vec::new();
        for (n, task) in (1..=120).zip(tasks) {
            let outcome = tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("no writer hangs")
                .expect("task");
            match outcome {
                Ok(()) => committed.push(n),
                Err(e) => assert!(n % 7 == 0, "writer {n} failed: {e}"),
            }
        }
        // The failed writers' rollbacks run in tasks of their own: let them finish.
        let mut last = db.begin_direct().await.expect("gate");
        sqlx::query("SELECT 1")
            .execute(&mut last.conn().expect("conn"))
            .await
            .expect("noop");
        last.commit().await.expect("commit");
        assert_eq!(rows(&db).await, committed);
        assert_eq!(committed.len(), 120 - 17);
        assert_eq!(db.commit_failures(), 0);

        // Closing waits for the batch being committed and closes the writer connection; a
        // later write opens it again.
        let mut open = db.begin_direct().await.expect("gate");
        sqlx::query("INSERT INTO t (n) VALUES (1000)")
            .execute(&mut open.conn().expect("conn"))
            .await
            .expect("insert");
        let released = open.release().await.expect("released");
        db.group.close().await;
        assert!(db.group.batch.lock().await.writer.is_none());
        released
            .expect("a batch")
            .durable()
            .await
            .expect("committed");
        direct_writer(db.clone(), 1002).await.expect("reopened");
        assert_eq!(rows(&db).await[committed.len()..], [1000, 1002]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_commits_and_a_failed_one_undoes_only_its_own_work() {
        let (db, _dir) = sqlite().await;
        let tasks: Vec<_> = (1..=100)
            .map(|n| tokio::spawn(writer(db.clone(), n)))
            .collect();
        let mut committed = Vec::new();
        for (n, task) in (1..=100).zip(tasks) {
            let outcome = tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("no writer hangs")
                .expect("task");
            match outcome {
                Ok(()) => committed.push(n),
                Err(e) => assert!(n % 7 == 0, "writer {n} failed: {e}"),
            }
        }
        // The failed writers' rollbacks run in tasks of their own: let them finish.
        let mut last = db.begin_write().await.expect("gate");
        sqlx::query("SELECT 1")
            .execute(&mut *last.tx)
            .await
            .expect("noop");
        last.commit().await.expect("commit");
        assert_eq!(rows(&db).await, committed);
        assert_eq!(committed.len(), 100 - 14);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_cancelled_in_the_queue_leaves_no_one_waiting() {
        let (db, _dir) = sqlite().await;
        // Hold the gate, queue a writer behind it, cancel that writer, then finish.
        let mut first = db.begin_write().await.expect("gate");
        sqlx::query("INSERT INTO t (n) VALUES (1)")
            .execute(&mut *first.tx)
            .await
            .expect("insert");
        let queued = tokio::spawn({
            let db = db.clone();
            async move { writer(db, 2).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        queued.abort();
        let _ = queued.await;
        tokio::time::timeout(Duration::from_secs(10), first.commit())
            .await
            .expect("the commit does not wait for the cancelled writer")
            .expect("commit");
        assert_eq!(rows(&db).await, vec![1]);
        // The gate still works.
        writer(db.clone(), 3).await.expect("next writer");
        assert_eq!(rows(&db).await, vec![1, 3]);

        // Now the writer holding the gate finishes first and waits for a queued writer to
        // commit the batch; that writer is cancelled: the batch is still committed.
        let mut first = db.begin_write().await.expect("gate");
        sqlx::query("INSERT INTO t (n) VALUES (4)")
            .execute(&mut *first.tx)
            .await
            .expect("insert");
        let queued = tokio::spawn({
            let db = db.clone();
            async move {
                let w = db.begin_write().await;
                tokio::time::sleep(Duration::from_secs(60)).await;
                drop(w);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let committing = tokio::spawn(first.commit());
        tokio::time::sleep(Duration::from_millis(50)).await;
        queued.abort();
        let _ = queued.await;
        tokio::time::timeout(Duration::from_secs(10), committing)
            .await
            .expect("committed by the queue's last writer going away")
            .expect("task")
            .expect("commit");
        assert_eq!(rows(&db).await, vec![1, 3, 4]);
    }
}
