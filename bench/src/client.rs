//! One simulated parent device: its documents and sync states in memory, the real client's
//! sync algorithm over real HTTP (the round planning is `cartable_domain::sync_plan`, the
//! very code the client core runs), and the booking write the app makes.

use crate::rules_check::{self, Check, Rules, Written};
use anyhow::{Context, anyhow, bail};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ROOT, ReadDoc};
use autosurgeon::{hydrate_prop, reconcile_prop};
use cartable_domain::DocKind;
use cartable_domain::api::{ApiErrorBody, LoginRequest, LoginResponse, PasswordChange};
use cartable_domain::calendar::closure_on;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::{DocumentId, hex_id};
use cartable_domain::planning::{BookingRequest, CellKey, Decision, RequestState};
use cartable_domain::protocol::{
    self, CONTENT_TYPE, DocMessage, DocumentInfo, PROTOCOL_VERSION, SyncRequest, SyncResponse,
};
use cartable_domain::sync_plan::{self as plan, MAX_ROUNDS};
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The HTTP side shared by every device: one connection pool to the server processes on
/// loopback. Each family talks to one process, `family % processes` (as a load balancer
/// keeping a family on the process that holds its documents would).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    servers: Arc<[Urls]>,
}

/// The addresses one server process serves.
struct Urls {
    sync: String,
    login: String,
    password: String,
}

impl Http {
    /// A client for the server processes at `addrs`, which must be loopback addresses.
    pub fn new(addrs: &[SocketAddr]) -> anyhow::Result<Self> {
        if addrs.is_empty() {
            bail!("no server address");
        }
        if let Some(addr) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            bail!("the load generator only talks to loopback, not {addr}");
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(None)
            .build()
            .context("building the HTTP client")?;
        let servers = addrs
            .iter()
            .map(|addr| Urls {
                sync: format!("http://{addr}/api/v1/sync"),
                login: format!("http://{addr}/api/v1/login"),
                password: format!("http://{addr}/api/v1/password"),
            })
            .collect();
        Ok(Self { client, servers })
    }

    /// The server process that serves `family`.
    fn of(&self, family: usize) -> &Urls {
        &self.servers[family % self.servers.len()]
    }

    /// `POST /api/v1/password`: the signed-in parent replaces a one-time password.
    pub async fn change_password(
        &self,
        family: usize,
        token: &str,
        current: &str,
        new: &str,
    ) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&PasswordChange {
            current_password: current.to_string(),
            new_password: new.to_string(),
        })?;
        let response = self
            .client
            .post(&self.of(family).password)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
            .body(body)
            .send()
            .await
            .context("password change request")?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.bytes().await.unwrap_or_default();
            bail!(
                "password change refused: HTTP {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(())
    }

    /// `POST /api/v1/login` for a parent of `family`.
    pub async fn login(
        &self,
        family: usize,
        login: &str,
        password: &str,
    ) -> anyhow::Result<LoginResponse> {
        let body = serde_json::to_vec(&LoginRequest {
            login: login.to_string(),
            password: password.to_string(),
            device_name: "cartable-loadgen".to_string(),
            known_device: None,
        })?;
        let response = self
            .client
            .post(&self.of(family).login)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .context("login request")?;
        let status = response.status();
        let bytes = response.bytes().await.context("login response body")?;
        if !status.is_success() {
            bail!(
                "login of {login} refused: HTTP {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        serde_json::from_slice(&bytes).context("login response is not a LoginResponse")
    }

    async fn sync(&self, family: usize, token: &str, body: Vec<u8>) -> Result<Vec<u8>, Failure> {
        let response = self
            .client
            .post(&self.of(family).sync)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::new(transport_kind(&e), e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::new(transport_kind(&e), e.to_string()))?;
        if !status.is_success() {
            let (code, message) = match serde_json::from_slice::<ApiErrorBody>(&bytes) {
                Ok(body) => (body.code.as_str().to_string(), body.message),
                Err(_) => (
                    "?".to_string(),
                    String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                ),
            };
            return Err(Failure::new(
                format!("HTTP {} {code}", status.as_u16()),
                message,
            ));
        }
        Ok(bytes.to_vec())
    }
}

fn transport_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "transport: timeout".into()
    } else if e.is_connect() {
        "transport: connect".into()
    } else {
        "transport: other".into()
    }
}

