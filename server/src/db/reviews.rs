//! Submitted versions of family dossiers and what staff decided about them
//! (`dossier_versions`), and which device sent each Automerge actor's changes
//! (`device_actors`), so that staff see who changed each field.

use super::{coded, id};
use automerge::ChangeHash;
use cartable_domain::dossier::ReviewStatus;
use cartable_domain::ids::{AccountId, DeviceId, DocumentId, FamilyId, StructureId};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use std::str::FromStr;

/// One submitted version of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: i64,
    pub family_id: FamilyId,
    pub doc_id: DocumentId,
    pub rev: String,
    /// The dossier as submitted.
    pub heads: Vec<ChangeHash>,
    pub submitted_by: AccountId,
    pub submitted_at_ms: i64,
    pub status: ReviewStatus,
    pub reviewed_by: Option<String>,
    pub reviewed_at_ms: Option<i64>,
    pub reason: Option<String>,
    pub requested_documents: Vec<String>,
}

/// A version about to be recorded.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub family_id: &'a FamilyId,
    pub doc_id: &'a DocumentId,
    pub rev: &'a str,
    pub heads: &'a [ChangeHash],
    pub submitted_by: &'a AccountId,
    pub submitted_at_ms: i64,
    pub requested_documents: &'a [String],
}

/// Who is behind an Automerge actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorOwner {
    pub account_id: String,
    pub display_name: String,
    pub device_name: String,
}

pub(crate) fn encode_heads(heads: &[ChangeHash]) -> String {
    let hex: Vec<String> = heads.iter().map(ToString::to_string).collect();
    serde_json::to_string(&hex).unwrap_or_else(|_| "[]".into())
}

fn decode_heads(text: &str) -> Result<Vec<ChangeHash>, sqlx::Error> {
    let hex: Vec<String> =
        serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    hex.iter()
        .map(|h| ChangeHash::from_str(h).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .collect()
}

const COLUMNS: &str = "id, family_id, doc_id, rev, heads, submitted_by, submitted_at_ms, status, \
                       reviewed_by, reviewed_at_ms, reason, requested_documents";

fn version_of(r: &sqlx::any::AnyRow) -> Result<Version, sqlx::Error> {
    let heads: String = r.try_get("heads")?;
    let docs: String = r.try_get("requested_documents")?;
    Ok(Version {
        id: r.try_get("id")?,
        family_id: id(r, "family_id")?,
        doc_id: id(r, "doc_id")?,
        rev: r.try_get("rev")?,
        heads: decode_heads(&heads)?,
        submitted_by: id(r, "submitted_by")?,
        submitted_at_ms: r.try_get("submitted_at_ms")?,
        status: coded(r, "status", "review status", ReviewStatus::from_code)?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at_ms: r.try_get("reviewed_at_ms")?,
        reason: r.try_get("reason")?,
        requested_documents: serde_json::from_str(&docs).unwrap_or_default(),
    })
}

/// Records a submitted version as pending; an older pending version of the family becomes
/// `superseded` (staff always review the latest).
pub async fn insert_pending(
    conn: &mut AnyConnection,
    v: &NewVersion<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE dossier_versions SET status = 'superseded' \
         WHERE family_id = $1 AND status = 'pending'",
    )
    .bind(v.family_id.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dossier_versions (family_id, doc_id, rev, heads, submitted_by, \
         submitted_at_ms, status, requested_documents) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
    )
    .bind(v.family_id.as_str())
    .bind(v.doc_id.as_str())
    .bind(v.rev)
    .bind(encode_heads(v.heads))
    .bind(v.submitted_by.as_str())
    .bind(v.submitted_at_ms)
    .bind(serde_json::to_string(v.requested_documents).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The family's most recent version with `status` (any status when `None`).
pub async fn latest(
    conn: &mut AnyConnection,
    family_id: &FamilyId,
    status: Option<ReviewStatus>,
) -> Result<Option<Version>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM dossier_versions WHERE family_id = $1 \
         AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(family_id.as_str())
        .bind(status.map_or("", ReviewStatus::code))
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(version_of).transpose()
}

/// Records staff's answer to a pending version.
pub async fn set_outcome(
    conn: &mut AnyConnection,
    id: i64,
    status: ReviewStatus,
    reviewed_by: &AccountId,
    reviewed_at_ms: i64,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE dossier_versions SET status = $1, reviewed_by = $2, reviewed_at_ms = $3, \
         reason = $4 WHERE id = $5",
    )
    .bind(status.code())
    .bind(reviewed_by.as_str())
    .bind(reviewed_at_ms)
    .bind(reason)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces the supporting documents still asked for with a version.
pub async fn set_requested_documents(
    conn: &mut AnyConnection,
    id: i64,
    kinds: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE dossier_versions SET requested_documents = $1 WHERE id = $2")
        .bind(serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into()))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A row of the staff's list of dossiers.
#[derive(Debug, Clone)]
pub struct Listed {
    pub family_name: String,
    pub submitted_by_name: Option<String>,
    pub version: Version,
}

/// The latest version of every family of the structure whose latest version has `status`,
/// oldest submission first (the order to review them in).
pub async fn list(
    conn: &mut AnyConnection,
    structure_id: &StructureId,
    status: ReviewStatus,
) -> Result<Vec<Listed>, sqlx::Error> {
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("v.{c}")).collect();
    let sql = format!(
        "SELECT {}, f.name AS family_name, a.display_name AS submitted_by_name \
         FROM dossier_versions v JOIN families f ON f.id = v.family_id \
         LEFT JOIN accounts a ON a.id = v.submitted_by \
         WHERE f.structure_id = $1 AND v.status = $2 AND v.id = \
         (SELECT MAX(w.id) FROM dossier_versions w WHERE w.family_id = v.family_id) \
         ORDER BY v.submitted_at_ms, v.id",
        columns.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id.as_str())
        .bind(status.code())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                family_name: r.try_get("family_name")?,
                submitted_by_name: r.try_get("submitted_by_name")?,
                version: version_of(r)?,
            })
        })
        .collect()
}

