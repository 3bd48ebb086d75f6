//! Why incoming changes were refused: a stable kind (mapped onto the API's error code and an
//! HTTP status) and a French sentence saying what was wrong.

use cartable_domain::api::ErrorCode;

/// What kind of check refused the changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// A change could not be read.
    Corrupt,
    /// A change was written under another device's or the server's actor.
    ForgedActor,
    /// A value of the wrong type or shape.
    Invalid,
    /// Over a size limit.
    TooLarge,
    /// Changes whose dependencies never arrived.
    MissingDependencies,
    /// A write to a document families may only read.
    ReadOnly,
}

impl RefusalKind {
    /// The API error code the device receives.
    pub fn code(self) -> ErrorCode {
        match self {
            RefusalKind::Corrupt => ErrorCode::CorruptChange,
            RefusalKind::ForgedActor => ErrorCode::ForgedActor,
            RefusalKind::Invalid => ErrorCode::InvalidChange,
            RefusalKind::TooLarge => ErrorCode::ChangeTooLarge,
            RefusalKind::MissingDependencies => ErrorCode::MissingDependencies,
            RefusalKind::ReadOnly => ErrorCode::ReadOnlyDocument,
        }
    }

    /// The HTTP status of the answer.
    pub fn http_status(self) -> u16 {
        match self {
            RefusalKind::Corrupt => 400,
            RefusalKind::ForgedActor | RefusalKind::ReadOnly => 403,
            RefusalKind::Invalid => 422,
            RefusalKind::TooLarge => 413,
            RefusalKind::MissingDependencies => 409,
        }
    }
}

/// Incoming changes that may not be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub kind: RefusalKind,
    /// French, for people: what was wrong and where.
    pub message: String,
}

impl Refusal {
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn corrupt(detail: impl std::fmt::Display) -> Self {
        Self::new(
            RefusalKind::Corrupt,
            format!("Modification illisible : {detail}"),
        )
    }

    pub fn invalid(path: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(
            RefusalKind::Invalid,
            format!("Modification refusée sur « {path} » : {detail}"),
        )
    }

    pub fn too_large(detail: impl std::fmt::Display) -> Self {
        Self::new(
            RefusalKind::TooLarge,
            format!("Modification trop grande : {detail}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_client_error_status_and_its_own_code() {
        let kinds = [
            RefusalKind::Corrupt,
            RefusalKind::ForgedActor,
            RefusalKind::Invalid,
            RefusalKind::TooLarge,
            RefusalKind::MissingDependencies,
            RefusalKind::ReadOnly,
        ];
        let codes: std::collections::BTreeSet<&str> =
            kinds.iter().map(|k| k.code().as_str()).collect();
        assert_eq!(codes.len(), kinds.len());
        assert!(kinds.iter().all(|k| (400..500).contains(&k.http_status())));
        assert!(!RefusalKind::MissingDependencies.code().refuses_changes());
        assert!(RefusalKind::Invalid.code().refuses_changes());
    }
}
