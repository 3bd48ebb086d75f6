//! "Mes Factures" on the phone: invoices, credit notes, payments and balance read from the
//! family's ledger document (so offline), the price of a booking before it is made (the
//! catalogue's tariffs and the QF in force, with the very functions the monthly run bills
//! with), and invoice PDFs fetched once and kept for offline reading.
//!
//! PDFs are kept under `factures/<number>.pdf` beside the store and checked against the
//! SHA-256 the ledger gives; logout deletes the folder.

use crate::client::Inner;
use crate::clock::paris_date;
use crate::error::{Error, Result};
use crate::planning::{catalogue, dossier, hydrate_doc, planning_id};
use crate::transport::Transport;
use cartable_domain::DocKind;
use cartable_domain::calendar::closure_on;
use cartable_domain::ledger::{DocumentKind, Ledger, LedgerLine, PaymentMethod};
use cartable_domain::money::format_eur;
use cartable_domain::planning::{CellKey, Planning};
use cartable_domain::pricing::{BillingMonth, PriceFor, day_price, qf_for_month, sibling_rank};
use cartable_domain::school_year::SchoolYear;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Folder of cached invoice PDFs, inside the store directory.
pub const INVOICES_DIR: &str = "factures";

/// One invoice, credit note or statement, as listed in "Mes Factures".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceView {
    pub number: String,
    /// "invoice", "credit_note" or "statement".
    pub kind: String,
    /// "Facture", "Avoir", "Relevé de consommation".
    pub kind_label: String,
    /// "YYYY-MM" billed (empty for a credit note).
    pub month: String,
    /// "novembre 2026".
    pub month_label: String,
    pub issued_on: String,
    pub due_on: String,
    pub total_cents: i64,
    pub remaining_cents: i64,
    /// paid, partially_paid, unpaid, overdue, nothing_due (on the server's date).
    pub status: String,
    /// "payée", "à payer", "en retard de paiement"…
    pub status_label: String,
    pub refers_to: String,
    pub reason: String,
    pub payment_reference: String,
    pub lines: Vec<LedgerLine>,
    /// The PDF on this device, when fetched (readable offline).
    pub local_pdf: Option<String>,
}

/// A payment as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub received_on: String,
    pub method: String,
    /// "chèque", "carte bancaire"…
    pub method_label: String,
    pub amount_cents: i64,
    pub invoice_number: String,
    pub reference: String,
}

/// The balance screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceView {
    /// Payments + credit notes − invoices: negative means money is owed.
    pub balance_cents: i64,
    /// "Solde : -23,40 € (à payer)" / "Solde : 12,00 € (en votre faveur)" / "Solde : 0,00 €".
    pub label: String,
    /// What remains to pay on invoices.
    pub due_cents: i64,
    /// Invoices past their due date and not fully paid.
    pub overdue_count: usize,
    pub prepaid: bool,
    /// Newest first.
    pub payments: Vec<PaymentView>,
}

/// The price of one booking before it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceQuote {
    /// False when the activity has no tariff (not billed).
    pub billed: bool,
    pub cents: i64,
    /// "3,05 €".
    pub label: String,
    /// "QF 600 à 999, 2e enfant −10 %".
    pub basis: String,
}

pub(crate) fn ledger(inner: &mut Inner) -> Result<Ledger> {
    inner.session()?;
    let id = inner.docs.find(DocKind::Ledger, None);
    hydrate_doc(inner, id)
}

fn pdf_path(dir: &Path, number: &str) -> PathBuf {
    dir.join(INVOICES_DIR).join(format!("{number}.pdf"))
}

/// The cached PDF of `number`, if on disk and (when the ledger gives one) matching the hash.
fn cached_pdf(dir: &Path, number: &str, sha256: &str) -> Option<PathBuf> {
    let path = pdf_path(dir, number);
    let bytes = std::fs::read(&path).ok()?;
    (sha256.is_empty() || hex::encode(Sha256::digest(&bytes)) == sha256).then_some(path)
}

/// Invoice numbers are written "F2026-000042": letters, digits and dashes only.
fn check_number(number: &str) -> Result<()> {
    let ok = !number.is_empty()
        && number.len() <= 40
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "numéro de facture invalide « {number} »"
        )))
    }
}

/// Every document of the ledger, newest first, with its status on the server's date.
pub(crate) fn invoices(inner: &mut Inner, server_now_ms: i64) -> Result<Vec<InvoiceView>> {
    let ledger = ledger(inner)?;
    let today = paris_date(server_now_ms);
    let dir = inner.store.dir().to_path_buf();
    let mut out: Vec<InvoiceView> = ledger
        .documents
        .into_values()
        .map(|d| {
            let status = d.status(today);
            let kind = d.kind();
            InvoiceView {
                local_pdf: cached_pdf(&dir, &d.number, &d.pdf_sha256)
                    .map(|p| p.to_string_lossy().into_owned()),
                kind_label: kind.label_fr().to_string(),
                month_label: d
                    .month
                    .parse::<BillingMonth>()
                    .map(|m| m.label_fr())
                    .unwrap_or_default(),
                status: status.code().to_string(),
                status_label: status.label_fr().to_string(),
                number: d.number,
                kind: d.kind,
                month: d.month,
                issued_on: d.issued_on,
                due_on: d.due_on,
                total_cents: d.total_cents,
                remaining_cents: if kind == DocumentKind::Invoice {
                    d.remaining_cents
                } else {
                    0
                },
                refers_to: d.refers_to,
                reason: d.reason,
                payment_reference: d.payment_reference,
                lines: d.lines,
            }
        })
        .collect();
    out.sort_by(|a, b| (&b.issued_on, &b.number).cmp(&(&a.issued_on, &a.number)));
    Ok(out)
}

