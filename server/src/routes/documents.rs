//! Supporting documents ("Mes Documents") for families: upload (raw bytes, metadata in headers
//! or the query string, idempotent by `Idempotency-Key`), the family's list, and the content
//! (served as an attachment to the family or to staff of its structure).
//!
//! An upload is checked by content (PDF, JPEG, PNG only), its bytes are stored in the object
//! store under a random key, and only then is its row written; a failed insert deletes the
//! object, so nothing is ever half-stored.

use crate::AppState;
use crate::auth::{FamilyDevice, new_id};
use crate::db::audit;
use crate::db::supporting::{self, NewDocument, Stored};
use crate::docs::requested;
use crate::error::{AppError, AppResult};
use crate::objects;
use crate::routes::files::{
    BODY_SLACK, Caller, attachment, header_text, percent_decode, read_checked_file, too_large,
};
use crate::routes::{Path, Query};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cartable_domain::api::ErrorCode;
use cartable_domain::ids::FamilyId;
use cartable_domain::supporting::{
    self as domain, SENSITIVE_KINDS, SupportingDocument, stored_file_name,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tower_http::limit::RequestBodyLimitLayer;

pub fn router(state: &AppState) -> Router<AppState> {
    let max = state.settings.max_document_bytes;
    let uploads = Router::new()
        .route("/api/v1/documents", post(upload).get(list))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max.saturating_add(BODY_SLACK)));
    Router::new()
        .merge(uploads)
        .route("/api/v1/documents/{id}/content", get(content))
}

/// Upload metadata from the query string (headers take precedence).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    pub kind: Option<String>,
    pub child_id: Option<String>,
    pub valid_until: Option<String>,
    pub file_name: Option<String>,
}

async fn upload(
    State(state): State<AppState>,
    device: FamilyDevice,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let max = state.settings.max_document_bytes;
    let key = header_text(&headers, "idempotency-key")?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AppError::bad_request("en-tête Idempotency-Key manquant"))?;
    if key.len() > 100 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(AppError::bad_request(
            "Idempotency-Key : 100 caractères au plus, lettres, chiffres et tirets",
        ));
    }
    let kind = header_text(&headers, domain::HEADER_KIND)?
        .or(query.kind)
        .ok_or_else(|| AppError::bad_request("kind : type de document manquant"))?;
    if !domain::is_kind(&kind) {
        return Err(AppError::bad_request(format!(
            "kind : type de document inconnu « {} » (attendu : {})",
            cartable_domain::text::shown(&kind, 40),
            domain::KINDS.join(", ")
        )));
    }
    let child_id = header_text(&headers, "x-child-id")?
        .or(query.child_id)
        .filter(|c| !c.is_empty());
    let valid_until = header_text(&headers, "x-valid-until")?
        .or(query.valid_until)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<jiff::civil::Date>().map_err(|_| {
                AppError::bad_request(format!(
                    "valid_until : date invalide « {} » (AAAA-MM-JJ)",
                    cartable_domain::text::shown(&v, 40)
                ))
            })
        })
        .transpose()?;
    let raw_name = header_text(&headers, domain::HEADER_FILE_NAME)?
        .map(|n| percent_decode(&n))
        .or(query.file_name)
        .unwrap_or_default();

    // A retried upload: answer what the first one stored.
    if let Some(existing) =
        supporting::by_idempotency_key(&state.db, &device.family_id, &key).await?
    {
        return Ok((StatusCode::OK, Json(existing.doc)).into_response());
    }
    if let Some(child) = &child_id
        && !supporting::is_child_of(&state.db, &device.family_id, child).await?
    {
        return Err(AppError::bad_request(format!(
            "child_id : « {} » n'est pas un enfant de la famille",
            cartable_domain::text::shown(child, 40)
        )));
    }
    let (bytes, file_type) = read_checked_file(&headers, body, max).await?;
    let file_name = stored_file_name(&raw_name, file_type);
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = i64::try_from(bytes.len()).map_err(|_| too_large(max))?;
    // A first look, before storing the bytes; the insert checks again under a lock.
    let used = supporting::family_total_bytes(&state.db, &device.family_id).await?;
    let quota = state.settings.family_documents_quota_bytes;
    if u64::try_from(used.saturating_add(size)).unwrap_or(u64::MAX) > quota {
        return Err(quota_exceeded(quota));
    }

    let id = new_id();
    let object_key = new_id();
    objects::store(&state, &object_key, bytes).await?;
    let new = NewDocument {
        id: &id,
        structure_id: &device.session.structure_id,
        family_id: &device.family_id,
        child_id: child_id.as_deref(),
        kind: &kind,
        file_name: &file_name,
        content_type: file_type.content_type(),
        size_bytes: size,
        sha256: &sha,
        object_key: &object_key,
        valid_until,
        idempotency_key: &key,
        uploaded_by: &device.session.account_id,
        uploaded_at_ms: state.clock.now().as_millisecond(),
    };
    let inserted = supporting::insert(&state.db, &new, quota).await;
    if !matches!(inserted, Ok(supporting::Inserted::Stored)) {
        objects::remove(&state, &object_key, "document not recorded").await;
        // The same upload may have raced this one in: answer what it stored.
        if let Some(existing) =
            supporting::by_idempotency_key(&state.db, &device.family_id, &key).await?
        {
            return Ok((StatusCode::OK, Json(existing.doc)).into_response());
        }
        inserted?;
        return Err(quota_exceeded(quota));
    }
    let stored = supporting::by_id(&state.db, &id)
        .await?
        .ok_or_else(|| AppError::internal("document just stored not found"))?;
    // The file is stored: a failure here only leaves the request standing, and is logged.
    if let Err(e) = requested::document_received(&state, &device.family_id, &kind).await {
        tracing::error!(error = %e, family_id = %device.family_id, kind, "requested document not cleared");
    }
    Ok((StatusCode::CREATED, Json(stored.doc)).into_response())
}

