//! A planning on a server and a phone, in memory, reconciled by the core as the server does:
//! merge, plan, counters handed in, decide, counters moved.

#![allow(dead_code)]

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit};
use autosurgeon::reconcile_prop;
use cartable_domain::DocKind;
use cartable_domain::catalogue::{Activity, ActivityKind, Catalogue, Closure};
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::{BookingRequest, CellKey, Decision, Planning};
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::cells::{cell, root_map};
use cartable_reconcile::{Counts, DecisionInputs, Effects, Rules, plan_sync};
use jiff::civil::Date;
use std::sync::Arc;

pub const YEAR: SchoolYear = SchoolYear(2026);

/// A canteen (Monday, Tuesday, Thursday, Friday) with `capacity` places and no deadline.
pub fn catalogue(capacity: u32) -> Catalogue {
    let mut c = Catalogue::default();
    let mut canteen = Activity::simple("Cantine", ActivityKind::Canteen, vec![1, 2, 4, 5]);
    canteen.capacity = Some(capacity);
    c.activities.insert("cantine".into(), canteen);
    let mut centre = Activity::simple("Mercredi", ActivityKind::WednesdayCentre, vec![3]);
    centre.requires_approved_dossier = true;
    c.activities.insert("mercredi".into(), centre);
    c
}

pub fn closure(from: &str, to: &str, label: &str) -> Closure {
    Closure {
        from: from.into(),
        to: to.into(),
        label: label.into(),
        activities: vec![],
    }
}

/// Children c1 … c4, born in 2018.
pub fn dossier() -> Dossier {
    let mut d = Dossier::default();
    for id in ["c1", "c2", "c3", "c4"] {
        d.children.insert(
            id.into(),
            ChildSheet {
                first_name: id.into(),
                birth_date: "2018-04-12".into(),
                ..Default::default()
            },
        );
    }
    d
}

pub fn paris(s: &str) -> jiff::Timestamp {
    cartable_domain::calendar::parse_local_instant(s).expect("instant")
}

/// A server copy of a planning, a phone, and the server's place counters.
pub struct World {
    pub server: AutoCommit,
    pub phone: AutoCommit,
    pub counts: Counts,
    pub inputs: DecisionInputs,
    rev: u64,
}

impl World {
    pub fn new(catalogue: Catalogue) -> Self {
        let mut server = AutoCommit::new().with_actor(ActorId::from(vec![0xEE; 16]));
        autosurgeon::reconcile(&mut server, Planning::new("f", YEAR)).expect("planning");
        server.commit();
        let phone = server.fork().with_actor(ActorId::from(vec![0x01; 16]));
        Self {
            server,
            phone,
            counts: Counts::new(),
            inputs: DecisionInputs {
                catalogue: Arc::new(catalogue),
                dossier: dossier().into(),
                valid_documents: Default::default(),
                overdue: None,
                now: paris("2026-11-02T10:00"),
            },
            rev: 0,
        }
    }

    /// The phone asks to book (`wanted`) or withdraw a cell; returns the new request's rev.
    pub fn ask(&mut self, child: &str, day: Date, activity: &str, wanted: bool) -> String {
        self.rev += 1;
        let rev = format!("r{}", self.rev);
        let request = BookingRequest {
            wanted,
            rev: rev.clone(),
            by: "parent".into(),
            at_ms: 0,
        };
        let key = CellKey::new(child, day, activity).encode();
        let requests = root_map(&self.phone, "requests").expect("requests map");
        reconcile_prop(&mut self.phone, &requests, key.as_str(), &request).expect("write");
        rev
    }

    /// The phone writes anything at `path` (a forged change).
    pub fn forge(&mut self, edit: impl FnOnce(&mut AutoCommit)) {
        edit(&mut self.phone);
    }

    /// Syncs the phone's changes: merge, plan, counters, decide; the phone receives the
    /// server's writes.
    pub fn sync(&mut self) -> Effects {
        self.phone.commit();
        let before = self.server.get_heads();
        self.server.merge(&mut self.phone).expect("merge");
        let plan = plan_sync(&mut self.server, &before, DocKind::Planning).expect("plan");
        let locked: Counts = plan
            .counters()
            .iter()
            .map(|k| (k.clone(), self.counts.get(k).copied().unwrap_or(0)))
            .collect();
        let rules = Rules {
            inputs: &self.inputs,
            school_year: YEAR,
        };
        let effects = plan
            .decide(&mut self.server, Some(rules), &locked)
            .expect("decide");
        self.moved(&effects);
        self.server.commit();
        self.phone.merge(&mut self.server).expect("merge back");
        effects
    }

    /// Applies the effects' counter moves to the server's counters.
    pub fn moved(&mut self, effects: &Effects) {
        for (key, delta) in effects.places.iter() {
            *self.counts.entry(key.clone()).or_insert(0) += delta;
        }
    }

    pub fn decision(&self, child: &str, day: Date, activity: &str) -> Option<Decision> {
        cell(&self.server, &CellKey::new(child, day, activity).encode()).1
    }

    pub fn taken(&self, day: Date, activity: &str) -> i64 {
        self.counts
            .get(&cartable_reconcile::PlaceKey::new(activity, day))
            .copied()
            .unwrap_or(0)
    }

    /// Counters rebuilt from the decisions alone (what a projection rebuild counts).
    pub fn rebuilt_counts(&self) -> Counts {
        let planning: Planning = autosurgeon::hydrate(&self.server).expect("planning");
        let mut counts = Counts::new();
        for (key, request) in &planning.requests {
            let (Ok(cell), Some(decision)) = (CellKey::decode(key), planning.decisions.get(key))
            else {
                continue;
            };
            let _ = request;
            if decision.holds_place() {
                *counts
                    .entry(cartable_reconcile::PlaceKey::of(&cell))
                    .or_insert(0) += 1;
            }
        }
        counts
    }

    /// The server's counters without zero entries.
    pub fn live_counts(&self) -> Counts {
        self.counts
            .iter()
            .filter(|(_, v)| **v != 0)
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    pub fn put_root(&mut self, key: &str, value: &str) {
        self.phone.put(automerge::ROOT, key, value).expect("put");
    }
}
