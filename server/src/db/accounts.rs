//! Structures, families, accounts and devices.

use super::{Columns, Db, id, opt_id, role};
use cartable_domain::ids::{AccountId, DeviceId, FamilyId, StructureId};
use cartable_domain::roles::Role;
use cartable_domain::search_key::search_key;
use sqlx::Row;
use std::sync::LazyLock;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub structure_id: StructureId,
    pub family_id: Option<FamilyId>,
    pub login: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    /// The password was issued by someone else (one-time): it must be replaced first.
    pub must_change_password: bool,
    /// Disabled by an administrator: no login, no session.
    pub disabled: bool,
}

/// The device and account behind a bearer token.
#[derive(Debug, Clone)]
pub struct DeviceSession {
    pub device_id: DeviceId,
    pub account_id: AccountId,
    pub structure_id: StructureId,
    pub family_id: Option<FamilyId>,
    pub role: Role,
    /// When the device signed in (the session's absolute lifetime counts from here).
    pub created_at_ms: i64,
    /// Last recorded use (idle expiry counts from here; written every few minutes).
    pub last_seen_ms: Option<i64>,
    pub must_change_password: bool,
}

pub async fn insert_structure(
    conn: &mut sqlx::AnyConnection,
    id: &StructureId,
    name: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO structures (id, name, created_at_ms) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(name)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn structure_by_name(db: &Db, name: &str) -> Result<Option<String>, sqlx::Error> {
    let row =
        sqlx::query("SELECT id FROM structures WHERE name = $1 ORDER BY created_at_ms LIMIT 1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?;
    row.map(|r| r.try_get("id")).transpose()
}

pub async fn structure_exists(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT id FROM structures WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Inserts a family row, inside the caller's write transaction.
pub async fn insert_family(
    conn: &mut sqlx::AnyConnection,
    id: &FamilyId,
    structure_id: &StructureId,
    name: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO families (id, structure_id, name, name_key, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(structure_id.as_str())
    .bind(name)
    .bind(search_key(name))
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Family ids of a structure, oldest first.
pub async fn families_of(db: &Db, structure_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id FROM families WHERE structure_id = $1 ORDER BY created_at_ms, id")
            .bind(structure_id)
            .fetch_all(&db.pool)
            .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Inserts an account, inside the caller's write transaction.
pub async fn insert_account(
    conn: &mut sqlx::AnyConnection,
    a: &Account,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, structure_id, family_id, login, password_hash, display_name, \
         display_name_key, role, created_at_ms, must_change_password) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.id.as_str())
    .bind(a.structure_id.as_str())
    .bind(a.family_id.as_ref().map(FamilyId::as_str))
    .bind(&a.login)
    .bind(&a.password_hash)
    .bind(&a.display_name)
    .bind(search_key(&a.display_name))
    .bind(a.role.code())
    .bind(now_ms)
    .bind(i64::from(a.must_change_password))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn account_from_row(r: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: id(r, "id")?,
        structure_id: id(r, "structure_id")?,
        family_id: opt_id(r, "family_id")?,
        login: r.try_get("login")?,
        password_hash: r.try_get("password_hash")?,
        display_name: r.try_get("display_name")?,
        role: role(r, "role")?,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        disabled: r.try_get::<Option<i64>, _>("disabled_at_ms")?.is_some(),
    })
}

const ACCOUNT_COLUMNS: &str = "id, structure_id, family_id, login, password_hash, display_name, \
     role, must_change_password, disabled_at_ms";

pub async fn account_by_login(db: &Db, login: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(login)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

pub async fn account_by_id(db: &Db, id: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

pub async fn insert_device(
    db: &Db,
    id: &DeviceId,
    account_id: &AccountId,
    token_hash: &str,
    name: &str,
    created_at_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO devices (id, account_id, token_hash, name, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(account_id.as_str())
    .bind(token_hash)
    .bind(name)
    .bind(created_at_ms)
    .execute(&mut *wtx.tx)
    .await?;
    wtx.commit().await
}

/// The live (not revoked) device whose token hashes to `token_hash`.
pub async fn session_by_token_hash(
    db: &Db,
    token_hash: &str,
) -> Result<Option<DeviceSession>, sqlx::Error> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {SESSION_COLUMNS} FROM {SESSION_OF_TOKEN}"));
    if let Some(direct) = db.direct() {
        let sessions = direct.rows(SQL.as_str(), token_hash, |r| session_from_row(r))?;
        return Ok(sessions.into_iter().next());
    }
    let mut conn = db.read().await?;
    let row = sqlx::query(SQL.as_str())
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
    conn.done();
    row.as_ref().map(session_from_row).transpose()
}

/// A session's columns, named as [`session_from_row`] reads them.
pub(crate) const SESSION_COLUMNS: &str = "d.id AS device_id, a.id AS account_id, \
     a.structure_id AS session_structure_id, a.family_id AS session_family_id, a.role, \
     d.created_at_ms, d.last_seen_ms, a.must_change_password";

/// The live device whose token hashes to `$1`, with its account (`d` and `a`).
pub(crate) const SESSION_OF_TOKEN: &str = "devices d JOIN accounts a ON a.id = d.account_id \
     WHERE d.token_hash = $1 AND d.revoked_at_ms IS NULL AND a.disabled_at_ms IS NULL";

/// The live device `$1`, with its account (`d` and `a`).
pub(crate) const SESSION_OF_DEVICE: &str = "devices d JOIN accounts a ON a.id = d.account_id \
     WHERE d.id = $1 AND d.revoked_at_ms IS NULL AND a.disabled_at_ms IS NULL";

/// A session from a row holding [`SESSION_COLUMNS`].
pub(crate) fn session_from_row(r: &(impl Columns + ?Sized)) -> Result<DeviceSession, sqlx::Error> {
    Ok(DeviceSession {
        device_id: id(r, "device_id")?,
        account_id: id(r, "account_id")?,
        structure_id: id(r, "session_structure_id")?,
        family_id: opt_id(r, "session_family_id")?,
        role: role(r, "role")?,
        created_at_ms: r.int("created_at_ms")?,
        last_seen_ms: r.opt_int("last_seen_ms")?,
        must_change_password: r.int("must_change_password")? != 0,
    })
}

/// Records a device's last use, through the write discipline (SQLite's single writer).
pub async fn touch_device(db: &Db, device_id: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query("UPDATE devices SET last_seen_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL")
        .bind(at_ms)
        .bind(device_id)
        .execute(&mut *wtx.tx)
        .await?;
    wtx.commit().await
}

#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub created_at_ms: i64,
    pub last_seen_ms: Option<i64>,
}

/// Live devices of an account.
pub async fn devices_of(db: &Db, account_id: &AccountId) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, created_at_ms, last_seen_ms FROM devices \
         WHERE account_id = $1 AND revoked_at_ms IS NULL ORDER BY created_at_ms, id",
    )
    .bind(account_id.as_str())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeviceRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at_ms: r.try_get("created_at_ms")?,
                last_seen_ms: r.try_get("last_seen_ms")?,
            })
        })
        .collect()
}

