//! Properties of the core over random sequences of bookings, withdrawals, overrides and
//! closures (absences ride along: they never move a place):
//!
//! - the core, with its Automerge plumbing, decides exactly as the rules applied cell by
//!   cell to a plain model, whatever the sync boundaries;
//! - with places to spare, syncing after every change or in random batches ends with the
//!   same decisions;
//! - the place counters always equal a recount of the decisions (a projection rebuild).

mod common;

use automerge::transaction::Transactable;
use autosurgeon::reconcile_prop;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::planning::{AbsenceDeclaration, BookingRequest, CellKey, Decision, Outcome};
use cartable_domain::rules::{decide_cell, place_delta};
use cartable_reconcile::redecide::{StaffDecision, plan_closures, plan_override};
use cartable_reconcile::{Counts, PlaceKey};
use common::{World, catalogue, closure};
use jiff::civil::{Date, date};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const CHILDREN: [&str; 3] = ["c1", "c2", "c3"];

fn days() -> [Date; 4] {
    [
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 3),
        date(2026, 12, 4),
    ]
}

fn today() -> Date {
    date(2026, 11, 2)
}

#[derive(Debug, Clone)]
enum Op {
    /// The phone asks to book or withdraw.
    Ask {
        child: usize,
        day: usize,
        wanted: bool,
    },
    /// The phone declares an absence.
    Absent { child: usize, day: usize },
    /// The phone syncs.
    Sync,
    /// Staff override a cell that reached the server.
    Override {
        child: usize,
        day: usize,
        accept: bool,
    },
    /// Staff close a day.
    Close { day: usize },
    /// Staff remove every closure.
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, 0..4usize, any::<bool>())
            .prop_map(|(child, day, wanted)| Op::Ask { child, day, wanted }),
        1 => (0..3usize, 0..4usize).prop_map(|(child, day)| Op::Absent { child, day }),
        3 => Just(Op::Sync),
        1 => (0..3usize, 0..4usize, any::<bool>())
            .prop_map(|(child, day, accept)| Op::Override { child, day, accept }),
        1 => (0..4usize).prop_map(|day| Op::Close { day }),
        1 => Just(Op::Reopen),
    ]
}

fn key(child: usize, day: usize) -> CellKey {
    CellKey::new(CHILDREN[child], days()[day], "cantine")
}

fn closed(capacity: u32, day: Option<usize>) -> Catalogue {
    let mut c = catalogue(capacity);
    if let Some(day) = day {
        let d = days()[day].to_string();
        c.closures.push(closure(&d, &d, &format!("Fermé le {d}")));
    }
    c
}

/// The same world driven by the core: what the server holds.
struct Core {
    world: World,
    capacity: u32,
}

impl Core {
    fn new(capacity: u32) -> Self {
        Self {
            world: World::new(catalogue(capacity)),
            capacity,
        }
    }

    fn ask(&mut self, k: &CellKey, wanted: bool, rev: &str) {
        let request = BookingRequest {
            wanted,
            rev: rev.into(),
            by: "parent".into(),
            at_ms: 0,
        };
        let requests =
            cartable_reconcile::cells::root_map(&self.world.phone, "requests").expect("requests");
        reconcile_prop(
            &mut self.world.phone,
            &requests,
            k.encode().as_str(),
            &request,
        )
        .expect("write");
    }

    fn absent(&mut self, k: &CellKey, rev: &str) {
        let declaration = AbsenceDeclaration {
            rev: rev.into(),
            by: "parent".into(),
            at_ms: 0,
            reason: "malade".into(),
            document_id: None,
        };
        let absences =
            cartable_reconcile::cells::root_map(&self.world.phone, "absences").expect("absences");
        reconcile_prop(
            &mut self.world.phone,
            &absences,
            k.encode().as_str(),
            &declaration,
        )
        .expect("write");
    }

    fn run(&mut self, plan: cartable_reconcile::redecide::RedecisionPlan) {
        let counts: Counts = plan
            .counters()
            .iter()
            .map(|k| (k.clone(), self.world.counts.get(k).copied().unwrap_or(0)))
            .collect();
        let inputs = self.world.inputs.clone();
        let effects = plan
            .decide(&mut self.world.server, &inputs, common::YEAR, &counts)
            .expect("decide");
        self.world.moved(&effects);
        self.world.server.commit();
        self.world
            .phone
            .merge(&mut self.world.server)
            .expect("merge");
    }

