//! The attendance category of the purge: attendance rows after their day, and each family's
//! planning of a school year (requests, decisions, absences: an Automerge document whose
//! history holds them all) after the year's end, with its projections and the place counters
//! of its days. Nothing recreates a past year's planning.

use super::{Bind, exec, forget_documents, rows};
use crate::AppState;
use crate::db::Conn;
use crate::error::AppResult;
use cartable_domain::ids::{DocumentId, StructureId};
use cartable_domain::school_year::SchoolYear;
use sqlx::Row;

#[derive(Debug, Default)]
pub struct PlanningPurge {
    pub attendance_rows: u64,
    pub plannings: u64,
}

/// Purges what is older than `cutoff` (`YYYY-MM-DD`) in `structure_id`.
pub async fn purge(
    state: &AppState,
    structure_id: &StructureId,
    cutoff: &str,
    dry_run: bool,
) -> AppResult<PlanningPurge> {
    let s = structure_id.as_str();
    let mut wtx = state.db.begin_write().await?;
    let mut out = PlanningPurge {
        attendance_rows: rows(
            &mut wtx.tx,
            dry_run,
            "attendance WHERE structure_id = $1 AND day < $2",
            s,
            Bind::Text(cutoff.to_string()),
        )
        .await?,
        ..PlanningPurge::default()
    };
    let mut old = Vec::new();
    let mut last_day = String::new();
    for r in sqlx::query(
        "SELECT id, school_year FROM documents WHERE structure_id = $1 AND kind = 'planning' \
         ORDER BY id",
    )
    .bind(s)
    .fetch_all(&mut *wtx.tx)
    .await?
    {
        let year: Option<String> = r.try_get("school_year")?;
        let Some(year) = year.and_then(|y| y.parse::<SchoolYear>().ok()) else {
            continue;
        };
        let end = year.last_day().to_string();
        if end.as_str() < cutoff {
            old.push(DocumentId::new(r.try_get::<String, _>("id")?));
            if end > last_day {
                last_day = end;
            }
        }
    }
    out.plannings = old.len() as u64;
    if dry_run || old.is_empty() {
        return Ok(out);
    }
    for id in &old {
        crate::db::documents::lock_version(&mut Conn::Any(&mut wtx.tx), &state.db, id).await?;
        for sql in [
            "DELETE FROM sync_states WHERE doc_id = $1",
            "DELETE FROM compensations WHERE doc_id = $1",
            "DELETE FROM booking_requests WHERE doc_id = $1",
            "DELETE FROM absences WHERE doc_id = $1",
            "DELETE FROM document_chunks WHERE doc_id = $1",
            "DELETE FROM documents WHERE id = $1",
        ] {
            exec(&mut wtx.tx, sql, id.as_str()).await?;
        }
    }
    sqlx::query("DELETE FROM activity_places WHERE structure_id = $1 AND day <= $2")
        .bind(s)
        .bind(&last_day)
        .execute(&mut *wtx.tx)
        .await?;
    wtx.commit().await?;
    forget_documents(state, &old).await;
    Ok(out)
}
