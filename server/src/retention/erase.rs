//! Erasure of a family (CNIL right to erasure, and the end of a dossier's retention period):
//! its personal data, synced documents, supporting documents and their files, logins,
//! devices, sessions and push subscriptions go; what accounting must keep stays (invoices,
//! credit notes, statements, payments and their PDFs), and the family row stays for them,
//! named as on its last invoice. Audited; a second run finds nothing left and changes nothing.

use super::{SYSTEM_ACCOUNT, exec, forget_documents};
use crate::AppState;
use crate::db::{Conn, audit};
use crate::error::{AppError, AppResult};
use cartable_domain::ids::{AccountId, DocumentId, FamilyId, StructureId};
use cartable_domain::search_key::search_key;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub family_id: String,
    /// The name the family keeps for its accounting.
    pub kept_name: String,
    /// True when the family had been erased before (nothing was left to remove).
    pub already_erased: bool,
    pub accounts: u64,
    pub devices: u64,
    pub push_subscriptions: u64,
    /// Synced documents (dossier, plannings, ledger).
    pub documents: u64,
    pub supporting_documents: u64,
    /// Files removed from the object store.
    pub files: u64,
    /// Invoices, credit notes and statements kept.
    pub invoices_kept: u64,
    pub payments_kept: u64,
}

/// The family named by `who`: its id, or the login of one of its parents.
pub async fn find_family(state: &AppState, who: &str) -> AppResult<(FamilyId, StructureId)> {
    let who = who.trim();
    let by_id = sqlx::query("SELECT id, structure_id FROM families WHERE id = $1")
        .bind(who)
        .fetch_optional(&state.db.pool)
        .await?;
    let row =
        match by_id {
            Some(row) => Some(row),
            None => sqlx::query(
                "SELECT f.id, f.structure_id FROM accounts a JOIN families f ON f.id = a.family_id \
                 WHERE a.login = $1",
            )
            .bind(who.to_lowercase())
            .fetch_optional(&state.db.pool)
            .await?,
        };
    let row = row.ok_or_else(|| {
        AppError::bad_request(format!(
            "Aucune famille ni identifiant de parent « {} » (une famille déjà effacée se \
             désigne par son numéro)",
            cartable_domain::text::shown(who, 60)
        ))
    })?;
    Ok((
        FamilyId::new(row.try_get::<String, _>("id")?),
        StructureId::new(row.try_get::<String, _>("structure_id")?),
    ))
}

/// The billing name on the family's last invoice, if it has one.
async fn billing_name(conn: &mut AnyConnection, family_id: &FamilyId) -> AppResult<Option<String>> {
    let rows = sqlx::query(
        "SELECT content FROM invoices WHERE family_id = $1 AND kind = 'invoice' \
         ORDER BY issued_at_ms DESC, seq DESC",
    )
    .bind(family_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let content: String = row.try_get("content")?;
        let name = serde_json::from_str::<serde_json::Value>(&content)
            .ok()
            .and_then(|v| v["family"]["billing_name"].as_str().map(str::to_string))
            .filter(|n| !n.trim().is_empty());
        if name.is_some() {
            return Ok(name);
        }
    }
    Ok(None)
}

/// Erases the family named by `who` (its id or a parent's login); see the module.
pub async fn erase_family(state: &AppState, who: &str) -> AppResult<Erasure> {
    let (family_id, structure_id) = find_family(state, who).await?;
    let erasure = erase(state, &family_id, &structure_id, "erase_family").await?;
    super::empty_journal(state).await?;
    Ok(erasure)
}