/// Why one sync failed: `kind` groups failures in the report, `detail` is a sample.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: String,
    pub detail: String,
}

impl Failure {
    fn new(kind: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            detail: detail.into(),
        }
    }
}

/// What one successful sync did.
#[derive(Debug, Clone, Default)]
pub struct SyncOutcome {
    pub rounds: u32,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Paths the server wrote back (an honest client never causes any).
    pub compensations: u64,
    /// What each round carried, to explain syncs of more than one round.
    pub trace: Vec<RoundTrace>,
}

/// Per document: (changes, hashes needed, heads) of the messages sent and received.
#[derive(Debug, Clone, Default)]
pub struct RoundTrace {
    pub sent: Vec<(usize, usize, usize)>,
    pub received: Vec<(usize, usize, usize)>,
}

/// A document as the device holds it.
pub struct LocalDoc {
    pub info: Option<DocumentInfo>,
    pub doc: AutoCommit,
    /// `State::encode()` after the last applied reply: only `shared_heads` survive.
    pub persisted: Option<Vec<u8>>,
}

/// One parent device of one family.
pub struct Device {
    pub family: usize,
    pub token: String,
    pub account_id: String,
    pub docs: BTreeMap<DocumentId, LocalDoc>,
    /// Index of the next cell this device books.
    pub next_cell: usize,
    pub children: Vec<String>,
    /// Operations of the current phase (syncs or bookings).
    pub ops: u64,
    /// The family's rules, known after the first sync.
    pub rules: Option<Rules>,
}

/// A booking (or a withdrawal) written locally, to check the server's decision after the
/// sync.
#[derive(Debug, Clone)]
pub struct Pending {
    pub doc_id: DocumentId,
    pub key: String,
    pub written: Written,
}

/// What the server decided about a booking, as the device sees it after the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// A withdrawal done.
    Cancelled,
    /// Refused, or a late withdrawal kept and billed, or cancelled by the structure.
    Refused,
    /// No decision naming this rev reached the device.
    Undecided,
}

impl Device {
    pub fn new(family: usize, login: LoginResponse) -> Self {
        Self {
            family,
            token: login.token,
            account_id: login.account_id,
            docs: BTreeMap::new(),
            next_cell: 0,
            children: Vec::new(),
            ops: 0,
            rules: None,
        }
    }

    /// One sync: rounds of `POST /api/v1/sync` until the device and the server agree.
    pub async fn sync(&mut self, http: &Http) -> Result<SyncOutcome, Failure> {
        let mut states: HashMap<DocumentId, State> = HashMap::new();
        let mut outcome = SyncOutcome::default();
        let mut outgoing = self.plan_round(&mut states, &mut outcome.trace);
        loop {
            if outcome.rounds >= MAX_ROUNDS {
                return Err(Failure::new(
                    "sync did not settle",
                    format!("still talking after {} rounds", outcome.rounds),
                ));
            }
            let body = protocol::encode(&SyncRequest {
                protocol: PROTOCOL_VERSION,
                docs: outgoing,
            });
            outcome.rounds += 1;
            outcome.bytes_up += body.len() as u64;
            let reply = http.sync(self.family, &self.token, body).await?;
            outcome.bytes_down += reply.len() as u64;
            let response: SyncResponse = protocol::decode(&reply)
                .map_err(|e| Failure::new("unreadable response", e.to_string()))?;
            outcome.compensations += response
                .compensations
                .iter()
                .map(|c| c.paths.len() as u64)
                .sum::<u64>();
            let received = outcome.trace.last_mut().map(|t| &mut t.received);
            self.apply_response(&mut states, response, received)?;
            outgoing = self.plan_round(&mut states, &mut outcome.trace);
            if outgoing.is_empty() {
                return Ok(outcome);
            }
        }
    }

