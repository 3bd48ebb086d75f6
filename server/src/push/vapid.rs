//! The server's VAPID key pairs (RFC 8292): created at first start, kept in the database,
//! rotated by `cartable-server admin rotate-vapid-key`.
//!
//! The newest key is the one devices subscribe with. A subscription keeps the key it was
//! made with (push services check that the VAPID key matches the subscription's
//! `applicationServerKey`), so older keys stay until no subscription uses them.

use crate::db::Db;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::algorithms::ES256KeyPair;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Mutex;
use web_push::{PartialVapidSignatureBuilder, VapidSignatureBuilder};

/// A key pair as stored: the raw private scalar and the uncompressed public point, both
/// base64url without padding (the form push libraries and browsers use).
#[derive(Clone)]
pub struct StoredKey {
    pub id: i64,
    pub private_key: String,
    pub public_key: String,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("id", &self.id)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

fn generate() -> Result<(String, String), sqlx::Error> {
    let pair = ES256KeyPair::generate();
    let private_key = URL_SAFE_NO_PAD.encode(pair.to_bytes());
    // The public key as `web-push` derives it from the private key it signs with.
    let signer = VapidSignatureBuilder::from_base64_no_sub(&private_key)
        .map_err(|e| sqlx::Error::Protocol(format!("clé VAPID générée illisible : {e:?}")))?;
    let public_key = URL_SAFE_NO_PAD.encode(signer.get_public_key());
    Ok((private_key, public_key))
}

fn key_of(r: &sqlx::any::AnyRow) -> Result<StoredKey, sqlx::Error> {
    Ok(StoredKey {
        id: r.try_get("id")?,
        private_key: r.try_get("private_key")?,
        public_key: r.try_get("public_key")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// The newest key, if any.
pub async fn current(db: &Db) -> Result<Option<StoredKey>, sqlx::Error> {
    sqlx::query(
        "SELECT id, private_key, public_key, created_at_ms FROM push_vapid_keys \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(key_of)
    .transpose()
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<StoredKey>, sqlx::Error> {
    sqlx::query(
        "SELECT id, private_key, public_key, created_at_ms FROM push_vapid_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(key_of)
    .transpose()
}

async fn insert(db: &Db, now_ms: i64) -> Result<StoredKey, sqlx::Error> {
    let (private_key, public_key) = generate()?;
    let mut write = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO push_vapid_keys (private_key, public_key, created_at_ms) VALUES ($1, $2, $3)",
    )
    .bind(&private_key)
    .bind(&public_key)
    .bind(now_ms)
    .execute(&mut *write.tx)
    .await?;
    let row = sqlx::query(
        "SELECT id, private_key, public_key, created_at_ms FROM push_vapid_keys \
         WHERE public_key = $1",
    )
    .bind(&public_key)
    .fetch_one(&mut *write.tx)
    .await?;
    let key = key_of(&row)?;
    write.commit().await?;
    Ok(key)
}

/// The current key, created on first start. Two processes starting together on one
/// PostgreSQL may both create one: the newest wins for new subscriptions and both stay
/// valid for the subscriptions made with them.
pub async fn ensure(db: &Db, now_ms: i64) -> Result<StoredKey, sqlx::Error> {
    match current(db).await? {
        Some(key) => Ok(key),
        None => insert(db, now_ms).await,
    }
}

/// A new key for new subscriptions; devices subscribed with an older key are told to
/// subscribe again and keep receiving messages until they do.
pub async fn rotate(db: &Db, now_ms: i64) -> Result<StoredKey, sqlx::Error> {
    insert(db, now_ms).await
}

/// Keys no subscription uses any more, except the current one, are deleted. Returns how
/// many were.
pub async fn prune(db: &Db) -> Result<u64, sqlx::Error> {
    let Some(current) = current(db).await? else {
        return Ok(0);
    };
    let mut write = db.begin_write().await?;
    let done = sqlx::query(
        "DELETE FROM push_vapid_keys WHERE id <> $1 \
         AND id NOT IN (SELECT vapid_key_id FROM push_subscriptions)",
    )
    .bind(current.id)
    .execute(&mut *write.tx)
    .await?;
    write.commit().await?;
    Ok(done.rows_affected())
}

/// Signing keys parsed once, by id.
#[derive(Default)]
pub struct Signers {
    by_id: Mutex<HashMap<i64, PartialVapidSignatureBuilder>>,
}

impl std::fmt::Debug for Signers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signers").finish_non_exhaustive()
    }
}

impl Signers {
    /// The signer of key `id`, read from the database the first time.
    pub async fn get(&self, db: &Db, id: i64) -> anyhow::Result<PartialVapidSignatureBuilder> {
        if let Some(s) = self
            .by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
        {
            return Ok(s.clone());
        }
        let key = by_id(db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("VAPID key {id} not found"))?;
        let signer = VapidSignatureBuilder::from_base64_no_sub(&key.private_key)
            .map_err(|e| anyhow::anyhow!("VAPID key {id} unreadable: {e:?}"))?;
        self.by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, signer.clone());
        Ok(signer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_with_the_public_key_it_announces() {
        let (private_key, public_key) = generate().expect("generated");
        let signer = VapidSignatureBuilder::from_base64_no_sub(&private_key).expect("readable");
        assert_eq!(URL_SAFE_NO_PAD.encode(signer.get_public_key()), public_key);
        assert_eq!(public_key.len(), 87, "65 bytes in base64url");
    }
}
