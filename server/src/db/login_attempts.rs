//! Login attempt counters (`login_attempts`) and known devices (`known_devices`).
//!
//! A counter is one row per key with a fixed window: the first attempt after the window
//! ended starts a new one. Counting is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`,
//! atomic on both backends (a row lock on PostgreSQL, the single writer on SQLite), so any
//! number of attempts sent at once, to any number of server processes, get consecutive counts.

use super::Db;
use sqlx::Row;

/// A key's count in its current window, this attempt included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub attempts: i64,
    pub window_start_ms: i64,
}

/// Counts one attempt for each key, in one write; returns the counts in the same order.
pub async fn count(
    db: &Db,
    keys: &[&str],
    now_ms: i64,
    window_ms: i64,
) -> Result<Vec<Count>, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let row = sqlx::query(
            "INSERT INTO login_attempts (key, window_start_ms, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN login_attempts.window_start_ms <= $3 THEN 1 \
                        ELSE login_attempts.attempts + 1 END, \
             window_start_ms = CASE WHEN login_attempts.window_start_ms <= $3 THEN $2 \
                        ELSE login_attempts.window_start_ms END \
             RETURNING attempts, window_start_ms",
        )
        .bind(*key)
        .bind(now_ms)
        .bind(now_ms - window_ms)
        .fetch_one(&mut *wtx.tx)
        .await?;
        out.push(Count {
            attempts: row.try_get("attempts")?,
            window_start_ms: row.try_get("window_start_ms")?,
        });
    }
    // Keys of windows long over are forgotten now and then.
    if rand::random::<u8>() < 4 {
        sqlx::query("DELETE FROM login_attempts WHERE window_start_ms < $1")
            .bind(now_ms - window_ms)
            .execute(&mut *wtx.tx)
            .await?;
    }
    wtx.commit().await?;
    Ok(out)
}

/// Takes back one attempt of `key` counted in the window starting at `window_start_ms`
/// (a successful login does not count as a failure).
pub async fn forgive(db: &Db, keys: &[(&str, i64)]) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    for (key, window_start_ms) in keys {
        sqlx::query(
            "UPDATE login_attempts SET attempts = attempts - 1 \
             WHERE key = $1 AND window_start_ms = $2 AND attempts > 0",
        )
        .bind(*key)
        .bind(*window_start_ms)
        .execute(&mut *wtx.tx)
        .await?;
    }
    wtx.commit().await
}

/// The account a known-device proof (its hash) was given to, if any.
pub async fn known_device_account(
    db: &Db,
    proof_hash: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT account_id FROM known_devices WHERE proof_hash = $1")
        .bind(proof_hash)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.try_get("account_id")).transpose()
}

/// Records a new known-device proof for `account_id`, or the new use of an existing one.
pub async fn remember_device(
    db: &Db,
    proof_hash: &str,
    account_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO known_devices (proof_hash, account_id, created_at_ms, last_used_ms) \
         VALUES ($1, $2, $3, $3) \
         ON CONFLICT (proof_hash) DO UPDATE SET last_used_ms = $3",
    )
    .bind(proof_hash)
    .bind(account_id)
    .bind(now_ms)
    .execute(&mut *wtx.tx)
    .await?;
    wtx.commit().await
}
