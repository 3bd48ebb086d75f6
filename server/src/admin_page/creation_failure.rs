//! Why the creation of a family failed after every field was found right, and what the form,
//! shown again with everything typed, says about it. The creation is one transaction: in
//! every case nothing was kept, and the message says so.

use crate::error::{AppError, storage_unavailable};
use axum::http::StatusCode;

/// A failure of the family's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreationFailure {
    /// The database could not be reached or dropped the connection: retry later.
    StorageUnavailable,
    /// A login was taken by another record between the form's checks and the write.
    LoginTaken,
    /// Any other refusal of the database (a bug or a broken storage): retry, then call for help.
    Storage,
}

impl CreationFailure {
    /// The failure `e` is, or `None` for an error the form does not show (a client error is
    /// said next to its field; the others are the generic error page's).
    pub fn of(e: &AppError) -> Option<CreationFailure> {
        let AppError::Db(db) = e else {
            return None;
        };
        Some(if storage_unavailable(db) {
            CreationFailure::StorageUnavailable
        } else if matches!(db, sqlx::Error::Database(d) if d.is_unique_violation()) {
            CreationFailure::LoginTaken
        } else {
            CreationFailure::Storage
        })
    }

    /// The answer's status.
    pub fn status(self) -> StatusCode {
        match self {
            CreationFailure::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            CreationFailure::LoginTaken => StatusCode::CONFLICT,
            CreationFailure::Storage => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the form says, above the fields.
    pub fn message_fr(self) -> &'static str {
        match self {
            CreationFailure::StorageUnavailable => {
                "Le service est momentanément indisponible : rien n'a été enregistré. Vos \
                 saisies sont conservées ci-dessous ; validez à nouveau dans quelques instants."
            }
            CreationFailure::LoginTaken => {
                "Un identifiant demandé vient d'être attribué à un autre compte : rien n'a été \
                 enregistré. Vos saisies sont conservées ci-dessous ; choisissez un autre \
                 identifiant, ou laissez le champ vide pour qu'il soit proposé, et validez à \
                 nouveau."
            }
            CreationFailure::Storage => {
                "L'enregistrement a échoué sur le serveur : rien n'a été enregistré. Vos \
                 saisies sont conservées ci-dessous ; validez à nouveau, et si l'échec se \
                 répète, signalez-le à l'assistance."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_storage_is_a_503_and_a_client_error_is_not_a_failure() {
        let unavailable = AppError::Db(sqlx::Error::PoolTimedOut);
        assert_eq!(
            CreationFailure::of(&unavailable),
            Some(CreationFailure::StorageUnavailable)
        );
        assert_eq!(
            CreationFailure::StorageUnavailable.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            CreationFailure::of(&AppError::Db(sqlx::Error::RowNotFound)),
            Some(CreationFailure::Storage)
        );
        assert_eq!(CreationFailure::of(&AppError::bad_request("non")), None);
        assert_eq!(CreationFailure::of(&AppError::internal("bug")), None);
    }
}
