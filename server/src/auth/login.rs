//! Logging in: checking a login and password under the throttling rules, then opening a
//! session (a device row and its token). Shared by the family and staff JSON logins and
//! the admin page.

use super::throttle::{self, Verdict};
use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::db::login_attempts;
use crate::error::{AppError, AppResult};
use cartable_domain::api::LoginRequest;
use cartable_domain::text::{LogSafe, check_line};
use std::net::IpAddr;

/// Longest device name kept, in characters.
pub const MAX_DEVICE_NAME_CHARS: usize = 100;

/// A login and password that were right.
#[derive(Debug)]
pub struct Verified {
    pub account: Account,
    /// The known-device proof to hand back (the one presented, or a new one).
    pub known_device: String,
}

fn wrong_credentials() -> AppError {
    AppError::client(
        axum::http::StatusCode::UNAUTHORIZED,
        cartable_domain::api::ErrorCode::Unauthorized,
        "Identifiant ou mot de passe incorrect",
    )
}

/// The proof hash presented, if it is well formed.
fn proof_hash(known_device: Option<&str>) -> Option<String> {
    let proof = known_device?.trim();
    (proof.len() == 64 && proof.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| super::token_hash(&proof.to_ascii_lowercase()))
}

/// Checks `req` from `ip`: counted against the throttling limits first, then the password.
pub async fn verify(state: &AppState, ip: IpAddr, req: &LoginRequest) -> AppResult<Verified> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || login.chars().count() > 200 || req.password.len() > 1024 {
        return Err(AppError::bad_request(
            "Identifiant ou mot de passe invalide",
        ));
    }
    let account = accounts::account_by_login(&state.db, &login).await?;
    let presented = proof_hash(req.known_device.as_deref());
    let known = match (&presented, &account) {
        (Some(hash), Some(a)) => login_attempts::known_device_account(&state.db, hash)
            .await?
            .is_some_and(|owner| a.id == owner),
        _ => false,
    };
    let known_hash = if known { presented.as_deref() } else { None };
    let limits = throttle::limits(state, &login, ip, known_hash);
    let attempt = match throttle::attempt(state, &limits).await? {
        Verdict::Allowed(attempt) => attempt,
        Verdict::Refused { retry_after_secs } => {
            tracing::warn!(
                event = "login_throttled",
                login = %LogSafe(&login),
                %ip,
                known_device = known,
                retry_after_secs,
                "login refused: too many attempts"
            );
            return Err(AppError::RateLimited { retry_after_secs });
        }
    };
    let stored = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| super::dummy_hash().to_string());
    let ok = super::passwords::verify(&req.password, &stored).await?;
    let account = match (ok, account) {
        (true, Some(a)) => a,
        (_, account) => {
            tracing::info!(
                event = "login_failed",
                login = %LogSafe(&login),
                %ip,
                known_login = account.is_some(),
                known_device = known,
                "login failed"
            );
            return Err(wrong_credentials());
        }
    };
    if account.disabled {
        tracing::info!(
            event = "login_refused_disabled",
            account_id = %account.id,
            %ip,
            "login refused: account disabled"
        );
        return Err(AppError::client(
            axum::http::StatusCode::FORBIDDEN,
            cartable_domain::api::ErrorCode::Forbidden,
            "Ce compte est désactivé : adressez-vous à l'administrateur de la structure",
        ));
    }
    throttle::succeeded(state, attempt).await?;
    let proof = match (known, &req.known_device) {
        (true, Some(p)) => p.trim().to_ascii_lowercase(),
        _ => super::new_token(),
    };
    let now = state.clock.now().as_millisecond();
    login_attempts::remember_device(&state.db, &super::token_hash(&proof), &account.id, now)
        .await?;
    Ok(Verified {
        account,
        known_device: proof,
    })
}

/// A device name as given by the device, checked; "Appareil" when empty.
pub fn device_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    check_line(name, MAX_DEVICE_NAME_CHARS)
        .map_err(|e| AppError::bad_request(format!("device_name : {e}")))?;
    Ok(if name.is_empty() {
        "Appareil".to_string()
    } else {
        name.to_string()
    })
}

/// Opens a session for `account` on a new device; returns (device id, token).
pub async fn open_session(
    state: &AppState,
    account: &Account,
    device_name: &str,
    ip: IpAddr,
) -> AppResult<(String, String)> {
    let token = super::new_token();
    let device_id = cartable_domain::ids::DeviceId::new(super::new_id());
    let now = state.clock.now().as_millisecond();
    accounts::insert_device(
        &state.db,
        &device_id,
        &account.id,
        &super::token_hash(&token),
        device_name,
        now,
    )
    .await?;
    tracing::info!(
        event = "login",
        account_id = %account.id,
        role = %account.role,
        device_id = %device_id,
        %ip,
        one_time_password = account.must_change_password,
        "signed in"
    );
    Ok((device_id.into_string(), token))
}
