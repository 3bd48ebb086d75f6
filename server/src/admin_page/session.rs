//! Who is behind an admin page request: the session cookie, checked by the server's own
//! session rules ([`crate::auth::session_for_token`]: expiry when idle or too old, revoked
//! sessions), then the page's own state (second factor for administrators, one-time
//! password to replace), then the role.
//!
//! - [`PageStaff`]: any member of staff, fully signed in;
//! - [`PageAdmin`]: an administrator (an agent gets 403);
//! - [`PendingSecondFactor`]: an administrator between password and second factor.

use super::render::{self, Chrome, UserBar};
use super::{cookies, csrf, next_page};
use crate::AppState;
use crate::auth::StaffUser;
use crate::db::accounts::{self, Account, DeviceSession};
use crate::db::admin_page::{self, PageSession};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use cartable_domain::roles::Role;

/// Where a browser without a session goes.
pub const LOGIN_PATH: &str = "/admin/connexion";
pub const SECOND_FACTOR_PATH: &str = "/admin/double-authentification";
pub const PASSWORD_PATH: &str = "/admin/mot-de-passe";

/// A live session opened by the admin page.
#[derive(Debug, Clone)]
pub struct Current {
    pub session: DeviceSession,
    pub token: String,
    pub page: PageSession,
    pub account: Account,
    pub structure_name: String,
}

impl Current {
    /// The token of this session's forms.
    pub fn csrf(&self) -> String {
        csrf::token(&self.token)
    }

    pub fn is_admin(&self) -> bool {
        self.session.role == Role::StaffAdmin
    }
}

/// The page session behind the request's cookie, if any is live.
pub async fn current(parts: &Parts, state: &AppState) -> Result<Option<Current>, Response> {
    let Some(token) = cookies::get(&parts.headers, cookies::SESSION) else {
        return Ok(None);
    };
    let session = match crate::auth::session_for_token(state, &token).await {
        Ok(s) => s,
        Err(crate::error::AppError::Client { .. }) => return Ok(None),
        Err(e) => return Err(render::PageError(e).into_response_page()),
    };
    let page = match admin_page::session(&state.db, &session.device_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        Err(e) => return Err(render::PageError::from(e).into_response_page()),
    };
    if !session.role.is_staff() {
        return Ok(None);
    }
    let account = match accounts::account_by_id(&state.db, &session.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(None),
        Err(e) => return Err(render::PageError::from(e).into_response_page()),
    };
    let structure_name = structure_name(state, &session).await.unwrap_or_default();
    Ok(Some(Current {
        session,
        token,
        page,
        account,
        structure_name,
    }))
}

async fn structure_name(state: &AppState, session: &DeviceSession) -> Result<String, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::query("SELECT name FROM structures WHERE id = $1")
        .bind(session.structure_id.as_str())
        .fetch_one(&state.db.pool)
        .await?;
    row.try_get("name")
}

/// A member of staff signed in to the admin page (second factor given, own password).
#[derive(Debug, Clone)]
pub struct PageStaff(pub Current);

impl PageStaff {
    /// The same member of staff as the JSON API sees them (structure, role, audit).
    pub fn staff(&self) -> StaffUser {
        StaffUser {
            session: self.0.session.clone(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.0.is_admin()
    }

    pub fn csrf(&self) -> String {
        self.0.csrf()
    }

    /// The chrome of a page of this member of staff.
    pub fn chrome(&self, title: &str, current: &'static str) -> Chrome {
        Chrome {
            title: title.to_string(),
            current,
            user: Some(UserBar {
                display_name: self.0.account.display_name.clone(),
                role_label: if self.is_admin() {
                    "Administrateur"
                } else {
                    "Agent"
                },
                is_admin: self.is_admin(),
                structure_name: self.0.structure_name.clone(),
                csrf: self.csrf(),
            }),
        }
    }
}

impl FromRequestParts<AppState> for PageStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // A page asked for (GET) is the one to go back to once signed in.
        let asked = (parts.method == axum::http::Method::GET)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str()))
            .flatten();
        let Some(current) = current(parts, state).await? else {
            return Err(render::see_other(&next_page::with_next(LOGIN_PATH, asked)));
        };
        if !current.page.second_factor_done {
            return Err(render::see_other(&next_page::with_next(
                SECOND_FACTOR_PATH,
                asked,
            )));
        }
        if current.account.must_change_password {
            return Err(render::see_other(PASSWORD_PATH));
        }
        Ok(PageStaff(current))
    }
}

/// An administrator signed in to the admin page; agents get 403.
#[derive(Debug, Clone)]
pub struct PageAdmin(pub PageStaff);

impl FromRequestParts<AppState> for PageAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let staff = PageStaff::from_request_parts(parts, state).await?;
        if !staff.is_admin() {
            tracing::info!(
                event = "admin_page_refused",
                account_id = %staff.0.session.account_id,
                path = %cartable_domain::text::LogSafe(parts.uri.path()),
                "admin page refused to an agent"
            );
            return Err(render::forbidden(
                "Cette page est réservée aux administrateurs de la structure.",
            ));
        }
        Ok(PageAdmin(staff))
    }
}

/// An administrator who gave their password and must now give their second factor.
#[derive(Debug, Clone)]
pub struct PendingSecondFactor(pub Current);

impl FromRequestParts<AppState> for PendingSecondFactor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(parts, state).await? {
            None => Err(render::see_other(LOGIN_PATH)),
            Some(c) if c.page.second_factor_done => Err(render::see_other("/admin/")),
            Some(c) => Ok(PendingSecondFactor(c)),
        }
    }
}

/// A member of staff past the second factor, whatever the state of their password (the
/// password page takes them).
#[derive(Debug, Clone)]
pub struct PasswordHolder(pub Current);

impl FromRequestParts<AppState> for PasswordHolder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(parts, state).await? {
            None => Err(render::see_other(LOGIN_PATH)),
            Some(c) if !c.page.second_factor_done => Err(render::see_other(SECOND_FACTOR_PATH)),
            Some(c) => Ok(PasswordHolder(c)),
        }
    }
}
