//! "Informations" and "Téléchargement": the messages and files the structure publishes for
//! every family. Both arrive with the catalogue at each `sync()` and read offline; a file is
//! fetched once (network) and then kept on the phone until the structure withdraws it.

use crate::catalogue::Contact;
use crate::client::CartableClient;
use crate::error::Result;
use crate::guard::core;

/// One message of "Informations".
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InformationMessage {
    /// The message's id (pass it to `markInformationRead`).
    pub id: String,
    /// Title, e.g. "Inscriptions aux vacances de Noël".
    pub title: String,
    /// Plain text; paragraphs separated by blank lines.
    pub body: String,
    /// First day it is shown, "YYYY-MM-DD".
    pub published_from: String,
    /// Last day it is shown, "YYYY-MM-DD" (inclusive); empty when shown until withdrawn.
    pub published_until: String,
    /// When staff last changed it (ms since the Unix epoch).
    pub updated_at_ms: i64,
    /// False for a message never marked read, or changed by staff since.
    pub read: bool,
}

impl From<cartable_core::InformationView> for InformationMessage {
    fn from(m: cartable_core::InformationView) -> Self {
        Self {
            id: m.id,
            title: m.title,
            body: m.body,
            published_from: m.published_from,
            published_until: m.published_until,
            updated_at_ms: m.updated_at_ms,
            read: m.read,
        }
    }
}

/// The "Informations" screen: how to reach the structure, and its messages shown today.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InformationPage {
    /// Name of the town hall or association.
    pub structure_name: String,
    /// How to reach it (phone, email, address, opening hours).
    pub contact: Contact,
    /// The messages shown today by the server's clock, newest first.
    pub messages: Vec<InformationMessage>,
    /// How many of `messages` are unread (for a badge).
    pub unread: u64,
}

impl From<cartable_core::InformationPage> for InformationPage {
    fn from(p: cartable_core::InformationPage) -> Self {
        Self {
            structure_name: p.structure_name,
            contact: Contact {
                phone: p.contact.phone,
                email: p.contact.email,
                address: p.contact.address,
                opening_hours: p.contact.opening_hours,
            },
            messages: p
                .messages
                .into_iter()
                .map(InformationMessage::from)
                .collect(),
            unread: p.unread as u64,
        }
    }
}

/// One file of "Téléchargement" (rules, menus, forms).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Download {
    /// The file's id (pass it to `fetchDownload`).
    pub id: String,
    /// Title, e.g. "Règlement intérieur".
    pub title: String,
    /// What it is (may be empty).
    pub description: String,
    /// The name to save or share it under, e.g. `reglement-interieur.pdf`.
    pub file_name: String,
    /// `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the content (the fetched copy is checked against it).
    pub sha256: String,
    /// When the structure published it (ms since the Unix epoch).
    pub published_at_ms: i64,
    /// Where the file is on this phone when already fetched (readable offline); none
    /// otherwise.
    pub local_path: Option<String>,
}

impl From<cartable_core::DownloadView> for Download {
    fn from(d: cartable_core::DownloadView) -> Self {
        Self {
            id: d.id,
            title: d.download.title,
            description: d.download.description,
            file_name: d.download.file_name,
            content_type: d.download.content_type,
            size_bytes: d.download.size_bytes,
            sha256: d.download.sha256,
            published_at_ms: d.download.published_at_ms,
            local_path: d.local_path,
        }
    }
}

#[uniffi::export]
impl CartableClient {
    /// "Informations": the structure's contact details and the messages shown today (by the
    /// server's clock as the phone estimates it, so a message ends on time even offline),
    /// newest first, each read or not, with the unread count. Offline; empty until the first
    /// `sync()`.
    pub fn information(&self) -> Result<InformationPage> {
        core(|| self.core.information()).map(InformationPage::from)
    }

    /// Marks message `id` of `information()` as read, on this phone. Offline. It becomes
    /// unread again if staff change it. Fails with `InvalidInput` for an unknown id.
    pub fn mark_information_read(&self, id: String) -> Result<()> {
        core(|| self.core.mark_information_read(&id))
    }

    /// "Téléchargement": the files the structure offers, newest first, each with its local
    /// copy when already fetched. Offline; empty until the first `sync()`.
    pub fn downloads(&self) -> Result<Vec<Download>> {
        core(|| self.core.downloads()).map(|d| d.into_iter().map(Download::from).collect())
    }

    /// The local path of file `id` of `downloads()`, fetched first when not on the phone yet
    /// (then it needs the network). The content is checked against the published SHA-256; the
    /// copy stays readable offline until the structure withdraws or replaces the file (it is
    /// then deleted at the next `sync()`). Open or share it from there.
    ///
    /// Fails with `InvalidInput` for an unknown id, `Network` when offline and not fetched
    /// yet, `Server` (`unreadable_response` when the file received is not the one published:
    /// sync and retry), `Storage` when it cannot be written.
    pub fn fetch_download(&self, id: String) -> Result<String> {
        core(|| self.core.fetch_download(&id)).map(|p| p.to_string_lossy().into_owned())
    }
}
