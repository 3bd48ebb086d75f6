//! Passwords (argon2id), device tokens (256-bit random, stored as SHA-256), sessions and
//! their expiry, login throttling, and the extractors every route takes (`FamilyDevice`,
//! `StaffUser`, `AnySession`).
//!
//! Authentication events (logins, failures, throttling, logouts, revocations, expiries,
//! password changes) are logged at the default level under the target
//! `cartable_server::auth`, with ids and addresses, never a password or a token.

pub mod account_ops;
pub mod client_ip;
pub mod login;
pub mod passwords;
pub mod sessions;
pub mod throttle;

use crate::AppState;
use crate::db::accounts::{self, DeviceSession, EndReason};
use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::roles::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A hash to verify against when the login does not exist, so that unknown logins take
/// as long as wrong passwords.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| passwords::hash_now("cartable-dummy-password").unwrap_or_default())
}

/// A fresh 256-bit token, hex encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random id for a new row.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    cartable_domain::ids::hex_id(bytes)
}

/// A random password for accounts created by an administrator.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// The authenticated parent device behind a request. Handlers that take it cannot forget
/// authentication or family scoping.
#[derive(Debug, Clone)]
pub struct FamilyDevice {
    pub session: DeviceSession,
    pub family_id: FamilyId,
}

/// The bearer token of a request, when it has the shape of one.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())).then_some(token)
}

/// The live session behind `token`, whatever the state of its password: ended here when
/// found expired by the server's clock; its last use recorded (which postpones idle expiry).
pub async fn session_for_token(state: &AppState, token: &str) -> Result<DeviceSession, AppError> {
    let session = accounts::session_by_token_hash(&state.db, &token_hash(token))
        .await?
        .ok_or_else(AppError::unauthorized)?;
    admit(state, session).await
}

/// A live session read by its token: ended here when found expired by the server's clock;
/// its last use recorded (which postpones idle expiry).
pub async fn admit(state: &AppState, session: DeviceSession) -> Result<DeviceSession, AppError> {
    let now = state.clock.now().as_millisecond();
    if let Some(why) = sessions::session_expired(&state.settings, &session, now) {
        accounts::end_session(
            &state.db,
            &session.account_id,
            &session.device_id,
            EndReason::Expired,
            now,
        )
        .await?;
        tracing::info!(
            event = "session_expired",
            account_id = %session.account_id,
            device_id = %session.device_id,
            why = ?why,
            "session expired"
        );
        return Err(session_expired());
    }
    let lifetime = sessions::lifetime(&state.settings, session.role);
    state
        .seen
        .touch(
            &state.db,
            &session.device_id,
            now,
            sessions::touch_interval_ms(&lifetime),
        )
        .await;
    Ok(session)
}

/// The live session behind the request's bearer token, even one whose one-time password is
/// still to be replaced (only changing it and logging out take such a session).
pub async fn authenticate_pending(
    parts: &Parts,
    state: &AppState,
) -> Result<DeviceSession, AppError> {
    let token = bearer(parts).ok_or_else(AppError::unauthorized)?;
    session_for_token(state, token).await
}

/// The live session behind the request's bearer token, with a password of its own.
pub(crate) async fn authenticate(
    parts: &Parts,
    state: &AppState,
) -> Result<DeviceSession, AppError> {
    let session = authenticate_pending(parts, state).await?;
    if session.must_change_password {
        return Err(password_change_required());
    }
    Ok(session)
}

/// 401 for a session that ran out.
pub fn session_expired() -> AppError {
    AppError::client(
        axum::http::StatusCode::UNAUTHORIZED,
        cartable_domain::api::ErrorCode::Unauthorized,
        "Session expirée : reconnectez-vous",
    )
}

/// 403 until a one-time password is replaced.
pub fn password_change_required() -> AppError {
    AppError::client(
        axum::http::StatusCode::FORBIDDEN,
        cartable_domain::api::ErrorCode::PasswordChangeRequired,
        "Ce mot de passe était à usage unique : choisissez votre propre mot de passe pour continuer",
    )
}

/// Any signed-in account (family or staff), even one that must still replace a one-time
/// password: for changing it, logging out and listing sessions.
#[derive(Debug, Clone)]
pub struct AnySession(pub DeviceSession);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(AnySession(authenticate_pending(parts, state).await?))
    }
}

fn forbidden(message: &str) -> AppError {
    AppError::client(
        axum::http::StatusCode::FORBIDDEN,
        cartable_domain::api::ErrorCode::Forbidden,
        message,
    )
}

impl FromRequestParts<AppState> for FamilyDevice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        FamilyDevice::of(authenticate_pending(parts, state).await?)
    }
}

impl FamilyDevice {
    /// The family device of an admitted session: one with a password of its own, of a
    /// family's account.
    pub fn of(session: DeviceSession) -> Result<FamilyDevice, AppError> {
        if session.must_change_password {
            return Err(password_change_required());
        }
        let Some(family_id) = session.family_id.clone() else {
            return Err(forbidden("Réservé aux comptes des familles"));
        };
        Ok(FamilyDevice { session, family_id })
    }
}

/// An authenticated member of staff (agent or administrator) of one structure.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub session: DeviceSession,
}

impl StaffUser {
    pub fn structure_id(&self) -> &StructureId {
        &self.session.structure_id
    }

    pub fn is_admin(&self) -> bool {
        self.session.role == Role::StaffAdmin
    }

    /// This member of staff at `at_ms`, for the audit log.
    pub fn who(&self, at_ms: i64) -> crate::db::audit::Who<'_> {
        crate::db::audit::Who {
            account_id: &self.session.account_id,
            structure_id: &self.session.structure_id,
            at_ms,
        }
    }

    /// This member of staff now, by the server's clock, for the audit log.
    pub fn who_now(&self, state: &AppState) -> crate::db::audit::Who<'_> {
        self.who(state.clock.now().as_millisecond())
    }

    /// Configuration and invoicing are for administrators only.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(forbidden("Réservé aux administrateurs de la structure"))
        }
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = authenticate(parts, state).await?;
        if !session.role.is_staff() {
            return Err(forbidden("Réservé au personnel de la structure"));
        }
        Ok(StaffUser { session })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_hash_no_password_matches() {
        let dummy = dummy_hash();
        assert!(dummy.starts_with("$argon2id$"), "{dummy}");
        assert!(!passwords::verify_now("x", dummy));
        assert!(!passwords::verify_now("", dummy));
    }

    #[test]
    fn tokens_are_256_bit_and_stored_hashed() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token());
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
    }
}
