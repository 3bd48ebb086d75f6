//! Tariffs and billing settings (administrators), and the quotient familial of a family.
//! Tariffs live in the catalogue, so families' phones price bookings offline.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::audit;
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use crate::invoicing::{ledger, quotient};
use crate::routes::Json as JsonBody;
use crate::routes::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;
use axum::{Json, Router};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::ids::FamilyId;
use cartable_domain::tariffs::{Billing, BillingMode, Tariff, billing_problems, tariff_problems};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/staff/catalogue/activities/{activity_id}/tariff",
            put(put_tariff).delete(delete_tariff),
        )
        .route("/api/v1/staff/catalogue/billing", put(put_billing))
        .route(
            "/api/v1/staff/families/{family_id}/quotient",
            put(put_quotient).get(get_quotient),
        )
}

fn problems(list: Vec<String>) -> AppResult<()> {
    if list.is_empty() {
        Ok(())
    } else {
        Err(AppError::bad_request(list.join(" ; ")))
    }
}

/// Sets an activity's tariff (administrators), checked as the staff API checks it; an
/// activity that is not the structure's is "not found".
pub async fn save_tariff(
    state: &AppState,
    staff: &StaffUser,
    activity_id: &str,
    tariff: Tariff,
) -> AppResult<Catalogue> {
    staff.require_admin()?;
    problems(tariff_problems(&tariff))?;
    catalogue::update_by(
        state,
        staff.structure_id(),
        staff.who_now(state),
        "change_tariff",
        |c| {
            let activity = c
                .activities
                .get_mut(activity_id)
                .ok_or_else(AppError::not_found)?;
            activity.tariff = Some(tariff);
            Ok(activity_id.to_string())
        },
    )
    .await
}

async fn put_tariff(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(activity_id): Path<String>,
    JsonBody(tariff): JsonBody<Tariff>,
) -> AppResult<Json<Catalogue>> {
    Ok(Json(
        save_tariff(&state, &staff, &activity_id, tariff).await?,
    ))
}

async fn delete_tariff(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(activity_id): Path<String>,
) -> AppResult<StatusCode> {
    staff.require_admin()?;
    catalogue::update_by(
        &state,
        staff.structure_id(),
        staff.who_now(&state),
        "delete_tariff",
        |c| {
            let activity = c
                .activities
                .get_mut(&activity_id)
                .ok_or_else(AppError::not_found)?;
            activity.tariff = None;
            Ok(activity_id.clone())
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_billing(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(billing): JsonBody<Billing>,
) -> AppResult<Json<Catalogue>> {
    staff.require_admin()?;
    problems(billing_problems(&billing))?;
    let updated = catalogue::update_by(
        &state,
        staff.structure_id(),
        staff.who_now(&state),
        "change_billing",
        |c| {
            let detail = format!(
                "{}, paiement à {} jours{}",
                match billing.mode {
                    BillingMode::Postpaid => "factures mensuelles",
                    BillingMode::Prepaid => "prépaiement",
                },
                billing.payment_days(),
                billing
                    .block_bookings_when_overdue
                    .as_ref()
                    .map_or("", |_| ", réservations bloquées en cas d'impayé"),
            );
            c.billing = billing;
            Ok(detail)
        },
    )
    .await?;
    Ok(Json(updated))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotientRequest {
    /// `null`: no QF known any more (the highest price applies).
    qf: Option<u32>,
}

/// A family's quotient familial history.
#[derive(Debug, Serialize, Deserialize)]
pub struct QuotientHistory {
    pub family_id: String,
    pub periods: Vec<cartable_domain::pricing::QuotientPeriod>,
}

async fn get_quotient(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(family_id): Path<String>,
) -> AppResult<Json<QuotientHistory>> {
    ledger::check_family(&state, staff.structure_id(), &family_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let periods = quotient::history(&mut conn, staff.structure_id(), &family_id).await?;
    Ok(Json(QuotientHistory { family_id, periods }))
}

/// Records a QF, applying from next month; the family's ledger (which carries the history
/// for offline prices) is republished.
async fn put_quotient(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(family_id): Path<String>,
    JsonBody(request): JsonBody<QuotientRequest>,
) -> AppResult<Json<QuotientHistory>> {
    staff.require_admin()?;
    if request.qf.is_some_and(|q| q > 100_000) {
        return Err(AppError::bad_request("quotient familial : au plus 100 000"));
    }
    ledger::check_family(&state, staff.structure_id(), &family_id).await?;
    let mut tx = state.db.begin_write().await?;
    quotient::record(
        &mut tx.tx,
        &family_id,
        request.qf,
        &staff.session.account_id,
        state.clock.now(),
    )
    .await?;
    ledger::mark_changed(&mut tx.tx, staff.structure_id(), &family_id).await?;
    audit::record(
        &mut tx.tx,
        staff.who_now(&state),
        "change_quotient",
        Some(&FamilyId::from(&family_id)),
        &request
            .qf
            .map_or_else(|| "QF inconnu".to_string(), |qf| format!("QF {qf}")),
    )
    .await?;
    tx.commit().await?;
    ledger::publish_after_commit(&state, staff.structure_id(), &family_id).await;
    let mut conn = state.db.pool.acquire().await?;
    let periods = quotient::history(&mut conn, staff.structure_id(), &family_id).await?;
    Ok(Json(QuotientHistory { family_id, periods }))
}
