//! The sync engine against the in-memory server.

use super::fake_server::{self, CAMILLE, CANTINE, LEA, planning_id};
use super::{Family, MONDAY, NOV_20_MS};
use crate::domain::planning::RequestState;
use crate::domain::protocol::{Compensation, SyncRequest, SyncResponse};
use crate::domain::school_year::SchoolYear;
use crate::{Client, Error, MAX_ROUNDS, Transport};
use cartable_domain::api::{DeviceSummary, LoginRequest, LoginResponse};
use cartable_domain::ids::DocumentId;
use std::sync::Arc;

#[test]
fn first_sync_downloads_the_family_documents() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.open(dir.path());
    client
        .login("http://fake", "camille", "secret", "Pixel")
        .expect("login");
    assert!(client.dossier().expect("dossier").children.is_empty());

    let report = client.sync().expect("sync");

    assert_eq!(report.rounds, 2, "list of documents, then their contents");
    assert_eq!(report.docs_changed.len(), 3);
    let dossier = client.dossier().expect("dossier");
    assert_eq!(dossier.children[LEA].first_name, "Léa");
    let catalogue = client.catalogue().expect("catalogue");
    assert_eq!(catalogue.activities[CANTINE].name, "Restauration scolaire");
    assert!(client.planning(None).expect("planning").is_empty());
    let status = client.status().expect("status");
    assert_eq!(status.pending_changes, 0);
    assert!(status.last_sync_ms.is_some());
    assert_eq!(status.last_error, None);
}

#[test]
fn an_up_to_date_device_syncs_in_exactly_one_request() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");

    let calls = family.server.sync_calls();
    let report = client.sync().expect("sync");

    assert_eq!(family.server.sync_calls() - calls, 1);
    assert_eq!(report.rounds, 1);
    assert!(report.docs_changed.is_empty());
}

#[test]
fn an_up_to_date_device_still_syncs_in_one_request_after_reopening() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    drop(family.device(dir.path(), "Pixel"));
    let client = family.open(dir.path());

    let calls = family.server.sync_calls();
    client.sync().expect("sync");

    assert_eq!(
        family.server.sync_calls() - calls,
        1,
        "persisted state reused"
    );
}

#[test]
fn a_booking_reaches_the_server_in_one_request_and_comes_back_accepted() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");

    client.book(LEA, MONDAY, CANTINE).expect("book");
    let before = client.planning(None).expect("planning");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].state, RequestState::Pending);
    assert_eq!(before[0].child_name, "Léa");
    assert_eq!(client.status().expect("status").pending_changes, 1);

    let calls = family.server.sync_calls();
    let report = client.sync().expect("sync");

    assert_eq!(
        family.server.sync_calls() - calls,
        1,
        "one round trip per booking"
    );
    assert_eq!(report.rounds, 1);
    let after = client.planning(None).expect("planning");
    assert_eq!(after[0].state, RequestState::Accepted);
    assert_eq!(client.status().expect("status").pending_changes, 0);
    let on_server = family.server.planning(SchoolYear(2026));
    assert_eq!(on_server.requests.len(), 1);
}

