//! Push notifications: what a family may choose to receive, what the server sends, and the
//! payload both sides agree on.
//!
//! A payload names the event and the documents to sync, never a name, an amount, a reason
//! or health data: the phone builds the French title and body from its own synced data.
//! Each event has its delivery parameters (time to live, urgency, topic) here, so they are
//! stated once.

use crate::DocumentId;
use serde::{Deserialize, Serialize};

/// What a family chooses to receive on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// A new invoice ("Mes Factures").
    Invoice,
    /// A message published by the structure ("Informations").
    Information,
    /// A booking refused, or decided again after a review.
    Booking,
    /// A supporting document accepted, rejected or about to expire.
    Document,
    /// The dossier approved or rejected.
    Dossier,
}

impl PushKind {
    pub const ALL: [PushKind; 5] = [
        PushKind::Invoice,
        PushKind::Information,
        PushKind::Booking,
        PushKind::Document,
        PushKind::Dossier,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PushKind::Invoice => "invoice",
            PushKind::Information => "information",
            PushKind::Booking => "booking",
            PushKind::Document => "document",
            PushKind::Dossier => "dossier",
        }
    }

    pub fn from_code(code: &str) -> Option<PushKind> {
        PushKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// French label, for settings screens.
    pub fn label_fr(self) -> &'static str {
        match self {
            PushKind::Invoice => "Nouvelles factures",
            PushKind::Information => "Informations de la structure",
            PushKind::Booking => "Réservations refusées ou revues",
            PushKind::Document => "Justificatifs examinés ou bientôt expirés",
            PushKind::Dossier => "Dossier validé ou refusé",
        }
    }
}

/// How soon the push service should deliver (RFC 8030 `Urgency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    VeryLow,
    Low,
    Normal,
    High,
}

impl Urgency {
    pub fn code(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// Something that happened and that a family's devices are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushEvent {
    InvoiceIssued,
    InformationPublished,
    BookingRefused,
    /// A booking decided again (after a dossier approval or an accepted document).
    BookingRedecided,
    DocumentAccepted,
    DocumentRejected,
    DocumentExpiring,
    DossierApproved,
    DossierRejected,
}

const HOUR: u32 = 3600;
const DAY: u32 = 24 * HOUR;

impl PushEvent {
    pub const ALL: [PushEvent; 9] = [
        PushEvent::InvoiceIssued,
        PushEvent::InformationPublished,
        PushEvent::BookingRefused,
        PushEvent::BookingRedecided,
        PushEvent::DocumentAccepted,
        PushEvent::DocumentRejected,
        PushEvent::DocumentExpiring,
        PushEvent::DossierApproved,
        PushEvent::DossierRejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PushEvent::InvoiceIssued => "invoice_issued",
            PushEvent::InformationPublished => "information_published",
            PushEvent::BookingRefused => "booking_refused",
            PushEvent::BookingRedecided => "booking_redecided",
            PushEvent::DocumentAccepted => "document_accepted",
            PushEvent::DocumentRejected => "document_rejected",
            PushEvent::DocumentExpiring => "document_expiring",
            PushEvent::DossierApproved => "dossier_approved",
            PushEvent::DossierRejected => "dossier_rejected",
        }
    }

    pub fn from_code(code: &str) -> Option<PushEvent> {
        PushEvent::ALL.into_iter().find(|e| e.code() == code)
    }

    /// The family's choice this event falls under.
    pub fn kind(self) -> PushKind {
        match self {
            PushEvent::InvoiceIssued => PushKind::Invoice,
            PushEvent::InformationPublished => PushKind::Information,
            PushEvent::BookingRefused | PushEvent::BookingRedecided => PushKind::Booking,
            PushEvent::DocumentAccepted
            | PushEvent::DocumentRejected
            | PushEvent::DocumentExpiring => PushKind::Document,
            PushEvent::DossierApproved | PushEvent::DossierRejected => PushKind::Dossier,
        }
    }

