//! Where a string is still stored: every column of every table, every Automerge document
//! with its whole history (saved uncompressed, so values written and overwritten show), and
//! every file under the server's data folder (the SQLite database and its journal included,
//! byte for byte).

use crate::{Backend, TestServer};
use automerge::AutoCommit;
use cartable_domain::ids::DocumentId;
use sqlx::Row;
use std::path::Path;

fn holds(bytes: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    !needle.is_empty() && bytes.windows(needle.len()).any(|w| w == needle)
}

fn files_holding(dir: &Path, needle: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_holding(&path, needle, out);
        } else if std::fs::read(&path).is_ok_and(|bytes| holds(&bytes, needle)) {
            out.push(format!("file {}", path.display()));
        }
    }
}

/// Every place `needle` is stored, as "table t", "document d" or "file f".
pub fn places_holding(server: &TestServer, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    server.block_on(async {
        let pool = &server.state.db.pool;
        let tables_sql = match server.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            }
        };
        let tables: Vec<String> = sqlx::query(tables_sql)
            .fetch_all(pool)
            .await
            .expect("list tables")
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .collect();
        // The migrations' own table holds no data (and a date type the `Any` driver skips).
        for table in tables.into_iter().filter(|t| !t.starts_with("_sqlx")) {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(pool)
                .await
                .expect("read table");
            'rows: for row in &rows {
                for i in 0..row.len() {
                    let found = match row.try_get::<Option<String>, _>(i) {
                        Ok(text) => text.is_some_and(|t| t.contains(needle)),
                        Err(_) => row
                            .try_get::<Option<Vec<u8>>, _>(i)
                            .ok()
                            .flatten()
                            .is_some_and(|b| holds(&b, needle)),
                    };
                    if found {
                        out.push(format!("table {table}"));
                        break 'rows;
                    }
                }
            }
        }
        let ids: Vec<String> = sqlx::query("SELECT id FROM documents ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("documents")
            .iter()
            .map(|r| r.get::<String, _>("id"))
            .collect();
        let mut conn = pool.acquire().await.expect("connection");
        for id in ids {
            let stored =
                cartable_server::db::documents::load_stored(&mut conn, &DocumentId::new(&id))
                    .await
                    .expect("document bytes");
            let mut doc = AutoCommit::load(&stored.bytes).expect("a stored document loads");
            if holds(&doc.save_nocompress(), needle) {
                out.push(format!("document {id}"));
            }
        }
    });
    files_holding(&server.state.settings.data_dir, needle, &mut out);
    out
}
