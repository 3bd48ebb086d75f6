//! The reconciliation core's cost per call, on a family planning holding a full school year
//! (two children, every activity of the default catalogue on every day it runs from
//! 1 September to 4 July, all decided: about a thousand cells, as `cartable-fullyear`
//! builds through the real server).
//!
//! `cargo bench -p cartable-reconcile --bench core`; figures in docs/BENCHMARKS.md.

use automerge::{ActorId, AutoCommit};
use autosurgeon::reconcile_prop;
use cartable_domain::DocKind;
use cartable_domain::calendar::closure_on;
use cartable_domain::catalogue::{Activity, ActivityKind, Catalogue, Closure};
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::{BookingRequest, CellKey, Planning};
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::cells::root_map;
use cartable_reconcile::redecide::{plan_closures, plan_family_file};
use cartable_reconcile::{Counts, DecisionInputs, Rules, plan_sync};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::civil::{Date, date};
use std::hint::black_box;
use std::sync::Arc;

const YEAR: SchoolYear = SchoolYear(2026);

fn catalogue() -> Catalogue {
    let mut c = Catalogue::default();
    let school_days = vec![1, 2, 4, 5];
    for (id, name, kind, days) in [
        (
            "cantine",
            "Cantine",
            ActivityKind::Canteen,
            school_days.clone(),
        ),
        (
            "garderie-matin",
            "Matin",
            ActivityKind::MorningChildcare,
            school_days.clone(),
        ),
        (
            "garderie-soir",
            "Soir",
            ActivityKind::EveningChildcare,
            school_days,
        ),
        (
            "mercredi",
            "Mercredi",
            ActivityKind::WednesdayCentre,
            vec![3],
        ),
    ] {
        let mut a = Activity::simple(name, kind, days);
        a.capacity = Some(200);
        c.activities.insert(id.into(), a);
    }
    c
}

fn inputs(catalogue: Catalogue) -> DecisionInputs {
    let mut dossier = Dossier::default();
    for id in ["c1", "c2"] {
        dossier.children.insert(
            id.into(),
            ChildSheet {
                first_name: id.into(),
                birth_date: "2018-04-12".into(),
                ..Default::default()
            },
        );
    }
    DecisionInputs {
        catalogue: Arc::new(catalogue),
        dossier: dossier.into(),
        valid_documents: Default::default(),
        overdue: None,
        now: jiff::Timestamp::from_second(1_788_000_000).expect("instant"),
    }
}

fn request(rev: String, wanted: bool) -> BookingRequest {
    BookingRequest {
        wanted,
        rev,
        by: "parent".into(),
        at_ms: 0,
    }
}

/// The server's copy of a full year, every request decided, and its counters.
fn full_year(inputs: &DecisionInputs) -> (AutoCommit, AutoCommit, Counts) {
    let mut server = AutoCommit::new().with_actor(ActorId::from(vec![0xEE; 16]));
    autosurgeon::reconcile(&mut server, Planning::new("f", YEAR)).expect("planning");
    server.commit();
    let mut phone = server.fork().with_actor(ActorId::from(vec![1; 16]));
    let requests = root_map(&phone, "requests").expect("requests");
    let mut day = YEAR.first_day();
    let mut n = 0;
    while day <= date(2027, 7, 4) {
        for (id, activity) in &inputs.catalogue.activities {
            if !activity.runs_on(day) || closure_on(&inputs.catalogue, id, day).is_some() {
                continue;
            }
            for child in ["c1", "c2"] {
                n += 1;
                let key = CellKey::new(child, day, id.as_str()).encode();
                reconcile_prop(
                    &mut phone,
                    &requests,
                    key.as_str(),
                    request(format!("r{n}"), true),
                )
                .expect("write");
            }
        }
        day = day.tomorrow().expect("day");
    }
    phone.commit();
    let before = server.get_heads();
    server.merge(&mut phone).expect("merge");
    let plan = plan_sync(&mut server, &before, DocKind::Planning).expect("plan");
    let rules = Rules {
        inputs,
        school_year: YEAR,
    };
    let effects = plan
        .decide(&mut server, Some(rules), &Counts::new())
        .expect("decide");
    server.commit();
    let counts: Counts = effects.places.iter().map(|(k, d)| (k.clone(), d)).collect();
    phone.merge(&mut server).expect("merge");
    // Load from bytes, as the server does.
    let server = AutoCommit::load(&server.save()).expect("load");
    (server, phone, counts)
}

