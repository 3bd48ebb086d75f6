//! JSON shapes of the HTTP API and its typed errors.

use serde::{Deserialize, Serialize};

/// Stable error codes: apps branch on these, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    MalformedSync,
    Unauthorized,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    /// An uploaded file is not one of the accepted types (checked by content).
    UnsupportedMediaType,
    RateLimited,
    ProtocolTooOld,
    ProtocolTooNew,
    /// The request no longer matches the current state (e.g. staff answering a dossier
    /// submission that a newer one replaced).
    Conflict,
    Unavailable,
    Internal,
    /// A synced change could not be read (truncated, bad checksum, not a change).
    CorruptChange,
    /// A synced change was written under an Automerge actor that is not the sending
    /// device's (another device's, or the server's).
    ForgedActor,
    /// A synced change writes a value of the wrong type or shape (unknown field, Automerge
    /// Text where a string is expected, a replaced root map, a value in another parent's name).
    InvalidChange,
    /// A synced request or value is over the server's limits (text length, list length, keys
    /// per map, changes or operations per request, changes waiting for their dependencies).
    ChangeTooLarge,
    /// Synced changes whose dependencies never arrived were dropped.
    MissingDependencies,
    /// A synced change writes to a document families may only read (the catalogue).
    ReadOnlyDocument,
}

impl ErrorCode {
    /// True for the codes that refuse a device's synced changes: syncing again sends the same
    /// changes and gets the same answer, so the device must not retry blindly.
    pub fn refuses_changes(self) -> bool {
        matches!(
            self,
            ErrorCode::CorruptChange
                | ErrorCode::ForgedActor
                | ErrorCode::InvalidChange
                | ErrorCode::ChangeTooLarge
                | ErrorCode::ReadOnlyDocument
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::MalformedSync => "malformed_sync",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ProtocolTooOld => "protocol_too_old",
            ErrorCode::ProtocolTooNew => "protocol_too_new",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::CorruptChange => "corrupt_change",
            ErrorCode::ForgedActor => "forged_actor",
            ErrorCode::InvalidChange => "invalid_change",
            ErrorCode::ChangeTooLarge => "change_too_large",
            ErrorCode::MissingDependencies => "missing_dependencies",
            ErrorCode::ReadOnlyDocument => "read_only_document",
        }
    }
}

/// Body of every error answer: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: ErrorCode,
    /// French, for people.
    pub message: String,
    /// The document a refusal of synced changes is about (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_id: Option<crate::ids::DocumentId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
    /// How the device names itself in the device list ("Pixel de Camille").
    #[serde(default)]
    pub device_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for this device; shown once, stored hashed on the server.
    pub token: String,
    pub device_id: String,
    pub account_id: String,
    pub family_id: String,
    pub structure_id: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub device_id: String,
    pub name: String,
    pub created_at_ms: i64,
    pub last_seen_ms: Option<i64>,
    /// True for the device making the request.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub backend: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLoginResponse {
    /// Bearer token for this session; shown once, stored hashed on the server.
    pub token: String,
    pub device_id: String,
    pub account_id: String,
    pub structure_id: String,
    pub display_name: String,
    /// "staff_admin" or "staff_agent".
    pub role: String,
}
