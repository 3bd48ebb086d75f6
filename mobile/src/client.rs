//! [`CartableClient`]: the one object an app holds, and its screen-ready calls.
//!
//! Every method is blocking and safe to call from any thread, at the same time (the core
//! serialises what must be). Call them off the main thread: from `Dispatchers.IO` in Kotlin
//! (the `Cartable` wrapper does it), from a background `Task` or queue in Swift. Each call
//! goes through [`crate::guard`], so a bug in the core surfaces as
//! [`CartableError::Internal`] instead of crashing the app.

use crate::catalogue::{Catalogue, Device};
use crate::dossier::{AdultField, ChildField, Dossier, DossierReview};
use crate::error::Result;
use crate::guard::{core, guarded};
use crate::planning::{PlanningEntry, parse_date, parse_school_year};
use crate::session::{Account, LogoutOutcome, SyncReport, SyncStatus};
use crate::views::{BulkBooking, BulkReport, PlanningView};
use cartable_core::Client;
use std::sync::Arc;

/// The Cartable client of this device: the family's documents kept on the phone, edited
/// offline and synced with the town hall's server.
///
/// Open one per app (with `open`) and keep it for the app's lifetime. Every edit is durable
/// on the phone when the call returns and reaches the server at the next `sync`.
#[derive(Debug, uniffi::Object)]
pub struct CartableClient {
    /// The client core; the calls of each concern (`documents.rs`, `publications.rs`, ...)
    /// reach it from their own `#[uniffi::export] impl` block.
    pub(crate) core: Client,
}

#[uniffi::export]
impl CartableClient {
    /// Opens (or creates) the local store in the folder `store_dir` (e.g. the app's files
    /// directory + "/cartable"). A device signed in earlier stays signed in.
    ///
    /// Fails with `Storage` when the folder cannot be created or the store cannot be read.
    #[uniffi::constructor]
    pub fn open(store_dir: String) -> Result<Arc<Self>> {
        core(|| Client::open(&store_dir)).map(|core| Arc::new(Self { core }))
    }

    /// Signs this device in to `server_url` (e.g. `https://portail.mairie.fr`) with the
    /// parent's login and password; `device_name` shows in the device list ("Pixel de
    /// Camille"). Needs the network. Does not download anything: call `sync` next.
    ///
    /// Fails with `Unauthorized` (wrong login or password), `AlreadyLoggedIn`, `Network`,
    /// `InvalidInput` (malformed address, empty login) or `Server` (e.g. `rate_limited`).
    pub fn login(
        &self,
        server_url: String,
        login: String,
        password: String,
        device_name: String,
    ) -> Result<Account> {
        core(|| {
            self.core
                .login(&server_url, &login, &password, &device_name)
        })
        .map(Account::from)
    }

    /// Signs out: revokes this device on the server when reachable, then wipes every local
    /// document and the session. Works offline too (see `LogoutOutcome.revokedOnServer`).
    pub fn logout(&self) -> Result<LogoutOutcome> {
        core(|| self.core.logout()).map(LogoutOutcome::from)
    }

    /// Replaces the parent's password (needs the network). Required right after a login
    /// whose `Account.mustChangePassword` is true (a one-time password from the town hall);
    /// the parent's sessions on other devices end. Fails with `InvalidInput` when the new
    /// password is too short, too common or contains the login (the reason says which),
    /// `Server` with code `forbidden` when the current password is wrong, or `Network`.
    pub fn change_password(&self, current_password: String, new_password: String) -> Result<()> {
        core(|| self.core.change_password(&current_password, &new_password))
    }

    /// Who this device is signed in as, or none.
    pub fn account(&self) -> Result<Option<Account>> {
        guarded(|| Ok(self.core.account().map(Account::from)))
    }

    /// Syncs every document with the server: sends this device's edits, receives the other
    /// devices' edits and the server's decisions. One round trip when nothing changed.
    ///
    /// Fails with `Network` when offline (nothing is lost: edits stay queued),
    /// `Unauthorized` when the device was revoked, `NotLoggedIn`.
    pub fn sync(&self) -> Result<SyncReport> {
        core(|| self.core.sync()).map(SyncReport::from)
    }

    /// Drops this phone's changes to `doc_id` that the server refused (listed in
    /// `SyncStatus.refusedChanges`), with any other unsent change to that document, and
    /// forgets the refusal: the next sync downloads the document again as the structure has
    /// it. Fails with `InvalidInput` when the document has no refusal.
    pub fn discard_refused_changes(&self, doc_id: String) -> Result<()> {
        core(|| self.core.discard_refused_changes(&doc_id))
    }

    /// Sign-in state, last successful sync, last error, pending changes. Cheap, offline.
    pub fn status(&self) -> Result<SyncStatus> {
        core(|| self.core.status()).map(SyncStatus::from)
    }

