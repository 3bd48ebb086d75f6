//! `GET /healthz`: is the server up, which version, which storage.

use crate::AppState;
use crate::error::AppResult;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use cartable_domain::api::Health;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

async fn health(State(state): State<AppState>) -> AppResult<Json<Health>> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        backend: state.db.backend.name().into(),
    }))
}
