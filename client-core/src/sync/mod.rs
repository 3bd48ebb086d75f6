//! The sync engine: rounds of `POST /api/v1/sync` until the device and the server agree.
//!
//! One sync is at most [`MAX_ROUNDS`] HTTP requests (more, up to [`MAX_ROUNDS_WITH_EDITS`],
//! while the app keeps editing during the sync). Each request carries one Automerge sync
//! message per document that still has something to say; each response carries the server's
//! replies, the list of documents the family may see, the server clock and any compensations.
//! A device that is up to date finishes in exactly one request.
//!
//! The client lock is released while a request is in flight, so the app can keep editing
//! (Automerge merges those edits in the next round). Each response is applied in one SQLite
//! transaction: received changes and the new sync states become durable together.

use cartable_domain::sync_plan as plan;

use crate::client::{Inner, lock};
use crate::clock::{self, DeviceClock};
use crate::docs::DocSet;
use crate::dossier::ReviewView;
use crate::error::{Error, Result};
use crate::news::{AbsenceNews, DecisionNews, News};
use crate::refusals::{self, RefusedChanges};
use crate::session::Session;
use crate::store::{self, MetaKey};
use crate::transport::Transport;
use automerge::sync::{Message, State, SyncDoc};
use cartable_domain::ids::DocumentId;
use cartable_domain::protocol::{
    Compensation, DocMessage, DocumentInfo, PROTOCOL_VERSION, SyncRequest, SyncResponse,
};
pub use cartable_domain::sync_plan::{MAX_ROUNDS, MAX_ROUNDS_WITH_EDITS};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// HTTP round trips made.
    pub rounds: u32,
    /// Documents that received changes from the server (refresh these screens).
    pub docs_changed: Vec<DocumentInfo>,
    /// Writes of this device that the server undid (values only the server may write).
    pub compensations: Vec<Compensation>,
    /// Documents whose changes made on this device the server refused: their changes are no
    /// longer sent (see [`crate::Client::discard_refused_changes`]). Empty normally.
    pub refused_changes: Vec<RefusedChanges>,
    /// What the structure decided since the last sync (on this device's requests and on the
    /// other parents'), to announce: bookings accepted or refused with the reason,
    /// withdrawals, cancellations by the structure. In date order.
    pub decided: Vec<DecisionNews>,
    /// Absences the structure answered (billed or not) since the last sync.
    pub absences_decided: Vec<AbsenceNews>,
    /// The dossier's review, when the structure received or answered it since the last sync.
    pub dossier_review: Option<ReviewView>,
}

impl SyncReport {
    /// Adds what a second sync right after this one did (its news came after this one's).
    pub(crate) fn absorb(&mut self, later: SyncReport) {
        self.rounds += later.rounds;
        for doc in later.docs_changed {
            if !self.docs_changed.contains(&doc) {
                self.docs_changed.push(doc);
            }
        }
        self.compensations.extend(later.compensations);
        // The refusals standing now, as the later sync read them.
        self.refused_changes = later.refused_changes;
        self.decided.extend(later.decided);
        self.absences_decided.extend(later.absences_decided);
        if later.dossier_review.is_some() {
            self.dossier_review = later.dossier_review;
        }
    }
}

/// Per-sync memory: the full Automerge sync state of each document across rounds.
#[derive(Default)]
struct Run {
    states: HashMap<DocumentId, State>,
    changed: BTreeSet<DocumentId>,
    compensations: Vec<Compensation>,
    rounds: u32,
    /// Rounds during which the device made no edit of its own (see [`MAX_ROUNDS`]).
    quiet_rounds: u32,
    /// Documents whose changes the server refused: they only receive.
    refused: BTreeSet<DocumentId>,
}