/// The server's copy with one more change from the phone merged, and the heads before it.
fn with_change(
    server: &mut AutoCommit,
    phone: &mut AutoCommit,
    day: Date,
    wanted: bool,
) -> (AutoCommit, Vec<automerge::ChangeHash>) {
    let mut phone = phone.fork().with_actor(ActorId::from(vec![2; 16]));
    let requests = root_map(&phone, "requests").expect("requests");
    let key = CellKey::new("c1", day, "cantine").encode();
    reconcile_prop(
        &mut phone,
        &requests,
        key.as_str(),
        request("new".into(), wanted),
    )
    .expect("write");
    phone.commit();
    let mut server = server.fork().with_actor(ActorId::from(vec![0xEE; 16]));
    let before = server.get_heads();
    server.merge(&mut phone).expect("merge");
    (server, before)
}

fn bench(c: &mut Criterion) {
    let inputs = inputs(catalogue());
    let (mut server, mut phone, counts) = full_year(&inputs);
    let rules = Rules {
        inputs: &inputs,
        school_year: YEAR,
    };
    let monday = date(2027, 3, 1);
    for (name, wanted) in [("sync: one booking", true), ("sync: one withdrawal", false)] {
        c.bench_function(name, |b| {
            b.iter_batched(
                || with_change(&mut server, &mut phone, monday, wanted),
                |(mut doc, before)| {
                    let plan = plan_sync(&mut doc, &before, DocKind::Planning).expect("plan");
                    let locked: Counts = plan
                        .counters()
                        .iter()
                        .map(|k| (k.clone(), counts.get(k).copied().unwrap_or(0)))
                        .collect();
                    black_box(plan.decide(&mut doc, Some(rules), &locked).expect("decide"))
                },
                BatchSize::SmallInput,
            )
        });
    }
    // What a sync's changes did to the document (which decisions are news on the phone,
    // what to project on the server): Automerge's diff between the heads before and after,
    // by a scan of the whole year or from the diff cursor set before the changes came.
    let decided = {
        let mut decided = server.fork().with_actor(ActorId::from(vec![0xEE; 16]));
        let decisions = root_map(&decided, "decisions").expect("decisions");
        let key = CellKey::new("c1", monday, "cantine").encode();
        automerge::transaction::Transactable::put(&mut decided, &decisions, key, "refused")
            .expect("decide");
        decided.commit();
        decided
    };
    for (name, cursor) in [
        ("diff of one decision on a full year: whole scan", false),
        (
            "diff of one decision on a full year: from the diff cursor",
            true,
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut doc = phone.fork().with_actor(ActorId::from(vec![1; 16]));
                    if cursor {
                        doc.update_diff_cursor();
                    }
                    let before = doc.get_heads();
                    doc.merge(&mut decided.clone()).expect("merge");
                    (doc, before)
                },
                |(mut doc, before)| {
                    let after = doc.get_heads();
                    black_box(doc.diff(&before, &after))
                },
                BatchSize::SmallInput,
            )
        });
    }
    c.bench_function("re-decision: family file, full year scanned", |b| {
        b.iter(|| black_box(plan_family_file(&server, date(2026, 11, 2))))
    });
    let mut closed = catalogue();
    closed.closures.push(Closure {
        from: "2027-03-01".into(),
        to: "2027-03-05".into(),
        label: "Grève".into(),
        activities: vec![],
    });
    let closed_inputs = inputs_with(&inputs, closed.clone());
    c.bench_function("re-decision: a week closed", |b| {
        b.iter_batched(
            || server.fork().with_actor(ActorId::from(vec![0xEE; 16])),
            |mut doc| {
                let plan = plan_closures(&doc, &closed, date(2026, 11, 2));
                let locked: Counts = plan
                    .counters()
                    .iter()
                    .map(|k| (k.clone(), counts.get(k).copied().unwrap_or(0)))
                    .collect();
                black_box(
                    plan.decide(&mut doc, &closed_inputs, YEAR, &locked)
                        .expect("decide"),
                )
            },
            BatchSize::SmallInput,
        )
    });
}

fn inputs_with(inputs: &DecisionInputs, catalogue: Catalogue) -> DecisionInputs {
    DecisionInputs {
        catalogue: Arc::new(catalogue),
        ..inputs.clone()
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
