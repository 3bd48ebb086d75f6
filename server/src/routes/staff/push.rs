//! Push delivery counts and failures per kind, for staff.

use crate::AppState;
use crate::auth::StaffUser;
use crate::error::{AppError, AppResult};
use crate::push::stats::{self, DeliveryStats};
use crate::routes::Query;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff/push/deliveries", get(deliveries))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Messages created in the last `days` days (30 when absent).
    pub days: Option<i64>,
}

async fn deliveries(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Json<DeliveryStats>> {
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(AppError::bad_request("days : entre 1 et 366 jours"));
    }
    let since = state.clock.now().as_millisecond() - days * 24 * 3600 * 1000;
    Ok(Json(
        stats::of_structure(&state.db, staff.structure_id(), since).await?,
    ))
}
