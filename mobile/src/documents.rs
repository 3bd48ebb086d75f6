//! "Mes Documents": supporting documents (QF certificate, insurance, PAI...) queued on the
//! phone, sent to the structure, and what staff answered.
//!
//! A file is checked by content (PDF, JPEG or PNG; a text file renamed `.pdf` is refused) and
//! copied into the local store before `queueDocument` returns, so it survives a killed app;
//! it is sent by `sendDocuments()` and at the end of every `sync()`.

use crate::client::CartableClient;
use crate::error::Result;
use crate::guard::{core, guarded};
use crate::planning::parse_date;
use cartable_core::domain::supporting;

/// One choice of a document-kind picker.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentKindOption {
    /// The value to pass as `kind` to `queueDocument`, e.g. `insurance`.
    pub code: String,
    /// French label, capitalised for a picker ("Attestation d'assurance").
    pub label: String,
}

/// The kinds of supporting document a family may send, in display order, with their French
/// labels (for the picker of "Mes Documents").
#[uniffi::export]
pub fn document_kind_options() -> Result<Vec<DocumentKindOption>> {
    guarded(|| {
        Ok(supporting::KINDS
            .iter()
            .map(|kind| DocumentKindOption {
                code: (*kind).to_string(),
                label: capitalised(supporting::kind_label_fr(kind)),
            })
            .collect())
    })
}

/// `text` with its first letter in upper case ("PAI" stays "PAI").
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Where a supporting document stands, for the parent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SupportingDocumentState {
    /// On this phone, not sent yet: offline, or the last try failed (`lastError`, French)
    /// and will be retried at the next `sendDocuments()` or `sync()`.
    WaitingToSend {
        /// Why the last try failed, in French; none when it was never tried.
        last_error: Option<String>,
    },
    /// The structure has it; staff have not checked it yet.
    Sent,
    /// Staff accepted it.
    Accepted,
    /// Staff rejected it: send another one.
    Rejected {
        /// Why, in French (written by staff).
        reason: String,
    },
    /// The server refused the file itself (e.g. unknown child, file too large): it will not
    /// be sent again. Queue a corrected one.
    Failed {
        /// Why, in French.
        error: String,
    },
}

/// One supporting document: queued on this phone, on the server, or both.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupportingDocument {
    /// Its id in this phone's queue (returned by `queueDocument`); none for a document sent
    /// from another device.
    pub local_id: Option<String>,
    /// Its id on the server, once sent (pass it to `declareAbsence` as `documentId`).
    pub server_id: Option<String>,
    /// Kind code, e.g. `insurance` (see `documentKindOptions()`).
    pub kind: String,
    /// French label of the kind ("attestation d'assurance").
    pub kind_label: String,
    /// The child it is about, if any.
    pub child_id: Option<String>,
    /// The file's name as kept (folders and unsafe characters removed).
    pub file_name: String,
    /// Last day it is valid, "YYYY-MM-DD", if given.
    pub valid_until: Option<String>,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where it stands.
    pub state: SupportingDocumentState,
    /// Short French label of the state for lists ("envoyé, en attente de vérification").
    pub state_label: String,
    /// The absence this queued document is to be joined to once sent (see
    /// `declareAbsenceWithQueuedDocument`); none once joined, and for other documents.
    pub absence: Option<AbsenceForDocument>,
}

/// An absence waiting for its supporting document to be sent, to be joined to it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AbsenceForDocument {
    pub child_id: String,
    /// First day, "YYYY-MM-DD".
    pub from: String,
    /// Last day, "YYYY-MM-DD".
    pub to: String,
    /// The reason given ("malade").
    pub reason: String,
}

impl From<cartable_core::AbsenceLink> for AbsenceForDocument {
    fn from(link: cartable_core::AbsenceLink) -> Self {
        Self {
            child_id: link.child_id,
            from: link.from.to_string(),
            to: link.to.to_string(),
            reason: link.reason,
        }
    }
}

