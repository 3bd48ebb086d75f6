//! The one application error type: typed code and French message for the client, details
//! in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartable_domain::api::{ApiErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

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

    /// The code the client sees.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Client { code, .. } => *code,
            _ => ErrorCode::Internal,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            AppError::Client {
                status,
                code,
                message,
            } => (status, code, message),
            other => {
                tracing::error!(error = %other, "request failed");
                let unavailable = matches!(
                    &other,
                    AppError::Db(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_))
                );
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
        (status, Json(ApiErrorBody { code, message })).into_response()
    }
}
