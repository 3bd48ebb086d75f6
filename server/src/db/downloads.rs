//! Files offered to every family (`downloads`), the source of the catalogue's published
//! "Téléchargement"; their bytes are in the object store.

use super::Db;
use cartable_domain::information::Download;
use sqlx::{AnyConnection, Row};

/// A published file with what only the server needs.
#[derive(Debug, Clone)]
pub struct StoredDownload {
    pub id: String,
    pub structure_id: String,
    pub object_key: String,
    pub published_by: String,
    pub download: Download,
}

const COLUMNS: &str = "id, structure_id, title, description, file_name, content_type, \
                       size_bytes, sha256, object_key, published_by, published_at_ms";

fn stored_of(r: &sqlx::any::AnyRow) -> Result<StoredDownload, sqlx::Error> {
    Ok(StoredDownload {
        id: r.try_get("id")?,
        structure_id: r.try_get("structure_id")?,
        object_key: r.try_get("object_key")?,
        published_by: r.try_get("published_by")?,
        download: Download {
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            file_name: r.try_get("file_name")?,
            content_type: r.try_get("content_type")?,
            size_bytes: r.try_get("size_bytes")?,
            sha256: r.try_get("sha256")?,
            published_at_ms: r.try_get("published_at_ms")?,
        },
    })
}

/// Records a published file, in the caller's write (with its audit entry).
pub async fn insert(conn: &mut AnyConnection, d: &StoredDownload) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO downloads (id, structure_id, title, description, file_name, content_type, \
         size_bytes, sha256, object_key, published_by, published_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&d.id)
    .bind(&d.structure_id)
    .bind(&d.download.title)
    .bind(&d.download.description)
    .bind(&d.download.file_name)
    .bind(&d.download.content_type)
    .bind(d.download.size_bytes)
    .bind(&d.download.sha256)
    .bind(&d.object_key)
    .bind(&d.published_by)
    .bind(d.download.published_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The download `id` of the structure.
pub async fn by_id(
    db: &Db,
    structure_id: &str,
    id: &str,
) -> Result<Option<StoredDownload>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM downloads WHERE id = $1 AND structure_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(structure_id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(stored_of)
        .transpose()
}

/// The structure's downloads, newest first.
pub async fn of_structure(
    conn: &mut sqlx::AnyConnection,
    structure_id: &str,
) -> Result<Vec<StoredDownload>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM downloads WHERE structure_id = $1 \
         ORDER BY published_at_ms DESC, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(stored_of)
        .collect()
}

/// Deletes the row; false when it is not in the structure.
pub async fn delete(
    conn: &mut AnyConnection,
    structure_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM downloads WHERE id = $1 AND structure_id = $2")
        .bind(id)
        .bind(structure_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
