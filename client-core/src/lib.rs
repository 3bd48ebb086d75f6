//! Cartable's client core: the brain of the parents' app.
//!
//! It keeps the family's documents (dossier, planning per school year, catalogue) in a local
//! SQLite store, lets parents edit them offline (every edit is durable before the call
//! returns), and syncs them with the server in as few round trips as possible. The mobile
//! bindings and the `cartable` command-line tool are thin layers over [`Client`].
//!
//! ```no_run
//! # fn main() -> Result<(), cartable_core::Error> {
//! let client = cartable_core::Client::open("./cartable-store")?;
//! client.login("https://portail.example.fr", "camille", "secret", "Pixel de Camille")?;
//! client.sync()?;
//! // "Mon Planning" of this week, computed offline at the server's time.
//! let today = cartable_core::clock::paris_date(client.server_now_ms()?);
//! for row in client.planning_week(today)?.rows() {
//!     for cell in &row.cells {
//!         println!("{} {} {} {}", row.date, cell.child_name, cell.activity_name, cell.label);
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod absence_documents;
mod bulk;
mod client;
pub mod clock;
mod conflicts;
mod docs;
mod dossier;
mod error;
mod export;
mod foreseen;
mod http;
mod ledger;
mod names;
mod news;
mod planning;
mod publications;
mod push;
mod refusals;
mod session;
mod status;
mod store;
mod sync;
mod transport;
mod uploads;
mod view;

#[cfg(test)]
mod tests;

pub use absence_documents::AbsenceLink;
pub use bulk::{ActivityDays, BulkBooking, BulkReport, MAX_ABSENCE_REASON_CHARS, SkippedCell};
pub use client::{Client, LogoutOutcome, ReceivedPush};
pub use clock::{DeviceClock, ManualClock, SystemClock};
pub use conflicts::{ConflictingValue, DossierConflict, SheetKind};
pub use dossier::{ReviewStatus, ReviewView};
pub use error::{Error, Result};
pub use export::ExportSummary;
pub use http::HttpTransport;
pub use ledger::{BalanceView, INVOICES_DIR, InvoiceView, PaymentView, PriceQuote};
pub use names::{resolve_activity, resolve_adult, resolve_child};
pub use news::{AbsenceNews, DecisionNews};
pub use planning::PlanningEntry;
pub use publications::{DOWNLOADS_DIR, DownloadView, InformationPage, InformationView};
pub use push::PushSetup;
pub use push::notification::Notification;
pub use refusals::RefusedChanges;
pub use session::Account;
pub use status::SyncStatus;
pub use sync::{MAX_ROUNDS, SyncReport};
pub use transport::{DocumentUpload, Transport};
pub use uploads::{DocumentState, DocumentView, MAX_QUEUED_BYTES, SendReport};
pub use view::{
    CellAbsence, MAX_RANGE_DAYS, PlanningCell, PlanningColumn, PlanningRow, PlanningView,
    short_label,
};

/// The domain types this API speaks (dossier, planning, catalogue, protocol).
pub use cartable_domain as domain;
