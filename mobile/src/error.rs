//! The one error the app sees, and the one place that builds it.
//!
//! The client core has a rich [`cartable_core::Error`] (ten variants, server codes, causes).
//! Apps need fewer, stable cases they can branch on: "show the login screen", "retry later",
//! "fix what the parent typed", "report a bug". [`CartableError`] is that small set; [`from_core`]
//! is the single mapping from the rich error, and decides what is worth logging.
//!
//! Every variant carries `reason`, a French sentence to show to the parent as is. (The field is
//! not called `message`: uniffi's Kotlin output would then clash with `Throwable.message`.)

use cartable_core::domain::api::ErrorCode;
use std::any::Any;

/// Why a call failed. Branch on the variant (a stable code, also given by `errorCode()`);
/// show `reason` (or `userMessage()`, on any variant) to the parent.
///
/// In Kotlin this is the sealed class `CartableException` (`CartableException.Network`, ...);
/// in Swift the enum `CartableError` (`.Network(reason:)`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CartableError {
    /// The server could not be reached, or a sync could not finish: the phone is offline, the
    /// connection broke or timed out. Nothing is lost; retry later (edits stay queued).
    #[error("{reason}")]
    Network {
        /// French, for the parent.
        reason: String,
    },

    /// The server refused this device's credentials: wrong login or password at sign-in, or
    /// the device was revoked (e.g. from another phone). Show the login screen.
    #[error("{reason}")]
    Unauthorized {
        /// French, for the parent.
        reason: String,
    },

    /// The parent signed in with a one-time password (printed by the town hall): show the
    /// "choose your password" screen and call `changePassword`; nothing else works until then.
    #[error("{reason}")]
    PasswordChangeRequired {
        /// French, for the parent.
        reason: String,
    },

    /// The call needs a signed-in device: show the login screen.
    #[error("{reason}")]
    NotLoggedIn {
        /// French, for the parent.
        reason: String,
    },

    /// `login` was called on a device that is already signed in: call `logout` first.
    #[error("{reason}")]
    AlreadyLoggedIn {
        /// French, for the parent.
        reason: String,
    },

    /// The data this call needs has not been downloaded yet: call `sync` first.
    #[error("{reason}")]
    NotDownloaded {
        /// French, for the parent.
        reason: String,
    },

    /// A value given by the parent or the app was refused (bad date, unknown child, activity
    /// not running that day, invalid field value...). The reason says what to fix.
    #[error("{reason}")]
    InvalidInput {
        /// French, for the parent.
        reason: String,
    },

    /// `book` was not written: the structure's server is certain to refuse it, as the phone
    /// knows from its last sync (closed day, public holiday, day the activity does not run,
    /// booking deadline passed, child not eligible). Show `reason` (the server's very
    /// words); to ask the structure for an exception anyway, call `bookInsisting`.
    #[error("{reason}")]
    WouldBeRefused {
        /// The server's refusal cause: `closure`, `public_holiday`, `not_running`,
        /// `deadline`, `not_eligible`, `unknown_child` or `outside_school_year`. (Not called
        /// `cause`: Kotlin's `Throwable.cause` is the exception's cause.)
        refusal_cause: String,
        /// French, for the parent (the server's wording, e.g. "Fermé : Vacances de Noël").
        reason: String,
    },

    /// The server answered with an error of its own.
    #[error("{reason}")]
    Server {
        /// The server's stable code: `rate_limited`, `unavailable`, `protocol_too_old` (the
        /// app must be updated), `forbidden`, `not_found`, `bad_request`, ... or
        /// `unreadable_response` when the answer could not be read at all.
        code: String,
        /// French, for the parent (written by the server).
        reason: String,
    },

    /// The structure's server refused changes made on this phone to one document (a value it
    /// does not accept, over a limit, unreadable). Syncing again would send the same changes:
    /// that document's changes are no longer sent (it still receives the structure's news)
    /// and the other documents keep syncing. Show `reason`; `discardRefusedChanges(docId)`
    /// drops this phone's unsent changes to the document and downloads it again.
    #[error("{reason}")]
    ChangesRefused {
        /// The server's code: `invalid_change`, `change_too_large`, `corrupt_change`,
        /// `forged_actor` or `read_only_document`.
        code: String,
        /// The document concerned.
        doc_id: String,
        /// French, for the parent (written by the server).
        reason: String,
    },

    /// The phone's local store failed (disk full, corrupt file). Edits made before are safe
    /// as far as the disk is; report it if it persists.
    #[error("{reason}")]
    Storage {
        /// French, for the parent.
        reason: String,
    },

    /// A bug inside the library (it was caught: the app keeps running). Report it.
    #[error("{reason}")]
    Internal {
        /// French, for the parent; details are in the log.
        reason: String,
    },
}

/// Result of every exported call.
pub type Result<T, E = CartableError> = std::result::Result<T, E>;

#[uniffi::export]
impl CartableError {
    /// The stable code of this error, to log or branch on: `network`, `unauthorized`,
    /// `not_logged_in`, `already_logged_in`, `not_downloaded`, `invalid_input`,
    /// `would_be_refused`, `server`,
    /// `changes_refused`, `storage`, `internal` or `password_change_required` (the server's
    /// own code is in `Server.code` and `ChangesRefused.code`).
    pub fn error_code(&self) -> String {
        match self {
            CartableError::Network { .. } => "network",
            CartableError::Unauthorized { .. } => "unauthorized",
            CartableError::PasswordChangeRequired { .. } => "password_change_required",
            CartableError::NotLoggedIn { .. } => "not_logged_in",
            CartableError::AlreadyLoggedIn { .. } => "already_logged_in",
            CartableError::NotDownloaded { .. } => "not_downloaded",
            CartableError::InvalidInput { .. } => "invalid_input",
            CartableError::WouldBeRefused { .. } => "would_be_refused",
            CartableError::Server { .. } => "server",
            CartableError::ChangesRefused { .. } => "changes_refused",
            CartableError::Storage { .. } => "storage",
            CartableError::Internal { .. } => "internal",
        }
        .to_string()
    }

