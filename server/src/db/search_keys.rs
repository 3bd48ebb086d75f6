//! Fills the search keys (see [`cartable_domain::search_key`]) of the names stored before
//! the keys existed: rows whose key is NULL, a batch at a time, at start-up. The code that
//! writes a name writes its key in the same statement, so this finds nothing after the
//! first start on a new version.

use super::Db;
use cartable_domain::search_key::search_key;
use sqlx::Row;

/// A table with names to key: its primary key's columns and its (name, key) column pairs.
struct Keyed {
    table: &'static str,
    id: &'static [&'static str],
    names: &'static [(&'static str, &'static str)],
}

const KEYED: &[Keyed] = &[
    Keyed {
        table: "families",
        id: &["id"],
        names: &[("name", "name_key")],
    },
    Keyed {
        table: "children",
        id: &["family_id", "child_id"],
        names: &[
            ("first_name", "first_name_key"),
            ("last_name", "last_name_key"),
        ],
    },
    Keyed {
        table: "adults",
        id: &["family_id", "adult_id"],
        names: &[
            ("first_name", "first_name_key"),
            ("last_name", "last_name_key"),
        ],
    },
    Keyed {
        table: "accounts",
        id: &["id"],
        names: &[("display_name", "display_name_key")],
    },
];

/// Rows keyed per transaction.
const BATCH: i64 = 500;

/// Computes the missing keys of every keyed table; returns how many rows were keyed.
pub async fn fill_missing(db: &Db) -> Result<u64, sqlx::Error> {
    let mut keyed = 0;
    for t in KEYED {
        loop {
            let n = fill_batch(db, t).await?;
            keyed += n;
            if n < BATCH as u64 {
                break;
            }
        }
    }
    if keyed > 0 {
        tracing::info!(rows = keyed, "clés de recherche des noms calculées");
    }
    Ok(keyed)
}

async fn fill_batch(db: &Db, t: &Keyed) -> Result<u64, sqlx::Error> {
    let id_list = t.id.join(", ");
    let names = t
        .names
        .iter()
        .map(|(name, _)| format!("COALESCE({name}, '') AS {name}"))
        .collect::<Vec<_>>()
        .join(", ");
    // One key column is enough to find the rows: every writer sets all of a row's keys.
    let first_key = t.names[0].1;
    let select = format!(
        "SELECT {id_list}, {names} FROM {} WHERE {first_key} IS NULL LIMIT {BATCH}",
        t.table
    );
    let sets = t
        .names
        .iter()
        .enumerate()
        .map(|(i, (_, key))| format!("{key} = ${}", i + 1))
        .collect::<Vec<_>>();
    let wheres =
        t.id.iter()
            .enumerate()
            .map(|(i, col)| format!("{col} = ${}", t.names.len() + i + 1))
            .collect::<Vec<_>>();
    let update = format!(
        "UPDATE {} SET {} WHERE {}",
        t.table,
        sets.join(", "),
        wheres.join(" AND ")
    );
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(select))
        .fetch_all(&mut *tx.tx)
        .await?;
    for row in &rows {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(update.clone()));
        for (name, _) in t.names {
            q = q.bind(search_key(&row.try_get::<String, _>(*name)?));
        }
        for col in t.id {
            q = q.bind(row.try_get::<String, _>(*col)?);
        }
        q.execute(&mut *tx.tx).await?;
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}
