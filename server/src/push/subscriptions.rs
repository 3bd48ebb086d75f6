//! Devices' push subscriptions: one per signed-in device, with the kinds the family chose on
//! it. Removed when the device signs out or is revoked, and when the push service says the
//! endpoint is gone (404, 410).

use crate::db::Db;
use cartable_domain::push::PushKind;
use sqlx::{AnyConnection, Row};

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub device_id: String,
    pub structure_id: String,
    pub family_id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub kinds: Vec<PushKind>,
    pub vapid_key_id: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// `kinds` as stored: `,invoice,booking,` (so `LIKE '%,booking,%'` finds a kind).
pub fn encode_kinds(kinds: &[PushKind]) -> String {
    let mut sorted: Vec<PushKind> = kinds.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut out = String::from(",");
    for k in sorted {
        out.push_str(k.code());
        out.push(',');
    }
    out
}

pub fn decode_kinds(stored: &str) -> Vec<PushKind> {
    stored.split(',').filter_map(PushKind::from_code).collect()
}

const COLUMNS: &str = "id, device_id, structure_id, family_id, endpoint, p256dh, auth, kinds, \
                       vapid_key_id, created_at_ms, updated_at_ms";

fn subscription_of(r: &sqlx::any::AnyRow) -> Result<Subscription, sqlx::Error> {
    let kinds: String = r.try_get("kinds")?;
    Ok(Subscription {
        id: r.try_get("id")?,
        device_id: r.try_get("device_id")?,
        structure_id: r.try_get("structure_id")?,
        family_id: r.try_get("family_id")?,
        endpoint: r.try_get("endpoint")?,
        p256dh: r.try_get("p256dh")?,
        auth: r.try_get("auth")?,
        kinds: decode_kinds(&kinds),
        vapid_key_id: r.try_get("vapid_key_id")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}

pub async fn of_device(db: &Db, device_id: &str) -> Result<Option<Subscription>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM push_subscriptions WHERE device_id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(device_id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(subscription_of)
        .transpose()
}

pub async fn by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Subscription>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM push_subscriptions WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(subscription_of)
        .transpose()
}

/// Registers (or replaces) the device's subscription. A new endpoint or new keys get a new
/// id, so deliveries queued for the old endpoint are not sent to the new one.
pub async fn put(db: &Db, s: &Subscription) -> Result<(), sqlx::Error> {
    let mut write = db.begin_write().await?;
    let existing = sqlx::query(
        "SELECT id, endpoint, p256dh, auth, vapid_key_id FROM push_subscriptions \
         WHERE device_id = $1",
    )
    .bind(&s.device_id)
    .fetch_optional(&mut *write.tx)
    .await?;
    let same_endpoint = match &existing {
        Some(r) => {
            r.try_get::<String, _>("endpoint")? == s.endpoint
                && r.try_get::<String, _>("p256dh")? == s.p256dh
                && r.try_get::<String, _>("auth")? == s.auth
                && r.try_get::<i64, _>("vapid_key_id")? == s.vapid_key_id
        }
        None => false,
    };
    if same_endpoint {
        sqlx::query(
            "UPDATE push_subscriptions SET kinds = $1, updated_at_ms = $2 WHERE device_id = $3",
        )
        .bind(encode_kinds(&s.kinds))
        .bind(s.updated_at_ms)
        .bind(&s.device_id)
        .execute(&mut *write.tx)
        .await?;
    } else {
        delete_of_device(&mut write.tx, &s.device_id, s.updated_at_ms).await?;
        sqlx::query(
            "INSERT INTO push_subscriptions (id, device_id, structure_id, family_id, endpoint, \
             p256dh, auth, kinds, vapid_key_id, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&s.id)
        .bind(&s.device_id)
        .bind(&s.structure_id)
        .bind(&s.family_id)
        .bind(&s.endpoint)
        .bind(&s.p256dh)
        .bind(&s.auth)
        .bind(encode_kinds(&s.kinds))
        .bind(s.vapid_key_id)
        .bind(s.created_at_ms)
        .bind(s.updated_at_ms)
        .execute(&mut *write.tx)
        .await?;
    }
    write.commit().await
}

/// Removes the device's subscription and cancels what was waiting for it. Returns whether
/// there was one.
pub async fn delete_of_device(
    conn: &mut AnyConnection,
    device_id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let Some(row) = sqlx::query("SELECT id FROM push_subscriptions WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(false);
    };
    let id: String = row.try_get("id")?;
    delete(conn, &id, "cancelled", now_ms).await?;
    Ok(true)
}

/// Removes the subscriptions of the account's devices whose session ended (after a password
/// change or a one-time password, say), cancelling what was waiting for them.
pub async fn delete_of_ended_devices(
    conn: &mut AnyConnection,
    account_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.id FROM push_subscriptions s JOIN devices d ON d.id = s.device_id \
         WHERE d.account_id = $1 AND d.revoked_at_ms IS NOT NULL",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        delete(conn, &id, "cancelled", now_ms).await?;
    }
    Ok(())
}

/// Removes subscription `id`; its waiting deliveries end as `state` (`cancelled`, or `gone`
/// when the push service said the endpoint no longer exists).
pub async fn delete(
    conn: &mut AnyConnection,
    id: &str,
    state: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE push_deliveries SET state = $1, finished_at_ms = $2 \
         WHERE subscription_id = $3 AND state = 'pending'",
    )
    .bind(state)
    .bind(now_ms)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_sorted_once_each_between_commas() {
        let stored = encode_kinds(&[PushKind::Booking, PushKind::Invoice, PushKind::Booking]);
        assert_eq!(stored, ",invoice,booking,");
        assert_eq!(
            decode_kinds(&stored),
            [PushKind::Invoice, PushKind::Booking]
        );
        assert_eq!(encode_kinds(&[]), ",");
        assert!(decode_kinds(",unknown,").is_empty());
    }
}
