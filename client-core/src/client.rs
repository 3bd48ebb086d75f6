//! [`Client`]: the one object an app holds.
//!
//! All calls are blocking and safe from any thread (the state sits behind a mutex). A sync
//! holds the mutex only between its HTTP requests, never during one, so edits made while a sync
//! waits on the network are not blocked (they simply travel in the next round).

use crate::absence_documents::{self, AbsenceLink};
use crate::bulk::{BulkBooking, BulkReport};
use crate::clock::{self, DeviceClock, SystemClock};
use crate::conflicts::DossierConflict;
use crate::docs::DocSet;
use crate::dossier::ReviewView;
use crate::error::{Error, Result};
use crate::export::ExportSummary;
use crate::http::HttpTransport;
use crate::planning::PlanningEntry;
use crate::publications::{self, DownloadView, InformationPage};
use crate::push::PushSetup;
use crate::push::notification::Notification;
use crate::session::{Account, Session};
use crate::status::SyncStatus;
use crate::store::{self, MetaKey, Store};
use crate::sync::{self, SyncReport};
use crate::transport::Transport;
use crate::uploads::{self, DocumentView, SendReport};
use crate::view::PlanningView;
use cartable_domain::api::{DeviceSummary, ErrorCode, LoginRequest, PasswordChange};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::DocumentId;
use cartable_domain::push::{PushKind, PushPayload, PushSubscriptionView};
use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// State behind the client's mutex.
pub(crate) struct Inner {
    pub store: Store,
    pub docs: DocSet,
    pub session: Option<Session>,
}

impl Inner {
    /// The session, or [`Error::NotLoggedIn`].
    pub fn session(&self) -> Result<&Session> {
        self.session.as_ref().ok_or(Error::NotLoggedIn)
    }

