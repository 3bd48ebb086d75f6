//! What happens around an issued document: its row, the hook inside the issuing transaction
//! (where notifications are enqueued), and the work after the commit (PDFs, ledgers).

use super::content::InvoiceContent;
use super::pdf::{self, StoredPdf};
use super::{ledger, ledger_batch, ledger_rows};
use crate::AppState;
use crate::db::invoices::InvoiceRow;
use crate::error::{AppError, AppResult};
use crate::push::causes::HeldEvent;
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::tariffs::BillingMode;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

/// The row storing `content`, numbered `seq` of `year`.
pub fn row(
    structure_id: &str,
    mut content: InvoiceContent,
    run_month: Option<String>,
    seq: i64,
    year: i64,
    issued_by: &str,
    now: jiff::Timestamp,
) -> AppResult<InvoiceRow> {
    if content.payment_reference.is_empty() && content.total_cents > 0 {
        content.payment_reference = content.number.clone();
    }
    let json = serde_json::to_string(&content)
        .map_err(|e| AppError::internal(format!("facture illisible : {e}")))?;
    Ok(InvoiceRow {
        id: crate::auth::new_id(),
        structure_id: structure_id.to_string(),
        family_id: content.family.family_id.clone(),
        kind: content.kind.code().to_string(),
        number: content.number.clone(),
        year,
        seq,
        run_month,
        issued_on: content.issued_on.clone(),
        due_on: content.due_on.clone(),
        total_cents: content.total_cents,
        refers_to: content.refers_to.clone(),
        reason: content.reason.clone(),
        content: json,
        issued_by: issued_by.to_string(),
        issued_at_ms: now.as_millisecond(),
        pdf_key: None,
        pdf_sha256: None,
        pdf_offset: None,
        pdf_length: None,
    })
}

/// THE place where an issued document (invoice, credit note, statement) is committed: called
/// in the issuing transaction for every document, just after its row is written, so what is
/// done here commits with it or not at all. It makes sure the family's ledger document
/// exists (the document the phone syncs to show it; created already showing this document
/// when it is the family's first, under the structure's billing `mode`) and enqueues the
/// "new invoice" push notification with that id, held until [`after_commit`] has
/// republished the ledger: it returns that held notification, for [`after_commit`].
pub async fn on_issued(
    conn: &mut AnyConnection,
    state: &AppState,
    row: &InvoiceRow,
    mode: BillingMode,
) -> AppResult<Vec<HeldEvent>> {
    let ledger =
        ledger::ledger_row_in(conn, state, &row.structure_id, &row.family_id, mode).await?;
    let held = crate::push::causes::invoice_issued(
        conn,
        &row.structure_id,
        &row.family_id,
        &row.number,
        ledger.id.as_str(),
        row.issued_at_ms,
    )
    .await?;
    Ok(held)
}

/// [`on_issued`] for the documents of a batch of a monthly run, one per family, in a few
/// statements for the whole batch.
pub async fn on_issued_batch(
    conn: &mut AnyConnection,
    state: &AppState,
    structure_id: &str,
    rows: &[InvoiceRow],
    mode: BillingMode,
) -> AppResult<Vec<HeldEvent>> {
    let families: Vec<&str> = rows.iter().map(|r| r.family_id.as_str()).collect();
    let ledgers = ledger_rows::ledger_rows_in(conn, state, structure_id, &families, mode).await?;
    let mut issued = Vec::with_capacity(rows.len());
    for row in rows {
        let ledger = ledgers
            .get(&row.family_id)
            .ok_or_else(|| AppError::internal("relevé de compte introuvable"))?;
        issued.push((
            row.family_id.as_str(),
            row.number.as_str(),
            ledger.id.as_str(),
            row.issued_at_ms,
        ));
    }
    Ok(crate::push::causes::invoices_issued(conn, structure_id, &issued).await?)
}

/// Releases the `held` notifications of `families`.
async fn release_notifications(
    state: &AppState,
    held: &[HeldEvent],
    families: &BTreeSet<&str>,
) -> AppResult<()> {
    let now = state.clock.now().as_millisecond();
    let of_families = held
        .iter()
        .filter(|h| families.contains(h.family_id.as_str()));
    let mut write = state.db.begin_write().await?;
    crate::push::causes::invoice_ready(&mut write.tx, of_families, now).await?;
    write.commit().await?;
    state.push.wake();
    Ok(())
}

/// After the commit: PDFs rendered and stored, ledgers republished (all the families'
/// together, one by one if that fails) and the `held` notifications released. Failures are
/// logged: a missing PDF is rendered when first asked for, a stale ledger at the family's
/// next sync, and a held notification goes when its delay ends.
pub async fn after_commit(
    state: &AppState,
    structure_id: &str,
    rows: &[InvoiceRow],
    held: &[HeldEvent],
) {
    let stored = render(state, rows).await;
    publish(state, structure_id, rows, &stored, held).await;
}

/// The first half of [`after_commit`]: the PDFs of `rows` rendered and stored (none when
/// that fails: they are rendered when first asked for).
pub async fn render(state: &AppState, rows: &[InvoiceRow]) -> Vec<StoredPdf> {
    match pdf::render_and_store(state, rows).await {
        Ok(stored) => stored,
        Err(e) => {
            tracing::error!(error = %e, "invoice PDFs not stored; rendered on demand");
            Vec::new()
        }
    }
}

/// The second half of [`after_commit`]: the ledgers of the families of `rows` republished
/// with the PDFs `stored`, their `held` notifications released, and what a credit note
/// settles decided again.
pub async fn publish(
    state: &AppState,
    structure_id: &str,
    rows: &[InvoiceRow],
    stored: &[StoredPdf],
    held: &[HeldEvent],
) {
    let families: BTreeSet<&str> = rows.iter().map(|r| r.family_id.as_str()).collect();
    match ledger_batch::publish(state, structure_id, &families, stored, held).await {
        Ok(without) if without.is_empty() => {}
        Ok(without) => {
            let alone: BTreeSet<&str> = without.into_iter().collect();
            publish_one_by_one(state, structure_id, &alone, held).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "ledgers not republished together; one by one");
            if let Err(e) = pdf::record_alone(state, stored).await {
                tracing::error!(error = %e, "invoice PDFs' keys not recorded; rendered on demand");
            }
            publish_one_by_one(state, structure_id, &families, held).await;
        }
    }
    // A credit note may settle an overdue invoice.
    for row in rows.iter().filter(|r| r.kind == "credit_note") {
        crate::docs::redecide::after_payment(
            state,
            &StructureId::from(structure_id),
            &FamilyId::from(&row.family_id),
        )
        .await;
    }
}

async fn publish_one_by_one(
    state: &AppState,
    structure_id: &str,
    families: &BTreeSet<&str>,
    held: &[HeldEvent],
) {
    for family_id in families {
        ledger::publish_after_commit(state, structure_id, family_id).await;
    }
    // The ledgers show the new documents: their notifications may go.
    if let Err(e) = release_notifications(state, held, families).await {
        tracing::warn!(error = %e, "invoice notifications held until their delay ends");
    }
}
