//! Supporting documents asked for by a dossier review (a QF certificate after a change of
//! quotient familial): once the family sends one, it is no longer asked for, neither in the
//! family's dossier nor in staff's review. Staff still accept or reject the file itself.

use crate::AppState;
use crate::db::{documents, reviews};
use crate::docs::review::write_review;
use crate::error::{AppError, AppResult};
use cartable_domain::DocKind;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::FamilyId;

/// Records that the family sent a document of `kind`. Returns true when it had been asked for.
pub async fn document_received(
    state: &AppState,
    family_id: &FamilyId,
    kind: &str,
) -> AppResult<bool> {
    let doc_id = {
        let mut conn = state.db.pool.acquire().await?;
        documents::family_document(&mut conn, family_id, DocKind::Dossier, None).await?
    };
    let Some(doc_id) = doc_id.map(|row| row.id) else {
        return Ok(false);
    };
    let mut write = state.docs.begin_write(&state.db, &doc_id).await?;
    let (conn, doc) = write.parts().await?;
    let mut cleared = false;
    if let Some(version) = reviews::latest(conn, family_id, None).await?
        && version.requested_documents.iter().any(|k| k == kind)
    {
        let left: Vec<String> = version
            .requested_documents
            .iter()
            .filter(|k| *k != kind)
            .cloned()
            .collect();
        reviews::set_requested_documents(conn, version.id, &left).await?;
        cleared = true;
    }
    let dossier: Dossier = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
    if let Some(mut review) = dossier.review
        && review.requested_documents.iter().any(|k| k == kind)
    {
        review.requested_documents.retain(|k| k != kind);
        write_review(doc, &review)?;
        cleared = true;
    }
    write.commit(state.settings.compaction_threshold).await?;
    Ok(cleared)
}