fn quota_exceeded(quota: u64) -> AppError {
    AppError::client(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::QuotaExceeded,
        format!(
            "L'espace de documents de la famille est plein ({} Mo au plus) : \
             demandez à la structure de retirer les documents qui ne servent plus",
            quota / (1024 * 1024)
        ),
    )
}

async fn list(
    State(state): State<AppState>,
    device: FamilyDevice,
) -> AppResult<Json<Vec<SupportingDocument>>> {
    Ok(Json(
        supporting::of_family(&state.db, &device.family_id).await?,
    ))
}

async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (stored, bytes) = document_content(&state, &caller, &id).await?;
    Ok(attachment(
        &stored.doc.content_type,
        &stored.doc.file_name,
        bytes,
    ))
}

/// A supporting document and its bytes, for its family or the staff of its structure (404
/// for anyone else); staff reads of health documents are logged. Shared by this route and
/// the admin page's preview.
pub async fn document_content(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> AppResult<(Stored, bytes::Bytes)> {
    let stored: Stored = supporting::by_id(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    match caller {
        Caller::Family { family_id } if *family_id == stored.doc.family_id => {}
        Caller::Staff { structure_id, .. } if *structure_id == stored.structure_id => {}
        _ => return Err(AppError::not_found()),
    }
    let bytes = objects::load(state, &stored.object_key).await?;
    if let Caller::Staff {
        account_id,
        structure_id,
    } = caller
        && SENSITIVE_KINDS.contains(&stored.doc.kind.as_str())
    {
        let who = audit::Who {
            account_id,
            structure_id,
            at_ms: state.clock.now().as_millisecond(),
        };
        audit::record_alone(
            &state.db,
            who,
            "download_document",
            Some(&FamilyId::from(&stored.doc.family_id)),
            &format!("{} {}", stored.doc.kind, stored.doc.id),
        )
        .await?;
    }
    Ok((stored, bytes))
}
