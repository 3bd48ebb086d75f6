//! The sync path's checks of incoming changes (rules in `cartable_reconcile::validate`):
//! which changes may be merged, and whether what they wrote may be stored.
//!
//! [`admit`] runs under the document's slot lock, before the merge (the actors it sees first
//! are claimed later, in the write's transaction, by [`claim_first_sights`]); the merge's
//! patches are checked by [`super::merge`] before compensation, decisions and storage. A
//! refusal is an error of the request: the write is rolled back and the in-memory copy
//! forgotten, so nothing of the refused changes is kept.

use crate::AppState;
use crate::auth::FamilyDevice;
use crate::db::Conn;
use crate::db::documents::DocRow;
use crate::error::{AppError, AppResult};
use automerge::sync::{ChunkList, Message, State, SyncDoc};
use automerge::{ActorId, AutoCommit, Change, ChangeHash};
use cartable_domain::sync_plan::with_what_they_lack;
use cartable_reconcile::validate::Refusal;
use cartable_reconcile::validate::actors::actors_of;
use cartable_reconcile::validate::incoming::{has_change, need, sort};
use cartable_reconcile::validate::patches;

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

/// The changes of a request that may be merged now.
pub struct Admitted {
    pub ready: Vec<Change>,
    /// Actors seen for the first time: recorded as the device's in the write's transaction
    /// ([`claim_first_sights`]).
    pub first_sights: Vec<ActorId>,
}

/// Under the slot lock of a writable document, before the merge: leaves out what the
/// document has, checks whose actors the new changes are written under, holds orphans apart.
pub async fn admit(
    state: &AppState,
    write_conn: Option<&mut Conn<'_>>,
    device: &FamilyDevice,
    row: &DocRow,
    doc: &mut AutoCommit,
    incoming: Vec<Change>,
) -> AppResult<Admitted> {
    let now_ms = state.clock.now().as_millisecond();
    let device_id = &device.session.device_id;
    let held = state.orphans.take(&row.id, device_id, now_ms);
    let since_ms = if held.changes.is_empty() {
        now_ms
    } else {
        held.since_ms
    };
    let sorted = sort(doc.document(), held.changes.into_iter().chain(incoming));
    let first_sights = state
        .actors
        .check(&state.db, write_conn, device, &actors_of(sorted.all()))
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
    Ok(Admitted {
        ready: sorted.ready,
        first_sights,
    })
}

/// In the write's transaction: records the actors first seen in this write as the device's.
pub async fn claim_first_sights(
    state: &AppState,
    conn: &mut Conn<'_>,
    device: &FamilyDevice,
    row: &DocRow,
    actors: &[ActorId],
) -> AppResult<()> {
    let now_ms = state.clock.now().as_millisecond();
    state
        .actors
        .claim_first_sights(conn, device, actors, now_ms)
        .await
        .map_err(|e| e.about(&row.id))
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

/// The server's reply to a device, if it has anything to say: Automerge's next message with
/// the changes the device certainly lacks (see [`with_what_they_lack`]), asking for what its
/// orphans need, and without the capability flags that would let the device answer with whole
/// documents (version 2 messages), which the server does not accept.
pub fn reply(
    doc: &mut AutoCommit,
    sync_state: &mut State,
    extra_need: Vec<ChangeHash>,
) -> Option<Vec<u8>> {
    let message = doc.sync().generate_sync_message(sync_state)?;
    let message = with_what_they_lack(doc, sync_state, message);
    Some(encode_reply(message, extra_need))
}

fn encode_reply(mut message: Message, extra_need: Vec<ChangeHash>) -> Vec<u8> {
    if !extra_need.is_empty() {
        // Automerge encodes hash lists sorted (and panics otherwise).
        message.need.extend(extra_need);
        message.need.sort();
        message.need.dedup();
    }
    message.flags = None;
    message.encode()
}
