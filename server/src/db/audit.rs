//! Append-only log of staff access to sensitive data (health, diet): who, when, what.

use super::now_ms;
use sqlx::AnyConnection;

pub async fn record(
    conn: &mut AnyConnection,
    account_id: &str,
    structure_id: &str,
    action: &str,
    family_id: Option<&str>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, account_id, structure_id, action, family_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now_ms())
    .bind(account_id)
    .bind(structure_id)
    .bind(action)
    .bind(family_id)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
