//! Records about the device: who it is signed in as, what a sync did, the sync status.

use crate::dossier::DossierReview;
use crate::news::{AbsenceNews, DecisionNews};
use cartable_core::domain::DocKind;

/// Who this device is signed in as. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    /// Base URL of the server, e.g. `https://portail.mairie.fr`.
    pub server_url: String,
    /// The parent's account id.
    pub account_id: String,
    /// The family this parent belongs to.
    pub family_id: String,
    /// The town hall or association.
    pub structure_id: String,
    /// This device's id (see `devices`).
    pub device_id: String,
    /// The parent's name, for greetings ("Camille Martin").
    pub display_name: String,
    /// The login name used to sign in.
    pub login: String,
    /// The password used was one-time: show the "choose your password" screen and call
    /// `changePassword` before anything else.
    pub must_change_password: bool,
}

impl From<cartable_core::Account> for Account {
    fn from(a: cartable_core::Account) -> Self {
        Self {
            server_url: a.server_url,
            account_id: a.account_id,
            family_id: a.family_id,
            structure_id: a.structure_id,
            device_id: a.device_id,
            display_name: a.display_name,
            login: a.login,
            must_change_password: a.must_change_password,
        }
    }
}

/// What logging out did. Local data is wiped in every case.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogoutOutcome {
    /// False when the server could not be told (offline): this device's token stays valid
    /// until it is revoked from another device. Worth a warning to the parent.
    pub revoked_on_server: bool,
    /// Changes made on this device that had not reached the server and were discarded.
    pub discarded_changes: u64,
}

impl From<cartable_core::LogoutOutcome> for LogoutOutcome {
    fn from(o: cartable_core::LogoutOutcome) -> Self {
        Self {
            revoked_on_server: o.revoked_on_server,
            discarded_changes: o.discarded_changes as u64,
        }
    }
}

/// The kinds of synced document, i.e. the screens to refresh after a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DocumentKind {
    /// "Mon dossier": children and adults.
    Dossier,
    /// "Mon planning" of one school year.
    Planning,
    /// The structure's activities and contact.
    Catalogue,
    /// "Mes Factures": invoices, payments, balance.
    Ledger,
}

impl From<DocKind> for DocumentKind {
    fn from(k: DocKind) -> Self {
        match k {
            DocKind::Dossier => DocumentKind::Dossier,
            DocKind::Planning => DocumentKind::Planning,
            DocKind::Catalogue => DocumentKind::Catalogue,
            DocKind::Ledger => DocumentKind::Ledger,
        }
    }
}

/// A document that received changes from the server during a sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChangedDocument {
    /// The document's id.
    pub doc_id: String,
    /// Which screen shows it.
    pub kind: DocumentKind,
    /// For a planning, its school year ("2026-2027").
    pub school_year: Option<String>,
}

/// Writes of this device that the server undid because only the server may write them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Compensation {
    /// The document concerned.
    pub doc_id: String,
    /// The paths that were written back, e.g. `review/status`.
    pub paths: Vec<String>,
}

/// A document whose changes made on this phone the server refused. Its changes are no longer
/// sent (it still receives the structure's news); show `reason` and offer
/// `discardRefusedChanges(docId)`, which drops this phone's unsent changes to it and
/// downloads it again.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefusedChanges {
    pub doc_id: String,
    /// The server's code: `invalid_change`, `change_too_large`, `corrupt_change`,
    /// `forged_actor` or `read_only_document`.
    pub code: String,
    /// The server's explanation, in French.
    pub reason: String,
    /// When it was refused (device clock, ms since the Unix epoch).
    pub at_ms: i64,
}

impl From<cartable_core::RefusedChanges> for RefusedChanges {
    fn from(r: cartable_core::RefusedChanges) -> Self {
        Self {
            doc_id: r.doc_id.to_string(),
            code: r.code.as_str().to_string(),
            reason: r.message,
            at_ms: r.at_ms,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// HTTP round trips made (1 when the device was already up to date).
    pub rounds: u32,
    /// Documents that received changes: refresh the screens showing them.
    pub docs_changed: Vec<ChangedDocument>,
    /// Writes of this device that the server undid (normally none).
    pub compensations: Vec<Compensation>,
    /// Documents whose changes made on this phone the server refused (normally none).
    pub refused_changes: Vec<RefusedChanges>,
    /// What the structure decided since the last sync, to announce (date order).
    pub decided: Vec<DecisionNews>,
    /// Absences the structure answered since the last sync.
    pub absences_decided: Vec<AbsenceNews>,
    /// The dossier's review, when the structure received or answered it since the last sync.
    pub dossier_review: Option<DossierReview>,
}

impl From<cartable_core::SyncReport> for SyncReport {
    fn from(r: cartable_core::SyncReport) -> Self {
        Self {
            rounds: r.rounds,
            docs_changed: r
                .docs_changed
                .into_iter()
                .map(|d| ChangedDocument {
                    doc_id: d.doc_id.to_string(),
                    kind: d.kind.into(),
                    school_year: d.school_year,
                })
                .collect(),
            compensations: r
                .compensations
                .into_iter()
                .map(|c| Compensation {
                    doc_id: c.doc_id.to_string(),
                    paths: c.paths,
                })
                .collect(),
            refused_changes: r
                .refused_changes
                .into_iter()
                .map(RefusedChanges::from)
                .collect(),
            decided: r.decided.into_iter().map(DecisionNews::from).collect(),
            absences_decided: r
                .absences_decided
                .into_iter()
                .map(AbsenceNews::from)
                .collect(),
            dossier_review: r.dossier_review.map(DossierReview::from),
        }
    }
}

/// The device's sync status, for a "last synced" line or a settings screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    /// True when a parent is signed in on this device.
    pub logged_in: bool,
    /// The server signed in to.
    pub server_url: Option<String>,
    /// The parent's account id.
    pub account_id: Option<String>,
    /// The family's id.
    pub family_id: Option<String>,
    /// The signed-in parent's name, for greetings.
    pub display_name: Option<String>,
    /// When the last successful sync finished (device clock, ms since the Unix epoch).
    pub last_sync_ms: Option<i64>,
    /// Why the most recent sync failed, in French; none when it succeeded.
    pub last_error: Option<String>,
    /// Changes made on this device that the server has not acknowledged yet.
    pub pending_changes: u64,
    /// Server clock minus device clock, measured at the last sync (0 before any).
    pub server_clock_offset_ms: i64,
    /// Documents whose changes made on this phone the server refused (normally none).
    pub refused_changes: Vec<RefusedChanges>,
}

impl From<cartable_core::SyncStatus> for SyncStatus {
    fn from(s: cartable_core::SyncStatus) -> Self {
        Self {
            logged_in: s.logged_in,
            server_url: s.server_url,
            account_id: s.account_id,
            family_id: s.family_id,
            display_name: s.display_name,
            last_sync_ms: s.last_sync_ms,
            last_error: s.last_error,
            pending_changes: s.pending_changes as u64,
            server_clock_offset_ms: s.server_clock_offset_ms,
            refused_changes: s
                .refused_changes
                .into_iter()
                .map(RefusedChanges::from)
                .collect(),
        }
    }
}
