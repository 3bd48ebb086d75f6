//! A sync's merge and decisions, before its write's transaction: the family's changes merged
//! into the document, checked against its schema, forbidden writes put back, and the touched
//! cells decided with their place counters locked.
//!
//! None of it needs the write gate (see [`super::write`]). A large request (a phone back from
//! weeks offline, or a hostile one) is merged and decided on a blocking thread, so that the
//! runtime's workers keep serving every other family meanwhile.

use super::write::DocWrite;
use crate::db::documents::DocRow;
use crate::error::{AppError, AppResult};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{ActorId, AutoCommit, Change, ChangeHash};
use cartable_domain::DocKind;
use cartable_domain::ids::StructureId;
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::validate::patches::{self, Context};
use cartable_reconcile::validate::{Limits, Refusal};
use cartable_reconcile::{DecisionInputs, Effects, Rules, SyncPlan};

/// Changes in one request from which merging and deciding leave the runtime's workers for a
/// blocking thread (below it, the hand-off would cost more than the work).
pub const HEAVY_CHANGES: usize = 64;

/// Runs `work` on the write's document: on a blocking thread when `heavy`, the document
/// moved there and back (a write dropped meanwhile forgets its copy anyway).
async fn with_doc<T, F>(write: &mut DocWrite, heavy: bool, work: F) -> AppResult<T>
where
    F: FnOnce(&mut AutoCommit) -> T + Send + 'static,
    T: Send + 'static,
{
    let doc = write.doc()?;
    if !heavy {
        return Ok(work(doc));
    }
    let mut owned = std::mem::take(doc);
    let (owned, out) = tokio::task::spawn_blocking(move || {
        let out = work(&mut owned);
        (owned, out)
    })
    .await
    .map_err(|e| AppError::internal(format!("fusion interrompue : {e}")))?;
    *write.doc()? = owned;
    Ok(out)
}

/// Who sends the changes, for the checks.
pub struct Sender {
    /// Account id of the sending device's parent: the `by` of what it writes.
    pub author: String,
    pub limits: Limits,
    /// This server's actor (its own changes are not the family's).
    pub server: ActorId,
}

/// What a merge brought, planned but not decided yet.
pub struct Merged {
    pub plan: SyncPlan,
    /// Who wrote the dossier's new changes (staff see each field's author).
    pub actors: Vec<String>,
}

/// Merges `ready` (the message's admitted changes) into the write's document, checks what
/// they made visible, puts forbidden writes back and plans the decisions. `None` when the
/// document did not change.
pub async fn merge(
    write: &mut DocWrite,
    row: &DocRow,
    sender: Sender,
    sync_state: &mut State,
    message: Option<Message>,
    ready: Vec<Change>,
) -> AppResult<Option<Merged>> {
    let before = write.before.clone();
    let heavy = ready.len() >= HEAVY_CHANGES;
    let kind = row.kind;
    let doc_id = row.id.clone();
    let mut state = std::mem::take(sync_state);
    let (state, merged) = with_doc(write, heavy, move |doc| {
        let merged = merge_into(doc, kind, &sender, &mut state, message, ready, &before);
        (state, merged)
    })
    .await?;
    *sync_state = state;
    merged.map_err(|e| match e {
        Failure::Refused(r) => AppError::refused(r, doc_id),
        Failure::Other(e) => e,
    })
}

enum Failure {
    Refused(Refusal),
    Other(AppError),
}

fn merge_into(
    doc: &mut AutoCommit,
    kind: DocKind,
    sender: &Sender,
    sync_state: &mut State,
    message: Option<Message>,
    ready: Vec<Change>,
    before: &[ChangeHash],
) -> Result<Option<Merged>, Failure> {
    let Some(patches) = receive(doc, sync_state, message, &ready, before)? else {
        return Ok(None);
    };
    // What the device wrote must fit the document's schema before anything uses or stores it.
    let ctx = Context {
        kind,
        author: &sender.author,
        limits: &sender.limits,
    };
    patches::check(doc, &ctx, &patches).map_err(Failure::Refused)?;
    // Noted before the server adds its own changes.
    let actors = if kind == DocKind::Dossier {
        super::review::new_actors(doc, before, &sender.server)
    } else {
        Vec::new()
    };
    let plan = cartable_reconcile::plan_sync_with(doc, before, kind, patches)
        .map_err(|e| Failure::Other(e.into()))?;
    Ok(Some(Merged { plan, actors }))
}

