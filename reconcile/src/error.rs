//! What can go wrong inside the core: only documents the server itself should never have
//! written (a planning without its `decisions` map) or Automerge refusing a write.

/// An error of the reconciliation core; the server answers it as an internal error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error("planning sans carte des décisions")]
    NoDecisionsMap,
    #[error("écriture dans le document : {0}")]
    Write(String),
    #[error("document illisible : {0}")]
    Unreadable(String),
    #[error("aucune demande pour cette case")]
    NoRequest,
}

impl From<automerge::AutomergeError> for CoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        CoreError::Write(e.to_string())
    }
}
