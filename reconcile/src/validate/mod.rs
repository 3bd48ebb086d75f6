//! Every incoming change checked before it is kept.
//!
//! A family's device sends Automerge changes; once merged, a change stays in the document's
//! history for good (dropping it would stop every device that saw it from syncing). So what a
//! device sends is checked before it is merged, and what it wrote is checked before it is
//! stored:
//!
//! 1. [`chunks`]: the sync message's changes are read strictly, one change chunk at a time:
//!    a truncated or altered change is a typed error, not a silent partial load; whole
//!    documents, compressed or bundled chunks are refused (the server never offers the
//!    protocol version that sends them); changes and operations per request are bounded.
//! 2. [`incoming`]: changes the document already has are left out; the others are sorted into
//!    those ready to apply and orphans still waiting for their dependencies.
//! 3. [`actors`]: each new change must be written under an actor of the sending device, never
//!    another device's or the server's.
//! 4. [`patches`]: after the merge, before anything is stored, every value the new changes
//!    made visible is checked against the document's [`schema`]: type, shape, sizes, and the
//!    author named in requests. A refusal rolls the merge back (nothing of it is kept, in
//!    memory or in storage).
//!
//! Writes to read-only documents are refused at step 2 without being merged; writes to the
//! server-only parts of writable documents pass these checks and are written back by
//! compensation, as before.
//!
//! Everything here is pure: the server supplies the document, the device's identity and the
//! limits, and maps a [`Refusal`] onto its typed HTTP error.

pub mod actors;
pub mod chunks;
pub mod incoming;
pub mod limits;
pub mod patches;
pub mod refusal;
pub mod schema;

pub use limits::Limits;
pub use refusal::{Refusal, RefusalKind};
