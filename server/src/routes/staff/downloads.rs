//! "Téléchargement" for staff: publish a file for every family (rules, menus, forms), list,
//! withdraw. The file is checked by content (PDF, JPEG, PNG) like a family's documents and
//! stored before its row; families fetch it with `GET /api/v1/downloads/{id}/content`.

use crate::AppState;
use crate::auth::{StaffUser, new_id};
use crate::db::audit;
use crate::db::downloads::{self, StoredDownload};
use crate::docs::publication;
use crate::error::{AppError, AppResult};
use crate::objects;
use crate::routes::files::{
    BODY_SLACK, header_text, percent_decode, read_checked_file, refused, too_large,
};
use crate::routes::{Path, Query};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use cartable_domain::information::{Download, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use cartable_domain::supporting::{HEADER_FILE_NAME, check_content, stored_file_name};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_http::limit::RequestBodyLimitLayer;

pub fn router(state: &AppState) -> Router<AppState> {
    let max = state.settings.max_document_bytes;
    Router::new()
        .route("/api/v1/staff/downloads", get(list).post(publish))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max.saturating_add(BODY_SLACK)))
        .route("/api/v1/staff/downloads/{id}", delete(withdraw))
}

/// A published file as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadView {
    pub id: String,
    #[serde(flatten)]
    pub download: Download,
    pub published_by: String,
}

impl From<StoredDownload> for DownloadView {
    fn from(d: StoredDownload) -> Self {
        DownloadView {
            id: d.id,
            download: d.download,
            published_by: d.published_by,
        }
    }
}

/// Metadata in the query string; the file name may also come percent-encoded in `X-File-Name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishQuery {
    pub title: Option<String>,
    pub description: Option<String>,
    pub file_name: Option<String>,
}

/// The structure's published files, newest first as stored.
pub async fn published(state: &AppState, staff: &StaffUser) -> AppResult<Vec<DownloadView>> {
    let mut conn = state.db.pool.acquire().await?;
    let all = downloads::of_structure(&mut conn, staff.structure_id()).await?;
    Ok(all.into_iter().map(DownloadView::from).collect())
}

async fn list(
    State(state): State<AppState>,
    staff: StaffUser,
) -> AppResult<Json<Vec<DownloadView>>> {
    Ok(Json(published(&state, &staff).await?))
}

/// Publishes a file for every family: title and description checked, the content checked
/// (PDF, JPEG, PNG, within the size limit), stored before its row, the read logged.
pub async fn publish_file(
    state: &AppState,
    staff: &StaffUser,
    title: &str,
    description: &str,
    raw_name: &str,
    bytes: Vec<u8>,
) -> AppResult<DownloadView> {
    let max = state.settings.max_document_bytes;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_request(format!(
            "title : titre obligatoire ({MAX_TITLE_CHARS} caractères au plus)"
        )));
    }
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::bad_request(format!(
            "description : {MAX_DESCRIPTION_CHARS} caractères au plus"
        )));
    }
    if bytes.len() > max {
        return Err(too_large(max));
    }
    let file_type = check_content(&bytes).map_err(refused)?;
    let size = i64::try_from(bytes.len()).map_err(|_| too_large(max))?;
    let stored = StoredDownload {
        id: new_id(),
        structure_id: staff.structure_id().to_string(),
        object_key: new_id(),
        published_by: staff.session.account_id.to_string(),
        download: Download {
            title: title.to_string(),
            description: description.to_string(),
            file_name: stored_file_name(raw_name, file_type),
            content_type: file_type.content_type().to_string(),
            size_bytes: size,
            sha256: hex::encode(Sha256::digest(&bytes)),
            published_at_ms: state.clock.now().as_millisecond(),
        },
    };
    objects::store(state, &stored.object_key, bytes).await?;
    let recorded = async {
        let mut write = state.db.begin_write().await?;
        downloads::insert(&mut write.tx, &stored).await?;
        audit::record(
            &mut write.tx,
            staff.who_now(state),
            "publish_download",
            None,
            &format!("{} {}", stored.id, stored.download.file_name),
        )
        .await?;
        write.commit().await
    };
    if let Err(e) = recorded.await {
        objects::remove(state, &stored.object_key, "download not recorded").await;
        return Err(e.into());
    }
    publication::republish(state, staff.structure_id()).await;
    Ok(stored.into())
}

async fn publish(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(query): Query<PublishQuery>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<(StatusCode, Json<DownloadView>)> {
    let max = state.settings.max_document_bytes;
    let title = query.title.as_deref().map(str::trim).unwrap_or_default();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_request(format!(
            "title : titre obligatoire ({MAX_TITLE_CHARS} caractères au plus)"
        )));
    }
    let raw_name = header_text(&headers, HEADER_FILE_NAME)?
        .map(|n| percent_decode(&n))
        .or(query.file_name.clone())
        .unwrap_or_default();
    let (bytes, _) = read_checked_file(&headers, body, max).await?;
    let view = publish_file(
        &state,
        &staff,
        title,
        query.description.as_deref().unwrap_or_default(),
        &raw_name,
        bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Withdraws a published file of the structure (another structure's is "not found").
pub async fn withdraw_file(state: &AppState, staff: &StaffUser, id: &str) -> AppResult<()> {
    let stored = downloads::by_id(&state.db, staff.structure_id(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut write = state.db.begin_write().await?;
    if !downloads::delete(&mut write.tx, staff.structure_id(), id).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        &mut write.tx,
        staff.who_now(state),
        "withdraw_download",
        None,
        id,
    )
    .await?;
    write.commit().await?;
    publication::republish(state, staff.structure_id()).await;
    // The row is gone: a failure here leaves an unreachable object, never a broken entry.
    objects::remove(state, &stored.object_key, "withdrawn download").await;
    Ok(())
}

async fn withdraw(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    withdraw_file(&state, &staff, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
