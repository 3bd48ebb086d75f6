//! Supporting documents ("Mes Documents") for families: upload (raw bytes, metadata in headers
//! or the query string, idempotent by `Idempotency-Key`), the family's list, and the content
//! (served as an attachment to the family or to staff of its structure).
//!
//! An upload is checked by content (PDF, JPEG, PNG only), its bytes are stored in the object
//! store under a random key, and only then is its row written; a failed insert deletes the
//! object, so nothing is ever half-stored.

use crate::AppState;
use crate::auth::{FamilyDevice, authenticate, new_id};
use crate::db::supporting::{self, NewDocument, Stored};
use crate::db::{audit, now_ms};
use crate::error::{AppError, AppResult};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cartable_domain::api::ErrorCode;
use cartable_domain::supporting::{
    self as domain, ContentError, SENSITIVE_KINDS, SupportingDocument, check_content,
    sanitize_file_name,
};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tower_http::limit::RequestBodyLimitLayer;

/// Room for the request above the file itself, for the outer body limit layer.
const BODY_SLACK: usize = 64 * 1024;

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

fn too_large(max: usize) -> AppError {
    AppError::client(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "fichier trop volumineux : {} Mo au plus",
            max.div_ceil(1024 * 1024).max(1)
        ),
    )
}

fn refused(e: ContentError) -> AppError {
    match e {
        ContentError::Empty => AppError::bad_request(e.to_string()),
        other => AppError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            other.to_string(),
        ),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> AppResult<Option<String>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim().to_string()))
            .map_err(|_| AppError::bad_request(format!("en-tête {name} illisible"))),
    }
}

/// Decodes `%XX` escapes (file names travel percent-encoded in a header); invalid escapes and
/// invalid UTF-8 are kept or replaced, never an error: the name is sanitised afterwards.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads the body up to `max` bytes; beyond, a typed 413.
async fn read_body(body: Body, max: usize) -> AppResult<Vec<u8>> {
    use http_body_util::BodyExt;
    let mut body = http_body_util::Limited::new(body, max);
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if is_length_limit(e.as_ref()) {
                too_large(max)
            } else {
                AppError::bad_request("envoi interrompu : réessayez")
            }
        })?;
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn is_length_limit(mut e: &(dyn std::error::Error + 'static)) -> bool {
    loop {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        match e.source() {
            Some(next) => e = next,
            None => return false,
        }
    }
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
            "kind : type de document inconnu « {kind} » (attendu : {})",
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
                AppError::bad_request(format!("valid_until : date invalide « {v} » (AAAA-MM-JJ)"))
            })
        })
        .transpose()?;
    let raw_name = header_text(&headers, domain::HEADER_FILE_NAME)?
        .map(|n| percent_decode(&n))
        .or(query.file_name)
        .unwrap_or_default();
    let file_name = sanitize_file_name(&raw_name);

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
            "child_id : « {child} » n'est pas un enfant de la famille"
        )));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let bytes = read_body(body, max).await?;
    let file_type = check_content(&bytes).map_err(refused)?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = i64::try_from(bytes.len()).map_err(|_| too_large(max))?;

    let id = new_id();
    let object_key = new_id();
    let path = ObjectPath::from(object_key.as_str());
    state
        .files
        .put(&path, bytes.into())
        .await
        .map_err(|e| AppError::internal(format!("stockage du fichier : {e}")))?;
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
        uploaded_at_ms: now_ms(),
    };
    if let Err(e) = supporting::insert(&state.db, &new).await {
        if let Err(del) = state.files.delete(&path).await {
            tracing::error!(error = %del, key = %object_key, "orphan object not deleted");
        }
        // The same upload may have raced this one in: answer what it stored.
        if let Some(existing) =
            supporting::by_idempotency_key(&state.db, &device.family_id, &key).await?
        {
            return Ok((StatusCode::OK, Json(existing.doc)).into_response());
        }
        return Err(e.into());
    }
    let stored = supporting::by_id(&state.db, &id)
        .await?
        .ok_or_else(|| AppError::internal("document just stored not found"))?;
    Ok((StatusCode::CREATED, Json(stored.doc)).into_response())
}

async fn list(
    State(state): State<AppState>,
    device: FamilyDevice,
) -> AppResult<Json<Vec<SupportingDocument>>> {
    Ok(Json(
        supporting::of_family(&state.db, &device.family_id).await?,
    ))
}

/// A family device or a member of staff.
#[derive(Debug)]
enum Caller {
    Family {
        family_id: String,
    },
    Staff {
        account_id: String,
        structure_id: String,
    },
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = authenticate(parts, state).await?;
        match session.family_id {
            Some(family_id) => Ok(Caller::Family { family_id }),
            None if session.role.starts_with("staff_") => Ok(Caller::Staff {
                account_id: session.account_id,
                structure_id: session.structure_id,
            }),
            None => Err(AppError::not_found()),
        }
    }
}

/// `Content-Disposition` for `name`: an ASCII fallback plus the UTF-8 name (RFC 6266).
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"document\""))
}

async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let stored: Stored = supporting::by_id(&state.db, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    match &caller {
        Caller::Family { family_id } if *family_id == stored.doc.family_id => {}
        Caller::Staff { structure_id, .. } if *structure_id == stored.structure_id => {}
        _ => return Err(AppError::not_found()),
    }
    let object = state
        .files
        .get(&ObjectPath::from(stored.object_key.as_str()))
        .await
        .map_err(|e| AppError::internal(format!("lecture du fichier : {e}")))?;
    let bytes = object
        .bytes()
        .await
        .map_err(|e| AppError::internal(format!("lecture du fichier : {e}")))?;
    if let Caller::Staff {
        account_id,
        structure_id,
    } = &caller
        && SENSITIVE_KINDS.contains(&stored.doc.kind.as_str())
    {
        let mut conn = state.db.pool.acquire().await?;
        audit::record(
            &mut conn,
            account_id,
            structure_id,
            "download_document",
            Some(&stored.doc.family_id),
            &format!("{} {}", stored.doc.kind, stored.doc.id),
        )
        .await?;
    }
    let content_type = HeaderValue::from_str(&stored.doc.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                disposition(&stored.doc.file_name),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_decode_and_dispositions_stay_quoted() {
        assert_eq!(percent_decode("re%C3%A7u%20.pdf"), "reçu .pdf");
        assert_eq!(percent_decode("100%"), "100%");
        let d = disposition("reçu \"x\".pdf");
        let text = d.to_str().expect("ascii header");
        assert!(
            text.starts_with("attachment; filename=\"re_u _x_.pdf\""),
            "{text}"
        );
    }
}
