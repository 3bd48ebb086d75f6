//! The sending worker: runs inside every server process (started by [`crate::launch`],
//! stopped with it). Each round it expands due outbox events into deliveries, claims a batch
//! of due deliveries, sends them concurrently and records what the push services answered.
//!
//! Claiming takes the rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL) and puts a lease on
//! them in the same short transaction, so several processes on one database never send the
//! same delivery together. Marking a delivery sent is a second transaction after the send:
//! a process that dies in between leaves the lease to expire and the delivery is sent once
//! more, with the same Topic, so the device shows one notification.

use super::retry::{self, Answer, Next};
use super::send::Outbound;
use super::subscriptions::{self, Subscription};
use crate::AppState;
use crate::db::{Backend, Db, multi_row};
use cartable_domain::push::{PushEvent, PushKind};
use rand::Rng;
use sqlx::{AnyConnection, Row};
use std::future::Future;
use std::time::Duration;

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub event: PushEvent,
    pub payload: String,
    pub attempts: u32,
    pub expires_at_ms: i64,
    pub subscription: Subscription,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub events_expanded: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Round {
    pub fn did_something(&self) -> bool {
        self.events_expanded + self.sent + self.retried + self.failed > 0
    }
}

fn skip_locked(db: &Db, of: &str) -> String {
    match db.backend {
        Backend::Sqlite => String::new(),
        Backend::Postgres => format!(" FOR UPDATE OF {of} SKIP LOCKED"),
    }
}

/// True when `sql` (a `SELECT 1 ... LIMIT 1` taking the instant as `$1`) finds a row: a
/// plain read first, so an idle worker never takes the write gate.
async fn any_due(db: &Db, sql: &'static str, now: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(sql)
        .bind(now)
        .fetch_optional(&db.pool)
        .await?
        .is_some())
}

/// Expands due events into one delivery per subscribed device. Returns how many events.
pub async fn expand_due(state: &AppState, limit: i64) -> Result<usize, sqlx::Error> {
    let now = state.clock.now().as_millisecond();
    let db = &state.db;
    let due =
        "SELECT 1 AS one FROM push_events WHERE state = 'pending' AND due_at_ms <= $1 LIMIT 1";
    if !any_due(db, due, now).await? {
        return Ok(0);
    }
    let mut write = db.begin_write().await?;
    let sql = format!(
        "SELECT e.id, e.structure_id, e.family_id, e.event, e.exclude_device_id, \
         e.created_at_ms, e.due_at_ms FROM push_events e \
         WHERE e.state = 'pending' AND e.due_at_ms <= $1 ORDER BY e.due_at_ms, e.id LIMIT $2{}",
        skip_locked(db, "e")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *write.tx)
        .await?;
    let mut expansions = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let code: String = r.try_get("event")?;
        let Some(event) = PushEvent::from_code(&code) else {
            tracing::error!(event_id = id, code, "unknown push event; cancelled");
            set_events_state(&mut write.tx, &[id], "cancelled").await?;
            continue;
        };
        let created: i64 = r.try_get("created_at_ms")?;
        let due: i64 = r.try_get("due_at_ms")?;
        expansions.push(Expansion {
            event_id: id,
            kind: event.kind(),
            structure_id: r.try_get("structure_id")?,
            family_id: r.try_get("family_id")?,
            exclude_device: r.try_get("exclude_device_id")?,
            expires: created.max(due) + i64::from(event.ttl_secs()) * 1000,
        });
    }
    let (for_families, for_structures): (Vec<&Expansion>, Vec<&Expansion>) =
        expansions.iter().partition(|e| e.family_id.is_some());
    insert_deliveries(&mut write.tx, &for_families, true, now).await?;
    insert_deliveries(&mut write.tx, &for_structures, false, now).await?;
    let ids: Vec<i64> = expansions.iter().map(|e| e.event_id).collect();
    set_events_state(&mut write.tx, &ids, "expanded").await?;
    write.commit().await?;
    Ok(expansions.len())
}

