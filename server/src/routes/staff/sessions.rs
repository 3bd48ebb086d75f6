//! Staff sessions: logging out, seeing and ending one's own sessions, and issuing a one-time
//! password for an account of the structure (a parent who forgot theirs; a colleague's, for
//! administrators).

use crate::AppState;
use crate::auth::account_ops::{self, Issuer};
use crate::auth::{AnySession, StaffUser};
use crate::error::{AppError, AppResult};
use crate::routes::Path;
use crate::routes::session::{end_own_session, revoke_session, sessions_of};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use cartable_domain::api::{DeviceSummary, ErrorCode, OneTimePassword};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/logout", post(logout))
        .route("/api/v1/staff/sessions", get(list))
        .route("/api/v1/staff/sessions/{session_id}", delete(end))
        .route(
            "/api/v1/staff/accounts/{account_id}/one-time-password",
            post(one_time_password),
        )
}

fn not_staff() -> AppError {
    AppError::client(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "Réservé au personnel de la structure",
    )
}

async fn logout(
    State(state): State<AppState>,
    AnySession(session): AnySession,
) -> AppResult<StatusCode> {
    if !crate::auth::sessions::is_staff_role(session.role) {
        return Err(not_staff());
    }
    end_own_session(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list(
    State(state): State<AppState>,
    staff: StaffUser,
) -> AppResult<Json<Vec<DeviceSummary>>> {
    Ok(Json(sessions_of(&state, &staff.session).await?))
}

async fn end(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(session_id): Path<String>,
) -> AppResult<StatusCode> {
    revoke_session(&state, &staff.session, &session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn one_time_password(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(account_id): Path<String>,
) -> AppResult<Json<OneTimePassword>> {
    let issuer = Issuer::Staff {
        account_id: staff.session.account_id.to_string(),
        structure_id: staff.structure_id().to_string(),
        is_admin: staff.is_admin(),
    };
    Ok(Json(
        account_ops::issue_one_time_password(&state, &issuer, &account_id).await?,
    ))
}
