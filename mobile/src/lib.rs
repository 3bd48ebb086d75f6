//! Cartable's mobile library: the client core behind Kotlin (Android) and Swift (iOS).
//!
//! This crate is the public face only: uniffi records and enums that mirror the core's types
//! in shapes apps draw directly (flat records, dates as "YYYY-MM-DD"), one object,
//! [`CartableClient`] (its calls grouped by concern: `client.rs`, `documents.rs`,
//! `publications.rs`, `invoices.rs`, `export.rs`, `push.rs`), and one small error, [`CartableError`]. The logic lives in
//! `cartable-core`. `mobile/README.md` tells app developers how to build and call it.

uniffi::setup_scaffolding!();

mod catalogue;
mod client;
mod conflicts;
mod debug;
mod documents;
mod dossier;
mod error;
mod export;
mod guard;
mod invoices;
mod news;
mod planning;
mod publications;
mod push;
mod session;
mod views;

pub use catalogue::{Activity, Catalogue, Closure, Contact, Device};
pub use client::CartableClient;
pub use conflicts::{ConflictingValue, DossierConflict, SheetKind};
pub use debug::debug_panic_for_tests;
pub use documents::{
    DocumentKindOption, SendReport, SupportingDocument, SupportingDocumentState,
    document_kind_options,
};
pub use dossier::{
    Adult, AdultField, Child, ChildField, Diet, DietOption, Dossier, DossierReview, ReviewStatus,
    diet_options,
};
pub use error::{CartableError, Result};
pub use export::ExportSummary;
pub use invoices::{Balance, BookingPrice, Invoice, InvoiceLine, Payment};
pub use news::{AbsenceNews, DecisionNews, DecisionOutcome};
pub use planning::{PlanningEntry, RequestState};
pub use publications::{Download, InformationMessage, InformationPage};
pub use push::{
    PushKind, PushKindOption, PushNotification, PushSetup, PushSubscription, push_kind_options,
};
pub use session::{
    Account, ChangedDocument, Compensation, DocumentKind, LogoutOutcome, RefusedChanges,
    SyncReport, SyncStatus,
};
pub use views::{
    AbsenceOutcome, ActivityDays, BulkBooking, BulkReport, CellAbsence, CellState, PlanningCell,
    PlanningColumn, PlanningRow, PlanningView, SkippedCell,
};
