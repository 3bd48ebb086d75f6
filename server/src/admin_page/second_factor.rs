//! The administrators' second factor on the admin page. At the first login a secret is
//! created (by the login's POST, never by a GET) and shown with its QR code until a first
//! code confirms it; ten recovery codes are then shown once. Later logins ask for a code
//! (or a recovery code, each usable once). A code is accepted once; five wrong codes end
//! the session. Success replaces the session by a new one.

use super::render::{self, Chrome, PageResult};
use super::session::{Current, PendingSecondFactor};
use super::{cookies, totp};
use crate::AppState;
use crate::auth::client_ip::ClientIp;
use crate::auth::{login, throttle};
use crate::db::accounts::{self, Account, EndReason};
use crate::db::admin_page;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

/// Wrong codes a session may send before it is ended.
pub const MAX_FAILURES: i64 = 5;

#[derive(Template)]
#[template(path = "admin/second_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    csrf: String,
    /// Set up: the secret to type, and its QR code (SVG).
    setup: Option<Setup>,
    error: Option<String>,
    /// The page asked for before signing in, carried on.
    suite: String,
}

struct Setup {
    secret: String,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "admin/recovery_codes.html")]
struct RecoveryCodesPage {
    chrome: Chrome,
    codes: Vec<String>,
    /// Where "Continuer" leads.
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    suite: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    suite: Option<String>,
}

/// Creates the secret of an administrator who has none confirmed (called by the login).
pub async fn prepare(state: &AppState, account: &Account) -> Result<(), crate::error::AppError> {
    let existing = admin_page::second_factor(&state.db, &account.id).await?;
    if existing.is_some_and(|f| f.confirmed) {
        return Ok(());
    }
    let now = state.clock.now().as_millisecond();
    let sealed = state.seal_key.seal(&totp::new_secret());
    admin_page::start_second_factor(&state.db, &account.id, &sealed, now).await?;
    Ok(())
}

/// The account's second factor with its secret opened (it is sealed at rest).
async fn opened_factor(
    state: &AppState,
    account_id: &str,
) -> Result<Option<admin_page::SecondFactor>, crate::error::AppError> {
    let Some(mut factor) = admin_page::second_factor(&state.db, account_id).await? else {
        return Ok(None);
    };
    factor.secret = state.seal_key.open(&factor.secret).ok_or_else(|| {
        crate::error::AppError::internal(
            "secret de double authentification illisible avec la clé du dossier de données",
        )
    })?;
    Ok(Some(factor))
}

async fn page(
    state: &AppState,
    c: &Current,
    status: StatusCode,
    error: Option<String>,
    suite: Option<&str>,
) -> PageResult {
    let factor = opened_factor(state, &c.account.id).await?;
    let setup = match &factor {
        Some(f) if !f.confirmed => {
            let t = totp::totp(&f.secret, &c.account.login, &c.structure_name);
            let qr_svg = t
                .and_then(|t| t.to_url().ok())
                .and_then(|url| totp::qr_svg(&url))
                .unwrap_or_default();
            Some(Setup {
                secret: totp::grouped(&f.secret),
                qr_svg,
            })
        }
        Some(_) => None,
        None => {
            return Ok(render::error_page(
                StatusCode::CONFLICT,
                "Double authentification",
                "La double authentification n'est pas prête : reconnectez-vous.",
            ));
        }
    };
    Ok(render::page_with_status(
        status,
        &SecondFactorPage {
            chrome: Chrome::public(if setup.is_some() {
                "Activer la double authentification"
            } else {
                "Double authentification"
            }),
            csrf: c.csrf(),
            setup,
            error,
            suite: super::next_page::carried(suite),
        },
    ))
}