    /// The French sentence to show to the parent, whatever the variant (same as `reason`).
    pub fn user_message(&self) -> String {
        self.to_string()
    }
}

impl CartableError {
    /// Invalid input detected by this layer (e.g. a date the app passed).
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        CartableError::InvalidInput {
            reason: reason.into(),
        }
    }

    /// The error for a panic caught at the boundary; logs what panicked.
    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panique sans message".to_string());
        tracing::error!(panic = %what, "panique interceptée à la frontière mobile");
        CartableError::Internal {
            reason: "Erreur interne de l'application : l'opération n'a pas abouti. \
                     Réessayez ; si cela se reproduit, signalez-le."
                .to_string(),
        }
    }
}

/// The one mapping from the client core's error to the app's. Storage and protocol failures
/// are logged (they are bugs or broken phones); the others are ordinary outcomes.
pub(crate) fn from_core(e: cartable_core::Error) -> CartableError {
    use cartable_core::Error as E;
    let reason = e.to_string();
    match e {
        E::Network(_) | E::SyncDidNotSettle { .. } => CartableError::Network { reason },
        E::Server {
            code: ErrorCode::Unauthorized,
            ..
        } => CartableError::Unauthorized { reason },
        E::Server {
            code: ErrorCode::PasswordChangeRequired,
            ..
        } => CartableError::PasswordChangeRequired { reason },
        E::Server { code, status, .. } => {
            if status >= 500 {
                tracing::warn!(code = code.as_str(), status, "erreur du serveur");
            }
            CartableError::Server {
                code: code.as_str().to_string(),
                reason,
            }
        }
        E::ChangesRefused { code, doc_id, .. } => {
            tracing::warn!(code = code.as_str(), doc = %doc_id, "modifications refusées par le serveur");
            CartableError::ChangesRefused {
                code: code.as_str().to_string(),
                doc_id: doc_id.to_string(),
                reason,
            }
        }
        E::Protocol(ref detail) => {
            tracing::error!(detail = %detail, "réponse du serveur illisible");
            CartableError::Server {
                code: "unreadable_response".to_string(),
                reason,
            }
        }
        E::NotLoggedIn => CartableError::NotLoggedIn { reason },
        E::AlreadyLoggedIn => CartableError::AlreadyLoggedIn { reason },
        E::NotDownloaded(_) => CartableError::NotDownloaded { reason },
        E::InvalidInput(_) => CartableError::InvalidInput { reason },
        E::WouldBeRefused { cause, .. } => CartableError::WouldBeRefused {
            refusal_cause: cause.code().to_string(),
            reason,
        },
        E::Document(ref detail) | E::Storage(ref detail) => {
            tracing::error!(detail = %detail, "stockage local en échec");
            CartableError::Storage { reason }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_unauthorized_becomes_its_own_variant_and_other_codes_keep_theirs() {
        let unauthorized = cartable_core::Error::Server {
            status: 401,
            code: ErrorCode::Unauthorized,
            message: "Appareil révoqué".into(),
        };
        assert_eq!(
            from_core(unauthorized),
            CartableError::Unauthorized {
                reason: "Appareil révoqué".into()
            }
        );
        let limited = cartable_core::Error::Server {
            status: 429,
            code: ErrorCode::RateLimited,
            message: "Trop de tentatives".into(),
        };
        assert_eq!(
            from_core(limited),
            CartableError::Server {
                code: "rate_limited".into(),
                reason: "Trop de tentatives".into()
            }
        );
    }

    #[test]
    fn refused_changes_keep_the_servers_code_and_document() {
        let refused = cartable_core::Error::ChangesRefused {
            status: 422,
            code: ErrorCode::InvalidChange,
            message: "Modification refusée sur « children » : …".into(),
            doc_id: cartable_core::domain::ids::DocumentId::new("d1"),
        };
        let e = from_core(refused);
        assert_eq!(e.error_code(), "changes_refused");
        assert_eq!(
            e,
            CartableError::ChangesRefused {
                code: "invalid_change".into(),
                doc_id: "d1".into(),
                reason: "Modification refusée sur « children » : …".into(),
            }
        );
    }

    #[test]
    fn every_variant_carries_the_french_sentence_of_the_core() {
        let e = from_core(cartable_core::Error::NotDownloaded("le dossier".into()));
        assert_eq!(
            e.to_string(),
            "le dossier pas encore téléchargé : synchronisez d'abord"
        );
        let e = from_core(cartable_core::Error::SyncDidNotSettle { rounds: 8 });
        assert!(matches!(e, CartableError::Network { .. }), "{e:?}");
        let e = from_core(cartable_core::Error::Document("x".into()));
        assert!(matches!(e, CartableError::Storage { .. }), "{e:?}");
        let e = from_core(cartable_core::Error::WouldBeRefused {
            cause: cartable_core::domain::refusal::RefusalCause::Closure,
            reason: "Fermé : Vacances de Noël".into(),
        });
        assert_eq!(
            e,
            CartableError::WouldBeRefused {
                refusal_cause: "closure".into(),
                reason: "Fermé : Vacances de Noël".into()
            }
        );
        assert_eq!(e.error_code(), "would_be_refused");
    }
}
