//! An in-memory server for the unit tests, written with raw Automerge.
//!
//! It behaves like the real one where the client can tell: it creates every document with its
//! root structure under its own actor, keeps one persisted sync state per (device, document)
//! (decoded at each request, as the real server does), answers every document of a request,
//! reconciles merged changes with the server's own core (`cartable_reconcile`: compensation,
//! decisions, place counters), and lists the family's documents.

use crate::error::{Error, Result};
use crate::transport::{DocumentUpload, Transport};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{ActorId, AutoCommit, ChangeHash};
use autosurgeon::{hydrate, reconcile};
use cartable_domain::DocKind;
use cartable_domain::api::{DeviceSummary, ErrorCode, LoginRequest, LoginResponse};
use cartable_domain::catalogue::{Activity, ActivityKind, Catalogue};
use cartable_domain::dossier::{AdultSheet, ChildSheet, Dossier};
use cartable_domain::ids::DocumentId;
use cartable_domain::planning::Planning;
use cartable_domain::protocol::{
    Compensation, DocMessage, DocumentInfo, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, SyncRequest,
    SyncResponse,
};
use cartable_domain::school_year::SchoolYear;
use cartable_domain::supporting::{DocumentStatus, SupportingDocument};
use cartable_domain::sync_plan::with_what_they_lack;
use cartable_reconcile::{Counts, DecisionInputs, PlaceKey, Rules, plan_sync};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

pub const LOGIN: &str = "camille";
pub const PASSWORD: &str = "secret";
pub const FAMILY: &str = "fam1";
pub const ACCOUNT: &str = "acc1";
/// Léa, in the dossier from the start.
pub const LEA: &str = "c1";
/// Camille, the adult of the dossier.
pub const CAMILLE: &str = "a1";
/// Canteen on Monday, Tuesday, Thursday, Friday.
pub const CANTINE: &str = "cantine";
pub const DOSSIER_ID: &str = "doc-dossier";
pub const CATALOGUE_ID: &str = "doc-catalogue";

struct ServerDoc {
    info: DocumentInfo,
    doc: AutoCommit,
}

#[derive(Default)]
struct Inner {
    docs: BTreeMap<DocumentId, ServerDoc>,
    /// Persisted `State::encode()` per (device id, document).
    sync_states: HashMap<(String, DocumentId), Vec<u8>>,
    /// token -> device id
    tokens: HashMap<String, String>,
    devices: Vec<DeviceSummary>,
    /// Documents the family may no longer see (answer 404 when named).
    hidden: Vec<DocumentId>,
    compensations_next: Vec<Compensation>,
    offline: bool,
    /// Supporting documents received, with the idempotency key they came with.
    uploads: Vec<(String, SupportingDocument)>,
    /// Places taken per activity and day, moved by the core's decisions.
    places: BTreeMap<PlaceKey, i64>,
}

/// The fake server. Share it between clients with `Arc`.
pub struct FakeServer {
    inner: Mutex<Inner>,
    sync_calls: AtomicU32,
    now_ms: AtomicI64,
}

fn api_error(status: u16, code: ErrorCode, message: &str) -> Error {
    Error::Server {
        status,
        code,
        message: message.to_string(),
    }
}

fn server_actor() -> ActorId {
    ActorId::from(vec![0xEE; 16])
}

