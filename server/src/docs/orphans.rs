//! Changes that arrived before the changes they depend on (orphans), kept apart from the
//! documents, per device and document, while the device is asked for what they need.
//!
//! An honest device sends an orphan only when Automerge's sync took one of its changes for
//! one the server already has (a Bloom filter false positive); the server's reply then asks
//! for the missing change and the next round completes the set. Anything else is bounded:
//! at most `max_orphan_changes` per device and document, [`MAX_HELD_BYTES`] in all, kept
//! for [`MAX_ROUNDS`] requests of that device and [`MAX_AGE`] at most, then dropped with a
//! `missing_dependencies` error.

use automerge::Change;
use cartable_reconcile::validate::{Refusal, RefusalKind};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Requests of a device during which its orphans wait for their dependencies.
pub const MAX_ROUNDS: u32 = 3;
/// How long orphans are kept at most.
pub const MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Bytes of orphans kept for all devices together.
pub const MAX_HELD_BYTES: usize = 64 * 1024 * 1024;

/// Orphans of one device for one document.
#[derive(Debug, Default)]
pub struct Held {
    pub changes: Vec<Change>,
    /// Requests that brought them or came after.
    pub rounds: u32,
    /// When the first of them arrived (server clock, ms).
    pub since_ms: i64,
    bytes: usize,
}

/// Every device's orphans.
#[derive(Debug, Default)]
pub struct OrphanStash {
    held: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_doc_device: HashMap<(String, String), Held>,
    bytes: usize,
}

impl Inner {
    fn drop_expired(&mut self, now_ms: i64) {
        let max_age = i64::try_from(MAX_AGE.as_millis()).unwrap_or(i64::MAX);
        let expired: Vec<(String, String)> = self
            .by_doc_device
            .iter()
            .filter(|(_, h)| now_ms.saturating_sub(h.since_ms) > max_age)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            if let Some(h) = self.by_doc_device.remove(&key) {
                tracing::warn!(
                    doc_id = %key.0,
                    device_id = %key.1,
                    changes = h.changes.len(),
                    "orphan changes dropped: their dependencies never arrived"
                );
                self.bytes = self.bytes.saturating_sub(h.bytes);
            }
        }
    }
}

impl OrphanStash {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the orphans held for `device_id` and `doc_id` (none once expired).
    pub fn take(&self, doc_id: &str, device_id: &str, now_ms: i64) -> Held {
        let mut inner = self.inner();
        inner.drop_expired(now_ms);
        match inner
            .by_doc_device
            .remove(&(doc_id.to_string(), device_id.to_string()))
        {
            Some(h) => {
                inner.bytes = inner.bytes.saturating_sub(h.bytes);
                h
            }
            None => Held::default(),
        }
    }

    /// Whether orphans are held for `device_id` and `doc_id`.
    pub fn holds(&self, doc_id: &str, device_id: &str) -> bool {
        let inner = self.inner();
        !inner.by_doc_device.is_empty()
            && inner
                .by_doc_device
                .contains_key(&(doc_id.to_string(), device_id.to_string()))
    }

    /// A copy of the orphans held for `device_id` and `doc_id`.
    pub fn peek(&self, doc_id: &str, device_id: &str) -> Vec<Change> {
        self.inner()
            .by_doc_device
            .get(&(doc_id.to_string(), device_id.to_string()))
            .map(|h| h.changes.clone())
            .unwrap_or_default()
    }

    /// Keeps `changes` for `device_id` and `doc_id`, after `rounds` requests; refuses once
    /// they waited too long or would take too much room.
    pub fn keep(
        &self,
        doc_id: &str,
        device_id: &str,
        changes: Vec<Change>,
        rounds: u32,
        since_ms: i64,
        max_changes: usize,
    ) -> Result<(), Refusal> {
        if rounds > MAX_ROUNDS {
            return Err(Refusal::new(
                RefusalKind::MissingDependencies,
                format!(
                    "{} modification(s) attendent depuis {MAX_ROUNDS} échanges des modifications \
                     qui ne sont jamais arrivées : elles sont écartées, synchronisez à nouveau",
                    changes.len()
                ),
            ));
        }
        if changes.len() > max_changes {
            return Err(Refusal::too_large(format!(
                "{} modifications reçues sans celles dont elles dépendent ({max_changes} au plus)",
                changes.len()
            )));
        }
        let bytes: usize = changes.iter().map(|c| c.raw_bytes().len()).sum();
        let mut inner = self.inner();
        if inner.bytes + bytes > MAX_HELD_BYTES {
            return Err(Refusal::new(
                RefusalKind::MissingDependencies,
                "Modifications reçues sans celles dont elles dépendent, et le serveur ne peut pas \
                 les garder en attente : synchronisez à nouveau",
            ));
        }
        inner.bytes += bytes;
        inner.by_doc_device.insert(
            (doc_id.to_string(), device_id.to_string()),
            Held {
                changes,
                rounds,
                since_ms,
                bytes,
            },
        );
        Ok(())
    }

    /// Changes held for all devices.
    pub fn len(&self) -> usize {
        self.inner()
            .by_doc_device
            .values()
            .map(|h| h.changes.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
