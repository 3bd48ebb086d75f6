//! Retention (CNIL): personal data kept no longer than the settings' periods, by category,
//! each structure on its own (`cartable-server admin purge [--dry-run]`, and once a day in the
//! server when `retention_daily` is set).
//!
//! A child's *last day* is the latest of: a day it held a booking, a day it was marked on an
//! attendance sheet, the family's creation, the family's last dossier submission. A family's
//! last day is the latest of its children's, and of its parents' devices' last use. Then:
//!
//! - **health** (`health_days` after a child's last day): the child's diet, allergies, PAI,
//!   treatments, doctor and vaccination flag are removed from the dossier, which is rewritten
//!   under a new document id without its history (the history held the values); its medical
//!   notes, PAI and vaccination records go with their files;
//! - **documents** (`documents_days` after the family's last day): its other supporting
//!   documents and their files;
//! - **attendance** (`attendance_days`): attendance rows after their day, planning documents
//!   (requests, decisions, absences) after their school year's end, with their projections;
//! - **audit** (`audit_days`): audit log entries;
//! - **dossier** (`dossier_days` after the family's last day): the family is erased
//!   ([`erase`]), keeping its accounting;
//! - **accounting** (`accounting_days`, 10 years): invoices, credit notes, statements and
//!   payments, with their PDFs.
//!
//! Every purge that removed something is recorded in the structure's audit log.

pub mod erase;
mod health;
mod planning;

use crate::AppState;
use crate::db::audit;
use crate::error::AppResult;
use cartable_domain::ids::{AccountId, DocumentId, FamilyId, StructureId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// The account named in the audit log for what the server does by itself.
pub const SYSTEM_ACCOUNT: &str = "cartable-server";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Retention periods, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Periods {
    pub health_days: i64,
    pub documents_days: i64,
    pub attendance_days: i64,
    pub audit_days: i64,
    pub dossier_days: i64,
    pub accounting_days: i64,
}

impl Default for Periods {
    fn default() -> Self {
        Periods {
            health_days: 365,
            documents_days: 365,
            attendance_days: 3 * 365,
            audit_days: 365,
            dossier_days: 3 * 365,
            accounting_days: 3653,
        }
    }
}

/// What a purge removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    /// Children whose health data were removed from their dossier.
    pub health_children: u64,
    /// Their medical notes, PAI and vaccination records.
    pub health_documents: u64,
    /// Other supporting documents.
    pub documents: u64,
    pub attendance_rows: u64,
    /// Planning documents (a family's school year: requests, decisions, absences).
    pub plannings: u64,
    pub audit_entries: u64,
    pub families_erased: u64,
    /// Invoices, credit notes and statements.
    pub invoices: u64,
    pub payments: u64,
    /// Files removed from the object store.
    pub files: u64,
}

impl PurgeReport {
    /// Each category with its count, in French.
    pub fn lines(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("santé : fiches d'enfants partis", self.health_children),
            (
                "santé : certificats médicaux, PAI, carnets de vaccination",
                self.health_documents,
            ),
            ("justificatifs", self.documents),
            ("présences", self.attendance_rows),
            ("plannings (réservations, absences)", self.plannings),
            ("journal d'audit", self.audit_entries),
            ("familles effacées (dossier)", self.families_erased),
            ("factures, avoirs, relevés", self.invoices),
            ("paiements", self.payments),
            ("fichiers", self.files),
        ]
    }

    fn is_empty(&self) -> bool {
        self.lines().iter().all(|(_, n)| *n == 0)
    }

    fn add(&mut self, o: &PurgeReport) {
        self.health_children += o.health_children;
        self.health_documents += o.health_documents;
        self.documents += o.documents;
        self.attendance_rows += o.attendance_rows;
        self.plannings += o.plannings;
        self.audit_entries += o.audit_entries;
        self.families_erased += o.families_erased;
        self.invoices += o.invoices;
        self.payments += o.payments;
        self.files += o.files;
    }

    fn summary(&self) -> String {
        self.lines()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(label, n)| format!("{label} : {n}"))
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

/// Purges every structure (see the module); a dry run only counts.
pub async fn purge(state: &AppState, dry_run: bool) -> AppResult<PurgeReport> {
    let structures: Vec<String> = sqlx::query("SELECT id FROM structures ORDER BY id")
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?;
    let mut total = PurgeReport {
        dry_run,
        ..PurgeReport::default()
    };
    for s in structures {
        let report = purge_structure(state, &StructureId::new(s), dry_run).await?;
        total.add(&report);
    }
    if !dry_run {
        empty_journal(state).await?;
    }
    Ok(total)
}

/// On SQLite, deleted rows are overwritten in the database file (`secure_delete`), but the
/// pages that held them may still be in the write-ahead log: it is copied back and emptied.
pub(crate) async fn empty_journal(state: &AppState) -> AppResult<()> {
    if state.db.backend == crate::db::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&state.db.pool)
            .await?;
    }
    Ok(())
}

