//! HTTP routes; each module offers its own router.

pub mod documents;
pub mod downloads;
pub mod edge;
pub mod export;
pub mod extract;
pub mod files;
pub mod health;
pub mod invoices;
pub mod openapi;
pub mod openapi_invoicing;
pub mod openapi_publications;
pub mod openapi_push;
pub mod openapi_sessions;
pub mod openapi_staff;
pub mod push;
pub mod session;
pub mod staff;
pub mod sync;

use crate::AppState;
use axum::Router;
use tower_http::trace::TraceLayer;

pub use extract::{Json, Path, Query};

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(crate::admin_page::router())
        .merge(documents::router(&state))
        .merge(health::router())
        .merge(openapi::router())
        .merge(push::router())
        .merge(session::router())
        .merge(staff::router(&state))
        .merge(downloads::router())
        .merge(export::router())
        .merge(invoices::router())
        .merge(sync::router(&state))
        .fallback(edge::unknown_path);
    edge::wrap(routes, &state)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
