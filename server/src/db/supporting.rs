//! Supporting documents' metadata (`supporting_documents`); their bytes are in the object store.

use super::Db;
use cartable_domain::supporting::{DocumentStatus, SupportingDocument};
use sqlx::Row;

/// A stored document with what only the server needs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub doc: SupportingDocument,
    pub structure_id: String,
    pub object_key: String,
    pub sha256: String,
}

/// A document about to be recorded.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub id: &'a str,
    pub structure_id: &'a str,
    pub family_id: &'a str,
    pub child_id: Option<&'a str>,
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub valid_until: Option<jiff::civil::Date>,
    pub idempotency_key: &'a str,
    pub uploaded_by: &'a str,
    pub uploaded_at_ms: i64,
}

const COLUMNS: &str = "id, structure_id, family_id, child_id, kind, file_name, content_type, \
                       size_bytes, sha256, object_key, valid_until, uploaded_at_ms, status, \
                       reviewed_at_ms, reason";

fn decode<E: std::error::Error + Send + Sync + 'static>(e: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

fn stored_of(r: &sqlx::any::AnyRow) -> Result<Stored, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let status = DocumentStatus::parse(&status)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown document status {status:?}").into()))?;
    let valid_until: Option<String> = r.try_get("valid_until")?;
    let valid_until = valid_until
        .map(|d| d.parse::<jiff::civil::Date>().map_err(decode))
        .transpose()?;
    Ok(Stored {
        doc: SupportingDocument {
            id: r.try_get("id")?,
            family_id: r.try_get("family_id")?,
            child_id: r.try_get("child_id")?,
            kind: r.try_get("kind")?,
            file_name: r.try_get("file_name")?,
            content_type: r.try_get("content_type")?,
            size_bytes: r.try_get("size_bytes")?,
            valid_until,
            status,
            reason: r.try_get("reason")?,
            uploaded_at_ms: r.try_get("uploaded_at_ms")?,
            reviewed_at_ms: r.try_get("reviewed_at_ms")?,
        },
        structure_id: r.try_get("structure_id")?,
        object_key: r.try_get("object_key")?,
        sha256: r.try_get("sha256")?,
    })
}

/// Whether [`insert`] stored the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Stored,
    /// The family's documents together would exceed `quota` bytes: nothing was written.
    OverQuota,
}

/// Records a document whose bytes are stored, unless the family's documents together would
/// then exceed `quota` bytes. The family's total is read under the family row's lock
/// (PostgreSQL) or the single writer (SQLite), so uploads sent at once cannot pass the quota
/// together, also across server processes.
pub async fn insert(db: &Db, d: &NewDocument<'_>, quota: u64) -> Result<Inserted, sqlx::Error> {
    let mut write = db.begin_write().await?;
    let lock = format!("SELECT id FROM families WHERE id = $1{}", db.for_update());
    sqlx::query(sqlx::AssertSqlSafe(lock))
        .bind(d.family_id)
        .fetch_optional(&mut *write.tx)
        .await?;
    let used: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS total \
         FROM supporting_documents WHERE family_id = $1",
    )
    .bind(d.family_id)
    .fetch_one(&mut *write.tx)
    .await?
    .try_get("total")?;
    if u64::try_from(used.saturating_add(d.size_bytes)).unwrap_or(u64::MAX) > quota {
        return Ok(Inserted::OverQuota);
    }
    sqlx::query(
        "INSERT INTO supporting_documents (id, structure_id, family_id, child_id, kind, \
         file_name, content_type, size_bytes, sha256, object_key, valid_until, idempotency_key, \
         uploaded_by, uploaded_at_ms, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'waiting')",
    )
    .bind(d.id)
    .bind(d.structure_id)
    .bind(d.family_id)
    .bind(d.child_id)
    .bind(d.kind)
    .bind(d.file_name)
    .bind(d.content_type)
    .bind(d.size_bytes)
    .bind(d.sha256)
    .bind(d.object_key)
    .bind(d.valid_until.map(|v| v.to_string()))
    .bind(d.idempotency_key)
    .bind(d.uploaded_by)
    .bind(d.uploaded_at_ms)
    .execute(&mut *write.tx)
    .await?;
    write.commit().await?;
    Ok(Inserted::Stored)
}

pub async fn by_idempotency_key(
    db: &Db,
    family_id: &str,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM supporting_documents WHERE family_id = $1 AND idempotency_key = $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(family_id)
        .bind(key)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(stored_of)
        .transpose()
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Stored>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM supporting_documents WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(stored_of)
        .transpose()
}

/// A family's documents, newest first.
pub async fn of_family(db: &Db, family_id: &str) -> Result<Vec<SupportingDocument>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM supporting_documents WHERE family_id = $1 \
         ORDER BY uploaded_at_ms DESC, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(family_id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| stored_of(r).map(|s| s.doc))
        .collect()
}

/// A structure's documents with `status` (all when `None`), oldest first.
pub async fn of_structure(
    db: &Db,
    structure_id: &str,
    status: Option<DocumentStatus>,
) -> Result<Vec<SupportingDocument>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM supporting_documents WHERE structure_id = $1 \
         AND ($2 = '' OR status = $2) ORDER BY uploaded_at_ms, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(status.map_or("", |s| s.code()))
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| stored_of(r).map(|s| s.doc))
        .collect()
}

/// A structure's documents not rejected whose `valid_until` is on or before `until`.
pub async fn expiring(
    db: &Db,
    structure_id: &str,
    until: jiff::civil::Date,
) -> Result<Vec<SupportingDocument>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM supporting_documents WHERE structure_id = $1 \
         AND valid_until IS NOT NULL AND valid_until <= $2 AND status <> 'rejected' \
         ORDER BY valid_until, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(until.to_string())
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| stored_of(r).map(|s| s.doc))
        .collect()
}

/// Records staff's answer on the write transaction's connection `conn`; returns the
/// document's family and kind, or `None` when no such document is in the structure.
pub async fn review(
    conn: &mut sqlx::AnyConnection,
    structure_id: &str,
    id: &str,
    status: DocumentStatus,
    reviewed_by: &str,
    at_ms: i64,
    reason: Option<&str>,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE supporting_documents SET status = $1, reviewed_by = $2, reviewed_at_ms = $3, \
         reason = $4 WHERE id = $5 AND structure_id = $6",
    )
    .bind(status.code())
    .bind(reviewed_by)
    .bind(at_ms)
    .bind(reason)
    .bind(id)
    .bind(structure_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query("SELECT family_id, kind FROM supporting_documents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok((r.try_get("family_id")?, r.try_get("kind")?)))
        .transpose()
}

/// True when `child_id` is a child of `family_id`.
/// Bytes of supporting documents the family stored, all kinds and states together.
pub async fn family_total_bytes(db: &Db, family_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS total \
         FROM supporting_documents WHERE family_id = $1",
    )
    .bind(family_id)
    .fetch_one(&db.pool)
    .await?;
    row.try_get("total")
}

pub async fn is_child_of(db: &Db, family_id: &str, child_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 AS one FROM children WHERE family_id = $1 AND child_id = $2")
        .bind(family_id)
        .bind(child_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Kinds of document accepted by staff and still valid on `today` (no end, or an end on or
/// after it): what booking rules that require documents look at.
pub async fn valid_kinds(
    db: &Db,
    family_id: &str,
    today: &str,
) -> Result<std::collections::BTreeSet<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT kind FROM supporting_documents WHERE family_id = $1 \
         AND status = 'accepted' AND (valid_until IS NULL OR valid_until >= $2)",
    )
    .bind(family_id)
    .bind(today)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| r.try_get("kind")).collect()
}