impl FakeServer {
    /// A family with Léa and Camille, the canteen, and the 2026-2027 planning.
    pub fn new(now_ms: i64) -> Self {
        let server = Self {
            inner: Mutex::new(Inner::default()),
            sync_calls: AtomicU32::new(0),
            now_ms: AtomicI64::new(now_ms),
        };
        let mut dossier = Dossier {
            family_id: FAMILY.into(),
            ..Default::default()
        };
        dossier.children.insert(
            LEA.into(),
            ChildSheet {
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                birth_date: "2018-04-12".into(),
                ..Default::default()
            },
        );
        dossier.adults.insert(
            CAMILLE.into(),
            AdultSheet {
                first_name: "Camille".into(),
                last_name: "Martin".into(),
                ..Default::default()
            },
        );
        let mut catalogue = Catalogue {
            structure_name: "Mairie de Test".into(),
            ..Default::default()
        };
        catalogue.activities.insert(
            CANTINE.into(),
            Activity::simple(
                "Restauration scolaire",
                ActivityKind::Canteen,
                vec![1, 2, 4, 5],
            ),
        );
        server.create_doc(DOSSIER_ID, DocKind::Dossier, None, true, &dossier);
        server.create_doc(CATALOGUE_ID, DocKind::Catalogue, None, false, &catalogue);
        server.add_planning(SchoolYear(2026));
        server
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn create_doc<T: autosurgeon::Reconcile>(
        &self,
        id: &str,
        kind: DocKind,
        school_year: Option<String>,
        writable: bool,
        value: &T,
    ) {
        let mut doc = AutoCommit::new().with_actor(server_actor());
        reconcile(&mut doc, value).expect("server creates the document");
        doc.commit();
        let info = DocumentInfo {
            doc_id: DocumentId::new(id),
            kind,
            school_year,
            read_only: !writable,
        };
        self.lock()
            .docs
            .insert(info.doc_id.clone(), ServerDoc { info, doc });
    }

    /// Opens the planning of a new school year.
    pub fn add_planning(&self, year: SchoolYear) {
        let planning = Planning::new(FAMILY, year);
        self.create_doc(
            &planning_id(year),
            DocKind::Planning,
            Some(year.to_string()),
            true,
            &planning,
        );
    }

    /// Number of `POST /sync` calls received so far.
    pub fn sync_calls(&self) -> u32 {
        self.sync_calls.load(Ordering::SeqCst)
    }

    pub fn set_now(&self, ms: i64) {
        self.now_ms.store(ms, Ordering::SeqCst);
    }

    pub fn set_offline(&self, offline: bool) {
        self.lock().offline = offline;
    }

    /// From now on the family may not see `id` (requests naming it get 404).
    pub fn hide(&self, id: &str) {
        self.lock().hidden.push(DocumentId::new(id));
    }

    pub fn compensate_next(&self, c: Compensation) {
        self.lock().compensations_next.push(c);
    }

    pub fn dossier(&self) -> Dossier {
        self.read(DOSSIER_ID)
    }

    pub fn planning(&self, year: SchoolYear) -> Planning {
        self.read(&planning_id(year))
    }

    fn read<T: autosurgeon::Hydrate>(&self, id: &str) -> T {
        let inner = self.lock();
        let doc = &inner
            .docs
            .get(&DocumentId::new(id))
            .expect("server document")
            .doc;
        hydrate(doc).expect("server hydrates")
    }

    /// Places taken on `day` for `activity`, as the core's decisions moved the counter.
    pub fn places(&self, activity: &str, day: jiff::civil::Date) -> i64 {
        self.lock()
            .places
            .get(&PlaceKey::new(activity, day))
            .copied()
            .unwrap_or(0)
    }

    /// Staff edit an activity's weekdays in the catalogue.
    pub fn set_weekdays(&self, activity: &str, weekdays: Vec<u8>) {
        self.edit_catalogue(|cat| {
            if let Some(a) = cat.activities.get_mut(activity) {
                a.weekdays = weekdays;
            }
        });
    }

    /// Staff edit the catalogue (activities, rules, closures).
    pub fn edit_catalogue(&self, edit: impl FnOnce(&mut Catalogue)) {
        let mut inner = self.lock();
        let doc = &mut inner
            .docs
            .get_mut(&DocumentId::new(CATALOGUE_ID))
            .expect("catalogue")
            .doc;
        let mut cat: Catalogue = hydrate(doc).expect("catalogue");
        edit(&mut cat);
        reconcile(doc, &cat).expect("catalogue edit");
        doc.commit();
    }

    /// Reconciles a document after a merge with the server's own core: compensation of
    /// forbidden writes, decisions of the touched requests and absences, place counters.
    fn reconcile(
        inner: &mut Inner,
        id: &DocumentId,
        before: &[ChangeHash],
        now_ms: i64,
    ) -> Result<Vec<String>> {
        let core = |e: cartable_reconcile::CoreError| Error::Document(e.to_string());
        let dossier: Dossier = hydrate(&inner.docs[&DocumentId::new(DOSSIER_ID)].doc)?;
        let catalogue: Catalogue = hydrate(&inner.docs[&DocumentId::new(CATALOGUE_ID)].doc)?;
        let Inner { docs, places, .. } = inner;
        let Some(sdoc) = docs.get_mut(id) else {
            return Ok(Vec::new());
        };
        let now = jiff::Timestamp::from_millisecond(now_ms)
            .map_err(|_| Error::invalid("server clock"))?;
        let inputs = DecisionInputs {
            catalogue: std::sync::Arc::new(catalogue),
            dossier: dossier.into(),
            valid_documents: Default::default(),
            overdue: None,
            now,
        };
        let school_year = sdoc
            .info
            .school_year
            .as_deref()
            .and_then(|y| y.parse::<SchoolYear>().ok());
        let plan = plan_sync(&mut sdoc.doc, before, sdoc.info.kind).map_err(core)?;
        let counts: Counts = plan
            .counters()
            .iter()
            .map(|k| (k.clone(), places.get(k).copied().unwrap_or(0)))
            .collect();
        let rules = school_year.map(|school_year| Rules {
            inputs: &inputs,
            school_year,
        });
        let effects = plan.decide(&mut sdoc.doc, rules, &counts).map_err(core)?;
        for (key, delta) in effects.places.iter() {
            *places.entry(key.clone()).or_insert(0) += delta;
        }
        sdoc.doc.commit();
        Ok(effects.compensated)
    }
}

/// Names every device actor of the dossier in its `authors` map, as the real server does (the
/// fake server's only account is Camille Martin).
fn publish_authors(doc: &mut AutoCommit) -> Result<()> {
    let dossier: Dossier = hydrate(&*doc)?;
    let actors: std::collections::BTreeSet<String> = doc
        .get_changes_meta(&[])
        .into_iter()
        .filter(|c| *c.actor != server_actor())
        .map(|c| c.actor.to_hex_string())
        .filter(|a| !dossier.authors.contains_key(a))
        .collect();
    let Some(map) = crate::docs::root_map(doc, "authors")? else {
        return Ok(());
    };
    for actor in actors {
        let author = cartable_domain::conflicts::Author {
            account_id: ACCOUNT.into(),
            name: "Camille Martin".into(),
        };
        autosurgeon::reconcile_prop(doc, &map, actor.as_str(), &author)?;
    }
    doc.commit();
    Ok(())
}

pub fn planning_id(year: SchoolYear) -> String {
    format!("doc-planning-{}", year.0)
}

impl Transport for FakeServer {
    fn login(&self, _server_url: &str, request: &LoginRequest) -> Result<LoginResponse> {
        if request.login != LOGIN || request.password != PASSWORD {
            return Err(api_error(
                401,
                ErrorCode::Unauthorized,
                "identifiant ou mot de passe incorrect",
            ));
        }
        let mut inner = self.lock();
        let n = inner.devices.len() + 1;
        let device_id = format!("dev{n}");
        let token = format!("tok{n}");
        inner.tokens.insert(token.clone(), device_id.clone());
        inner.devices.push(DeviceSummary {
            device_id: device_id.clone(),
            name: request.device_name.clone(),
            created_at_ms: self.now_ms.load(Ordering::SeqCst),
            last_seen_ms: None,
            current: false,
            expires_at_ms: None,
        });
        Ok(LoginResponse {
            token,
            device_id,
            account_id: ACCOUNT.into(),
            family_id: FAMILY.into(),
            structure_id: "s1".into(),
            display_name: "Camille Martin".into(),
            must_change_password: false,
            known_device: None,
        })
    }

