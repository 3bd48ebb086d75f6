//! Push notifications (Web Push: RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID).
//!
//! - [`outbox::enqueue`] writes an event in the same transaction as its cause (information
//!   published, booking refused or decided again, document or dossier reviewed, invoice
//!   issued); [`expiry`] queues "document about to expire" reminders.
//! - [`worker`] expands due events into one delivery per subscribed device, sends them
//!   ([`send`]) and retries by [`retry`]'s rules until the time to live.
//! - [`subscriptions`] are per device, with the kinds the family chose; [`vapid`] keeps the
//!   server's signing keys and [`signatures`] the tokens signed with them, reused per push
//!   service; [`stats`] counts deliveries per kind for staff.

pub mod causes;
pub mod expiry;
pub mod outbox;
pub mod retry;
pub mod send;
pub mod signatures;
pub mod stats;
pub mod subscriptions;
pub mod vapid;
pub mod worker;

use crate::settings::Settings;
use std::sync::Mutex;
use std::time::Duration;

/// The push side of a server process: the sender, the worker's wake-up and settings.
#[derive(Debug)]
pub struct PushRuntime {
    pub sender: send::Sender,
    pub backoff: retry::Backoff,
    /// Notified after this process enqueues events, so they go out without waiting for the
    /// next poll.
    pub wake: tokio::sync::Notify,
    /// The last day (Europe/Paris) this process looked for documents about to expire.
    pub expiry_checked: Mutex<Option<jiff::civil::Date>>,
}

impl PushRuntime {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        Ok(PushRuntime {
            sender: send::Sender::new(
                Duration::from_secs(settings.push_request_timeout_secs.max(1)),
                settings.push_contact.clone(),
            )?,
            backoff: retry::Backoff {
                base_ms: i64::try_from(settings.push_retry_base_ms).unwrap_or(30_000),
                max_ms: i64::try_from(settings.push_retry_max_ms).unwrap_or(3_600_000),
            },
            wake: tokio::sync::Notify::new(),
            expiry_checked: Mutex::new(None),
        })
    }

    /// Tells this process's worker that events are waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