/// Applies the message's changes and returns what they changed (`None`: nothing).
///
/// Automerge logs the changes it applies from the diff cursor on, so that the diff from
/// `before` costs the size of what arrived instead of a scan of the whole document (a
/// booked school year is some 2,200 operations). The log is stopped before the server
/// writes anything.
fn receive(
    doc: &mut AutoCommit,
    sync_state: &mut State,
    message: Option<Message>,
    ready: &[Change],
    before: &[ChangeHash],
) -> Result<Option<Vec<automerge::Patch>>, Failure> {
    doc.update_diff_cursor();
    let received = match message {
        Some(m) => doc
            .sync()
            .receive_sync_message(sync_state, super::incoming::with_changes(m, ready))
            .map_err(|e| Failure::Refused(Refusal::corrupt(e))),
        None => Ok(()),
    };
    let after = doc.get_heads();
    let patches = (received.is_ok() && after != before).then(|| doc.diff(before, &after));
    doc.reset_diff_cursor();
    received.map(|()| patches)
}

/// Locks the counters the plan names (until the write commits) and decides. `inputs` and
/// `school_year` are needed for plannings (without them nothing is decided, and the touched
/// cells are only projected).
pub async fn decide(
    write: &mut DocWrite,
    structure_id: &StructureId,
    plan: SyncPlan,
    inputs: Option<DecisionInputs>,
    school_year: Option<SchoolYear>,
    heavy: bool,
) -> AppResult<Effects> {
    let counts = write.lock_counters(structure_id, plan.counters()).await?;
    with_doc(write, heavy, move |doc| {
        let rules = match (&inputs, school_year) {
            (Some(inputs), Some(school_year)) => Some(Rules {
                inputs,
                school_year,
            }),
            _ => None,
        };
        plan.decide(doc, rules, &counts).map_err(AppError::from)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT, ReadDoc};

    /// A server's copy of a planning of `cells` requests, and a device that holds it too.
    fn server_and_device(cells: usize) -> (AutoCommit, AutoCommit) {
        let mut server = AutoCommit::new();
        let requests = server
            .put_object(ROOT, "requests", ObjType::Map)
            .expect("requests");
        for i in 0..cells {
            server
                .put(&requests, format!("cell-{i}"), format!("rev-{i}"))
                .expect("request");
        }
        server.commit();
        let device = server.fork();
        (server, device)
    }

    /// The device's changes since the server's heads, as a sync request carries them.
    fn message_and_changes(
        device: &mut AutoCommit,
        since: &[ChangeHash],
    ) -> (Message, Vec<Change>) {
        let changes: Vec<Change> = device.get_changes(since);
        let mut state = State::new();
        let message = device
            .sync()
            .generate_sync_message(&mut state)
            .expect("message");
        (message, changes)
    }

    #[test]
    fn the_indexed_diff_gives_what_a_scan_of_the_document_gives() {
        let (mut server, mut device) = server_and_device(500);
        let before = server.get_heads();
        let requests = match device.get(ROOT, "requests") {
            Ok(Some((_, id))) => id,
            other => panic!("no requests: {other:?}"),
        };
        device.put(&requests, "cell-7", "rev-7b").expect("rebook");
        device.put(&requests, "cell-new", "rev-n").expect("book");
        device.delete(&requests, "cell-9").expect("withdraw");
        device.commit();
        let (message, ready) = message_and_changes(&mut device, &before);
        let mut scanned = server.fork();

        let mut state = State::new();
        let patches = receive(&mut server, &mut state, Some(message), &ready, &before)
            .map_err(|_| "refused")
            .expect("received")
            .expect("changed");
        assert!(server.diff_cursor().is_empty(), "the log is stopped");

        scanned.apply_changes(ready).expect("applied");
        let after = scanned.get_heads();
        assert_eq!(server.get_heads(), after);
        let expected = scanned.diff(&before, &after);
        assert_eq!(patches.len(), 3);
        assert_eq!(
            format!("{patches:?}"),
            format!("{expected:?}"),
            "same patches, in the same order"
        );
    }

    #[test]
    fn nothing_new_gives_no_patches_and_stops_the_log() {
        let (mut server, _) = server_and_device(3);
        let before = server.get_heads();
        let mut state = State::new();
        let none = receive(&mut server, &mut state, None, &[], &before)
            .map_err(|_| "refused")
            .expect("received");
        assert!(none.is_none());
        assert!(server.diff_cursor().is_empty());
    }
}
