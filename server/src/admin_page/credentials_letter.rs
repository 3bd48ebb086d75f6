//! The credentials letter handed to parents: one page per parent with their login and
//! one-time password, how to install the app and sign in, and the structure's contact. It
//! is the answer of the form that made the password (a new family, or a new one-time
//! password for a parent), shown this once and never kept: the page is printed at once.
//!
//! A new one-time password for a parent is issued by
//! [`crate::auth::account_ops::issue_one_time_password`], the JSON API's rule (any member of
//! staff of the structure; the parent's sessions end).

use super::render::{self, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::admin::Credentials;
use crate::auth::account_ops::{self, Issuer};
use crate::docs::catalogue;
use crate::routes::Path;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use sqlx::Row;

/// The letter of a family's parents, before it is shown.
pub struct Letter {
    pub family_id: String,
    pub family_name: String,
    /// A new family (rather than a new password for one parent).
    pub created: bool,
    pub credentials: Vec<Credentials>,
}

#[derive(Template)]
#[template(path = "admin/credentials_letter.html")]
struct LetterPage {
    chrome: render::Chrome,
    family_id: String,
    family_name: String,
    created: bool,
    credentials: Vec<Credentials>,
    structure_name: String,
    server: String,
    today: String,
    phone: String,
    email: String,
    address: String,
    opening_hours: String,
}

/// The address the app connects to: this server as the browser reached it.
pub(super) fn server_address(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = if state.settings.admin_secure_cookie {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Shows `letter` (no-store, as every page).
pub async fn show(
    state: &AppState,
    staff: &PageStaff,
    headers: &HeaderMap,
    letter: Letter,
) -> PageResult {
    let c = catalogue::read(state, &staff.0.session.structure_id).await?;
    let today = super::format::date(cartable_domain::calendar::paris_date(state.clock.now()));
    Ok(render::page(&LetterPage {
        chrome: staff.chrome(
            &format!("Identifiants – {}", letter.family_name),
            "familles",
        ),
        family_id: letter.family_id,
        family_name: letter.family_name,
        created: letter.created,
        credentials: letter.credentials,
        structure_name: c.structure_name.clone(),
        server: server_address(state, headers),
        today,
        phone: c.contact.phone.clone(),
        email: c.contact.email.clone(),
        address: c.contact.address.clone(),
        opening_hours: c.contact.opening_hours.clone(),
    }))
}

/// POST /admin/familles/{family_id}/parents/{account_id}/mot-de-passe: a new one-time
/// password for a parent of the family, and their letter.
pub async fn new_password(
    State(state): State<AppState>,
    staff: PageStaff,
    headers: HeaderMap,
    Path((family_id, account_id)): Path<(String, String)>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.as_str().to_string();
    let row = sqlx::query(
        "SELECT f.name, a.display_name FROM accounts a JOIN families f ON f.id = a.family_id \
         WHERE a.id = $1 AND a.family_id = $2 AND f.structure_id = $3 AND a.structure_id = $3",
    )
    .bind(&account_id)
    .bind(&family_id)
    .bind(&structure_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(render::not_found());
    };
    let issuer = Issuer::Staff {
        account_id: staff.0.session.account_id.to_string(),
        structure_id,
        is_admin: staff.is_admin(),
    };
    let otp = account_ops::issue_one_time_password(&state, &issuer, &account_id).await?;
    let letter = Letter {
        family_id,
        family_name: row.try_get("name")?,
        created: false,
        credentials: vec![Credentials {
            login: otp.login,
            password: otp.password,
            display_name: row.try_get("display_name")?,
        }],
    };
    show(&state, &staff, &headers, letter).await
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/admin/familles/{family_id}/parents/{account_id}/mot-de-passe",
        axum::routing::post(new_password),
    )
}
