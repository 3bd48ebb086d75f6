//! Push notifications: what the app subscribes its push service with, the subscription on
//! the server (with the kinds the family wants on this phone), and reading a received
//! message into a notification to show.
//!
//! Typical use: `pushSetup()` → subscribe with the push service (FCM, UnifiedPush...) using
//! `vapidPublicKey`, `p256dh` and `auth` → `registerPush(endpoint, kinds)`; when a message
//! arrives, `receivePush(body)` and show its `title` and `body`.

use crate::client::CartableClient;
use crate::error::Result;
use crate::guard::core;
use cartable_core::domain::push as domain;

/// What the family may choose to be told about on this phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushKind {
    /// A new invoice.
    Invoice,
    /// A message published by the structure.
    Information,
    /// A booking refused, or decided again after a review.
    Booking,
    /// A supporting document accepted, rejected or about to expire.
    Document,
    /// The dossier approved or rejected.
    Dossier,
}

impl From<PushKind> for domain::PushKind {
    fn from(k: PushKind) -> Self {
        match k {
            PushKind::Invoice => domain::PushKind::Invoice,
            PushKind::Information => domain::PushKind::Information,
            PushKind::Booking => domain::PushKind::Booking,
            PushKind::Document => domain::PushKind::Document,
            PushKind::Dossier => domain::PushKind::Dossier,
        }
    }
}

impl From<domain::PushKind> for PushKind {
    fn from(k: domain::PushKind) -> Self {
        match k {
            domain::PushKind::Invoice => PushKind::Invoice,
            domain::PushKind::Information => PushKind::Information,
            domain::PushKind::Booking => PushKind::Booking,
            domain::PushKind::Document => PushKind::Document,
            domain::PushKind::Dossier => PushKind::Dossier,
        }
    }
}

/// A kind with its French label, for a settings screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushKindOption {
    pub kind: PushKind,
    /// e.g. "Réservations refusées ou revues".
    pub label: String,
}

/// Every kind with its label, in display order.
#[uniffi::export]
pub fn push_kind_options() -> Vec<PushKindOption> {
    domain::PushKind::ALL
        .into_iter()
        .map(|k| PushKindOption {
            kind: k.into(),
            label: k.label_fr().to_string(),
        })
        .collect()
}

/// What the app subscribes its push service with (all base64url without padding).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushSetup {
    /// The server's VAPID public key: the `applicationServerKey`.
    pub vapid_public_key: String,
    /// This phone's public key (`p256dh`).
    pub p256dh: String,
    /// This phone's auth secret (`auth`).
    pub auth: String,
}

/// The server's record of this phone's subscription.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushSubscription {
    pub endpoint: String,
    pub kinds: Vec<PushKind>,
    /// True after the server's key changed: call `pushSetup()` and subscribe again.
    pub key_rotated: bool,
    pub updated_at_ms: i64,
}

impl From<domain::PushSubscriptionView> for PushSubscription {
    fn from(v: domain::PushSubscriptionView) -> Self {
        Self {
            endpoint: v.endpoint,
            kinds: v.kinds.into_iter().map(PushKind::from).collect(),
            key_rotated: v.key_rotated,
            updated_at_ms: v.updated_at_ms,
        }
    }
}

/// A notification ready to show, written on the phone from its own data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushNotification {
    pub kind: PushKind,
    /// Stable event code, e.g. `booking_refused`, `information_published`.
    pub event: String,
    /// French, short.
    pub title: String,
    /// French, one or two sentences.
    pub body: String,
    /// Show with this tag: a newer notification with the same tag replaces it.
    pub tag: String,
    /// Why the sync before writing it failed (offline...), if it did: the text then
    /// reflects what the phone already had.
    pub sync_error: Option<String>,
}

#[uniffi::export]
impl CartableClient {
    /// This phone's push keys (created the first time, kept until logout) and the server's
    /// VAPID key, to subscribe with the push service. Needs the network.
    pub fn push_setup(&self) -> Result<PushSetup> {
        core(|| self.core.push_setup()).map(|s| PushSetup {
            vapid_public_key: s.vapid_public_key,
            p256dh: s.p256dh,
            auth: s.auth,
        })
    }

    /// Registers the `endpoint` the push service gave and the kinds wanted on this phone
    /// (call again to change them). Needs the network.
    pub fn register_push(
        &self,
        endpoint: String,
        kinds: Vec<PushKind>,
    ) -> Result<PushSubscription> {
        let kinds: Vec<domain::PushKind> = kinds.into_iter().map(Into::into).collect();
        core(|| self.core.register_push(&endpoint, &kinds)).map(PushSubscription::from)
    }

    /// The server's record of this phone's subscription; none when not subscribed.
    pub fn push_subscription(&self) -> Result<Option<PushSubscription>> {
        core(|| self.core.push_subscription()).map(|s| s.map(PushSubscription::from))
    }

    /// Stops notifications to this phone (logging out does it too).
    pub fn unregister_push(&self) -> Result<()> {
        core(|| self.core.unregister_push())
    }

    /// A received push message (its raw encrypted body): decrypted with this phone's keys,
    /// the documents it names synced (best effort), and the notification to show. Fails with
    /// `InvalidInput` for a message that is not for this phone or is damaged.
    pub fn receive_push(&self, body: Vec<u8>) -> Result<PushNotification> {
        core(|| self.core.receive_push(&body)).map(|r| PushNotification {
            kind: r.notification.kind.into(),
            event: r.notification.event.code().to_string(),
            title: r.notification.title,
            body: r.notification.body,
            tag: r.notification.tag,
            sync_error: r.sync_error,
        })
    }
}
