//! The outbox: events are written in the same transaction as what caused them, so a
//! committed cause always gets its notification and a rolled-back one never does.
//!
//! The worker ([`super::worker`]) later expands each due event into one delivery per
//! subscribed device of the family (or of every family of the structure).

use crate::db::Conn;
use crate::db::multi_row::{self, Query, rows_per_statement};
use cartable_domain::DocumentId;
use cartable_domain::push::{PushEvent, PushPayload};
use sqlx::{AnyConnection, Row};

/// An event to tell a family (or every family of a structure) about.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub structure_id: String,
    /// `None`: every family of the structure.
    pub family_id: Option<String>,
    pub payload: PushPayload,
    /// A device that already knows (e.g. the one whose sync was just answered with the
    /// decision): it is not notified.
    pub exclude_device_id: Option<String>,
    /// Not sent before this instant (e.g. a message published from a later day).
    pub due_at_ms: i64,
}

impl Outgoing {
    /// An event for one family, due now.
    pub fn to_family(
        structure_id: &str,
        family_id: &str,
        event: PushEvent,
        docs: Vec<DocumentId>,
        now_ms: i64,
    ) -> Self {
        Outgoing {
            structure_id: structure_id.to_string(),
            family_id: Some(family_id.to_string()),
            payload: PushPayload::new(event, docs, now_ms),
            exclude_device_id: None,
            due_at_ms: now_ms,
        }
    }

    /// An event for every family of the structure, due now.
    pub fn to_structure(
        structure_id: &str,
        event: PushEvent,
        docs: Vec<DocumentId>,
        now_ms: i64,
    ) -> Self {
        Outgoing {
            structure_id: structure_id.to_string(),
            family_id: None,
            payload: PushPayload::new(event, docs, now_ms),
            exclude_device_id: None,
            due_at_ms: now_ms,
        }
    }

    pub fn with_subject(mut self, subject: &str) -> Self {
        self.payload = self.payload.with_subject(subject);
        self
    }

    pub fn excluding(mut self, device_id: &str) -> Self {
        self.exclude_device_id = Some(device_id.to_string());
        self
    }

    pub fn due_at(mut self, due_at_ms: i64) -> Self {
        self.due_at_ms = self.due_at_ms.max(due_at_ms);
        self
    }
}

/// Writes `event` into the outbox on the transaction's connection `conn`.
pub async fn enqueue(conn: &mut Conn<'_>, event: &Outgoing) -> Result<(), sqlx::Error> {
    let q = sqlx::query(
        "INSERT INTO push_events (structure_id, family_id, event, kind, payload, subject, \
         exclude_device_id, created_at_ms, due_at_ms, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')",
    );
    bind(q, event)?.execute(&mut *conn).await?;
    Ok(())
}

/// Writes `events` into the outbox on the transaction's connection `conn`, as few
/// statements as [`rows_per_statement`] allows. Returns each event's id with its family
/// (`RETURNING` gives no order that can be relied on, so the family says which is which).
pub async fn enqueue_many(
    conn: &mut AnyConnection,
    events: &[Outgoing],
) -> Result<Vec<(Option<String>, i64)>, sqlx::Error> {
    let mut ids = Vec::with_capacity(events.len());
    for chunk in events.chunks(rows_per_statement(COLUMNS)) {
        let rows = (0..chunk.len())
            .map(|i| format!("({}, 'pending')", multi_row::list(1 + COLUMNS * i, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO push_events (structure_id, family_id, event, kind, payload, subject, \
             exclude_device_id, created_at_ms, due_at_ms, state) VALUES {rows} \
             RETURNING id, family_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in chunk {
            q = bind(q, event)?;
        }
        for r in q.fetch_all(&mut *conn).await? {
            ids.push((r.try_get("family_id")?, r.try_get("id")?));
        }
    }
    Ok(ids)
}

/// Values [`bind`] gives a row (its `state` is written as `'pending'`).
const COLUMNS: usize = 9;

/// Binds the values of `event`'s row, `structure_id` to `due_at_ms`.
fn bind<'q>(q: Query<'q>, event: &Outgoing) -> Result<Query<'q>, sqlx::Error> {
    let payload =
        serde_json::to_string(&event.payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    Ok(q.bind(&event.structure_id)
        .bind(event.family_id.as_deref())
        .bind(event.payload.event.code())
        .bind(event.payload.event.kind().code())
        .bind(payload)
        .bind(event.payload.subject.as_deref())
        .bind(event.exclude_device_id.as_deref())
        .bind(event.payload.at_ms)
        .bind(event.due_at_ms))
}

/// Cancels the events about `subject` (e.g. a withdrawn message) that are not sent yet,
/// with their deliveries still waiting. Returns how many events were cancelled.
pub async fn cancel_subject(
    conn: &mut AnyConnection,
    structure_id: &str,
    subject: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE push_events SET state = 'cancelled' \
         WHERE structure_id = $1 AND subject = $2 AND state = 'pending'",
    )
    .bind(structure_id)
    .bind(subject)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE push_deliveries SET state = 'cancelled', finished_at_ms = $3 \
         WHERE state = 'pending' AND structure_id = $1 AND event_id IN \
         (SELECT id FROM push_events WHERE structure_id = $1 AND subject = $2)",
    )
    .bind(structure_id)
    .bind(subject)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
