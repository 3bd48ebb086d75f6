//! One batch of a monthly run, numbered and stored in one transaction.
//!
//! The numbering counters' row locks are taken (`FOR UPDATE` on PostgreSQL, the write gate
//! on SQLite) in a fixed order, the families that already have the month's document are read
//! under that lock, and only then are documents numbered and inserted: two runs at once, or
//! two server processes, never issue a family's month twice, and numbers follow each other
//! without a gap (a failed batch rolls its numbers back with it).

use super::content::{FamilySnapshot, InvoiceContent, IssuerSnapshot};
use super::{issued, ledger};
use crate::AppState;
use crate::db::invoices::{self, InvoiceRow};
use crate::error::AppResult;
use crate::push::causes::HeldEvent;
use cartable_domain::invoicing::InvoiceDraft;
use cartable_domain::ledger::{DocumentKind, document_number};
use cartable_domain::pricing::BillingMonth;
use cartable_domain::tariffs::BillingMode;
use std::collections::BTreeMap;

/// A batch's documents as committed, with their "invoice issued" notifications, held until
/// the families' ledgers show them.
pub struct Committed {
    pub rows: Vec<InvoiceRow>,
    pub held: Vec<HeldEvent>,
}

/// What every document of a run shares.
pub struct Issuing<'a> {
    pub structure_id: &'a str,
    pub month: BillingMonth,
    pub today: jiff::civil::Date,
    pub now: jiff::Timestamp,
    pub prepaid: bool,
    /// Empty when nothing is due (prepaid).
    pub due_on: String,
    pub issuer: IssuerSnapshot,
    pub issued_by: &'a str,
}

impl Issuing<'_> {
    fn mode(&self) -> BillingMode {
        if self.prepaid {
            BillingMode::Prepaid
        } else {
            BillingMode::Postpaid
        }
    }

    /// Numbers and stores the documents of `batch`, committed together. Returns the rows
    /// written with their held notifications, and how many families already had their
    /// document for the month.
    pub async fn batch(
        &self,
        state: &AppState,
        batch: &[(FamilySnapshot, InvoiceDraft)],
    ) -> AppResult<(Committed, usize)> {
        let mut already_issued = 0;
        let mut tx = state.db.begin_write().await?;
        let year = i64::from(self.today.year());
        let mut counters: BTreeMap<DocumentKind, i64> = BTreeMap::new();
        for kind in [
            DocumentKind::Invoice,
            DocumentKind::CreditNote,
            DocumentKind::Statement,
        ] {
            let last =
                invoices::lock_counter(&mut tx.tx, &state.db, self.structure_id, year, kind.code())
                    .await?;
            counters.insert(kind, last);
        }
        // Read under the counters' lock: a concurrent run committed before we got it.
        let batch_families: Vec<&str> = batch.iter().map(|(f, _)| f.family_id.as_str()).collect();
        let existing = invoices::issued_among(
            &mut tx.tx,
            self.structure_id,
            &self.month.to_string(),
            &batch_families,
        )
        .await?;
        let mut batch_rows = Vec::new();
        for (family, draft) in batch {
            if existing.contains_key(&family.family_id) {
                already_issued += 1;
                continue;
            }
            let kind = if draft.total_cents < 0 {
                DocumentKind::CreditNote
            } else if self.prepaid {
                DocumentKind::Statement
            } else {
                DocumentKind::Invoice
            };
            let seq = counters.entry(kind).or_insert(0);
            *seq += 1;
            let content = InvoiceContent {
                kind,
                number: document_number(kind, self.today.year(), *seq),
                month: self.month.to_string(),
                issued_on: self.today.to_string(),
                due_on: if kind == DocumentKind::Invoice {
                    self.due_on.clone()
                } else {
                    String::new()
                },
                issuer: self.issuer.clone(),
                family: family.clone(),
                lines: draft.lines.clone(),
                total_cents: draft.total_cents,
                refers_to: String::new(),
                reason: String::new(),
                payment_reference: String::new(),
            };
            let row = issued::row(
                self.structure_id,
                content,
                Some(self.month.to_string()),
                *seq,
                year,
                self.issued_by,
                self.now,
            )?;
            batch_rows.push(row);
        }
        // The batch's rows, the notes that their ledgers changed, the ledgers (created for
        // first-time families) and the notifications: a few statements for the batch.
        invoices::insert_many(&mut tx.tx, &batch_rows).await?;
        let families: Vec<&str> = batch_rows.iter().map(|r| r.family_id.as_str()).collect();
        ledger::mark_changed_many(&mut tx.tx, self.structure_id, &families).await?;
        let held = issued::on_issued_batch(
            &mut tx.tx,
            state,
            self.structure_id,
            &batch_rows,
            self.mode(),
        )
        .await?;
        for (kind, last) in &counters {
            invoices::save_counter(&mut tx.tx, self.structure_id, year, kind.code(), *last).await?;
        }
        tx.commit().await?;
        let committed = Committed {
            rows: batch_rows,
            held,
        };
        Ok((committed, already_issued))
    }
}