/// Erases `family_id`, recording `action` in the audit log when anything was removed.
pub(super) async fn erase(
    state: &AppState,
    family_id: &FamilyId,
    structure_id: &StructureId,
    action: &str,
) -> AppResult<Erasure> {
    let now_ms = state.clock.now().as_millisecond();
    let mut wtx = state.db.begin_write().await?;
    let conn: &mut AnyConnection = &mut wtx.tx;
    let f = family_id.as_str();
    let erased_at: Option<i64> = sqlx::query("SELECT erased_at_ms FROM families WHERE id = $1")
        .bind(f)
        .fetch_one(&mut *conn)
        .await?
        .try_get("erased_at_ms")?;
    let doc_ids: Vec<DocumentId> =
        sqlx::query("SELECT id FROM documents WHERE family_id = $1 ORDER BY id")
            .bind(f)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id").map(DocumentId::new))
            .collect::<Result<_, _>>()?;
    // Lock the documents first, as every writer does, then the place counters.
    for id in &doc_ids {
        crate::db::documents::lock_version(&mut Conn::Any(conn), &state.db, id).await?;
    }
    let objects: Vec<String> =
        sqlx::query("SELECT object_key FROM supporting_documents WHERE family_id = $1")
            .bind(f)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("object_key"))
            .collect::<Result<_, _>>()?;
    let held = sqlx::query(
        "SELECT activity_id, day, COUNT(*) AS n FROM booking_requests \
         WHERE family_id = $1 AND holds_place = 1 GROUP BY activity_id, day \
         ORDER BY activity_id, day",
    )
    .bind(f)
    .fetch_all(&mut *conn)
    .await?;
    let devices = "SELECT d.id FROM devices d JOIN accounts a ON a.id = d.account_id \
                   WHERE a.family_id = $1";
    let accounts = "SELECT id FROM accounts WHERE family_id = $1";
    let mut out = Erasure {
        family_id: f.to_string(),
        already_erased: erased_at.is_some(),
        ..Erasure::default()
    };
    exec(
        conn,
        &format!(
            "DELETE FROM push_deliveries WHERE subscription_id IN (SELECT id FROM \
             push_subscriptions WHERE family_id = $1 OR device_id IN ({devices})) \
             OR event_id IN (SELECT id FROM push_events WHERE family_id = $1)"
        ),
        f,
    )
    .await?;
    out.push_subscriptions = exec(
        conn,
        &format!("DELETE FROM push_subscriptions WHERE family_id = $1 OR device_id IN ({devices})"),
        f,
    )
    .await?;
    exec(conn, "DELETE FROM push_events WHERE family_id = $1", f).await?;
    exec(
        conn,
        "DELETE FROM push_expiry_reminders WHERE document_id IN \
         (SELECT id FROM supporting_documents WHERE family_id = $1)",
        f,
    )
    .await?;
    exec(
        conn,
        &format!(
            "DELETE FROM sync_states WHERE device_id IN ({devices}) \
             OR doc_id IN (SELECT id FROM documents WHERE family_id = $1)"
        ),
        f,
    )
    .await?;
    exec(
        conn,
        &format!("DELETE FROM admin_page_sessions WHERE device_id IN ({devices})"),
        f,
    )
    .await?;
    exec(
        conn,
        &format!("DELETE FROM device_actors WHERE account_id IN ({accounts})"),
        f,
    )
    .await?;
    exec(
        conn,
        "DELETE FROM compensations WHERE doc_id IN (SELECT id FROM documents WHERE family_id = $1)",
        f,
    )
    .await?;
    exec(
        conn,
        "DELETE FROM document_chunks WHERE doc_id IN \
         (SELECT id FROM documents WHERE family_id = $1)",
        f,
    )
    .await?;
    out.documents = exec(conn, "DELETE FROM documents WHERE family_id = $1", f).await?;
    out.devices = exec(
        conn,
        &format!("DELETE FROM devices WHERE account_id IN ({accounts})"),
        f,
    )
    .await?;
    exec(
        conn,
        &format!("DELETE FROM known_devices WHERE account_id IN ({accounts})"),
        f,
    )
    .await?;
    exec(
        conn,
        "DELETE FROM login_attempts WHERE key IN \
         (SELECT 'login:' || login FROM accounts WHERE family_id = $1)",
        f,
    )
    .await?;
    out.accounts = exec(conn, "DELETE FROM accounts WHERE family_id = $1", f).await?;
    for table in [
        "children",
        "adults",
        "booking_requests",
        "absences",
        "dossier_versions",
        "attendance",
        "family_quotients",
        "ledger_publications",
        "retention_purged_children",
    ] {
        exec(
            conn,
            &format!("DELETE FROM {table} WHERE family_id = $1"),
            f,
        )
        .await?;
    }
    out.supporting_documents = exec(
        conn,
        "DELETE FROM supporting_documents WHERE family_id = $1",
        f,
    )
    .await?;
    // The places the family's bookings held are free again (a rebuild counts the same).
    for row in &held {
        let activity: String = row.try_get("activity_id")?;
        let day: String = row.try_get("day")?;
        let n: i64 = row.try_get("n")?;
        sqlx::query(
            "UPDATE activity_places SET taken = taken - $1 \
             WHERE structure_id = $2 AND activity_id = $3 AND day = $4",
        )
        .bind(n)
        .bind(structure_id.as_str())
        .bind(activity)
        .bind(day)
        .execute(&mut *conn)
        .await?;
    }
    let kept_name = match billing_name(conn, family_id).await? {
        Some(name) => name,
        None => "Famille effacée".to_string(),
    };
    sqlx::query(
        "UPDATE families SET name = $2, name_key = $3, erased_at_ms = COALESCE(erased_at_ms, $4) \
         WHERE id = $1",
    )
    .bind(f)
    .bind(&kept_name)
    .bind(search_key(&kept_name))
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    out.kept_name = kept_name;
    out.invoices_kept = count(
        conn,
        "SELECT COUNT(*) FROM invoices WHERE family_id = $1",
        f,
    )
    .await?;
    out.payments_kept = count(
        conn,
        "SELECT COUNT(*) FROM payments WHERE family_id = $1",
        f,
    )
    .await?;
    let removed = out.accounts
        + out.devices
        + out.push_subscriptions
        + out.documents
        + out.supporting_documents
        + objects.len() as u64;
    if removed > 0 || !out.already_erased {
        audit::record(
            conn,
            audit::Who {
                account_id: &AccountId::new(SYSTEM_ACCOUNT),
                structure_id,
                at_ms: now_ms,
            },
            action,
            Some(family_id),
            &format!(
                "{} comptes, {} appareils, {} documents synchronisés, {} justificatifs effacés ; \
                 {} factures et {} paiements conservés",
                out.accounts,
                out.devices,
                out.documents,
                out.supporting_documents,
                out.invoices_kept,
                out.payments_kept
            ),
        )
        .await?;
    }
    wtx.commit().await?;
    forget_documents(state, &doc_ids).await;
    for key in &objects {
        crate::objects::remove(state, key, "erasure").await;
    }
    out.files = objects.len() as u64;
    tracing::info!(
        family_id = f,
        accounts = out.accounts,
        documents = out.documents,
        files = out.files,
        "family erased"
    );
    Ok(out)
}

async fn count(conn: &mut AnyConnection, sql: &str, family_id: &str) -> AppResult<u64> {
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(family_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
