//! Secrets kept encrypted at rest (the administrators' TOTP secrets): AES-256-GCM with a key
//! of its own in the data folder (`secrets.key`, created at first start, readable by the
//! server's user only), so that a copy of the database alone does not give the second
//! factors away. A sealed value reads `v1:` then the nonce and ciphertext in hex; a value
//! without that prefix is a secret stored before they were sealed, sealed at the next start.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use std::io::{self, Read, Write};
use std::path::Path;

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "secrets.key";
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// The key that seals secrets.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(…)")
    }
}

impl SealKey {
    /// The data folder's key, created (mode 0600) when there is none.
    pub fn load_or_create(data_dir: &Path) -> io::Result<SealKey> {
        let path = data_dir.join(KEY_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut file) => {
                let key: [u8; 32] = rand::random();
                file.write_all(&key)?;
                file.sync_all()?;
                Ok(SealKey(key))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let mut bytes = Vec::new();
                std::fs::File::open(&path)?.read_to_end(&mut bytes)?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} : clé de 32 octets attendue", path.display()),
                    )
                })?;
                Ok(SealKey(key))
            }
            Err(e) => Err(e),
        }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.0))
    }

    /// `secret` sealed.
    pub fn seal(&self, secret: &str) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = Nonce::from(nonce_bytes);
        // Encryption of a short text in memory cannot fail.
        let sealed = self
            .cipher()
            .encrypt(&nonce, secret.as_bytes())
            .unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", hex::encode(out))
    }

    /// The secret of a stored value: opened when sealed, as stored otherwise (a secret of
    /// before). `None` when it was sealed with another key or tampered with.
    pub fn open(&self, stored: &str) -> Option<String> {
        let Some(sealed) = stored.strip_prefix(PREFIX) else {
            return Some(stored.to_string());
        };
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let plain = self
            .cipher()
            .decrypt(&Nonce::from(nonce), ciphertext)
            .ok()?;
        String::from_utf8(plain).ok()
    }

    /// True when `stored` is sealed.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_sealed_with_the_folder_key() {
        let dir = tempfile::tempdir().expect("dir");
        let key = SealKey::load_or_create(dir.path()).expect("key");
        let sealed = key.seal("JBSWY3DPEHPK3PXP");
        assert!(SealKey::is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(sealed, key.seal("JBSWY3DPEHPK3PXP"), "a nonce per value");
        let again = SealKey::load_or_create(dir.path()).expect("same key");
        assert_eq!(again.open(&sealed).as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(again.open("PLAIN").as_deref(), Some("PLAIN"));
        let other = SealKey::load_or_create(tempfile::tempdir().expect("dir").path()).expect("k");
        assert_eq!(other.open(&sealed), None);
        let mut tampered = sealed.clone();
        let last = if tampered.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(tampered.len() - 1.., last);
        assert_eq!(key.open(&tampered), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
