//! The real [`Transport`]: blocking HTTP with `ureq` 3.
//!
//! Non-2xx answers are not transport errors here (`http_status_as_error(false)`): their JSON
//! body is read as the server's `ApiErrorBody` and becomes [`Error::Server`], so the app gets
//! the server's stable code and French message. Bodies are size-limited and every call has
//! timeouts, so a bad network never hangs the app forever.

use crate::error::{Error, Result};
use crate::transport::{DocumentUpload, Transport};
use cartable_domain::api::{
    ApiErrorBody, DeviceSummary, ErrorCode, LoginRequest, LoginResponse, PasswordChange,
};
use cartable_domain::protocol::{self, SyncRequest, SyncResponse};
use cartable_domain::push::{PushSubscriptionRequest, PushSubscriptionView, VapidKey};
use cartable_domain::supporting::SupportingDocument;
use std::time::Duration;
use ureq::http::Response;
use ureq::{Agent, Body};

/// Largest sync answer accepted (a full school year is far below).
const MAX_SYNC_BODY: u64 = 64 * 1024 * 1024;
/// Largest JSON answer accepted.
const MAX_JSON_BODY: u64 = 1024 * 1024;
/// Largest published file accepted (the server's own limit is lower).
const MAX_DOWNLOAD_BODY: u64 = 64 * 1024 * 1024;
/// Whole-call timeout of file transfers (documents sent, published files, the data export):
/// a slow mobile network may need minutes where an API call needs seconds.
const LONG_TRANSFER: Duration = Duration::from_secs(15 * 60);
/// Largest data export accepted.
const MAX_EXPORT_BODY: u64 = 4 * 1024 * 1024 * 1024;

/// [`Transport`] over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    agent: Agent,
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpTransport {
    /// An HTTP transport with the default timeouts (10 s to connect, 60 s per call).
    pub fn new() -> Self {
        Self::with_timeouts(Duration::from_secs(10), Duration::from_secs(60))
    }

    /// An HTTP transport with the given connect and whole-call timeouts.
    pub fn with_timeouts(connect: Duration, global: Duration) -> Self {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(connect))
            .timeout_global(Some(global))
            .user_agent(concat!("cartable-core/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: Agent::new_with_config(config),
        }
    }
}

fn url(server_url: &str, path: &str) -> String {
    format!("{}/api/v1/{path}", server_url.trim_end_matches('/'))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn network(e: ureq::Error) -> Error {
    Error::Network(e.to_string())
}

/// Turns a non-2xx answer into [`Error::Server`], reading its `ApiErrorBody` when it has one.
fn server_error(mut response: Response<Body>) -> Error {
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_JSON_BODY)
        .read_to_vec()
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ApiErrorBody>(&bytes).ok());
    let body = body.unwrap_or_else(|| fallback_body(status));
    Error::from_api(status, body)
}

/// What to say when an error answer has no readable body (a proxy, a crash).
fn fallback_body(status: u16) -> ApiErrorBody {
    let (code, message) = match status {
        400 => (ErrorCode::BadRequest, "requête refusée par le serveur"),
        401 => (
            ErrorCode::Unauthorized,
            "session expirée : reconnectez-vous",
        ),
        403 => (ErrorCode::Forbidden, "accès refusé"),
        404 => (ErrorCode::NotFound, "introuvable sur le serveur"),
        413 => (ErrorCode::PayloadTooLarge, "envoi trop volumineux"),
        426 => (
            ErrorCode::ProtocolTooOld,
            "cette version de l'application est trop ancienne : mettez-la à jour",
        ),
        429 => (
            ErrorCode::RateLimited,
            "trop de tentatives : réessayez dans un moment",
        ),
        503 => (
            ErrorCode::Unavailable,
            "serveur indisponible pour le moment",
        ),
        _ => (ErrorCode::Internal, "erreur du serveur"),
    };
    ApiErrorBody {
        code,
        message: format!("{message} (HTTP {status})"),
        doc_id: None,
    }
}

