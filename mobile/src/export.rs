//! "Mes données": everything the structure holds about the family, saved as one archive.

use crate::client::CartableClient;
use crate::error::Result;
use crate::guard::core;

/// A saved export of the family's data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExportSummary {
    /// Where the archive was written (the `destPath` given).
    pub path: String,
    /// Its size in bytes.
    pub size_bytes: i64,
}

impl From<cartable_core::ExportSummary> for ExportSummary {
    fn from(e: cartable_core::ExportSummary) -> Self {
        Self {
            path: e.path,
            size_bytes: i64::try_from(e.size_bytes).unwrap_or(i64::MAX),
        }
    }
}

#[uniffi::export]
impl CartableClient {
    /// Saves everything the structure holds about the family (a ZIP archive: JSON files and
    /// every document sent) to the file `dest_path` (e.g. in the app's cache folder, then
    /// shared). Needs the network. The archive is written beside `dest_path` first and renamed
    /// when complete, so `dest_path` is never a truncated archive; an existing file there is
    /// replaced.
    ///
    /// Fails with `Network` when offline, `NotLoggedIn`, `Unauthorized`, `Server`, or
    /// `Storage` when the file cannot be written.
    pub fn export_data(&self, dest_path: String) -> Result<ExportSummary> {
        core(|| self.core.export_data(&dest_path)).map(ExportSummary::from)
    }
}
