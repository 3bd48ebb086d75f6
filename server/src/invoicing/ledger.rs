//! The family's ledger document: built from the tables (invoices, payments, QF history),
//! published as a read-only Automerge document the family's devices sync.
//!
//! Every transaction that changes what a ledger shows calls [`mark_changed`] (a counter in
//! `ledger_publications`); after the commit, [`publish_after_commit`] writes the document.
//! A publication that failed (or a process that stopped in between) is caught up by
//! [`catch_up`], run at the next sync of the family once per process and after each failure.

use super::content::InvoiceContent;
use super::quotient;
use crate::AppState;
use crate::db::documents::{self, DocRow};
use crate::db::invoices::{self, InvoiceRow, PaymentRow};
use crate::db::multi_row::{self, ROWS_PER_INSERT};
use crate::error::{AppError, AppResult};
use automerge::AutoCommit;
use cartable_domain::DocKind;
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::ledger::{Credit, Debit, DocumentKind, Ledger, LedgerPayment, allocate};
use cartable_domain::pricing::QuotientPeriod;
use cartable_domain::tariffs::BillingMode;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when a publication may be missing (at start and after a failure).
static CATCH_UP: AtomicBool = AtomicBool::new(true);

/// 404 unless the family belongs to the structure.
pub async fn check_family(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
) -> AppResult<String> {
    let row = sqlx::query("SELECT name FROM families WHERE id = $1 AND structure_id = $2")
        .bind(family_id)
        .bind(structure_id)
        .fetch_optional(&state.db.pool)
        .await?;
    match row {
        Some(r) => Ok(r.try_get("name")?),
        None => Err(AppError::not_found()),
    }
}

