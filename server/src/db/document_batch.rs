//! Documents read and stored many at once: a write to a batch of documents (the ledgers of a
//! monthly run's batch) costs a few statements for the whole batch instead of four for each
//! document (its version locked, its chunks read, its new chunk, its version).

use super::chunk_codec::StoredDoc;
use super::multi_row::{self, rows_per_statement};
use super::{Db, id};
use cartable_domain::ids::DocumentId;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The versions of those of `doc_ids` that exist, their rows locked until the transaction
/// ends on PostgreSQL (SQLite's write transaction holds the whole database). The rows are
/// locked in id order, one statement per [`multi_row::ROWS_PER_INSERT`] ids taken in that
/// order: two batches lock their common documents in the same order.
pub async fn lock_versions(
    conn: &mut AnyConnection,
    db: &Db,
    doc_ids: &[DocumentId],
) -> Result<HashMap<DocumentId, i64>, sqlx::Error> {
    let mut sorted: Vec<&DocumentId> = doc_ids.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut out = HashMap::with_capacity(sorted.len());
    for chunk in sorted.chunks(multi_row::ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT id, version FROM documents WHERE id IN ({}) ORDER BY id{}",
            multi_row::list(1, chunk.len()),
            db.for_update()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.as_str());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(id(&r, "id")?, r.try_get("version")?);
        }
    }
    Ok(out)
}

/// Each of `doc_ids`' chunks joined in order; a document without chunks is absent.
pub async fn load_bytes_many(
    conn: &mut AnyConnection,
    doc_ids: &[&DocumentId],
) -> Result<HashMap<DocumentId, StoredDoc>, sqlx::Error> {
    let mut out: HashMap<DocumentId, StoredDoc> = HashMap::with_capacity(doc_ids.len());
    for chunk in doc_ids.chunks(multi_row::ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT doc_id, data FROM document_chunks WHERE doc_id IN ({}) \
             ORDER BY doc_id, seq",
            multi_row::list(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.as_str());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let data: &[u8] = r.try_get("data")?;
            let entry = out.entry(id(&r, "doc_id")?).or_default();
            entry.push(data)?;
        }
    }
    Ok(out)
}

/// Sets the versions of `rows` documents, bound as (id, version) pairs: each looked up by its
/// id whatever the statistics say ([`multi_row::column`]).
fn set_versions_sql(rows: usize) -> String {
    format!(
        "UPDATE documents SET version = v.column2 FROM (VALUES {}) AS v \
         WHERE documents.id = v.column1 AND documents.id IN ({})",
        multi_row::values(rows, 2),
        multi_row::column(rows, 2, 1)
    )
}

/// One document's next stored version.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    pub doc_id: &'a DocumentId,
    pub version: i64,
    pub data: &'a [u8],
    /// A snapshot replaces every chunk of the document; otherwise `data` is appended.
    pub snapshot: bool,
}

/// Stores every document's next version: the chunks a snapshot replaces deleted, the new
/// chunks inserted, the versions set, each a statement per [`rows_per_statement`] rows.
pub async fn store_versions(
    conn: &mut AnyConnection,
    versions: &[NewVersion<'_>],
) -> Result<(), sqlx::Error> {
    let snapshots: Vec<&str> = versions
        .iter()
        .filter(|v| v.snapshot)
        .map(|v| v.doc_id.as_str())
        .collect();
    for chunk in snapshots.chunks(multi_row::ROWS_PER_INSERT) {
        let sql = format!(
            "DELETE FROM document_chunks WHERE doc_id IN ({})",
            multi_row::list(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    for chunk in versions.chunks(rows_per_statement(3)) {
        let rows: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let flag = if v.snapshot { 1 } else { 0 };
                format!("(${}, ${}, {flag}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)
            })
            .collect();
        let sql = format!(
            "INSERT INTO document_chunks (doc_id, seq, is_snapshot, data) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(v.doc_id.as_str()).bind(v.version).bind(v.data);
        }
        q.execute(&mut *conn).await?;
    }
    for chunk in versions.chunks(rows_per_statement(2)) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(set_versions_sql(chunk.len())));
        for v in chunk {
            q = q.bind(v.doc_id.as_str()).bind(v.version);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::set_versions_sql;
    use sqlx::AnyConnection;

    /// Has `conn` plan with statistics that say `documents` holds one row, as a connection
    /// does that opened (or last reloaded them) before a town's families were imported.
    async fn documents_thought_empty(conn: &mut AnyConnection) {
        for sql in [
            "ANALYZE",
            "DELETE FROM sqlite_stat1 WHERE tbl = 'documents'",
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES \
             ('documents', 'sqlite_autoindex_documents_1', '1 1'), \
             ('documents', 'documents_owner', '1 1 1'), \
             ('documents', 'documents_family_kind', '1 1 1'), \
             ('documents', 'documents_visible', '1 1 1 1 1 1 1')",
            // Reloads the statistics into this connection's planner.
            "ANALYZE sqlite_schema",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await
                .expect(sql);
        }
    }

    #[tokio::test]
    async fn versions_are_set_by_key_even_when_the_statistics_say_the_table_is_empty() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let mut conn = db.pool.acquire().await.expect("connection");
        documents_thought_empty(&mut conn).await;
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {}",
            set_versions_sql(100)
        )));
        for i in 0..100_i64 {
            query = query.bind(format!("document-{i}")).bind(i);
        }
        let plan = crate::db::plan_details(&mut conn, query).await;
        assert!(
            plan.iter()
                .any(|d| d.starts_with("SEARCH documents") && d.contains("(id=?)")),
            "{plan:#?}"
        );
        assert!(
            !plan.iter().any(|d| d.starts_with("SCAN documents")),
            "{plan:#?}"
        );
    }
}
