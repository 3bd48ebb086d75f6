//! Signing in and out of the admin page: the password through the server's own login
//! ([`crate::auth::login::verify`]: argon2id, throttling), a new session at every login (the
//! one the browser had is ended), then the second factor for administrators.

use super::render::{self, Chrome, PageResult};
use super::session;
use super::{cookies, csrf, next_page, second_factor};
use crate::AppState;
use crate::auth::client_ip::ClientIp;
use crate::auth::login;
use crate::db::accounts::{self, EndReason};
use crate::db::admin_page;
use crate::error::AppError;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use cartable_domain::api::LoginRequest;
use cartable_domain::roles::Role;
use serde::Deserialize;

/// The name sessions of the admin page get in device lists.
pub const DEVICE_NAME: &str = "Page d'administration";

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    login: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// The page asked for before signing in, carried on.
    suite: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    suite: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    fin: Option<String>,
    #[serde(default)]
    suite: Option<String>,
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    login: &str,
    error: Option<String>,
    notice: Option<&'static str>,
    suite: Option<&str>,
) -> Response {
    // The login form's token comes from a cookie of its own until a session exists.
    let (secret, new_cookie) = match cookies::get(headers, cookies::LOGIN) {
        Some(s) => (s, None),
        None => {
            let s = crate::auth::new_token();
            (s.clone(), Some(s))
        }
    };
    let mut response = render::page_with_status(
        status,
        &LoginPage {
            chrome: Chrome::public("Connexion"),
            csrf: csrf::token(&secret),
            login: login.to_string(),
            error,
            notice,
            suite: next_page::carried(suite),
        },
    );
    if let Some(value) = new_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(cookies::LOGIN, &value, state.settings.admin_secure_cookie),
        );
    }
    response
}

/// GET /admin/connexion
pub async fn form(
    State(state): State<AppState>,
    parts: Parts,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    if let Ok(Some(c)) = session::current(&parts, &state).await
        && c.page.second_factor_done
    {
        return render::see_other(&next_page::or_dashboard(q.suite.as_deref()));
    }
    let notice = match q.fin.as_deref() {
        Some("deconnexion") => Some("Vous êtes déconnecté."),
        Some("codes") => Some("Trop de codes erronés : reconnectez-vous."),
        _ => None,
    };
    login_page(
        &state,
        &parts.headers,
        StatusCode::OK,
        "",
        None,
        notice,
        q.suite.as_deref(),
    )
}

/// POST /admin/connexion
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let req = LoginRequest {
        login: f.login.clone(),
        password: f.password,
        device_name: DEVICE_NAME.into(),
        known_device: None,
    };
    let refused = |status: StatusCode, message: String| {
        Ok(login_page(
            &state,
            &headers,
            status,
            f.login.trim(),
            Some(message),
            None,
            f.suite.as_deref(),
        ))
    };
    let verified = match login::verify(&state, ip, &req).await {
        Ok(v) => v,
        Err(AppError::Client {
            status, message, ..
        }) => return refused(status, message),
        Err(AppError::RateLimited { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            return refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Trop de tentatives : réessayez dans {minutes} minute(s)"),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let account = verified.account;
    if account.family_id.is_some() || !account.role.is_staff() {
        return refused(
            StatusCode::FORBIDDEN,
            "Cette page est réservée au personnel de la structure : les familles utilisent l'application".into(),
        );
    }
    // A new session at every login: the one this browser had (if any) ends.
    if let Some(old) = cookies::get(&headers, cookies::SESSION) {
        end_token(&state, &old).await?;
    }
    let admin = account.role == Role::StaffAdmin;
    let (device_id, token) = login::open_session(&state, &account, DEVICE_NAME, ip).await?;
    admin_page::insert_session(&state.db, &device_id, !admin).await?;
    if admin {
        second_factor::prepare(&state, &account).await?;
    }
    let secure = state.settings.admin_secure_cookie;
    // Back to the page asked for, after the second factor for administrators.
    let mut response = render::see_other(&if admin {
        next_page::with_next(session::SECOND_FACTOR_PATH, f.suite.as_deref())
    } else {
        next_page::or_dashboard(f.suite.as_deref())
    });
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookies::set(cookies::SESSION, &token, secure),
    );
    h.append(header::SET_COOKIE, cookies::clear(cookies::LOGIN, secure));
    Ok(response)
}

/// Ends the session of `token` if it is live (logout, or replaced by a new login).
pub async fn end_token(state: &AppState, token: &str) -> Result<(), AppError> {
    if let Some(s) =
        accounts::session_by_token_hash(&state.db, &crate::auth::token_hash(token)).await?
    {
        let now = state.clock.now().as_millisecond();
        accounts::end_session(
            &state.db,
            &s.account_id,
            &s.device_id,
            EndReason::Logout,
            now,
        )
        .await?;
        tracing::info!(
            event = "logout",
            account_id = %s.account_id,
            device_id = %s.device_id,
            "admin page session ended"
        );
    }
    Ok(())
}

/// POST /admin/deconnexion: ends the session, whatever its state.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(token) = cookies::get(&headers, cookies::SESSION) {
        end_token(&state, &token).await?;
    }
    let mut response = render::see_other("/admin/connexion?fin=deconnexion");
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(cookies::SESSION, state.settings.admin_secure_cookie),
    );
    Ok(response)
}

/// GET /admin: the dashboard's address with its slash.
pub async fn to_dashboard() -> Response {
    render::see_other("/admin/")
}
