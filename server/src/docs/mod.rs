//! Server-side handling of the synced documents: loading and caching, creation, and
//! applying what the reconciliation core (`cartable_reconcile`) decides: decisions,
//! compensations, projections.

pub mod actors;
pub mod apply;
pub mod batch_write;
pub mod bounded;
pub mod cache;
pub mod catalogue;
pub mod closures;
pub mod create;
pub mod dossier;
pub mod hydrated;
pub mod incoming;
pub mod merge;
pub mod orphans;
pub mod place_locks;
pub mod publication;
pub mod redecide;
pub mod repack;
pub mod requested;
pub mod review;
pub mod store;
pub mod up_to_date;
pub mod write;
pub mod writers;

pub use cartable_reconcile::patches::touched_keys;
