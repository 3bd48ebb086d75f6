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
            let data: Vec<u8> = r.try_get("data")?;
            let entry = out.entry(id(&r, "doc_id")?).or_default();
            entry.push(&data)?;
        }
    }
    Ok(out)
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
        let sql = format!(
            "UPDATE documents SET version = v.column2 FROM (VALUES {}) AS v \
             WHERE documents.id = v.column1",
            multi_row::values(chunk.len(), 2)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(v.doc_id.as_str()).bind(v.version);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
