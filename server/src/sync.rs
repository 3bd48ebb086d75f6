//! The sync endpoint's engine: one request carries an Automerge sync message per document;
//! each is merged, reconciled with the structure's rules, made durable, and only then
//! answered.

use crate::AppState;
use crate::auth::FamilyDevice;
use crate::db::Conn;
use crate::db::documents::{self, DocRow};
use crate::docs::apply::{self, FamilyDoc};
use crate::docs::{create, incoming, merge, review};
use crate::error::{AppError, AppResult};
use automerge::Change;
use automerge::sync::{Message, State, SyncDoc};
use axum::http::StatusCode;
use cartable_domain::DocKind;
use cartable_domain::api::ErrorCode;
use cartable_domain::ids::DocumentId;
use cartable_domain::protocol::{
    self, Compensation, DocMessage, DocumentInfo, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
    SyncRequest, SyncResponse,
};
use cartable_domain::school_year::SchoolYear;
use cartable_domain::text::shown;
use cartable_reconcile::validate::chunks::{Budget, read_changes};
use cartable_reconcile::{DecisionInputs, Effects};
use std::collections::{BTreeMap, HashSet};

/// The school year of `now` in France.
pub fn school_year_at(now: jiff::Timestamp) -> SchoolYear {
    SchoolYear::of(cartable_domain::calendar::paris_date(now))
}

fn info(row: &DocRow) -> DocumentInfo {
    DocumentInfo {
        doc_id: row.id.clone(),
        kind: row.kind,
        school_year: row.school_year.map(|y| y.to_string()),
        read_only: row.kind.read_only_for_families(),
    }
}

/// One document of a request: its row, the device's persisted sync state, the message (its
/// bytes when it carries no changes, and decoded) and the changes it carries.
struct Work<'a> {
    row: &'a DocRow,
    persisted: Option<&'a [u8]>,
    quiet: Option<&'a [u8]>,
    message: Option<Message>,
    changes: Vec<Change>,
}

