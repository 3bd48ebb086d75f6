//! A member of staff changes their own password on the admin page (required after a
//! one-time password), by the server's own password rules
//! ([`crate::auth::account_ops::change_password`]): their other sessions end.

use super::render::{self, PageResult};
use super::session::{PageStaff, PasswordHolder};
use crate::AppState;
use crate::auth::account_ops;
use crate::error::AppError;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/password.html")]
struct PasswordPage {
    chrome: render::Chrome,
    csrf: String,
    one_time: bool,
    error: Option<String>,
    /// Which field the error is about: "current", "new" or "confirm".
    error_field: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

fn page(
    holder: &PasswordHolder,
    status: StatusCode,
    error: Option<(String, &'static str)>,
) -> PageResult {
    let staff = PageStaff(holder.0.clone());
    let (error, error_field) = match error {
        Some((m, f)) => (Some(m), f),
        None => (None, ""),
    };
    Ok(render::page_with_status(
        status,
        &PasswordPage {
            chrome: staff.chrome("Changer mon mot de passe", "mot-de-passe"),
            csrf: holder.0.csrf(),
            one_time: holder.0.account.must_change_password,
            error,
            error_field,
        },
    ))
}

/// GET /admin/mot-de-passe
pub async fn form(holder: PasswordHolder) -> PageResult {
    page(&holder, StatusCode::OK, None)
}

/// POST /admin/mot-de-passe
pub async fn submit(
    State(state): State<AppState>,
    holder: PasswordHolder,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    if f.new != f.confirm {
        return page(
            &holder,
            StatusCode::BAD_REQUEST,
            Some((
                "Les deux nouveaux mots de passe diffèrent".into(),
                "confirm",
            )),
        );
    }
    match account_ops::change_password(&state, &holder.0.session, &f.current, &f.new).await {
        Ok(()) => Ok(render::see_other("/admin/?mot-de-passe=change")),
        Err(AppError::Client {
            status, message, ..
        }) => {
            let field = if status == StatusCode::FORBIDDEN {
                "current"
            } else {
                "new"
            };
            page(&holder, status, Some((message, field)))
        }
        Err(e) => Err(e.into()),
    }
}