    fn override_cell(&mut self, k: &CellKey, accept: bool) {
        let staff = StaffDecision {
            outcome: if accept {
                Outcome::Accepted
            } else {
                Outcome::Refused
            },
            reason: "Vu avec la famille".into(),
        };
        if let Ok(plan) = plan_override(&self.world.server, k, staff) {
            self.run(plan);
        }
    }

    fn close(&mut self, day: Option<usize>) {
        let catalogue = closed(self.capacity, day);
        self.world.inputs.catalogue = Arc::new(catalogue.clone());
        let plan = plan_closures(&self.world.server, &catalogue, today());
        self.run(plan);
    }

    fn decisions(&self) -> BTreeMap<String, Decision> {
        let planning: cartable_domain::planning::Planning =
            autosurgeon::hydrate(&self.world.server).expect("planning");
        planning.decisions
    }
}

/// The rules applied cell by cell to plain maps: no Automerge, no core.
struct Model {
    capacity: u32,
    catalogue: Catalogue,
    /// Written on the phone, not synced yet, by encoded key (the core's order).
    unsynced: BTreeMap<String, BookingRequest>,
    requests: BTreeMap<String, BookingRequest>,
    decisions: BTreeMap<String, Decision>,
    counts: Counts,
    inputs: cartable_reconcile::DecisionInputs,
}

impl Model {
    fn new(capacity: u32, inputs: cartable_reconcile::DecisionInputs) -> Self {
        Self {
            capacity,
            catalogue: catalogue(capacity),
            unsynced: BTreeMap::new(),
            requests: BTreeMap::new(),
            decisions: BTreeMap::new(),
            counts: Counts::new(),
            inputs,
        }
    }

    fn record(&mut self, k: &CellKey, decision: Decision) {
        let key = k.encode();
        let before = self.decisions.get(&key).map(|d| d.outcome);
        let delta = i64::from(place_delta(before, decision.outcome));
        *self.counts.entry(PlaceKey::of(k)).or_insert(0) += delta;
        self.decisions.insert(key, decision);
    }

    fn sync(&mut self) {
        let inputs = cartable_reconcile::DecisionInputs {
            catalogue: Arc::new(self.catalogue.clone()),
            ..self.inputs.clone()
        };
        let ctx = inputs.context(common::YEAR);
        for (key, request) in std::mem::take(&mut self.unsynced) {
            let k = CellKey::decode(&key).expect("key");
            self.requests.insert(key.clone(), request.clone());
            let previous = self.decisions.get(&key).cloned();
            if previous.as_ref().is_some_and(|d| d.rev == request.rev) {
                continue;
            }
            let taken = self.counts.get(&PlaceKey::of(&k)).copied().unwrap_or(0);
            let own = i64::from(previous.as_ref().is_some_and(Decision::holds_place));
            let others = u32::try_from((taken - own).max(0)).unwrap_or(0);
            let decision = decide_cell(&ctx, &k, &request, previous.as_ref(), others);
            self.record(&k, decision);
        }
    }

    fn override_cell(&mut self, k: &CellKey, accept: bool) {
        let Some(request) = self.requests.get(&k.encode()).cloned() else {
            return;
        };
        let decision = Decision {
            rev: request.rev,
            outcome: if accept {
                Outcome::Accepted
            } else {
                Outcome::Refused
            },
            reason: Some("Vu avec la famille (décision de la structure)".into()),
            cause: Some(cartable_domain::refusal::RefusalCause::StaffDecision),
            decided_at_ms: self.inputs.now.as_millisecond(),
        };
        self.record(k, decision);
    }

    fn close(&mut self, day: Option<usize>) {
        self.catalogue = closed(self.capacity, day);
        let Some(day) = day else {
            return;
        };
        let d = days()[day].to_string();
        for child in 0..CHILDREN.len() {
            let k = key(child, day);
            let (Some(request), Some(previous)) = (
                self.requests.get(&k.encode()).cloned(),
                self.decisions.get(&k.encode()).cloned(),
            ) else {
                continue;
            };
            if !previous.holds_place() {
                continue;
            }
            self.record(
                &k,
                Decision {
                    rev: request.rev,
                    outcome: Outcome::Cancelled,
                    reason: Some(format!("Annulé par la structure : Fermé le {d}")),
                    cause: Some(cartable_domain::refusal::RefusalCause::Closure),
                    decided_at_ms: self.inputs.now.as_millisecond(),
                },
            );
        }
    }
}

