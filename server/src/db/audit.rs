//! Append-only log of staff access to sensitive data (health, diet): who, when, what.

use super::Db;
use cartable_domain::ids::{AccountId, FamilyId, StructureId};
use sqlx::AnyConnection;

/// Who did it: a member of staff of a structure, at an instant of the server's clock.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub account_id: &'a AccountId,
    pub structure_id: &'a StructureId,
    pub at_ms: i64,
}

/// Appends one entry: `action` on `family_id`'s data (if about a family), with `detail`.
pub async fn record(
    conn: &mut AnyConnection,
    who: Who<'_>,
    action: &str,
    family_id: Option<&FamilyId>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, account_id, structure_id, action, family_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(who.at_ms)
    .bind(who.account_id.as_str())
    .bind(who.structure_id.as_str())
    .bind(action)
    .bind(family_id.map(FamilyId::as_str))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends one entry in a write of its own, through the write gate: on SQLite a write
/// outside it would wait on the batches' lock, holding a pooled connection meanwhile, and
/// fail after the busy timeout while the server is busy writing.
pub async fn record_alone(
    db: &Db,
    who: Who<'_>,
    action: &str,
    family_id: Option<&FamilyId>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    record(&mut wtx.tx, who, action, family_id, detail).await?;
    wtx.commit().await
}
