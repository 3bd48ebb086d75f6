//! A published file's content ("Téléchargement"), for the families and staff of its
//! structure; 404 for anyone else.

use crate::AppState;
use crate::auth::authenticate;
use crate::db::downloads;
use crate::error::{AppError, AppResult};
use crate::objects;
use crate::routes::Path;
use crate::routes::files::attachment;
use axum::Router;
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/downloads/{id}/content", get(content))
}

/// Any signed-in account: the structure is what scopes a download.
#[derive(Debug)]
struct Member {
    structure_id: String,
}

impl axum::extract::FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = authenticate(parts, state).await?;
        Ok(Member {
            structure_id: session.structure_id.into_string(),
        })
    }
}

async fn content(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let stored = downloads::by_id(&state.db, &member.structure_id, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = objects::load(&state, &stored.object_key).await?;
    Ok(attachment(
        &stored.download.content_type,
        &stored.download.file_name,
        bytes,
    ))
}