/// The balance and payments.
pub(crate) fn balance(inner: &mut Inner, server_now_ms: i64) -> Result<BalanceView> {
    let ledger = ledger(inner)?;
    let today = paris_date(server_now_ms);
    let due_cents = ledger
        .documents
        .values()
        .filter(|d| d.kind() == DocumentKind::Invoice)
        .map(|d| d.remaining_cents.max(0))
        .sum();
    let overdue_count = ledger
        .documents
        .values()
        .filter(|d| d.status(today) == cartable_domain::ledger::PaymentStatus::Overdue)
        .count();
    let b = ledger.balance_cents;
    let label = match b {
        0 => format!("Solde : {}", format_eur(0)),
        b if b < 0 => format!("Solde : {} (à payer)", format_eur(b)),
        b => format!("Solde : {} (en votre faveur)", format_eur(b)),
    };
    let mut payments: Vec<PaymentView> = ledger
        .payments
        .into_values()
        .map(|p| PaymentView {
            method_label: PaymentMethod::from_code(&p.method)
                .map(|m| m.label_fr().to_string())
                .unwrap_or_else(|| p.method.clone()),
            received_on: p.received_on,
            method: p.method,
            amount_cents: p.amount_cents,
            invoice_number: p.invoice_number,
            reference: p.reference,
        })
        .collect();
    payments.sort_by(|a, b| b.received_on.cmp(&a.received_on));
    Ok(BalanceView {
        balance_cents: b,
        label,
        due_cents,
        overdue_count,
        prepaid: ledger.prepaid,
        payments,
    })
}

/// The price of booking `child_id` at `activity_id` on `date`: the catalogue's tariff, the
/// QF in force that month, and the child's rank among the family's children booked for the
/// activity that month (this booking included).
pub(crate) fn price(
    inner: &mut Inner,
    child_id: &str,
    date: jiff::civil::Date,
    activity_id: &str,
) -> Result<PriceQuote> {
    let catalogue = catalogue(inner)?;
    let dossier = dossier(inner)?;
    let ledger = ledger(inner)?;
    let activity = catalogue
        .activities
        .get(activity_id)
        .ok_or_else(|| Error::invalid(format!("activité inconnue « {activity_id} »")))?;
    let child = dossier
        .children
        .get(child_id)
        .ok_or_else(|| Error::invalid(format!("enfant inconnu « {child_id} »")))?;
    let (Some(tariff), None) = (&activity.tariff, closure_on(&catalogue, activity_id, date)) else {
        return Ok(PriceQuote {
            billed: false,
            cents: 0,
            label: "non facturé".into(),
            basis: String::new(),
        });
    };
    let month = BillingMonth::of(date);
    let planning: Planning = {
        let id = planning_id(inner, SchoolYear::of(date));
        hydrate_doc(inner, id)?
    };
    let mut users: Vec<(String, Option<jiff::civil::Date>)> = Vec::new();
    for (key, decision) in &planning.decisions {
        let Ok(cell) = CellKey::decode(key) else {
            continue;
        };
        if decision.outcome.holds_place()
            && cell.activity_id.as_str() == activity_id
            && month.contains(cell.date)
        {
            let birth = dossier
                .children
                .get(cell.child_id.as_str())
                .and_then(|c| c.birth_date.parse().ok());
            users.push((cell.child_id.to_string(), birth));
        }
    }
    users.push((child_id.to_string(), child.birth_date.parse().ok()));
    let rank = sibling_rank(&users, child_id).unwrap_or(1);
    let price = day_price(
        tariff,
        PriceFor {
            qf: qf_for_month(&ledger.quotient, month),
            rank,
            pai: child.pai,
        },
    );
    Ok(PriceQuote {
        billed: true,
        cents: price.cents,
        label: format_eur(price.cents),
        basis: price.basis_fr,
    })
}

/// The local path of the PDF of `number`, fetching it first when not cached (needs the
/// network then).
pub(crate) fn fetch_pdf(
    inner: &Mutex<Inner>,
    transport: &dyn Transport,
    number: &str,
) -> Result<PathBuf> {
    check_number(number)?;
    let (sha, dir, server_url, token) = {
        let mut guard = crate::client::lock(inner);
        let ledger = ledger(&mut guard)?;
        let doc = ledger
            .documents
            .get(number)
            .ok_or_else(|| Error::invalid(format!("facture inconnue « {number} »")))?;
        let dir = guard.store.dir().to_path_buf();
        if let Some(path) = cached_pdf(&dir, number, &doc.pdf_sha256) {
            return Ok(path);
        }
        let session = guard.session()?;
        (
            doc.pdf_sha256.clone(),
            dir,
            session.account.server_url.clone(),
            session.token.clone(),
        )
    };
    let bytes = transport.fetch_invoice_pdf(&server_url, &token, number)?;
    if !sha.is_empty() && hex::encode(Sha256::digest(&bytes)) != sha {
        return Err(Error::Protocol(
            "PDF reçu différent de la facture émise : synchronisez puis réessayez".into(),
        ));
    }
    let path = pdf_path(&dir, number);
    let folder = dir.join(INVOICES_DIR);
    std::fs::create_dir_all(&folder)
        .and_then(|()| {
            let part = path.with_extension("part");
            std::fs::write(&part, &bytes)?;
            std::fs::rename(&part, &path)
        })
        .map_err(|e| Error::Storage(format!("écriture de {} : {e}", path.display())))?;
    Ok(path)
}

/// Deletes every cached PDF (logout).
pub(crate) fn wipe_files(dir: &Path) {
    let folder = dir.join(INVOICES_DIR);
    if let Err(e) = std::fs::remove_dir_all(&folder)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, folder = %folder.display(), "cached invoices not removed");
    }
}
