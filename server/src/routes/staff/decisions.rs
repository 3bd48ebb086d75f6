//! Staff overriding a decision (with a reason): the override is written into the family's
//! planning like any decision, so the family's phones show it after their next sync.

use crate::AppState;
use crate::auth::StaffUser;
use crate::docs::apply::{self, FamilyDoc};
use crate::docs::redecide;
use crate::error::{AppError, AppResult};
use crate::routes::Json as JsonBody;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use cartable_domain::ids::{ActivityId, ChildId, FamilyId};
use cartable_domain::planning::{CellKey, Decision, Outcome};
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::DecisionInputs;
use cartable_reconcile::redecide::{StaffDecision, plan_override};
use serde::Deserialize;
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff/decisions", post(override_decision))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub family_id: FamilyId,
    pub child_id: ChildId,
    pub date: jiff::civil::Date,
    pub activity_id: ActivityId,
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
        .bind(req.family_id.as_str())
        .fetch_optional(&state.db.pool)
        .await?;
    match family {
        Some(row) if *staff.structure_id() == row.try_get::<String, _>("structure_id")? => {}
        _ => return Err(AppError::not_found()),
    }
    let cell_key = CellKey::new(&req.child_id, req.date, &req.activity_id);
    let school_year = SchoolYear::of(req.date);
    let doc_id = redecide::planning_of(&state, &req.family_id, school_year).await?;
    let inputs = DecisionInputs {
        catalogue: Default::default(),
        dossier: Default::default(),
        valid_documents: Default::default(),
        overdue: None,
        now: state.clock.now(),
    };
    let at = FamilyDoc {
        structure_id: staff.structure_id(),
        family_id: &req.family_id,
        doc_id: &doc_id,
    };
    let staff_decision = StaffDecision {
        outcome: req.outcome,
        reason: reason.to_string(),
    };
    let mut write = state.docs.begin_write(&state.db, &doc_id).await?;
    let (conn, doc) = write.parts()?;
    let plan = plan_override(doc, &cell_key, staff_decision)?;
    // The day's counter is locked like for any decision.
    let counts =
        apply::lock_counters(conn, &state.db, staff.structure_id(), plan.counters()).await?;
    let effects = plan.decide(doc, &inputs, school_year, &counts)?;
    apply::apply(conn, at, None, &effects, inputs.now.as_millisecond()).await?;
    let decision = effects
        .decisions()
        .map(|(_, d)| d.clone())
        .next()
        .ok_or_else(|| AppError::internal("décision non écrite"))?;
    let key = cell_key.encode();
    crate::db::audit::record(
        conn,
        staff.who(decision.decided_at_ms),
        "override_decision",
        Some(&req.family_id),
        &format!("{key} → {} : {reason}", req.outcome.code()),
    )
    .await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(Json(decision))
}