/// GET /admin/double-authentification
pub async fn form(
    State(state): State<AppState>,
    PendingSecondFactor(c): PendingSecondFactor,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> PageResult {
    page(&state, &c, StatusCode::OK, None, q.suite.as_deref()).await
}

/// POST /admin/double-authentification
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    PendingSecondFactor(c): PendingSecondFactor,
    Form(f): Form<CodeForm>,
) -> PageResult {
    let Some(factor) = opened_factor(&state, &c.account.id).await? else {
        return page(&state, &c, StatusCode::CONFLICT, None, f.suite.as_deref()).await;
    };
    // Codes are counted per account, across sessions, like passwords.
    let limits = [throttle::Limit {
        key: format!("second-factor:{}", c.account.id),
        max: i64::from(state.settings.login_attempts),
    }];
    let attempt = match throttle::attempt(&state, &limits).await? {
        throttle::Verdict::Allowed(a) => a,
        throttle::Verdict::Refused { retry_after_secs } => {
            tracing::warn!(
                event = "second_factor_throttled",
                account_id = %c.account.id,
                %ip,
                "second factor refused: too many codes"
            );
            let minutes = retry_after_secs.div_ceil(60).max(1);
            return page(
                &state,
                &c,
                StatusCode::TOO_MANY_REQUESTS,
                Some(format!(
                    "Trop de codes essayés : réessayez dans {minutes} minute(s)"
                )),
                f.suite.as_deref(),
            )
            .await;
        }
    };
    let now = state.clock.now();
    let now_ms = now.as_millisecond();
    let now_secs = u64::try_from(now.as_second()).unwrap_or(0);
    let t = totp::totp(&factor.secret, &c.account.login, &c.structure_name);
    let step = t
        .as_ref()
        .and_then(|t| totp::matching_step(t, &f.code, now_secs));
    let mut recovery_codes = Vec::new();
    let accepted = match step {
        Some(step) => {
            if !factor.confirmed {
                recovery_codes = totp::new_recovery_codes();
            }
            let hashes: Vec<String> = recovery_codes
                .iter()
                .map(|c| totp::recovery_hash(c))
                .collect();
            admin_page::accept_step(
                &state.db,
                &c.account.id,
                i64::try_from(step).unwrap_or(i64::MAX),
                now_ms,
                &hashes,
            )
            .await?
        }
        None if factor.confirmed && !f.code.trim().is_empty() => {
            admin_page::use_recovery_code(
                &state.db,
                &c.account.id,
                &totp::recovery_hash(&f.code),
                now_ms,
            )
            .await?
        }
        None => false,
    };
    if !accepted {
        let failures = admin_page::count_failure(&state.db, &c.session.device_id).await?;
        tracing::info!(
            event = "second_factor_failed",
            account_id = %c.account.id,
            %ip,
            failures,
            "wrong second factor code"
        );
        if failures >= MAX_FAILURES {
            accounts::end_session(
                &state.db,
                &c.session.account_id,
                &c.session.device_id,
                EndReason::Revoked,
                now_ms,
            )
            .await?;
            let mut response = render::see_other("/admin/connexion?fin=codes");
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies::clear(cookies::SESSION, state.settings.admin_secure_cookie),
            );
            return Ok(response);
        }
        return page(
            &state,
            &c,
            StatusCode::UNAUTHORIZED,
            Some("Code incorrect ou déjà utilisé : saisissez le code affiché maintenant par votre application".into()),
            f.suite.as_deref(),
        )
        .await;
    }
    throttle::succeeded(&state, attempt).await?;
    // A new session once the second factor is given; the half-open one ends.
    let (device_id, token) =
        login::open_session(&state, &c.account, super::login::DEVICE_NAME, ip).await?;
    admin_page::insert_session(&state.db, &device_id, true).await?;
    accounts::end_session(
        &state.db,
        &c.session.account_id,
        &c.session.device_id,
        EndReason::Logout,
        now_ms,
    )
    .await?;
    tracing::info!(
        event = "second_factor_given",
        account_id = %c.account.id,
        set_up = !recovery_codes.is_empty(),
        "second factor accepted"
    );
    let cookie = cookies::set(cookies::SESSION, &token, state.settings.admin_secure_cookie);
    let next = super::next_page::or_dashboard(f.suite.as_deref());
    let mut response: Response = if recovery_codes.is_empty() {
        render::see_other(&next)
    } else {
        render::page(&RecoveryCodesPage {
            chrome: Chrome::public("Vos codes de secours"),
            codes: recovery_codes,
            next,
        })
    };
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
