//! Information messages (`information_messages`), the source of the catalogue's published
//! "Informations".

use super::Db;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A message as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub title: String,
    pub body: String,
    /// First day shown (ISO date).
    pub published_from: String,
    /// Last day shown (ISO date, inclusive); `None`: until withdrawn.
    pub published_until: Option<String>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_by: String,
    pub updated_at_ms: i64,
}

/// What staff write.
#[derive(Debug, Clone, Copy)]
pub struct MessageText<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub published_from: &'a str,
    pub published_until: Option<&'a str>,
}

const COLUMNS: &str = "id, title, body, published_from, published_until, created_by, \
                       created_at_ms, updated_by, updated_at_ms";

fn message_of(r: &sqlx::any::AnyRow) -> Result<Message, sqlx::Error> {
    Ok(Message {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        published_from: r.try_get("published_from")?,
        published_until: r.try_get("published_until")?,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_by: r.try_get("updated_by")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}

/// Stores a new message on the write transaction's connection `conn`.
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    structure_id: &str,
    id: &str,
    text: MessageText<'_>,
    by: &str,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO information_messages (id, structure_id, title, body, published_from, \
         published_until, created_by, created_at_ms, updated_by, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8)",
    )
    .bind(id)
    .bind(structure_id)
    .bind(text.title)
    .bind(text.body)
    .bind(text.published_from)
    .bind(text.published_until)
    .bind(by)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces a message's text and dates; false when it is not in the structure. The
/// `updated_at_ms` moves forward on every change, also when the clock did not (phones show a
/// message whose `updated_at_ms` is past their read marker as unread again).
pub async fn update(
    conn: &mut sqlx::AnyConnection,
    structure_id: &str,
    id: &str,
    text: MessageText<'_>,
    by: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE information_messages SET title = $1, body = $2, published_from = $3, \
         published_until = $4, updated_by = $5, \
         updated_at_ms = CASE WHEN $6 > updated_at_ms THEN $6 ELSE updated_at_ms + 1 END \
         WHERE id = $7 AND structure_id = $8",
    )
    .bind(text.title)
    .bind(text.body)
    .bind(text.published_from)
    .bind(text.published_until)
    .bind(by)
    .bind(at_ms)
    .bind(id)
    .bind(structure_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a message; its title, or `None` when it is not in the structure.
pub async fn delete(
    conn: &mut sqlx::AnyConnection,
    structure_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "DELETE FROM information_messages WHERE id = $1 AND structure_id = $2 RETURNING title",
    )
    .bind(id)
    .bind(structure_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.try_get("title"))
    .transpose()
}

pub async fn by_id(db: &Db, structure_id: &str, id: &str) -> Result<Option<Message>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM information_messages WHERE id = $1 AND structure_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(structure_id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(message_of)
        .transpose()
}

/// Every message of the structure, newest publication first.
pub async fn of_structure(
    conn: &mut sqlx::AnyConnection,
    structure_id: &str,
) -> Result<Vec<Message>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM information_messages WHERE structure_id = $1 \
         ORDER BY published_from DESC, created_at_ms DESC, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(message_of)
        .collect()
}
