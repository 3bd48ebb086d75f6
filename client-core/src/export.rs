//! "Your data": the family's archive (ZIP: JSON plus every file it sent) as the server holds
//! it, saved to a file the app then shares or stores. Needs the network.

use crate::client::Inner;
use crate::error::{Error, Result};
use crate::transport::Transport;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A saved export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    pub path: String,
    pub size_bytes: u64,
}

/// Downloads the archive to `dest` (written beside it as `.part`, renamed when complete, so
/// `dest` is never a truncated archive).
pub(crate) fn export_to(
    inner: &Mutex<Inner>,
    transport: &dyn Transport,
    dest: &Path,
) -> Result<ExportSummary> {
    let (server_url, token) = {
        let guard = crate::client::lock(inner);
        let session = guard.session()?;
        (session.account.server_url.clone(), session.token.clone())
    };
    let mut part = dest.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let storage =
        |e: std::io::Error| Error::Storage(format!("écriture de {} : {e}", dest.display()));
    let mut file = std::fs::File::create(&part).map_err(storage)?;
    let written = transport
        .export(&server_url, &token, &mut file)
        .and_then(|size| file.sync_all().map(|()| size).map_err(storage));
    drop(file);
    match written {
        Ok(size) => {
            std::fs::rename(&part, dest).map_err(storage)?;
            Ok(ExportSummary {
                path: dest.to_string_lossy().into_owned(),
                size_bytes: size,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}