/// Notes, in the transaction that changes it, that the family's ledger must be republished.
pub async fn mark_changed(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO ledger_publications (family_id, structure_id, wanted, published) \
         VALUES ($1, $2, 1, 0) ON CONFLICT (family_id) DO UPDATE SET \
         wanted = ledger_publications.wanted + 1",
    )
    .bind(family_id)
    .bind(structure_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// [`mark_changed`] for many families of the structure at once (a family named twice is
/// noted once).
pub async fn mark_changed_many(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
) -> AppResult<()> {
    let mut families = family_ids.to_vec();
    families.sort_unstable();
    families.dedup();
    for chunk in families.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO ledger_publications (family_id, structure_id, wanted, published) \
             VALUES {} ON CONFLICT (family_id) DO UPDATE SET \
             wanted = ledger_publications.wanted + 1",
            (0..chunk.len())
                .map(|i| format!("(${}, ${}, 1, 0)", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for family_id in chunk {
            q = q.bind(*family_id).bind(structure_id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records that the ledgers of `family_ids` show every change noted so far: for ledgers
/// written in the transaction that holds these families' publication rows (written by
/// [`mark_changed_many`] earlier in it), so that no other change can be noted in between.
pub(super) async fn mark_all_published(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
) -> AppResult<()> {
    if family_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE ledger_publications SET published = wanted WHERE structure_id = $1 \
         AND family_id IN ({}) AND published < wanted",
        multi_row::list(2, family_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(structure_id);
    for family_id in family_ids {
        q = q.bind(*family_id);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// What the family's ledger says now.
pub struct LedgerData {
    pub ledger: Ledger,
    pub invoices: Vec<InvoiceRow>,
    pub payments: Vec<PaymentRow>,
}

/// Remaining amounts after allocating payments and credit notes to invoices.
pub fn remaining(invoices: &[InvoiceRow], payments: &[PaymentRow]) -> BTreeMap<String, i64> {
    let debits: Vec<Debit> = invoices
        .iter()
        .filter(|i| i.kind == DocumentKind::Invoice.code())
        .map(|i| Debit {
            number: i.number.clone(),
            issued_on: i.issued_on.parse().unwrap_or(jiff::civil::Date::MIN),
            total_cents: i.total_cents,
        })
        .collect();
    let credits: Vec<Credit> = invoices
        .iter()
        .filter(|i| i.kind == DocumentKind::CreditNote.code())
        .map(|i| Credit {
            amount_cents: -i.total_cents,
            invoice_number: (!i.refers_to.is_empty()).then(|| i.refers_to.clone()),
        })
        .chain(payments.iter().map(|p| Credit {
            amount_cents: p.amount_cents,
            invoice_number: (!p.invoice_number.is_empty()).then(|| p.invoice_number.clone()),
        }))
        .collect();
    allocate(&debits, &credits)
}

/// Reads the family's ledger from the tables.
pub async fn build(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
    mode: BillingMode,
) -> AppResult<LedgerData> {
    let invoices = invoices::of_family(conn, structure_id, family_id).await?;
    let payments = invoices::payments_of_family(conn, structure_id, family_id).await?;
    let quotient = quotient::history(conn, structure_id, family_id).await?;
    assemble(family_id, mode, invoices, payments, quotient)
}

/// What [`fill`] reads, for many families of the structure at once (a few statements per
/// [`ROWS_PER_INSERT`] families): each family's ledger as the tables say now, with the
/// number of changes noted so far (read first: a change noted later is published later).
pub(super) async fn build_many(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
    mode: BillingMode,
) -> AppResult<BTreeMap<String, (i64, Ledger)>> {
    let mut out = BTreeMap::new();
    crate::db::lookups::prefer_lookups(conn).await?;
    for chunk in family_ids.chunks(ROWS_PER_INSERT) {
        let mut wanted = wanted_many(conn, chunk).await?;
        let mut invoice_rows = invoices::of_each_family(conn, structure_id, chunk).await?;
        let mut payment_rows = invoices::payments_of_each_family(conn, structure_id, chunk).await?;
        let mut quotients = quotient::histories_of(conn, structure_id, chunk).await?;
        for family_id in chunk {
            let data = assemble(
                family_id,
                mode,
                invoice_rows.remove(*family_id).unwrap_or_default(),
                payment_rows.remove(*family_id).unwrap_or_default(),
                quotients.remove(*family_id).unwrap_or_default(),
            )?;
            let noted = wanted.remove(*family_id).unwrap_or(0);
            out.insert(family_id.to_string(), (noted, data.ledger));
        }
    }
    Ok(out)
}

/// The family's ledger from its rows, read by [`build`] (or for many families at once).
pub(super) fn assemble(
    family_id: &str,
    mode: BillingMode,
    invoices: Vec<InvoiceRow>,
    payments: Vec<PaymentRow>,
    quotient: Vec<QuotientPeriod>,
) -> AppResult<LedgerData> {
    let remaining = remaining(&invoices, &payments);
    let mut ledger = Ledger {
        family_id: family_id.to_string(),
        prepaid: mode == BillingMode::Prepaid,
        quotient,
        ..Default::default()
    };
    for i in &invoices {
        let content: InvoiceContent = serde_json::from_str(&i.content)
            .map_err(|e| AppError::internal(format!("facture {} illisible : {e}", i.number)))?;
        let left = remaining.get(&i.number).copied().unwrap_or(0);
        let doc = content.ledger_document(left, i.pdf_sha256.as_deref().unwrap_or(""));
        ledger.documents.insert(i.number.clone(), doc);
    }
    for p in &payments {
        ledger.payments.insert(
            p.id.clone(),
            LedgerPayment {
                received_on: p.received_on.clone(),
                method: p.method.clone(),
                amount_cents: p.amount_cents,
                invoice_number: p.invoice_number.clone(),
                reference: p.reference.clone(),
            },
        );
    }
    ledger.balance_cents = payments.iter().map(|p| p.amount_cents).sum::<i64>()
        - invoices.iter().map(|i| i.total_cents).sum::<i64>();
    Ok(LedgerData {
        ledger,
        invoices,
        payments,
    })
}

/// The family's ledger document row, created the first time in the caller's transaction,
/// already filled from the tables as that transaction sees them (and its publication
/// recorded): only the PDFs' hashes, known after the commit, are left to write. One ledger
/// per family, also when two processes ask at once: the family's row is locked first
/// (PostgreSQL; the write gate serialises SQLite, where the lock has nothing to add).
pub async fn ledger_row_in(
    conn: &mut AnyConnection,
    state: &AppState,
    structure_id: &str,
    family_id: &str,
    mode: BillingMode,
) -> AppResult<DocRow> {
    let for_update = state.db.for_update();
    if !for_update.is_empty() {
        let lock = format!("SELECT id FROM families WHERE id = $1{for_update}");
        sqlx::query(sqlx::AssertSqlSafe(lock))
            .bind(family_id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    let family = FamilyId::from(family_id);
    if let Some(row) = documents::family_document(conn, &family, DocKind::Ledger, None).await? {
        return Ok(row);
    }
    let wanted = wanted(conn, family_id).await?;
    let data = build(conn, structure_id, family_id, mode).await?;
    let row = crate::docs::create::create_ledger(
        conn,
        state.docs.actor(),
        &StructureId::from(structure_id),
        &family,
        &data.ledger,
        state.clock.now().as_millisecond(),
    )
    .await?;
    mark_published(conn, family_id, wanted).await?;
    Ok(row)
}

async fn ledger_row(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
    mode: BillingMode,
) -> AppResult<DocRow> {
    {
        let mut conn = state.db.pool.acquire().await?;
        let family_id = FamilyId::from(family_id);
        if let Some(row) =
            documents::family_document(&mut conn, &family_id, DocKind::Ledger, None).await?
        {
            return Ok(row);
        }
    }
    let mut tx = state.db.begin_write().await?;
    let row = ledger_row_in(&mut tx.tx, state, structure_id, family_id, mode).await?;
    tx.commit().await?;
    Ok(row)
}

/// Writes the family's ledger document from the tables (creating it the first time).
pub async fn publish(state: &AppState, structure_id: &str, family_id: &str) -> AppResult<()> {
    let mode = crate::docs::catalogue::read(state, &StructureId::from(structure_id))
        .await
        .map(|c| c.billing.mode)
        .unwrap_or_default();
    let row = ledger_row(state, structure_id, family_id, mode).await?;
    let mut write = state.docs.begin_write(&state.db, &row.id).await?;
    let (conn, doc) = write.parts().await?;
    fill(conn, doc, structure_id, family_id, mode).await?;
    write.commit(state.settings.compaction_threshold).await?;
    Ok(())
}

/// How many changes to the family's ledger were noted so far ([`mark_changed`]).
async fn wanted(conn: &mut AnyConnection, family_id: &str) -> AppResult<i64> {
    Ok(
        sqlx::query("SELECT wanted FROM ledger_publications WHERE family_id = $1")
            .bind(family_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("wanted"))
            .transpose()?
            .unwrap_or(0),
    )
}

/// [`wanted`] of each of `family_ids` that has a publication row.
async fn wanted_many(
    conn: &mut AnyConnection,
    family_ids: &[&str],
) -> AppResult<BTreeMap<String, i64>> {
    let sql = format!(
        "SELECT family_id, wanted FROM ledger_publications WHERE family_id IN ({})",
        multi_row::list(1, family_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for family_id in family_ids {
        q = q.bind(*family_id);
    }
    let mut out = BTreeMap::new();
    for row in q.fetch_all(&mut *conn).await? {
        out.insert(row.try_get("family_id")?, row.try_get("wanted")?);
    }
    Ok(out)
}

/// [`mark_published`] for many families, each with the count its ledger shows, in one
/// statement per [`ROWS_PER_INSERT`] families.
pub(super) async fn mark_published_many(
    conn: &mut AnyConnection,
    published: &[(&str, i64)],
) -> AppResult<()> {
    for chunk in published.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "UPDATE ledger_publications SET published = v.column2 FROM (VALUES {}) AS v \
             WHERE ledger_publications.family_id = v.column1 \
             AND ledger_publications.family_id IN ({}) \
             AND ledger_publications.published < v.column2",
            multi_row::values(chunk.len(), 2),
            multi_row::column(chunk.len(), 2, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (family_id, wanted) in chunk {
            q = q.bind(*family_id).bind(*wanted);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records that the ledger shows the tables as they were after `wanted` changes.
async fn mark_published(conn: &mut AnyConnection, family_id: &str, wanted: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE ledger_publications SET published = $2 WHERE family_id = $1 AND published < $2",
    )
    .bind(family_id)
    .bind(wanted)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Those of `family_ids` whose ledger document shows every change noted so far (the PDFs'
/// hashes apart, which are not changes of the tables' rows the ledger is built from), in one
/// statement per [`ROWS_PER_INSERT`] families.
pub(super) async fn current_among(
    conn: &mut AnyConnection,
    family_ids: &[&str],
) -> AppResult<BTreeSet<String>> {
    let mut current = BTreeSet::new();
    for chunk in family_ids.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT family_id FROM ledger_publications WHERE published >= wanted \
             AND family_id IN ({})",
            multi_row::list(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for family_id in chunk {
            q = q.bind(*family_id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            current.insert(row.try_get("family_id")?);
        }
    }
    Ok(current)
}

/// Writes into `doc`, the family's ledger document, what the tables say now, and records
/// the publication (in the caller's transaction, committed with the document).
pub(super) async fn fill(
    conn: &mut AnyConnection,
    doc: &mut AutoCommit,
    structure_id: &str,
    family_id: &str,
    mode: BillingMode,
) -> AppResult<()> {
    let wanted = wanted(conn, family_id).await?;
    let data = build(conn, structure_id, family_id, mode).await?;
    super::ledger_write::write(doc, &data.ledger)?;
    mark_published(conn, family_id, wanted).await
}

/// The family's ledger document, created and filled if it does not exist yet.
pub async fn ensure(state: &AppState, structure_id: &str, family_id: &str) -> AppResult<DocRow> {
    publish(state, structure_id, family_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    documents::family_document(&mut conn, &FamilyId::from(family_id), DocKind::Ledger, None)
        .await?
        .ok_or_else(|| AppError::internal("relevé de compte introuvable après création"))
}

/// [`publish`] after a committed change: a failure is logged and caught up later.
pub async fn publish_after_commit(state: &AppState, structure_id: &str, family_id: &str) {
    if let Err(e) = publish(state, structure_id, family_id).await {
        CATCH_UP.store(true, Ordering::Relaxed);
        tracing::error!(error = %e, family_id, "ledger not republished; caught up at next sync");
    }
}

/// Republishes stale ledgers when a publication may be missing (at start, after a
/// failure); true when it looked for them. Cheap otherwise: one flag read.
pub async fn catch_up(state: &AppState) -> bool {
    if !CATCH_UP.swap(false, Ordering::Relaxed) {
        return false;
    }
    // Boxed: every sync awaits `catch_up`, which has work only after a failure.
    Box::pin(publish_stale(state)).await;
    true
}

async fn publish_stale(state: &AppState) {
    let stale = sqlx::query(
        "SELECT family_id, structure_id FROM ledger_publications WHERE published < wanted",
    )
    .fetch_all(&state.db.pool)
    .await;
    let rows = match stale {
        Ok(rows) => rows,
        Err(e) => {
            CATCH_UP.store(true, Ordering::Relaxed);
            tracing::warn!(error = %e, "stale ledgers not listed");
            return;
        }
    };
    for r in rows {
        if let (Ok(family_id), Ok(structure_id)) = (
            r.try_get::<String, _>("family_id"),
            r.try_get::<String, _>("structure_id"),
        ) {
            publish_after_commit(state, &structure_id, &family_id).await;
        }
    }
}
