//! The structure's catalogue on the server: staff change it, families receive it through
//! sync as a read-only document.

use crate::AppState;
use crate::db::documents;
use crate::error::{AppError, AppResult};
use cartable_domain::DocKind;
use cartable_domain::catalogue::Catalogue;

/// The catalogue document's id for a structure.
pub async fn doc_id(state: &AppState, structure_id: &str) -> AppResult<String> {
    let mut conn = state.db.pool.acquire().await?;
    documents::structure_document(&mut conn, structure_id, DocKind::Catalogue.code())
        .await?
        .map(|row| row.id)
        .ok_or_else(AppError::not_found)
}

/// The current catalogue.
pub async fn read(state: &AppState, structure_id: &str) -> AppResult<Catalogue> {
    let id = doc_id(state, structure_id).await?;
    state.docs.read(&id).await
}

/// Applies `change` to the catalogue and stores it, all or nothing.
pub async fn update(
    state: &AppState,
    structure_id: &str,
    change: impl FnOnce(&mut Catalogue) -> AppResult<()>,
) -> AppResult<Catalogue> {
    let id = doc_id(state, structure_id).await?;
    let mut write = state.docs.begin_write(&state.db, &id).await?;
    let doc = write.doc()?;
    let mut catalogue: Catalogue = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("catalogue illisible : {e}")))?;
    change(&mut catalogue)?;
    autosurgeon::reconcile(doc, &catalogue)
        .map_err(|e| AppError::internal(format!("écriture du catalogue : {e}")))?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(catalogue)
}
