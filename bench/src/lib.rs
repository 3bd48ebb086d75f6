//! `cartable-loadgen`: many families syncing over real HTTP against the real server.
//!
//! See `bench/README.md` for what is measured and how to run it.

pub mod client;
pub mod external;
pub mod load;
pub mod memory;
pub mod rules_check;
pub mod server;
pub mod start;
pub mod stats;
