//! "Mes Documents": the offline upload queue of supporting documents.
//!
//! [`queue`] checks a file by content (PDF, JPEG, PNG, like the server) and copies its bytes
//! into the store in one transaction: once it returns, the upload survives a killed app.
//! [`send`] uploads what is waiting, one file at a time, without holding the client's lock
//! during a request; the queue's local id travels as `Idempotency-Key`, so a file sent twice
//! (a lost answer, two devices racing) arrives once. A network or server failure is kept with
//! its message and retried next time; a refusal (the server said the file is not acceptable)
//! is kept as failed and not retried. [`views`] merges the queue with the server's list, as it
//! was last fetched (readable offline).

use crate::absence_documents::{self, AbsenceLink};
use crate::client::{Inner, lock};
use crate::error::{Error, Result};
use crate::store::{self, MetaKey};
use crate::transport::{DocumentUpload, Transport};
use cartable_domain::supporting::{self as domain, DocumentStatus, SupportingDocument};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Largest file the queue takes (the server may set a lower limit).
pub const MAX_QUEUED_BYTES: usize = 10 * 1024 * 1024;

/// Where a supporting document stands, for the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DocumentState {
    /// On this device, not sent yet (offline, or the last try failed with `last_error`).
    WaitingToSend {
        last_error: Option<String>,
    },
    /// The server has it; staff have not answered yet.
    Sent,
    Accepted,
    Rejected {
        reason: String,
    },
    /// The server refused the file; it will not be sent again.
    Failed {
        error: String,
    },
}

/// One supporting document: queued on this device, on the server, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    /// Id in this device's queue (`None` for a document sent from another device).
    pub local_id: Option<String>,
    pub server_id: Option<String>,
    pub kind: String,
    pub child_id: Option<String>,
    pub file_name: String,
    pub valid_until: Option<String>,
    pub size_bytes: i64,
    #[serde(flatten)]
    pub state: DocumentState,
    /// The absence this queued document is to be joined to once the server has it (see
    /// [`crate::Client::declare_absence_with_queued_document`]); none once joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absence: Option<AbsenceLink>,
}

/// A queued file to send.
struct Pending {
    local_id: String,
    kind: String,
    child_id: Option<String>,
    valid_until: Option<String>,
    file_name: String,
    content_type: String,
    data: Vec<u8>,
}

/// Checks and queues a file; returns its local id. Durable on return.
pub(crate) fn queue(
    inner: &mut Inner,
    file_name: &str,
    bytes: &[u8],
    kind: &str,
    child_id: Option<&str>,
    valid_until: Option<jiff::civil::Date>,
    now_ms: i64,
) -> Result<String> {
    inner.session()?;
    if !domain::is_kind(kind) {
        return Err(Error::invalid(format!(
            "type de document inconnu « {kind} » (attendu : {})",
            domain::KINDS.join(", ")
        )));
    }
    if bytes.len() > MAX_QUEUED_BYTES {
        return Err(Error::invalid(format!(
            "fichier trop volumineux : {} Mo au plus",
            MAX_QUEUED_BYTES / (1024 * 1024)
        )));
    }
    let file_type = domain::check_content(bytes).map_err(|e| Error::invalid(e.to_string()))?;
    if let Some(child) = child_id
        && !crate::planning::dossier(inner)?
            .children
            .contains_key(child)
    {
        return Err(Error::invalid(format!(
            "enfant inconnu dans le dossier « {child} » (synchronisez s'il vient d'être ajouté)"
        )));
    }
    let file_name = domain::sanitize_file_name(file_name);
    let local_id = cartable_domain::ids::hex_id(rand::random::<[u8; 16]>());
    let size = i64::try_from(bytes.len()).map_err(|_| Error::invalid("fichier trop volumineux"))?;
    inner.store.write(|tx| {
        tx.execute(
            "INSERT INTO document_uploads (local_id, kind, child_id, valid_until, file_name, \
             content_type, size_bytes, data, queued_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                local_id,
                kind,
                child_id,
                valid_until.map(|d| d.to_string()),
                file_name,
                file_type.content_type(),
                size,
                bytes,
                now_ms
            ],
        )?;
        Ok(())
    })?;
    Ok(local_id)
}

