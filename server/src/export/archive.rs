//! Writing an [`Export`] as a ZIP file on disk (a temporary file in the data folder, deleted
//! when dropped), one family file at a time so that memory stays bounded by the largest file.

use super::Export;
use crate::AppState;
use crate::error::{AppError, AppResult};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("écriture de l'archive : {e}"))
}

/// Runs `f` on the writer in a blocking thread and gives the writer back.
async fn on_writer(
    mut writer: ZipWriter<File>,
    f: impl FnOnce(&mut ZipWriter<File>) -> AppResult<()> + Send + 'static,
) -> AppResult<ZipWriter<File>> {
    tokio::task::spawn_blocking(move || f(&mut writer).map(|()| writer))
        .await
        .map_err(failed)?
}

/// Writes the archive and returns it rewound, with its size in bytes.
pub async fn write(
    state: &AppState,
    export: Export,
    modified: jiff::civil::DateTime,
) -> AppResult<(File, u64)> {
    // Beside the data (same disk, same protection), deleted when dropped.
    let file = tempfile::tempfile_in(&state.settings.data_dir).map_err(failed)?;
    let stamp = zip::DateTime::try_from(modified).unwrap_or_default();
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp);
    // PDF, JPEG and PNG are compressed already.
    let stored = deflated.compression_method(CompressionMethod::Stored);
    let entries = export.entries;
    let mut writer = on_writer(ZipWriter::new(file), move |w| {
        for (path, bytes) in entries {
            w.start_file(path, deflated).map_err(failed)?;
            w.write_all(&bytes).map_err(failed)?;
        }
        Ok(())
    })
    .await?;
    for (path, key) in export.files {
        let bytes = crate::objects::load(state, &key).await?;
        writer = on_writer(writer, move |w| {
            w.start_file(path, stored).map_err(failed)?;
            w.write_all(&bytes).map_err(failed)
        })
        .await?;
    }
    tokio::task::spawn_blocking(move || {
        let mut file = writer.finish().map_err(failed)?;
        let size = file.seek(SeekFrom::End(0)).map_err(failed)?;
        file.seek(SeekFrom::Start(0)).map_err(failed)?;
        Ok((file, size))
    })
    .await
    .map_err(failed)?
}
