//! A family device's push subscription: the server's VAPID key to subscribe with, then
//! register (or change the kinds), read and remove the subscription. Signing out removes it
//! too.

use crate::AppState;
use crate::auth::{FamilyDevice, new_id};
use crate::error::{AppError, AppResult};
use crate::push::subscriptions::{self, Subscription};
use crate::push::vapid;
use crate::routes::Json as JsonBody;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cartable_domain::push::{PushSubscriptionRequest, PushSubscriptionView, VapidKey};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/push/vapid-key", get(vapid_key))
        .route(
            "/api/v1/push/subscription",
            get(show).put(register).delete(remove),
        )
}

/// Longest endpoint accepted (push services' URLs are a few hundred characters).
const MAX_ENDPOINT_CHARS: usize = 2048;

async fn current_key(state: &AppState) -> AppResult<vapid::StoredKey> {
    Ok(vapid::ensure(&state.db, state.clock.now().as_millisecond()).await?)
}

async fn vapid_key(
    State(state): State<AppState>,
    _device: FamilyDevice,
) -> AppResult<Json<VapidKey>> {
    Ok(Json(VapidKey {
        public_key: current_key(&state).await?.public_key,
    }))
}

fn decoded(field: &str, value: &str, len: usize) -> AppResult<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| AppError::bad_request(format!("{field} : base64url attendu")))?;
    if bytes.len() != len {
        return Err(AppError::bad_request(format!(
            "{field} : {len} octets attendus, {} reçus",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Checks what a device sends before it is stored: an `https` endpoint (or `http` when the
/// settings allow it, for tests), a P-256 public key on the curve, a 16-byte auth secret.
fn check(state: &AppState, req: &PushSubscriptionRequest) -> AppResult<()> {
    let endpoint = req.endpoint.trim();
    let url = reqwest::Url::parse(endpoint)
        .map_err(|_| AppError::bad_request("endpoint : adresse invalide"))?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => state.settings.push_allow_http_endpoints,
        _ => false,
    };
    if !scheme_ok || url.host_str().is_none() || endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(AppError::bad_request(
            "endpoint : adresse https du service de notification attendue",
        ));
    }
    let point = decoded("p256dh", &req.p256dh, 65)?;
    if p256::PublicKey::from_sec1_bytes(&point).is_err() {
        return Err(AppError::bad_request(
            "p256dh : clé publique P-256 invalide",
        ));
    }
    decoded("auth", &req.auth, 16)?;
    Ok(())
}

async fn view(state: &AppState, s: &Subscription) -> AppResult<PushSubscriptionView> {
    let current = current_key(state).await?;
    let key = vapid::by_id(&state.db, s.vapid_key_id)
        .await?
        .ok_or_else(|| AppError::internal("clé VAPID de l'abonnement introuvable"))?;
    Ok(PushSubscriptionView {
        endpoint: s.endpoint.clone(),
        kinds: s.kinds.clone(),
        vapid_public_key: key.public_key,
        key_rotated: current.id != s.vapid_key_id,
        created_at_ms: s.created_at_ms,
        updated_at_ms: s.updated_at_ms,
    })
}

async fn show(
    State(state): State<AppState>,
    device: FamilyDevice,
) -> AppResult<Json<PushSubscriptionView>> {
    let s = subscriptions::of_device(&state.db, &device.session.device_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(view(&state, &s).await?))
}

async fn register(
    State(state): State<AppState>,
    device: FamilyDevice,
    JsonBody(req): JsonBody<PushSubscriptionRequest>,
) -> AppResult<Json<PushSubscriptionView>> {
    check(&state, &req)?;
    let now = state.clock.now().as_millisecond();
    let key = current_key(&state).await?;
    let existing = subscriptions::of_device(&state.db, &device.session.device_id).await?;
    // Changing only the kinds keeps the key the device subscribed with.
    let vapid_key_id = match &existing {
        Some(e)
            if e.endpoint == req.endpoint.trim()
                && e.p256dh == req.p256dh
                && e.auth == req.auth =>
        {
            e.vapid_key_id
        }
        _ => key.id,
    };
    let s = Subscription {
        id: new_id(),
        device_id: device.session.device_id.to_string(),
        structure_id: device.session.structure_id.to_string(),
        family_id: device.family_id.to_string(),
        endpoint: req.endpoint.trim().to_string(),
        p256dh: req.p256dh.clone(),
        auth: req.auth.clone(),
        kinds: req.kinds.clone(),
        vapid_key_id,
        created_at_ms: existing.as_ref().map_or(now, |e| e.created_at_ms),
        updated_at_ms: now,
    };
    subscriptions::put(&state.db, &s).await?;
    let stored = subscriptions::of_device(&state.db, &device.session.device_id)
        .await?
        .ok_or_else(|| AppError::internal("abonnement non enregistré"))?;
    Ok(Json(view(&state, &stored).await?))
}

async fn remove(State(state): State<AppState>, device: FamilyDevice) -> AppResult<StatusCode> {
    let mut write = state.db.begin_write().await?;
    let found = subscriptions::delete_of_device(
        &mut write.tx,
        &device.session.device_id,
        state.clock.now().as_millisecond(),
    )
    .await?;
    write.commit().await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found())
    }
}
