//! "Mes Factures": invoices, credit notes, statements, payments and the balance, all read
//! offline from the family's ledger (it arrives with each `sync()`); the price of a booking
//! before it is made; invoice PDFs fetched once and kept on the phone.

use crate::client::CartableClient;
use crate::error::{CartableError, Result};
use crate::guard::core;

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InvoiceLine {
    /// "Jours réservés", "Absences non facturées", "Forfait semaine"…
    pub label: String,
    /// Empty for a line about the whole family.
    pub child_name: String,
    pub activity_name: String,
    /// How the unit price was found, e.g. "QF 600 à 999, 2e enfant −10 %".
    pub basis: String,
    pub quantity: u32,
    /// In cents; negative for refunds.
    pub unit_cents: i64,
    pub total_cents: i64,
}

/// An invoice, credit note or statement.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Invoice {
    /// "F2026-000042" (pass it to `invoicePdf`).
    pub number: String,
    /// "invoice", "credit_note" or "statement".
    pub kind: String,
    /// "Facture", "Avoir", "Relevé de consommation".
    pub kind_label: String,
    /// "YYYY-MM" billed; empty for a credit note.
    pub month: String,
    /// "novembre 2026".
    pub month_label: String,
    /// "YYYY-MM-DD".
    pub issued_on: String,
    /// "YYYY-MM-DD"; empty when nothing is due.
    pub due_on: String,
    pub total_cents: i64,
    /// What remains to pay.
    pub remaining_cents: i64,
    /// "paid", "partially_paid", "unpaid", "overdue" or "nothing_due" (on the server's date).
    pub status: String,
    /// "payée", "à payer", "en retard de paiement"…
    pub status_label: String,
    /// The invoice a credit note corrects.
    pub refers_to: String,
    /// Why a credit note was issued.
    pub reason: String,
    /// The reference to quote when paying.
    pub payment_reference: String,
    pub lines: Vec<InvoiceLine>,
    /// Where the PDF is on this phone when already fetched (readable offline).
    pub local_pdf: Option<String>,
}

/// A payment the structure received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Payment {
    /// "YYYY-MM-DD".
    pub received_on: String,
    /// "card", "cheque", "cash", "transfer", "cesu" or "direct_debit".
    pub method: String,
    /// "carte bancaire", "chèque"…
    pub method_label: String,
    pub amount_cents: i64,
    pub invoice_number: String,
    pub reference: String,
}

/// The balance screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Balance {
    /// Payments + credit notes − invoices, in cents: negative means money is owed.
    pub balance_cents: i64,
    /// "Solde : -23,40 € (à payer)".
    pub label: String,
    /// What remains to pay on invoices.
    pub due_cents: i64,
    /// Invoices past their due date and not fully paid.
    pub overdue_count: u32,
    /// True when the structure bills from a prepaid balance.
    pub prepaid: bool,
    /// Newest first.
    pub payments: Vec<Payment>,
}

/// The price of a booking before it is made.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BookingPrice {
    /// False when the activity is not billed.
    pub billed: bool,
    pub cents: i64,
    /// "3,05 €".
    pub label: String,
    /// "QF 600 à 999, 2e enfant −10 %".
    pub basis: String,
}

impl From<cartable_core::InvoiceView> for Invoice {
    fn from(i: cartable_core::InvoiceView) -> Self {
        Self {
            number: i.number,
            kind: i.kind,
            kind_label: i.kind_label,
            month: i.month,
            month_label: i.month_label,
            issued_on: i.issued_on,
            due_on: i.due_on,
            total_cents: i.total_cents,
            remaining_cents: i.remaining_cents,
            status: i.status,
            status_label: i.status_label,
            refers_to: i.refers_to,
            reason: i.reason,
            payment_reference: i.payment_reference,
            lines: i
                .lines
                .into_iter()
                .map(|l| InvoiceLine {
                    label: l.label,
                    child_name: l.child_name,
                    activity_name: l.activity_name,
                    basis: l.basis,
                    quantity: l.quantity,
                    unit_cents: l.unit_cents,
                    total_cents: l.total_cents,
                })
                .collect(),
            local_pdf: i.local_pdf,
        }
    }
}

#[uniffi::export]
impl CartableClient {
    /// "Mes Factures": invoices, credit notes and statements, newest first, each with its
    /// status on the server's date. Offline; empty until the first `sync()`.
    pub fn invoices(&self) -> Result<Vec<Invoice>> {
        core(|| self.core.invoices()).map(|l| l.into_iter().map(Invoice::from).collect())
    }

    /// The balance and the payments received. Offline.
    pub fn balance(&self) -> Result<Balance> {
        core(|| self.core.balance()).map(|b| Balance {
            balance_cents: b.balance_cents,
            label: b.label,
            due_cents: b.due_cents,
            overdue_count: u32::try_from(b.overdue_count).unwrap_or(u32::MAX),
            prepaid: b.prepaid,
            payments: b
                .payments
                .into_iter()
                .map(|p| Payment {
                    received_on: p.received_on,
                    method: p.method,
                    method_label: p.method_label,
                    amount_cents: p.amount_cents,
                    invoice_number: p.invoice_number,
                    reference: p.reference,
                })
                .collect(),
        })
    }

    /// The price of booking `child_id` at `activity_id` on `date` ("YYYY-MM-DD"), computed
    /// offline with the structure's tariffs and the family's quotient familial of that month.
    /// Fails with `InvalidInput` for an unknown child, activity or a malformed date.
    pub fn booking_price(
        &self,
        child_id: String,
        date: String,
        activity_id: String,
    ) -> Result<BookingPrice> {
        let day: jiff::civil::Date = date.parse().map_err(|_| CartableError::InvalidInput {
            reason: format!("date invalide « {date} » (AAAA-MM-JJ)"),
        })?;
        core(|| self.core.booking_price(&child_id, day, &activity_id)).map(|p| BookingPrice {
            billed: p.billed,
            cents: p.cents,
            label: p.label,
            basis: p.basis,
        })
    }

    /// The local path of the PDF of invoice `number`, fetched first when not on the phone
    /// yet (then it needs the network), then kept for offline reading (deleted at logout).
    /// Fails with `InvalidInput` for an unknown number, `Network` when offline and never
    /// fetched.
    pub fn invoice_pdf(&self, number: String) -> Result<String> {
        core(|| self.core.invoice_pdf(&number)).map(|p| p.to_string_lossy().into_owned())
    }
}
