//! The family's ledger ("Mes Factures"): invoices, credit notes, statements, payments and
//! the balance. Written by the server from its tables and published to the family's devices
//! as a read-only document, so the phone shows it offline.
//!
//! Balance = payments + credit notes − invoices: negative means the family owes money,
//! positive is an advance (allowed, e.g. in prepaid mode). Payments and credits are allocated
//! to invoices by [`allocate`]: first to the invoice they name, then to the oldest open
//! invoices.

use crate::pricing::QuotientPeriod;
use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Root keys of the ledger: all server-written (the whole document is read-only).
pub const SERVER_ONLY_KEYS: &[&str] = &[];

/// The ledger document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Ledger {
    #[autosurgeon(missing = "Default::default")]
    pub family_id: String,
    /// True when the structure bills in prepaid mode (statements, advance balance).
    #[autosurgeon(missing = "Default::default")]
    pub prepaid: bool,
    /// Payments + credit notes − invoices, in cents.
    #[autosurgeon(missing = "Default::default")]
    pub balance_cents: i64,
    /// Invoices, credit notes and statements by number.
    #[autosurgeon(missing = "Default::default")]
    pub documents: BTreeMap<String, LedgerDocument>,
    /// Payments by id.
    #[autosurgeon(missing = "Default::default")]
    pub payments: BTreeMap<String, LedgerPayment>,
    /// The quotient familial in force month by month (prices shown offline use it).
    #[autosurgeon(missing = "Default::default")]
    pub quotient: Vec<QuotientPeriod>,
}

/// What kind of accounting document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
    /// Prepaid mode: what was consumed in the month, debited from the balance.
    Statement,
}

impl DocumentKind {
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit_note",
            DocumentKind::Statement => "statement",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "invoice" => Some(DocumentKind::Invoice),
            "credit_note" => Some(DocumentKind::CreditNote),
            "statement" => Some(DocumentKind::Statement),
            _ => None,
        }
    }
    /// "Facture", "Avoir", "Relevé".
    pub fn label_fr(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "Facture",
            DocumentKind::CreditNote => "Avoir",
            DocumentKind::Statement => "Relevé de consommation",
        }
    }
    /// Number prefix: "F", "A", "R".
    pub fn prefix(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "F",
            DocumentKind::CreditNote => "A",
            DocumentKind::Statement => "R",
        }
    }
}

/// The number of the `seq`-th document of `kind` in `year`: "F2026-000042".
pub fn document_number(kind: DocumentKind, year: i16, seq: i64) -> String {
    format!("{}{year}-{seq:06}", kind.prefix())
}

/// An issued invoice, credit note or statement as the family sees it.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct LedgerDocument {
    /// [`DocumentKind`] code.
    pub kind: String,
    pub number: String,
    /// "YYYY-MM" billed (empty for a credit note on its own).
    #[autosurgeon(missing = "Default::default")]
    pub month: String,
    /// ISO date.
    pub issued_on: String,
    /// ISO date, empty when nothing is due (credit notes, statements).
    #[autosurgeon(missing = "Default::default")]
    pub due_on: String,
    /// Positive for invoices and statements; a credit note's total is negative.
    pub total_cents: i64,
    /// What remains to pay on an invoice after allocation (0 for credit notes).
    #[autosurgeon(missing = "Default::default")]
    pub remaining_cents: i64,
    /// The invoice a credit note corrects.
    #[autosurgeon(missing = "Default::default")]
    pub refers_to: String,
    /// Why a credit note was issued.
    #[autosurgeon(missing = "Default::default")]
    pub reason: String,
    /// The reference to quote when paying.
    #[autosurgeon(missing = "Default::default")]
    pub payment_reference: String,
    /// SHA-256 of the PDF (hex), to check a cached copy.
    #[autosurgeon(missing = "Default::default")]
    pub pdf_sha256: String,
    #[autosurgeon(missing = "Default::default")]
    pub lines: Vec<LedgerLine>,
}

/// A line as the family sees it.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct LedgerLine {
    pub label: String,
    #[autosurgeon(missing = "Default::default")]
    pub child_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub activity_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub basis: String,
    pub quantity: u32,
    pub unit_cents: i64,
    pub total_cents: i64,
}

/// A payment received by the structure.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct LedgerPayment {
    /// ISO date.
    pub received_on: String,
    /// [`PaymentMethod`] code.
    pub method: String,
    pub amount_cents: i64,
    /// The invoice it pays, if named.
    #[autosurgeon(missing = "Default::default")]
    pub invoice_number: String,
    /// Cheque number, transfer reference…
    #[autosurgeon(missing = "Default::default")]
    pub reference: String,
}