/// Handles one sync request body for an authenticated family device, given the documents its
/// family may see with the device's sync states, as read with its session.
pub async fn handle(
    state: &AppState,
    device: &FamilyDevice,
    mut visible: documents::Visible,
    body: &[u8],
) -> AppResult<SyncResponse> {
    let request: SyncRequest = protocol::decode(body).map_err(|e| {
        AppError::malformed_sync_because("Requête de synchronisation illisible", &e)
    })?;
    if request.protocol < MIN_PROTOCOL_VERSION {
        return Err(AppError::client(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::ProtocolTooOld,
            format!(
                "Cette version de l'application est trop ancienne (protocole {}, minimum {}) : \
                 mettez-la à jour",
                request.protocol, MIN_PROTOCOL_VERSION
            ),
        ));
    }
    if request.protocol > PROTOCOL_VERSION {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            ErrorCode::ProtocolTooNew,
            format!(
                "Protocole {} inconnu de ce serveur (version {})",
                request.protocol, PROTOCOL_VERSION
            ),
        ));
    }
    // Messages starting or ending today reach the catalogue before it is answered; a failure
    // here only delays them to a later sync.
    let republished = match crate::docs::publication::refresh_if_due(
        state,
        &device.session.structure_id,
    )
    .await
    {
        Ok(republished) => republished,
        Err(e) => {
            tracing::warn!(error = %e, structure_id = %device.session.structure_id, "information not republished");
            false
        }
    };
    // Ledgers whose publication failed earlier (one flag read when there are none).
    let caught_up = crate::invoicing::ledger::catch_up(state).await;
    if republished || caught_up {
        // The documents' versions were read with the session, before these new ones.
        visible = documents::visible_to(&state.db, &device.session.device_id)
            .await?
            .ok_or_else(AppError::unauthorized)?;
    }
    if request.docs.len() > state.settings.max_docs_per_sync {
        return Err(AppError::malformed_sync(format!(
            "Trop de documents dans une requête ({} au plus)",
            state.settings.max_docs_per_sync
        )));
    }
    let mut seen = HashSet::new();
    if !request.docs.iter().all(|d| seen.insert(d.doc_id.as_str())) {
        return Err(AppError::malformed_sync("Document cité deux fois"));
    }

    let structure_id = &device.session.structure_id;
    let current_year = school_year_at(state.clock.now());
    let has_planning = visible
        .iter()
        .any(|(d, _)| d.kind == DocKind::Planning && d.school_year == Some(current_year));
    if !has_planning {
        // Boxed, as the ledger's creation below: a family's first sync of the year alone
        // takes this path, and its state would otherwise sit in every sync's future.
        let row = Box::pin(create::ensure_planning(
            &state.db,
            state.docs.actor(),
            structure_id,
            &device.family_id,
            current_year,
            state.clock.now().as_millisecond(),
        ))
        .await?;
        visible.retain(|(d, _)| d.id != row.id);
        visible.push((row, None));
    }
    // "Mes Factures": the family's ledger appears with its first sync.
    if !visible.iter().any(|(d, _)| d.kind == DocKind::Ledger) {
        // Written like a sync's document, so in a turn (see `docs::writers`).
        let created = Box::pin(async {
            let _turn = state.sync_writers.turn().await?;
            crate::invoicing::ledger::ensure(state, structure_id, &device.family_id).await
        });
        match created.await {
            Ok(row) => visible.push((row, None)),
            Err(e) => {
                tracing::warn!(error = %e, family_id = %device.family_id, "ledger not created")
            }
        }
    }
    let by_id: BTreeMap<&DocumentId, &(DocRow, Option<Vec<u8>>)> =
        visible.iter().map(|v| (&v.0.id, v)).collect();

    // Validate everything before touching anything.
    let mut budget = Budget::new(state.settings.limits());
    let mut work: Vec<Work<'_>> = Vec::with_capacity(request.docs.len());
    for d in &request.docs {
        let (row, persisted) = by_id.get(&d.doc_id).copied().ok_or_else(|| {
            AppError::client(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("Document inconnu : {}", shown(d.doc_id.as_str(), 40)),
            )
        })?;
        let message = match &d.message {
            Some(bytes) => Some(Message::decode(bytes).map_err(|e| {
                AppError::malformed_sync_because(
                    format!(
                        "Message illisible pour le document {}",
                        shown(d.doc_id.as_str(), 40)
                    ),
                    &e,
                )
            })?),
            None => None,
        };
        // Every change read strictly and counted (see `cartable_reconcile::validate`).
        let changes = match &message {
            Some(m) => read_changes(m).map_err(|r| AppError::refused(r, row.id.clone()))?,
            None => Vec::new(),
        };
        budget
            .spend(&changes)
            .map_err(|r| AppError::refused(r, row.id.clone()))?;
        work.push(Work {
            row,
            persisted: persisted.as_deref(),
            quiet: d.message.as_deref().filter(|_| changes.is_empty()),
            message,
            changes,
        });
    }
    work.sort_by(|a, b| a.row.id.cmp(&b.row.id));

    let mut replies = Vec::with_capacity(work.len());
    let mut compensations = Vec::new();
    for w in work {
        let row = w.row;
        let (reply, restored) = sync_doc(state, device, &visible, w).await?;
        if !restored.is_empty() {
            compensations.push(Compensation {
                doc_id: row.id.clone(),
                paths: restored,
            });
        }
        replies.push(DocMessage {
            doc_id: row.id.clone(),
            message: reply,
        });
    }

    Ok(SyncResponse {
        protocol: PROTOCOL_VERSION,
        server_time_ms: state.clock.now().as_millisecond(),
        docs: replies,
        available: visible.iter().map(|(d, _)| info(d)).collect(),
        compensations,
    })
}

