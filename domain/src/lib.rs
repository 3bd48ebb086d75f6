//! Cartable's domain: the types and rules that the server enforces and the phone shows offline.
//!
//! Nothing here touches the network, a disk or a clock: time and randomness come in as
//! arguments, so the very same code decides on the server and previews on the phone.

pub mod absences;
pub mod api;
pub mod calendar;
pub mod catalogue;
pub mod cell_values;
pub mod cells;
pub mod conflicts;
pub mod deadlines;
pub mod documents;
pub mod dossier;
pub mod eligibility;
pub mod ids;
pub mod information;
pub mod invoicing;
pub mod ledger;
pub mod ledger_values;
pub mod money;
pub mod password;
pub mod planning;
pub mod pricing;
pub mod protocol;
pub mod push;
pub mod refusal;
pub mod roles;
pub mod rules;
pub mod school_year;
pub mod search_key;
pub mod supporting;
pub mod sync_plan;
pub mod tariffs;
pub mod text;
pub mod words;

pub use documents::DocKind;
pub use ids::{AccountId, ActivityId, ChildId, DeviceId, DocumentId, FamilyId, StructureId};