/// How a family paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Cheque,
    Cash,
    Transfer,
    /// Chèque emploi service universel.
    Cesu,
    DirectDebit,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 6] = [
        PaymentMethod::Card,
        PaymentMethod::Cheque,
        PaymentMethod::Cash,
        PaymentMethod::Transfer,
        PaymentMethod::Cesu,
        PaymentMethod::DirectDebit,
    ];
    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Transfer => "transfer",
            PaymentMethod::Cesu => "cesu",
            PaymentMethod::DirectDebit => "direct_debit",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
    pub fn label_fr(self) -> &'static str {
        match self {
            PaymentMethod::Card => "carte bancaire",
            PaymentMethod::Cheque => "chèque",
            PaymentMethod::Cash => "espèces",
            PaymentMethod::Transfer => "virement",
            PaymentMethod::Cesu => "CESU",
            PaymentMethod::DirectDebit => "prélèvement",
        }
    }
}

/// An invoice-like document for allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debit {
    pub number: String,
    pub issued_on: Date,
    pub total_cents: i64,
}

/// A payment or a credit note for allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub amount_cents: i64,
    /// The invoice it names, if any.
    pub invoice_number: Option<String>,
}

/// What remains to pay on each invoice once credits are allocated: first to the invoice a
/// credit names, then to the oldest open invoices (by issue date, then number).
pub fn allocate(debits: &[Debit], credits: &[Credit]) -> BTreeMap<String, i64> {
    let mut remaining: BTreeMap<String, i64> = debits
        .iter()
        .map(|d| (d.number.clone(), d.total_cents.max(0)))
        .collect();
    let mut pool: i64 = 0;
    for c in credits {
        let mut left = c.amount_cents;
        if let Some(n) = &c.invoice_number
            && let Some(r) = remaining.get_mut(n)
        {
            let used = left.min(*r).max(0);
            *r -= used;
            left -= used;
        }
        pool += left;
    }
    let mut order: Vec<&Debit> = debits.iter().collect();
    order.sort_by(|a, b| (a.issued_on, &a.number).cmp(&(b.issued_on, &b.number)));
    for d in order {
        if pool <= 0 {
            break;
        }
        if let Some(r) = remaining.get_mut(&d.number) {
            let used = pool.min(*r);
            *r -= used;
            pool -= used;
        }
    }
    remaining
}

/// Where an invoice stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Paid,
    PartiallyPaid,
    Unpaid,
    /// Not fully paid after its due date.
    Overdue,
    /// Credit notes and statements: nothing to pay.
    NothingDue,
}

impl PaymentStatus {
    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Paid => "paid",
            PaymentStatus::PartiallyPaid => "partially_paid",
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Overdue => "overdue",
            PaymentStatus::NothingDue => "nothing_due",
        }
    }
    pub fn label_fr(self) -> &'static str {
        match self {
            PaymentStatus::Paid => "payée",
            PaymentStatus::PartiallyPaid => "partiellement payée",
            PaymentStatus::Unpaid => "à payer",
            PaymentStatus::Overdue => "en retard de paiement",
            PaymentStatus::NothingDue => "rien à payer",
        }
    }
}

/// The status of an invoice with `total` and `remaining` cents, due on `due_on`, on `today`.
pub fn payment_status(
    total_cents: i64,
    remaining_cents: i64,
    due_on: Option<Date>,
    today: Date,
) -> PaymentStatus {
    if total_cents <= 0 {
        return PaymentStatus::NothingDue;
    }
    if remaining_cents <= 0 {
        return PaymentStatus::Paid;
    }
    if due_on.is_some_and(|d| today > d) {
        return PaymentStatus::Overdue;
    }
    if remaining_cents < total_cents {
        PaymentStatus::PartiallyPaid
    } else {
        PaymentStatus::Unpaid
    }
}

impl LedgerDocument {
    /// Kind as an enum (unknown codes read as invoices).
    pub fn kind(&self) -> DocumentKind {
        DocumentKind::from_code(&self.kind).unwrap_or(DocumentKind::Invoice)
    }

    /// Status on `today` (the server's date as the device estimates it).
    pub fn status(&self, today: Date) -> PaymentStatus {
        if self.kind() != DocumentKind::Invoice {
            return PaymentStatus::NothingDue;
        }
        payment_status(
            self.total_cents,
            self.remaining_cents,
            self.due_on.parse().ok(),
            today,
        )
    }
}

