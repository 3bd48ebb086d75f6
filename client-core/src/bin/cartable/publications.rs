//! `cartable infos`, `cartable downloads` and `cartable export`.

use crate::Output;
use crate::cli::DownloadsCommand;
use cartable_core::{Client, DownloadView, Error, InformationPage};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn render_information(page: &InformationPage, opened: Option<&str>) -> String {
    let mut out = String::new();
    let name = if page.structure_name.is_empty() {
        "Votre structure"
    } else {
        &page.structure_name
    };
    let _ = writeln!(out, "{name}");
    let c = &page.contact;
    for (label, value) in [
        ("Téléphone", &c.phone),
        ("Courriel", &c.email),
        ("Adresse", &c.address),
        ("Horaires", &c.opening_hours),
    ] {
        if !value.is_empty() {
            let _ = writeln!(out, "  {label} : {value}");
        }
    }
    if page.messages.is_empty() {
        let _ = writeln!(out, "\nAucune information pour le moment.");
        return out;
    }
    let _ = writeln!(
        out,
        "\n{} message(s), dont {} non lu(s)",
        page.messages.len(),
        page.unread
    );
    for m in &page.messages {
        let mark = if m.read { " " } else { "●" };
        let _ = writeln!(
            out,
            "\n{mark} {}  [{}]  depuis le {}",
            m.title, m.id, m.published_from
        );
        if opened == Some(m.id.as_str()) {
            for line in m.body.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// `cartable infos [--read ID]`.
pub fn infos(client: &Client, read: Option<String>) -> Result<Output, Error> {
    if let Some(id) = &read {
        client.mark_information_read(id)?;
    }
    let page = client.information()?;
    Ok(Output::new(
        render_information(&page, read.as_deref()),
        to_json(&page),
    ))
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} Ko", (bytes + 1023) / 1024)
    }
}

fn render_downloads(list: &[DownloadView]) -> String {
    if list.is_empty() {
        return "Aucun fichier à télécharger.".into();
    }
    let mut out = String::new();
    for d in list {
        let local = d
            .local_path
            .as_deref()
            .map(|p| format!("\n    sur cet appareil : {p}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  [{}]  {}, {}{}",
            d.download.title,
            d.id,
            d.download.file_name,
            size(d.download.size_bytes),
            local
        );
        if !d.download.description.is_empty() {
            let _ = writeln!(out, "    {}", d.download.description);
        }
    }
    out
}

/// `cartable downloads [list | get ID [--to PATH]]`.
pub fn downloads(client: &Client, action: Option<DownloadsCommand>) -> Result<Output, Error> {
    match action.unwrap_or(DownloadsCommand::List) {
        DownloadsCommand::List => {
            let list = client.downloads()?;
            Ok(Output::new(render_downloads(&list), to_json(&list)))
        }
        DownloadsCommand::Get { id, to } => {
            let path = client.fetch_download(&id)?;
            let mut text = format!("Fichier disponible hors ligne : {}", path.display());
            if let Some(to) = &to {
                std::fs::copy(&path, to)
                    .map_err(|e| Error::Storage(format!("copie vers {} : {e}", to.display())))?;
                let _ = write!(text, "\nCopié vers {}", to.display());
            }
            Ok(Output::new(
                text,
                json!({ "id": id, "path": path, "copied_to": to }),
            ))
        }
    }
}

/// `cartable export FILE`.
pub fn export(client: &Client, file: &Path) -> Result<Output, Error> {
    let summary = client.export_data(file)?;
    Ok(Output::new(
        format!(
            "Données de la famille enregistrées dans {} ({}).",
            summary.path,
            size(i64::try_from(summary.size_bytes).unwrap_or(i64::MAX))
        ),
        to_json(&summary),
    ))
}
