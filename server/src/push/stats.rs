//! Delivery counts and failures per kind, for staff (the admin page shows them).

use crate::db::Db;
use cartable_domain::push::PushKind;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// Counts for one kind since a given instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    pub kind: String,
    pub label: String,
    /// Devices of the structure subscribed to this kind now.
    pub subscribed_devices: i64,
    /// Handed to the push service.
    pub sent: i64,
    /// Waiting (first try or a retry).
    pub pending: i64,
    /// Not handed over before its time to live.
    pub expired: i64,
    /// Refused by the push service (401, 403, 413...): by status.
    pub rejected: BTreeMap<String, i64>,
    /// The device's subscription no longer existed (404, 410): removed.
    pub gone: i64,
    /// Withdrawn before sending (message withdrawn, device signed out).
    pub cancelled: i64,
    /// Attempts beyond the first (retries after 429, 5xx or network errors).
    pub retries: i64,
}

/// A delivery that did not reach its device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub delivery_id: i64,
    pub kind: String,
    pub event: String,
    /// `expired`, `rejected` or `gone`.
    pub state: String,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub attempts: i64,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

/// The staff view: per kind, and the latest failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStats {
    pub since_ms: i64,
    pub kinds: Vec<KindCounts>,
    pub recent_failures: Vec<Failure>,
}

pub async fn of_structure(
    db: &Db,
    structure_id: &str,
    since_ms: i64,
) -> Result<DeliveryStats, sqlx::Error> {
    let mut kinds: BTreeMap<PushKind, KindCounts> = PushKind::ALL
        .into_iter()
        .map(|k| {
            (
                k,
                KindCounts {
                    kind: k.code().into(),
                    label: k.label_fr().into(),
                    ..Default::default()
                },
            )
        })
        .collect();
    let rows = sqlx::query(
        "SELECT kind, state, last_status, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END) AS BIGINT) AS retries \
         FROM push_deliveries WHERE structure_id = $1 AND created_at_ms >= $2 \
         GROUP BY kind, state, last_status",
    )
    .bind(structure_id)
    .bind(since_ms)
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        let Some(counts) = PushKind::from_code(&kind).and_then(|k| kinds.get_mut(&k)) else {
            continue;
        };
        let state: String = r.try_get("state")?;
        let status: Option<i64> = r.try_get("last_status")?;
        let n: i64 = r.try_get("n")?;
        let retries: Option<i64> = r.try_get("retries")?;
        counts.retries += retries.unwrap_or(0);
        match state.as_str() {
            "sent" => counts.sent += n,
            "pending" => counts.pending += n,
            "expired" => counts.expired += n,
            "gone" => counts.gone += n,
            "cancelled" => counts.cancelled += n,
            "rejected" => {
                let key = status.map_or_else(|| "invalide".to_string(), |s| s.to_string());
                *counts.rejected.entry(key).or_default() += n;
            }
            _ => {}
        }
    }
    let subscribed = sqlx::query("SELECT kinds FROM push_subscriptions WHERE structure_id = $1")
        .bind(structure_id)
        .fetch_all(&db.pool)
        .await?;
    for r in &subscribed {
        let stored: String = r.try_get("kinds")?;
        for k in super::subscriptions::decode_kinds(&stored) {
            if let Some(c) = kinds.get_mut(&k) {
                c.subscribed_devices += 1;
            }
        }
    }
    let failures = sqlx::query(
        "SELECT d.id, d.kind, e.event, d.state, d.last_status, d.last_error, d.attempts, \
         d.created_at_ms, d.finished_at_ms FROM push_deliveries d \
         JOIN push_events e ON e.id = d.event_id \
         WHERE d.structure_id = $1 AND d.created_at_ms >= $2 \
         AND d.state IN ('expired', 'rejected', 'gone') \
         ORDER BY d.finished_at_ms DESC, d.id DESC LIMIT 50",
    )
    .bind(structure_id)
    .bind(since_ms)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Failure {
            delivery_id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            event: r.try_get("event")?,
            state: r.try_get("state")?,
            last_status: r.try_get("last_status")?,
            last_error: r.try_get("last_error")?,
            attempts: r.try_get("attempts")?,
            created_at_ms: r.try_get("created_at_ms")?,
            finished_at_ms: r.try_get("finished_at_ms")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(DeliveryStats {
        since_ms,
        kinds: kinds.into_values().collect(),
        recent_failures: failures,
    })
}

/// Where the notifications about one subject (e.g. an information message) stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectCounts {
    /// Handed to the push service.
    pub sent: i64,
    /// Did not reach their device (expired, refused, subscription gone).
    pub failed: i64,
    /// Deliveries waiting for a first try or a retry.
    pub waiting: i64,
    /// Withdrawn before sending.
    pub cancelled: i64,
    /// When an event not expanded into deliveries yet is due (a message published from a
    /// later day), in milliseconds.
    pub due_at_ms: Option<i64>,
}

/// Counts per subject of the structure's `event` (an event code, e.g.
/// `information_published`).
pub async fn of_subjects(
    db: &Db,
    structure_id: &str,
    event: &str,
) -> Result<BTreeMap<String, SubjectCounts>, sqlx::Error> {
    let mut out: BTreeMap<String, SubjectCounts> = BTreeMap::new();
    let events = sqlx::query(
        "SELECT subject, MIN(due_at_ms) AS due FROM push_events WHERE structure_id = $1 \
         AND event = $2 AND state = 'pending' AND subject IS NOT NULL GROUP BY subject",
    )
    .bind(structure_id)
    .bind(event)
    .fetch_all(&db.pool)
    .await?;
    for r in &events {
        let subject: String = r.try_get("subject")?;
        out.entry(subject).or_default().due_at_ms = r.try_get("due")?;
    }
    let deliveries = sqlx::query(
        "SELECT e.subject, d.state, COUNT(*) AS n FROM push_deliveries d \
         JOIN push_events e ON e.id = d.event_id WHERE e.structure_id = $1 AND e.event = $2 \
         AND e.subject IS NOT NULL GROUP BY e.subject, d.state",
    )
    .bind(structure_id)
    .bind(event)
    .fetch_all(&db.pool)
    .await?;
    for r in &deliveries {
        let subject: String = r.try_get("subject")?;
        let state: String = r.try_get("state")?;
        let n: i64 = r.try_get("n")?;
        let c = out.entry(subject).or_default();
        match state.as_str() {
            "sent" => c.sent += n,
            "pending" => c.waiting += n,
            "cancelled" => c.cancelled += n,
            "expired" | "rejected" | "gone" => c.failed += n,
            _ => {}
        }
    }
    Ok(out)
}