impl From<cartable_core::DocumentState> for SupportingDocumentState {
    fn from(s: cartable_core::DocumentState) -> Self {
        use cartable_core::DocumentState as S;
        match s {
            S::WaitingToSend { last_error } => {
                SupportingDocumentState::WaitingToSend { last_error }
            }
            S::Sent => SupportingDocumentState::Sent,
            S::Accepted => SupportingDocumentState::Accepted,
            S::Rejected { reason } => SupportingDocumentState::Rejected { reason },
            S::Failed { error } => SupportingDocumentState::Failed { error },
        }
    }
}

impl SupportingDocumentState {
    /// Short French label for lists.
    fn label(&self) -> String {
        match self {
            SupportingDocumentState::WaitingToSend { last_error: None } => {
                "en attente d'envoi".to_string()
            }
            SupportingDocumentState::WaitingToSend {
                last_error: Some(e),
            } => format!("en attente d'envoi (dernier essai : {e})"),
            SupportingDocumentState::Sent => "envoyé, en attente de vérification".to_string(),
            SupportingDocumentState::Accepted => "accepté".to_string(),
            SupportingDocumentState::Rejected { reason } => format!("refusé : {reason}"),
            SupportingDocumentState::Failed { error } => format!("non envoyé : {error}"),
        }
    }
}

impl From<cartable_core::DocumentView> for SupportingDocument {
    fn from(d: cartable_core::DocumentView) -> Self {
        let state = SupportingDocumentState::from(d.state);
        Self {
            kind_label: supporting::kind_label_fr(&d.kind).to_string(),
            state_label: state.label(),
            local_id: d.local_id,
            server_id: d.server_id,
            kind: d.kind,
            child_id: d.child_id,
            file_name: d.file_name,
            valid_until: d.valid_until,
            size_bytes: d.size_bytes,
            state,
            absence: d.absence.map(AbsenceForDocument::from),
        }
    }
}

/// What `sendDocuments()` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SendReport {
    /// Files the structure now has.
    pub sent: u64,
    /// Files still waiting (offline, server trouble): retried at the next send or sync.
    pub retry_later: u64,
    /// Files the server refused: not retried (state `Failed`).
    pub refused: u64,
    /// Absences joined to their document now that it is sent (see
    /// `declareAbsenceWithQueuedDocument`); they reach the structure at the next `sync()`.
    pub absences_joined: u64,
}

impl From<cartable_core::SendReport> for SendReport {
    fn from(r: cartable_core::SendReport) -> Self {
        Self {
            sent: r.sent as u64,
            retry_later: r.retry_later as u64,
            refused: r.refused as u64,
            absences_joined: r.absences_joined as u64,
        }
    }
}