    fn sync(&self, _server_url: &str, token: &str, request: &SyncRequest) -> Result<SyncResponse> {
        self.sync_calls.fetch_add(1, Ordering::SeqCst);
        let now_ms = self.now_ms.load(Ordering::SeqCst);
        // The wire format is exercised too.
        let request: SyncRequest =
            cartable_domain::protocol::decode(&cartable_domain::protocol::encode(request))
                .map_err(|e| Error::Protocol(e.to_string()))?;
        let mut inner = self.lock();
        if inner.offline {
            return Err(Error::Network("connexion refusée".into()));
        }
        let Some(device) = inner.tokens.get(token).cloned() else {
            return Err(api_error(401, ErrorCode::Unauthorized, "appareil révoqué"));
        };
        if request.protocol < MIN_PROTOCOL_VERSION {
            return Err(api_error(426, ErrorCode::ProtocolTooOld, "trop ancien"));
        }
        for m in &request.docs {
            if !inner.docs.contains_key(&m.doc_id) || inner.hidden.contains(&m.doc_id) {
                return Err(api_error(404, ErrorCode::NotFound, "document introuvable"));
            }
        }
        let mut replies = Vec::new();
        for m in request.docs {
            let key = (device.clone(), m.doc_id.clone());
            let mut state = inner
                .sync_states
                .get(&key)
                .and_then(|b| State::decode(b).ok())
                .unwrap_or_default();
            if let Some(bytes) = m.message {
                let message = Message::decode(&bytes)
                    .map_err(|e| api_error(400, ErrorCode::MalformedSync, &e.to_string()))?;
                let sdoc = inner.docs.get_mut(&m.doc_id).expect("checked above");
                let before = sdoc.doc.get_heads();
                sdoc.doc.sync().receive_sync_message(&mut state, message)?;
                if sdoc.doc.get_heads() != before {
                    let paths = Self::reconcile(&mut inner, &m.doc_id, &before, now_ms)?;
                    if !paths.is_empty() {
                        inner.compensations_next.push(Compensation {
                            doc_id: m.doc_id.clone(),
                            paths,
                        });
                    }
                }
                let sdoc = inner.docs.get_mut(&m.doc_id).expect("checked above");
                if sdoc.info.kind == DocKind::Dossier {
                    publish_authors(&mut sdoc.doc)?;
                }
            }
            let sdoc = inner.docs.get_mut(&m.doc_id).expect("checked above");
            let reply = sdoc.doc.sync().generate_sync_message(&mut state);
            let reply = reply.map(|m| with_what_they_lack(&mut sdoc.doc, &mut state, m));
            inner.sync_states.insert(key, state.encode());
            replies.push(DocMessage {
                doc_id: m.doc_id,
                message: reply.map(Message::encode),
            });
        }
        let available = inner
            .docs
            .values()
            .filter(|d| !inner.hidden.contains(&d.info.doc_id))
            .map(|d| d.info.clone())
            .collect();
        let compensations = std::mem::take(&mut inner.compensations_next);
        let response = SyncResponse {
            protocol: PROTOCOL_VERSION,
            server_time_ms: now_ms,
            docs: replies,
            available,
            compensations,
        };
        cartable_domain::protocol::decode(&cartable_domain::protocol::encode(&response))
            .map_err(|e| Error::Protocol(e.to_string()))
    }

