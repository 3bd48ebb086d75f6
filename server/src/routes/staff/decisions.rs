//! Staff overriding a decision (with a reason): the override is written into the family's
//! planning like any decision, so the family's phones show it after their next sync.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::Conn;
use crate::docs::apply::{self, FamilyDoc};
use crate::docs::redecide;
use crate::error::{AppError, AppResult};
use crate::routes::Json as JsonBody;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use cartable_domain::calendar::format_date_fr;
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
    Ok(Json(apply_override(&state, &staff, &req).await?))
}

/// The longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The reason of an override, trimmed, or the error saying it is missing or too long.
pub fn checked_reason(reason: &str) -> AppResult<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::bad_request(
            "reason : motif obligatoire (500 caractères au plus)",
        ));
    }
    Ok(reason)
}

/// A member of staff accepts or refuses a child's booking for a day, with a reason the
/// family reads: written into the family's planning like any decision (counters locked and
/// counted), audited, seen by the family's phones after their next sync. The family, the
/// child and the activity must be the structure's (not found otherwise), and the family must
/// have asked for that day.
pub async fn apply_override(
    state: &AppState,
    staff: &StaffUser,
    req: &Override,
) -> AppResult<Decision> {
    let reason = checked_reason(&req.reason)?;
    let family = sqlx::query("SELECT structure_id FROM families WHERE id = $1")
        .bind(req.family_id.as_str())
        .fetch_optional(&state.db.pool)
        .await?;
    match family {
        Some(row) if *staff.structure_id() == row.try_get::<String, _>("structure_id")? => {}
        _ => return Err(AppError::not_found()),
    }
    let child = sqlx::query(
        "SELECT first_name, last_name FROM children WHERE child_id = $1 AND family_id = $2",
    )
    .bind(req.child_id.as_str())
    .bind(req.family_id.as_str())
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(AppError::not_found)?;
    let child_name = format!(
        "{} {}",
        child.try_get::<String, _>("first_name")?,
        child.try_get::<String, _>("last_name")?
    );
    let catalogue = crate::docs::catalogue::read(state, staff.structure_id()).await?;
    let activity_name = catalogue
        .activities
        .get(req.activity_id.as_str())
        .map(|a| a.name.clone())
        .ok_or_else(AppError::not_found)?;
    let cell_key = CellKey::new(&req.child_id, req.date, &req.activity_id);
    let school_year = SchoolYear::of(req.date);
    let doc_id = redecide::planning_of(state, &req.family_id, school_year).await?;
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
    let plan = plan_override(write.doc()?, &cell_key, staff_decision)?;
    // The day's counter is locked like for any decision.
    let counts = write
        .lock_counters(staff.structure_id(), plan.counters())
        .await?;
    let effects = plan.decide(write.doc()?, &inputs, school_year, &counts)?;
    write
        .move_counters(staff.structure_id(), &effects.places)
        .await?;
    let (conn, _) = write.parts().await?;
    apply::apply(
        &mut Conn::Any(&mut *conn),
        at,
        None,
        &effects,
        inputs.now.as_millisecond(),
    )
    .await?;
    let decision = effects
        .decisions()
        .map(|(_, d)| d.clone())
        .next()
        .ok_or_else(|| AppError::internal("décision non écrite"))?;
    let outcome = match req.outcome {
        Outcome::Accepted => "acceptée",
        Outcome::Refused => "refusée",
        Outcome::Cancelled => "annulée",
        Outcome::KeptBillable => "maintenue et facturée",
    };
    crate::db::audit::record(
        conn,
        staff.who(decision.decided_at_ms),
        "override_decision",
        Some(&req.family_id),
        &format!(
            "{child_name}, {activity_name}, {} : réservation {outcome}. Motif : {reason}",
            format_date_fr(req.date)
        ),
    )
    .await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(decision)
}
