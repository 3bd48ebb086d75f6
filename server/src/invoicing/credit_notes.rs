//! Credit notes ("avoirs"): the only way to correct an issued invoice. Numbered in their own
//! sequence like invoices, referencing the invoice they correct, never above what that
//! invoice still has uncredited.

use super::content::InvoiceContent;
use super::{issued, ledger, run};
use crate::AppState;
use crate::db::invoices::{self, InvoiceRow};
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use cartable_domain::calendar::paris_date;
use cartable_domain::ids::StructureId;
use cartable_domain::invoicing::{InvoiceLine, LineKind};
use cartable_domain::ledger::{DocumentKind, document_number};
use cartable_domain::money::format_eur;
use serde::Deserialize;

/// A credit note staff issue against an invoice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCreditNote {
    /// Positive amount credited, in cents.
    pub amount_cents: i64,
    /// Why (printed on the credit note, shown to the family).
    pub reason: String,
}

/// Issues a credit note for `invoice_number`.
pub async fn issue(
    state: &AppState,
    structure_id: &str,
    invoice_number: &str,
    issued_by: &str,
    request: NewCreditNote,
) -> AppResult<InvoiceRow> {
    let reason = request.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(AppError::bad_request(
            "motif : obligatoire, 300 caractères au plus",
        ));
    }
    if request.amount_cents <= 0 {
        return Err(AppError::bad_request(
            "montant : un nombre de centimes positif",
        ));
    }
    let invoice = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::by_number(&mut conn, structure_id, invoice_number)
            .await?
            .ok_or_else(AppError::not_found)?
    };
    if invoice.kind == DocumentKind::CreditNote.code() {
        return Err(AppError::bad_request(
            "un avoir ne se corrige pas par un avoir",
        ));
    }
    let original: InvoiceContent = serde_json::from_str(&invoice.content)
        .map_err(|e| AppError::internal(format!("facture illisible : {e}")))?;
    let catalogue = catalogue::read(state, &StructureId::from(structure_id)).await?;
    let now = state.clock.now();
    let today = paris_date(now);
    let year = i64::from(today.year());
    let mut tx = state.db.begin_write().await?;
    let last = invoices::lock_counter(
        &mut tx.tx,
        &state.db,
        structure_id,
        year,
        DocumentKind::CreditNote.code(),
    )
    .await?;
    // Under the counter's lock: no other credit note for this invoice can slip in.
    let credited: i64 = invoices::of_family(&mut tx.tx, structure_id, &invoice.family_id)
        .await?
        .iter()
        .filter(|i| i.kind == DocumentKind::CreditNote.code() && i.refers_to == invoice.number)
        .map(|i| -i.total_cents)
        .sum();
    let left = invoice.total_cents - credited;
    if request.amount_cents > left {
        return Err(AppError::conflict(format!(
            "L'avoir dépasse ce qui reste à créditer sur la facture {} ({})",
            invoice.number,
            format_eur(left.max(0))
        )));
    }
    let seq = last + 1;
    let content = InvoiceContent {
        kind: DocumentKind::CreditNote,
        number: document_number(DocumentKind::CreditNote, today.year(), seq),
        month: String::new(),
        issued_on: today.to_string(),
        due_on: String::new(),
        issuer: run::issuer(&catalogue),
        family: original.family.clone(),
        lines: vec![InvoiceLine {
            kind: LineKind::Credit,
            child_id: String::new(),
            child_name: String::new(),
            activity_id: String::new(),
            activity_name: String::new(),
            label: format!("Avoir sur la facture {}", invoice.number),
            basis: reason.clone(),
            quantity: 1,
            unit_cents: -request.amount_cents,
            total_cents: -request.amount_cents,
            days: Vec::new(),
        }],
        total_cents: -request.amount_cents,
        refers_to: invoice.number.clone(),
        reason,
        payment_reference: String::new(),
    };
    let row = issued::row(structure_id, content, None, seq, year, issued_by, now)?;
    invoices::insert(&mut tx.tx, &row).await?;
    invoices::save_counter(
        &mut tx.tx,
        structure_id,
        year,
        DocumentKind::CreditNote.code(),
        seq,
    )
    .await?;
    ledger::mark_changed(&mut tx.tx, structure_id, &invoice.family_id).await?;
    let held = issued::on_issued(&mut tx.tx, state, &row, catalogue.billing.mode).await?;
    crate::db::audit::record(
        &mut tx.tx,
        crate::db::audit::Who {
            account_id: &cartable_domain::ids::AccountId::from(issued_by),
            structure_id: &StructureId::from(structure_id),
            at_ms: now.as_millisecond(),
        },
        "issue_credit_note",
        Some(&cartable_domain::ids::FamilyId::from(&invoice.family_id)),
        &format!(
            "{} de {} sur la facture {} : {}",
            row.number,
            format_eur(request.amount_cents),
            invoice.number,
            row.reason
        ),
    )
    .await?;
    tx.commit().await?;
    issued::after_commit(state, structure_id, std::slice::from_ref(&row), &held).await;
    Ok(row)
}
