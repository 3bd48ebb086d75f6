//! Push notifications on the phone.
//!
//! 1. [`setup`]: the device's keys (created once) and the server's VAPID key: what the app
//!    gives its push service to subscribe (`applicationServerKey`, `p256dh`, `auth`).
//! 2. [`register`]: the endpoint the push service returned and the kinds the family wants,
//!    sent to the server (again whenever either changes).
//! 3. [`open`]: a received message body decrypted into its payload (event, documents to
//!    sync); then [`notification::build`] writes the French title and body from the
//!    documents on this device, after they are synced.

pub mod keys;
pub mod notification;

use crate::client::{Inner, lock};
use crate::error::{Error, Result};
use crate::transport::Transport;
use cartable_domain::push::{
    PAYLOAD_VERSION, PushKind, PushPayload, PushSubscriptionRequest, PushSubscriptionView,
};
use serde::Serialize;
use std::sync::Mutex;

/// What the app subscribes to its push service with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushSetup {
    /// The server's VAPID public key (`applicationServerKey`), base64url.
    pub vapid_public_key: String,
    /// This device's public key, base64url.
    pub p256dh: String,
    /// This device's auth secret, base64url.
    pub auth: String,
}

/// This device's keys (created the first time) and the server's current VAPID key.
pub(crate) fn setup(shared: &Mutex<Inner>, transport: &dyn Transport) -> Result<PushSetup> {
    let (keys, session) = {
        let mut inner = lock(shared);
        let session = inner.session()?.clone();
        (keys::load_or_create(&mut inner.store)?, session)
    };
    let vapid = transport.push_vapid_key(&session.account.server_url, &session.token)?;
    Ok(PushSetup {
        vapid_public_key: vapid.public_key,
        p256dh: keys.p256dh(),
        auth: keys.auth_b64(),
    })
}

/// Registers this device's subscription (`endpoint` from the push service) and the kinds
/// the family wants on it.
pub(crate) fn register(
    shared: &Mutex<Inner>,
    transport: &dyn Transport,
    endpoint: &str,
    kinds: &[PushKind],
) -> Result<PushSubscriptionView> {
    let endpoint = endpoint.trim();
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
        return Err(Error::invalid(
            "adresse du service de notification invalide (https://… attendu)",
        ));
    }
    let (keys, session) = {
        let mut inner = lock(shared);
        let session = inner.session()?.clone();
        (keys::load_or_create(&mut inner.store)?, session)
    };
    let request = PushSubscriptionRequest {
        endpoint: endpoint.to_string(),
        p256dh: keys.p256dh(),
        auth: keys.auth_b64(),
        kinds: kinds.to_vec(),
    };
    transport.put_push_subscription(&session.account.server_url, &session.token, &request)
}

/// The server's record of this device's subscription (`None`: not subscribed).
pub(crate) fn subscription(
    shared: &Mutex<Inner>,
    transport: &dyn Transport,
) -> Result<Option<PushSubscriptionView>> {
    let session = lock(shared).session()?.clone();
    match transport.get_push_subscription(&session.account.server_url, &session.token) {
        Ok(view) => Ok(Some(view)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Stops notifications to this device.
pub(crate) fn unregister(shared: &Mutex<Inner>, transport: &dyn Transport) -> Result<()> {
    let session = lock(shared).session()?.clone();
    match transport.delete_push_subscription(&session.account.server_url, &session.token) {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Decrypts a received message body with this device's keys and reads its payload.
pub(crate) fn open(inner: &Inner, body: &[u8]) -> Result<PushPayload> {
    let keys = inner
        .store
        .read(keys::load)?
        .ok_or_else(|| Error::invalid("aucune clé de notification sur cet appareil"))?;
    let plain = keys.decrypt(body)?;
    let payload: PushPayload = serde_json::from_slice(&plain)
        .map_err(|e| Error::Protocol(format!("notification illisible : {e}")))?;
    if payload.v > PAYLOAD_VERSION {
        return Err(Error::Protocol(format!(
            "notification d'une version plus récente ({}) : mettez l'application à jour",
            payload.v
        )));
    }
    Ok(payload)
}
