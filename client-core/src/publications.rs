//! "Informations" and "Téléchargement": what the structure publishes for every family, read
//! from the catalogue document (so offline), with read markers and a file cache kept in the
//! store.
//!
//! A message is shown from its first day to its last by the server's clock as this device
//! estimates it, so one that ends while the phone is offline disappears on time. A fetched
//! file is kept under `downloads/` beside the store, checked against the SHA-256 the catalogue
//! gives, and dropped when the structure withdraws or replaces it.

use crate::client::Inner;
use crate::clock::paris_date;
use crate::error::{Error, Result};
use crate::planning::catalogue;
use crate::transport::Transport;
use cartable_domain::catalogue::Contact;
use cartable_domain::ids::is_valid_id;
use cartable_domain::information::Download;
use cartable_domain::supporting::sanitize_file_name;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Folder of cached files, inside the store directory.
pub const DOWNLOADS_DIR: &str = "downloads";

/// One message of "Informations".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InformationView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub published_from: String,
    /// Empty when shown until withdrawn.
    pub published_until: String,
    pub updated_at_ms: i64,
    /// False for a message never opened, or changed since it was.
    pub read: bool,
}

/// The "Informations" screen: the structure's contact details and its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InformationPage {
    pub structure_name: String,
    pub contact: Contact,
    /// Newest first.
    pub messages: Vec<InformationView>,
    pub unread: usize,
}

/// One file of "Téléchargement".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadView {
    pub id: String,
    #[serde(flatten)]
    pub download: Download,
    /// Where the file is on this device when fetched (readable offline).
    pub local_path: Option<String>,
}

fn read_markers(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare_cached("SELECT info_id, updated_at_ms FROM information_read")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The messages shown at `server_now_ms`, newest first, with contact details.
pub(crate) fn information(inner: &mut Inner, server_now_ms: i64) -> Result<InformationPage> {
    let catalogue = catalogue(inner)?;
    let today = paris_date(server_now_ms);
    let markers = inner.store.read(read_markers)?;
    let mut messages: Vec<InformationView> = catalogue
        .information
        .into_iter()
        .filter(|(_, m)| m.shown_on(today))
        .map(|(id, m)| InformationView {
            read: markers.get(&id).is_some_and(|at| *at >= m.updated_at_ms),
            id,
            title: m.title,
            body: m.body,
            published_from: m.published_from,
            published_until: m.published_until,
            updated_at_ms: m.updated_at_ms,
        })
        .collect();
    messages.sort_by(|a, b| {
        (&b.published_from, b.updated_at_ms, &b.id).cmp(&(
            &a.published_from,
            a.updated_at_ms,
            &a.id,
        ))
    });
    Ok(InformationPage {
        structure_name: catalogue.structure_name,
        contact: catalogue.contact,
        unread: messages.iter().filter(|m| !m.read).count(),
        messages,
    })
}

/// Marks a message as read (as it stands now).
pub(crate) fn mark_read(inner: &mut Inner, id: &str) -> Result<()> {
    let catalogue = catalogue(inner)?;
    let message = catalogue
        .information
        .get(id)
        .ok_or_else(|| Error::invalid(format!("information inconnue « {id} »")))?;
    let at = message.updated_at_ms;
    inner.store.write(|tx| {
        tx.execute(
            "INSERT INTO information_read (info_id, updated_at_ms) VALUES (?1, ?2) \
             ON CONFLICT (info_id) DO UPDATE SET updated_at_ms = excluded.updated_at_ms",
            params![id, at],
        )?;
        Ok(())
    })
}

/// A cached file, if it is still the published one and still on disk.
fn cached(conn: &Connection, dir: &Path, id: &str, sha256: &str) -> Result<Option<PathBuf>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT sha256, path FROM download_files WHERE download_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row
        .filter(|(sha, _)| sha == sha256)
        .map(|(_, path)| dir.join(path))
        .filter(|path| path.is_file()))
}

/// The files on offer, each with its local copy if fetched.
pub(crate) fn downloads(inner: &mut Inner) -> Result<Vec<DownloadView>> {
    let catalogue = catalogue(inner)?;
    let dir = inner.store.dir().to_path_buf();
    let mut views = Vec::with_capacity(catalogue.downloads.len());
    for (id, download) in catalogue.downloads {
        let local = inner
            .store
            .read(|c| cached(c, &dir, &id, &download.sha256))?;
        views.push(DownloadView {
            id,
            local_path: local.map(|p| p.to_string_lossy().into_owned()),
            download,
        });
    }
    views.sort_by(|a, b| {
        (b.download.published_at_ms, &a.id).cmp(&(a.download.published_at_ms, &b.id))
    });
    Ok(views)
}