    /// Last measured offset between the server clock and the device clock.
    pub fn clock_offset_ms(&self) -> Result<i64> {
        let stored = self
            .store
            .read(|c| store::get_meta(c, MetaKey::ClockOffsetMs))?;
        Ok(stored.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

/// Locks the client state. A panic in another thread cannot leave the store inconsistent
/// (every write is one transaction), so a poisoned lock is taken over.
pub(crate) fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What logging out did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LogoutOutcome {
    /// False when the server could not be told (offline): the device's token stays valid until
    /// it is revoked from another device. Local data is wiped either way.
    pub revoked_on_server: bool,
    /// Local changes that had not reached the server and were discarded.
    pub discarded_changes: usize,
}

/// The client core of one device: local store, documents, sync.
pub struct Client {
    inner: Mutex<Inner>,
    /// Serialises syncs, logins and logouts with one another.
    sync_lock: Mutex<()>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn DeviceClock>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// Opens (or creates) the store in `dir`, talking HTTP to the server and reading the
    /// system clock.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(dir, Arc::new(HttpTransport::new()), Arc::new(SystemClock))
    }

    /// Opens the store in `dir` with a given transport and device clock (tests, custom stacks).
    pub fn open_with(
        dir: impl AsRef<Path>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn DeviceClock>,
    ) -> Result<Self> {
        let store = Store::open(dir.as_ref())?;
        let session = store.read(Session::load)?;
        let actor = session.as_ref().map(|s| s.actor.clone());
        let docs = store.read(|c| DocSet::load_index(c, actor))?;
        Ok(Self {
            inner: Mutex::new(Inner {
                store,
                docs,
                session,
            }),
            sync_lock: Mutex::new(()),
            transport,
            clock,
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    fn sync_guard(&self) -> MutexGuard<'_, ()> {
        self.sync_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Signs this device in. Fails with [`Error::AlreadyLoggedIn`] if it already is. Does not
    /// sync: call [`Client::sync`] next to download the family's documents.
    pub fn login(
        &self,
        server_url: &str,
        login: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Account> {
        let _sync = self.sync_guard();
        if self.inner().session.is_some() {
            return Err(Error::AlreadyLoggedIn);
        }
        let server_url = server_url.trim();
        if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
            return Err(Error::invalid(
                "adresse du serveur invalide : elle doit commencer par https://",
            ));
        }
        if login.trim().is_empty() {
            return Err(Error::invalid("identifiant manquant"));
        }
        let known_device = self
            .inner()
            .store
            .read(|c| store::get_meta(c, MetaKey::KnownDevice))?;
        let request = LoginRequest {
            login: login.trim().to_string(),
            password: password.to_string(),
            device_name: device_name.trim().to_string(),
            known_device,
        };
        let response = self.transport.login(server_url, &request)?;
        let proof = response.known_device.clone();
        let session = Session::from_login(server_url, login, response);
        let mut inner = self.inner();
        inner.store.write(|tx| {
            store::wipe(tx)?;
            if let Some(proof) = &proof {
                store::set_meta(tx, MetaKey::KnownDevice, proof)?;
            }
            session.save(tx)
        })?;
        inner.docs = DocSet::new(Some(session.actor.clone()));
        let account = session.account.clone();
        inner.session = Some(session);
        Ok(account)
    }

    /// Signs out: revokes this device's token on the server when reachable, then wipes every
    /// local document and the session.
    pub fn logout(&self) -> Result<LogoutOutcome> {
        let _sync = self.sync_guard();
        let (session, discarded_changes) = {
            let mut inner = self.inner();
            let session = inner.session()?.clone();
            let pending = crate::status::pending_changes(&mut inner)?;
            (session, pending)
        };
        let revoked_on_server = match self
            .transport
            .logout(&session.account.server_url, &session.token)
        {
            Ok(()) => true,
            // Already revoked (e.g. from another device): nothing left to revoke.
            Err(Error::Server {
                code: ErrorCode::Unauthorized,
                ..
            }) => true,
            Err(e) => {
                tracing::warn!(error = %e, "déconnexion : le serveur n'a pas pu être prévenu");
                false
            }
        };
        let mut inner = self.inner();
        inner.store.wipe()?;
        publications::wipe_files(inner.store.dir());
        crate::ledger::wipe_files(inner.store.dir());
        inner.docs = DocSet::default();
        inner.session = None;
        Ok(LogoutOutcome {
            revoked_on_server,
            discarded_changes,
        })
    }

    /// Replaces the parent's password (needs the network). Required after signing in with a
    /// one-time password ([`Account::must_change_password`]); the account's sessions on other
    /// devices end, this one goes on. The new password is checked here first with the
    /// server's own rules (12 characters at least, not a common one, not the login).
    pub fn change_password(&self, current: &str, new: &str) -> Result<()> {
        let session = self.inner().session()?.clone();
        cartable_domain::password::check_new_password(new, &session.account.login)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let change = PasswordChange {
            current_password: current.to_string(),
            new_password: new.to_string(),
        };
        self.transport
            .change_password(&session.account.server_url, &session.token, &change)?;
        let mut inner = self.inner();
        inner
            .store
            .write(|tx| store::set_meta(tx, MetaKey::MustChangePassword, "0"))?;
        if let Some(s) = inner.session.as_mut() {
            s.account.must_change_password = false;
        }
        Ok(())
    }

    /// Who this device is signed in as, if it is.
    pub fn account(&self) -> Option<Account> {
        self.inner().session.as_ref().map(|s| s.account.clone())
    }

    /// Syncs every document with the server (at most [`sync::MAX_ROUNDS`] round trips).
    /// Then sends the supporting documents waiting in the queue ([`Client::send_documents`]);
    /// their failures are kept on each document, not returned.
    pub fn sync(&self) -> Result<SyncReport> {
        let _sync = self.sync_guard();
        let mut report = sync::run(&self.inner, self.transport.as_ref(), self.clock.as_ref())?;
        match self.send_and_join() {
            // The absences just joined to their medical note go now, not at the next sync.
            Ok(sent) if sent.absences_joined > 0 => {
                match sync::run(&self.inner, self.transport.as_ref(), self.clock.as_ref()) {
                    Ok(more) => report.absorb(more),
                    Err(e) => tracing::warn!(error = %e, "absences rattachées non envoyées"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "documents non envoyés après la synchronisation"),
        }
        if let Err(e) = publications::prune(&mut self.inner()) {
            tracing::warn!(error = %e, "fichiers retirés non supprimés");
        }
        Ok(report)
    }

    /// Drops this device's changes to `doc_id` that the server refused (see
    /// [`SyncStatus::refused_changes`]), with any other change to that document not sent
    /// yet, and forgets the refusal: the next sync downloads the document again as the
    /// server has it. Fails with [`Error::InvalidInput`] when the document has no refusal.
    pub fn discard_refused_changes(&self, doc_id: &str) -> Result<()> {
        let _sync = self.sync_guard();
        let mut inner = self.inner();
        let id = DocumentId::new(doc_id);
        let Inner { store, docs, .. } = &mut *inner;
        let cleared = store.write(|tx| {
            if !crate::refusals::clear(tx, &id)? {
                return Ok(false);
            }
            store::delete_document(tx, &id)?;
            Ok(true)
        })?;
        if !cleared {
            return Err(Error::invalid(
                "aucune modification refusée pour ce document",
            ));
        }
        docs.remove(&id);
        Ok(())
    }

    /// Queues a supporting document ("Mes Documents") to send: `bytes` are checked by content
    /// (PDF, JPEG or PNG) and copied into the store before this returns, so the upload
    /// survives a restart. `kind` is one of [`cartable_domain::supporting::KINDS`]. Returns
    /// the queue's local id. Sent by [`Client::send_documents`] (and at the end of every sync).
    pub fn queue_document(
        &self,
        file_name: &str,
        bytes: &[u8],
        kind: &str,
        child_id: Option<&str>,
        valid_until: Option<Date>,
    ) -> Result<String> {
        let now = self.clock.now_ms();
        uploads::queue(
            &mut self.inner(),
            file_name,
            bytes,
            kind,
            child_id,
            valid_until,
            now,
        )
    }

    /// [`Client::queue_document`] with the file at `path` (its name is kept, sanitised).
    pub fn queue_document_file(
        &self,
        path: impl AsRef<Path>,
        kind: &str,
        child_id: Option<&str>,
        valid_until: Option<Date>,
    ) -> Result<String> {
        let path = path.as_ref();
        let unreadable = |e: std::io::Error| {
            Error::invalid(format!("fichier illisible {} : {e}", path.display()))
        };
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > uploads::MAX_QUEUED_BYTES as u64 {
            return Err(Error::invalid(format!(
                "fichier trop volumineux : {} Mo au plus",
                uploads::MAX_QUEUED_BYTES / (1024 * 1024)
            )));
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.queue_document(&name, &bytes, kind, child_id, valid_until)
    }

    /// Removes a queued supporting document (by its local id) that the server does not have
    /// yet, e.g. the wrong file picked offline or one the server refused. A sent document
    /// cannot be withdrawn from the phone.
    pub fn cancel_queued_document(&self, local_id: &str) -> Result<()> {
        uploads::cancel(&mut self.inner(), local_id)
    }

    /// Sends the queued supporting documents (a failure is kept on its document, with its
    /// message, and retried next time unless the server refused the file), then refreshes the
    /// list of the family's documents. Absences declared with a document still queued are joined to it once it is sent
    /// ([`SendReport::absences_joined`], local edits for the next sync).
    pub fn send_documents(&self) -> Result<SendReport> {
        self.send_and_join()
    }

    fn send_and_join(&self) -> Result<SendReport> {
        let mut report = uploads::send(&self.inner, self.transport.as_ref())?;
        report.absences_joined =
            absence_documents::join_sent(&mut self.inner(), self.clock.now_ms())?;
        Ok(report)
    }

    /// "Mes Documents": the queue merged with the family's documents as the server last
    /// listed them (readable offline).
    pub fn documents(&self) -> Result<Vec<DocumentView>> {
        uploads::views(&self.inner())
    }

    /// Sign-in state, last sync, pending changes and clock offset.
    pub fn status(&self) -> Result<SyncStatus> {
        crate::status::status(&mut self.inner())
    }

    /// The server's clock as this device estimates it (device clock + last measured offset),
    /// in ms since the Unix epoch. Deadlines are shown against this.
    pub fn server_now_ms(&self) -> Result<i64> {
        let offset = self.inner().clock_offset_ms()?;
        Ok(self.clock.now_ms().saturating_add(offset))
    }

    /// The school year in progress by the server's clock.
    pub fn current_school_year(&self) -> Result<SchoolYear> {
        Ok(clock::school_year_at(self.server_now_ms()?))
    }

    /// The family dossier (empty until downloaded).
    pub fn dossier(&self) -> Result<Dossier> {
        crate::dossier::read(&mut self.inner())
    }

    /// Sets one field of a child sheet; `field` is a [`cartable_domain::dossier::ChildField`]
    /// name (`school`, `diet`, `allergies` as a comma-separated list, ...).
    pub fn set_child_field(&self, child_id: &str, field: &str, value: &str) -> Result<()> {
        let now = self.server_now_ms()?;
        crate::dossier::set_child_field(&mut self.inner(), child_id, field, value, now)
    }

    /// Sets one field of an adult sheet; `field` is a
    /// [`cartable_domain::dossier::AdultField`] name (`mobile_phone`, `email`, `billing`, ...).
    pub fn set_adult_field(&self, adult_id: &str, field: &str, value: &str) -> Result<()> {
        let now = self.server_now_ms()?;
        crate::dossier::set_adult_field(&mut self.inner(), adult_id, field, value, now)
    }

    /// Adds a child sheet; returns the new child's id.
    pub fn add_child(&self, first_name: &str, last_name: &str, birth_date: &str) -> Result<String> {
        let now = self.server_now_ms()?;
        crate::dossier::add_child(&mut self.inner(), first_name, last_name, birth_date, now)
    }

    /// Adds an adult sheet; returns the new adult's id.
    pub fn add_adult(&self, first_name: &str, last_name: &str) -> Result<String> {
        let now = self.server_now_ms()?;
        crate::dossier::add_adult(&mut self.inner(), first_name, last_name, now)
    }

    /// "Je valide mes modifications": asks the structure to review the dossier as it stands
    /// on this device. Durable on return; the server records it at the next sync and answers
    /// in [`Client::dossier_review`] (pending, then approved or rejected with a reason).
    pub fn submit_dossier(&self) -> Result<()> {
        let now = self.server_now_ms()?;
        crate::dossier::submit(&mut self.inner(), now)
    }

    /// Fields of the dossier that parents set differently while offline, each with every
    /// value and who wrote it (readable offline). The dossier shows one of the values until a
    /// parent settles it: by setting the field again, or with
    /// [`Client::keep_dossier_value`].
    pub fn dossier_conflicts(&self) -> Result<Vec<DossierConflict>> {
        crate::conflicts::list(&mut self.inner())
    }

    /// "Garder cette valeur": keeps the value `value_id` (a [`ConflictingValue::id`]) of the
    /// field in conflict at `path` (a [`DossierConflict::path`]). Durable on return; every
    /// device shows that value once synced. Does nothing when the field is no longer in
    /// conflict.
    ///
    /// [`ConflictingValue::id`]: crate::ConflictingValue::id
    pub fn keep_dossier_value(&self, path: &str, value_id: &str) -> Result<()> {
        let now = self.server_now_ms()?;
        crate::conflicts::keep(&mut self.inner(), path, value_id, now)
    }

    /// Where the dossier stands with the structure (readable offline); `None` when it was
    /// never submitted nor reviewed.
    pub fn dossier_review(&self) -> Result<Option<ReviewView>> {
        crate::dossier::review(&mut self.inner())
    }

    /// Asks to book `activity_id` for `child_id` on `date`. Durable on return; the server
    /// decides at the next sync (the entry shows "pending" until then).
    ///
    /// A booking the server is certain to refuse, as this device knows from its last sync
    /// (a closed day, a public holiday, a day the activity does not run, a passed booking
    /// deadline, a child who is not eligible), is not written: it fails with
    /// [`Error::WouldBeRefused`] and the server's cause and French reason. Deadlines are
    /// judged at [`Client::server_now_ms`]. [`Client::book_insisting`] writes it anyway.
    pub fn book(&self, child_id: &str, date: Date, activity_id: &str) -> Result<()> {
        let now = self.clock.now_ms();
        let mut inner = self.inner();
        let server_now_ms = now.saturating_add(inner.clock_offset_ms()?);
        crate::planning::write_request(
            &mut inner,
            child_id,
            date,
            activity_id,
            crate::planning::Ask::Book { server_now_ms },
            now,
        )
    }

    /// Asks to book a cell even though the server will refuse it (see [`Client::book`]): the
    /// request is written as is and the structure's staff may accept it by an override; until
    /// then the server's refusal shows at the next sync. Unknown children and activities, and
    /// days the activity never runs on, are still refused.
    pub fn book_insisting(&self, child_id: &str, date: Date, activity_id: &str) -> Result<()> {
        let now = self.clock.now_ms();
        crate::planning::write_request(
            &mut self.inner(),
            child_id,
            date,
            activity_id,
            crate::planning::Ask::BookInsisting,
            now,
        )
    }

    /// Asks to withdraw a booking of `activity_id` for `child_id` on `date`. Never refused on
    /// the device: after the cancellation deadline the server keeps the booking and bills it.
    pub fn cancel(&self, child_id: &str, date: Date, activity_id: &str) -> Result<()> {
        let now = self.clock.now_ms();
        crate::planning::write_request(
            &mut self.inner(),
            child_id,
            date,
            activity_id,
            crate::planning::Ask::Withdraw,
            now,
        )
    }

    /// The requests of a school year (default: the current one by the server's clock), each
    /// with what the server decided, sorted by date, child and activity.
    pub fn planning(&self, school_year: Option<SchoolYear>) -> Result<Vec<PlanningEntry>> {
        let year = match school_year {
            Some(y) => y,
            None => self.current_school_year()?,
        };
        crate::planning::entries(&mut self.inner(), year)
    }

    /// "Mon Planning" from `from` to `to` (inclusive, at most a year): one row per day, one
    /// column per child × activity, every cell computed offline with the server's rules at
    /// [`Client::server_now_ms`]. `children` restricts the view to these child ids (default:
    /// every child of the dossier, in first-name order).
    pub fn planning_view(
        &self,
        children: Option<Vec<String>>,
        from: Date,
        to: Date,
    ) -> Result<PlanningView> {
        let mut inner = self.inner();
        let offset = inner.clock_offset_ms()?;
        let now = self.clock.now_ms().saturating_add(offset);
        crate::view::build(&mut inner, children.as_deref(), from, to, now, offset)
    }

    /// The planning of the week (Monday to Sunday) containing `any_day`, every child.
    pub fn planning_week(&self, any_day: Date) -> Result<PlanningView> {
        let days = cartable_domain::cells::week_days(any_day);
        self.planning_view(None, days[0], days[6])
    }

    /// The planning of the month containing `any_day`, every child.
    pub fn planning_month(&self, any_day: Date) -> Result<PlanningView> {
        let days = cartable_domain::cells::month_days(any_day);
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Err(Error::invalid(format!("mois invalide : {any_day}")));
        };
        self.planning_view(None, *first, *last)
    }

    /// Books a weekly pattern for several children over a period, in one durable local edit
    /// per planning document. Each cell is a request of its own that the server decides at the
    /// next sync. Cells already booked are not written, nor those the server is certain to
    /// refuse (closed days, public holidays, days the activity does not run, passed booking
    /// deadlines, a child not eligible, as [`Client::book`] refuses them): the report lists
    /// each with the server's reason.
    pub fn book_pattern(&self, booking: BulkBooking) -> Result<BulkReport> {
        let now = self.clock.now_ms();
        let mut inner = self.inner();
        let server_now_ms = now.saturating_add(inner.clock_offset_ms()?);
        crate::bulk::write_pattern(
            &mut inner,
            &booking,
            crate::bulk::PatternEdit::Book { server_now_ms },
            now,
        )
    }

    /// Withdraws every booking of the pattern (cells booked or asked for), in one durable
    /// local edit per planning document; the server decides each (late ones are kept and
    /// billed).
    pub fn cancel_pattern(&self, booking: BulkBooking) -> Result<BulkReport> {
        let now = self.clock.now_ms();
        crate::bulk::write_pattern(
            &mut self.inner(),
            &booking,
            crate::bulk::PatternEdit::Withdraw,
            now,
        )
    }

    /// Declares `child_id` absent on every booked day from `from` to `to` (each booked
    /// activity of those days), with a reason and optionally a supporting document already
    /// sent. The server decides at the next sync whether each day is billed. Fails when no day
    /// of the period is booked.
    pub fn declare_absence(
        &self,
        child_id: &str,
        from: Date,
        to: Date,
        reason: &str,
        document_id: Option<String>,
    ) -> Result<BulkReport> {
        let now = self.clock.now_ms();
        crate::bulk::declare_absence(
            &mut self.inner(),
            child_id,
            from,
            to,
            reason,
            document_id.as_deref(),
            now,
        )
    }

    /// [`Client::declare_absence`] with a medical note queued on this device (`local_id` of
    /// [`Client::queue_document`]) as its supporting document. A note the server already has
    /// is joined at once; otherwise the absence is declared now without it and the link is
    /// kept in the store with the queued file: the send that delivers the note (by
    /// [`Client::send_documents`] or a sync, after a restart too) joins it. Fails with
    /// [`Error::InvalidInput`] for a document not in the queue or refused by the server.
    pub fn declare_absence_with_queued_document(
        &self,
        child_id: &str,
        from: Date,
        to: Date,
        reason: &str,
        local_id: &str,
    ) -> Result<BulkReport> {
        let now = self.clock.now_ms();
        let link = AbsenceLink {
            child_id: child_id.to_string(),
            from,
            to,
            reason: reason.trim().to_string(),
        };
        absence_documents::declare(&mut self.inner(), &link, local_id, now)
    }

    /// The structure's catalogue: activities and contact (empty until downloaded).
    pub fn catalogue(&self) -> Result<Catalogue> {
        crate::planning::catalogue(&mut self.inner())
    }

    /// "Informations": the structure's contact details and the messages shown today (by the
    /// server's clock), newest first, each marked read or not. Works offline.
    pub fn information(&self) -> Result<InformationPage> {
        let now = self.server_now_ms()?;
        publications::information(&mut self.inner(), now)
    }

    /// Marks a message of [`Client::information`] as read; it becomes unread again if staff
    /// change it.
    pub fn mark_information_read(&self, id: &str) -> Result<()> {
        publications::mark_read(&mut self.inner(), id)
    }

    /// "Téléchargement": the files the structure offers, newest first, with their local copy
    /// when already fetched. Works offline.
    pub fn downloads(&self) -> Result<Vec<DownloadView>> {
        publications::downloads(&mut self.inner())
    }

    /// The local path of a published file, fetched first when not cached (then it needs the
    /// network). The file stays readable offline until the structure withdraws it.
    pub fn fetch_download(&self, id: &str) -> Result<std::path::PathBuf> {
        let now = self.clock.now_ms();
        publications::fetch(&self.inner, self.transport.as_ref(), id, now)
    }

    /// Saves everything the structure holds about the family (a ZIP archive of JSON files and
    /// every document sent) to `dest` (needs the network).
    pub fn export_data(&self, dest: impl AsRef<Path>) -> Result<ExportSummary> {
        crate::export::export_to(&self.inner, self.transport.as_ref(), dest.as_ref())
    }

    /// The devices signed in to this account (needs the network).
    /// "Mes Factures": invoices, credit notes and statements, newest first, with their status
    /// on the server's date (offline: from the last sync).
    pub fn invoices(&self) -> Result<Vec<crate::ledger::InvoiceView>> {
        let now = self.server_now_ms()?;
        crate::ledger::invoices(&mut self.inner(), now)
    }

    /// The balance (payments + credit notes − invoices) and the payments received.
    pub fn balance(&self) -> Result<crate::ledger::BalanceView> {
        let now = self.server_now_ms()?;
        crate::ledger::balance(&mut self.inner(), now)
    }

    /// The price of a booking before it is made, computed offline with the structure's
    /// tariffs and the family's quotient familial.
    pub fn booking_price(
        &self,
        child_id: &str,
        date: Date,
        activity_id: &str,
    ) -> Result<crate::ledger::PriceQuote> {
        crate::ledger::price(&mut self.inner(), child_id, date, activity_id)
    }

    /// The PDF of invoice `number` on this device, fetched once (needs the network the
    /// first time) and kept for offline reading.
    pub fn invoice_pdf(&self, number: &str) -> Result<std::path::PathBuf> {
        crate::ledger::fetch_pdf(&self.inner, self.transport.as_ref(), number)
    }

    pub fn devices(&self) -> Result<Vec<DeviceSummary>> {
        let session = self.inner().session()?.clone();
        self.transport
            .devices(&session.account.server_url, &session.token)
    }

    /// Revokes another device of this account (needs the network).
    pub fn revoke_device(&self, device_id: &str) -> Result<()> {
        if !cartable_domain::ids::is_valid_id(device_id) {
            return Err(Error::invalid(format!(
                "identifiant d'appareil invalide « {device_id} »"
            )));
        }
        let session = self.inner().session()?.clone();
        self.transport
            .revoke_device(&session.account.server_url, &session.token, device_id)
    }

    /// Push notifications, step 1: what the app subscribes to its push service with (the
    /// server's VAPID key, this device's `p256dh` and `auth`). The device's keys are created
    /// the first time and kept in the store (needs the network for the server's key).
    pub fn push_setup(&self) -> Result<PushSetup> {
        crate::push::setup(&self.inner, self.transport.as_ref())
    }

    /// Push notifications, step 2: registers the `endpoint` the push service gave and the
    /// kinds wanted on this device (call again to change them; needs the network).
    pub fn register_push(
        &self,
        endpoint: &str,
        kinds: &[PushKind],
    ) -> Result<PushSubscriptionView> {
        crate::push::register(&self.inner, self.transport.as_ref(), endpoint, kinds)
    }

    /// The server's record of this device's subscription, `None` when not subscribed.
    pub fn push_subscription(&self) -> Result<Option<PushSubscriptionView>> {
        crate::push::subscription(&self.inner, self.transport.as_ref())
    }

    /// Stops push notifications to this device (logging out does it too).
    pub fn unregister_push(&self) -> Result<()> {
        crate::push::unregister(&self.inner, self.transport.as_ref())
    }

    /// Decrypts a received push message (the raw `aes128gcm` body) without touching the
    /// network: which event happened and which documents to sync.
    pub fn open_push(&self, body: &[u8]) -> Result<PushPayload> {
        crate::push::open(&self.inner(), body)
    }

    /// The notification to show for `payload`, written from the data on this device (sync
    /// first so that it is up to date).
    pub fn push_notification(&self, payload: &PushPayload) -> Result<Notification> {
        crate::push::notification::build(&mut self.inner(), payload)
    }

    /// A received push message, start to finish: decrypted, the device synced (best
    /// effort: offline, the notification is built from what the device has), and the
    /// notification to show.
    pub fn receive_push(&self, body: &[u8]) -> Result<ReceivedPush> {
        let payload = self.open_push(body)?;
        let sync_error = self.sync().err().map(|e| e.to_string());
        let notification = self.push_notification(&payload)?;
        Ok(ReceivedPush {
            notification,
            payload,
            sync_error,
        })
    }
}

/// What [`Client::receive_push`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedPush {
    pub notification: Notification,
    pub payload: PushPayload,
    /// Why the sync before building the notification failed (offline...), if it did.
    pub sync_error: Option<String>,
}
