//! The sync endpoint's engine: one request carries an Automerge sync message per document;
//! each is merged, reconciled with the structure's rules, made durable, and only then
//! answered.

use crate::AppState;
use crate::auth::FamilyDevice;
use crate::db::documents::{self, DocRow};
use crate::docs::compensation::{Protected, compensate};
use crate::docs::planning::{DecisionInputs, PlanningRef, decide_and_project, touched_requests};
use crate::docs::{absences, create, dossier, incoming, review, touched_keys};
use crate::error::{AppError, AppResult};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, Change, ChangeHash};
use axum::http::StatusCode;
use cartable_domain::DocKind;
use cartable_domain::api::ErrorCode;
use cartable_domain::planning::Planning;
use cartable_domain::protocol::{
    self, Compensation, DocMessage, DocumentInfo, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
    SyncRequest, SyncResponse,
};
use cartable_domain::school_year::SchoolYear;
use cartable_domain::text::shown;
use cartable_reconcile::validate::chunks::{Budget, read_changes};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashSet};

/// The school year of `now` in France.
pub fn school_year_at(now: jiff::Timestamp) -> SchoolYear {
    SchoolYear::of(cartable_domain::calendar::paris_date(now))
}

fn info(row: &DocRow) -> Option<DocumentInfo> {
    let kind = DocKind::from_code(&row.kind)?;
    Some(DocumentInfo {
        doc_id: cartable_domain::DocumentId::new(row.id.clone()),
        kind,
        school_year: row.school_year.clone(),
        read_only: kind.read_only_for_families(),
    })
}

/// One document of a request: its row, the device's persisted sync state, the message and
/// the changes it carries.
type Work<'a> = (&'a DocRow, Option<&'a [u8]>, Option<Message>, Vec<Change>);

