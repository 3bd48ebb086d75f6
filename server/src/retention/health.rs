//! The health category of the purge: a departed child's health data leave the dossier and its
//! history, and its health documents leave the object store.
//!
//! An Automerge document keeps every value ever written in its history, so blanking fields
//! would leave them there. The dossier is instead rewritten: a new document (new id) holding
//! the current dossier without those fields, written by the server, replaces the old one and
//! its chunks and sync states. Phones see the old id disappear from the family's list, forget
//! it and download the new one; submitted versions now name the rewritten state.

use super::exec;
use crate::AppState;
use crate::db::documents::{self, DocRow};
use crate::db::reviews;
use crate::docs::create;
use crate::error::{AppError, AppResult};
use cartable_domain::DocKind;
use cartable_domain::dossier::{ChildSheet, Diet, Dossier};
use cartable_domain::ids::{DocumentId, FamilyId, StructureId};
use cartable_domain::supporting::SENSITIVE_KINDS;
use sqlx::{AnyConnection, Row};

/// What the health purge of one family removed.
#[derive(Debug, Default)]
pub struct HealthPurge {
    pub children: u64,
    pub documents: u64,
    pub files: u64,
}

fn has_health_data(sheet: &ChildSheet) -> bool {
    sheet.diet != Diet::default()
        || !sheet.allergies.is_empty()
        || sheet.pai
        || !sheet.medical_treatments.is_empty()
        || !sheet.doctor.is_empty()
        || sheet.vaccinations_up_to_date
}

fn without_health_data(sheet: &mut ChildSheet) {
    sheet.diet = Diet::default();
    sheet.allergies.clear();
    sheet.pai = false;
    sheet.medical_treatments.clear();
    sheet.doctor.clear();
    sheet.vaccinations_up_to_date = false;
}

/// Removes the health data of `children` (all gone for the health period) of `family_id`.
/// A child whose data were removed before and did not come back is left alone.
pub async fn purge_family(
    state: &AppState,
    family_id: &FamilyId,
    structure_id: &StructureId,
    children: &[String],
    now_ms: i64,
    dry_run: bool,
) -> AppResult<HealthPurge> {
    let mut out = HealthPurge::default();
    for child in children {
        let (n, files) = remove_documents(state, family_id, Some(child), dry_run).await?;
        out.documents += n;
        out.files += files;
    }
    let row = {
        let mut conn = state.db.pool.acquire().await?;
        documents::family_document(&mut conn, family_id, DocKind::Dossier, None).await?
    };
    let Some(row) = row else {
        return Ok(out);
    };
    let mut write = state.docs.begin_write(&state.db, &row.id).await?;
    let (conn, doc) = write.parts().await?;
    let mut dossier: Dossier = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
    let purged = purged_before(conn, family_id).await?;
    let mut rewritten = Vec::new();
    for child in children {
        let Some(sheet) = dossier.children.get_mut(child) else {
            continue;
        };
        if has_health_data(sheet) || !purged.contains(child) {
            without_health_data(sheet);
            rewritten.push(child.clone());
        }
    }
    out.children = rewritten.len() as u64;
    if rewritten.is_empty() || dry_run {
        return Ok(out);
    }
    let mut fresh = create::doc_with(state.docs.actor(), &dossier)?;
    let new_row = DocRow {
        id: DocumentId::new(crate::auth::new_id()),
        structure_id: structure_id.clone(),
        family_id: Some(family_id.clone()),
        kind: DocKind::Dossier,
        school_year: None,
        version: 1,
    };
    documents::insert_document(conn, &new_row, &fresh.save(), now_ms).await?;
    let old = row.id.as_str();
    for sql in [
        "DELETE FROM sync_states WHERE doc_id = $1",
        "DELETE FROM compensations WHERE doc_id = $1",
        "DELETE FROM document_chunks WHERE doc_id = $1",
        "DELETE FROM documents WHERE id = $1",
    ] {
        exec(conn, sql, old).await?;
    }
    // Submitted versions named states of the old history: they now name the rewritten one.
    sqlx::query("UPDATE dossier_versions SET doc_id = $1, heads = $2 WHERE family_id = $3")
        .bind(new_row.id.as_str())
        .bind(reviews::encode_heads(&fresh.get_heads()))
        .bind(family_id.as_str())
        .execute(&mut *conn)
        .await?;
    crate::docs::dossier::project(&mut crate::db::Conn::Any(conn), family_id, &fresh, None).await?;
    for child in &rewritten {
        sqlx::query("DELETE FROM retention_purged_children WHERE family_id = $1 AND child_id = $2")
            .bind(family_id.as_str())
            .bind(child)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO retention_purged_children (family_id, child_id, purged_at_ms) \
             VALUES ($1, $2, $3)",
        )
        .bind(family_id.as_str())
        .bind(child)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    let mut slot = write.commit(state.settings.compaction_threshold).await?;
    slot.loaded = None;
    drop(slot);
    tracing::info!(family_id = %family_id, children = rewritten.len(), "health data purged from a dossier");
    Ok(out)
}

async fn purged_before(conn: &mut AnyConnection, family_id: &FamilyId) -> AppResult<Vec<String>> {
    Ok(
        sqlx::query("SELECT child_id FROM retention_purged_children WHERE family_id = $1")
            .bind(family_id.as_str())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("child_id"))
            .collect::<Result<_, _>>()?,
    )
}

/// Removes supporting documents of `family_id` with their files: the health ones of `child`,
/// or, without a child, all of them. Returns (documents, files removed).
pub async fn remove_documents(
    state: &AppState,
    family_id: &FamilyId,
    child: Option<&str>,
    dry_run: bool,
) -> AppResult<(u64, u64)> {
    let kinds = SENSITIVE_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut wtx = state.db.begin_write().await?;
    let found = match child {
        Some(child) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, object_key FROM supporting_documents \
                 WHERE family_id = $1 AND child_id = $2 AND kind IN ({kinds})"
            )))
            .bind(family_id.as_str())
            .bind(child)
            .fetch_all(&mut *wtx.tx)
            .await?
        }
        None => {
            sqlx::query("SELECT id, object_key FROM supporting_documents WHERE family_id = $1")
                .bind(family_id.as_str())
                .fetch_all(&mut *wtx.tx)
                .await?
        }
    };
    if dry_run || found.is_empty() {
        return Ok((found.len() as u64, 0));
    }
    let mut keys = Vec::new();
    for r in &found {
        let id: String = r.try_get("id")?;
        keys.push(r.try_get::<String, _>("object_key")?);
        exec(
            &mut wtx.tx,
            "DELETE FROM push_expiry_reminders WHERE document_id = $1",
            &id,
        )
        .await?;
        exec(
            &mut wtx.tx,
            "DELETE FROM supporting_documents WHERE id = $1",
            &id,
        )
        .await?;
    }
    wtx.commit().await?;
    for key in &keys {
        crate::objects::remove(state, key, "retention purge").await;
    }
    Ok((found.len() as u64, keys.len() as u64))
}
