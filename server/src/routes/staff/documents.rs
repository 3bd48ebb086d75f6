//! Supporting documents for staff: the ones waiting for an answer, accept, reject with a
//! reason (the family sees it in its list), and those expiring soon (the reminder list).
//! The content itself is served by `GET /api/v1/documents/{id}/content`, which logs staff
//! downloads of health documents.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::{audit, supporting};
use crate::docs::redecide;
use crate::error::{AppError, AppResult};
use crate::push::causes;
use crate::routes::Json as JsonBody;
use crate::routes::{Path, Query};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use cartable_domain::ids::FamilyId;
use cartable_domain::supporting::{DocumentStatus, SupportingDocument};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/documents", get(list))
        .route("/api/v1/staff/documents/expiring", get(expiring))
        .route("/api/v1/staff/documents/{id}/accept", post(accept))
        .route("/api/v1/staff/documents/{id}/reject", post(reject))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `waiting`, `accepted` or `rejected`; all when absent.
    pub status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<SupportingDocument>>> {
    let status = match q.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(DocumentStatus::parse(s).ok_or_else(|| {
            AppError::bad_request(format!(
                "status : « {} » inconnu (waiting, accepted ou rejected)",
                cartable_domain::text::shown(s, 40)
            ))
        })?),
    };
    Ok(Json(
        supporting::of_structure(&state.db, staff.structure_id(), status).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiringQuery {
    pub within_days: Option<i64>,
}

async fn expiring(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(q): Query<ExpiringQuery>,
) -> AppResult<Json<Vec<SupportingDocument>>> {
    let days = q.within_days.unwrap_or(30);
    if !(0..=366).contains(&days) {
        return Err(AppError::bad_request("within_days : entre 0 et 366 jours"));
    }
    let today = cartable_domain::calendar::paris_date(state.clock.now());
    let until = today
        .checked_add(jiff::Span::new().days(days))
        .map_err(|e| AppError::bad_request(format!("within_days : {e}")))?;
    Ok(Json(
        supporting::expiring(&state.db, staff.structure_id(), until).await?,
    ))
}

async fn accept(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> AppResult<Json<SupportingDocument>> {
    Ok(Json(
        answer(&state, &staff, &id, DocumentStatus::Accepted, None).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// Shown to the family.
    pub reason: String,
}

async fn reject(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<Reject>,
) -> AppResult<Json<SupportingDocument>> {
    let reason = super::dossiers::rejection_reason(&req.reason)
        .map_err(|e| AppError::bad_request(format!("reason : {e}")))?;
    Ok(Json(
        answer(&state, &staff, &id, DocumentStatus::Rejected, Some(reason)).await?,
    ))
}

/// Accepts or rejects (with the reason shown to the family) a document of the caller's
/// structure (404 otherwise); the family is told through the push outbox. Audited.
pub async fn answer(
    state: &AppState,
    staff: &StaffUser,
    id: &str,
    status: DocumentStatus,
    reason: Option<&str>,
) -> AppResult<SupportingDocument> {
    let now = state.clock.now().as_millisecond();
    let mut write = state.db.begin_write().await?;
    let (family_id, kind) = supporting::review(
        &mut write.tx,
        staff.structure_id(),
        id,
        status,
        &staff.session.account_id,
        state.clock.now().as_millisecond(),
        reason,
    )
    .await?
    .ok_or_else(AppError::not_found)?;
    causes::document_reviewed(
        &mut write.tx,
        staff.structure_id(),
        &family_id,
        id,
        status == DocumentStatus::Accepted,
        now,
    )
    .await?;
    audit::record(
        &mut write.tx,
        staff.who(now),
        &format!("document_{}", status.code()),
        Some(&FamilyId::from(&family_id)),
        &format!("{kind} {id} {}", reason.unwrap_or("")),
    )
    .await?;
    write.commit().await?;
    state.push.wake();
    let stored = supporting::by_id(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if status == DocumentStatus::Accepted {
        let family_id = FamilyId::from(&stored.doc.family_id);
        redecide::after_review(state, staff.structure_id(), &family_id).await;
    }
    Ok(stored.doc)
}
