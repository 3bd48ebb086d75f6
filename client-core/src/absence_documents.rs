//! An absence declared with a medical note that is still in the upload queue.
//!
//! The planning joins an absence only to a document the server has (its id). Offline, the
//! absence is declared at once without it and the link waits in the store, beside the queued
//! file (`absence_documents`, removed with it): it survives a restart of the app. Once the file
//! is sent, [`join_sent`] declares the absence again with the document's server id, a local
//! edit that the sync sends, and forgets the link.

use crate::bulk::{self, BulkReport};
use crate::client::Inner;
use crate::error::{Error, Result};
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The absence a queued document is to be joined to once sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsenceLink {
    pub child_id: String,
    pub from: Date,
    pub to: Date,
    /// The reason given by the parent ("malade").
    pub reason: String,
}

/// Declares `child_id` absent from `from` to `to` with the queued document `local_id` as its
/// supporting document. A document the server already has is joined at once; one still
/// waiting is joined by the send that delivers it (the link is kept in the store first, so a
/// killed app still joins it). Fails with [`Error::InvalidInput`] for a document that is not
/// in the queue or that the server refused, and as [`bulk::declare_absence`] does.
pub(crate) fn declare(
    inner: &mut Inner,
    link: &AbsenceLink,
    local_id: &str,
    now_ms: i64,
) -> Result<BulkReport> {
    inner.session()?;
    let queued: Option<(Option<String>, bool)> = inner.store.read(|c| {
        Ok(c.query_row(
            "SELECT server_id, permanent_error FROM document_uploads WHERE local_id = ?1",
            [local_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
    })?;
    match queued {
        None => Err(Error::invalid(format!(
            "justificatif inconnu dans la file d'envoi « {local_id} »"
        ))),
        Some((None, true)) => Err(Error::invalid(
            "ce justificatif a été refusé par la structure : choisissez-en un autre",
        )),
        Some((Some(server_id), _)) => declare_now(inner, link, Some(&server_id), now_ms),
        Some((None, false)) => {
            inner.store.write(|tx| save(tx, local_id, link))?;
            declare_now(inner, link, None, now_ms).inspect_err(|_| {
                if let Err(e) = inner.store.write(|tx| forget(tx, local_id)) {
                    tracing::warn!(error = %e, "lien absence-justificatif non retiré");
                }
            })
        }
    }
}

fn declare_now(
    inner: &mut Inner,
    link: &AbsenceLink,
    document_id: Option<&str>,
    now_ms: i64,
) -> Result<BulkReport> {
    bulk::declare_absence(
        inner,
        &link.child_id,
        link.from,
        link.to,
        &link.reason,
        document_id,
        now_ms,
    )
}

fn save(conn: &Connection, local_id: &str, link: &AbsenceLink) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO absence_documents (local_id, child_id, from_date, to_date, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            local_id,
            link.child_id,
            link.from.to_string(),
            link.to.to_string(),
            link.reason.trim()
        ],
    )?;
    Ok(())
}

fn forget(conn: &Connection, local_id: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM absence_documents WHERE local_id = ?1",
        [local_id],
    )?;
    Ok(())
}

fn date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|e| Error::Storage(format!("date illisible dans le stockage « {text} » : {e}")))
}

/// Every link, by the local id of its queued document.
pub(crate) fn links(conn: &Connection) -> Result<HashMap<String, AbsenceLink>> {
    let mut stmt = conn
        .prepare("SELECT local_id, child_id, from_date, to_date, reason FROM absence_documents")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (local_id, child_id, from, to, reason) = row?;
        out.insert(
            local_id,
            AbsenceLink {
                child_id,
                from: date(&from)?,
                to: date(&to)?,
                reason,
            },
        );
    }
    Ok(out)
}

/// Joins every absence whose document the server now has: declares it again with the
/// document's server id (a local edit for the next sync) and forgets the link. An absence that
/// can no longer be declared (its days withdrawn meanwhile) is forgotten too; one that cannot
/// be declared yet (the planning not downloaded) waits for the next send. Returns how many
/// absences were joined.
pub(crate) fn join_sent(inner: &mut Inner, now_ms: i64) -> Result<usize> {
    let ready: Vec<(String, String)> = inner.store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT a.local_id, u.server_id FROM absence_documents a \
             JOIN document_uploads u ON u.local_id = a.local_id \
             WHERE u.server_id IS NOT NULL ORDER BY u.queued_ms, a.local_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    })?;
    if ready.is_empty() {
        return Ok(0);
    }
    let all = inner.store.read(links)?;
    let mut joined = 0;
    for (local_id, server_id) in ready {
        let Some(link) = all.get(&local_id) else {
            continue;
        };
        match declare_now(inner, link, Some(&server_id), now_ms) {
            Ok(_) => joined += 1,
            Err(e @ Error::InvalidInput(_)) => {
                tracing::warn!(error = %e, "absence non rattachée à son justificatif");
            }
            Err(e) => {
                tracing::warn!(error = %e, "absence à rattacher plus tard à son justificatif");
                continue;
            }
        }
        inner.store.write(|tx| forget(tx, &local_id))?;
    }
    Ok(joined)
}
