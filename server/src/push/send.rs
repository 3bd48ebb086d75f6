//! Handing one message to a push service: encrypted (RFC 8291, aes128gcm) and signed
//! (VAPID, RFC 8292) by the `web-push` crate, posted with our own HTTP client.
//!
//! `web-push`'s own clients either bring a second HTTP stack (hyper 0.14) or drop the
//! `Retry-After` of a 429; building the request with its `request_builder` and posting it
//! with `reqwest` keeps one HTTP stack and every header the retry policy needs.

use super::retry::{Answer, parse_retry_after};
use super::signatures::SignatureCache;
use super::subscriptions::Subscription;
use super::vapid::Signers;
use crate::db::Db;
use cartable_domain::push::{PushEvent, Urgency};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use std::time::Duration;
use web_push::{ContentEncoding, SubscriptionInfo, WebPushMessageBuilder};

/// Sends messages; cheap to share (one connection pool).
#[derive(Debug)]
pub struct Sender {
    http: reqwest::Client,
    signers: Signers,
    /// Signed VAPID tokens, reused per push service.
    signatures: SignatureCache,
    /// VAPID `sub` claim: how the push service reaches the operator.
    contact: String,
}

/// One message for one device.
#[derive(Debug, Clone, Copy)]
pub struct Outbound<'a> {
    pub subscription: &'a Subscription,
    pub event: PushEvent,
    /// The JSON payload (encrypted here).
    pub payload: &'a [u8],
    /// Seconds the push service should keep it.
    pub ttl_secs: u32,
}

fn urgency(u: Urgency) -> web_push::Urgency {
    match u {
        Urgency::VeryLow => web_push::Urgency::VeryLow,
        Urgency::Low => web_push::Urgency::Low,
        Urgency::Normal => web_push::Urgency::Normal,
        Urgency::High => web_push::Urgency::High,
    }
}

/// The endpoint's origin (`scheme://host[:port]`), the VAPID audience.
pub fn origin(endpoint: &str) -> Option<String> {
    let url = reqwest::Url::parse(endpoint).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

impl Sender {
    pub fn new(timeout: Duration, contact: String) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // Push services answer; they do not redirect. Never follow a device's endpoint
            // elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Sender {
            http,
            signers: Signers::default(),
            signatures: SignatureCache::default(),
            contact,
        })
    }

    /// Encrypts, signs and posts `message`; never fails, the answer says what happened.
    pub async fn send(&self, db: &Db, message: Outbound<'_>, now: jiff::Timestamp) -> Answer {
        let request = match self.build(db, message).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(
                    subscription = %message.subscription.id,
                    error = %e,
                    "push message could not be built"
                );
                return Answer::Rejected(0);
            }
        };
        let (url, headers, body) = request;
        match self.http.post(url).headers(headers).body(body).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, now));
                match status {
                    200..=299 => Answer::Accepted,
                    404 | 410 => Answer::Gone(status),
                    429 => Answer::TooManyRequests(retry_after),
                    500..=599 => Answer::ServerError(status, retry_after),
                    other => Answer::Rejected(other),
                }
            }
            Err(e) => Answer::Network(if e.is_timeout() {
                "délai dépassé".to_string()
            } else if e.is_connect() {
                "connexion impossible".to_string()
            } else {
                "échange interrompu".to_string()
            }),
        }
    }

    async fn build(
        &self,
        db: &Db,
        message: Outbound<'_>,
    ) -> anyhow::Result<(reqwest::Url, HeaderMap, Vec<u8>)> {
        let sub = message.subscription;
        let info = SubscriptionInfo::new(
            sub.endpoint.as_str(),
            sub.p256dh.as_str(),
            sub.auth.as_str(),
        );
        let audience =
            origin(&sub.endpoint).ok_or_else(|| anyhow::anyhow!("endpoint without an origin"))?;
        let now = std::time::Instant::now();
        let signature = match self.signatures.fresh(sub.vapid_key_id, &audience, now) {
            Some(kept) => kept,
            None => {
                // Cloning the signer derives its public key again: only done to sign.
                let signer = self.signers.get(db, sub.vapid_key_id).await?;
                let mut claims = signer.add_sub_info(&info);
                claims.add_claim("aud", audience.as_str());
                claims.add_claim("sub", self.contact.as_str());
                let signed = claims
                    .build()
                    .map_err(|e| anyhow::anyhow!("VAPID signature: {e:?}"))?;
                self.signatures
                    .keep(sub.vapid_key_id, &audience, signed.clone(), now);
                signed
            }
        };
        let mut builder = WebPushMessageBuilder::new(&info);
        builder.set_ttl(message.ttl_secs);
        builder.set_urgency(urgency(message.event.urgency()));
        builder.set_topic(message.event.topic().to_string());
        builder.set_payload(ContentEncoding::Aes128Gcm, message.payload);
        builder.set_vapid_signature(signature);
        let built = builder
            .build()
            .map_err(|e| anyhow::anyhow!("message: {e:?}"))?;
        let request = web_push::request_builder::build_request::<Vec<u8>>(built);
        let url = reqwest::Url::parse(&request.uri().to_string())?;
        let mut headers = HeaderMap::new();
        for (name, value) in request.headers() {
            headers.insert(
                HeaderName::from_bytes(name.as_str().as_bytes())?,
                HeaderValue::from_bytes(value.as_bytes())?,
            );
        }
        Ok((url, headers, request.into_body()))
    }
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn the_audience_is_the_endpoint_origin_with_its_port() {
        assert_eq!(
            origin("http://127.0.0.1:4321/push/abc").as_deref(),
            Some("http://127.0.0.1:4321")
        );
        assert_eq!(
            origin("https://updates.push.example/wpush/v2/x").as_deref(),
            Some("https://updates.push.example")
        );
        assert_eq!(origin("not a url"), None);
    }
}