/// Runs one sync and records it in the sync log.
pub(crate) fn run(
    shared: &Mutex<Inner>,
    transport: &dyn Transport,
    clock: &dyn DeviceClock,
) -> Result<SyncReport> {
    let (session, run_id, refused) = {
        let mut inner = lock(shared);
        let session = inner.session.clone().ok_or(Error::NotLoggedIn)?;
        let run_id = inner
            .store
            .write(|tx| store::start_sync_run(tx, clock.now_ms()))?;
        let refused = inner.store.read(refusals::load)?;
        (session, run_id, refused)
    };
    let mut run = Run {
        refused: refused.into_iter().map(|r| r.doc_id).collect(),
        ..Run::default()
    };
    let result = run_rounds(shared, transport, clock, &session, &mut run);

    let mut inner = lock(shared);
    let error = result.as_ref().err().map(|e| e.to_string());
    let logged = inner.store.write(|tx| {
        store::finish_sync_run(tx, run_id, clock.now_ms(), run.rounds, error.as_deref())
    });
    result?;
    logged?;
    let docs_changed = run
        .changed
        .iter()
        .filter_map(|id| inner.docs.get(id).map(|d| d.info.clone()))
        .collect();
    let refused_changes = inner.store.read(refusals::load)?;
    // The news never fail a sync that succeeded: they are announced at the next one instead.
    let news = crate::news::collect(&mut inner).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "décisions reçues non annoncées");
        News::default()
    });
    Ok(SyncReport {
        rounds: run.rounds,
        docs_changed,
        compensations: run.compensations,
        refused_changes,
        decided: news.decisions,
        absences_decided: news.absences,
        dossier_review: news.dossier_review,
    })
}

fn run_rounds(
    shared: &Mutex<Inner>,
    transport: &dyn Transport,
    clock: &dyn DeviceClock,
    session: &Session,
    run: &mut Run,
) -> Result<()> {
    let (mut outgoing, mut heads) = {
        let mut inner = lock(shared);
        (plan_round(&mut inner, run)?, all_heads(&mut inner)?)
    };
    let mut recovered_not_found = false;
    let mut restarted_for_orphans = false;
    loop {
        if run.quiet_rounds >= MAX_ROUNDS || run.rounds >= MAX_ROUNDS_WITH_EDITS {
            return Err(Error::SyncDidNotSettle { rounds: run.rounds });
        }
        let request = SyncRequest {
            protocol: PROTOCOL_VERSION,
            docs: outgoing,
        };
        run.rounds += 1;
        let sent_ms = clock.now_ms();
        let response = transport.sync(&session.account.server_url, &session.token, &request);
        let received_ms = clock.now_ms();
        let response = match response {
            // A document this device holds is no longer visible to the family (the server
            // names none it does not know). Ask for the list alone, forget what went away,
            // and start again.
            Err(e) if e.is_not_found() && !recovered_not_found && !request.docs.is_empty() => {
                recovered_not_found = true;
                run.states.clear();
                outgoing = Vec::new();
                continue;
            }
            // The server refused this device's changes to one document: remember it, stop
            // sending them, and sync the rest (each document is refused once per run at most).
            Err(Error::ChangesRefused {
                code,
                message,
                doc_id,
                ..
            }) if !run.refused.contains(&doc_id) => {
                tracing::warn!(doc = %doc_id, code = code.as_str(), %message, "modifications refusées par le serveur");
                let refusal = RefusedChanges {
                    doc_id: doc_id.clone(),
                    code,
                    message,
                    at_ms: clock.now_ms(),
                };
                let mut inner = lock(shared);
                inner.store.write(|tx| refusals::record(tx, refusal))?;
                run.refused.insert(doc_id);
                run.states.clear();
                outgoing = plan_round(&mut inner, run)?;
                continue;
            }
            // Changes sent without the ones they depend on (the server lost patience with
            // them): start again from what the server durably holds, which sends complete sets.
            Err(Error::Server {
                code: cartable_domain::api::ErrorCode::MissingDependencies,
                ..
            }) if !restarted_for_orphans => {
                restarted_for_orphans = true;
                run.states.clear();
                let mut inner = lock(shared);
                outgoing = plan_round(&mut inner, run)?;
                continue;
            }
            other => other?,
        };
        let offset = clock::offset_ms(sent_ms, received_ms, response.server_time_ms);
        let mut inner = lock(shared);
        // Edits the app made while this round was on the network.
        if all_heads(&mut inner)? == heads {
            run.quiet_rounds += 1;
        }
        apply_response(&mut inner, run, response, offset)?;
        outgoing = plan_round(&mut inner, run)?;
        heads = all_heads(&mut inner)?;
        if outgoing.is_empty() {
            return Ok(());
        }
    }
}

/// The heads of every document, to notice edits made during a round.
fn all_heads(inner: &mut Inner) -> Result<Vec<(DocumentId, Vec<automerge::ChangeHash>)>> {
    let Inner { store, docs, .. } = inner;
    let mut out = Vec::new();
    for id in docs.ids() {
        let heads = docs.content(store, &id)?.doc.get_heads();
        out.push((id, heads));
    }
    Ok(out)
}

