//! Cartable's mobile library: the client core behind Kotlin (Android) and Swift (iOS).
//!
//! This crate is the public face only: uniffi records and enums that mirror the core's types
//! in shapes apps draw directly (flat records, dates as "YYYY-MM-DD"), one object,
//! [`CartableClient`], and one small error, [`CartableError`]. The logic lives in
//! `cartable-core`. `mobile/README.md` tells app developers how to build and call it.

uniffi::setup_scaffolding!();

mod catalogue;
mod client;
mod debug;
mod dossier;
mod error;
mod guard;
mod planning;
mod session;
mod views;

pub use catalogue::{Activity, Catalogue, Closure, Contact, Device};
pub use client::CartableClient;
pub use debug::debug_panic_for_tests;
pub use dossier::{
    Adult, AdultField, Child, ChildField, Diet, DietOption, Dossier, DossierReview, ReviewStatus,
    diet_options,
};
pub use error::{CartableError, Result};
pub use planning::{PlanningEntry, RequestState};
pub use session::{
    Account, ChangedDocument, Compensation, DocumentKind, LogoutOutcome, SyncReport, SyncStatus,
};
pub use views::{
    AbsenceOutcome, ActivityDays, BulkBooking, BulkReport, CellAbsence, CellState, PlanningCell,
    PlanningColumn, PlanningRow, PlanningView, SkippedCell,
};
