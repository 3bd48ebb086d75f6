//! The sync path's checks of incoming changes (rules in `cartable_reconcile::validate`):
//! which changes may be merged, and whether what they wrote may be stored.
//!
//! [`admit`] runs under the document's write lock, before the merge; [`check_merge`] runs on
//! the merge's patches before compensation, decisions and storage. A refusal is an error of
//! the request: the write is rolled back and the in-memory copy forgotten, so nothing of the
//! refused changes is kept.

use crate::AppState;
use crate::auth::FamilyDevice;
use crate::db::documents::DocRow;
use crate::error::{AppError, AppResult};
use automerge::sync::{ChunkList, Message};
use automerge::{AutoCommit, Change, ChangeHash, Patch};
use cartable_domain::DocKind;
use cartable_reconcile::validate::actors::actors_of;
use cartable_reconcile::validate::incoming::{has_change, need, sort};
use cartable_reconcile::validate::patches::{self, Context};
use cartable_reconcile::validate::{Limits, Refusal};
use sqlx::AnyConnection;

/// Marks a refusal as being about document `row`.
fn refused(row: &DocRow, refusal: Refusal) -> AppError {
    AppError::refused(refusal, row.id.clone())
}

/// Gives `message` exactly these changes to apply.
pub fn with_changes(mut message: Message, changes: &[Change]) -> Message {
    let chunks: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
    message.changes = ChunkList::from(chunks);
    message
}

/// Under the write lock of a writable document, before the merge: leaves out what the
/// document has, checks whose actors the new changes are written under (recording first
/// sightings in the transaction), holds orphans apart. Returns the changes to merge now.
pub async fn admit(
    state: &AppState,
    conn: &mut AnyConnection,
    device: &FamilyDevice,
    row: &DocRow,
    doc: &mut AutoCommit,
    incoming: Vec<Change>,
) -> AppResult<Vec<Change>> {
    let now_ms = state.clock.now().as_millisecond();
    let device_id = &device.session.device_id;
    let held = state.orphans.take(&row.id, device_id, now_ms);
    let since_ms = if held.changes.is_empty() {
        now_ms
    } else {
        held.since_ms
    };
    let sorted = sort(doc.document(), held.changes.into_iter().chain(incoming));
    state
        .actors
        .check(conn, device, &actors_of(sorted.all()), now_ms)
        .await
        .map_err(|e| e.about(&row.id))?;
    if !sorted.orphans.is_empty() {
        state
            .orphans
            .keep(
                &row.id,
                device_id,
                sorted.orphans,
                held.rounds + 1,
                since_ms,
                state.settings.limits().max_orphan_changes,
            )
            .map_err(|r| refused(row, r))?;
    }
    Ok(sorted.ready)
}

/// Refuses changes to a read-only document unless the document already has them all (a
/// device may repeat what it received). Nothing is merged either way.
pub fn refuse_read_only(row: &DocRow, doc: &mut AutoCommit, incoming: &[Change]) -> AppResult<()> {
    let doc = doc.document();
    if incoming.iter().all(|c| has_change(doc, &c.hash())) {
        Ok(())
    } else {
        Err(refused(row, patches::read_only()))
    }
}

/// After the merge, before anything else: every value the new changes made visible must fit
/// the document's schema and the limits.
pub fn check_merge(
    state: &AppState,
    device: &FamilyDevice,
    row: &DocRow,
    kind: DocKind,
    doc: &AutoCommit,
    patches: &[Patch],
) -> AppResult<()> {
    let limits: Limits = state.settings.limits();
    let ctx = Context {
        kind,
        author: &device.session.account_id,
        limits: &limits,
    };
    patches::check(doc, &ctx, patches).map_err(|r| refused(row, r))
}

/// What the device's orphans for `row` still need: added to the reply's `need` so that the
/// device sends it next.
pub fn orphans_need(
    state: &AppState,
    device: &FamilyDevice,
    row: &DocRow,
    doc: &mut AutoCommit,
) -> Vec<ChangeHash> {
    let held = state.orphans.peek(&row.id, &device.session.device_id);
    if held.is_empty() {
        return Vec::new();
    }
    need(doc.document(), &held)
}

/// The server's reply as sent to a device: asking for what its orphans need, and without
/// the capability flags that would let the device answer with whole documents (version 2
/// messages), which the server does not accept.
pub fn reply(mut message: Message, extra_need: Vec<ChangeHash>) -> Vec<u8> {
    if !extra_need.is_empty() {
        // Automerge encodes hash lists sorted (and panics otherwise).
        message.need.extend(extra_need);
        message.need.sort();
        message.need.dedup();
    }
    message.flags = None;
    message.encode()
}
