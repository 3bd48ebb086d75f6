//! The device's Web Push keys (RFC 8291): a P-256 key pair and a 16-byte auth secret,
//! created once and kept in the store's `meta` (wiped at logout), and the decryption of a
//! received message with them.
//!
//! `ece::decrypt` panics on a malformed key pair, so keys read from the store are checked
//! with `p256` (the private scalar must give exactly the stored public point) before `ece`
//! sees them.

use crate::error::{Error, Result};
use crate::store::{self, MetaKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::Connection;

/// The device's push keys.
#[derive(Clone, PartialEq, Eq)]
pub struct PushKeys {
    /// Raw P-256 private scalar (32 bytes).
    private_key: Vec<u8>,
    /// Uncompressed public point (65 bytes), what the push service calls `p256dh`.
    pub public_key: Vec<u8>,
    /// Auth secret (16 bytes).
    pub auth: Vec<u8>,
}

impl std::fmt::Debug for PushKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushKeys")
            .field("public_key", &self.p256dh())
            .finish_non_exhaustive()
    }
}

impl PushKeys {
    /// `p256dh`, base64url without padding.
    pub fn p256dh(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.public_key)
    }

    /// `auth`, base64url without padding.
    pub fn auth_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.auth)
    }

    /// Checks that the pair is a valid P-256 pair and the secret 16 bytes.
    pub fn validate(&self) -> Result<()> {
        let bad = || Error::Document("clés de notification de l'appareil invalides".into());
        if self.auth.len() != 16 || self.public_key.len() != 65 || self.private_key.len() != 32 {
            return Err(bad());
        }
        let secret = p256::SecretKey::from_slice(&self.private_key).map_err(|_| bad())?;
        let derived = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
            &secret.public_key(),
            false,
        );
        if derived.as_bytes() != self.public_key.as_slice() {
            return Err(bad());
        }
        Ok(())
    }

    fn generate() -> Result<Self> {
        let failed = |e: ece::Error| Error::Document(format!("création des clés : {e}"));
        let (pair, auth) = ece::generate_keypair_and_auth_secret().map_err(failed)?;
        let components = pair.raw_components().map_err(failed)?;
        let keys = PushKeys {
            private_key: left_pad_32(components.private_key()),
            public_key: components.public_key().to_vec(),
            auth: auth.to_vec(),
        };
        keys.validate()?;
        Ok(keys)
    }

    /// Decrypts an `aes128gcm` message body (RFC 8188 / 8291).
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>> {
        self.validate()?;
        // Header: salt (16) + record size (4) + key id length (1) + key id (65 for Web Push).
        if body.len() < 21 + 65 + 17 {
            return Err(Error::invalid(
                "notification illisible : message trop court",
            ));
        }
        let components =
            ece::EcKeyComponents::new(self.private_key.clone(), self.public_key.clone());
        ece::decrypt(&components, &self.auth, body)
            .map_err(|e| Error::invalid(format!("notification illisible : {e}")))
    }
}

/// OpenSSL may give a private scalar shorter than 32 bytes (leading zeros dropped).
fn left_pad_32(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32usize.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

fn decode(value: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| Error::Document("clés de notification de l'appareil illisibles".into()))
}

/// The stored keys, if any.
pub(crate) fn load(conn: &Connection) -> Result<Option<PushKeys>> {
    let (Some(private_key), Some(public_key), Some(auth)) = (
        store::get_meta(conn, MetaKey::PushPrivateKey)?,
        store::get_meta(conn, MetaKey::PushPublicKey)?,
        store::get_meta(conn, MetaKey::PushAuth)?,
    ) else {
        return Ok(None);
    };
    Ok(Some(PushKeys {
        private_key: decode(&private_key)?,
        public_key: decode(&public_key)?,
        auth: decode(&auth)?,
    }))
}

/// The stored keys, created (and stored in the same transaction) the first time.
pub(crate) fn load_or_create(store: &mut store::Store) -> Result<PushKeys> {
    if let Some(keys) = store.read(load)? {
        return Ok(keys);
    }
    let keys = PushKeys::generate()?;
    store.write(|tx| {
        store::set_meta(
            tx,
            MetaKey::PushPrivateKey,
            &URL_SAFE_NO_PAD.encode(&keys.private_key),
        )?;
        store::set_meta(tx, MetaKey::PushPublicKey, &keys.p256dh())?;
        store::set_meta(tx, MetaKey::PushAuth, &keys.auth_b64())
    })?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_decrypt_what_was_encrypted_for_them() {
        let keys = PushKeys::generate().expect("keys");
        let body = ece::encrypt(&keys.public_key, &keys.auth, b"{\"v\":1}").expect("encrypt");
        assert_eq!(keys.decrypt(&body).expect("decrypt"), b"{\"v\":1}");
    }

    #[test]
    fn malformed_keys_or_bodies_are_errors_not_panics() {
        let keys = PushKeys::generate().expect("keys");
        let body = ece::encrypt(&keys.public_key, &keys.auth, b"hello").expect("encrypt");
        let mut other = PushKeys::generate().expect("keys");
        other.public_key = keys.public_key.clone();
        assert!(other.decrypt(&body).is_err(), "mismatched pair refused");
        let mut short = keys.clone();
        short.private_key.truncate(5);
        assert!(short.decrypt(&body).is_err());
        let mut off_curve = keys.clone();
        off_curve.public_key[10] ^= 0xff;
        assert!(off_curve.decrypt(&body).is_err());
        assert!(keys.decrypt(b"garbage").is_err());
        let mut tampered = body.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(keys.decrypt(&tampered).is_err());
        let wrong_auth = PushKeys {
            auth: vec![7; 16],
            ..keys.clone()
        };
        assert!(wrong_auth.decrypt(&body).is_err());
    }
}