/// The messages of the next request. A document without a state in this run starts from its
/// persisted state (first round, or newly listed by the server) and always speaks; the others
/// speak only while they are not in step.
fn plan_round(inner: &mut Inner, run: &mut Run) -> Result<Vec<DocMessage>> {
    let Inner { store, docs, .. } = inner;
    let mut out = Vec::new();
    for id in docs.ids() {
        let persisted = docs.get(&id).and_then(|d| d.sync_state.clone());
        let content = docs.content(store, &id)?;
        let refused = run.refused.contains(&id);
        let message = match run.states.get_mut(&id) {
            // A refused document said what it had to in the first round; it only asks for
            // the server's changes it still lacks.
            Some(state) if refused => plan::receive_only_message(&mut content.doc, state),
            Some(state) => plan::next_message(&mut content.doc, state),
            None => {
                let mut state = plan::first_round_state(persisted.as_deref(), &mut content.doc);
                let mut message = plan::first_message(&mut content.doc, &mut state);
                if refused {
                    // Heads and bloom filter only: the server sends its news, nothing goes up.
                    message = message.map(plan::without_changes);
                }
                run.states.insert(id.clone(), state);
                message
            }
        };
        if let Some(message) = message {
            out.push(DocMessage {
                doc_id: id,
                message: Some(message.encode()),
            });
        }
    }
    Ok(out)
}

/// Applies one response durably: received changes, sync states, clock offset and the list of
/// documents, all in one transaction.
fn apply_response(
    inner: &mut Inner,
    run: &mut Run,
    response: SyncResponse,
    offset_ms: i64,
) -> Result<()> {
    let mut replies = Vec::new();
    for reply in response.docs {
        let Some(bytes) = reply.message else { continue };
        let message = Message::decode(&bytes)
            .map_err(|e| Error::Protocol(format!("{}: {e}", reply.doc_id)))?;
        if inner.docs.get(&reply.doc_id).is_some() && run.states.contains_key(&reply.doc_id) {
            replies.push((reply.doc_id, message));
        } else {
            tracing::warn!(doc = %reply.doc_id, "réponse pour un document non demandé, ignorée");
        }
    }
    let available: BTreeSet<DocumentId> = response
        .available
        .iter()
        .map(|i| i.doc_id.clone())
        .collect();
    let gone: Vec<DocumentId> = inner
        .docs
        .ids()
        .into_iter()
        .filter(|id| !available.contains(id))
        .collect();

    let Inner {
        store,
        docs,
        session,
    } = inner;
    // Load what the transaction will touch before it starts.
    for (id, _) in &replies {
        docs.content(store, id)?;
    }
    let written = store.write(|tx| {
        store::set_meta(tx, MetaKey::ClockOffsetMs, &offset_ms.to_string())?;
        for (id, message) in replies {
            let Some(state) = run.states.get_mut(&id) else {
                continue;
            };
            let content = docs.content_loaded(&id)?;
            let before = content.doc.get_heads();
            content.doc.sync().receive_sync_message(state, message)?;
            if content.doc.get_heads() != before {
                run.changed.insert(id.clone());
            }
            content.write_new_changes(tx, &id)?;
            let encoded = state.encode();
            store::set_sync_state(tx, &id, &encoded)?;
            if let Some(local) = docs.get_mut(&id) {
                local.sync_state = Some(encoded);
            }
        }
        for info in &response.available {
            store::upsert_document(tx, info)?;
        }
        for id in &gone {
            store::delete_document(tx, id)?;
        }
        Ok(())
    });
    if let Err(e) = written {
        // Memory may be ahead of the disk: reload everything from what is durable.
        let actor = session.as_ref().map(|s| s.actor.clone());
        *docs = store.read(|conn| DocSet::load_index(conn, actor))?;
        return Err(e);
    }
    for info in response.available {
        if let Some(local) = docs.get_mut(&info.doc_id) {
            local.info = info;
        } else {
            docs.insert_new(info);
        }
    }
    for id in gone {
        tracing::info!(doc = %id, "document retiré par le serveur");
        docs.remove(&id);
        run.states.remove(&id);
        run.changed.remove(&id);
    }
    run.compensations.extend(response.compensations);
    Ok(())
}
