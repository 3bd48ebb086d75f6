//! Applying what the reconciliation core decided, in the transaction of the document write:
//! place counters, projections, the compensation log and the family's notifications. The
//! one place where the core's [`Effects`] meet storage.

use crate::db::Conn;
use crate::db::{Db, documents, places, projections};
use crate::error::AppResult;
use crate::push::causes;
use cartable_domain::dossier::ReviewStatus;
use cartable_domain::ids::{DeviceId, DocumentId, FamilyId, StructureId};
use cartable_domain::planning::CellKey;
use cartable_reconcile::{BookingRow, Counts, Effects, Event, PlaceKey, Rows, SheetRows};
use sqlx::AnyConnection;
use std::collections::HashSet;

/// The family document a write is about.
#[derive(Debug, Clone, Copy)]
pub struct FamilyDoc<'a> {
    pub structure_id: &'a StructureId,
    pub family_id: &'a FamilyId,
    pub doc_id: &'a DocumentId,
}

/// Locks the counters `keys` (given in locking order by the core) for the rest of the
/// transaction and reads their values.
pub async fn lock_counters(
    conn: &mut AnyConnection,
    db: &Db,
    structure_id: &StructureId,
    keys: &[PlaceKey],
) -> AppResult<Counts> {
    let mut counts = Counts::new();
    for key in keys {
        let taken = places::lock(conn, db, structure_id, &key.activity_id, key.date).await?;
        counts.insert(key.clone(), taken);
    }
    Ok(counts)
}

/// Applies `effects` of a write to `at`, but for the counters' moves (`effects.places`, moved
/// by [`crate::docs::write::DocWrite::move_counters`], which locked them). `device` is the
/// device whose sync caused them, if any (compensations are logged against it).
pub async fn apply(
    conn: &mut Conn<'_>,
    at: FamilyDoc<'_>,
    device: Option<&DeviceId>,
    effects: &Effects,
    now_ms: i64,
) -> AppResult<()> {
    if !effects.compensated.is_empty() {
        tracing::warn!(
            doc_id = %at.doc_id,
            device_id = ?device,
            paths = ?effects.compensated,
            "compensated writes to server-only values"
        );
        if let Some(device) = device {
            documents::log_compensation(conn, at.doc_id, device, &effects.compensated, now_ms)
                .await?;
        }
    }
    for key in &effects.unreadable_keys {
        tracing::warn!(doc_id = %at.doc_id, key, "ignoring a request with an unreadable cell key");
    }
    // Upserts are written several per statement, in order: a deletion, or a cell met twice,
    // writes out what came before it first.
    let mut upserts: Vec<projections::BookingProjection<'_>> = Vec::new();
    let mut pending: HashSet<&CellKey> = HashSet::new();
    for row in &effects.bookings {
        match row {
            BookingRow::Upsert {
                key,
                request,
                decision,
                ..
            } => {
                if !pending.insert(key) {
                    projections::upsert_bookings(conn, at.doc_id, at.family_id, &upserts).await?;
                    upserts.clear();
                    pending.clear();
                    pending.insert(key);
                }
                upserts.push((key, request, decision.as_ref()));
            }
            BookingRow::Delete { key } => {
                projections::upsert_bookings(conn, at.doc_id, at.family_id, &upserts).await?;
                upserts.clear();
                pending.clear();
                projections::delete_booking(conn, at.doc_id, key).await?;
            }
        }
    }
    projections::upsert_bookings(conn, at.doc_id, at.family_id, &upserts).await?;
    for row in &effects.absences {
        projections::upsert_absence(
            conn,
            at.doc_id,
            at.family_id,
            &row.key,
            &row.declaration,
            row.declared_at_ms,
            row.outcome.as_ref(),
        )
        .await?;
    }
    if let Some(sheets) = &effects.sheets {
        project_sheets(conn, at.family_id, sheets).await?;
    }
    notify(conn, at, device, &effects.events, now_ms).await
}

