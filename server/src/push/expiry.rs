//! "Document about to expire": once a day (by the server's clock) each process looks for
//! accepted supporting documents whose validity ends within `push_expiry_notice_days` and
//! for which the family has sent nothing newer, and queues one reminder per document and
//! end date (`push_expiry_reminders` keeps it to one, also across processes).

use super::outbox::{self, Outgoing};
use crate::AppState;
use crate::db::Conn;
use cartable_domain::calendar::paris_date;
use cartable_domain::push::PushEvent;
use sqlx::Row;

/// Queues the reminders if this process has not looked yet today. Returns how many.
pub async fn queue_if_due(state: &AppState) -> Result<usize, sqlx::Error> {
    let today = paris_date(state.clock.now());
    {
        let mut last = state
            .push
            .expiry_checked
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if *last == Some(today) {
            return Ok(0);
        }
        *last = Some(today);
    }
    match queue_reminders(state).await {
        Ok(n) => Ok(n),
        Err(e) => {
            // Try again at the next round.
            *state
                .push
                .expiry_checked
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = None;
            Err(e)
        }
    }
}

/// Queues a reminder for each document expiring soon that has none yet.
pub async fn queue_reminders(state: &AppState) -> Result<usize, sqlx::Error> {
    let now = state.clock.now();
    let today = paris_date(now);
    let days = state.settings.push_expiry_notice_days;
    let Ok(until) = today.checked_add(jiff::Span::new().days(days)) else {
        return Ok(0);
    };
    let mut write = state.db.begin_write().await?;
    let rows = sqlx::query(
        "SELECT d.id, d.structure_id, d.family_id, d.valid_until FROM supporting_documents d \
         WHERE d.status = 'accepted' AND d.valid_until IS NOT NULL \
         AND d.valid_until >= $1 AND d.valid_until <= $2 \
         AND NOT EXISTS (SELECT 1 FROM push_expiry_reminders r \
             WHERE r.document_id = d.id AND r.valid_until = d.valid_until) \
         AND NOT EXISTS (SELECT 1 FROM supporting_documents n \
             WHERE n.family_id = d.family_id AND n.kind = d.kind \
             AND COALESCE(n.child_id, '') = COALESCE(d.child_id, '') \
             AND n.status <> 'rejected' AND n.id <> d.id \
             AND (n.valid_until IS NULL OR n.valid_until > d.valid_until)) \
         ORDER BY d.valid_until, d.id LIMIT 1000",
    )
    .bind(today.to_string())
    .bind(until.to_string())
    .fetch_all(&mut *write.tx)
    .await?;
    let mut queued = 0;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let valid_until: String = r.try_get("valid_until")?;
        let done = sqlx::query(
            "INSERT INTO push_expiry_reminders (document_id, valid_until, queued_at_ms) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(&valid_until)
        .bind(now.as_millisecond())
        .execute(&mut *write.tx)
        .await?;
        if done.rows_affected() == 0 {
            continue;
        }
        let structure_id: String = r.try_get("structure_id")?;
        let family_id: String = r.try_get("family_id")?;
        let event = Outgoing::to_family(
            &structure_id,
            &family_id,
            PushEvent::DocumentExpiring,
            Vec::new(),
            now.as_millisecond(),
        )
        .with_subject(&id);
        outbox::enqueue(&mut Conn::Any(&mut write.tx), &event).await?;
        queued += 1;
    }
    write.commit().await?;
    if queued > 0 {
        tracing::info!(
            reminders = queued,
            "documents about to expire: reminders queued"
        );
    }
    Ok(queued)
}
