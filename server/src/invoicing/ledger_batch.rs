//! The ledgers of the families a batch of documents was issued to, republished together:
//! one transaction writes every family's ledger document, records the new PDFs' keys and
//! releases the families' held "invoice issued" notifications, so a batch of families costs
//! one commit instead of one per family. A ledger that is current (created by the issuing
//! transaction, nothing changed since) only gets its new PDFs' hashes; the others are read
//! from the tables for the whole batch at once and written with [`ledger_write::write`].

use super::pdf::{self, StoredPdf};
use super::{ledger, ledger_pdf, ledger_write};
use crate::AppState;
use crate::db::documents;
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use crate::push::causes::HeldEvent;
use cartable_domain::DocKind;
use cartable_domain::ids::{DocumentId, FamilyId, StructureId};
use std::collections::{BTreeMap, BTreeSet};

/// Publishes the ledgers of `families` (whose documents the issuing transactions created)
/// with the PDFs `stored`, and releases their `held` notifications. Families without a
/// ledger document yet are returned, for [`ledger::publish`] to create it (their
/// notifications stay held).
pub async fn publish<'a>(
    state: &AppState,
    structure_id: &str,
    families: &BTreeSet<&'a str>,
    stored: &[StoredPdf],
    held: &[HeldEvent],
) -> AppResult<Vec<&'a str>> {
    let mode = catalogue::read(state, &StructureId::from(structure_id))
        .await
        .map(|c| c.billing.mode)
        .unwrap_or_default();
    let mut family_of: BTreeMap<DocumentId, &str> = BTreeMap::new();
    let mut without = Vec::new();
    {
        let mut conn = state.db.pool.acquire().await?;
        let ids: Vec<&str> = families.iter().copied().collect();
        let mut ledgers =
            documents::family_documents(&mut conn, structure_id, &ids, DocKind::Ledger).await?;
        for family_id in families {
            match ledgers.remove(&FamilyId::from(*family_id)) {
                Some(row) => {
                    family_of.insert(row.id, family_id);
                }
                None => without.push(*family_id),
            }
        }
    }
    let mut hashes: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for s in stored {
        hashes
            .entry(s.family_id.as_str())
            .or_default()
            .push((s.number.as_str(), s.sha256.as_str()));
    }
    let ids: Vec<DocumentId> = family_of.keys().cloned().collect();
    let mut write = state.docs.begin_batch_write(&state.db, &ids).await?;
    pdf::record(write.conn()?, stored).await?;
    let with_ledger: Vec<&str> = family_of.values().copied().collect();
    let current = ledger::current_among(write.conn()?, &with_ledger).await?;
    let mut to_fill = Vec::new();
    for (index, doc_id) in write.doc_ids().iter().enumerate() {
        let family_id = family_of
            .get(doc_id)
            .copied()
            .ok_or_else(|| AppError::internal("relevé de compte sans famille"))?;
        let (_, doc) = write.parts(index)?;
        // A ledger created by the issuing transaction shows the new documents already:
        // only their PDFs' hashes are missing. Any other ledger is rebuilt from the tables.
        let new_pdfs = hashes.get(family_id).map(Vec::as_slice).unwrap_or_default();
        if !(current.contains(family_id) && ledger_pdf::put_pdf_hashes(doc, new_pdfs)?) {
            to_fill.push((index, family_id));
        }
    }
    if !to_fill.is_empty() {
        let families: Vec<&str> = to_fill.iter().map(|(_, f)| *f).collect();
        let mut built = ledger::build_many(write.conn()?, structure_id, &families, mode).await?;
        let mut published = Vec::with_capacity(to_fill.len());
        for (index, family_id) in to_fill {
            let (noted, data) = built
                .remove(family_id)
                .ok_or_else(|| AppError::internal("relevé de compte non lu"))?;
            let (_, doc) = write.parts(index)?;
            ledger_write::write(doc, &data)?;
            published.push((family_id, noted));
        }
        ledger::mark_published_many(write.conn()?, &published).await?;
    }
    // The ledgers show the new documents: their notifications may go.
    let now = state.clock.now().as_millisecond();
    let with_ledger: BTreeSet<&str> = with_ledger.into_iter().collect();
    let published = held
        .iter()
        .filter(|h| with_ledger.contains(h.family_id.as_str()));
    crate::push::causes::invoice_ready(write.conn()?, published, now).await?;
    write.commit(state.settings.compaction_threshold).await?;
    state.push.wake();
    Ok(without)
}