    fn devices(&self, _server_url: &str, token: &str) -> Result<Vec<DeviceSummary>> {
        let inner = self.lock();
        let Some(me) = inner.tokens.get(token) else {
            return Err(api_error(401, ErrorCode::Unauthorized, "appareil révoqué"));
        };
        Ok(inner
            .devices
            .iter()
            .filter(|d| inner.tokens.values().any(|v| v == &d.device_id))
            .map(|d| DeviceSummary {
                current: &d.device_id == me,
                ..d.clone()
            })
            .collect())
    }

    fn revoke_device(&self, _server_url: &str, token: &str, device_id: &str) -> Result<()> {
        let mut inner = self.lock();
        if !inner.tokens.contains_key(token) {
            return Err(api_error(401, ErrorCode::Unauthorized, "appareil révoqué"));
        }
        let before = inner.tokens.len();
        inner.tokens.retain(|_, d| d != device_id);
        if inner.tokens.len() == before {
            return Err(api_error(404, ErrorCode::NotFound, "appareil inconnu"));
        }
        Ok(())
    }

    fn upload_document(
        &self,
        _server_url: &str,
        token: &str,
        upload: &DocumentUpload<'_>,
    ) -> Result<SupportingDocument> {
        let now_ms = self.now_ms.load(Ordering::SeqCst);
        let mut inner = self.lock();
        if inner.offline {
            return Err(Error::Network("connexion refusée".into()));
        }
        if !inner.tokens.contains_key(token) {
            return Err(api_error(401, ErrorCode::Unauthorized, "appareil révoqué"));
        }
        if let Some((_, doc)) = inner
            .uploads
            .iter()
            .find(|(key, _)| key == upload.idempotency_key)
        {
            return Ok(doc.clone());
        }
        let doc = SupportingDocument {
            id: format!("sd{}", inner.uploads.len() + 1),
            family_id: FAMILY.into(),
            child_id: upload.child_id.map(str::to_string),
            kind: upload.kind.to_string(),
            file_name: upload.file_name.to_string(),
            content_type: upload.content_type.to_string(),
            size_bytes: i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX),
            valid_until: upload.valid_until.and_then(|d| d.parse().ok()),
            status: DocumentStatus::Waiting,
            reason: None,
            uploaded_at_ms: now_ms,
            reviewed_at_ms: None,
        };
        inner
            .uploads
            .push((upload.idempotency_key.to_string(), doc.clone()));
        Ok(doc)
    }

    fn list_documents(&self, _server_url: &str, token: &str) -> Result<Vec<SupportingDocument>> {
        let inner = self.lock();
        if inner.offline {
            return Err(Error::Network("connexion refusée".into()));
        }
        if !inner.tokens.contains_key(token) {
            return Err(api_error(401, ErrorCode::Unauthorized, "appareil révoqué"));
        }
        Ok(inner.uploads.iter().map(|(_, d)| d.clone()).collect())
    }

    fn logout(&self, _server_url: &str, token: &str) -> Result<()> {
        let mut inner = self.lock();
        if inner.offline {
            return Err(Error::Network("connexion refusée".into()));
        }
        inner
            .tokens
            .remove(token)
            .map(|_| ())
            .ok_or_else(|| api_error(401, ErrorCode::Unauthorized, "appareil révoqué"))
    }
}