fn read_json<T: for<'de> serde::Deserialize<'de>>(mut response: Response<Body>) -> Result<T> {
    if !response.status().is_success() {
        return Err(server_error(response));
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_JSON_BODY)
        .read_to_vec()
        .map_err(network)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()))
}

fn expect_empty(response: Response<Body>) -> Result<()> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(server_error(response))
    }
}

impl Transport for HttpTransport {
    fn login(&self, server_url: &str, request: &LoginRequest) -> Result<LoginResponse> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Protocol(e.to_string()))?;
        let response = self
            .agent
            .post(url(server_url, "login"))
            .content_type("application/json")
            .send(&body[..])
            .map_err(network)?;
        read_json(response)
    }

    fn sync(&self, server_url: &str, token: &str, request: &SyncRequest) -> Result<SyncResponse> {
        let body = protocol::encode(request);
        let mut response = self
            .agent
            .post(url(server_url, "sync"))
            .header("Authorization", bearer(token))
            .header("Accept", protocol::CONTENT_TYPE)
            .content_type(protocol::CONTENT_TYPE)
            .send(&body[..])
            .map_err(network)?;
        if !response.status().is_success() {
            return Err(server_error(response));
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_SYNC_BODY)
            .read_to_vec()
            .map_err(network)?;
        protocol::decode(&bytes).map_err(|e| Error::Protocol(e.to_string()))
    }

    fn devices(&self, server_url: &str, token: &str) -> Result<Vec<DeviceSummary>> {
        let response = self
            .agent
            .get(url(server_url, "devices"))
            .header("Authorization", bearer(token))
            .call()
            .map_err(network)?;
        read_json(response)
    }

    fn revoke_device(&self, server_url: &str, token: &str, device_id: &str) -> Result<()> {
        let response = self
            .agent
            .delete(url(server_url, &format!("devices/{device_id}")))
            .header("Authorization", bearer(token))
            .call()
            .map_err(network)?;
        expect_empty(response)
    }

    fn push_vapid_key(&self, server_url: &str, token: &str) -> Result<VapidKey> {
        let response = self
            .agent
            .get(url(server_url, "push/vapid-key"))
            .header("Authorization", bearer(token))
            .call()
            .map_err(network)?;
        read_json(response)
    }

    fn put_push_subscription(
        &self,
        server_url: &str,
        token: &str,
        request: &PushSubscriptionRequest,
    ) -> Result<PushSubscriptionView> {
        let body = serde_json::to_vec(request).map_err(|e| Error::Protocol(e.to_string()))?;
        let response = self
            .agent
            .put(url(server_url, "push/subscription"))
            .header("Authorization", bearer(token))
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map_err(network)?;
        read_json(response)
    }

    fn get_push_subscription(&self, server_url: &str, token: &str) -> Result<PushSubscriptionView> {
        let response = self
            .agent
            .get(url(server_url, "push/subscription"))
            .header("Authorization", bearer(token))
            .call()
            .map_err(network)?;
        read_json(response)
    }

    fn delete_push_subscription(&self, server_url: &str, token: &str) -> Result<()> {
        let response = self
            .agent
            .delete(url(server_url, "push/subscription"))
            .header("Authorization", bearer(token))
            .call()
            .map_err(network)?;
        expect_empty(response)
    }

    fn logout(&self, server_url: &str, token: &str) -> Result<()> {
        let response = self
            .agent
            .post(url(server_url, "logout"))
            .header("Authorization", bearer(token))
            .send_empty()
            .map_err(network)?;
        expect_empty(response)
    }

    fn change_password(
        &self,
        server_url: &str,
        token: &str,
        change: &PasswordChange,
    ) -> Result<()> {
        let body = serde_json::to_vec(change).map_err(|e| Error::Protocol(e.to_string()))?;
        let response = self
            .agent
            .post(url(server_url, "password"))
            .header("Authorization", bearer(token))
            .content_type("application/json")
            .send(&body[..])
            .map_err(network)?;
        expect_empty(response)
    }

    fn upload_document(
        &self,
        server_url: &str,
        token: &str,
        upload: &DocumentUpload<'_>,
    ) -> Result<SupportingDocument> {
        let mut request = self
            .agent
            .post(url(server_url, "documents"))
            .header("Authorization", bearer(token))
            .header("Idempotency-Key", upload.idempotency_key)
            .header(cartable_domain::supporting::HEADER_KIND, upload.kind)
            .header(
                cartable_domain::supporting::HEADER_FILE_NAME,
                percent_encode(upload.file_name),
            );
        if let Some(child) = upload.child_id {
            request = request.header("X-Child-Id", child);
        }
        if let Some(date) = upload.valid_until {
            request = request.header("X-Valid-Until", date);
        }
        let response = request
            .content_type(upload.content_type)
            .config()
            .timeout_global(Some(LONG_TRANSFER))
            .build()
            .send(upload.bytes)
            .map_err(network)?;
        read_json(response)
    }

    fn list_documents(&self, server_url: &str, token: &str) -> Result<Vec<SupportingDocument>> {
        let response = self
            .agent
            .get(url(server_url, "documents"))
            .header("Authorization", bearer(token))
            .call()
            .map_err(network)?;
        read_json(response)
    }

    fn fetch_download(&self, server_url: &str, token: &str, download_id: &str) -> Result<Vec<u8>> {
        let path = format!("downloads/{download_id}/content");
        self.get_file(server_url, token, &path)?
            .body_mut()
            .with_config()
            .limit(MAX_DOWNLOAD_BODY)
            .read_to_vec()
            .map_err(network)
    }

    fn fetch_invoice_pdf(&self, server_url: &str, token: &str, number: &str) -> Result<Vec<u8>> {
        let path = format!("invoices/{number}/pdf");
        self.get_file(server_url, token, &path)?
            .body_mut()
            .with_config()
            .limit(MAX_DOWNLOAD_BODY)
            .read_to_vec()
            .map_err(network)
    }

    fn export(&self, server_url: &str, token: &str, out: &mut dyn std::io::Write) -> Result<u64> {
        let mut response = self.get_file(server_url, token, "export")?;
        let mut reader = response
            .body_mut()
            .with_config()
            .limit(MAX_EXPORT_BODY)
            .reader();
        std::io::copy(&mut reader, out).map_err(|e| Error::Network(e.to_string()))
    }
}

