//! A monthly run's reads of a hundred families by key look their rows up on PostgreSQL
//! instead of reading whole tables, within their transaction only.

use cartable_server::db::lookups::prefer_lookups;
use cartable_server::db::migrations;
use cartable_server::invoicing::quotient::dossier_quotients_sql;
use cartable_tests::Backend;
use cartable_tests::empty_database::on_each_empty_database;
use sqlx::{AnyConnection, AnyPool, Row};

const FAMILIES: usize = 5000;

/// A structure of [`FAMILIES`] families with one adult each (QFs 1 to 5,000), analysed.
async fn town(pool: &AnyPool) {
    let rows = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {FAMILIES})"
    );
    for sql in [
        "INSERT INTO structures (id, name, created_at_ms) VALUES ('s', 'Ville', 0)".to_string(),
        format!(
            "{rows} INSERT INTO families (id, structure_id, name, created_at_ms) \
             SELECT 'f' || i, 's', 'Famille ' || i, 0 FROM n"
        ),
        format!(
            "{rows} INSERT INTO adults (family_id, adult_id, first_name, last_name, \
             mobile_phone, home_phone, work_phone, email, address, legal_guardian, \
             may_pick_up, billing, emergency_contact, quotient_familial, caf_number) \
             SELECT 'f' || i, 'a', 'Prénom', 'Nom', '', '', '', '', '', 1, 1, 1, 1, i, '' FROM n"
        ),
        "ANALYZE".to_string(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .expect("town");
    }
}

/// The plan of the quotients' read of a hundred families, one line per step.
async fn quotients_plan(conn: &mut AnyConnection, backend: Backend) -> String {
    let explain = match backend {
        Backend::Postgres => "EXPLAIN",
        Backend::Sqlite => "EXPLAIN QUERY PLAN",
    };
    let sql = format!("{explain} {}", dossier_quotients_sql(100));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind("s");
    for i in 2000..2100 {
        query = query.bind(format!("f{i}"));
    }
    let rows = query.fetch_all(&mut *conn).await.expect("explain");
    let column = match backend {
        Backend::Postgres => 0,
        Backend::Sqlite => 3,
    };
    rows.iter()
        .map(|r| r.get::<String, _>(column))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sets the pool's one connection's `random_page_cost` for the rest of its session.
async fn set_page_cost(pool: &AnyPool, cost: &'static str) {
    let sql = format!("SET random_page_cost = {cost}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .expect("set random_page_cost");
}

async fn page_cost(conn: &mut AnyConnection) -> String {
    sqlx::query("SELECT current_setting('random_page_cost')")
        .fetch_one(&mut *conn)
        .await
        .expect("setting")
        .get::<String, _>(0)
}

#[test]
fn a_hundred_families_quotients_are_looked_up_not_read_whole() {
    // One connection: every transaction below runs on the same one.
    on_each_empty_database(async |backend, database, pool| {
        migrations::run_until(pool, database.backend(), i64::MAX)
            .await
            .expect("migrations");
        town(pool).await;
        if backend == Backend::Postgres {
            // The cost PostgreSQL ships with, whatever this server was set to.
            set_page_cost(pool, "4").await;
        }
        let mut tx = pool.begin().await.expect("begin");
        let default_plan = quotients_plan(&mut tx, backend).await;
        prefer_lookups(&mut tx).await.expect("prefer lookups");
        let plan = quotients_plan(&mut tx, backend).await;
        tx.commit().await.expect("commit");
        match backend {
            Backend::Postgres => {
                // What the server's default costs plan, which the run no longer gets.
                assert!(
                    default_plan.contains("Seq Scan on adults"),
                    "{default_plan}"
                );
                assert!(!plan.contains("Seq Scan"), "{plan}");
                assert!(plan.contains("adults_pkey"), "{plan}");
                let mut conn = pool.acquire().await.expect("acquire");
                assert_eq!(page_cost(&mut conn).await, "4", "the transaction's only");
                drop(conn);
                // A server set lower than the lookups' cost keeps its own.
                set_page_cost(pool, "1").await;
                let mut tx = pool.begin().await.expect("begin");
                prefer_lookups(&mut tx).await.expect("prefer lookups");
                assert_eq!(page_cost(&mut tx).await, "1");
                tx.commit().await.expect("commit");
            }
            Backend::Sqlite => {
                assert_eq!(plan, default_plan, "nothing to set on SQLite");
                assert!(!plan.contains("SCAN a"), "{plan}");
            }
        }
    });
}