/// A submitted version with the names of who sent it and who answered it.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub version: Version,
    pub submitted_by_name: Option<String>,
    pub reviewed_by_name: Option<String>,
}

/// Every version the family submitted, the latest first (at most `limit`).
pub async fn history(
    conn: &mut AnyConnection,
    family_id: &FamilyId,
    limit: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("v.{c}")).collect();
    let sql = format!(
        "SELECT {}, a.display_name AS submitted_by_name, s.display_name AS reviewed_by_name \
         FROM dossier_versions v LEFT JOIN accounts a ON a.id = v.submitted_by \
         LEFT JOIN accounts s ON s.id = v.reviewed_by \
         WHERE v.family_id = $1 ORDER BY v.id DESC LIMIT $2",
        columns.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(family_id.as_str())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                submitted_by_name: r.try_get("submitted_by_name")?,
                reviewed_by_name: r.try_get("reviewed_by_name")?,
                version: version_of(r)?,
            })
        })
        .collect()
}

/// Remembers that `device_id` (of `account_id`) sent changes of these actors. An actor
/// already attributed keeps its first owner.
pub async fn record_actors(
    conn: &mut AnyConnection,
    actors: &[String],
    device_id: &DeviceId,
    account_id: &AccountId,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for actor in actors {
        sqlx::query(
            "INSERT INTO device_actors (actor_hex, device_id, account_id, first_seen_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (actor_hex) DO NOTHING",
        )
        .bind(actor)
        .bind(device_id.as_str())
        .bind(account_id.as_str())
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The owners of the actors that devices of `family_id`'s accounts sent, by actor hex.
pub async fn actor_owners(
    conn: &mut AnyConnection,
    family_id: &FamilyId,
) -> Result<HashMap<String, ActorOwner>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.actor_hex, d.account_id, a.display_name, v.name AS device_name \
         FROM device_actors d JOIN accounts a ON a.id = d.account_id \
         LEFT JOIN devices v ON v.id = d.device_id WHERE a.family_id = $1",
    )
    .bind(family_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("actor_hex")?,
                ActorOwner {
                    account_id: r.try_get("account_id")?,
                    display_name: r.try_get("display_name")?,
                    device_name: r
                        .try_get::<Option<String>, _>("device_name")?
                        .unwrap_or_default(),
                },
            ))
        })
        .collect()
}

/// Display name of an account of the structure, for the staff page.
pub async fn account_name(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT display_name FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("display_name")).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_as_hex() {
        let h = ChangeHash([7u8; 32]);
        let text = encode_heads(&[h]);
        assert_eq!(decode_heads(&text).expect("decode"), vec![h]);
        assert!(decode_heads("[\"zz\"]").is_err());
    }
}
