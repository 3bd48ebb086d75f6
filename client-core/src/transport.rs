//! How the core talks to the server, as a trait.
//!
//! The sync engine and the session calls only see [`Transport`], so unit tests drive them with
//! an in-memory server (sans-IO style) and the app uses [`crate::HttpTransport`]. Each method is
//! one HTTP call of the server's API; errors are already typed ([`Error::Server`] carries the
//! server's `ApiErrorBody`).

use crate::error::{Error, Result};
use cartable_domain::api::{DeviceSummary, LoginRequest, LoginResponse, PasswordChange};
use cartable_domain::protocol::{SyncRequest, SyncResponse};
use cartable_domain::push::{PushSubscriptionRequest, PushSubscriptionView, VapidKey};
use cartable_domain::supporting::SupportingDocument;

/// One supporting document to upload (`POST /api/v1/documents`).
#[derive(Debug, Clone, Copy)]
pub struct DocumentUpload<'a> {
    /// The queue's local id, sent as `Idempotency-Key`: a retried upload arrives once.
    pub idempotency_key: &'a str,
    pub kind: &'a str,
    pub child_id: Option<&'a str>,
    pub valid_until: Option<&'a str>,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

fn unsupported() -> Error {
    Error::Protocol("appel non pris en charge par ce transport".into())
}

/// One call per endpoint of the server's API (`/api/v1/...`).
pub trait Transport: Send + Sync {
    /// `POST /api/v1/login`.
    fn login(&self, server_url: &str, request: &LoginRequest) -> Result<LoginResponse>;

    /// `POST /api/v1/sync` (CBOR both ways).
    fn sync(&self, server_url: &str, token: &str, request: &SyncRequest) -> Result<SyncResponse>;

    /// `GET /api/v1/devices`.
    fn devices(&self, server_url: &str, token: &str) -> Result<Vec<DeviceSummary>>;

    /// `DELETE /api/v1/devices/{device_id}`.
    fn revoke_device(&self, server_url: &str, token: &str, device_id: &str) -> Result<()>;

    /// `POST /api/v1/logout`: revokes the caller's own token.
    fn logout(&self, server_url: &str, token: &str) -> Result<()>;

    /// `POST /api/v1/password`: replaces the account's password; its other sessions end.
    fn change_password(
        &self,
        server_url: &str,
        token: &str,
        change: &PasswordChange,
    ) -> Result<()> {
        let _ = (server_url, token, change);
        Err(unsupported())
    }

    /// `POST /api/v1/documents`: uploads one supporting document.
    fn upload_document(
        &self,
        server_url: &str,
        token: &str,
        upload: &DocumentUpload<'_>,
    ) -> Result<SupportingDocument> {
        let _ = (server_url, token, upload);
        Err(unsupported())
    }

    /// `GET /api/v1/documents`: the family's supporting documents.
    fn list_documents(&self, server_url: &str, token: &str) -> Result<Vec<SupportingDocument>> {
        let _ = (server_url, token);
        Err(unsupported())
    }

    /// `GET /api/v1/downloads/{id}/content`: one published file ("Téléchargement").
    fn fetch_download(&self, server_url: &str, token: &str, download_id: &str) -> Result<Vec<u8>> {
        let _ = (server_url, token, download_id);
        Err(unsupported())
    }

    /// `GET /api/v1/invoices/{number}/pdf`: the PDF of one of the family's invoices.
    fn fetch_invoice_pdf(&self, server_url: &str, token: &str, number: &str) -> Result<Vec<u8>> {
        let _ = (server_url, token, number);
        Err(unsupported())
    }

    /// `GET /api/v1/export`: writes the family's data archive (ZIP) to `out`; returns its size
    /// in bytes.
    fn export(&self, server_url: &str, token: &str, out: &mut dyn std::io::Write) -> Result<u64> {
        let _ = (server_url, token, out);
        Err(unsupported())
    }

    /// `GET /api/v1/push/vapid-key`: the key devices subscribe with.
    fn push_vapid_key(&self, server_url: &str, token: &str) -> Result<VapidKey> {
        let _ = (server_url, token);
        Err(unsupported())
    }

    /// `PUT /api/v1/push/subscription`: registers this device's subscription and kinds.
    fn put_push_subscription(
        &self,
        server_url: &str,
        token: &str,
        request: &PushSubscriptionRequest,
    ) -> Result<PushSubscriptionView> {
        let _ = (server_url, token, request);
        Err(unsupported())
    }

    /// `GET /api/v1/push/subscription` (a `not_found` error when there is none).
    fn get_push_subscription(&self, server_url: &str, token: &str) -> Result<PushSubscriptionView> {
        let _ = (server_url, token);
        Err(unsupported())
    }

    /// `DELETE /api/v1/push/subscription`.
    fn delete_push_subscription(&self, server_url: &str, token: &str) -> Result<()> {
        let _ = (server_url, token);
        Err(unsupported())
    }
}