/// The family's notifications: THE single place where the server applies notification
/// events, whoever produced them (the core's effects of a sync, a re-decision after a
/// review, a payment or a closure, a staff override; a staff answer to the dossier).
///
/// It runs inside the transaction of the write that produced the events, after the
/// document and the projections were written: an event commits with the decision it
/// reports, or not at all, and a rolled-back write notifies nobody. `events` come in the
/// order they happened, all about `at.family_id`:
///
/// - [`Event::BookingRefused`]: a booking sent by one of the family's devices was refused
///   (the cause is typed; the French reason is in the planning document);
/// - [`Event::BookingRedecided`]: the structure changed a standing decision (`why`: the
///   family's file was approved, an invoice was paid, a closure was added, staff
///   overrode it, or bookings were recorded);
/// - [`Event::DossierAnswered`]: staff approved or rejected the family's dossier.
///
/// They are written to the push outbox on `conn` (same transaction): one message per write
/// and kind, since the phone reads what changed from the documents it syncs. `device` (the
/// device whose sync caused the write) has the answer in hand and is not told of its own
/// refusals. The push worker picks them up within its polling interval.
pub async fn notify(
    conn: &mut Conn<'_>,
    at: FamilyDoc<'_>,
    device: Option<&DeviceId>,
    events: &[Event],
    now_ms: i64,
) -> AppResult<()> {
    let mut refused = false;
    let mut redecided = false;
    for event in events {
        tracing::debug!(family_id = %at.family_id, doc_id = %at.doc_id, ?event, "family notification");
        match event {
            Event::BookingRefused { .. } => refused = true,
            Event::BookingRedecided { .. } => redecided = true,
            Event::DossierAnswered { status, .. } => {
                let approved = match status {
                    ReviewStatus::Approved => true,
                    ReviewStatus::Rejected => false,
                    _ => continue,
                };
                causes::dossier_reviewed(
                    conn,
                    at.structure_id,
                    at.family_id,
                    at.doc_id,
                    approved,
                    now_ms,
                )
                .await?;
            }
        }
    }
    // One message per write and kind: the phone reads what changed from the document.
    if refused {
        let device = device.map(|d| d.as_str());
        causes::bookings_decided(
            conn,
            at.structure_id,
            at.family_id,
            at.doc_id,
            false,
            device,
            now_ms,
        )
        .await?;
    }
    if redecided {
        causes::bookings_decided(
            conn,
            at.structure_id,
            at.family_id,
            at.doc_id,
            true,
            None,
            now_ms,
        )
        .await?;
    }
    Ok(())
}

async fn project_sheets(
    conn: &mut Conn<'_>,
    family_id: &FamilyId,
    sheets: &SheetRows,
) -> AppResult<()> {
    match &sheets.children {
        Rows::Changed(rows) => {
            for (id, sheet) in rows {
                match sheet {
                    Some(sheet) => projections::upsert_child(conn, family_id, id, sheet).await?,
                    None => projections::delete_child(conn, family_id, id).await?,
                }
            }
        }
        Rows::All(all) => {
            for old in projections::child_ids(conn, family_id).await? {
                if !all.contains_key(&old) {
                    projections::delete_child(conn, family_id, &old).await?;
                }
            }
            for (id, sheet) in all {
                projections::upsert_child(conn, family_id, id, sheet).await?;
            }
        }
    }
    match &sheets.adults {
        Rows::Changed(rows) => {
            for (id, sheet) in rows {
                match sheet {
                    Some(sheet) => projections::upsert_adult(conn, family_id, id, sheet).await?,
                    None => projections::delete_adult(conn, family_id, id).await?,
                }
            }
        }
        Rows::All(all) => {
            for (id, sheet) in all {
                projections::upsert_adult(conn, family_id, id, sheet).await?;
            }
        }
    }
    Ok(())
}