/// Removes a file from the queue before the server has it (a wrong file, or one the server
/// refused). A file already sent stays: staff have it.
pub(crate) fn cancel(inner: &mut Inner, local_id: &str) -> Result<()> {
    inner.session()?;
    inner.store.write(|tx| {
        let removed = tx.execute(
            "DELETE FROM document_uploads WHERE local_id = ?1 AND server_id IS NULL",
            [local_id],
        )?;
        if removed == 1 {
            return Ok(());
        }
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM document_uploads WHERE local_id = ?1",
                [local_id],
                |r| r.get(0),
            )
            .optional()?;
        Err(Error::invalid(match exists {
            Some(_) => "document déjà envoyé : la structure l'a reçu".to_string(),
            None => format!("document inconnu dans la file d'envoi « {local_id} »"),
        }))
    })
}

/// What [`send`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    /// Files the server now has.
    pub sent: usize,
    /// Files still waiting (network or server trouble), to retry.
    pub retry_later: usize,
    /// Files the server refused (not retried).
    pub refused: usize,
    /// Absences joined to their medical note, now that the server has it (a local edit each,
    /// sent by the sync).
    pub absences_joined: usize,
}

/// A refusal that sending again would not change (the file itself, or its metadata).
fn is_permanent(e: &Error) -> bool {
    match e {
        Error::Server { status, .. } => {
            matches!(status, 400 | 403 | 404 | 409 | 413 | 415 | 422)
        }
        Error::InvalidInput(_) => true,
        _ => false,
    }
}

