//! Files' bytes in the object store (`AppState::files`), by random key: supporting documents,
//! published downloads. Errors become internal errors naming the key; a failed removal is
//! logged, never returned (the row that named the object is what counts).

use crate::AppState;
use crate::error::{AppError, AppResult};
use object_store::ObjectStore;
use object_store::path::Path;

/// Stores `bytes` under `key`.
pub async fn store(state: &AppState, key: &str, bytes: Vec<u8>) -> AppResult<()> {
    state
        .files
        .put(&Path::from(key), bytes.into())
        .await
        .map(|_| ())
        .map_err(|e| AppError::internal(format!("stockage du fichier {key} : {e}")))
}

/// The bytes stored under `key`.
pub async fn load(state: &AppState, key: &str) -> AppResult<bytes::Bytes> {
    let unreadable =
        |e: object_store::Error| AppError::internal(format!("lecture du fichier {key} : {e}"));
    state
        .files
        .get(&Path::from(key))
        .await
        .map_err(unreadable)?
        .bytes()
        .await
        .map_err(unreadable)
}

/// The bytes `range` of the object under `key` (one document of a pack).
pub async fn load_range(
    state: &AppState,
    key: &str,
    range: std::ops::Range<u64>,
) -> AppResult<bytes::Bytes> {
    state
        .files
        .get_range(&Path::from(key), range.clone())
        .await
        .map_err(|e| {
            AppError::internal(format!(
                "lecture des octets {}..{} du fichier {key} : {e}",
                range.start, range.end
            ))
        })
}

/// Removes the object under `key`; `why` names it in the log if that fails.
pub async fn remove(state: &AppState, key: &str, why: &str) {
    if let Err(e) = state.files.delete(&Path::from(key)).await {
        tracing::error!(error = %e, key, "{why}: object not deleted");
    }
}
