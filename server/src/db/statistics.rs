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
use sqlx::{AnyConnection, Row};
use std::future::Future;
use std::time::Duration;

/// How often the planner's statistics are checked.
pub const PERIOD: Duration = Duration::from_secs(60);

/// Analyses, on SQLite, the tables whose size changed enough since their last analysis
/// (all of them the first time), and has every connection plan with the new statistics.
///
/// SQLite loads a connection's statistics with its schema: a connection that stays open (the
/// direct readers, the writer connection, another process's) would otherwise keep planning
/// with those of the day it opened. A reader opened while a new structure had one document
/// kept a plan that read every document of the structure at each sync, long after the
/// structure had thousands. A schema change made in the same transaction (a view created
/// and dropped) has each connection read its schema again, statistics included, before its
/// next statement.
pub async fn refresh(db: &Db) -> Result<(), sqlx::Error> {
    if db.backend != Backend::Sqlite {
        return Ok(());
    }
    let mut write = db.begin_write().await?;
    let before = gathered(&mut write.tx).await?;
    sqlx::query("PRAGMA optimize = 0x10002")
        .execute(&mut *write.tx)
        .await?;
    if gathered(&mut write.tx).await? != before {
        sqlx::query("CREATE VIEW statistics_changed AS SELECT 1 AS one")
            .execute(&mut *write.tx)
            .await?;
        sqlx::query("DROP VIEW statistics_changed")
            .execute(&mut *write.tx)
            .await?;
    }
    write.commit().await
}

/// The statistics gathered so far, as one text (`None` before the first analysis).
async fn gathered(conn: &mut AnyConnection) -> Result<Option<String>, sqlx::Error> {
    let exists = sqlx::query("SELECT 1 AS one FROM sqlite_schema WHERE name = 'sqlite_stat1'")
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT group_concat(tbl || ' ' || coalesce(idx, '') || ' ' || stat, ';') AS stats \
         FROM (SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx)",
    )
    .fetch_one(&mut *conn)
    .await?;
    row.try_get("stats")
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
    use crate::db::direct::{Readers, get};
    use crate::settings::Settings;
    use sqlx::AnyConnection;

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

    /// The plan of a query that either index of `t` answers, with `phase` in its text: a
    /// statement prepared anew, not one kept from an earlier phase with its plan.
    fn both(phase: &str) -> String {
        format!(
            "EXPLAIN QUERY PLAN SELECT n FROM t \
             WHERE a = CAST($1 AS INTEGER) AND b = CAST($1 AS INTEGER) -- {phase}"
        )
    }

    /// How [`both`] is planned on a pooled connection after a statement that reads (a
    /// connection learns of a schema change when a statement starts to read).
    async fn pooled_plan(conn: &mut AnyConnection, phase: &str) -> String {
        sqlx::query("SELECT n FROM t LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .expect("read");
        let explain = sqlx::query(sqlx::AssertSqlSafe(both(phase))).bind("1");
        let plan = crate::db::plan_details(conn, explain).await;
        plan.join(" / ")
    }

    /// The same on a direct reader.
    fn reader_plan(readers: &Readers, phase: &str) -> String {
        readers
            .rows("SELECT n FROM t WHERE $1 = '' LIMIT 1", "", |_| Ok(()))
            .expect("read");
        readers
            .rows(&both(phase), "1", |r| get::<String>(r, "detail"))
            .expect("plan")
            .join(" / ")
    }

    fn schema_version(readers: &Readers) -> Vec<i64> {
        readers
            .rows(
                "SELECT schema_version FROM pragma_schema_version WHERE $1 = ''",
                "",
                |r| get::<i64>(r, "schema_version"),
            )
            .expect("version")
    }

    async fn insert(db: &Db, rows: std::ops::RangeInclusive<i64>, a: &str, b: &str) {
        let sql = format!(
            "WITH RECURSIVE s(n) AS (SELECT {} UNION ALL SELECT n + 1 FROM s WHERE n < {}) \
             INSERT INTO t (n, a, b) SELECT n, {a}, {b} FROM s",
            rows.start(),
            rows.end()
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&db.pool)
            .await
            .expect("rows");
    }

    /// Connections that stay open (a request's direct readers, a pooled connection) plan
    /// with the statistics of the latest analysis, not with those of when they opened.
    #[tokio::test]
    async fn connections_open_before_an_analysis_plan_with_its_statistics() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        sqlx::query(
            "CREATE TABLE t (n INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL)",
        )
        .execute(&db.pool)
        .await
        .expect("table");
        for index in ["CREATE INDEX t_a ON t (a)", "CREATE INDEX t_b ON t (b)"] {
            sqlx::query(index).execute(&db.pool).await.expect("index");
        }
        // First every row has its own `a`, and `b` is 0 or 1: `t_a` finds one row.
        insert(&db, 1..=100, "n", "n % 2").await;
        refresh(&db).await.expect("refresh");
        let readers = db.direct().expect("a SQLite file is read directly");
        let plan = reader_plan(readers, "first");
        assert!(plan.contains("INDEX t_a"), "{plan}");
        let mut pooled = db.pool.acquire().await.expect("connection");
        let plan = pooled_plan(&mut pooled, "first").await;
        assert!(plan.contains("INDEX t_a"), "{plan}");

        // Then fifty times as many rows whose `a` is 0 or 1, each with its own `b`.
        insert(&db, 101..=5100, "n % 2", "n").await;
        refresh(&db).await.expect("refresh");
        let plan = reader_plan(readers, "second");
        assert!(plan.contains("INDEX t_b"), "{plan}");
        assert_eq!(readers.idle(), 1, "the reader from before planned it");
        let plan = pooled_plan(&mut pooled, "second").await;
        assert!(plan.contains("INDEX t_b"), "{plan}");

        // Statistics unchanged: the schema is left alone.
        let before = schema_version(readers);
        refresh(&db).await.expect("refresh");
        assert_eq!(schema_version(readers), before);
    }
}