async fn set_events_state(
    conn: &mut AnyConnection,
    ids: &[i64],
    s: &str,
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(multi_row::ROWS_PER_INSERT) {
        let sql = format!(
            "UPDATE push_events SET state = $1 WHERE id IN ({})",
            multi_row::list(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(s);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A due event, about to become one delivery per subscribed device.
struct Expansion {
    event_id: i64,
    kind: PushKind,
    structure_id: String,
    /// Only this family's devices (an event about one family), or every device of the
    /// structure.
    family_id: Option<String>,
    /// The device whose own action caused the event, which is not told of it.
    exclude_device: Option<String>,
    expires: i64,
}

/// Inserts the deliveries of `events`, all for families (`for_families`) or all for whole
/// structures: one statement per [`multi_row::rows_per_statement`] events, the events as a
/// `VALUES` list joined to the subscriptions (a device id is never empty, so an empty
/// `exclude_device` excludes none).
async fn insert_deliveries(
    conn: &mut AnyConnection,
    events: &[&Expansion],
    for_families: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    const COLUMNS: usize = 7;
    let family = if for_families {
        " AND s.family_id = v.column4"
    } else {
        ""
    };
    for chunk in events.chunks(multi_row::rows_per_statement(COLUMNS)) {
        let now_at = chunk.len() * COLUMNS + 1;
        let sql = format!(
            "INSERT INTO push_deliveries (event_id, subscription_id, structure_id, kind, state, \
             attempts, due_at_ms, expires_at_ms, created_at_ms) \
             SELECT v.column1, s.id, s.structure_id, v.column2, 'pending', 0, ${now_at}, \
             v.column6, ${now_at} FROM (VALUES {}) AS v \
             JOIN push_subscriptions s ON s.structure_id = v.column3{family} \
             WHERE s.kinds LIKE v.column7 AND s.device_id <> v.column5",
            multi_row::values(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.event_id)
                .bind(e.kind.code())
                .bind(e.structure_id.as_str())
                .bind(e.family_id.as_deref().unwrap_or(""))
                .bind(e.exclude_device.as_deref().unwrap_or(""))
                .bind(e.expires)
                .bind(format!("%,{},%", e.kind.code()));
        }
        q.bind(now).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Claims up to `limit` due deliveries: leased for `lease`, attempts counted.
pub async fn claim(
    state: &AppState,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = state.clock.now().as_millisecond();
    let db = &state.db;
    let due = "SELECT 1 AS one FROM push_deliveries WHERE state = 'pending' AND due_at_ms <= $1 \
               AND (lease_until_ms IS NULL OR lease_until_ms <= $1) LIMIT 1";
    if !any_due(db, due, now).await? {
        return Ok(Vec::new());
    }
    let mut write = db.begin_write().await?;
    let sql = format!(
        "SELECT d.id, d.attempts, d.expires_at_ms, e.event, e.payload, \
         s.id AS s_id, s.device_id, s.structure_id, s.family_id, s.endpoint, s.p256dh, \
         s.auth, s.kinds, s.vapid_key_id, s.created_at_ms, s.updated_at_ms \
         FROM push_deliveries d \
         JOIN push_events e ON e.id = d.event_id \
         JOIN push_subscriptions s ON s.id = d.subscription_id \
         WHERE d.state = 'pending' AND d.due_at_ms <= $1 \
         AND (d.lease_until_ms IS NULL OR d.lease_until_ms <= $1) \
         ORDER BY d.due_at_ms, d.id LIMIT $2{}",
        skip_locked(db, "d")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *write.tx)
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for r in &rows {
        let code: String = r.try_get("event")?;
        let kinds: String = r.try_get("kinds")?;
        let Some(event) = PushEvent::from_code(&code) else {
            continue;
        };
        let attempts: i64 = r.try_get("attempts")?;
        claimed.push(Claimed {
            id: r.try_get("id")?,
            event,
            payload: r.try_get("payload")?,
            attempts: u32::try_from(attempts + 1).unwrap_or(u32::MAX),
            expires_at_ms: r.try_get("expires_at_ms")?,
            subscription: Subscription {
                id: r.try_get("s_id")?,
                device_id: r.try_get("device_id")?,
                structure_id: r.try_get("structure_id")?,
                family_id: r.try_get("family_id")?,
                endpoint: r.try_get("endpoint")?,
                p256dh: r.try_get("p256dh")?,
                auth: r.try_get("auth")?,
                kinds: subscriptions::decode_kinds(&kinds),
                vapid_key_id: r.try_get("vapid_key_id")?,
                created_at_ms: r.try_get("created_at_ms")?,
                updated_at_ms: r.try_get("updated_at_ms")?,
            },
        });
    }
    if !claimed.is_empty() {
        let lease_until = now + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let sql = format!(
            "UPDATE push_deliveries SET lease_until_ms = $1, attempts = attempts + 1 \
             WHERE id IN ({})",
            multi_row::list(2, claimed.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(lease_until);
        for c in &claimed {
            q = q.bind(c.id);
        }
        q.execute(&mut *write.tx).await?;
    }
    write.commit().await?;
    Ok(claimed)
}

/// Sends the claimed deliveries, at most `concurrency` at once.
pub async fn send_claimed(state: &AppState, claimed: Vec<Claimed>) -> Vec<(Claimed, Answer)> {
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(
        state.settings.push_concurrency.max(1),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for c in claimed {
        let runtime = state.push.clone();
        let db = state.db.clone();
        let clock = state.clock.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let now = clock.now();
            let remaining_ms = (c.expires_at_ms - now.as_millisecond()).max(0);
            let message = Outbound {
                subscription: &c.subscription,
                event: c.event,
                payload: c.payload.as_bytes(),
                ttl_secs: u32::try_from(remaining_ms / 1000).unwrap_or(u32::MAX),
            };
            let answer = runtime.sender.send(&db, message, now).await;
            (c, answer)
        });
    }
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(pair) => out.push(pair),
            // A panicking send leaves its delivery leased; it is tried again after the lease.
            Err(e) => tracing::error!(error = %e, "push send task failed"),
        }
    }
    out
}

/// Records what the push services answered, in one transaction.
pub async fn record(state: &AppState, results: &[(Claimed, Answer)]) -> Result<Round, sqlx::Error> {
    let now = state.clock.now().as_millisecond();
    let backoff = state.push.backoff;
    let mut round = Round::default();
    if results.is_empty() {
        return Ok(round);
    }
    let mut outcomes = Vec::with_capacity(results.len());
    for (c, answer) in results {
        let unit: f64 = rand::rng().random();
        let next = retry::next(answer, c.attempts, now, c.expires_at_ms, backoff, unit);
        let (status, error) = describe(answer);
        let (state_code, due) = match &next {
            Next::Sent => ("sent", None),
            Next::RetryAt(at) => ("pending", Some(*at)),
            Next::Expired => ("expired", None),
            Next::Rejected => ("rejected", None),
            Next::Gone => ("gone", None),
        };
        match &next {
            Next::Sent => round.sent += 1,
            Next::RetryAt(_) => round.retried += 1,
            _ => round.failed += 1,
        }
        if matches!(next, Next::Rejected | Next::Expired) {
            tracing::warn!(
                delivery = c.id,
                subscription = %c.subscription.id,
                kind = c.event.kind().code(),
                status,
                error = error.as_deref().unwrap_or(""),
                outcome = state_code,
                "push message not delivered"
            );
        }
        outcomes.push(Outcome {
            delivery: c.id,
            state: state_code,
            due_at_ms: due,
            status,
            error,
            gone: (next == Next::Gone).then_some(c.subscription.id.as_str()),
        });
    }
    let mut write = state.db.begin_write().await?;
    set_outcomes(&mut write.tx, &outcomes, now).await?;
    for gone in outcomes.iter().filter_map(|o| o.gone) {
        tracing::info!(subscription = %gone, "push subscription gone; removed");
        subscriptions::delete(&mut write.tx, gone, "gone", now).await?;
    }
    write.commit().await?;
    Ok(round)
}

/// What became of one delivery after its push service answered.
struct Outcome<'a> {
    delivery: i64,
    state: &'static str,
    /// When to try again (`state` pending); the delivery's due time stays otherwise.
    due_at_ms: Option<i64>,
    status: Option<i64>,
    error: Option<String>,
    /// The subscription to remove, when its push service said it is gone.
    gone: Option<&'a str>,
}

/// Records `outcomes`, one statement per [`multi_row::rows_per_statement`] deliveries. A
/// delivery no longer pending (recorded by another process after its lease ran out) keeps
/// what was recorded first.
async fn set_outcomes(
    conn: &mut AnyConnection,
    outcomes: &[Outcome<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    const COLUMNS: usize = 5;
    for chunk in outcomes.chunks(multi_row::rows_per_statement(COLUMNS)) {
        let now_at = chunk.len() * COLUMNS + 1;
        let sql = format!(
            "UPDATE push_deliveries SET state = v.column2, \
             due_at_ms = COALESCE(v.column3, push_deliveries.due_at_ms), \
             lease_until_ms = NULL, last_status = v.column4, last_error = v.column5, \
             finished_at_ms = CASE WHEN v.column2 = 'pending' THEN NULL ELSE ${now_at} END \
             FROM (VALUES {}) AS v \
             WHERE push_deliveries.id = v.column1 AND push_deliveries.id IN ({}) \
             AND push_deliveries.state = 'pending'",
            multi_row::values(chunk.len(), COLUMNS),
            multi_row::column(chunk.len(), COLUMNS, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for o in chunk {
            q = q
                .bind(o.delivery)
                .bind(o.state)
                .bind(o.due_at_ms)
                .bind(o.status)
                .bind(o.error.as_deref());
        }
        q.bind(now).execute(&mut *conn).await?;
    }
    Ok(())
}

fn describe(answer: &Answer) -> (Option<i64>, Option<String>) {
    match answer {
        Answer::Accepted => (Some(201), None),
        Answer::Gone(s) | Answer::Rejected(s) => (Some(i64::from(*s)), None),
        Answer::TooManyRequests(wait) => (
            Some(429),
            wait.map(|w| format!("Retry-After {}s", w.as_secs())),
        ),
        Answer::ServerError(s, wait) => (
            Some(i64::from(*s)),
            wait.map(|w| format!("Retry-After {}s", w.as_secs())),
        ),
        Answer::Network(e) => (None, Some(e.clone())),
    }
}

/// One round: reminders when due, events expanded, one batch claimed, sent and recorded.
pub async fn round(state: &AppState) -> anyhow::Result<Round> {
    super::expiry::queue_if_due(state).await?;
    let events_expanded = expand_due(state, 64).await?;
    let lease = Duration::from_secs(state.settings.push_lease_secs);
    let claimed = claim(state, state.settings.push_batch, lease).await?;
    let results = send_claimed(state, claimed).await;
    let mut round = record(state, &results).await?;
    round.events_expanded = events_expanded;
    Ok(round)
}

/// Runs rounds until `shutdown` completes: straight on while there is work, otherwise
/// after a wake-up (an event enqueued by this process) or the poll interval (events of
/// other processes, retries coming due).
pub async fn run(state: AppState, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let poll = Duration::from_millis(state.settings.push_poll_ms.max(10));
    loop {
        let busy = match round(&state).await {
            Ok(r) => r.did_something(),
            // The pool is closed only when the process is shutting down: nothing to report.
            Err(_) if state.db.pool.is_closed() => return,
            Err(e) => {
                tracing::error!(error = %e, "push round failed");
                false
            }
        };
        if busy {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::task::yield_now() => continue,
            }
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = state.push.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
