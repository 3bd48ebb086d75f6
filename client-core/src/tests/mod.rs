//! Behaviour tests of the client core against an in-memory server (no network, no real clock).

mod absence_document_tests;
mod api_tests;
mod conflict_tests;
mod convergence_tests;
mod fake_server;
mod foreseen_tests;
mod news_tests;
mod planning_view_tests;
mod sync_tests;

use crate::clock::ManualClock;
use crate::{Client, Transport};
use fake_server::{FakeServer, LOGIN, PASSWORD};
use jiff::civil::{Date, date};
use std::path::Path;
use std::sync::Arc;

/// 2026-11-20T10:00:00Z, a Friday of the 2026-2027 school year.
pub const NOV_20_MS: i64 = 1_795_168_800_000;
/// Monday 30 November 2026: the canteen runs.
pub const MONDAY: Date = date(2026, 11, 30);
/// Wednesday 2 December 2026: no canteen.
pub const WEDNESDAY: Date = date(2026, 12, 2);

pub struct Family {
    pub server: Arc<FakeServer>,
    pub clock: Arc<ManualClock>,
}

impl Family {
    pub fn new() -> Self {
        Self {
            server: Arc::new(FakeServer::new(NOV_20_MS)),
            clock: Arc::new(ManualClock::new(NOV_20_MS)),
        }
    }

    /// Opens a client on `dir` talking to this family's server.
    pub fn open(&self, dir: &Path) -> Client {
        let transport: Arc<dyn Transport> = self.server.clone();
        Client::open_with(dir, transport, self.clock.clone()).expect("store opens")
    }

    /// A device signed in and synced once.
    pub fn device(&self, dir: &Path, name: &str) -> Client {
        let client = self.open(dir);
        client
            .login("http://fake", LOGIN, PASSWORD, name)
            .expect("login");
        client.sync().expect("first sync");
        client
    }
}
