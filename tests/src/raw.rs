//! A raw Automerge peer speaking the sync protocol over HTTP without the client core: it
//! can send what an honest device never would (forged decisions, edits of read-only
//! documents, malformed bodies).

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use cartable_domain::DocKind;
use cartable_domain::DocumentId;
use cartable_domain::api::{ApiErrorBody, LoginRequest, LoginResponse};
use cartable_domain::protocol::{
    self, DocMessage, DocumentInfo, PROTOCOL_VERSION, SyncRequest, SyncResponse,
};
use std::collections::BTreeMap;

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Logs in with a password; panics with the server's answer on failure.
pub fn login(url: &str, login: &str, password: &str) -> LoginResponse {
    let (status, body) = login_attempt(url, login, password);
    assert_eq!(
        status,
        200,
        "login failed: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).expect("login response")
}

/// One login attempt: (status, body).
pub fn login_attempt(url: &str, login: &str, password: &str) -> (u16, Vec<u8>) {
    let req = LoginRequest {
        login: login.into(),
        password: password.into(),
        device_name: "pair brut".into(),
        known_device: None,
    };
    let mut resp = agent()
        .post(&format!("{url}/api/v1/login"))
        .header("Content-Type", "application/json")
        .send(serde_json::to_vec(&req).expect("json").as_slice())
        .expect("HTTP");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_vec().expect("body"))
}