/// Syncs one document; returns the reply message and the paths written back.
async fn sync_doc(
    state: &AppState,
    device: &FamilyDevice,
    visible: &[(DocRow, Option<Vec<u8>>)],
    work: Work<'_>,
) -> AppResult<(Option<Vec<u8>>, Vec<String>)> {
    let Work {
        row,
        persisted,
        quiet,
        mut message,
        changes,
    } = work;
    let mut sync_state = persisted
        .and_then(|b| State::decode(b).ok())
        .unwrap_or_default();
    let mut brings_changes = !changes.is_empty();
    let read_only = row.kind.read_only_for_families();
    if brings_changes && read_only {
        // Refused without being merged, unless they are all already there.
        let mut slot = state.docs.lock(&row.id).await;
        state
            .docs
            .ensure_at_least(&mut slot, &row.id, row.version)
            .await?;
        let loaded = slot
            .loaded
            .as_mut()
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        incoming::refuse_read_only(row, &mut loaded.doc, &changes)?;
        message = message.map(|m| incoming::with_changes(m, &[]));
        brings_changes = false;
    }

    if brings_changes {
        // A turn first: the document stays loaded until the commit, so the syncs waiting
        // for the write gate would otherwise each hold theirs (see `docs::writers`).
        let _turn = state.sync_writers.turn().await?;
        // Gather what deciding needs before taking the write gate: loading other documents
        // while holding it could deadlock with a writer of those documents.
        let inputs = if row.kind == DocKind::Planning {
            Some(decision_inputs(state, visible).await?)
        } else {
            None
        };
        // A dossier's review reads and writes through sqlx's connection; every other
        // document's write takes the writer connection on a SQLite file.
        let mut write = if row.kind == DocKind::Dossier {
            state.docs.begin_write(&state.db, &row.id).await?
        } else {
            state.docs.begin_direct_write(&state.db, &row.id).await?
        };
        // Merging, checking and deciding need the document (its slot is locked) and the
        // place counters it decides on, not the write gate. A phone's usual sync (a few
        // changes) still does all of it in one turn of the gate, which costs less than
        // taking turns; a large request merges and decides before taking it, so that
        // another family's sync does not wait for it.
        if changes.len() < merge::HEAVY_CHANGES {
            write.start_now().await?;
        }
        let (mut conn, doc) = write.parts_if_started()?;
        let admitted = incoming::admit(state, conn.as_mut(), device, row, doc, changes).await?;
        let heavy = admitted.ready.len() >= merge::HEAVY_CHANGES;
        let sender = merge::Sender {
            author: device.session.account_id.to_string(),
            limits: state.settings.limits(),
            server: state.docs.actor().clone(),
        };
        let merged = merge::merge(
            &mut write,
            row,
            sender,
            &mut sync_state,
            message,
            admitted.ready,
        )
        .await?;
        let mut restored = Vec::new();
        if let Some(merge::Merged { plan, actors }) = merged {
            let structure_id = &device.session.structure_id;
            let effects = merge::decide(
                &mut write,
                structure_id,
                plan,
                inputs,
                row.school_year,
                heavy,
            )
            .await?;
            write.encode(state.settings.compaction_threshold)?;
            let (mut conn, _) = write.conn_parts().await?;
            incoming::claim_first_sights(state, &mut conn, device, row, &admitted.first_sights)
                .await?;
            write.move_counters(structure_id, &effects.places).await?;
            let submitted = effects.submitted;
            let (mut conn, _) = write.conn_parts().await?;
            restored = record(state, &mut conn, device, row, effects).await?;
            if row.kind == DocKind::Dossier {
                let (conn, doc) = write.parts().await?;
                let origin = review::SyncOrigin {
                    family_id: &device.family_id,
                    doc_id: &row.id,
                    account_id: &device.session.account_id,
                    device_id: &device.session.device_id,
                    now_ms: state.clock.now().as_millisecond(),
                };
                review::after_sync(conn, origin, doc, submitted, &actors).await?;
            }
        } else if !admitted.first_sights.is_empty() {
            let (mut conn, _) = write.conn_parts().await?;
            incoming::claim_first_sights(state, &mut conn, device, row, &admitted.first_sights)
                .await?;
        }
        if persisted != Some(sync_state.encode().as_slice()) {
            let (mut conn, _) = write.conn_parts().await?;
            save_state(&mut conn, device, row, &sync_state, persisted).await?;
        }
        let mut slot = write.commit(state.settings.compaction_threshold).await?;
        // Only now, with everything durable, may the reply acknowledge the changes.
        let doc = &mut slot
            .loaded
            .as_mut()
            .ok_or_else(|| AppError::internal("document non chargé"))?
            .doc;
        let need = incoming::orphans_need(state, device, row, doc);
        let reply = incoming::reply(doc, &mut sync_state, need);
        return Ok((reply, restored));
    }

    // Nothing to merge. A device with nothing new, and no orphans whose needs the reply
    // would add, gets the reply remembered for its message and state at this version of the
    // document, if there is one: the document need not be loaded (see `docs::up_to_date`).
    let quiet_alone = quiet.filter(|_| {
        !state
            .orphans
            .holds(row.id.as_str(), &device.session.device_id)
    });
    if let (Some(quiet), Some(persisted)) = (quiet_alone, persisted)
        && let Some(reply) = state.up_to_date.get(&row.id, row.version, quiet, persisted)
    {
        return Ok((reply, Vec::new()));
    }

    // Else answer from the loaded copy, and let go of it before writing the sync state, so
    // that no one waits for the write gate while holding a document.
    let reply = {
        let mut slot = state.docs.lock(&row.id).await;
        state
            .docs
            .ensure_at_least(&mut slot, &row.id, row.version)
            .await?;
        let loaded = slot
            .loaded
            .as_mut()
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        let mut their_heads = None;
        if let Some(m) = message {
            their_heads = Some(m.heads.clone());
            loaded
                .doc
                .sync()
                .receive_sync_message(&mut sync_state, m)
                .map_err(|e| AppError::malformed_sync_because("Message illisible", &e))?;
        }
        let need = incoming::orphans_need(state, device, row, &mut loaded.doc);
        let reply = incoming::reply(&mut loaded.doc, &mut sync_state, need);
        // Remembered when the device was up to date. Its state after this sync (persisted
        // below when it changed) is then the shared heads its message named, whatever it was
        // before: the same message with that state persisted gets the same reply.
        if let Some(quiet) = quiet_alone
            && their_heads.is_some_and(|h| !h.is_empty() && h == loaded.doc.get_heads())
        {
            let after = sync_state.encode();
            state
                .up_to_date
                .put(&row.id, loaded.version, quiet, &after, reply.as_deref());
        }
        reply
    };
    if persisted != Some(sync_state.encode().as_slice()) {
        let mut wtx = state.db.begin_direct().await?;
        save_state(&mut wtx.conn()?, device, row, &sync_state, persisted).await?;
        wtx.commit().await?;
    }
    Ok((reply, Vec::new()))
}