impl HttpTransport {
    /// `GET /api/v1/<path>` of a file, with the long transfer timeout; a non-2xx answer is
    /// the server's typed error.
    fn get_file(&self, server_url: &str, token: &str, path: &str) -> Result<Response<Body>> {
        let response = self
            .agent
            .get(url(server_url, path))
            .header("Authorization", bearer(token))
            .config()
            .timeout_global(Some(LONG_TRANSFER))
            .build()
            .call()
            .map_err(network)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(server_error(response))
        }
    }
}

/// Percent-encodes everything but unreserved ASCII (file names travel in a header).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_without_double_slashes() {
        assert_eq!(url("http://h:8080/", "sync"), "http://h:8080/api/v1/sync");
        assert_eq!(
            url("https://h", "devices/ab"),
            "https://h/api/v1/devices/ab"
        );
    }

    #[test]
    fn an_unreachable_server_is_a_network_error_not_a_panic() {
        let t = HttpTransport::with_timeouts(Duration::from_millis(300), Duration::from_secs(2));
        // Port 9 on loopback: nothing listens there.
        let err = t
            .devices("http://127.0.0.1:9", "tok")
            .expect_err("no server");
        assert_eq!(err.code(), "network");
    }

    #[test]
    fn error_answers_without_a_body_still_get_a_typed_french_error() {
        let body = fallback_body(426);
        assert_eq!(body.code, ErrorCode::ProtocolTooOld);
        assert!(body.message.contains("mettez-la à jour"));
    }
}