/// Runs the purge once a day until `stop` resolves (started by [`crate::launch`]).
pub async fn run_daily(state: AppState, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(24 * 60 * 60)) => {}
        }
        match purge(&state, false).await {
            Ok(r) => tracing::info!(summary = %r.summary(), "daily retention purge"),
            Err(e) => tracing::error!(error = %e, "daily retention purge failed"),
        }
    }
}

/// Purges one structure.
pub async fn purge_structure(
    state: &AppState,
    structure_id: &StructureId,
    dry_run: bool,
) -> AppResult<PurgeReport> {
    let periods = state.settings.retention;
    let now = state.clock.now();
    let now_ms = now.as_millisecond();
    let today = cartable_domain::calendar::paris_date(now);
    let mut report = PurgeReport {
        dry_run,
        ..PurgeReport::default()
    };
    let presence = presence(state, structure_id).await?;

    // Dossier: families gone for `dossier_days` are erased (their health data with them).
    let dossier_cutoff = before(today, periods.dossier_days);
    let mut erased = Vec::new();
    for (family, last) in &presence.families {
        if *last < dossier_cutoff {
            if !dry_run {
                let e = erase::erase(
                    state,
                    &FamilyId::new(family),
                    structure_id,
                    "retention_erase",
                )
                .await?;
                report.files += e.files;
            }
            report.families_erased += 1;
            erased.push(family.clone());
        }
    }

    // Health: children gone for `health_days`.
    let health_cutoff = before(today, periods.health_days);
    let mut due: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ((family, child), last) in &presence.children {
        if *last < health_cutoff && !erased.contains(family) {
            due.entry(family.as_str()).or_default().push(child.clone());
        }
    }
    for (family, children) in due {
        let h = health::purge_family(
            state,
            &FamilyId::new(family),
            structure_id,
            &children,
            now_ms,
            dry_run,
        )
        .await?;
        report.health_children += h.children;
        report.health_documents += h.documents;
        report.files += h.files;
    }

    // Supporting documents of families gone for `documents_days`.
    let documents_cutoff = before(today, periods.documents_days);
    for (family, last) in &presence.families {
        if *last < documents_cutoff && !erased.contains(family) {
            let (n, files) =
                health::remove_documents(state, &FamilyId::new(family), None, dry_run).await?;
            report.documents += n;
            report.files += files;
        }
    }

    // Attendance and plannings.
    let attendance_cutoff = before(today, periods.attendance_days);
    let p = planning::purge(state, structure_id, &attendance_cutoff, dry_run).await?;
    report.attendance_rows = p.attendance_rows;
    report.plannings = p.plannings;

    // Audit log and accounting.
    let mut wtx = state.db.begin_write().await?;
    let audit_cutoff_ms = now_ms - periods.audit_days * DAY_MS;
    report.audit_entries = rows(
        &mut wtx.tx,
        dry_run,
        "audit_log WHERE structure_id = $1 AND at_ms < $2",
        structure_id.as_str(),
        Bind::Int(audit_cutoff_ms),
    )
    .await?;
    let accounting_cutoff = before(today, periods.accounting_days);
    // A pack's documents were issued together: the pack goes with them, once.
    let pdfs: Vec<String> = sqlx::query(
        "SELECT DISTINCT p.pdf_key FROM invoices i JOIN invoice_pdfs p ON p.invoice_id = i.id \
         WHERE i.structure_id = $1 AND i.issued_on < $2",
    )
    .bind(structure_id.as_str())
    .bind(&accounting_cutoff)
    .fetch_all(&mut *wtx.tx)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("pdf_key"))
    .collect::<Result<_, _>>()?;
    // Where their PDFs were goes first: it names the documents.
    rows(
        &mut wtx.tx,
        dry_run,
        "invoice_pdfs WHERE invoice_id IN \
         (SELECT id FROM invoices WHERE structure_id = $1 AND issued_on < $2)",
        structure_id.as_str(),
        Bind::Text(accounting_cutoff.clone()),
    )
    .await?;
    report.invoices = rows(
        &mut wtx.tx,
        dry_run,
        "invoices WHERE structure_id = $1 AND issued_on < $2",
        structure_id.as_str(),
        Bind::Text(accounting_cutoff.clone()),
    )
    .await?;
    report.payments = rows(
        &mut wtx.tx,
        dry_run,
        "payments WHERE structure_id = $1 AND received_on < $2",
        structure_id.as_str(),
        Bind::Text(accounting_cutoff),
    )
    .await?;
    if !dry_run {
        report.files += pdfs.len() as u64;
    }
    if !dry_run && !report.is_empty() {
        audit::record(
            &mut wtx.tx,
            audit::Who {
                account_id: &AccountId::new(SYSTEM_ACCOUNT),
                structure_id,
                at_ms: now_ms,
            },
            "retention_purge",
            None,
            &report.summary(),
        )
        .await?;
    }
    wtx.commit().await?;
    if !dry_run {
        for key in &pdfs {
            crate::objects::remove(state, key, "retention purge").await;
        }
        if !report.is_empty() {
            tracing::info!(structure_id = %structure_id, summary = %report.summary(), "retention purge");
        }
    }
    Ok(report)
}

