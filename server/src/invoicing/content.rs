//! What an issued document says, frozen at issue: issuer, family, lines, totals, due date,
//! payment reference. Stored as JSON in `invoices.content`; the PDF and the family's ledger
//! are both made from it, so they never disagree and never change.

use cartable_domain::invoicing::InvoiceLine;
use cartable_domain::ledger::{DocumentKind, LedgerDocument, LedgerLine};
use serde::{Deserialize, Serialize};

/// The issuer as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerSnapshot {
    /// The structure's name ("Mairie de Saint-Aubin-sur-Loire").
    pub name: String,
    pub legal_name: String,
    pub siret: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub payment_instructions: String,
    pub appeal_mentions: String,
}

/// The family as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilySnapshot {
    pub family_id: String,
    pub family_name: String,
    /// The billing adult ("Camille Martin"), or the family's name.
    pub billing_name: String,
    pub address: String,
    pub email: String,
}

/// An issued invoice, credit note or statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceContent {
    pub kind: DocumentKind,
    pub number: String,
    /// "YYYY-MM" billed, empty for a credit note staff issued.
    pub month: String,
    pub issued_on: String,
    /// Empty when nothing is due.
    pub due_on: String,
    pub issuer: IssuerSnapshot,
    pub family: FamilySnapshot,
    pub lines: Vec<InvoiceLine>,
    pub total_cents: i64,
    /// The invoice a credit note corrects.
    pub refers_to: String,
    pub reason: String,
    /// The reference to quote when paying.
    pub payment_reference: String,
}

impl InvoiceContent {
    /// The ledger's view of it, with what remains to pay.
    pub fn ledger_document(&self, remaining_cents: i64, pdf_sha256: &str) -> LedgerDocument {
        LedgerDocument {
            kind: self.kind.code().to_string(),
            number: self.number.clone(),
            month: self.month.clone(),
            issued_on: self.issued_on.clone(),
            due_on: self.due_on.clone(),
            total_cents: self.total_cents,
            remaining_cents,
            refers_to: self.refers_to.clone(),
            reason: self.reason.clone(),
            payment_reference: self.payment_reference.clone(),
            pdf_sha256: pdf_sha256.to_string(),
            lines: self
                .lines
                .iter()
                .map(|l| LedgerLine {
                    label: l.label.clone(),
                    child_name: l.child_name.clone(),
                    activity_name: l.activity_name.clone(),
                    basis: l.basis.clone(),
                    quantity: l.quantity,
                    unit_cents: l.unit_cents,
                    total_cents: l.total_cents,
                })
                .collect(),
        }
    }
}
