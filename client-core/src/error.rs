//! The client core's one error type.
//!
//! Every fallible call of the core returns [`Error`]. Its `Display` is a French sentence a parent
//! can read; [`Error::code`] is a stable string the app (or `cartable --json`) branches on.
//! Errors from outside the process (network, server, disk, documents) are always values, never
//! panics.

use cartable_domain::api::{ApiErrorBody, ErrorCode};
use cartable_domain::ids::DocumentId;
use cartable_domain::refusal::RefusalCause;

/// Everything that can go wrong in the client core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached or the connection broke (offline, DNS, timeout, TLS).
    #[error("serveur injoignable : {0}")]
    Network(String),

    /// The server answered with a typed error (`ApiErrorBody`).
    #[error("{message}")]
    Server {
        /// HTTP status of the answer.
        status: u16,
        /// Stable code to branch on.
        code: ErrorCode,
        /// French message written by the server, for people.
        message: String,
    },

    /// The server refused changes made on this device to one document (a value it does not
    /// accept, over a limit, unreadable...). Sending them again would get the same answer, so
    /// the document is left out of the next syncs (it still receives the server's news) until
    /// [`crate::Client::discard_refused_changes`] drops this device's unsent changes to it.
    #[error("{message}")]
    ChangesRefused {
        /// HTTP status of the answer.
        status: u16,
        /// Why: `invalid_change`, `change_too_large`, `corrupt_change`, `forged_actor` or
        /// `read_only_document`.
        code: ErrorCode,
        /// French message written by the server, for people.
        message: String,
        /// The document whose changes were refused.
        doc_id: DocumentId,
    },

    /// The server answered something this build cannot read.
    #[error("réponse du serveur illisible : {0}")]
    Protocol(String),

    /// The call needs a signed-in device.
    #[error("cet appareil n'est pas connecté : connectez-vous d'abord")]
    NotLoggedIn,

    /// The call needs a session-less store (e.g. logging in twice).
    #[error("cet appareil est déjà connecté : déconnectez-vous d'abord")]
    AlreadyLoggedIn,

    /// The document is known but has not been received from the server yet.
    #[error("{0} pas encore téléchargé : synchronisez d'abord")]
    NotDownloaded(String),

    /// A value given by the user or the app was refused.
    #[error("{0}")]
    InvalidInput(String),

    /// The server is certain to refuse this booking, as the device knows from what it synced
    /// (a closed day, a public holiday, a passed deadline, a child who is not eligible...):
    /// nothing was written. [`crate::Client::book_insisting`] writes it anyway, as a request
    /// for the structure's staff to decide.
    #[error("{reason}")]
    WouldBeRefused {
        /// The cause the server would give.
        cause: RefusalCause,
        /// The server's very French sentence, e.g. "Fermé : Vacances de Noël".
        reason: String,
    },

    /// The sync did not settle within the allowed number of round trips. What was exchanged is
    /// kept; syncing again continues from there.
    #[error("la synchronisation n'a pas abouti en {rounds} échanges ; réessayez")]
    SyncDidNotSettle {
        /// Round trips made.
        rounds: u32,
    },

    /// A local document could not be read or written (corrupt or unexpected content).
    #[error("document local illisible : {0}")]
    Document(String),

    /// The local store (SQLite file) failed.
    #[error("erreur du stockage local : {0}")]
    Storage(String),
}

impl Error {
    /// A stable, machine-readable code for this error (snake_case).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Network(_) => "network",
            Error::Server { code, .. } | Error::ChangesRefused { code, .. } => code.as_str(),
            Error::Protocol(_) => "protocol",
            Error::NotLoggedIn => "not_logged_in",
            Error::AlreadyLoggedIn => "already_logged_in",
            Error::NotDownloaded(_) => "not_downloaded",
            Error::InvalidInput(_) => "invalid_input",
            Error::WouldBeRefused { .. } => "would_be_refused",
            Error::SyncDidNotSettle { .. } => "sync_did_not_settle",
            Error::Document(_) => "document",
            Error::Storage(_) => "storage",
        }
    }

    /// Builds a server error from an HTTP status and its JSON body.
    pub(crate) fn from_api(status: u16, body: ApiErrorBody) -> Self {
        match body.doc_id {
            Some(doc_id) if body.code.refuses_changes() => Error::ChangesRefused {
                status,
                code: body.code,
                message: body.message,
                doc_id,
            },
            _ => Error::Server {
                status,
                code: body.code,
                message: body.message,
            },
        }
    }

    /// True when the server said the document does not exist for this family.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::Server {
                code: ErrorCode::NotFound,
                ..
            }
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Self {
        Error::Document(e.to_string())
    }
}

impl From<autosurgeon::ReconcileError> for Error {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        Error::Document(e.to_string())
    }
}

impl From<autosurgeon::HydrateError> for Error {
    fn from(e: autosurgeon::HydrateError) -> Self {
        Error::Document(e.to_string())
    }
}

impl From<cartable_domain::dossier::FieldError> for Error {
    fn from(e: cartable_domain::dossier::FieldError) -> Self {
        Error::InvalidInput(e.to_string())
    }
}

/// Result alias of the client core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
