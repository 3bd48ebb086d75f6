//! VAPID signatures reused per push service.
//!
//! A VAPID token (RFC 8292) names the push service's origin (`aud`) and an expiry, not the
//! device: the same signed token is valid for every message to that push service until it
//! expires. `web-push` signs a fresh ES256 token per message, which made signing half of the
//! server's CPU when one information message went to every family's phones. Tokens are kept
//! per (signing key, audience) and signed again once they are [`REUSE`] old, far inside
//! their 12-hour lifetime so that a push service with a skewed clock still accepts them.
//! (Cloning `web-push`'s signer also derives its public key again, a scalar multiplication
//! as costly as the signature: it too is only done on a miss.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use web_push::VapidSignature;

/// How long one signed token is reused.
pub const REUSE: Duration = Duration::from_secs(3600);

/// Upper bound on the kept tokens: push services are a handful of origins, but endpoints
/// come from devices, so their number is not trusted.
const MAX_KEPT: usize = 256;

#[derive(Default)]
pub struct SignatureCache {
    by_audience: Mutex<HashMap<(i64, String), (VapidSignature, Instant)>>,
}

impl std::fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureCache").finish_non_exhaustive()
    }
}

impl SignatureCache {
    /// The token kept for `audience` and key `key_id`, if it is younger than [`REUSE`].
    pub fn fresh(&self, key_id: i64, audience: &str, now: Instant) -> Option<VapidSignature> {
        let kept = self.lock();
        let (signature, signed_at) = kept.get(&(key_id, audience.to_string()))?;
        (now.saturating_duration_since(*signed_at) < REUSE).then(|| signature.clone())
    }

    /// Keeps a token just signed. Two senders may both have signed one; both are valid and
    /// the later is kept.
    pub fn keep(&self, key_id: i64, audience: &str, signature: VapidSignature, now: Instant) {
        let key = (key_id, audience.to_string());
        let mut kept = self.lock();
        if kept.len() >= MAX_KEPT && !kept.contains_key(&key) {
            kept.retain(|_, (_, signed_at)| now.saturating_duration_since(*signed_at) < REUSE);
            if kept.len() >= MAX_KEPT {
                kept.clear();
            }
        }
        kept.insert(key, (signature, now));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, String), (VapidSignature, Instant)>> {
        self.by_audience.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(n: u32) -> VapidSignature {
        VapidSignature {
            auth_t: format!("token-{n}"),
            auth_k: vec![4; 65],
        }
    }

    #[test]
    fn a_token_is_reused_for_its_audience_and_its_key_until_it_is_old() {
        let cache = SignatureCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.fresh(1, "https://push.a", t0), None);
        cache.keep(1, "https://push.a", token(1), t0);
        let minute = t0 + Duration::from_secs(60);
        assert_eq!(cache.fresh(1, "https://push.a", minute), Some(token(1)));
        assert_eq!(
            cache.fresh(1, "https://push.b", minute),
            None,
            "another push service"
        );
        assert_eq!(
            cache.fresh(2, "https://push.a", minute),
            None,
            "a rotated key"
        );
        assert_eq!(
            cache.fresh(1, "https://push.a", t0 + REUSE),
            None,
            "an hour old"
        );
        cache.keep(1, "https://push.a", token(2), t0 + REUSE);
        assert_eq!(cache.fresh(1, "https://push.a", t0 + REUSE), Some(token(2)));
    }

    #[test]
    fn endless_audiences_stay_bounded() {
        let cache = SignatureCache::default();
        let t0 = Instant::now();
        for n in 0..(MAX_KEPT as u32 * 3) {
            cache.keep(1, &format!("https://push-{n}.example"), token(n), t0);
        }
        assert!(cache.lock().len() <= MAX_KEPT);
        let last = MAX_KEPT as u32 * 3 - 1;
        assert_eq!(
            cache.fresh(1, &format!("https://push-{last}.example"), t0),
            Some(token(last)),
            "the newest token is kept"
        );
    }
}