/// Why a session ended (kept in `devices.revoked_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The device logged out.
    Logout,
    /// Ended from another session of the account (the device list).
    Revoked,
    /// Idle or too old.
    Expired,
    /// The account's password changed or a one-time password was issued.
    PasswordChanged,
    /// The account was disabled by an administrator.
    AccountDisabled,
}

impl EndReason {
    pub fn code(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Revoked => "revoked",
            EndReason::Expired => "expired",
            EndReason::PasswordChanged => "password_changed",
            EndReason::AccountDisabled => "account_disabled",
        }
    }
}

/// Revokes a device of `account_id`; false when there is no such live device.
pub async fn revoke_device(
    db: &Db,
    account_id: &AccountId,
    device_id: &DeviceId,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    end_session(db, account_id, device_id, EndReason::Revoked, now_ms).await
}

/// Ends a live session of `account_id` for `reason`, with its push subscription; false when
/// there is none.
pub async fn end_session(
    db: &Db,
    account_id: &str,
    device_id: &str,
    reason: EndReason,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE devices SET revoked_at_ms = $1, revoked_reason = $2 \
         WHERE id = $3 AND account_id = $4 AND revoked_at_ms IS NULL",
    )
    .bind(at_ms)
    .bind(reason.code())
    .bind(device_id)
    .bind(account_id)
    .execute(&mut *wtx.tx)
    .await?;
    if done.rows_affected() > 0 {
        crate::push::subscriptions::delete_of_device(&mut wtx.tx, device_id, at_ms).await?;
    }
    wtx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every live session of `account_id` but `keep`, in the caller's transaction; returns
/// how many ended.
pub async fn end_other_sessions(
    conn: &mut sqlx::AnyConnection,
    account_id: &str,
    keep: Option<&str>,
    reason: EndReason,
    at_ms: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE devices SET revoked_at_ms = $1, revoked_reason = $2 \
         WHERE account_id = $3 AND revoked_at_ms IS NULL AND id <> $4",
    )
    .bind(at_ms)
    .bind(reason.code())
    .bind(account_id)
    .bind(keep.unwrap_or(""))
    .execute(&mut *conn)
    .await?;
    crate::push::subscriptions::delete_of_ended_devices(conn, account_id, at_ms).await?;
    Ok(done.rows_affected())
}

/// Replaces an account's password hash; `one_time` when someone else chose it.
pub async fn set_password(
    conn: &mut sqlx::AnyConnection,
    account_id: &str,
    password_hash: &str,
    one_time: bool,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE accounts SET password_hash = $1, must_change_password = $2, \
         password_changed_at_ms = $3 WHERE id = $4",
    )
    .bind(password_hash)
    .bind(i64::from(one_time))
    .bind(at_ms)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
