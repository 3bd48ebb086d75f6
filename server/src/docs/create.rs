//! Creating documents with their initial structure.
//!
//! Only the server creates a document's root maps: if two devices created the same root map
//! concurrently, one of the two maps would hide the other. Devices start from the server's
//! copy.

use crate::db::documents::{self, DocRow};
use crate::db::{Conn, Db, projections};
use crate::error::AppError;
use automerge::{ActorId, AutoCommit};
use cartable_domain::DocKind;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::{DocumentId, FamilyId, StructureId};
use cartable_domain::planning::Planning;
use cartable_domain::school_year::SchoolYear;
use sqlx::AnyConnection;

pub(crate) fn doc_with<T: autosurgeon::Reconcile>(
    actor: &ActorId,
    value: &T,
) -> Result<AutoCommit, AppError> {
    let mut doc = AutoCommit::new().with_actor(actor.clone());
    autosurgeon::reconcile(&mut doc, value)
        .map_err(|e| AppError::internal(format!("document initial : {e}")))?;
    Ok(doc)
}

async fn insert(
    conn: &mut AnyConnection,
    row: DocRow,
    mut doc: AutoCommit,
    now_ms: i64,
) -> Result<DocRow, AppError> {
    documents::insert_document(conn, &row, &doc.save(), now_ms).await?;
    Ok(row)
}

fn new_row(
    structure_id: &StructureId,
    family_id: Option<&FamilyId>,
    kind: DocKind,
    school_year: Option<SchoolYear>,
) -> DocRow {
    DocRow {
        id: DocumentId::new(crate::auth::new_id()),
        structure_id: structure_id.clone(),
        family_id: family_id.cloned(),
        kind,
        school_year,
        version: 1,
    }
}

/// Creates a family's dossier with its first sheets and projects them.
pub async fn create_dossier(
    conn: &mut AnyConnection,
    actor: &ActorId,
    structure_id: &StructureId,
    family_id: &FamilyId,
    dossier: &Dossier,
    now_ms: i64,
) -> Result<DocRow, AppError> {
    let mut value = dossier.clone();
    value.family_id = family_id.to_string();
    let doc = doc_with(actor, &value)?;
    for (id, sheet) in &value.children {
        projections::upsert_child(&mut Conn::Any(&mut *conn), family_id.as_str(), id, sheet)
            .await?;
    }
    for (id, sheet) in &value.adults {
        projections::upsert_adult(&mut Conn::Any(&mut *conn), family_id.as_str(), id, sheet)
            .await?;
    }
    let row = new_row(structure_id, Some(family_id), DocKind::Dossier, None);
    insert(conn, row, doc, now_ms).await
}

/// Returns the family's planning for `year`, creating it if needed.
pub async fn ensure_planning(
    db: &Db,
    actor: &ActorId,
    structure_id: &StructureId,
    family_id: &FamilyId,
    year: SchoolYear,
    now_ms: i64,
) -> Result<DocRow, AppError> {
    let mut wtx = db.begin_write().await?;
    let row = ensure_planning_in(&mut wtx.tx, actor, structure_id, family_id, year, now_ms).await?;
    wtx.commit().await?;
    Ok(row)
}

/// [`ensure_planning`] inside the caller's write transaction.
pub async fn ensure_planning_in(
    conn: &mut AnyConnection,
    actor: &ActorId,
    structure_id: &StructureId,
    family_id: &FamilyId,
    year: SchoolYear,
    now_ms: i64,
) -> Result<DocRow, AppError> {
    if let Some(row) =
        documents::family_document(conn, family_id, DocKind::Planning, Some(year)).await?
    {
        return Ok(row);
    }
    let doc = doc_with(actor, &Planning::new(family_id.as_str(), year))?;
    let row = new_row(structure_id, Some(family_id), DocKind::Planning, Some(year));
    insert(conn, row, doc, now_ms).await
}

/// Creates the structure's catalogue document.
pub async fn create_catalogue(
    conn: &mut AnyConnection,
    actor: &ActorId,
    structure_id: &StructureId,
    catalogue: &Catalogue,
    now_ms: i64,
) -> Result<DocRow, AppError> {
    let doc = doc_with(actor, catalogue)?;
    let row = new_row(structure_id, None, DocKind::Catalogue, None);
    insert(conn, row, doc, now_ms).await
}

/// Creates a family's ledger document holding `ledger` (what the server's tables say), in
/// one write: a value reconciled into an empty document is stored as one batch of
/// operations, much cheaper than the same value reconciled into an existing document.
pub async fn create_ledger(
    conn: &mut AnyConnection,
    actor: &ActorId,
    structure_id: &StructureId,
    family_id: &FamilyId,
    ledger: &cartable_domain::ledger::Ledger,
    now_ms: i64,
) -> Result<DocRow, AppError> {
    let (row, snapshot) = ledger_document(actor, structure_id, family_id, ledger)?;
    documents::insert_document(conn, &row, &snapshot, now_ms).await?;
    Ok(row)
}

/// A new ledger document holding `ledger`, and its first snapshot, for the caller to store
/// ([`documents::insert_documents`] stores many at once).
pub fn ledger_document(
    actor: &ActorId,
    structure_id: &StructureId,
    family_id: &FamilyId,
    ledger: &cartable_domain::ledger::Ledger,
) -> Result<(DocRow, Vec<u8>), AppError> {
    let mut doc = doc_with(actor, ledger)?;
    let row = new_row(structure_id, Some(family_id), DocKind::Ledger, None);
    Ok((row, doc.save()))
}