fn next_pending(conn: &rusqlite::Connection, after: &str) -> Result<Option<Pending>> {
    Ok(conn
        .query_row(
            "SELECT local_id, kind, child_id, valid_until, file_name, content_type, data \
             FROM document_uploads WHERE server_id IS NULL AND permanent_error = 0 \
             AND data IS NOT NULL AND local_id > ?1 ORDER BY local_id LIMIT 1",
            [after],
            |r| {
                Ok(Pending {
                    local_id: r.get(0)?,
                    kind: r.get(1)?,
                    child_id: r.get(2)?,
                    valid_until: r.get(3)?,
                    file_name: r.get(4)?,
                    content_type: r.get(5)?,
                    data: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// Sends every waiting file, then refreshes the server's list. Fails only when not signed in
/// or when the store fails; upload failures are recorded on their file.
pub(crate) fn send(shared: &Mutex<Inner>, transport: &dyn Transport) -> Result<SendReport> {
    let session = lock(shared).session()?.clone();
    let server = session.account.server_url.as_str();
    let mut report = SendReport::default();
    let mut after = String::new();
    loop {
        let Some(p) = lock(shared).store.read(|c| next_pending(c, &after))? else {
            break;
        };
        after = p.local_id.clone();
        let upload = DocumentUpload {
            idempotency_key: &p.local_id,
            kind: &p.kind,
            child_id: p.child_id.as_deref(),
            valid_until: p.valid_until.as_deref(),
            file_name: &p.file_name,
            content_type: &p.content_type,
            bytes: &p.data,
        };
        let result = transport.upload_document(server, &session.token, &upload);
        let mut inner = lock(shared);
        match result {
            Ok(doc) => {
                report.sent += 1;
                inner.store.write(|tx| {
                    tx.execute(
                        "UPDATE document_uploads SET server_id = ?1, data = NULL, error = NULL, \
                         attempts = attempts + 1 WHERE local_id = ?2",
                        params![doc.id, p.local_id],
                    )?;
                    Ok(())
                })?;
            }
            Err(e) => {
                let permanent = is_permanent(&e);
                if permanent {
                    report.refused += 1;
                } else {
                    report.retry_later += 1;
                }
                tracing::warn!(error = %e, local_id = %p.local_id, "envoi de document échoué");
                inner.store.write(|tx| {
                    tx.execute(
                        "UPDATE document_uploads SET error = ?1, permanent_error = ?2, \
                         attempts = attempts + 1 WHERE local_id = ?3",
                        params![e.to_string(), permanent, p.local_id],
                    )?;
                    Ok(())
                })?;
                if matches!(e, Error::Network(_)) {
                    // Offline: the next files would fail the same way.
                    report.retry_later += count_waiting(&inner, &after)?;
                    return Ok(report);
                }
            }
        }
    }
    match transport.list_documents(server, &session.token) {
        Ok(list) => {
            let json = serde_json::to_string(&list).map_err(|e| Error::Protocol(e.to_string()))?;
            lock(shared)
                .store
                .write(|tx| store::set_meta(tx, MetaKey::DocumentsCache, &json))?;
        }
        Err(e) => tracing::warn!(error = %e, "liste des documents non rafraîchie"),
    }
    Ok(report)
}

fn count_waiting(inner: &Inner, after: &str) -> Result<usize> {
    inner.store.read(|c| {
        let n: i64 = c.query_row(
            "SELECT COUNT(*) FROM document_uploads WHERE server_id IS NULL \
             AND permanent_error = 0 AND data IS NOT NULL AND local_id > ?1",
            [after],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    })
}

/// The queue merged with the server's list as last fetched: queued files first (oldest
/// first), then documents sent from elsewhere.
pub(crate) fn views(inner: &Inner) -> Result<Vec<DocumentView>> {
    let cached = inner
        .store
        .read(|c| store::get_meta(c, MetaKey::DocumentsCache))?;
    let server: Vec<SupportingDocument> = cached
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    let mut out: Vec<DocumentView> = inner.store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT local_id, server_id, kind, child_id, valid_until, file_name, size_bytes, \
             error, permanent_error FROM document_uploads ORDER BY queued_ms, local_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let server_id: Option<String> = r.get(1)?;
            let error: Option<String> = r.get(7)?;
            let permanent: bool = r.get(8)?;
            let state = match (&server_id, error, permanent) {
                (Some(_), _, _) => DocumentState::Sent,
                (None, Some(error), true) => DocumentState::Failed { error },
                (None, last_error, _) => DocumentState::WaitingToSend { last_error },
            };
            Ok(DocumentView {
                local_id: Some(r.get(0)?),
                server_id,
                kind: r.get(2)?,
                child_id: r.get(3)?,
                valid_until: r.get(4)?,
                file_name: r.get(5)?,
                size_bytes: r.get(6)?,
                state,
                absence: None,
            })
        })?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    })?;
    let mut links = inner.store.read(absence_documents::links)?;
    for view in &mut out {
        view.absence = view.local_id.as_ref().and_then(|id| links.remove(id));
    }
    for view in &mut out {
        if let Some(doc) = server
            .iter()
            .find(|d| Some(&d.id) == view.server_id.as_ref())
        {
            view.state = server_state(doc);
        }
    }
    let mut others: Vec<DocumentView> = server
        .iter()
        .filter(|d| !out.iter().any(|v| v.server_id.as_ref() == Some(&d.id)))
        .map(|d| DocumentView {
            local_id: None,
            server_id: Some(d.id.clone()),
            kind: d.kind.clone(),
            child_id: d.child_id.clone(),
            file_name: d.file_name.clone(),
            valid_until: d.valid_until.map(|v| v.to_string()),
            size_bytes: d.size_bytes,
            state: server_state(d),
            absence: None,
        })
        .collect();
    others.reverse();
    out.extend(others);
    Ok(out)
}

fn server_state(doc: &SupportingDocument) -> DocumentState {
    match doc.status {
        DocumentStatus::Waiting => DocumentState::Sent,
        DocumentStatus::Accepted => DocumentState::Accepted,
        DocumentStatus::Rejected => DocumentState::Rejected {
            reason: doc.reason.clone().unwrap_or_default(),
        },
    }
}