/// Handles one sync request body for an authenticated family device.
pub async fn handle(
    state: &AppState,
    device: &FamilyDevice,
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
    if let Err(e) =
        crate::docs::publication::refresh_if_due(state, &device.session.structure_id).await
    {
        tracing::warn!(error = %e, structure_id = %device.session.structure_id, "information not republished");
    }
    // Ledgers whose publication failed earlier (one flag read when there are none).
    crate::invoicing::ledger::catch_up(state).await;
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
    let mut visible = documents::visible_with_states(
        &state.db,
        structure_id,
        &device.family_id,
        &device.session.device_id,
    )
    .await?;
    let current_year = school_year_at(state.clock.now());
    let year = current_year.to_string();
    let has_planning = visible.iter().any(|(d, _)| {
        d.kind == DocKind::Planning.code() && d.school_year.as_deref() == Some(&year)
    });
    if !has_planning {
        let row = create::ensure_planning(
            &state.db,
            state.docs.actor(),
            structure_id,
            &device.family_id,
            current_year,
        )
        .await?;
        visible.retain(|(d, _)| d.id != row.id);
        visible.push((row, None));
    }
    // "Mes Factures": the family's ledger appears with its first sync.
    if !visible
        .iter()
        .any(|(d, _)| d.kind == DocKind::Ledger.code())
    {
        match crate::invoicing::ledger::ensure(state, structure_id, &device.family_id).await {
            Ok(row) => visible.push((row, None)),
            Err(e) => {
                tracing::warn!(error = %e, family_id = %device.family_id, "ledger not created")
            }
        }
    }
    let by_id: BTreeMap<&str, &(DocRow, Option<Vec<u8>>)> =
        visible.iter().map(|v| (v.0.id.as_str(), v)).collect();

    // Validate everything before touching anything.
    let mut budget = Budget::new(state.settings.limits());
    let mut work: Vec<Work<'_>> = Vec::with_capacity(request.docs.len());
    for d in &request.docs {
        let (row, persisted) = by_id.get(d.doc_id.as_str()).copied().ok_or_else(|| {
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
            Some(m) => read_changes(m).map_err(|r| {
                AppError::refused(r, cartable_domain::DocumentId::new(row.id.clone()))
            })?,
            None => Vec::new(),
        };
        budget
            .spend(&changes)
            .map_err(|r| AppError::refused(r, cartable_domain::DocumentId::new(row.id.clone())))?;
        work.push((row, persisted.as_deref(), message, changes));
    }
    work.sort_by(|a, b| a.0.id.cmp(&b.0.id));

    let mut replies = Vec::with_capacity(work.len());
    let mut compensations = Vec::new();
    for (row, persisted, message, changes) in work {
        let (reply, restored) =
            sync_doc(state, device, &visible, row, message, changes, persisted).await?;
        if !restored.is_empty() {
            compensations.push(Compensation {
                doc_id: cartable_domain::DocumentId::new(row.id.clone()),
                paths: restored,
            });
        }
        replies.push(DocMessage {
            doc_id: cartable_domain::DocumentId::new(row.id.clone()),
            message: reply,
        });
    }

    Ok(SyncResponse {
        protocol: PROTOCOL_VERSION,
        server_time_ms: state.clock.now().as_millisecond(),
        docs: replies,
        available: visible.iter().filter_map(|(d, _)| info(d)).collect(),
        compensations,
    })
}

/// Syncs one document; returns the reply message and the paths written back.
async fn sync_doc(
    state: &AppState,
    device: &FamilyDevice,
    visible: &[(DocRow, Option<Vec<u8>>)],
    row: &DocRow,
    mut message: Option<Message>,
    changes: Vec<Change>,
    persisted: Option<&[u8]>,
) -> AppResult<(Option<Vec<u8>>, Vec<String>)> {
    let mut sync_state = persisted
        .and_then(|b| State::decode(b).ok())
        .unwrap_or_default();
    let mut brings_changes = !changes.is_empty();
    let read_only = DocKind::from_code(&row.kind).is_some_and(|k| k.read_only_for_families());
    if brings_changes && read_only {
        // Refused without being merged, unless they are all already there.
        let mut slot = state.docs.lock(&row.id).await;
        state
            .docs
            .ensure_current_for_read(&mut slot, &row.id)
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
        // Gather what deciding needs before taking the write gate: loading other documents
        // while holding it could deadlock with a writer of those documents.
        let inputs = if row.kind == DocKind::Planning.code() {
            Some(decision_inputs(state, visible).await?)
        } else {
            None
        };
        let mut write = state.docs.begin_write(&state.db, &row.id).await?;
        let before = write.before.clone();
        let (conn, doc) = write.parts()?;
        // The checks of incoming changes: whose actors, orphans held apart.
        let ready = incoming::admit(state, conn, device, row, doc, changes).await?;
        if let Some(m) = message {
            doc.sync()
                .receive_sync_message(&mut sync_state, incoming::with_changes(m, &ready))
                .map_err(|e| {
                    AppError::refused(
                        cartable_reconcile::validate::Refusal::corrupt(e),
                        cartable_domain::DocumentId::new(row.id.clone()),
                    )
                })?;
        }
        let mut restored = Vec::new();
        if doc.get_heads() != before {
            restored = reconcile(state, conn, device, row, doc, &before, inputs.as_ref()).await?;
        }
        save_state(conn, device, row, &sync_state, persisted).await?;
        let mut slot = write.commit(state.settings.compaction_threshold).await?;
        // Only now, with everything durable, may the reply acknowledge the changes.
        let doc = &mut slot
            .loaded
            .as_mut()
            .ok_or_else(|| AppError::internal("document non chargé"))?
            .doc;
        let need = incoming::orphans_need(state, device, row, doc);
        let reply = doc
            .sync()
            .generate_sync_message(&mut sync_state)
            .map(|m| incoming::reply(m, need));
        return Ok((reply, restored));
    }

    // Nothing to merge: answer from the loaded copy, and let go of it before writing the
    // sync state, so that no one waits for the write gate while holding a document.
    let reply = {
        let mut slot = state.docs.lock(&row.id).await;
        state
            .docs
            .ensure_current_for_read(&mut slot, &row.id)
            .await?;
        let loaded = slot
            .loaded
            .as_mut()
            .ok_or_else(|| AppError::internal("document non chargé"))?;
        if let Some(m) = message {
            loaded
                .doc
                .sync()
                .receive_sync_message(&mut sync_state, m)
                .map_err(|e| AppError::malformed_sync_because("Message illisible", &e))?;
        }
        let need = incoming::orphans_need(state, device, row, &mut loaded.doc);
        loaded
            .doc
            .sync()
            .generate_sync_message(&mut sync_state)
            .map(|m| incoming::reply(m, need))
    };
    if persisted != Some(sync_state.encode().as_slice()) {
        let mut wtx = state.db.begin_write().await?;
        save_state(&mut wtx.tx, device, row, &sync_state, persisted).await?;
        wtx.commit().await?;
    }
    Ok((reply, Vec::new()))
}

async fn save_state(
    conn: &mut AnyConnection,
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

/// After a merge: write back forbidden writes, decide requests, update projections.
async fn reconcile(
    state: &AppState,
    conn: &mut AnyConnection,
    device: &FamilyDevice,
    row: &DocRow,
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    inputs: Option<&DecisionInputs>,
) -> AppResult<Vec<String>> {
    let after = doc.get_heads();
    let patches = doc.diff(before, &after);
    let kind = DocKind::from_code(&row.kind)
        .ok_or_else(|| AppError::internal(format!("type de document inconnu {}", row.kind)))?;
    // What the device wrote must fit the document's schema before anything uses or stores it.
    incoming::check_merge(state, device, row, kind, doc, &patches)?;
    // Who wrote the dossier's new changes (staff see each field's author), noted before the
    // server adds its own.
    let actors = if kind == DocKind::Dossier {
        review::new_actors(doc, before, state.docs.actor())
    } else {
        Vec::new()
    };
    let protected = if kind.read_only_for_families() {
        Protected::All
    } else {
        Protected::Keys(kind.server_only_keys())
    };
    let restored = compensate(doc, before, &patches, protected)?;
    if !restored.is_empty() {
        tracing::warn!(
            doc_id = %row.id,
            device_id = %device.session.device_id,
            paths = ?restored,
            "compensated writes to server-only values"
        );
        documents::log_compensation(conn, &row.id, &device.session.device_id, &restored).await?;
    }
    match kind {
        DocKind::Dossier => {
            dossier::project(conn, &device.family_id, doc, Some(&patches)).await?;
            let origin = review::SyncOrigin {
                family_id: &device.family_id,
                doc_id: &row.id,
                account_id: &device.session.account_id,
                device_id: &device.session.device_id,
                now_ms: state.clock.now().as_millisecond(),
            };
            review::after_sync(conn, origin, doc, &patches, &actors).await?;
        }
        DocKind::Planning => {
            let keys = touched_requests(doc, Some(&patches));
            if let (false, Some(inputs)) = (keys.is_empty(), inputs) {
                let year: SchoolYear = row
                    .school_year
                    .as_deref()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e| AppError::internal(format!("{e}")))?;
                let at = PlanningRef {
                    db: &state.db,
                    structure_id: &device.session.structure_id,
                    family_id: &device.family_id,
                    doc_id: &row.id,
                };
                decide_and_project(conn, at, year, doc, &keys, inputs).await?;
            }
            let absences_touched = touched_keys(&patches, "absences").is_none_or(|k| !k.is_empty());
            if let (true, Some(inputs)) = (absences_touched, inputs) {
                let planning: Planning = autosurgeon::hydrate(&*doc)
                    .map_err(|e| AppError::internal(format!("planning illisible : {e}")))?;
                let keys = absences::touched_absences(&planning, &patches);
                let at = PlanningRef {
                    db: &state.db,
                    structure_id: &device.session.structure_id,
                    family_id: &device.family_id,
                    doc_id: &row.id,
                };
                absences::decide_and_project(conn, at, doc, &planning, &keys, inputs).await?;
            }
        }
        DocKind::Catalogue | DocKind::Ledger => {}
    }
    Ok(restored)
}

/// What deciding needs, from the documents the request already listed (no query): the
/// catalogue comes from a cache keyed by its storage version, the dossier from its slot.
async fn decision_inputs(
    state: &AppState,
    visible: &[(DocRow, Option<Vec<u8>>)],
) -> AppResult<DecisionInputs> {
    let rows = || visible.iter().map(|(d, _)| d);
    let catalogue =
        match rows().find(|d| d.kind == DocKind::Catalogue.code() && d.family_id.is_none()) {
            Some(row) => state.catalogues.get(state, row).await?,
            None => Default::default(),
        };
    let dossier = match rows().find(|d| d.kind == DocKind::Dossier.code()) {
        Some(row) => state.docs.read(&row.id).await?,
        None => Default::default(),
    };
    let now = state.clock.now();
    let today = cartable_domain::calendar::paris_date(now).to_string();
    let family_id = rows().find_map(|d| d.family_id.clone()).unwrap_or_default();
    let valid_documents = crate::db::supporting::valid_kinds(&state.db, &family_id, &today).await?;
    // The unpaid-invoice rule reads the family's ledger only when the structure has it.
    let overdue = match (
        &catalogue.billing.block_bookings_when_overdue,
        rows().find(|d| d.kind == DocKind::Ledger.code()),
    ) {
        (Some(_), Some(row)) => {
            let ledger: cartable_domain::ledger::Ledger = state.docs.read(&row.id).await?;
            cartable_domain::rules::OverdueInvoice::blocking(
                &catalogue,
                &ledger,
                cartable_domain::calendar::paris_date(now),
            )
        }
        _ => None,
    };
    Ok(DecisionInputs {
        catalogue,
        dossier,
        valid_documents,
        now,
        overdue,
    })
}
