//! "Last seen" of devices: when a session was last used, which postpones its idle expiry.
//! Written at most once per interval per device (a few minutes, less for short idle
//! limits), so that syncing an up-to-date device stays a read-only request nearly always.
//! The write goes through the database's write discipline like every other, before the
//! request goes on (so the next request sees it); a failed write is logged, never fatal.

use crate::db::{Db, accounts};
use std::collections::HashMap;
use std::sync::Mutex;

/// Most devices remembered before the map is pruned of stale entries.
const PRUNE_ABOVE: usize = 100_000;

#[derive(Debug, Default)]
pub struct LastSeen {
    written: Mutex<HashMap<String, i64>>,
}

impl LastSeen {
    /// Records that `device_id` was used at `now_ms`, unless it was recorded less than
    /// `every_ms` ago.
    pub async fn touch(&self, db: &Db, device_id: &str, now_ms: i64, every_ms: i64) {
        {
            let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
            match written.get(device_id) {
                Some(at) if (now_ms - at).abs() < every_ms => return,
                _ => {
                    if written.len() > PRUNE_ABOVE {
                        written.retain(|_, at| (now_ms - *at).abs() < every_ms);
                    }
                    written.insert(device_id.to_string(), now_ms);
                }
            }
        }
        if let Err(e) = accounts::touch_device(db, device_id, now_ms).await {
            tracing::warn!(error = %e, "could not record device last seen");
            // Try again at the next request.
            let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
            written.remove(device_id);
        }
    }
}
