//! The structure's catalogue on the server: staff change it, families receive it through
//! sync as a read-only document.

use crate::AppState;
use crate::db::documents::DocRow;
use crate::db::{audit, documents};
use crate::docs::write::DocWrite;
use crate::error::{AppError, AppResult};
use cartable_domain::DocKind;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::ids::{DocumentId, StructureId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Hydrated catalogues by document id, with the storage version they reflect: every
/// planning write needs its structure's catalogue, and it changes rarely.
#[derive(Debug, Default)]
pub struct CatalogueCache {
    by_doc: Mutex<HashMap<DocumentId, (i64, Arc<Catalogue>)>>,
}

impl CatalogueCache {
    /// The catalogue of `row` at `row.version` (a row read by the current request).
    pub async fn get(&self, state: &AppState, row: &DocRow) -> AppResult<Arc<Catalogue>> {
        {
            let cached = self.by_doc.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((version, catalogue)) = cached.get(&row.id)
                && *version == row.version
            {
                return Ok(catalogue.clone());
            }
        }
        let catalogue: Arc<Catalogue> = Arc::new(state.docs.read(&row.id).await?);
        let mut cached = self.by_doc.lock().unwrap_or_else(|p| p.into_inner());
        cached.insert(row.id.clone(), (row.version, catalogue.clone()));
        Ok(catalogue)
    }
}

/// The catalogue document's id for a structure.
pub async fn doc_id(state: &AppState, structure_id: &StructureId) -> AppResult<DocumentId> {
    let mut conn = state.db.pool.acquire().await?;
    documents::structure_document(&mut conn, structure_id, DocKind::Catalogue)
        .await?
        .map(|row| row.id)
        .ok_or_else(AppError::not_found)
}

/// The current catalogue.
pub async fn read(state: &AppState, structure_id: &StructureId) -> AppResult<Catalogue> {
    let id = doc_id(state, structure_id).await?;
    state.docs.read(&id).await
}

/// Applies `change` to the catalogue and stores it, all or nothing.
pub async fn update(
    state: &AppState,
    structure_id: &StructureId,
    change: impl FnOnce(&mut Catalogue) -> AppResult<()>,
) -> AppResult<Catalogue> {
    let (write, catalogue, ()) = changed(state, structure_id, change).await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(catalogue)
}

/// Applies a change staff asked for, as [`update`], with its entry in the audit log written
/// in the same transaction: `change` returns the entry's detail. The change is never stored
/// without its entry, nor the entry without the change.
pub async fn update_by(
    state: &AppState,
    structure_id: &StructureId,
    who: audit::Who<'_>,
    action: &str,
    change: impl FnOnce(&mut Catalogue) -> AppResult<String>,
) -> AppResult<Catalogue> {
    let (mut write, catalogue, detail) = changed(state, structure_id, change).await?;
    let (conn, _) = write.parts().await?;
    audit::record(conn, who, action, None, &detail).await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(catalogue)
}

/// The catalogue's write with `change` applied to its document, not yet committed.
async fn changed<T>(
    state: &AppState,
    structure_id: &StructureId,
    change: impl FnOnce(&mut Catalogue) -> AppResult<T>,
) -> AppResult<(DocWrite, Catalogue, T)> {
    let id = doc_id(state, structure_id).await?;
    let mut write = state.docs.begin_write(&state.db, &id).await?;
    let doc = write.doc()?;
    let mut catalogue: Catalogue = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("catalogue illisible : {e}")))?;
    let outcome = change(&mut catalogue)?;
    autosurgeon::reconcile(doc, &catalogue)
        .map_err(|e| AppError::internal(format!("écriture du catalogue : {e}")))?;
    Ok((write, catalogue, outcome))
}
