//! A family's ledger on its page (administrators): its balance, invoices, credit notes and
//! statements with what remains to pay and their payment status, and the payments received;
//! read by [`crate::invoicing::ledger::build`], the ledger the family's phone syncs.

use super::format;
use crate::AppState;
use crate::docs::catalogue;
use crate::error::AppResult;
use crate::invoicing::ledger;
use cartable_domain::calendar::paris_date;
use cartable_domain::ids::StructureId;
use cartable_domain::ledger::{DocumentKind, PaymentMethod, payment_status};
use cartable_domain::pricing::BillingMonth;

pub struct LedgerView {
    /// "Reste à payer : 12,50 €", "Avance : 3,00 €", "À jour".
    pub balance: String,
    /// The balance is owed by the family.
    pub owed: bool,
    pub documents: Vec<DocumentRow>,
    pub payments: Vec<PaymentRow>,
    /// Years with payments received, latest first: each has its annual statement.
    pub statement_years: Vec<String>,
}

pub struct DocumentRow {
    pub number: String,
    pub kind: &'static str,
    pub month: String,
    pub issued_on: String,
    pub due_on: String,
    pub total: String,
    pub remaining: String,
    pub status: String,
    pub late: bool,
}

pub struct PaymentRow {
    pub received_on: String,
    pub method: String,
    pub amount: String,
    pub invoice: String,
    pub reference: String,
}

fn month_fr(code: &str) -> String {
    code.parse::<BillingMonth>()
        .map(|m| m.label_fr())
        .unwrap_or_else(|_| code.to_string())
}

/// The family's ledger as the page shows it.
pub async fn view(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &str,
) -> AppResult<LedgerView> {
    let mode = catalogue::read(state, structure_id).await?.billing.mode;
    let mut conn = state.db.pool.acquire().await?;
    let data = ledger::build(&mut conn, structure_id.as_str(), family_id, mode).await?;
    drop(conn);
    let today = paris_date(state.clock.now());
    let mut documents: Vec<DocumentRow> = data
        .ledger
        .documents
        .values()
        .map(|d| {
            let kind = DocumentKind::from_code(&d.kind);
            let status = payment_status(
                if kind == Some(DocumentKind::Invoice) {
                    d.total_cents
                } else {
                    0
                },
                d.remaining_cents,
                d.due_on.parse().ok(),
                today,
            );
            DocumentRow {
                number: d.number.clone(),
                kind: kind.map_or("Document", DocumentKind::label_fr),
                month: month_fr(&d.month),
                issued_on: format::iso_date(&d.issued_on),
                due_on: if d.due_on.is_empty() {
                    String::new()
                } else {
                    format::iso_date(&d.due_on)
                },
                total: format::euros(d.total_cents),
                remaining: format::euros(d.remaining_cents),
                status: super::dashboard::capitalise(status.label_fr()),
                late: status == cartable_domain::ledger::PaymentStatus::Overdue,
            }
        })
        .collect();
    documents.sort_by(|a, b| b.number.cmp(&a.number));
    let mut statement_years: Vec<String> = data
        .ledger
        .payments
        .values()
        .filter_map(|p| p.received_on.get(..4).map(String::from))
        .collect();
    statement_years.sort_unstable_by(|a, b| b.cmp(a));
    statement_years.dedup();
    let mut received: Vec<_> = data.ledger.payments.values().collect();
    received.sort_by(|a, b| b.received_on.cmp(&a.received_on));
    let payments: Vec<PaymentRow> = received
        .into_iter()
        .map(|p| PaymentRow {
            received_on: format::iso_date(&p.received_on),
            method: PaymentMethod::from_code(&p.method).map_or_else(
                || p.method.clone(),
                |m| super::dashboard::capitalise(m.label_fr()),
            ),
            amount: format::euros(p.amount_cents),
            invoice: p.invoice_number.clone(),
            reference: p.reference.clone(),
        })
        .collect();
    let b = data.ledger.balance_cents;
    Ok(LedgerView {
        balance: match b {
            0 => "À jour".to_string(),
            b if b < 0 => format!("Reste à payer : {}", format::euros(-b)),
            b => format!("Avance : {}", format::euros(b)),
        },
        owed: b < 0,
        documents,
        payments,
        statement_years,
    })
}
