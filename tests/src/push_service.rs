//! A Web Push service of the tests' own, on loopback (no crate offers one).
//!
//! `POST /push/{device}` checks what a real push service checks: the VAPID token (ES256
//! signed by the key it announces, which must be the server's; audience = this service's
//! origin; expiry in the future and under 24 hours), the `TTL`, `Urgency` and `Topic`
//! headers and the `aes128gcm` encoding. It keeps every accepted message (the test hands
//! the body to the client core to decrypt) and answers what the test scripted for the
//! device (404, 410, 413, 429 with `Retry-After`, 503...), 201 otherwise. A request that
//! fails a check is answered 400 and recorded as a violation.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

/// One message the service accepted or answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub device: String,
    /// The status the service answered.
    pub status: u16,
    pub ttl: u32,
    pub urgency: String,
    pub topic: String,
    /// The encrypted body, as the device would get it.
    pub body: Vec<u8>,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            retry_after: None,
        }
    }

    pub fn retry_after(status: u16, after: &str) -> Self {
        Reply {
            status,
            retry_after: Some(after.to_string()),
        }
    }
}

#[derive(Default)]
struct Shared {
    origin: String,
    /// VAPID public keys (base64url) the service accepts.
    keys: Mutex<Vec<String>>,
    received: Mutex<Vec<Received>>,
    violations: Mutex<Vec<String>>,
    script: Mutex<HashMap<String, VecDeque<Reply>>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running service.
pub struct PushService {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl PushService {
    /// Starts the service, accepting tokens signed by `vapid_public_key` (base64url).
    pub fn start(vapid_public_key: &str) -> PushService {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("push service runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind push service");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            origin: origin.clone(),
            keys: Mutex::new(vec![vapid_public_key.to_string()]),
            ..Default::default()
        });
        let app = Router::new()
            .route("/push/{device}", post(receive))
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        PushService {
            origin,
            shared,
            runtime: Some(runtime),
            shutdown: Some(tx),
        }
    }

    /// The endpoint a device named `device` would get from this service.
    pub fn endpoint(&self, device: &str) -> String {
        format!("{}/push/{device}", self.origin)
    }

    /// Also accept tokens signed by `key` (after a rotation).
    pub fn accept_key(&self, key: &str) {
        locked(&self.shared.keys).push(key.to_string());
    }

    /// The next answers for `device`, in order (201 once they are used up).
    pub fn script(&self, device: &str, replies: impl IntoIterator<Item = Reply>) {
        locked(&self.shared.script)
            .entry(device.to_string())
            .or_default()
            .extend(replies);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        locked(&self.shared.received).clone()
    }

    /// Requests to `device` answered 201.
    pub fn delivered_to(&self, device: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.device == device && r.status == 201)
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        locked(&self.shared.violations).clone()
    }

    /// Waits (up to `timeout`) until `done` holds on the requests received.
    pub fn wait_until(&self, timeout: StdDuration, done: impl Fn(&[Received]) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if done(&self.received()) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(StdDuration::from_millis(20));
        }
    }
}

impl Drop for PushService {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(StdDuration::from_secs(2));
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks a request as a push service would; returns (ttl, urgency, topic).
fn check(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(u32, String, String), String> {
    let auth = header(headers, "authorization").ok_or("no Authorization header")?;
    let rest = auth
        .strip_prefix("vapid ")
        .ok_or("Authorization is not vapid")?;
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(t) = part.strip_prefix("t=") {
            token = Some(t);
        } else if let Some(k) = part.strip_prefix("k=") {
            key = Some(k);
        }
    }
    let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
    if !locked(&shared.keys).iter().any(|k| k == key) {
        return Err(format!("unknown VAPID key {key}"));
    }
    let raw = URL_SAFE_NO_PAD
        .decode(key)
        .map_err(|e| format!("k= not base64url: {e}"))?;
    let public = ES256PublicKey::from_bytes(&raw).map_err(|e| format!("k= not P-256: {e}"))?;
    let options = VerificationOptions {
        allowed_audiences: Some(HashSet::from_strings(&[shared.origin.as_str()])),
        time_tolerance: Some(Duration::from_secs(5)),
        ..Default::default()
    };
    let claims = public
        .verify_token::<NoCustomClaims>(token, Some(options))
        .map_err(|e| format!("VAPID token refused: {e}"))?;
    let expires = claims.expires_at.ok_or("token without exp")?;
    let now = Clock::now_since_epoch();
    if expires <= now || expires - now > Duration::from_hours(24) {
        return Err("token expiry not within 24 hours".into());
    }
    if claims
        .subject
        .as_deref()
        .is_none_or(|s| !(s.starts_with("mailto:") || s.starts_with("https:")))
    {
        return Err("token without a mailto: or https: subject".into());
    }
    let ttl: u32 = header(headers, "ttl")
        .ok_or("no TTL")?
        .parse()
        .map_err(|_| "TTL not a number")?;
    let urgency = header(headers, "urgency").ok_or("no Urgency")?.to_string();
    if !["very-low", "low", "normal", "high"].contains(&urgency.as_str()) {
        return Err(format!("bad Urgency {urgency}"));
    }
    let topic = header(headers, "topic").ok_or("no Topic")?.to_string();
    if topic.len() > 32
        || !topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!("bad Topic {topic}"));
    }
    if header(headers, "content-encoding") != Some("aes128gcm") {
        return Err("Content-Encoding is not aes128gcm".into());
    }
    // RFC 8188 header: salt (16), record size (4), key id length (1) = 65, sender key.
    if body.len() < 21 + 65 + 17 || body[20] != 65 || body[21] != 0x04 {
        return Err("body is not an aes128gcm Web Push record".into());
    }
    if body.len() > 4096 {
        return Err("body over 4096 bytes".into());
    }
    Ok((ttl, urgency, topic))
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    Path(device): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ttl, urgency, topic) = match check(&shared, &headers, &body) {
        Ok(v) => v,
        Err(e) => {
            locked(&shared.violations).push(format!("{device}: {e}"));
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let reply = locked(&shared.script)
        .get_mut(&device)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Reply::status(201));
    locked(&shared.received).push(Received {
        device,
        status: reply.status,
        ttl,
        urgency,
        topic,
        body: body.to_vec(),
    });
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = status.into_response();
    if let Some(after) = reply.retry_after
        && let Ok(v) = HeaderValue::from_str(&after)
    {
        response.headers_mut().insert("retry-after", v);
    }
    response
}

/// The server's current VAPID public key (what devices subscribe with).
pub fn server_key(server: &crate::TestServer) -> String {
    server
        .block_on(cartable_server::push::vapid::current(&server.state.db))
        .expect("read VAPID key")
        .expect("a VAPID key exists from the first start")
        .public_key
}

/// Subscribes `client` to `service` as `device`, for `kinds`.
pub fn subscribe(
    client: &cartable_core::Client,
    service: &PushService,
    device: &str,
    kinds: &[cartable_domain::push::PushKind],
) {
    let setup = client.push_setup().expect("push setup");
    assert_eq!(setup.p256dh.len(), 87, "65-byte public key in base64url");
    client
        .register_push(&service.endpoint(device), kinds)
        .expect("register push subscription");
}