/// Posts raw bytes to the sync endpoint: (status, body).
pub fn post_sync(url: &str, token: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut resp = agent()
        .post(&format!("{url}/api/v1/sync"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", content_type)
        .send(body)
        .expect("HTTP");
    let status = resp.status().as_u16();
    (
        status,
        resp.body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .expect("body"),
    )
}

/// Decodes an error body.
pub fn error_of(body: &[u8]) -> ApiErrorBody {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not an API error ({e}): {}", String::from_utf8_lossy(body)))
}

/// An error answer to a sync request.
#[derive(Debug, Clone)]
pub struct Refused {
    pub status: u16,
    pub error: ApiErrorBody,
}

/// A device made of raw Automerge documents.
pub struct RawPeer {
    pub url: String,
    pub session: LoginResponse,
    pub docs: BTreeMap<String, AutoCommit>,
    pub infos: Vec<DocumentInfo>,
    shared: BTreeMap<String, Vec<u8>>,
    /// HTTP requests made by `sync`.
    pub requests: usize,
}

impl RawPeer {
    pub fn login(url: &str, login_name: &str, password: &str) -> RawPeer {
        RawPeer {
            url: url.to_string(),
            session: login(url, login_name, password),
            docs: BTreeMap::new(),
            infos: Vec::new(),
            shared: BTreeMap::new(),
            requests: 0,
        }
    }

    /// Posts one request carrying `outgoing`, applies the replies.
    fn round(
        &mut self,
        states: &mut BTreeMap<String, State>,
        outgoing: Vec<DocMessage>,
    ) -> Result<SyncResponse, Refused> {
        let body = protocol::encode(&SyncRequest {
            protocol: PROTOCOL_VERSION,
            docs: outgoing,
        });
        let (status, bytes) = post_sync(
            &self.url,
            &self.session.token,
            protocol::CONTENT_TYPE,
            &body,
        );
        self.requests += 1;
        if status != 200 {
            return Err(Refused {
                status,
                error: error_of(&bytes),
            });
        }
        let response: SyncResponse = protocol::decode(&bytes).expect("sync response");
        for reply in &response.docs {
            let id = reply.doc_id.as_str().to_string();
            if let Some(m) = &reply.message {
                let m = Message::decode(m).expect("server message");
                let doc = self.docs.entry(id.clone()).or_default();
                let state = states.entry(id).or_default();
                doc.sync().receive_sync_message(state, m).expect("apply");
            }
        }
        Ok(response)
    }

    /// Syncs every known and available document until neither side has anything to send.
    /// Returns the responses.
    pub fn sync(&mut self) -> Vec<SyncResponse> {
        self.try_sync()
            .unwrap_or_else(|r| panic!("sync failed: {} {:?}", r.status, r.error))
    }

    /// Like [`RawPeer::sync`], but an error answer is returned instead of failing the test.
    pub fn try_sync(&mut self) -> Result<Vec<SyncResponse>, Refused> {
        let mut states: BTreeMap<String, State> = self
            .shared
            .iter()
            .filter_map(|(id, s)| State::decode(s).ok().map(|s| (id.clone(), s)))
            .collect();
        let mut outgoing: Vec<DocMessage> = Vec::new();
        for (id, doc) in self.docs.iter_mut() {
            let state = states.entry(id.clone()).or_default();
            outgoing.push(DocMessage {
                doc_id: DocumentId::new(id.clone()),
                message: doc.sync().generate_sync_message(state).map(|m| m.encode()),
            });
        }
        let mut responses = Vec::new();
        // Documents sent a message in this sync: any other that the server lists is new.
        let mut sent = std::collections::BTreeSet::new();
        for _ in 0..10 {
            sent.extend(outgoing.iter().map(|d| d.doc_id.as_str().to_string()));
            let response = self.round(&mut states, std::mem::take(&mut outgoing))?;
            self.infos = response.available.clone();
            for info in &response.available {
                let id = info.doc_id.as_str().to_string();
                let is_new = !sent.contains(&id);
                let doc = self.docs.entry(id.clone()).or_default();
                let state = states.entry(id.clone()).or_default();
                let message = cartable_domain::sync_plan::next_message(doc, state);
                let needed = is_new || message.is_some();
                if needed {
                    outgoing.push(DocMessage {
                        doc_id: DocumentId::new(id),
                        message: message.map(|m| m.encode()),
                    });
                }
            }
            responses.push(response);
            if outgoing.is_empty() {
                break;
            }
        }
        self.shared = states
            .iter()
            .map(|(id, s)| (id.clone(), s.encode()))
            .collect();
        Ok(responses)
    }

    /// The changes of the document of `kind` that the server did not acknowledge yet.
    pub fn unsynced_changes(&mut self, kind: DocKind) -> Vec<automerge::Change> {
        let id = self.doc_id(kind);
        let shared = self
            .shared
            .get(&id)
            .and_then(|s| State::decode(s).ok())
            .map(|s| s.shared_heads)
            .unwrap_or_default();
        self.docs.entry(id).or_default().get_changes(&shared)
    }

    /// Posts one request whose message for the document of `kind` carries exactly `chunks`
    /// as its changes, whatever they are: (status, body).
    pub fn send_chunks(&mut self, kind: DocKind, chunks: Vec<Vec<u8>>) -> (u16, Vec<u8>) {
        let id = self.doc_id(kind);
        let doc = self.docs.entry(id.clone()).or_default();
        let mut message = doc
            .sync()
            .generate_sync_message(&mut State::new())
            .expect("a first message");
        message.changes = chunks.into();
        let body = protocol::encode(&SyncRequest {
            protocol: PROTOCOL_VERSION,
            docs: vec![DocMessage {
                doc_id: DocumentId::new(id),
                message: Some(message.encode()),
            }],
        });
        self.requests += 1;
        post_sync(
            &self.url,
            &self.session.token,
            protocol::CONTENT_TYPE,
            &body,
        )
    }

    /// Posts the changes of the document of `kind` that the server did not acknowledge, one
    /// chunk each, in one request: (status, body).
    pub fn send_unsynced(&mut self, kind: DocKind) -> (u16, Vec<u8>) {
        let chunks = self
            .unsynced_changes(kind)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        self.send_chunks(kind, chunks)
    }

    /// The id of the first available document of `kind`.
    pub fn doc_id(&self, kind: DocKind) -> String {
        self.infos
            .iter()
            .find(|i| i.kind == kind)
            .map(|i| i.doc_id.as_str().to_string())
            .unwrap_or_else(|| panic!("no {kind:?} document available"))
    }

    pub fn doc(&mut self, kind: DocKind) -> &mut AutoCommit {
        let id = self.doc_id(kind);
        self.docs.entry(id).or_default()
    }
}

/// Writes a booking request (or a withdrawal) into the peer's planning document, as an
/// honest device would. Returns the cell key.
pub fn write_request(
    peer: &mut RawPeer,
    child_id: &str,
    date: jiff::civil::Date,
    activity_id: &str,
    wanted: bool,
) -> String {
    use automerge::ReadDoc;
    let by = peer.session.account_id.clone();
    let key = cartable_domain::planning::CellKey::new(child_id, date, activity_id).encode();
    let doc = peer.doc(DocKind::Planning);
    let (_, requests) = doc
        .get(automerge::ROOT, "requests")
        .expect("read")
        .expect("planning has requests");
    let request = cartable_domain::planning::BookingRequest {
        wanted,
        rev: cartable_server::auth::new_id(),
        by,
        at_ms: 0,
    };
    autosurgeon::reconcile_prop(doc, &requests, key.as_str(), &request).expect("write request");
    key
}

/// The decision the peer's planning holds for `key`.
pub fn decision(peer: &mut RawPeer, key: &str) -> Option<cartable_domain::planning::Decision> {
    use automerge::ReadDoc;
    let doc = peer.doc(DocKind::Planning);
    let (_, decisions) = doc.get(automerge::ROOT, "decisions").ok()??;
    autosurgeon::hydrate_prop(&*doc, &decisions, key)
        .ok()
        .flatten()
}

/// The next date on `weekday` strictly after today (Paris), inside the current school year
/// unless the year ends first.
pub fn next(weekday: jiff::civil::Weekday) -> jiff::civil::Date {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let mut d = today.tomorrow().unwrap_or(today);
    while d.weekday() != weekday {
        d = d.tomorrow().unwrap_or(d);
    }
    d
}

/// Declares an absence for a booked cell, as an honest device would.
pub fn write_absence(
    peer: &mut RawPeer,
    child_id: &str,
    date: jiff::civil::Date,
    activity_id: &str,
    reason: &str,
) -> String {
    write_absence_with(peer, child_id, date, activity_id, reason, None)
}

/// Declares (or amends) an absence, optionally joining a supporting document.
pub fn write_absence_with(
    peer: &mut RawPeer,
    child_id: &str,
    date: jiff::civil::Date,
    activity_id: &str,
    reason: &str,
    document_id: Option<&str>,
) -> String {
    use automerge::ReadDoc;
    let by = peer.session.account_id.clone();
    let key = cartable_domain::planning::CellKey::new(child_id, date, activity_id).encode();
    let doc = peer.doc(DocKind::Planning);
    let (_, absences) = doc
        .get(automerge::ROOT, "absences")
        .expect("read")
        .expect("planning has absences");
    let declaration = cartable_domain::planning::AbsenceDeclaration {
        rev: cartable_server::auth::new_id(),
        by,
        at_ms: 0,
        reason: reason.into(),
        document_id: document_id.map(String::from),
    };
    autosurgeon::reconcile_prop(doc, &absences, key.as_str(), &declaration).expect("write absence");
    key
}

/// The absence outcome the peer's planning holds for `key`.
pub fn absence_outcome(
    peer: &mut RawPeer,
    key: &str,
) -> Option<cartable_domain::planning::AbsenceOutcome> {
    use automerge::ReadDoc;
    let doc = peer.doc(DocKind::Planning);
    let (_, outcomes) = doc.get(automerge::ROOT, "absence_decisions").ok()??;
    autosurgeon::hydrate_prop(&*doc, &outcomes, key)
        .ok()
        .flatten()
}
