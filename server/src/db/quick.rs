//! Connections for the short reads on a request's path, kept next to the pool.
//!
//! sqlx tests every connection given back to its pool with a ping, in a task of its own: on
//! SQLite one more round trip to the connection's worker thread (two thread wake-ups) after
//! every query, on PostgreSQL one more round trip to the server. A connection of this set
//! goes back without it: the one statement it ran was read to its end, outside any
//! transaction, so nothing of it is left to flush. One whose statement failed, or whose
//! request was dropped half-way, is closed instead, and another is taken from the pool when
//! needed.
//!
//! The set holds at most `max` connections, taken from the pool (`detach`, so they were set
//! up by its `after_connect`); when all are busy, a read uses a pooled connection as before.
//!
//! On a SQLite file the same reads run on the request's own thread instead ([`super::direct`]);
//! this set serves PostgreSQL and a SQLite database in memory.

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The set of connections kept for quick reads.
#[derive(Debug)]
pub struct Readers {
    idle: Mutex<Vec<AnyConnection>>,
    /// Connections of the set, idle or lent.
    open: AtomicUsize,
    max: usize,
    closed: AtomicBool,
}

impl Readers {
    pub fn new(max: usize) -> Readers {
        Readers {
            idle: Mutex::new(Vec::with_capacity(max)),
            open: AtomicUsize::new(0),
            max,
            closed: AtomicBool::new(false),
        }
    }

    /// A connection for one statement: an idle one of the set, a new one of the set taken
    /// from the pool while there is room, else a pooled one.
    pub async fn get<'a>(&'a self, pool: &AnyPool) -> Result<ReadConn<'a>, sqlx::Error> {
        if let Some(conn) = self.pop() {
            return Ok(ReadConn::kept(conn, self));
        }
        let room = !self.closed.load(Ordering::Acquire)
            && self
                .open
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < self.max).then_some(n + 1)
                })
                .is_ok();
        if !room {
            return Ok(ReadConn::Pooled(pool.acquire().await?));
        }
        match pool.acquire().await {
            Ok(pooled) => Ok(ReadConn::kept(pooled.detach(), self)),
            Err(e) => {
                self.open.fetch_sub(1, Ordering::AcqRel);
                Err(e)
            }
        }
    }

    /// Closes the idle connections; those lent are closed when they come back.
    pub async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let idle: Vec<AnyConnection> = match self.idle.lock() {
            Ok(mut idle) => idle.drain(..).collect(),
            Err(poisoned) => poisoned.into_inner().drain(..).collect(),
        };
        for conn in idle {
            self.open.fetch_sub(1, Ordering::AcqRel);
            let _ = sqlx::Connection::close(conn).await;
        }
    }

    /// Connections of the set, idle or lent.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    fn pop(&self) -> Option<AnyConnection> {
        self.idle.lock().ok()?.pop()
    }

    fn give_back(&self, conn: AnyConnection) {
        if !self.closed.load(Ordering::Acquire)
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.push(conn);
            return;
        }
        self.open.fetch_sub(1, Ordering::AcqRel);
        drop(conn);
    }
}

/// A connection lent for one statement. [`ReadConn::done`] once its result is read gives it
/// back; dropped without it (the statement failed, or the request was dropped), a connection
/// of the set is closed.
#[derive(Debug)]
pub enum ReadConn<'a> {
    Kept {
        conn: Option<AnyConnection>,
        readers: &'a Readers,
    },
    Pooled(PoolConnection<Any>),
}

impl<'a> ReadConn<'a> {
    fn kept(conn: AnyConnection, readers: &'a Readers) -> Self {
        ReadConn::Kept {
            conn: Some(conn),
            readers,
        }
    }

    /// The statement ran to its end: the connection may serve the next read.
    pub fn done(mut self) {
        if let ReadConn::Kept { conn, readers } = &mut self
            && let Some(conn) = conn.take()
        {
            readers.give_back(conn);
        }
    }
}

impl Drop for ReadConn<'_> {
    fn drop(&mut self) {
        if let ReadConn::Kept { conn, readers } = self
            && conn.take().is_some()
        {
            readers.open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl std::ops::Deref for ReadConn<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            // `conn` is taken only by `done` and `drop`, which consume the guard.
            ReadConn::Kept { conn, .. } => conn.as_ref().expect("connection lent"),
            ReadConn::Pooled(pooled) => pooled,
        }
    }
}

impl std::ops::DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            ReadConn::Kept { conn, .. } => conn.as_mut().expect("connection lent"),
            ReadConn::Pooled(pooled) => pooled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn count(conn: &mut AnyConnection) -> i64 {
        use sqlx::Row;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM structures")
            .fetch_one(conn)
            .await
            .expect("count");
        row.try_get("n").expect("n")
    }

    #[tokio::test]
    async fn a_connection_given_back_serves_the_next_read_and_sees_later_commits() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let mut conn = db.read().await.expect("read");
        let before = count(&mut conn).await;
        conn.done();
        assert_eq!(db.readers.open(), 1);

        let mut wtx = db.begin_write().await.expect("write");
        sqlx::query(
            "INSERT INTO structures (id, name, created_at_ms) VALUES ('s-quick', 'Quick', 0)",
        )
        .execute(&mut *wtx.tx)
        .await
        .expect("insert");
        wtx.commit().await.expect("commit");

        // The same connection, kept without a transaction open, reads the new row.
        let mut conn = db.read().await.expect("read");
        assert!(matches!(conn, ReadConn::Kept { .. }));
        assert_eq!(count(&mut conn).await, before + 1);
        conn.done();
        assert_eq!(db.readers.open(), 1);
    }

    #[tokio::test]
    async fn a_connection_not_given_back_is_closed_and_replaced() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let failed = db.read().await.expect("read");
        assert_eq!(db.readers.open(), 1);
        drop(failed);
        assert_eq!(db.readers.open(), 0);

        let mut conn = db.read().await.expect("read");
        let error = sqlx::query("SELECT no_such_column FROM structures")
            .fetch_all(&mut *conn)
            .await;
        assert!(error.is_err());
        drop(conn);
        assert_eq!(db.readers.open(), 0);
        let mut conn = db.read().await.expect("read");
        count(&mut conn).await;
        conn.done();
        assert_eq!(db.readers.open(), 1);
    }

    #[tokio::test]
    async fn beyond_the_set_reads_use_the_pool_and_closing_empties_the_set() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let mut lent = Vec::new();
        for _ in 0..super::super::QUICK_READERS {
            lent.push(db.read().await.expect("read"));
        }
        assert!(lent.iter().all(|c| matches!(c, ReadConn::Kept { .. })));
        let mut extra = db.read().await.expect("read");
        assert!(matches!(extra, ReadConn::Pooled(_)));
        count(&mut extra).await;
        extra.done();
        assert_eq!(db.readers.open(), super::super::QUICK_READERS);
        for conn in lent {
            conn.done();
        }

        db.close().await;
        assert_eq!(db.readers.open(), 0);
        assert!(db.read().await.is_err(), "a closed database lends nothing");
    }
}
