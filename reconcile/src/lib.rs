//! The reconciliation core: what the server does with a family's document after a merge,
//! without any I/O.
//!
//! Given a document, the heads before the incoming changes, the rules' inputs and the place
//! counts it needs, the core returns effects (document changes, place deltas, projection rows,
//! review and notification events). The server loads, locks, applies the effects in one
//! transaction and answers; tests, the client core's test server and the load generator call
//! the very same functions.

pub mod validate;