    /// The server's clock as this device estimates it (device clock corrected by the offset
    /// measured at the last sync), in ms since the Unix epoch. Deadlines are shown against it.
    pub fn server_now_ms(&self) -> Result<i64> {
        core(|| self.core.server_now_ms())
    }

    /// The school year in progress by the server's clock, e.g. "2026-2027".
    pub fn current_school_year(&self) -> Result<String> {
        core(|| self.core.current_school_year()).map(|y| y.to_string())
    }

    /// The requests of a school year ("2026-2027"; none: the current one), each with the
    /// server's decision, sorted by date, child and activity. Offline.
    pub fn planning(&self, school_year: Option<String>) -> Result<Vec<PlanningEntry>> {
        guarded(|| {
            let year = school_year.as_deref().map(parse_school_year).transpose()?;
            core(|| self.core.planning(year))
        })
        .map(|entries| entries.into_iter().map(PlanningEntry::from).collect())
    }

    /// Asks to book `activity_id` for `child_id` on `date` ("YYYY-MM-DD"). Offline: durable on
    /// return, shown as `Pending` until the server decides at the next `sync` (accepted, or
    /// refused with a reason: full, dossier not approved...).
    ///
    /// Fails at once, writing nothing, with `WouldBeRefused` (the server's cause and reason)
    /// when the phone already knows the server will refuse it: closed day, public holiday,
    /// day the activity does not run, booking deadline passed, child not eligible. Fails with
    /// `InvalidInput` for an unknown child or activity or a bad date, `NotDownloaded` before
    /// the first sync.
    pub fn book(&self, child_id: String, date: String, activity_id: String) -> Result<()> {
        guarded(|| {
            let date = parse_date(&date)?;
            core(|| self.core.book(&child_id, date, &activity_id))
        })
    }

    /// Books even though the server will refuse it (after `book` failed with
    /// `WouldBeRefused` and the parent insists): the request is written and sent at the next
    /// `sync`, the server refuses it with its reason, and the structure's staff may accept it
    /// by an override. Still `InvalidInput` for an unknown child or activity, or a weekday the
    /// activity never runs on.
    pub fn book_insisting(
        &self,
        child_id: String,
        date: String,
        activity_id: String,
    ) -> Result<()> {
        guarded(|| {
            let date = parse_date(&date)?;
            core(|| self.core.book_insisting(&child_id, date, &activity_id))
        })
    }

    /// Asks to withdraw the booking of `activity_id` for `child_id` on `date` ("YYYY-MM-DD").
    /// Offline; the server decides at the next `sync` (`Cancelled`, or `KeptBillable` after
    /// the cancellation deadline).
    pub fn cancel(&self, child_id: String, date: String, activity_id: String) -> Result<()> {
        guarded(|| {
            let date = parse_date(&date)?;
            core(|| self.core.cancel(&child_id, date, &activity_id))
        })
    }

    /// "Mon planning" from `from` to `to` ("YYYY-MM-DD", inclusive, at most a year): one row
    /// per day, one column per child × activity, each cell with its state, deadlines and what
    /// a tap may do, computed offline with the server's rules. `children` restricts the view to
    /// these child ids (none: every child).
    pub fn planning_view(
        &self,
        children: Option<Vec<String>>,
        from: String,
        to: String,
    ) -> Result<PlanningView> {
        guarded(|| {
            let (from, to) = (parse_date(&from)?, parse_date(&to)?);
            core(|| self.core.planning_view(children, from, to))
        })
        .map(PlanningView::from)
    }

    /// The planning of the week (Monday to Sunday) containing `any_day` ("YYYY-MM-DD"), every
    /// child. Offline.
    pub fn planning_week(&self, any_day: String) -> Result<PlanningView> {
        guarded(|| {
            let day = parse_date(&any_day)?;
            core(|| self.core.planning_week(day))
        })
        .map(PlanningView::from)
    }

    /// The planning of the month containing `any_day` ("YYYY-MM-DD"), every child. Offline.
    pub fn planning_month(&self, any_day: String) -> Result<PlanningView> {
        guarded(|| {
            let day = parse_date(&any_day)?;
            core(|| self.core.planning_month(day))
        })
        .map(PlanningView::from)
    }

    /// Books a weekly pattern for several children over a period, in one durable local edit.
    /// Offline; each cell is decided by the server at the next `sync` (closures and deadlines
    /// come back refused with their reason). Days an activity never runs on are skipped and
    /// listed in the report.
    pub fn book_pattern(&self, booking: BulkBooking) -> Result<BulkReport> {
        guarded(|| {
            let booking = booking.to_core()?;
            core(|| self.core.book_pattern(booking))
        })
        .map(BulkReport::from)
    }