#[test]
fn a_refusal_decided_by_the_server_shows_its_reason_after_sync() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    // Staff stop Monday canteens; this device has not heard yet.
    family.server.set_weekdays(CANTINE, vec![2, 4, 5]);

    client.book(LEA, MONDAY, CANTINE).expect("book offline");
    client.sync().expect("sync");

    let entries = client.planning(None).expect("planning");
    match &entries[0].state {
        RequestState::Refused { reason } => {
            assert!(reason.contains("Pas d'accueil le lundi"), "{reason}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_edit_survives_a_killed_process_and_is_sent_after_reopening() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client
        .set_child_field(LEA, "school", "École Jules Ferry")
        .expect("edit");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    drop(client); // the app is killed before any sync

    let reopened = family.open(dir.path());
    assert_eq!(reopened.status().expect("status").pending_changes, 2);
    reopened.sync().expect("sync");

    assert_eq!(
        family.server.dossier().children[LEA].school,
        "École Jules Ferry"
    );
    assert_eq!(
        family.server.planning(SchoolYear(2026)).requests.len(),
        1,
        "the booking made before the kill reached the server"
    );
    assert_eq!(reopened.status().expect("status").pending_changes, 0);
}

fn two_parents_edit_different_fields(first_syncs_a: bool) {
    let family = Family::new();
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = family.device(dir_a.path(), "Pixel de Camille");
    let b = family.device(dir_b.path(), "iPhone de Sam");

    // Both offline: different fields of the same sheets.
    a.set_child_field(LEA, "school", "École Jules Ferry")
        .expect("edit a");
    a.set_adult_field(CAMILLE, "mobile_phone", "06 12 34 56 78")
        .expect("edit a");
    b.set_child_field(LEA, "class", "CE1").expect("edit b");
    b.set_adult_field(CAMILLE, "billing", "oui")
        .expect("edit b");

    let (first, second) = if first_syncs_a { (&a, &b) } else { (&b, &a) };
    first.sync().expect("sync");
    second.sync().expect("sync");
    first.sync().expect("sync");

    for client in [&a, &b] {
        let d = client.dossier().expect("dossier");
        assert_eq!(d.children[LEA].school, "École Jules Ferry");
        assert_eq!(d.children[LEA].class, "CE1");
        assert_eq!(d.adults[CAMILLE].mobile_phone, "06 12 34 56 78");
        assert!(d.adults[CAMILLE].roles.billing);
    }
    assert_eq!(a.dossier().expect("dossier"), b.dossier().expect("dossier"));
    assert_eq!(a.dossier().expect("dossier"), family.server.dossier());
}

#[test]
fn two_parents_editing_different_fields_offline_both_keep_their_change_a_first() {
    two_parents_edit_different_fields(true);
}

#[test]
fn two_parents_editing_different_fields_offline_both_keep_their_change_b_first() {
    two_parents_edit_different_fields(false);
}

#[test]
fn the_server_clock_offset_is_measured_and_decides_the_school_year() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    // The phone thinks it is 31 August 2026; the server knows it is 1 September.
    let device_ms = 1_788_170_400_000; // 2026-08-31T10:00:00Z
    let server_ms = 1_788_256_800_000; // 2026-09-01T10:00:00Z
    family.clock.set(device_ms);
    family.server.set_now(server_ms);

    client.sync().expect("sync");

    let status = client.status().expect("status");
    assert_eq!(status.server_clock_offset_ms, server_ms - device_ms);
    assert_eq!(client.server_now_ms().expect("now"), server_ms);
    assert_eq!(
        client.current_school_year().expect("year"),
        SchoolYear(2026),
        "the server's date, not the phone's, picks the school year"
    );
}

#[test]
fn a_new_school_year_planning_appears_by_itself() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    family.server.add_planning(SchoolYear(2027));
    let next_monday = jiff::civil::date(2027, 9, 6);
    assert!(client.book(LEA, next_monday, CANTINE).is_err());

    let report = client.sync().expect("sync");

    assert_eq!(report.rounds, 2);
    assert!(
        report
            .docs_changed
            .iter()
            .any(|d| d.school_year.as_deref() == Some("2027-2028"))
    );
    client
        .book(LEA, next_monday, CANTINE)
        .expect("book next year");
    client.sync().expect("sync");
    let entries = client.planning(Some(SchoolYear(2027))).expect("planning");
    assert_eq!(entries[0].state, RequestState::Accepted);
}

#[test]
fn a_document_withdrawn_by_the_server_is_forgotten_and_sync_goes_on() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.sync().expect("sync");
    family.server.hide(&planning_id(SchoolYear(2026)));

    client.sync().expect("sync recovers from the 404");

    assert!(
        client
            .planning(Some(SchoolYear(2026)))
            .expect("planning")
            .is_empty()
    );
    let calls = family.server.sync_calls();
    client.sync().expect("next sync");
    assert_eq!(family.server.sync_calls() - calls, 1);
}

#[test]
fn compensations_written_back_by_the_server_are_reported() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    let c = Compensation {
        doc_id: DocumentId::new(fake_server::DOSSIER_ID),
        paths: vec!["review/status".into()],
    };
    family.server.compensate_next(c.clone());

    let report = client.sync().expect("sync");

    assert_eq!(report.compensations, vec![c]);
}

#[test]
fn a_failed_sync_is_reported_in_status_and_cleared_by_the_next_success() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    family.server.set_offline(true);

    let err = client.sync().expect_err("offline");
    assert_eq!(err.code(), "network");
    let status = client.status().expect("status");
    assert!(status.last_error.is_some_and(|e| e.contains("injoignable")));
    assert_eq!(
        status.pending_changes, 1,
        "the booking waits for the network"
    );

    family.server.set_offline(false);
    client.sync().expect("sync");
    let status = client.status().expect("status");
    assert_eq!(status.last_error, None);
    assert_eq!(status.pending_changes, 0);
}

#[test]
fn a_revoked_device_gets_a_clear_unauthorized_error() {
    let family = Family::new();
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = family.device(dir_a.path(), "Pixel");
    let b = family.device(dir_b.path(), "Vieux téléphone");
    let b_id = b.account().expect("account").device_id;

    let devices = a.devices().expect("devices");
    assert_eq!(devices.len(), 2);
    a.revoke_device(&b_id).expect("revoke");

    let err = b.sync().expect_err("revoked");
    assert!(matches!(err, Error::Server { status: 401, .. }));
    assert_eq!(err.to_string(), "appareil révoqué");
}

/// A server that lists one more document at every answer, so a sync never settles.
struct NeverSettles {
    inner: Arc<fake_server::FakeServer>,
    n: std::sync::atomic::AtomicU32,
}

