//! What every answer goes through on its way out, whichever route made it (or none did):
//!
//! - security headers: a CSP forbidding everything (the API serves no page; a route serving
//!   HTML sets its own), no framing, no sniffing, no referrer, and `no-store` unless the route
//!   chose its own caching, since nearly every answer carries personal data or a token;
//! - one error shape: an error that is not already the API's `{code, message}` JSON (axum's
//!   unknown path, wrong method, rejections of layers, a timeout) gets it, in French;
//! - time limits: a request must arrive and be answered within `request_timeout_secs`
//!   (`upload_timeout_secs` for a large body: files sent from a slow phone), and its body may
//!   not stall for more than `body_idle_timeout_secs` between two pieces;
//! - a panic in a handler answers a 500 instead of dropping the connection.

use crate::AppState;
use crate::settings::Settings;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cartable_domain::api::{ApiErrorBody, ErrorCode};
use std::time::Duration;

/// The API's content security policy: nothing may be loaded, run or framed.
pub const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A declared body above this many bytes is a file transfer: it gets the upload timeout.
pub const LARGE_BODY_BYTES: u64 = 256 * 1024;

/// Wraps the whole application with the layers above.
pub fn wrap(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let settings = &state.settings;
    router
        .layer(axum::middleware::map_response(normalise_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            time_limit,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            Duration::from_secs(settings.body_idle_timeout_secs.max(1)),
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let defaults: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, API_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    // A route may relax caching, never the rules that keep pages out of frames and sniffers.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn is_api_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// True when an error answer has no body of ours: nothing, or axum's plain text.
fn needs_error_body(headers: &HeaderMap) -> bool {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(v) => v.starts_with("text/plain"),
    }
}

async fn normalise_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || is_api_json(response.headers())
        || !needs_error_body(response.headers())
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let (code, message) = describe(status);
    let body = error_body(code, message);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

fn error_body(code: ErrorCode, message: &str) -> Vec<u8> {
    serde_json::to_vec(&ApiErrorBody {
        code,
        message: message.to_string(),
        doc_id: None,
    })
    .unwrap_or_default()
}

/// The code and French message of an error status that no handler described.
pub fn describe(status: StatusCode) -> (ErrorCode, &'static str) {
    match status {
        StatusCode::UNAUTHORIZED => (
            ErrorCode::Unauthorized,
            "Identification requise ou expirée : reconnectez-vous",
        ),
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "Accès refusé"),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "Introuvable"),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "Méthode non autorisée pour cette adresse",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::Timeout,
            "Requête trop lente à arriver : réessayez",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "Requête trop volumineuse"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "Type de contenu non pris en charge",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            ErrorCode::RateLimited,
            "Trop de requêtes : réessayez dans un moment",
        ),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => (
            ErrorCode::Unavailable,
            "Service momentanément indisponible, réessayez",
        ),
        s if s.is_server_error() => (ErrorCode::Internal, "Erreur interne du serveur"),
        _ => (ErrorCode::BadRequest, "Requête invalide"),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// How long a request may take in all, from the settings and its declared size.
pub fn time_allowed(settings: &Settings, headers: &HeaderMap) -> Duration {
    let chunked = headers
        .get(header::TRANSFER_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let large = chunked || declared_length(headers).is_some_and(|n| n > LARGE_BODY_BYTES);
    let secs = if large {
        settings.upload_timeout_secs
    } else {
        settings.request_timeout_secs
    };
    Duration::from_secs(secs.max(1))
}

async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowed = time_allowed(&state.settings, request.headers());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    match tokio::time::timeout(allowed, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                %method,
                path = %cartable_domain::text::LogSafe(&path),
                secs = allowed.as_secs(),
                "request timed out"
            );
            let (code, _) = describe(StatusCode::REQUEST_TIMEOUT);
            (
                StatusCode::REQUEST_TIMEOUT,
                [(header::CONTENT_TYPE, "application/json")],
                error_body(code, "Requête trop longue : réessayez"),
            )
                .into_response()
        }
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    let (code, message) = describe(StatusCode::INTERNAL_SERVER_ERROR);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        error_body(code, message),
    )
        .into_response()
}

/// The answer for a path no route serves.
pub async fn unknown_path() -> Response {
    crate::error::AppError::not_found().into_response()
}