    /// The messages of the next request (same rules as the client core's `plan_round`).
    fn plan_round(
        &mut self,
        states: &mut HashMap<DocumentId, State>,
        trace: &mut Vec<RoundTrace>,
    ) -> Vec<DocMessage> {
        let mut out = Vec::new();
        let mut round = Vec::new();
        for (id, local) in &mut self.docs {
            let message = match states.get_mut(id) {
                Some(state) => plan::next_message(&mut local.doc, state),
                None => {
                    let mut state =
                        plan::first_round_state(local.persisted.as_deref(), &mut local.doc);
                    let message = plan::first_message(&mut local.doc, &mut state);
                    states.insert(id.clone(), state);
                    message
                }
            };
            if let Some(message) = message {
                round.push((
                    message.changes.len(),
                    message.need.len(),
                    message.heads.len(),
                ));
                out.push(DocMessage {
                    doc_id: id.clone(),
                    message: Some(message.encode()),
                });
            }
        }
        if !out.is_empty() {
            trace.push(RoundTrace {
                sent: round,
                received: Vec::new(),
            });
        }
        out
    }

    fn apply_response(
        &mut self,
        states: &mut HashMap<DocumentId, State>,
        response: SyncResponse,
        mut trace: Option<&mut Vec<(usize, usize, usize)>>,
    ) -> Result<(), Failure> {
        for reply in response.docs {
            let Some(bytes) = reply.message else { continue };
            let (Some(local), Some(state)) = (
                self.docs.get_mut(&reply.doc_id),
                states.get_mut(&reply.doc_id),
            ) else {
                return Err(Failure::new(
                    "reply for a document not asked",
                    reply.doc_id.to_string(),
                ));
            };
            let message = Message::decode(&bytes)
                .map_err(|e| Failure::new("unreadable sync message", e.to_string()))?;
            if let Some(t) = trace.as_deref_mut() {
                t.push((
                    message.changes.len(),
                    message.need.len(),
                    message.heads.len(),
                ));
            }
            local
                .doc
                .sync()
                .receive_sync_message(state, message)
                .map_err(|e| Failure::new("sync message rejected", e.to_string()))?;
            local.persisted = Some(state.encode());
        }
        let available: BTreeSet<&DocumentId> =
            response.available.iter().map(|i| &i.doc_id).collect();
        self.docs.retain(|id, _| available.contains(id));
        states.retain(|id, _| available.contains(id));
        for info in response.available {
            match self.docs.get_mut(&info.doc_id) {
                Some(local) => local.info = Some(info),
                None => {
                    self.docs.insert(
                        info.doc_id.clone(),
                        LocalDoc {
                            info: Some(info),
                            doc: AutoCommit::new(),
                            persisted: None,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    fn doc_of_kind(&self, kind: DocKind) -> Option<(&DocumentId, &LocalDoc)> {
        self.docs
            .iter()
            .filter(|(_, d)| d.info.as_ref().is_some_and(|i| i.kind == kind))
            .max_by(|a, b| {
                let year = |d: &LocalDoc| d.info.as_ref().and_then(|i| i.school_year.clone());
                year(a.1).cmp(&year(b.1))
            })
    }

    /// After the first sync: checks the device holds what a family needs and learns the
    /// children's ids. Returns the catalogue and the planning's school year.
    pub fn inspect(&mut self) -> anyhow::Result<(Catalogue, String)> {
        let (_, dossier) = self
            .doc_of_kind(DocKind::Dossier)
            .ok_or_else(|| anyhow!("family {}: no dossier after the first sync", self.family))?;
        let dossier: Dossier = autosurgeon::hydrate(&dossier.doc)
            .map_err(|e| anyhow!("family {}: dossier unreadable: {e}", self.family))?;
        let (catalogue_id, catalogue) = self
            .doc_of_kind(DocKind::Catalogue)
            .ok_or_else(|| anyhow!("family {}: no catalogue after the first sync", self.family))?;
        let catalogue_id = catalogue_id.clone();
        let catalogue: Catalogue = autosurgeon::hydrate(&catalogue.doc)
            .map_err(|e| anyhow!("family {}: catalogue unreadable: {e}", self.family))?;
        let (_, planning) = self
            .doc_of_kind(DocKind::Planning)
            .ok_or_else(|| anyhow!("family {}: no planning after the first sync", self.family))?;
        if planning.doc.get(ROOT, "requests")?.is_none() {
            bail!("family {}: planning has no requests map", self.family);
        }
        let year = planning
            .info
            .as_ref()
            .and_then(|i| i.school_year.clone())
            .ok_or_else(|| anyhow!("family {}: planning without a school year", self.family))?;
        self.children = dossier.children.keys().cloned().collect();
        self.rules = Some(Rules {
            catalogue_id,
            catalogue: catalogue.clone(),
            dossier,
            year: year
                .parse()
                .map_err(|e| anyhow!("family {}: school year {year:?}: {e}", self.family))?,
        });
        // Families start booking at different cells so that they do not all queue on the
        // same day's place counter (see `--same-cells`).
        self.next_cell = rand::random::<u32>() as usize;
        if self.children.is_empty() {
            bail!("family {}: dossier lists no children", self.family);
        }
        Ok((catalogue, year))
    }

    /// Writes one request into the planning, as the app does: a fresh map per version of
    /// the request at `requests/<CellKey>`, filled with `reconcile_prop`. A cell that holds a
    /// place is withdrawn, any other is booked.
    pub fn write_booking(
        &mut self,
        cells: &[(Date, String)],
        now: jiff::Timestamp,
    ) -> anyhow::Result<Pending> {
        if cells.is_empty() || self.children.is_empty() {
            bail!("family {}: nothing to book", self.family);
        }
        let n = self.next_cell;
        self.next_cell += 1;
        let child = &self.children[n % self.children.len()];
        let (date, activity) = &cells[(n / self.children.len()) % cells.len()];
        let cell = CellKey::new(child.clone(), *date, activity.clone());
        let key = cell.encode();
        let family = self.family;
        let (doc_id, local) = self
            .docs
            .iter_mut()
            .filter(|(_, d)| d.info.as_ref().is_some_and(|i| i.kind == DocKind::Planning))
            .max_by(|a, b| {
                let year = |d: &LocalDoc| d.info.as_ref().and_then(|i| i.school_year.clone());
                year(a.1).cmp(&year(b.1))
            })
            .ok_or_else(|| anyhow!("family {family}: no planning"))?;
        let doc = &mut local.doc;
        let previous = rules_check::decision_of(doc, &key);
        let request = BookingRequest {
            wanted: !previous.as_ref().is_some_and(Decision::holds_place),
            rev: hex_id(rand::random()),
            by: self.account_id.clone(),
            at_ms: now.as_millisecond(),
        };
        let requests = match doc.get(ROOT, "requests")? {
            Some((_, id)) => id,
            None => bail!("family {family}: planning has no requests map"),
        };
        reconcile_prop(doc, &requests, key.as_str(), &request)?;
        Ok(Pending {
            doc_id: doc_id.clone(),
            key,
            written: Written {
                cell,
                request,
                previous,
                at: now,
            },
        })
    }

    /// What the server decided about `pending`, as this device now sees it: the state the
    /// app shows ([`RequestState::of`], the domain's reading of a request and its decision),
    /// and the decision held to the rules (none when undecided or the rules are unknown).
    pub fn verdict(
        &self,
        pending: &Pending,
        answered: jiff::Timestamp,
    ) -> (Verdict, Option<Check>) {
        let Some(local) = self.docs.get(&pending.doc_id) else {
            return (Verdict::Undecided, None);
        };
        let Ok(Some((_, requests))) = local.doc.get(ROOT, "requests") else {
            return (Verdict::Undecided, None);
        };
        let key = pending.key.as_str();
        let request: Option<BookingRequest> =
            hydrate_prop(&local.doc, &requests, key).ok().flatten();
        let decision = rules_check::decision_of(&local.doc, key);
        let request = request.filter(|r| r.rev == pending.written.request.rev);
        let verdict = match request
            .as_ref()
            .map(|r| RequestState::of(r, decision.as_ref()))
        {
            Some(RequestState::Accepted) => Verdict::Accepted,
            Some(RequestState::Cancelled) => Verdict::Cancelled,
            Some(RequestState::Pending) | None => return (Verdict::Undecided, None),
            Some(_) => Verdict::Refused,
        };
        let check = match (&self.rules, &decision) {
            (Some(rules), Some(d)) => {
                Some(rules_check::check(rules, &pending.written, d, answered))
            }
            _ => None,
        };
        (verdict, check)
    }
}

/// Places held at the end over every device's plannings, held to each structure's
/// capacities: the days over capacity (described) and the number of days exactly full.
pub fn places_held(devices: &[Device]) -> (Vec<String>, u64) {
    let mut places = rules_check::Places::default();
    let mut catalogues = BTreeMap::new();
    for device in devices {
        let Some(rules) = &device.rules else { continue };
        catalogues
            .entry(rules.catalogue_id.clone())
            .or_insert_with(|| rules.catalogue.clone());
        for local in device.docs.values() {
            if local
                .info
                .as_ref()
                .is_some_and(|i| i.kind == DocKind::Planning)
            {
                places.count(&rules.catalogue_id, &local.doc);
            }
        }
    }
    places.over_capacity(&catalogues)
}

/// Every (day, activity) of `school_year` from `from` on, on which the activity runs and the
/// structure is open (closures and public holidays excluded): the cells a family may book
/// (times its children), in date order.
pub fn bookable_cells(
    catalogue: &Catalogue,
    school_year: &str,
    from: Date,
) -> anyhow::Result<Vec<(Date, String)>> {
    let year: cartable_domain::school_year::SchoolYear = school_year
        .parse()
        .map_err(|e| anyhow!("school year {school_year:?}: {e}"))?;
    let mut cells = Vec::new();
    let mut day = year.first_day().max(from);
    let last = year.last_day();
    while day <= last {
        for (id, activity) in &catalogue.activities {
            if activity.runs_on(day) && closure_on(catalogue, id, day).is_none() {
                cells.push((day, id.clone()));
            }
        }
        day = day
            .tomorrow()
            .map_err(|e| anyhow!("date arithmetic past {day}: {e}"))?;
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::catalogue::{Activity, ActivityKind};

    #[test]
    fn bookable_cells_follow_weekdays_and_skip_public_holidays() {
        let mut catalogue = Catalogue::default();
        catalogue.activities.insert(
            "cantine".into(),
            Activity::simple("Cantine", ActivityKind::Canteen, vec![1, 2, 4, 5]),
        );
        let from = jiff::civil::date(2026, 9, 1);
        let cells = bookable_cells(&catalogue, "2026-2027", from).expect("cells");
        assert!(
            cells
                .iter()
                .all(|(d, _)| d.weekday().to_monday_one_offset() != 3)
        );
        // 11 November and 25 December 2026 are public holidays (closed by default).
        let has = |cells: &[(Date, String)], d: Date| cells.iter().any(|(x, _)| *x == d);
        assert!(!has(&cells, jiff::civil::date(2026, 11, 11)));
        assert!(!has(&cells, jiff::civil::date(2026, 12, 25)));
        assert!(has(&cells, jiff::civil::date(2026, 11, 30)));
        let later =
            bookable_cells(&catalogue, "2026-2027", jiff::civil::date(2027, 1, 1)).expect("cells");
        assert!(later.len() < cells.len());
        assert!(later.iter().all(|(d, _)| d.year() == 2027));
        assert!(bookable_cells(&catalogue, "nope", from).is_err());
    }

    #[test]
    fn each_family_talks_to_one_server_process_in_turn() {
        let a: SocketAddr = "127.0.0.1:18081".parse().expect("address");
        let b: SocketAddr = "127.0.0.1:18082".parse().expect("address");
        let http = Http::new(&[a, b]).expect("client");
        let sync_of = |family| http.of(family).sync.clone();
        assert_eq!(sync_of(0), "http://127.0.0.1:18081/api/v1/sync");
        assert_eq!(sync_of(1), "http://127.0.0.1:18082/api/v1/sync");
        assert_eq!(sync_of(2), sync_of(0));
        assert_eq!(http.of(3).login, "http://127.0.0.1:18082/api/v1/login");
        assert_eq!(
            http.of(5).password,
            "http://127.0.0.1:18082/api/v1/password"
        );

        let one = Http::new(&[a]).expect("client");
        assert_eq!(one.of(7).sync, "http://127.0.0.1:18081/api/v1/sync");
        assert!(Http::new(&[]).is_err());
        let remote: SocketAddr = "192.0.2.1:80".parse().expect("address");
        assert!(Http::new(&[a, remote]).is_err());
    }
}
