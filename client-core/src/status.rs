//! What the app shows about sync: signed in or not, last sync, pending changes, clock offset.

use crate::client::Inner;
use crate::error::Result;
use crate::refusals::{self, RefusedChanges};
use crate::store;
use automerge::sync::State;
use serde::Serialize;

/// The device's sync status, for a settings or "last synced" screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub logged_in: bool,
    pub server_url: Option<String>,
    pub account_id: Option<String>,
    pub family_id: Option<String>,
    /// The signed-in parent's name, for greetings.
    pub display_name: Option<String>,
    /// When the last successful sync finished (device clock, ms since the Unix epoch).
    pub last_sync_ms: Option<i64>,
    /// Why the most recent sync failed, if it did (French).
    pub last_error: Option<String>,
    /// Changes made on this device that the server has not acknowledged yet.
    pub pending_changes: usize,
    /// Server clock minus device clock, from the last sync (0 before any).
    pub server_clock_offset_ms: i64,
    /// Documents whose changes made on this device the server refused (their changes are no
    /// longer sent; see [`crate::Client::discard_refused_changes`]). Empty normally.
    pub refused_changes: Vec<RefusedChanges>,
}

pub(crate) fn status(inner: &mut Inner) -> Result<SyncStatus> {
    let account = inner.session.as_ref().map(|s| s.account.clone());
    let (last_ok, last_run, refused_changes) = inner.store.read(|c| {
        Ok((
            store::last_successful_run(c)?,
            store::last_finished_run(c)?,
            refusals::load(c)?,
        ))
    })?;
    Ok(SyncStatus {
        logged_in: account.is_some(),
        server_url: account.as_ref().map(|a| a.server_url.clone()),
        account_id: account.as_ref().map(|a| a.account_id.clone()),
        family_id: account.as_ref().map(|a| a.family_id.clone()),
        display_name: account.as_ref().map(|a| a.display_name.clone()),
        last_sync_ms: last_ok.and_then(|r| r.finished_ms),
        last_error: last_run.and_then(|r| r.error),
        pending_changes: pending_changes(inner)?,
        server_clock_offset_ms: inner.clock_offset_ms()?,
        refused_changes,
    })
}

/// Counts this device's changes that are not under the heads the server last acknowledged
/// (the persisted `shared_heads` of each document).
pub(crate) fn pending_changes(inner: &mut Inner) -> Result<usize> {
    let Inner { store, docs, .. } = inner;
    let Some(actor) = docs.actor().cloned() else {
        return Ok(0);
    };
    let mut pending = 0;
    for id in docs.ids() {
        let shared = docs
            .get(&id)
            .and_then(|d| d.sync_state.as_deref())
            .and_then(|bytes| State::decode(bytes).ok())
            .map(|s| s.shared_heads)
            .unwrap_or_default();
        let content = docs.content(store, &id)?;
        pending += content
            .doc
            .get_changes(&shared)
            .iter()
            .filter(|c| c.actor_id() == &actor)
            .count();
    }
    Ok(pending)
}