/// The local path of file `id`, fetching it first when it is not cached (needs the network
/// then). The content must match the catalogue's SHA-256.
pub(crate) fn fetch(
    inner: &Mutex<Inner>,
    transport: &dyn Transport,
    id: &str,
    now_ms: i64,
) -> Result<PathBuf> {
    if !is_valid_id(id) {
        return Err(Error::invalid(format!(
            "identifiant de fichier invalide « {id} »"
        )));
    }
    let (download, dir, server_url, token) = {
        let mut guard = crate::client::lock(inner);
        let catalogue = catalogue(&mut guard)?;
        let download = catalogue
            .downloads
            .get(id)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("fichier inconnu « {id} »")))?;
        let dir = guard.store.dir().to_path_buf();
        if let Some(path) = guard
            .store
            .read(|c| cached(c, &dir, id, &download.sha256))?
        {
            return Ok(path);
        }
        let session = guard.session()?;
        (
            download,
            dir,
            session.account.server_url.clone(),
            session.token.clone(),
        )
    };
    // The network call runs without the client's lock.
    let bytes = transport.fetch_download(&server_url, &token, id)?;
    if hex::encode(Sha256::digest(&bytes)) != download.sha256 {
        return Err(Error::Protocol(
            "fichier reçu différent de celui publié : synchronisez puis réessayez".into(),
        ));
    }
    let relative = PathBuf::from(DOWNLOADS_DIR)
        .join(id)
        .join(sanitize_file_name(&download.file_name));
    let path = dir.join(&relative);
    let folder = path
        .parent()
        .ok_or_else(|| Error::Storage("dossier de téléchargement invalide".into()))?;
    std::fs::create_dir_all(folder)
        .and_then(|()| {
            let part = path.with_extension("part");
            std::fs::write(&part, &bytes)?;
            std::fs::rename(&part, &path)
        })
        .map_err(|e| Error::Storage(format!("écriture de {} : {e}", path.display())))?;
    let mut guard = crate::client::lock(inner);
    guard.store.write(|tx| {
        tx.execute(
            "INSERT INTO download_files (download_id, sha256, path, fetched_ms) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (download_id) DO UPDATE SET \
             sha256 = excluded.sha256, path = excluded.path, fetched_ms = excluded.fetched_ms",
            params![id, download.sha256, relative.to_string_lossy(), now_ms],
        )?;
        Ok(())
    })?;
    Ok(path)
}

/// Drops cached files the structure withdrew or replaced. Returns how many were removed.
pub(crate) fn prune(inner: &mut Inner) -> Result<usize> {
    let cached: i64 = inner
        .store
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM download_files", [], |r| r.get(0))?))?;
    if cached == 0 {
        return Ok(0);
    }
    let offered = catalogue(inner)?.downloads;
    let dir = inner.store.dir().to_path_buf();
    let rows: Vec<(String, String, String)> = inner.store.read(|c| {
        let mut stmt = c.prepare("SELECT download_id, sha256, path FROM download_files")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    let stale: Vec<(String, String)> = rows
        .into_iter()
        .filter(|(id, sha, _)| offered.get(id).is_none_or(|d| d.sha256 != *sha))
        .map(|(id, _, path)| (id, path))
        .collect();
    for (id, path) in &stale {
        let file = dir.join(path);
        if let Err(e) = std::fs::remove_file(&file)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, file = %file.display(), "cached download not removed");
        }
        if let Some(folder) = file.parent() {
            let _ = std::fs::remove_dir(folder);
        }
        inner.store.write(|tx| {
            tx.execute("DELETE FROM download_files WHERE download_id = ?1", [id])?;
            Ok(())
        })?;
    }
    Ok(stale.len())
}

/// Deletes every cached file (logout).
pub(crate) fn wipe_files(dir: &Path) {
    let folder = dir.join(DOWNLOADS_DIR);
    if let Err(e) = std::fs::remove_dir_all(&folder)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, folder = %folder.display(), "cached downloads not removed");
    }
}
