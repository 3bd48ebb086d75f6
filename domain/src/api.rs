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
    /// The address exists but not with this HTTP method.
    MethodNotAllowed,
    /// The request took too long to arrive or to be answered.
    Timeout,
    /// The family's supporting documents use up their storage quota.
    QuotaExceeded,
    /// The account signed in with a one-time password: it must choose its own password
    /// (`POST /api/v1/password`) before anything else.
    PasswordChangeRequired,
}

impl ErrorCode {
    /// Every code, for documentation.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::MalformedSync,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::ProtocolTooOld,
        ErrorCode::ProtocolTooNew,
        ErrorCode::Conflict,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Timeout,
        ErrorCode::QuotaExceeded,
        ErrorCode::PasswordChangeRequired,
        ErrorCode::CorruptChange,
        ErrorCode::ForgedActor,
        ErrorCode::InvalidChange,
        ErrorCode::ChangeTooLarge,
        ErrorCode::MissingDependencies,
        ErrorCode::ReadOnlyDocument,
    ];

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
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Timeout => "timeout",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::PasswordChangeRequired => "password_change_required",
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
    /// The proof this device was given at its last successful login to this account
    /// (`known_device` of the answer): its attempts are then counted apart, so someone
    /// else's failed guesses never lock it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_device: Option<String>,
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
    /// The password used was one-time: until `POST /api/v1/password` sets the parent's own,
    /// every other call answers 403 `password_change_required`.
    #[serde(default)]
    pub must_change_password: bool,
    /// Proof that this device signed in to this account; keep it and send it with the next
    /// login (`LoginRequest::known_device`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub device_id: String,
    pub name: String,
    pub created_at_ms: i64,
    pub last_seen_ms: Option<i64>,
    /// True for the device making the request.
    pub current: bool,
    /// When the session ends unless it is used again (idle expiry, capped by its lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
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
    /// The password used was one-time: choose one with `POST /api/v1/password` first.
    #[serde(default)]
    pub must_change_password: bool,
    /// See [`LoginResponse::known_device`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_device: Option<String>,
}

/// `POST /api/v1/password`: the signed-in account chooses a new password. Every other
/// session of the account ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// A one-time password issued for an account by staff or the admin command: to be handed
/// over, and replaced at the first login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimePassword {
    pub account_id: String,
    pub login: String,
    pub password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_serialises_as_its_name() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("json");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            // A new variant must be added to ALL: this match stops compiling otherwise.
            match code {
                ErrorCode::BadRequest
                | ErrorCode::MalformedSync
                | ErrorCode::Unauthorized
                | ErrorCode::Forbidden
                | ErrorCode::NotFound
                | ErrorCode::PayloadTooLarge
                | ErrorCode::UnsupportedMediaType
                | ErrorCode::RateLimited
                | ErrorCode::ProtocolTooOld
                | ErrorCode::ProtocolTooNew
                | ErrorCode::Conflict
                | ErrorCode::Unavailable
                | ErrorCode::Internal
                | ErrorCode::MethodNotAllowed
                | ErrorCode::Timeout
                | ErrorCode::QuotaExceeded
                | ErrorCode::PasswordChangeRequired
                | ErrorCode::CorruptChange
                | ErrorCode::ForgedActor
                | ErrorCode::InvalidChange
                | ErrorCode::ChangeTooLarge
                | ErrorCode::MissingDependencies
                | ErrorCode::ReadOnlyDocument => {}
            }
        }
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
