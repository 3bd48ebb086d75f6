//! Login, logout and the device list: one token per device, revocable.

use super::Json as JsonBody;
use crate::AppState;
use crate::auth::{self, FamilyDevice};
use crate::db::accounts;
use crate::error::{AppError, AppResult};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use cartable_domain::api::{
    DeviceSummary, ErrorCode, LoginRequest, LoginResponse, StaffLoginResponse,
};
use std::net::SocketAddr;
use std::time::Instant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/staff/login", post(staff_login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{device_id}", delete(revoke))
}

fn rate_limited() -> AppError {
    AppError::client(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        "Trop de tentatives de connexion : réessayez dans une minute",
    )
}

/// Checks a login and password under the rate limits; the account on success.
async fn verify_login(
    state: &AppState,
    peer: SocketAddr,
    req: &LoginRequest,
) -> AppResult<accounts::Account> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 200 || req.password.len() > 1024 {
        return Err(AppError::bad_request(
            "Identifiant ou mot de passe invalide",
        ));
    }
    let login_key = format!("login:{login}");
    let ip_key = format!("ip:{}", peer.ip());
    let now = Instant::now();
    if state.limiter.is_blocked(&login_key, now) || state.limiter.is_blocked(&ip_key, now) {
        return Err(rate_limited());
    }
    let account = accounts::account_by_login(&state.db, &login).await?;
    let stored = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_string());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &stored))
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
    match (ok, account) {
        (true, Some(a)) => {
            state.limiter.clear(&login_key);
            Ok(a)
        }
        _ => {
            state.limiter.record_failure(&login_key, now);
            state.limiter.record_failure(&ip_key, now);
            Err(AppError::client(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "Identifiant ou mot de passe incorrect",
            ))
        }
    }
}

/// Registers a new device for `account`; returns (device id, token).
async fn new_device(
    state: &AppState,
    account: &accounts::Account,
    device_name: &str,
) -> AppResult<(String, String)> {
    let token = auth::new_token();
    let device_id = auth::new_id();
    let name = device_name.trim();
    let name = if name.is_empty() { "Appareil" } else { name };
    let name: String = name.chars().take(100).collect();
    accounts::insert_device(
        &state.db,
        &device_id,
        &account.id,
        &auth::token_hash(&token),
        &name,
    )
    .await?;
    Ok((device_id, token))
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let account = verify_login(&state, peer, &req).await?;
    let Some(family_id) = account.family_id.clone() else {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Ce compte est un compte du personnel : utilisez /api/v1/staff/login",
        ));
    };
    let (device_id, token) = new_device(&state, &account, &req.device_name).await?;
    Ok(Json(LoginResponse {
        token,
        device_id,
        account_id: account.id,
        family_id,
        structure_id: account.structure_id,
        display_name: account.display_name,
    }))
}

async fn staff_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> AppResult<Json<StaffLoginResponse>> {
    let account = verify_login(&state, peer, &req).await?;
    if account.family_id.is_some() || !account.role.starts_with("staff_") {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Ce compte est un compte de famille : utilisez /api/v1/login",
        ));
    }
    let (device_id, token) = new_device(&state, &account, &req.device_name).await?;
    Ok(Json(StaffLoginResponse {
        token,
        device_id,
        account_id: account.id,
        structure_id: account.structure_id,
        display_name: account.display_name,
        role: account.role,
    }))
}

async fn logout(State(state): State<AppState>, device: FamilyDevice) -> AppResult<StatusCode> {
    accounts::revoke_device(
        &state.db,
        &device.session.account_id,
        &device.session.device_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn devices(
    State(state): State<AppState>,
    device: FamilyDevice,
) -> AppResult<Json<Vec<DeviceSummary>>> {
    let rows = accounts::devices_of(&state.db, &device.session.account_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|d| DeviceSummary {
                current: d.id == device.session.device_id,
                device_id: d.id,
                name: d.name,
                created_at_ms: d.created_at_ms,
                last_seen_ms: d.last_seen_ms,
            })
            .collect(),
    ))
}

async fn revoke(
    State(state): State<AppState>,
    device: FamilyDevice,
    Path(device_id): Path<String>,
) -> AppResult<StatusCode> {
    if accounts::revoke_device(&state.db, &device.session.account_id, &device_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found())
    }
}
