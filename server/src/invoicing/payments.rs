//! Payments: recorded by staff (card, cheque, cash, transfer, CESU, direct debit; partial
//! payments welcome) or confirmed by an online provider (see [`super::provider`]).

use super::ledger;
use crate::AppState;
use crate::db::audit;
use crate::db::invoices::{self, PaymentRow};
use crate::error::{AppError, AppResult};
use cartable_domain::ids::{AccountId, FamilyId, StructureId};
use cartable_domain::ledger::PaymentMethod;
use cartable_domain::money::format_eur;
use serde::Deserialize;

/// A payment staff record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    pub family_id: String,
    /// A [`PaymentMethod`] code.
    pub method: String,
    pub amount_cents: i64,
    /// ISO date (today when absent).
    #[serde(default)]
    pub received_on: Option<String>,
    /// The invoice it pays, if the family named one.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// Cheque number, transfer reference…
    #[serde(default)]
    pub reference: String,
}

/// What the journal says of a payment: "42,50 € par chèque, facture F2027-000001, réf. 1234".
fn journal_detail(row: &PaymentRow, method: PaymentMethod) -> String {
    let mut out = format!("{} par {}", format_eur(row.amount_cents), method.label_fr());
    if !row.invoice_number.is_empty() {
        out.push_str(&format!(", facture {}", row.invoice_number));
    }
    if !row.reference.is_empty() {
        out.push_str(&format!(", réf. {}", row.reference));
    }
    out
}

/// Checks and records a payment (in the journal too); the family's ledger is republished after the commit.
pub async fn record(
    state: &AppState,
    structure_id: &str,
    recorded_by: &str,
    p: NewPayment,
    provider: Option<(&str, &str)>,
) -> AppResult<PaymentRow> {
    let method = PaymentMethod::from_code(&p.method).ok_or_else(|| {
        AppError::bad_request(format!(
            "moyen de paiement inconnu « {} » (card, cheque, cash, transfer, cesu, direct_debit)",
            p.method
        ))
    })?;
    if p.amount_cents <= 0 || p.amount_cents > 10_000_000 {
        return Err(AppError::bad_request(
            "montant : un nombre de centimes positif (au plus 100 000 €)",
        ));
    }
    if p.reference.chars().count() > 200 {
        return Err(AppError::bad_request("référence : 200 caractères au plus"));
    }
    let now = state.clock.now();
    let received_on = match p.received_on.as_deref() {
        None | Some("") => cartable_domain::calendar::paris_date(now).to_string(),
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| AppError::bad_request(format!("date invalide « {d} » (AAAA-MM-JJ)")))?,
    };
    ledger::check_family(state, structure_id, &p.family_id).await?;
    let invoice_number = p.invoice_number.unwrap_or_default();
    let mut tx = state.db.begin_write().await?;
    if let Some((name, reference)) = provider
        && let Some(existing) =
            invoices::payment_by_provider_ref(&mut tx.tx, name, reference).await?
    {
        // A provider telling us twice about one payment: recorded once.
        return Ok(existing);
    }
    if !invoice_number.is_empty() {
        let invoice = invoices::by_number(&mut tx.tx, structure_id, &invoice_number).await?;
        if invoice.as_ref().is_none_or(|i| i.family_id != p.family_id) {
            return Err(AppError::bad_request(format!(
                "facture {invoice_number} inconnue pour cette famille"
            )));
        }
    }
    let row = PaymentRow {
        id: crate::auth::new_id(),
        family_id: p.family_id.clone(),
        method: method.code().to_string(),
        amount_cents: p.amount_cents,
        received_on,
        invoice_number,
        reference: p.reference.trim().to_string(),
        provider: provider.map(|(n, _)| n.to_string()),
        provider_ref: provider.map(|(_, r)| r.to_string()),
        recorded_by: recorded_by.to_string(),
        recorded_at_ms: now.as_millisecond(),
    };
    invoices::insert_payment(&mut tx.tx, structure_id, &row).await?;
    audit::record(
        &mut tx.tx,
        audit::Who {
            account_id: &AccountId::from(recorded_by),
            structure_id: &StructureId::from(structure_id),
            at_ms: row.recorded_at_ms,
        },
        "record_payment",
        Some(&FamilyId::from(&row.family_id)),
        &journal_detail(&row, method),
    )
    .await?;
    ledger::mark_changed(&mut tx.tx, structure_id, &p.family_id).await?;
    tx.commit().await?;
    ledger::publish_after_commit(state, structure_id, &p.family_id).await;
    crate::docs::redecide::after_payment(
        state,
        &StructureId::from(structure_id),
        &FamilyId::from(&p.family_id),
    )
    .await;
    Ok(row)
}
