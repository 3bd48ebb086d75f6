//! What deciding needs besides the planning itself: the structure's catalogue, the family's
//! dossier, valid documents and overdue invoice, and the server's clock, read by the server before it locks
//! anything.

use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::rules::{DecisionContext, OverdueInvoice};
use cartable_domain::school_year::SchoolYear;
use jiff::Timestamp;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The rules' inputs for one family.
#[derive(Debug, Clone)]
pub struct DecisionInputs {
    pub catalogue: Arc<Catalogue>,
    pub dossier: Arc<Dossier>,
    /// Kinds of supporting document currently valid for the family.
    pub valid_documents: BTreeSet<String>,
    /// The family's unpaid invoice blocking new bookings, when the structure blocks them
    /// ([`OverdueInvoice::blocking`]).
    pub overdue: Option<OverdueInvoice>,
    /// The server's clock.
    pub now: Timestamp,
}

impl DecisionInputs {
    /// The rules' context for a planning of `school_year`.
    pub fn context(&self, school_year: SchoolYear) -> DecisionContext<'_> {
        DecisionContext::new(&self.catalogue, &self.dossier, school_year, self.now)
            .with_documents(&self.valid_documents)
            .with_overdue(self.overdue.as_ref())
    }
}
