//! What changes an account's password: its owner choosing a new one, and staff or the admin
//! command issuing a one-time password. Either way the account's other sessions end at once.
//! Shared by the JSON API, the admin page and the `admin` command.

use super::sessions::is_staff_role;
use super::throttle::{self, Limit, Verdict};
use crate::AppState;
use crate::db::accounts::{self, Account, DeviceSession, EndReason};
use crate::db::audit;
use crate::error::{AppError, AppResult};
use axum::http::StatusCode;
use cartable_domain::api::{ErrorCode, OneTimePassword};
use cartable_domain::password::check_new_password;

/// Who issues a one-time password.
#[derive(Debug, Clone)]
pub enum Issuer {
    /// A member of staff of `structure_id` (only administrators may reset staff accounts).
    Staff {
        account_id: String,
        structure_id: String,
        is_admin: bool,
    },
    /// The server's `admin` command, run by whoever operates the server.
    Command,
}

async fn hash(password: &str) -> AppResult<String> {
    let p = password.to_string();
    tokio::task::spawn_blocking(move || super::hash_password(&p))
        .await
        .map_err(|e| AppError::internal(e.to_string()))?
}

async fn verify(password: &str, stored: &str) -> AppResult<bool> {
    let (p, s) = (password.to_string(), stored.to_string());
    tokio::task::spawn_blocking(move || super::verify_password(&p, &s))
        .await
        .map_err(|e| AppError::internal(e.to_string()))
}

/// The signed-in account replaces its password (a one-time one included). Its other sessions
/// end; this one goes on. A wrong current password counts like a failed login.
pub async fn change_password(
    state: &AppState,
    session: &DeviceSession,
    current: &str,
    new: &str,
) -> AppResult<()> {
    if current.len() > 1024 || new.len() > 1024 {
        return Err(AppError::bad_request("Mot de passe trop long"));
    }
    let account = accounts::account_by_id(&state.db, &session.account_id)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    let limits = [Limit {
        key: format!("password:{}", account.id),
        max: i64::from(state.settings.login_attempts),
    }];
    let attempt = match throttle::attempt(state, &limits).await? {
        Verdict::Allowed(a) => a,
        Verdict::Refused { retry_after_secs } => {
            tracing::warn!(event = "password_change_throttled", account_id = %account.id, "password change refused: too many attempts");
            return Err(AppError::RateLimited { retry_after_secs });
        }
    };
    if !verify(current, &account.password_hash).await? {
        tracing::info!(event = "password_change_failed", account_id = %account.id, "wrong current password");
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Mot de passe actuel incorrect",
        ));
    }
    throttle::succeeded(state, attempt).await?;
    check_new_password(new, &account.login).map_err(|e| AppError::bad_request(e.to_string()))?;
    if new == current {
        return Err(AppError::bad_request(
            cartable_domain::password::PasswordError::Unchanged.to_string(),
        ));
    }
    let hashed = hash(new).await?;
    let now = state.clock.now().as_millisecond();
    let mut wtx = state.db.begin_write().await?;
    accounts::set_password(&mut wtx.tx, &account.id, &hashed, false, now).await?;
    let ended = accounts::end_other_sessions(
        &mut wtx.tx,
        &account.id,
        Some(&session.device_id),
        EndReason::PasswordChanged,
        now,
    )
    .await?;
    wtx.commit().await?;
    tracing::info!(
        event = "password_changed",
        account_id = %account.id,
        device_id = %session.device_id,
        other_sessions_ended = ended,
        "password changed"
    );
    Ok(())
}

/// Issues a new one-time password for `account_id`: every session of the account ends, and
/// the next login must choose a password. Staff reach only accounts of their structure (404
/// otherwise) and only administrators reset staff accounts. Audited.
pub async fn issue_one_time_password(
    state: &AppState,
    issuer: &Issuer,
    account_id: &str,
) -> AppResult<OneTimePassword> {
    let account = accounts::account_by_id(&state.db, account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let Issuer::Staff {
        structure_id,
        is_admin,
        ..
    } = issuer
    {
        if account.structure_id != *structure_id {
            return Err(AppError::not_found());
        }
        if is_staff_role(account.role) && !is_admin {
            return Err(AppError::client(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "Seuls les administrateurs peuvent réinitialiser le mot de passe d'un membre du personnel",
            ));
        }
    }
    reset(state, issuer, &account).await
}

/// The admin command's reset, by login.
pub async fn issue_one_time_password_for_login(
    state: &AppState,
    login: &str,
) -> AppResult<OneTimePassword> {
    let login = login.trim().to_lowercase();
    let account = accounts::account_by_login(&state.db, &login)
        .await?
        .ok_or_else(|| {
            AppError::bad_request(format!(
                "Identifiant inconnu « {} »",
                cartable_domain::text::shown(&login, 60)
            ))
        })?;
    reset(state, &Issuer::Command, &account).await
}

async fn reset(state: &AppState, issuer: &Issuer, account: &Account) -> AppResult<OneTimePassword> {
    let password = super::new_password();
    let hashed = hash(&password).await?;
    let now = state.clock.now().as_millisecond();
    let (actor, detail) = match issuer {
        Issuer::Staff { account_id, .. } => (account_id.as_str(), "par le personnel"),
        Issuer::Command => ("commande-admin", "par la commande d'administration"),
    };
    let mut wtx = state.db.begin_write().await?;
    accounts::set_password(&mut wtx.tx, &account.id, &hashed, true, now).await?;
    let ended = accounts::end_other_sessions(
        &mut wtx.tx,
        &account.id,
        None,
        EndReason::PasswordChanged,
        now,
    )
    .await?;
    let actor_id = cartable_domain::ids::AccountId::from(actor);
    audit::record(
        &mut wtx.tx,
        audit::Who {
            account_id: &actor_id,
            structure_id: &account.structure_id,
            at_ms: now,
        },
        "issue_one_time_password",
        account.family_id.as_ref(),
        &format!("compte {} ({detail})", account.id),
    )
    .await?;
    wtx.commit().await?;
    tracing::info!(
        event = "one_time_password_issued",
        account_id = %account.id,
        by = %actor,
        sessions_ended = ended,
        "one-time password issued"
    );
    Ok(OneTimePassword {
        account_id: account.id.to_string(),
        login: account.login.clone(),
        password,
    })
}
