//! HTTP routes; each module offers its own router.

pub mod documents;
pub mod downloads;
pub mod export;
pub mod files;
pub mod health;
pub mod openapi;
pub mod openapi_publications;
pub mod session;
pub mod staff;
pub mod sync;

use crate::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use tower_http::trace::TraceLayer;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(documents::router(&state))
        .merge(health::router())
        .merge(openapi::router())
        .merge(session::router())
        .merge(staff::router(&state))
        .merge(downloads::router())
        .merge(export::router())
        .merge(sync::router(&state))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// JSON body extractor whose rejections use the API's error shape.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        AppError::bad_request(format!("Requête JSON invalide : {}", rejection.body_text()))
    }
}
