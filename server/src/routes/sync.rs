//! `POST /api/v1/sync`: the binary sync endpoint (CBOR, see `cartable_domain::protocol`).

use crate::AppState;
use crate::auth::{self, FamilyDevice};
use crate::db::documents::{self, Visible};
use crate::error::{AppError, AppResult};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use cartable_domain::api::ErrorCode;
use cartable_domain::protocol::{self, CONTENT_TYPE};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/sync", post(sync))
        .layer(DefaultBodyLimit::max(state.settings.max_sync_body_bytes))
}

/// The family device behind a sync request and the documents its family may see, read in one
/// statement (`documents::session_and_visible`), then admitted as [`FamilyDevice`] is.
pub struct SyncCaller {
    pub device: FamilyDevice,
    pub visible: Visible,
}

impl FromRequestParts<AppState> for SyncCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = auth::bearer(parts).ok_or_else(AppError::unauthorized)?;
        let (session, visible) =
            documents::session_and_visible(&state.db, &auth::token_hash(token))
                .await?
                .ok_or_else(AppError::unauthorized)?;
        let device = FamilyDevice::of(auth::admit(state, session).await?)?;
        Ok(SyncCaller { device, visible })
    }
}

async fn sync(
    State(state): State<AppState>,
    caller: SyncCaller,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Response> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!(
                    "Requête de synchronisation trop volumineuse ({} octets au plus)",
                    state.settings.max_sync_body_bytes
                ),
            )
        } else if crate::routes::extract::caused_by::<tower_http::timeout::TimeoutError>(&rejection)
        {
            crate::routes::extract::body_timed_out()
        } else {
            AppError::malformed_sync("Requête de synchronisation interrompue : réessayez")
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(CONTENT_TYPE) {
        return Err(AppError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::MalformedSync,
            format!("Type de contenu attendu : {CONTENT_TYPE}"),
        ));
    }
    let response = crate::sync::handle(&state, &caller.device, caller.visible, &body).await?;
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        protocol::encode(&response),
    )
        .into_response())
}
