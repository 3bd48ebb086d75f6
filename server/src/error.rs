//! The one application error type: typed code and French message for the client, details
//! in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartable_domain::api::{ApiErrorBody, ErrorCode};
use cartable_domain::ids::DocumentId;
use cartable_reconcile::validate::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    /// A device's synced changes refused by the checks of incoming changes, about a document.
    #[error("{}", refusal.message)]
    Refused {
        refusal: Refusal,
        doc_id: Option<DocumentId>,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("internal: {0}")]
    Internal(String),
    /// Too many attempts: the answer says when to come back (`Retry-After`).
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
}

pub type AppResult<T> = Result<T, AppError>;

/// Longest error message sent, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

impl From<cartable_reconcile::CoreError> for AppError {
    fn from(e: cartable_reconcile::CoreError) -> Self {
        match e {
            cartable_reconcile::CoreError::NoRequest => AppError::not_found(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn client(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Client {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }
    pub fn malformed_sync(message: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, ErrorCode::MalformedSync, message)
    }
    /// A sync request refused with `message`; the decoder's own (English, internal) words
    /// go to the debug log only.
    pub fn malformed_sync_because(
        message: impl Into<String>,
        cause: &dyn std::fmt::Display,
    ) -> Self {
        tracing::debug!(cause = %cause, "sync request refused");
        Self::malformed_sync(message)
    }
    pub fn unauthorized() -> Self {
        Self::client(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "Identification requise ou expirée : reconnectez-vous",
        )
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }
    pub fn not_found() -> Self {
        Self::client(StatusCode::NOT_FOUND, ErrorCode::NotFound, "Introuvable")
    }
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(message.into())
    }

    /// Incoming changes refused, about document `doc_id`.
    pub fn refused(refusal: Refusal, doc_id: DocumentId) -> Self {
        AppError::Refused {
            refusal,
            doc_id: Some(doc_id),
        }
    }

    /// Names the document a refusal is about (other errors are left as they are).
    pub fn about(self, doc_id: &str) -> Self {
        match self {
            AppError::Refused { refusal, .. } => {
                AppError::refused(refusal, DocumentId::new(doc_id))
            }
            other => other,
        }
    }

    /// The code the client sees.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Client { code, .. } => *code,
            AppError::Refused { refusal, .. } => refusal.kind.code(),
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            _ => ErrorCode::Internal,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::RateLimited { retry_after_secs } = self {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            let body = ApiErrorBody {
                code: ErrorCode::RateLimited,
                message: if minutes == 1 {
                    "Trop de tentatives : réessayez dans une minute".to_string()
                } else {
                    format!("Trop de tentatives : réessayez dans {minutes} minutes")
                },
                doc_id: None,
            };
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(
                    axum::http::header::RETRY_AFTER,
                    retry_after_secs.to_string(),
                )],
                Json(body),
            )
                .into_response();
        }
        let mut doc_id = None;
        let (status, code, message) = match self {
            AppError::Client {
                status,
                code,
                message,
            } => (status, code, message),
            AppError::Refused {
                refusal,
                doc_id: about,
            } => {
                tracing::warn!(code = refusal.kind.code().as_str(), doc_id = ?about, reason = %refusal.message, "incoming changes refused");
                doc_id = about;
                (
                    StatusCode::from_u16(refusal.kind.http_status())
                        .unwrap_or(StatusCode::BAD_REQUEST),
                    refusal.kind.code(),
                    refusal.message,
                )
            }
            other => {
                tracing::error!(error = %other, "request failed");
                let unavailable = matches!(&other, AppError::Db(e) if storage_unavailable(e));
                if unavailable {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::Unavailable,
                        "Service momentanément indisponible, réessayez".to_string(),
                    )
                } else {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        ErrorCode::Internal,
                        "Erreur interne du serveur".to_string(),
                    )
                }
            }
        };
        // A message may quote what the caller sent: never more than a line of it.
        let message = cartable_domain::text::shown(&message, MAX_MESSAGE_CHARS);
        (
            status,
            Json(ApiErrorBody {
                code,
                message,
                doc_id,
            }),
        )
            .into_response()
    }
}

/// True when the database could not be reached or dropped the connection (a restart, a
/// failover, no connection free): the request may be retried, and is answered 503.
pub fn storage_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // PostgreSQL: connection exceptions (class 08), and the server shutting down or
        // starting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        AppError::Refused {
            refusal,
            doc_id: None,
        }
    }
}
