//! The query planner's statistics on SQLite, kept current by one task instead of by every
//! new connection.
//!
//! Without statistics SQLite's planner can pick a scan of a whole structure's rows where an
//! index lookup would do (docs/BENCHMARKS.md: 756 µs instead of 22 µs per sync at 10,000
//! families). SQLite advises `PRAGMA optimize` when a connection opens and periodically
//! after; run by each pooled connection as it opened, every connection the pool added
//! during a burst of requests (an evening's rush after idle connections were closed)
//! decided at once that a table needed analysing, then analysed it in turn, each waiting
//! for the write lock: 1.1 to 1.6 s before their first query. Here the analysis runs once
//! at start and then every [`PERIOD`] from one task, through the write gate like every
//! write, and only where a table's size changed enough since its last analysis (bounded
//! by `analysis_limit`, set on every connection). PostgreSQL's autovacuum keeps its own
//! statistics.

use super::{Backend, Db};
use std::future::Future;
use std::time::Duration;

/// How often the planner's statistics are checked.
pub const PERIOD: Duration = Duration::from_secs(60);

/// Analyses, on SQLite, the tables whose size changed enough since their last analysis
/// (all of them the first time).
pub async fn refresh(db: &Db) -> Result<(), sqlx::Error> {
    if db.backend != Backend::Sqlite {
        return Ok(());
    }
    let mut write = db.begin_write().await?;
    sqlx::query("PRAGMA optimize = 0x10002")
        .execute(&mut *write.tx)
        .await?;
    write.commit().await
}

/// Refreshes the statistics every [`PERIOD`] until `stop` completes. Statistics are an
/// optimisation: a failed refresh is logged and tried again at the next period.
pub async fn keep_fresh(db: Db, stop: impl Future<Output = ()>) {
    if db.backend != Backend::Sqlite {
        return;
    }
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(PERIOD) => {}
        }
        if let Err(e) = refresh(&db).await {
            tracing::warn!(error = %e, "statistiques SQLite non mises à jour");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::refresh;
    use crate::db::Db;
    use crate::settings::Settings;

    /// The statistics SQLite keeps for `table`'s indexes ("rows, rows per key, ...").
    async fn stat(db: &Db, table: &str) -> Vec<String> {
        use sqlx::Row;
        sqlx::query("SELECT stat FROM sqlite_stat1 WHERE tbl = $1 ORDER BY idx")
            .bind(table)
            .fetch_all(&db.pool)
            .await
            .expect("statistics")
            .iter()
            .map(|r| r.get::<String, _>("stat"))
            .collect()
    }

    #[tokio::test]
    async fn a_table_that_grew_is_analysed_at_the_next_refresh_and_not_by_new_connections() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY, k INTEGER NOT NULL)")
            .execute(&db.pool)
            .await
            .expect("table");
        sqlx::query("CREATE INDEX t_k ON t (k)")
            .execute(&db.pool)
            .await
            .expect("index");
        sqlx::query(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000) \
             INSERT INTO t (n, k) SELECT n, n % 50 FROM s",
        )
        .execute(&db.pool)
        .await
        .expect("rows");
        // Connections opened by the pool (all of its sixteen in use at once) gather none.
        let mut held = Vec::new();
        for _ in 0..Settings::default().db_max_connections {
            held.push(db.pool.acquire().await.expect("connection"));
        }
        drop(held);
        assert_eq!(stat(&db, "t").await, Vec::<String>::new());

        refresh(&db).await.expect("refresh");
        // 5,000 rows; rows per value of `k` (100) estimated from the sample `analysis_limit`
        // allows.
        let stats = stat(&db, "t").await;
        assert_eq!(stats.len(), 1, "{stats:?}");
        let numbers: Vec<u64> = stats[0]
            .split(' ')
            .map(|n| n.parse().expect("a number"))
            .collect();
        assert_eq!(numbers[0], 5000, "{stats:?}");
        assert!((50..=200).contains(&numbers[1]), "{stats:?}");
    }
}
