//! "Last seen" of devices, written at most once every few minutes per device so that
//! syncing an up-to-date device stays a read-only request.

use crate::db::{Db, accounts, now_ms};
use std::collections::HashMap;
use std::sync::Mutex;

const EVERY_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, Default)]
pub struct LastSeen {
    written: Mutex<HashMap<String, i64>>,
}

impl LastSeen {
    /// Records that `device_id` was seen now, in the background when due.
    pub fn touch(&self, db: &Db, device_id: &str) {
        let now = now_ms();
        {
            let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
            match written.get(device_id) {
                Some(at) if now - at < EVERY_MS => return,
                _ => {
                    written.insert(device_id.to_string(), now);
                }
            }
        }
        let db = db.clone();
        let device_id = device_id.to_string();
        tokio::spawn(async move {
            if let Err(e) = accounts::touch_device(&db, &device_id, now).await {
                tracing::warn!(error = %e, "could not record device last seen");
            }
        });
    }
}