impl Transport for NeverSettles {
    fn login(&self, url: &str, r: &LoginRequest) -> crate::Result<LoginResponse> {
        self.inner.login(url, r)
    }
    fn sync(&self, url: &str, token: &str, r: &SyncRequest) -> crate::Result<SyncResponse> {
        let mut r = r.clone();
        r.docs.retain(|d| !d.doc_id.as_str().starts_with("ghost"));
        let mut response = self.inner.sync(url, token, &r)?;
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut extra = response.available[0].clone();
        extra.doc_id = DocumentId::new(format!("ghost{n}"));
        response.available.push(extra);
        Ok(response)
    }
    fn devices(&self, url: &str, token: &str) -> crate::Result<Vec<DeviceSummary>> {
        self.inner.devices(url, token)
    }
    fn revoke_device(&self, url: &str, token: &str, id: &str) -> crate::Result<()> {
        self.inner.revoke_device(url, token, id)
    }
    fn logout(&self, url: &str, token: &str) -> crate::Result<()> {
        self.inner.logout(url, token)
    }
}

#[test]
fn a_sync_that_never_settles_stops_after_the_round_limit() {
    let server = Arc::new(fake_server::FakeServer::new(NOV_20_MS));
    let transport = Arc::new(NeverSettles {
        inner: server.clone(),
        n: Default::default(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open_with(
        dir.path(),
        transport,
        Arc::new(crate::ManualClock::new(NOV_20_MS)),
    )
    .expect("open");
    client
        .login("http://fake", "camille", "secret", "Pixel")
        .expect("login");

    let err = client.sync().expect_err("does not settle");

    assert!(matches!(err, Error::SyncDidNotSettle { rounds } if rounds == MAX_ROUNDS));
    assert_eq!(server.sync_calls(), MAX_ROUNDS);
}

/// A server reached through a network slow enough for the app to book a day during every
/// round, `remaining` times.
struct EditsDuring {
    inner: Arc<fake_server::FakeServer>,
    client: std::sync::OnceLock<std::sync::Weak<Client>>,
    remaining: std::sync::atomic::AtomicU32,
}

impl Transport for EditsDuring {
    fn login(&self, url: &str, r: &LoginRequest) -> crate::Result<LoginResponse> {
        self.inner.login(url, r)
    }
    fn sync(&self, url: &str, token: &str, r: &SyncRequest) -> crate::Result<SyncResponse> {
        let response = self.inner.sync(url, token, r)?;
        let left = self.remaining.load(std::sync::atomic::Ordering::SeqCst);
        if left > 0
            && let Some(client) = self.client.get().and_then(std::sync::Weak::upgrade)
        {
            self.remaining
                .store(left - 1, std::sync::atomic::Ordering::SeqCst);
            let day = MONDAY
                .checked_add(jiff::Span::new().weeks(i64::from(left)))
                .expect("a later Monday");
            client
                .book(LEA, day, CANTINE)
                .expect("book during the sync");
        }
        Ok(response)
    }
    fn devices(&self, url: &str, token: &str) -> crate::Result<Vec<DeviceSummary>> {
        self.inner.devices(url, token)
    }
    fn revoke_device(&self, url: &str, token: &str, id: &str) -> crate::Result<()> {
        self.inner.revoke_device(url, token, id)
    }
    fn logout(&self, url: &str, token: &str) -> crate::Result<()> {
        self.inner.logout(url, token)
    }
}

#[test]
fn edits_made_while_a_sync_runs_extend_it_instead_of_failing_it() {
    let server = Arc::new(fake_server::FakeServer::new(NOV_20_MS));
    let transport = Arc::new(EditsDuring {
        inner: server.clone(),
        client: std::sync::OnceLock::new(),
        remaining: std::sync::atomic::AtomicU32::new(0),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Arc::new(
        Client::open_with(
            dir.path(),
            transport.clone(),
            Arc::new(crate::ManualClock::new(NOV_20_MS)),
        )
        .expect("open"),
    );
    transport
        .client
        .set(Arc::downgrade(&client))
        .expect("set once");
    client
        .login("http://fake", "camille", "secret", "Pixel")
        .expect("login");
    client.sync().expect("first sync");

    let edits = MAX_ROUNDS + 4;
    transport
        .remaining
        .store(edits, std::sync::atomic::Ordering::SeqCst);
    let report = client
        .sync()
        .expect("the sync follows the edits and settles");
    assert!(report.rounds > MAX_ROUNDS, "{report:?}");
    assert_eq!(client.status().expect("status").pending_changes, 0);
    let booked = client.planning(None).expect("planning");
    assert_eq!(booked.len(), usize::try_from(edits).expect("small"));
    assert!(
        booked.iter().all(|e| e.state == RequestState::Accepted),
        "{booked:?}"
    );
}
