//! Staff overriding a decision (with a reason): the override is written into the family's
//! planning like any decision, so the family's phones show it after their next sync.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::documents;
use crate::docs::planning::{PlanningRef, cell, record_decision};
use crate::error::{AppError, AppResult};
use crate::routes::Json as JsonBody;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use cartable_domain::DocKind;
use cartable_domain::planning::{CellKey, Decision, Outcome};
use cartable_domain::school_year::SchoolYear;
use serde::Deserialize;
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff/decisions", post(override_decision))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub family_id: String,
    pub child_id: String,
    pub date: jiff::civil::Date,
    pub activity_id: String,
    pub outcome: Outcome,
    /// Shown to the family.
    pub reason: String,
}

async fn override_decision(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(req): JsonBody<Override>,
) -> AppResult<Json<Decision>> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::bad_request(
            "reason : motif obligatoire (500 caractères au plus)",
        ));
    }
    let family = sqlx::query("SELECT structure_id FROM families WHERE id = $1")
        .bind(&req.family_id)
        .fetch_optional(&state.db.pool)
        .await?;
    match family {
        Some(row) if row.try_get::<String, _>("structure_id")? == staff.structure_id() => {}
        _ => return Err(AppError::not_found()),
    }
    let year = SchoolYear::of(req.date).to_string();
    let row = {
        let mut conn = state.db.pool.acquire().await?;
        documents::family_document(
            &mut conn,
            &req.family_id,
            DocKind::Planning.code(),
            Some(&year),
        )
        .await?
        .ok_or_else(AppError::not_found)?
    };
    let cell_key = CellKey::new(req.child_id.as_str(), req.date, req.activity_id.as_str());
    let key = cell_key.encode();
    let mut write = state.docs.begin_write(&state.db, &row.id).await?;
    let (conn, doc) = write.parts()?;
    let (request, previous) = cell(doc, &key)?;
    let Some(request) = request else {
        return Err(AppError::not_found());
    };
    let decision = Decision {
        rev: request.rev.clone(),
        outcome: req.outcome,
        reason: Some(format!("{reason} (décision de la structure)")),
        decided_at_ms: jiff::Timestamp::now().as_millisecond(),
    };
    let at = PlanningRef {
        db: &state.db,
        structure_id: staff.structure_id(),
        family_id: &req.family_id,
        doc_id: &row.id,
    };
    // Lock the day's counter like any decision does.
    crate::db::places::lock(
        conn,
        &state.db,
        staff.structure_id(),
        &req.activity_id,
        &req.date.to_string(),
    )
    .await?;
    record_decision(
        conn,
        at,
        doc,
        &cell_key,
        &request,
        previous.as_ref(),
        &decision,
    )
    .await?;
    crate::db::audit::record(
        conn,
        &staff.session.account_id,
        staff.structure_id(),
        "override_decision",
        Some(&req.family_id),
        &format!("{key} → {} : {reason}", req.outcome.code()),
    )
    .await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(Json(decision))
}