fn nonzero(counts: &Counts) -> Counts {
    counts
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// Drives `core` through `ops`; `sync_every_change` syncs after each phone write too.
/// Overrides and closures act on what reached the server: the phone syncs first.
fn drive(core: &mut Core, mut model: Option<&mut Model>, ops: &[Op], sync_every_change: bool) {
    let mut rev = 0;
    for op in ops {
        match op {
            Op::Ask { child, day, wanted } => {
                rev += 1;
                let k = key(*child, *day);
                let r = format!("r{rev}");
                core.ask(&k, *wanted, &r);
                if let Some(m) = model.as_deref_mut() {
                    m.unsynced.insert(
                        k.encode(),
                        BookingRequest {
                            wanted: *wanted,
                            rev: r,
                            by: "parent".into(),
                            at_ms: 0,
                        },
                    );
                }
                if sync_every_change {
                    sync(core, model.as_deref_mut());
                }
            }
            Op::Absent { child, day } => {
                rev += 1;
                core.absent(&key(*child, *day), &format!("a{rev}"));
            }
            Op::Sync => sync(core, model.as_deref_mut()),
            Op::Override { child, day, accept } => {
                sync(core, model.as_deref_mut());
                core.override_cell(&key(*child, *day), *accept);
                if let Some(m) = model.as_deref_mut() {
                    m.override_cell(&key(*child, *day), *accept);
                }
            }
            Op::Close { day } => {
                sync(core, model.as_deref_mut());
                core.close(Some(*day));
                if let Some(m) = model.as_deref_mut() {
                    m.close(Some(*day));
                }
            }
            Op::Reopen => {
                sync(core, model.as_deref_mut());
                core.close(None);
                if let Some(m) = model.as_deref_mut() {
                    m.close(None);
                }
            }
        }
        assert_eq!(
            nonzero(&core.world.counts),
            core.world.rebuilt_counts(),
            "counters equal a recount after {op:?}"
        );
    }
    sync(core, model);
}

fn sync(core: &mut Core, model: Option<&mut Model>) {
    core.world.sync();
    if let Some(m) = model {
        m.sync();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_core_decides_as_the_rules_cell_by_cell(
        ops in proptest::collection::vec(op(), 1..40),
        capacity in 1u32..3,
    ) {
        let mut core = Core::new(capacity);
        let mut model = Model::new(capacity, core.world.inputs.clone());
        drive(&mut core, Some(&mut model), &ops, false);
        let decisions = core.decisions();
        prop_assert_eq!(&decisions, &model.decisions);
        prop_assert_eq!(nonzero(&core.world.counts), nonzero(&model.counts));
        // Every declared absence got an outcome.
        let planning: cartable_domain::planning::Planning =
            autosurgeon::hydrate(&core.world.server).expect("planning");
        prop_assert_eq!(planning.undecided_absences().count(), 0);
    }

    #[test]
    fn with_places_to_spare_sync_boundaries_do_not_change_decisions(
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut one_by_one = Core::new(100);
        drive(&mut one_by_one, None, &ops, true);
        let mut batched = Core::new(100);
        drive(&mut batched, None, &ops, false);
        let outcomes = |core: &Core| -> BTreeMap<String, (Outcome, Option<cartable_domain::refusal::RefusalCause>)> {
            core.decisions()
                .into_iter()
                .map(|(k, d)| (k, (d.outcome, d.cause)))
                .collect()
        };
        prop_assert_eq!(outcomes(&one_by_one), outcomes(&batched));
        prop_assert_eq!(nonzero(&one_by_one.world.counts), nonzero(&batched.world.counts));
    }
}

#[test]
fn a_forged_absence_outcome_is_written_back() {
    let mut core = Core::new(2);
    let k = key(0, 0);
    core.ask(&k, true, "r1");
    core.world.sync();
    let outcomes =
        cartable_reconcile::cells::root_map(&core.world.phone, "absence_decisions").expect("map");
    core.world
        .phone
        .put(&outcomes, k.encode().as_str(), "forged")
        .expect("forge");
    let effects = core.world.sync();
    assert_eq!(
        effects.compensated,
        vec![format!("absence_decisions/{}", k.encode())]
    );
}
