//! What the core decided, for the server to apply in the same transaction as the document
//! change: place counter moves, projection rows, and events to notify.
//!
//! The document changes themselves (decisions, compensations, absence outcomes) are already
//! made on the document handed to the core, as the server's actor; the server stores them
//! with the write.

use crate::places::PlaceDeltas;
use cartable_domain::dossier::{AdultSheet, ChildSheet, ReviewStatus};
use cartable_domain::planning::{
    AbsenceDeclaration, AbsenceOutcome, BookingRequest, CellKey, Decision, Outcome,
};
use cartable_domain::refusal::RefusalCause;
use std::collections::BTreeMap;

/// Everything the server applies after the core ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// Paths of server-only values written back over a family's change (logged, reported
    /// to the device).
    pub compensated: Vec<String>,
    /// How place counters move.
    pub places: PlaceDeltas,
    /// Booking projection rows to write, in cell order.
    pub bookings: Vec<BookingRow>,
    /// Absence projection rows to write.
    pub absences: Vec<AbsenceRow>,
    /// Dossier sheets to project (dossier documents only).
    pub sheets: Option<SheetRows>,
    /// The family pressed "Je valide mes modifications": the server records the version
    /// submitted and answers `review = pending`.
    pub submitted: bool,
    /// What to tell the family (push notifications), in the order it happened.
    pub events: Vec<Event>,
    /// Keys of requests that could not be read: never decided, worth a log line.
    pub unreadable_keys: Vec<String>,
}

impl Effects {
    /// Decisions written, in cell order (from the booking rows).
    pub fn decisions(&self) -> impl Iterator<Item = (&CellKey, &Decision)> {
        self.bookings.iter().filter_map(|row| match row {
            BookingRow::Upsert {
                key,
                decision: Some(d),
                decided: true,
                ..
            } => Some((key, d)),
            _ => None,
        })
    }
}

/// One row of the booking projection (`booking_requests`).
#[derive(Debug, Clone, PartialEq)]
pub enum BookingRow {
    /// The cell's current request and its standing decision (which may answer an earlier
    /// `rev` until the current one is decided).
    Upsert {
        key: CellKey,
        request: BookingRequest,
        decision: Option<Decision>,
        /// True when `decision` was written by this run of the core.
        decided: bool,
    },
    /// The request disappeared from the document.
    Delete { key: CellKey },
}

/// One row of the absence projection (`absences`).
#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceRow {
    pub key: CellKey,
    pub declaration: AbsenceDeclaration,
    /// When the server first received a declaration for this cell.
    pub declared_at_ms: i64,
    pub outcome: Option<AbsenceOutcome>,
}

/// Sheets of a dossier to project (`children`, `adults`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetRows {
    pub children: Rows<ChildSheet>,
    pub adults: Rows<AdultSheet>,
}

/// Rows of one projected map.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows<T> {
    /// These keys changed: `Some` to write, `None` to delete.
    Changed(Vec<(String, Option<T>)>),
    /// The whole map was replaced: these are all the rows there are.
    All(BTreeMap<String, T>),
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows::Changed(Vec::new())
    }
}

/// Why the structure decided a booking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redecision {
    /// Staff approved the dossier or accepted a document the refusal was about.
    FamilyFile,
    /// The family paid (or a credit note settled) the overdue invoice the refusal was about.
    Payment,
    /// A closure was added over booked days.
    Closure,
    /// A member of staff overrode the decision.
    Override,
    /// Bookings the structure records as accepted without deciding them (bookings taken
    /// before it used Cartable, the demo's history): the family is not notified.
    Recorded,
}

/// Something the family should hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A booking asked through sync was refused (the reason is in the document).
    BookingRefused { key: CellKey, cause: RefusalCause },
    /// A standing decision changed on the structure's initiative.
    BookingRedecided {
        key: CellKey,
        before: Option<Outcome>,
        after: Outcome,
        cause: Option<RefusalCause>,
        why: Redecision,
    },
    /// Staff answered the dossier the family submitted: approved, or rejected with a
    /// reason to correct.
    DossierAnswered {
        status: ReviewStatus,
        reason: Option<String>,
    },
}
