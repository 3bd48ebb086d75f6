//! Documents whose changes the server refused.
//!
//! The server refuses a device's changes it cannot accept (a value of the wrong shape, over a
//! limit, unreadable) with a typed error naming the document. Sending them again would get
//! the same answer, so the device remembers the refusal: the document's own changes stay on
//! the phone and are no longer sent, while the document keeps receiving the server's news and
//! every other document syncs as usual. The app shows the refusal (the server's French
//! message, from [`crate::SyncStatus::refused_changes`]) and may offer
//! [`crate::Client::discard_refused_changes`], which drops this device's unsent changes to the
//! document and downloads it again.

use crate::error::{Error, Result};
use crate::store::{self, MetaKey};
use cartable_domain::api::ErrorCode;
use cartable_domain::ids::DocumentId;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// A document whose changes made on this device the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChanges {
    pub doc_id: DocumentId,
    /// The server's code (`invalid_change`, `change_too_large`, ...).
    pub code: ErrorCode,
    /// The server's explanation, in French.
    pub message: String,
    /// When the refusal was received (device clock, ms since the Unix epoch).
    pub at_ms: i64,
}

/// Every refusal in force.
pub(crate) fn load(conn: &Connection) -> Result<Vec<RefusedChanges>> {
    match store::get_meta(conn, MetaKey::RefusedChanges)? {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Error::Storage(format!("refus enregistrés illisibles : {e}"))),
    }
}

fn save(conn: &Connection, all: &[RefusedChanges]) -> Result<()> {
    let json = serde_json::to_string(all)
        .map_err(|e| Error::Storage(format!("refus non enregistrés : {e}")))?;
    store::set_meta(conn, MetaKey::RefusedChanges, &json)
}

/// Remembers `refusal` (replacing an earlier one for the same document).
pub(crate) fn record(conn: &Connection, refusal: RefusedChanges) -> Result<()> {
    let mut all = load(conn)?;
    all.retain(|r| r.doc_id != refusal.doc_id);
    all.push(refusal);
    save(conn, &all)
}

/// Forgets the refusal of `doc_id`; false when there was none.
pub(crate) fn clear(conn: &Connection, doc_id: &DocumentId) -> Result<bool> {
    let mut all = load(conn)?;
    let before = all.len();
    all.retain(|r| &r.doc_id != doc_id);
    if all.len() == before {
        return Ok(false);
    }
    save(conn, &all)?;
    Ok(true)
}