impl Ledger {
    /// The oldest invoice overdue by more than `grace_days` on `today`, if any.
    pub fn overdue_beyond(&self, today: Date, grace_days: u32) -> Option<&LedgerDocument> {
        self.documents
            .values()
            .filter(|d| d.kind() == DocumentKind::Invoice && d.remaining_cents > 0)
            .filter(|d| {
                d.due_on.parse::<Date>().ok().is_some_and(|due| {
                    crate::calendar::add_days(due, i64::from(grace_days))
                        .is_ok_and(|limit| today > limit)
                })
            })
            .min_by(|a, b| (&a.due_on, &a.number).cmp(&(&b.due_on, &b.number)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn debit(n: &str, day: u8, total: i64) -> Debit {
        Debit {
            number: n.into(),
            issued_on: date(2026, 10, i8::try_from(day).unwrap_or(1)),
            total_cents: total,
        }
    }

    fn credit(amount: i64, n: Option<&str>) -> Credit {
        Credit {
            amount_cents: amount,
            invoice_number: n.map(String::from),
        }
    }

    #[test]
    fn payments_go_to_the_named_invoice_then_to_the_oldest() {
        let debits = [debit("F2", 20, 5000), debit("F1", 10, 3000)];
        // A partial payment of the newer invoice, then an unnamed payment.
        let r = allocate(&debits, &[credit(2000, Some("F2")), credit(3500, None)]);
        assert_eq!(r["F1"], 0);
        assert_eq!(r["F2"], 2500);
        // An overpayment of a named invoice spills over to the others.
        let r = allocate(&debits, &[credit(6000, Some("F2"))]);
        assert_eq!(r["F2"], 0);
        assert_eq!(r["F1"], 2000);
        // A credit naming an unknown invoice is pooled.
        let r = allocate(&debits, &[credit(1000, Some("F9"))]);
        assert_eq!(r["F1"], 2000);
        assert_eq!(r["F2"], 5000);
    }

    #[test]
    fn an_invoice_is_overdue_after_its_due_date_until_paid() {
        let due = Some(date(2026, 11, 30));
        assert_eq!(
            payment_status(5000, 5000, due, date(2026, 11, 30)),
            PaymentStatus::Unpaid
        );
        assert_eq!(
            payment_status(5000, 5000, due, date(2026, 12, 1)),
            PaymentStatus::Overdue
        );
        assert_eq!(
            payment_status(5000, 100, due, date(2026, 11, 20)),
            PaymentStatus::PartiallyPaid
        );
        assert_eq!(
            payment_status(5000, 0, due, date(2027, 1, 1)),
            PaymentStatus::Paid
        );
        assert_eq!(
            payment_status(-500, 0, None, date(2027, 1, 1)),
            PaymentStatus::NothingDue
        );
    }

    #[test]
    fn numbers_are_prefixed_by_kind_and_year() {
        assert_eq!(
            document_number(DocumentKind::Invoice, 2026, 42),
            "F2026-000042"
        );
        assert_eq!(
            document_number(DocumentKind::CreditNote, 2027, 1),
            "A2027-000001"
        );
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::from_code(m.code()), Some(m));
        }
    }

    #[test]
    fn the_ledger_round_trips_and_finds_overdue_invoices() {
        let mut l = Ledger {
            family_id: "f".into(),
            balance_cents: -4210,
            ..Default::default()
        };
        l.documents.insert(
            "F2026-000001".into(),
            LedgerDocument {
                kind: "invoice".into(),
                number: "F2026-000001".into(),
                month: "2026-10".into(),
                issued_on: "2026-11-16".into(),
                due_on: "2026-12-01".into(),
                total_cents: 4210,
                remaining_cents: 4210,
                refers_to: String::new(),
                reason: String::new(),
                payment_reference: "CART-F2026-000001".into(),
                pdf_sha256: String::new(),
                lines: vec![LedgerLine {
                    label: "Jours réservés".into(),
                    child_name: "Léa".into(),
                    activity_name: "Cantine".into(),
                    basis: "QF 600 à 999".into(),
                    quantity: 2,
                    unit_cents: 305,
                    total_cents: 610,
                }],
            },
        );
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &l).expect("reconcile");
        let back: Ledger = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(back, l);
        assert!(l.overdue_beyond(date(2026, 12, 1), 0).is_none());
        assert!(l.overdue_beyond(date(2026, 12, 2), 0).is_some());
        assert!(l.overdue_beyond(date(2026, 12, 10), 10).is_none());
        assert_eq!(
            l.documents["F2026-000001"].status(date(2026, 12, 2)),
            PaymentStatus::Overdue
        );
    }
}
