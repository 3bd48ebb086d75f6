//! Which device owns each Automerge actor (`device_actors`): the first device to send a
//! change under an actor owns it, for good.

use crate::db::Conn;
use sqlx::Row;

/// The device that owns `actor_hex`, if any.
pub async fn owner(conn: &mut Conn<'_>, actor_hex: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT device_id FROM device_actors WHERE actor_hex = $1")
        .bind(actor_hex)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("device_id")).transpose()
}

/// Records `device_id` (of `account_id`) as the owner of `actor_hex` unless another device
/// got there first; returns the owner now recorded.
pub async fn claim(
    conn: &mut Conn<'_>,
    actor_hex: &str,
    device_id: &str,
    account_id: &str,
    now_ms: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO device_actors (actor_hex, device_id, account_id, first_seen_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (actor_hex) DO NOTHING",
    )
    .bind(actor_hex)
    .bind(device_id)
    .bind(account_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    owner(conn, actor_hex).await
}