    /// Withdraws every booking of the pattern, in one durable local edit. Offline; the server
    /// decides each cell at the next `sync` (late withdrawals are kept and billed).
    pub fn cancel_pattern(&self, booking: BulkBooking) -> Result<BulkReport> {
        guarded(|| {
            let booking = booking.to_core()?;
            core(|| self.core.cancel_pattern(booking))
        })
        .map(BulkReport::from)
    }

    /// Declares `child_id` absent on every booked day from `from` to `to` ("YYYY-MM-DD"), with
    /// a reason ("malade") and optionally a supporting document already sent. Offline; the
    /// server decides at the next `sync` whether each day is billed (see the cell's
    /// `absence.outcome`). Fails with `InvalidInput` when no day of the period is booked.
    pub fn declare_absence(
        &self,
        child_id: String,
        from: String,
        to: String,
        reason: String,
        document_id: Option<String>,
    ) -> Result<BulkReport> {
        guarded(|| {
            let (from, to) = (parse_date(&from)?, parse_date(&to)?);
            core(|| {
                self.core
                    .declare_absence(&child_id, from, to, &reason, document_id)
            })
        })
        .map(BulkReport::from)
    }

    /// `declareAbsence` with a medical note queued on this phone (`documentLocalId`, from
    /// `queueDocument`) as its supporting document. Offline. A note the structure already has
    /// is joined at once; otherwise the absence is declared now and the note joined by the
    /// `sendDocuments()` or `sync()` that sends it, even after the app was closed: until then
    /// `documents()` shows the note with its `absence`. Fails with `InvalidInput` when the note
    /// is not in the queue or was refused, or when no day of the period is booked.
    pub fn declare_absence_with_queued_document(
        &self,
        child_id: String,
        from: String,
        to: String,
        reason: String,
        document_local_id: String,
    ) -> Result<BulkReport> {
        guarded(|| {
            let (from, to) = (parse_date(&from)?, parse_date(&to)?);
            core(|| {
                self.core.declare_absence_with_queued_document(
                    &child_id,
                    from,
                    to,
                    &reason,
                    &document_local_id,
                )
            })
        })
        .map(BulkReport::from)
    }

    /// The family dossier: children and adults. Empty until the first sync. Offline.
    pub fn dossier(&self) -> Result<Dossier> {
        core(|| self.core.dossier()).map(Dossier::from)
    }

    /// Sets one field of a child sheet (see `ChildField` for the value formats). Offline,
    /// durable on return; two parents editing different fields at once both keep theirs.
    pub fn set_child_field(
        &self,
        child_id: String,
        field: ChildField,
        value: String,
    ) -> Result<()> {
        core(|| {
            self.core
                .set_child_field(&child_id, field.core_name(), &value)
        })
    }

    /// Sets one field of an adult sheet (see `AdultField` for the value formats). Offline.
    pub fn set_adult_field(
        &self,
        adult_id: String,
        field: AdultField,
        value: String,
    ) -> Result<()> {
        core(|| {
            self.core
                .set_adult_field(&adult_id, field.core_name(), &value)
        })
    }

    /// Adds a child sheet (`birth_date` "YYYY-MM-DD", may be empty); returns the new child's
    /// id. Offline.
    pub fn add_child(
        &self,
        first_name: String,
        last_name: String,
        birth_date: String,
    ) -> Result<String> {
        core(|| self.core.add_child(&first_name, &last_name, &birth_date))
    }

    /// Adds an adult sheet; returns the new adult's id. Offline.
    pub fn add_adult(&self, first_name: String, last_name: String) -> Result<String> {
        core(|| self.core.add_adult(&first_name, &last_name))
    }

    /// "Je valide mes modifications": asks the structure to review the dossier as it stands on
    /// this phone. Offline, durable on return; the structure gets it at the next `sync` and
    /// answers in `dossierReview()`.
    pub fn submit_dossier(&self) -> Result<()> {
        core(|| self.core.submit_dossier())
    }

    /// Where the dossier stands with the structure (sent, pending, approved, rejected with a
    /// reason), or none when it was never submitted nor reviewed. Offline.
    pub fn dossier_review(&self) -> Result<Option<DossierReview>> {
        core(|| self.core.dossier_review()).map(|r| r.map(DossierReview::from))
    }

    /// The structure's catalogue: activities, closures, contact. Empty until the first sync.
    /// Offline.
    pub fn catalogue(&self) -> Result<Catalogue> {
        core(|| self.core.catalogue()).map(Catalogue::from)
    }

    /// The devices signed in to this account. Needs the network.
    pub fn devices(&self) -> Result<Vec<Device>> {
        core(|| self.core.devices()).map(|d| d.into_iter().map(Device::from).collect())
    }

    /// Revokes another device of this account (a lost phone). Needs the network. The revoked
    /// device gets `Unauthorized` at its next sync.
    pub fn revoke_device(&self, device_id: String) -> Result<()> {
        core(|| self.core.revoke_device(&device_id))
    }
}
