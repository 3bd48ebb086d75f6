//! The ledger documents of a batch of families, in the transaction that issues their
//! documents: [`super::ledger::ledger_row_in`] for many families at once, in a few
//! statements instead of a dozen per family. The families without a ledger get one,
//! already showing what the tables say in that transaction.

use super::{ledger, quotient};
use crate::AppState;
use crate::db::documents::{self, DocRow};
use crate::db::invoices;
use crate::db::multi_row;
use crate::error::AppResult;
use cartable_domain::DocKind;
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::tariffs::BillingMode;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The ledger document row of each of `family_ids` (of the structure), by family, created
/// for the families that have none. The caller noted the change of every one of these
/// families' ledgers ([`ledger::mark_changed_many`]) earlier in the transaction.
pub async fn ledger_rows_in(
    conn: &mut AnyConnection,
    state: &AppState,
    structure_id: &str,
    family_ids: &[&str],
    mode: BillingMode,
) -> AppResult<BTreeMap<String, DocRow>> {
    let mut families = family_ids.to_vec();
    families.sort_unstable();
    families.dedup();
    if families.is_empty() {
        return Ok(BTreeMap::new());
    }
    // One ledger per family also when two processes ask at once: the families' rows are
    // locked, in id order (PostgreSQL; the write gate serialises SQLite).
    let for_update = state.db.for_update();
    if !for_update.is_empty() {
        let sql = format!(
            "SELECT id FROM families WHERE structure_id = $1 AND id IN ({}) ORDER BY id{for_update}",
            multi_row::list(2, families.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(structure_id);
        for id in &families {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *conn).await?;
    }
    let mut rows: BTreeMap<String, DocRow> =
        documents::family_documents(conn, structure_id, &families, DocKind::Ledger)
            .await?
            .into_iter()
            .map(|(family, row)| (family.into_string(), row))
            .collect();
    let missing: Vec<&str> = families
        .iter()
        .copied()
        .filter(|f| !rows.contains_key(*f))
        .collect();
    if missing.is_empty() {
        return Ok(rows);
    }
    crate::db::lookups::prefer_lookups(conn).await?;
    let mut invoice_rows = invoices::of_each_family(conn, structure_id, &missing).await?;
    let mut payment_rows = invoices::payments_of_each_family(conn, structure_id, &missing).await?;
    let mut quotients = quotient::histories_of(conn, structure_id, &missing).await?;
    let structure = StructureId::from(structure_id);
    let mut created = Vec::with_capacity(missing.len());
    for family_id in &missing {
        let data = ledger::assemble(
            family_id,
            mode,
            invoice_rows.remove(*family_id).unwrap_or_default(),
            payment_rows.remove(*family_id).unwrap_or_default(),
            quotients.remove(*family_id).unwrap_or_default(),
        )?;
        created.push(crate::docs::create::ledger_document(
            state.docs.actor(),
            &structure,
            &FamilyId::from(*family_id),
            &data.ledger,
        )?);
    }
    documents::insert_documents(conn, &created, state.clock.now().as_millisecond()).await?;
    ledger::mark_all_published(conn, structure_id, &missing).await?;
    for ((row, _), family_id) in created.into_iter().zip(missing) {
        rows.insert(family_id.to_string(), row);
    }
    Ok(rows)
}