/// Each family's and each child's last day, as `YYYY-MM-DD` (see the module).
#[derive(Debug, Default)]
struct Presence {
    families: BTreeMap<String, String>,
    children: BTreeMap<(String, String), String>,
}

fn day_of_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(cartable_domain::calendar::paris_date)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn later(slot: &mut String, day: String) {
    if day > *slot {
        *slot = day;
    }
}

async fn presence(state: &AppState, structure_id: &StructureId) -> AppResult<Presence> {
    let db = &state.db.pool;
    let s = structure_id.as_str();
    let mut floor: BTreeMap<String, String> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT id, created_at_ms FROM families WHERE structure_id = $1 AND erased_at_ms IS NULL",
    )
    .bind(s)
    .fetch_all(db)
    .await?
    {
        floor.insert(r.try_get("id")?, day_of_ms(r.try_get("created_at_ms")?));
    }
    for r in sqlx::query(
        "SELECT v.family_id, MAX(v.submitted_at_ms) AS at_ms FROM dossier_versions v \
         JOIN families f ON f.id = v.family_id WHERE f.structure_id = $1 GROUP BY v.family_id",
    )
    .bind(s)
    .fetch_all(db)
    .await?
    {
        let family: String = r.try_get("family_id")?;
        let at: Option<i64> = r.try_get("at_ms")?;
        if let (Some(slot), Some(at)) = (floor.get_mut(&family), at) {
            later(slot, day_of_ms(at));
        }
    }
    let mut out = Presence::default();
    for r in sqlx::query(
        "SELECT c.family_id, c.child_id FROM children c JOIN families f ON f.id = c.family_id \
         WHERE f.structure_id = $1",
    )
    .bind(s)
    .fetch_all(db)
    .await?
    {
        let family: String = r.try_get("family_id")?;
        if let Some(day) = floor.get(&family) {
            out.children
                .insert((family, r.try_get("child_id")?), day.clone());
        }
    }
    for sql in [
        "SELECT b.family_id, b.child_id, MAX(b.day) AS last FROM booking_requests b \
         JOIN families f ON f.id = b.family_id WHERE f.structure_id = $1 AND b.holds_place = 1 \
         GROUP BY b.family_id, b.child_id",
        "SELECT family_id, child_id, MAX(day) AS last FROM attendance WHERE structure_id = $1 \
         GROUP BY family_id, child_id",
    ] {
        for r in sqlx::query(sql).bind(s).fetch_all(db).await? {
            let key = (r.try_get("family_id")?, r.try_get("child_id")?);
            let last: Option<String> = r.try_get("last")?;
            if let (Some(slot), Some(last)) = (out.children.get_mut(&key), last) {
                later(slot, last);
            }
        }
    }
    out.families = floor;
    for ((family, _), last) in &out.children {
        if let Some(slot) = out.families.get_mut(family) {
            later(slot, last.clone());
        }
    }
    for r in sqlx::query(
        "SELECT a.family_id, MAX(COALESCE(d.last_seen_ms, d.created_at_ms)) AS at_ms \
         FROM devices d JOIN accounts a ON a.id = d.account_id \
         WHERE a.structure_id = $1 AND a.family_id IS NOT NULL GROUP BY a.family_id",
    )
    .bind(s)
    .fetch_all(db)
    .await?
    {
        let family: String = r.try_get("family_id")?;
        let at: Option<i64> = r.try_get("at_ms")?;
        if let (Some(slot), Some(at)) = (out.families.get_mut(&family), at) {
            later(slot, day_of_ms(at));
        }
    }
    Ok(out)
}

/// The day `days` days before `today`, as `YYYY-MM-DD`.
fn before(today: Date, days: i64) -> String {
    today
        .checked_sub(jiff::Span::new().days(days.clamp(0, 7_000_000)))
        .unwrap_or(Date::MIN)
        .to_string()
}

/// A value bound to a purge query.
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// Deletes the rows of `from_where` (a table and its condition on `$1` and `$2`), or counts
/// them in a dry run.
pub(crate) async fn rows(
    conn: &mut AnyConnection,
    dry_run: bool,
    from_where: &str,
    first: &str,
    second: Bind,
) -> AppResult<u64> {
    let sql = if dry_run {
        format!("SELECT COUNT(*) FROM {from_where}")
    } else {
        format!("DELETE FROM {from_where}")
    };
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(first.to_string());
    let query = match second {
        Bind::Text(t) => query.bind(t),
        Bind::Int(i) => query.bind(i),
    };
    if dry_run {
        let n: i64 = query.fetch_one(&mut *conn).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    } else {
        Ok(query.execute(&mut *conn).await?.rows_affected())
    }
}

/// Runs `sql` with `$1` bound to `value`; the rows it changed.
pub(crate) async fn exec(conn: &mut AnyConnection, sql: &str, value: &str) -> AppResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(value.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Drops the in-memory copies of documents that no longer exist.
pub(crate) async fn forget_documents(state: &AppState, ids: &[DocumentId]) {
    for id in ids {
        let mut slot = state.docs.lock(id).await;
        slot.loaded = None;
    }
}