    /// How long the push service keeps the message for an unreachable device; the server
    /// stops retrying once it has passed.
    pub fn ttl_secs(self) -> u32 {
        match self {
            // Parents act on a refusal before the next deadline.
            PushEvent::BookingRefused => DAY,
            PushEvent::InvoiceIssued => 7 * DAY,
            PushEvent::InformationPublished => 2 * DAY,
            PushEvent::BookingRedecided => 2 * DAY,
            PushEvent::DocumentAccepted
            | PushEvent::DocumentRejected
            | PushEvent::DocumentExpiring
            | PushEvent::DossierApproved
            | PushEvent::DossierRejected => 3 * DAY,
        }
    }

    pub fn urgency(self) -> Urgency {
        match self {
            PushEvent::BookingRefused => Urgency::High,
            PushEvent::InvoiceIssued
            | PushEvent::BookingRedecided
            | PushEvent::DocumentRejected
            | PushEvent::DossierApproved
            | PushEvent::DossierRejected => Urgency::Normal,
            PushEvent::InformationPublished
            | PushEvent::DocumentAccepted
            | PushEvent::DocumentExpiring => Urgency::Low,
        }
    }

    /// A newer message with the same topic replaces an older one the device has not
    /// received yet: one per kind (the phone shows what changed from its synced data).
    pub fn topic(self) -> &'static str {
        self.kind().code()
    }
}

/// Version of [`PushPayload`] this build writes.
pub const PAYLOAD_VERSION: u8 = 1;

/// Largest payload the server sends, in bytes of JSON (push services accept about 4 KB after
/// encryption; `web-push` refuses above about 3 KB).
pub const MAX_PAYLOAD_BYTES: usize = 2048;

/// What a notification carries, encrypted for the device (RFC 8291).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    pub v: u8,
    pub event: PushEvent,
    /// Documents to sync before showing the notification.
    pub docs: Vec<DocumentId>,
    /// When the event happened (server time, ms): the phone shows what changed since.
    pub at_ms: i64,
    /// An opaque id of what the event is about (an information message, a supporting
    /// document), when the phone can find it in its synced data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl PushPayload {
    pub fn new(event: PushEvent, docs: Vec<DocumentId>, at_ms: i64) -> Self {
        PushPayload {
            v: PAYLOAD_VERSION,
            event,
            docs,
            at_ms,
            subject: None,
        }
    }

    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
}

/// What a device registers: its push service's endpoint, its public key and auth secret
/// (base64url without padding, as browsers and push services give them), and the kinds the
/// family wants on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionRequest {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub kinds: Vec<PushKind>,
}

/// The server's answer about a device's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionView {
    pub endpoint: String,
    pub kinds: Vec<PushKind>,
    /// The VAPID public key the server signs this subscription's messages with.
    pub vapid_public_key: String,
    /// True when the server now signs new subscriptions with another key (after a
    /// rotation): subscribe again with [`VapidKey::public_key`].
    pub key_rotated: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The server's current VAPID public key (base64url, uncompressed P-256 point), the
/// `applicationServerKey` a device subscribes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VapidKey {
    pub public_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_topics_are_valid_push_topics() {
        for event in PushEvent::ALL {
            assert_eq!(PushEvent::from_code(event.code()), Some(event));
            let topic = event.topic();
            // RFC 8030: at most 32 characters of the URL-safe base64 alphabet.
            assert!(topic.len() <= 32);
            assert!(
                topic
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert!(event.ttl_secs() >= 3600);
        }
        for kind in PushKind::ALL {
            assert_eq!(PushKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(PushEvent::from_code("nope"), None);
    }

    #[test]
    fn a_payload_is_small_and_carries_only_ids() {
        let payload = PushPayload::new(
            PushEvent::BookingRefused,
            vec![DocumentId::new("0123456789abcdef0123456789abcdef")],
            1_700_000_000_000,
        );
        let json = serde_json::to_string(&payload).expect("json");
        assert_eq!(
            json,
            r#"{"v":1,"event":"booking_refused","docs":["0123456789abcdef0123456789abcdef"],"at_ms":1700000000000}"#
        );
        assert!(json.len() < MAX_PAYLOAD_BYTES);
        let back: PushPayload = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, payload);
    }
}
