//! Login, logout, password change and the device list: one token per device, revocable,
//! expiring when idle or too old (see `crate::auth`).

use super::{Json as JsonBody, Path};
use crate::AppState;
use crate::auth::client_ip::ClientIp;
use crate::auth::sessions::{is_staff_role, lifetime};
use crate::auth::{AnySession, FamilyDevice, account_ops, login};
use crate::db::accounts::{self, DeviceSession, EndReason};
use crate::error::{AppError, AppResult};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use cartable_domain::api::{
    DeviceSummary, ErrorCode, LoginRequest, LoginResponse, PasswordChange, StaffLoginResponse,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(family_login))
        .route("/api/v1/staff/login", post(staff_login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/password", post(change_password))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{device_id}", delete(revoke))
}

async fn family_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let name = login::device_name(&req.device_name)?;
    let verified = login::verify(&state, ip, &req).await?;
    let account = verified.account;
    let Some(family_id) = account.family_id.clone() else {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Ce compte est un compte du personnel : utilisez /api/v1/staff/login",
        ));
    };
    let (device_id, token) = login::open_session(&state, &account, &name, ip).await?;
    Ok(Json(LoginResponse {
        token,
        device_id,
        account_id: account.id.into_string(),
        family_id: family_id.into_string(),
        structure_id: account.structure_id.into_string(),
        display_name: account.display_name,
        must_change_password: account.must_change_password,
        known_device: Some(verified.known_device),
    }))
}

async fn staff_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> AppResult<Json<StaffLoginResponse>> {
    let name = login::device_name(&req.device_name)?;
    let verified = login::verify(&state, ip, &req).await?;
    let account = verified.account;
    if account.family_id.is_some() || !is_staff_role(account.role) {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Ce compte est un compte de famille : utilisez /api/v1/login",
        ));
    }
    let (device_id, token) = login::open_session(&state, &account, &name, ip).await?;
    Ok(Json(StaffLoginResponse {
        token,
        device_id,
        account_id: account.id.into_string(),
        structure_id: account.structure_id.into_string(),
        display_name: account.display_name,
        role: account.role.code().to_string(),
        must_change_password: account.must_change_password,
        known_device: Some(verified.known_device),
    }))
}

/// Ends the calling session (any account: family device or staff).
pub async fn end_own_session(state: &AppState, session: &DeviceSession) -> AppResult<()> {
    let now = state.clock.now().as_millisecond();
    accounts::end_session(
        &state.db,
        &session.account_id,
        &session.device_id,
        EndReason::Logout,
        now,
    )
    .await?;
    tracing::info!(
        event = "logout",
        account_id = %session.account_id,
        device_id = %session.device_id,
        "signed out"
    );
    Ok(())
}

async fn logout(
    State(state): State<AppState>,
    AnySession(session): AnySession,
) -> AppResult<StatusCode> {
    end_own_session(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_password(
    State(state): State<AppState>,
    AnySession(session): AnySession,
    JsonBody(req): JsonBody<PasswordChange>,
) -> AppResult<StatusCode> {
    account_ops::change_password(&state, &session, &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live sessions of the caller's account, the caller's own marked `current`.
pub async fn sessions_of(
    state: &AppState,
    session: &DeviceSession,
) -> AppResult<Vec<DeviceSummary>> {
    let rows = accounts::devices_of(&state.db, &session.account_id).await?;
    let limits = lifetime(&state.settings, session.role);
    let now = state.clock.now().as_millisecond();
    Ok(rows
        .into_iter()
        .filter(|d| {
            limits
                .expired(d.created_at_ms, d.last_seen_ms, now)
                .is_none()
        })
        .map(|d| DeviceSummary {
            current: session.device_id == d.id,
            expires_at_ms: Some(limits.expires_at_ms(d.created_at_ms, d.last_seen_ms)),
            device_id: d.id,
            name: d.name,
            created_at_ms: d.created_at_ms,
            last_seen_ms: d.last_seen_ms,
        })
        .collect())
}

/// Ends another session of the caller's account; 404 when there is no such live session.
pub async fn revoke_session(
    state: &AppState,
    session: &DeviceSession,
    device_id: &str,
) -> AppResult<()> {
    let now = state.clock.now().as_millisecond();
    if accounts::end_session(
        &state.db,
        &session.account_id,
        device_id,
        EndReason::Revoked,
        now,
    )
    .await?
    {
        tracing::info!(
            event = "session_revoked",
            account_id = %session.account_id,
            device_id = %cartable_domain::text::LogSafe(device_id),
            by_device = %session.device_id,
            "session ended from another device"
        );
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

async fn devices(
    State(state): State<AppState>,
    device: FamilyDevice,
) -> AppResult<Json<Vec<DeviceSummary>>> {
    Ok(Json(sessions_of(&state, &device.session).await?))
}

async fn revoke(
    State(state): State<AppState>,
    device: FamilyDevice,
    Path(device_id): Path<String>,
) -> AppResult<StatusCode> {
    revoke_session(&state, &device.session, &device_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
