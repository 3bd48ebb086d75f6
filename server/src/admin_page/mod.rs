//! The admin page: server-rendered HTML under `/admin/` for the structure's staff, in
//! French, with askama templates compiled into the binary, one style sheet of our own and
//! no script.
//!
//! Security: sign-in through the server's own login, session and password rules
//! ([`session`], [`login`]); a second factor for administrators ([`second_factor`]); a CSRF
//! token checked on every POST ([`csrf`]); no state change on GET; roles checked by the
//! extractor each route takes ([`session::PageStaff`], [`session::PageAdmin`]); every query
//! limited to the structure of the member of staff; and the headers below on every answer.

pub mod accessibility_statement;
pub mod activity_form;
pub mod annual_statements;
pub mod assets;
pub mod attendance_sheet;
pub mod charts;
pub mod config_words;
pub mod configuration;
pub mod cookies;
pub mod creation_failure;
pub mod credentials_letter;
pub mod csrf;
pub mod daily_lists;
pub mod dashboard;
pub mod day_choice;
pub mod decision_override;
pub mod document_review;
pub mod dossier_review;
pub mod families;
pub mod family_creation;
pub mod family_ledger;
pub mod family_planning;
pub mod format;
pub mod invoice_export;
pub mod invoices;
pub mod invoicing_run;
pub mod journal;
pub mod login;
pub mod multipart;
pub mod next_page;
pub mod overdue;
pub mod password;
pub mod publications;
pub mod render;
pub mod second_factor;
pub mod session;
pub mod spreadsheet;
pub mod staff_accounts;
pub mod tariff_form;
pub mod totp;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

/// The pages' content security policy: our own style sheet, no script at all, forms posted
/// to this server only, never in a frame.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(login::to_dashboard))
        .route("/admin/", get(dashboard::page))
        .route("/admin/style.css", get(assets::style))
        .route("/admin/connexion", get(login::form).post(login::submit))
        .route("/admin/deconnexion", post(login::logout))
        .route(
            "/admin/double-authentification",
            get(second_factor::form).post(second_factor::submit),
        )
        .route(
            "/admin/mot-de-passe",
            get(password::form).post(password::submit),
        )
        .route("/admin/familles", get(families::search))
        .route("/admin/familles/{family_id}", get(families::show))
        .route(
            "/admin/familles/{family_id}/appareils/{device_id}/revoquer",
            post(families::revoke_device),
        )
        .route("/admin/personnel", get(staff_accounts::list))
        .merge(daily_lists::routes())
        .merge(attendance_sheet::routes())
        .merge(family_creation::routes())
        .merge(credentials_letter::routes())
        .merge(dossier_review::routes())
        .merge(document_review::routes())
        .merge(configuration::routes())
        .merge(activity_form::routes())
        .merge(tariff_form::routes())
        .merge(invoicing_run::routes())
        .merge(invoices::routes())
        .merge(invoice_export::routes())
        .merge(overdue::routes())
        .merge(annual_statements::routes())
        .merge(publications::routes())
        .merge(journal::routes())
        .merge(accessibility_statement::routes())
        .merge(decision_override::routes())
        .merge(staff_accounts::routes())
        .route("/admin/{*rest}", get(unknown_page))
        .layer(axum::middleware::from_fn(csrf::check))
        .layer(axum::middleware::map_response(page_headers))
}

/// Any other address under /admin: a page saying so (not the API's JSON).
async fn unknown_page() -> Response {
    render::not_found()
}

async fn page_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    // A page may set its own policy (a document's preview widens it for that answer only).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
    }
    if !h.contains_key(header::X_FRAME_OPTIONS) {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    // Pages carry personal data: never kept by the browser or a proxy (the style sheet
    // chose its own caching).
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
