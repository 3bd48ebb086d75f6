//! Turning templates into answers: pages, error pages, redirections, and the errors of page
//! handlers (shown as a page, never as the API's JSON).

use crate::error::AppError;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The part of every page around its content: title, who is signed in, the menu.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub title: String,
    /// Which menu entry is the current page ("tableau", "familles", "personnel").
    pub current: &'static str,
    pub user: Option<UserBar>,
}

/// The signed-in member of staff, as the header shows them.
#[derive(Debug, Clone)]
pub struct UserBar {
    pub display_name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub structure_name: String,
    /// The CSRF token of this session's forms (the logout button is a form).
    pub csrf: String,
}

impl Chrome {
    pub fn public(title: &str) -> Chrome {
        Chrome {
            title: title.to_string(),
            current: "",
            user: None,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    message: &'a str,
}

/// A page with `status`.
pub fn page_with_status<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "admin page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                "Erreur interne du serveur",
            )
                .into_response()
        }
    }
}

/// A page (200).
pub fn page<T: Template>(template: &T) -> Response {
    page_with_status(StatusCode::OK, template)
}

/// A page saying what went wrong.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page_with_status(
        status,
        &ErrorPage {
            chrome: Chrome::public(title),
            message,
        },
    )
}

/// 303 to `location` (after a form, or to the login page).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/admin/")),
        )],
    )
        .into_response()
}

/// 403 for a page of another role.
pub fn forbidden(message: &str) -> Response {
    error_page(StatusCode::FORBIDDEN, "Accès refusé", message)
}

/// 404 for anything not found in the structure of the member of staff.
pub fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page introuvable",
        "Cette page n'existe pas, ou concerne une autre structure.",
    )
}

/// An error met by a page handler, shown as a page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError(AppError::Db(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Client {
                status, message, ..
            } => {
                if status == StatusCode::NOT_FOUND {
                    return not_found();
                }
                let title = crate::routes::edge::describe(status).1;
                error_page(status, title, &message)
            }
            AppError::RateLimited { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                error_page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Trop de tentatives",
                    &format!("Trop de tentatives : réessayez dans {minutes} minute(s)."),
                )
            }
            AppError::Db(e) if crate::error::storage_unavailable(&e) => {
                tracing::error!(error = %e, "admin page: storage unavailable");
                error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service momentanément indisponible",
                    "Le service est momentanément indisponible. Réessayez dans un moment.",
                )
            }
            other => {
                tracing::error!(error = %other, "admin page failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur interne",
                    "Une erreur est survenue sur le serveur. Réessayez dans un moment.",
                )
            }
        }
    }
}

/// What page handlers return.
pub type PageResult = Result<Response, PageError>;

impl PageError {
    /// The page of this error.
    pub fn into_response_page(self) -> Response {
        self.into_response()
    }
}
