//! Files over HTTP, shared by supporting documents, downloads and the data export: reading a
//! size-limited body, metadata headers, typed refusals, `Content-Disposition`, and the caller
//! allowed to fetch a file (a family device or a member of staff).

use crate::AppState;
use crate::auth::authenticate;
use crate::error::{AppError, AppResult};
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartable_domain::api::ErrorCode;
use cartable_domain::ids::{AccountId, FamilyId, StructureId};
use cartable_domain::supporting::{ContentError, FileType, check_content};

/// Room for the request above the file itself, for the outer body limit layer.
pub const BODY_SLACK: usize = 64 * 1024;

pub fn too_large(max: usize) -> AppError {
    AppError::client(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "fichier trop volumineux : {} Mo au plus",
            max.div_ceil(1024 * 1024).max(1)
        ),
    )
}

pub fn refused(e: ContentError) -> AppError {
    match e {
        ContentError::Empty => AppError::bad_request(e.to_string()),
        other => AppError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            other.to_string(),
        ),
    }
}

pub fn header_text(headers: &HeaderMap, name: &str) -> AppResult<Option<String>> {
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
pub fn percent_decode(text: &str) -> String {
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
pub async fn read_body(body: Body, max: usize) -> AppResult<Vec<u8>> {
    use http_body_util::BodyExt;
    let mut body = http_body_util::Limited::new(body, max);
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if is_length_limit(e.as_ref()) {
                too_large(max)
            } else if crate::routes::extract::caused_by::<tower_http::timeout::TimeoutError>(
                e.as_ref(),
            ) {
                crate::routes::extract::body_timed_out()
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

/// A family device or a member of staff.
#[derive(Debug)]
pub enum Caller {
    Family {
        family_id: FamilyId,
    },
    Staff {
        account_id: AccountId,
        structure_id: StructureId,
    },
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = authenticate(parts, state).await?;
        match session.family_id {
            Some(family_id) => Ok(Caller::Family { family_id }),
            None if session.role.is_staff() => Ok(Caller::Staff {
                account_id: session.account_id,
                structure_id: session.structure_id,
            }),
            None => Err(AppError::not_found()),
        }
    }
}

/// `Content-Disposition` for `name`: an ASCII fallback plus the UTF-8 name (RFC 6266).
pub fn disposition(name: &str) -> HeaderValue {
    disposition_as("attachment", name)
}

/// `Content-Disposition: inline` for `name`, for a file shown in the page that asked for it.
pub fn inline_disposition(name: &str) -> HeaderValue {
    disposition_as("inline", name)
}

fn disposition_as(kind: &'static str, name: &str) -> HeaderValue {
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
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"document\""))
}

/// Reads an uploaded file of at most `max` bytes (refusing at once a larger declared
/// `Content-Length`) and checks it by content: PDF, JPEG or PNG.
pub async fn read_checked_file(
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> AppResult<(Vec<u8>, FileType)> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let bytes = read_body(body, max).await?;
    let file_type = check_content(&bytes).map_err(refused)?;
    Ok((bytes, file_type))
}

/// A file served as an attachment: never sniffed, never cached by shared caches.
pub fn attachment(content_type: &str, file_name: &str, bytes: impl Into<Body>) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition(file_name)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes.into(),
    )
        .into_response()
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
