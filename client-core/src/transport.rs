//! How the core talks to the server, as a trait.
//!
//! The sync engine and the session calls only see [`Transport`], so unit tests drive them with
//! an in-memory server (sans-IO style) and the app uses [`crate::HttpTransport`]. Each method is
//! one HTTP call of the server's API; errors are already typed ([`Error::Server`] carries the
//! server's `ApiErrorBody`).

use crate::error::Result;
use cartable_domain::api::{DeviceSummary, LoginRequest, LoginResponse};
use cartable_domain::protocol::{SyncRequest, SyncResponse};

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
}