async fn save_state(
    conn: &mut Conn<'_>,
    device: &FamilyDevice,
    row: &DocRow,
    sync_state: &State,
    persisted: Option<&[u8]>,
) -> AppResult<()> {
    let encoded = sync_state.encode();
    if persisted != Some(encoded.as_slice()) {
        documents::put_sync_state(conn, &device.session.device_id, &row.id, &encoded).await?;
    }
    Ok(())
}

/// In the write's transaction: applies what was decided (projections, compensations,
/// notifications; the counters were moved by the write). Returns the paths written back.
/// A dossier's review follows, on the write's sqlx connection.
async fn record(
    state: &AppState,
    conn: &mut Conn<'_>,
    device: &FamilyDevice,
    row: &DocRow,
    effects: Effects,
) -> AppResult<Vec<String>> {
    let now_ms = state.clock.now().as_millisecond();
    let at = FamilyDoc {
        structure_id: &device.session.structure_id,
        family_id: &device.family_id,
        doc_id: &row.id,
    };
    apply::apply(conn, at, Some(&device.session.device_id), &effects, now_ms).await?;
    Ok(effects.compensated)
}

/// What deciding needs, from the documents the request already listed (no query): the
/// catalogue comes from a cache keyed by its storage version, the dossier from its slot.
async fn decision_inputs(
    state: &AppState,
    visible: &[(DocRow, Option<Vec<u8>>)],
) -> AppResult<DecisionInputs> {
    let rows = || visible.iter().map(|(d, _)| d);
    let catalogue = match rows().find(|d| d.kind == DocKind::Catalogue && d.family_id.is_none()) {
        Some(row) => state.catalogues.get(state, row).await?,
        None => Default::default(),
    };
    let dossier = match rows().find(|d| d.kind == DocKind::Dossier) {
        Some(row) => state.docs.read_shared(&row.id, Some(row.version)).await?,
        None => Default::default(),
    };
    let now = state.clock.now();
    let today = cartable_domain::calendar::paris_date(now).to_string();
    let family_id = rows().find_map(|d| d.family_id.clone());
    // Only a structure that asks for supporting documents needs to know which are valid.
    let asks_documents = catalogue
        .activities
        .values()
        .any(|a| !a.required_documents.is_empty());
    let valid_documents = match family_id {
        Some(family_id) if asks_documents => {
            crate::db::supporting::valid_kinds(&state.db, family_id.as_str(), &today).await?
        }
        _ => Default::default(),
    };
    // The unpaid-invoice rule reads the family's ledger only when the structure has it.
    let ledger = rows().find(|d| d.kind == DocKind::Ledger);
    let overdue = crate::docs::redecide::overdue_invoice(state, &catalogue, ledger, now).await?;
    Ok(DecisionInputs {
        catalogue,
        dossier,
        valid_documents,
        now,
        overdue,
    })
}