/// An optional text from the app: none when absent or blank.
fn optional(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[uniffi::export]
impl CartableClient {
    /// Queues a supporting document to send: `bytes` of a file named `file_name`, of `kind`
    /// (a code of `documentKindOptions()`), optionally about `child_id` and valid until
    /// `valid_until` ("YYYY-MM-DD"; none or empty: no end). Offline: the file is checked by
    /// content (PDF, JPEG or PNG, at most 10 MB) and copied into the phone's store before this
    /// returns; it is sent by `sendDocuments()` or the next `sync()`. Returns its local id
    /// (`SupportingDocument.localId`).
    ///
    /// Fails with `InvalidInput` when the file is refused (empty, truncated, not a PDF, JPEG
    /// or PNG whatever its name says, too large), the kind is unknown or the date is bad;
    /// `NotLoggedIn`.
    pub fn queue_document(
        &self,
        file_name: String,
        bytes: Vec<u8>,
        kind: String,
        child_id: Option<String>,
        valid_until: Option<String>,
    ) -> Result<String> {
        guarded(|| {
            let valid_until = optional(valid_until)
                .as_deref()
                .map(parse_date)
                .transpose()?;
            let child_id = optional(child_id);
            core(|| {
                self.core.queue_document(
                    &file_name,
                    &bytes,
                    &kind,
                    child_id.as_deref(),
                    valid_until,
                )
            })
        })
    }

    /// `queueDocument` with the file at `path` (a path the app can read, e.g. a copy in its
    /// cache folder; the file's name is kept). Offline. Fails with `InvalidInput` when the
    /// file cannot be read or is refused, as `queueDocument`.
    pub fn queue_document_file(
        &self,
        path: String,
        kind: String,
        child_id: Option<String>,
        valid_until: Option<String>,
    ) -> Result<String> {
        guarded(|| {
            let valid_until = optional(valid_until)
                .as_deref()
                .map(parse_date)
                .transpose()?;
            let child_id = optional(child_id);
            core(|| {
                self.core
                    .queue_document_file(&path, &kind, child_id.as_deref(), valid_until)
            })
        })
    }

    /// Sends the queued documents, one by one, then refreshes the list of the family's
    /// documents from the server. Needs the network, but does not fail when offline: a file
    /// that could not be sent stays queued with its error (see `documents()`) and is retried
    /// next time; one the server refused is marked `Failed`. (`sync()` sends them too.)
    ///
    /// Fails only with `NotLoggedIn` or `Storage`.
    pub fn send_documents(&self) -> Result<SendReport> {
        core(|| self.core.send_documents()).map(SendReport::from)
    }

    /// Removes a queued document (by its `local_id`) that the structure does not have yet:
    /// the wrong file picked offline, or one the server refused (`Failed`). A document
    /// already sent stays (the structure has it): `InvalidInput`. Offline.
    pub fn cancel_queued_document(&self, local_id: String) -> Result<()> {
        core(|| self.core.cancel_queued_document(&local_id))
    }

    /// "Mes Documents": the files queued on this phone (oldest first) and then those sent
    /// from other devices, each with its state as the server last listed it (after the last
    /// `sendDocuments()` or `sync()`). Offline.
    pub fn documents(&self) -> Result<Vec<SupportingDocument>> {
        core(|| self.core.documents())
            .map(|docs| docs.into_iter().map(SupportingDocument::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_capitalised_french_label() {
        let options = document_kind_options().unwrap_or_default();
        assert_eq!(options.len(), supporting::KINDS.len());
        for o in &options {
            assert!(supporting::is_kind(&o.code), "{o:?}");
            assert!(o.label.starts_with(char::is_uppercase), "{o:?}");
        }
        let insurance = options.iter().find(|o| o.code == "insurance");
        assert_eq!(
            insurance.map(|o| o.label.as_str()),
            Some("Attestation d'assurance")
        );
        assert_eq!(capitalised("PAI"), "PAI");
        assert_eq!(capitalised("état"), "État");
        assert_eq!(capitalised(""), "");
    }

    #[test]
    fn each_state_gets_its_label_and_keeps_its_reason() {
        let view = |state| cartable_core::DocumentView {
            local_id: Some("l1".into()),
            server_id: None,
            kind: "insurance".into(),
            child_id: None,
            file_name: "assurance.pdf".into(),
            valid_until: Some("2027-08-31".into()),
            size_bytes: 42,
            state,
            absence: None,
        };
        let doc = SupportingDocument::from(view(cartable_core::DocumentState::WaitingToSend {
            last_error: None,
        }));
        assert_eq!(
            doc.state,
            SupportingDocumentState::WaitingToSend { last_error: None }
        );
        assert_eq!(doc.state_label, "en attente d'envoi");
        assert_eq!(doc.kind_label, "attestation d'assurance");
        let doc = SupportingDocument::from(view(cartable_core::DocumentState::Rejected {
            reason: "illisible".into(),
        }));
        assert_eq!(doc.state_label, "refusé : illisible");
        assert_eq!(
            doc.state,
            SupportingDocumentState::Rejected {
                reason: "illisible".into()
            }
        );
    }

    #[test]
    fn blank_optional_values_count_as_absent() {
        assert_eq!(optional(Some("  ".into())), None);
        assert_eq!(optional(Some("c1".into())), Some("c1".into()));
        assert_eq!(optional(None), None);
    }
}
