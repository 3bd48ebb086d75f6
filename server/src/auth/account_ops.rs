//! What changes an account's password: its owner choosing a new one, and staff or the admin
//! command issuing a one-time password. Either way the account's other sessions end at once.
//! Shared by the JSON API, the admin page and the `admin` command.

use super::passwords::{hash, verify};
use super::sessions::is_staff_role;
use super::throttle::{self, Limit, Verdict};
use crate::AppState;
use crate::admin::{Credentials, NewLogin};
use crate::auth::StaffUser;
use crate::db::accounts::{self, Account, DeviceSession, EndReason};
use crate::db::audit;
use crate::error::{AppError, AppResult};
use axum::http::StatusCode;
use cartable_domain::api::{ErrorCode, OneTimePassword};
use cartable_domain::password::check_new_password;
use cartable_domain::roles::Role;

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
        &format!("compte de {} ({detail})", account.display_name),
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

fn admins_only(by: &StaffUser) -> AppResult<()> {
    if by.is_admin() {
        Ok(())
    } else {
        Err(AppError::client(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Seuls les administrateurs gèrent les comptes du personnel",
        ))
    }
}

/// How an account reads in the journal: "Paul Girard (agent, identifiant agent)".
fn described(account: &Account) -> String {
    let role = if account.role == Role::StaffAdmin {
        "administrateur"
    } else {
        "agent"
    };
    format!(
        "{} ({role}, identifiant {})",
        account.display_name, account.login
    )
}

/// An administrator creates a staff account of their structure (`admin`: an administrator,
/// otherwise an agent) with a one-time password, the `admin create-staff` command's
/// function; audited.
pub async fn create_staff_account(
    state: &AppState,
    by: &StaffUser,
    who: &NewLogin,
    admin: bool,
) -> AppResult<Credentials> {
    admins_only(by)?;
    let who = NewLogin {
        password: None,
        ..who.clone()
    };
    let credentials = crate::admin::create_staff(state, by.structure_id(), &who, admin).await?;
    let account = accounts::account_by_login(&state.db, &credentials.login)
        .await?
        .ok_or_else(|| AppError::internal("compte créé introuvable"))?;
    let now = state.clock.now().as_millisecond();
    let mut wtx = state.db.begin_write().await?;
    audit::record(
        &mut wtx.tx,
        by.who(now),
        "create_staff_account",
        None,
        &described(&account),
    )
    .await?;
    wtx.commit().await?;
    tracing::info!(
        event = "staff_account_created",
        account_id = %account.id,
        by = %by.session.account_id,
        "staff account created"
    );
    Ok(credentials)
}

/// A staff account of the administrator's structure (not found otherwise, families'
/// accounts included).
pub async fn staff_account_of(
    state: &AppState,
    by: &StaffUser,
    account_id: &str,
) -> AppResult<Account> {
    match accounts::account_by_id(&state.db, account_id).await? {
        Some(a)
            if a.structure_id == *by.structure_id()
                && a.family_id.is_none()
                && is_staff_role(a.role) =>
        {
            Ok(a)
        }
        _ => Err(AppError::not_found()),
    }
}

/// An administrator disables (`disabled`) or enables again a staff account of their
/// structure. Disabling ends every session of the account at once; an administrator cannot
/// disable their own account, nor the structure's last enabled administrator (checked under
/// a lock of the structure, so that two administrators disabling each other at once leave
/// one). Audited.
pub async fn set_staff_disabled(
    state: &AppState,
    by: &StaffUser,
    account_id: &str,
    disabled: bool,
) -> AppResult<Account> {
    admins_only(by)?;
    let account = staff_account_of(state, by, account_id).await?;
    if disabled && account.id == by.session.account_id {
        return Err(AppError::bad_request(
            "Vous ne pouvez pas désactiver votre propre compte",
        ));
    }
    let now = state.clock.now().as_millisecond();
    let mut wtx = state.db.begin_write().await?;
    if disabled && account.role == Role::StaffAdmin {
        let lock = format!(
            "SELECT id FROM structures WHERE id = $1{}",
            state.db.for_update()
        );
        sqlx::query(sqlx::AssertSqlSafe(lock))
            .bind(account.structure_id.as_str())
            .fetch_one(&mut *wtx.tx)
            .await?;
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE structure_id = $1 AND role = $2 \
             AND family_id IS NULL AND disabled_at_ms IS NULL AND id <> $3",
        )
        .bind(account.structure_id.as_str())
        .bind(Role::StaffAdmin.code())
        .bind(account.id.as_str())
        .fetch_one(&mut *wtx.tx)
        .await?;
        if others == 0 {
            return Err(AppError::bad_request(
                "C'est le dernier administrateur actif de la structure : il ne peut pas être désactivé",
            ));
        }
    }
    sqlx::query("UPDATE accounts SET disabled_at_ms = $1 WHERE id = $2")
        .bind(disabled.then_some(now))
        .bind(account.id.as_str())
        .execute(&mut *wtx.tx)
        .await?;
    let ended = if disabled {
        accounts::end_other_sessions(
            &mut wtx.tx,
            &account.id,
            None,
            EndReason::AccountDisabled,
            now,
        )
        .await?
    } else {
        0
    };
    audit::record(
        &mut wtx.tx,
        by.who(now),
        if disabled {
            "disable_staff_account"
        } else {
            "enable_staff_account"
        },
        None,
        &described(&account),
    )
    .await?;
    wtx.commit().await?;
    tracing::info!(
        event = if disabled { "staff_account_disabled" } else { "staff_account_enabled" },
        account_id = %account.id,
        by = %by.session.account_id,
        sessions_ended = ended,
        "staff account disabled or enabled"
    );
    Ok(Account {
        disabled,
        ..account
    })
}
