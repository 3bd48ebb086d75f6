//! The reconciliation core: what the server does with a family's document after a merge,
//! without any I/O.
//!
//! Given a document, the heads before the incoming changes, the rules' inputs and the place
//! counts it needs, the core returns effects (document changes, place deltas, projection
//! rows, review and notification events). The server loads, locks, applies the effects in
//! one transaction and answers; tests, the client core's test server and the load generator
//! call the very same functions.
//!
//! Every decision is taken in two steps, so that the server can lock what the core needs
//! in one fixed order (activity, then day) and two writers never deadlock:
//!
//! 1. a plan ([`plan_sync`] after a merge, [`redecide::plan_family_file`],
//!    [`redecide::plan_closures`] or [`redecide::plan_override`]) names the place counters
//!    the decisions need ([`PlaceKey`], sorted);
//! 2. the server locks those counters in that order and hands their values in
//!    ([`Counts`]); the plan's `decide` writes the decisions into the document and returns
//!    the [`Effects`] to apply.

pub mod absences;
pub mod cells;
pub mod compensation;
pub mod effects;
pub mod error;
pub mod inputs;
mod ledger;
pub mod patches;
pub mod places;
pub mod redecide;
pub mod sync;
pub mod validate;

pub use effects::{AbsenceRow, BookingRow, Effects, Event, Redecision, Rows, SheetRows};
pub use error::CoreError;
pub use inputs::DecisionInputs;
pub use places::{Counts, PlaceDeltas, PlaceKey};
pub use sync::{Rules, SyncPlan, plan_sync, plan_sync_with};
