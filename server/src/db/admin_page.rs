//! The admin page's sessions (`admin_page_sessions`) and staff second factors
//! (`staff_second_factors`, `staff_recovery_codes`).

use super::Db;
use sqlx::Row;

/// What the admin page knows of one of its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSession {
    pub second_factor_done: bool,
    pub failures: i64,
}

pub async fn insert_session(
    db: &Db,
    device_id: &str,
    second_factor_done: bool,
) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO admin_page_sessions (device_id, second_factor_done, failures) \
         VALUES ($1, $2, 0)",
    )
    .bind(device_id)
    .bind(i64::from(second_factor_done))
    .execute(&mut *wtx.tx)
    .await?;
    wtx.commit().await
}

/// The page's record of a session; `None` for sessions the page did not open (a phone's or
/// the JSON API's token is never a page session).
pub async fn session(db: &Db, device_id: &str) -> Result<Option<PageSession>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT second_factor_done, failures FROM admin_page_sessions WHERE device_id = $1",
    )
    .bind(device_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(PageSession {
            second_factor_done: r.try_get::<i64, _>("second_factor_done")? != 0,
            failures: r.try_get("failures")?,
        })
    })
    .transpose()
}

/// Counts a wrong code; returns the failures so far.
pub async fn count_failure(db: &Db, device_id: &str) -> Result<i64, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query("UPDATE admin_page_sessions SET failures = failures + 1 WHERE device_id = $1")
        .bind(device_id)
        .execute(&mut *wtx.tx)
        .await?;
    let row = sqlx::query("SELECT failures FROM admin_page_sessions WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(&mut *wtx.tx)
        .await?;
    wtx.commit().await?;
    Ok(row
        .map(|r| r.try_get::<i64, _>("failures"))
        .transpose()?
        .unwrap_or(0))
}

/// An account's TOTP secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub secret: String,
    pub confirmed: bool,
    pub last_step: i64,
}

pub async fn second_factor(db: &Db, account_id: &str) -> Result<Option<SecondFactor>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT secret, confirmed_at_ms, last_step FROM staff_second_factors \
         WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(SecondFactor {
            secret: r.try_get("secret")?,
            confirmed: r.try_get::<Option<i64>, _>("confirmed_at_ms")?.is_some(),
            last_step: r.try_get("last_step")?,
        })
    })
    .transpose()
}

/// Seals every second factor's secret still stored in clear; returns how many.
pub async fn seal_plain_secrets(db: &Db, key: &crate::sealed::SealKey) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query("SELECT account_id, secret FROM staff_second_factors")
        .fetch_all(&db.pool)
        .await?;
    let plain: Vec<(String, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get("account_id")?, r.try_get("secret")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?
        .into_iter()
        .filter(|(_, secret): &(String, String)| !crate::sealed::SealKey::is_sealed(secret))
        .collect();
    if plain.is_empty() {
        return Ok(0);
    }
    let mut wtx = db.begin_write().await?;
    let mut done = 0;
    for (account_id, secret) in &plain {
        done += sqlx::query(
            "UPDATE staff_second_factors SET secret = $1 WHERE account_id = $2 AND secret = $3",
        )
        .bind(key.seal(secret))
        .bind(account_id)
        .bind(secret)
        .execute(&mut *wtx.tx)
        .await?
        .rows_affected();
    }
    wtx.commit().await?;
    Ok(done)
}

/// Records a new secret waiting for its first code, replacing one that was never confirmed;
/// a confirmed secret is kept (false is returned).
pub async fn start_second_factor(
    db: &Db,
    account_id: &str,
    secret: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query(
        "DELETE FROM staff_second_factors WHERE account_id = $1 AND confirmed_at_ms IS NULL",
    )
    .bind(account_id)
    .execute(&mut *wtx.tx)
    .await?;
    let done = sqlx::query(
        "INSERT INTO staff_second_factors (account_id, secret, created_at_ms, last_step) \
         VALUES ($1, $2, $3, 0) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(secret)
    .bind(now_ms)
    .execute(&mut *wtx.tx)
    .await?;
    wtx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Accepts time step `step` for the account unless a step as recent was already accepted;
/// confirms the secret, storing `recovery_hashes` (when given) in the same write.
pub async fn accept_step(
    db: &Db,
    account_id: &str,
    step: i64,
    now_ms: i64,
    recovery_hashes: &[String],
) -> Result<bool, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE staff_second_factors SET last_step = $1, \
         confirmed_at_ms = COALESCE(confirmed_at_ms, $2) \
         WHERE account_id = $3 AND last_step < $1",
    )
    .bind(step)
    .bind(now_ms)
    .bind(account_id)
    .execute(&mut *wtx.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    if !recovery_hashes.is_empty() {
        sqlx::query("DELETE FROM staff_recovery_codes WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *wtx.tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO staff_recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                .bind(account_id)
                .bind(hash)
                .execute(&mut *wtx.tx)
                .await?;
        }
    }
    wtx.commit().await?;
    Ok(true)
}

/// Uses a recovery code once; false when it is unknown or was used.
pub async fn use_recovery_code(
    db: &Db,
    account_id: &str,
    code_hash: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE staff_recovery_codes SET used_at_ms = $1 \
         WHERE account_id = $2 AND code_hash = $3 AND used_at_ms IS NULL",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(code_hash)
    .execute(&mut *wtx.tx)
    .await?;
    wtx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Recovery codes not used yet.
pub async fn recovery_codes_left(db: &Db, account_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM staff_recovery_codes \
         WHERE account_id = $1 AND used_at_ms IS NULL",
    )
    .bind(account_id)
    .fetch_one(&db.pool)
    .await?;
    row.try_get("n")
}

/// Forgets an account's second factor and recovery codes (it is set up again at the next
/// login) and ends its sessions; false when the account had none.
pub async fn reset_second_factor(
    db: &Db,
    account_id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query("DELETE FROM staff_recovery_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *wtx.tx)
        .await?;
    let done = sqlx::query("DELETE FROM staff_second_factors WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *wtx.tx)
        .await?;
    super::accounts::end_other_sessions(
        &mut wtx.tx,
        account_id,
        None,
        super::accounts::EndReason::Revoked,
        now_ms,
    )
    .await?;
    wtx.commit().await?;
    Ok(done.rows_affected() > 0)
}
