//! What a sync pays for a planning that is not in memory: its stored chunks read back into
//! Automerge's bytes (a compressed snapshot and the incremental chunks after it), then
//! `AutoCommit::load`. The planning is a booked school year as the load generator seeds it:
//! a thousand requests written in one change and their decisions in another, then a few
//! one-cell syncs stored as incremental chunks.
//!
//! `cargo bench -p cartable-server --bench stored_load`; figures in docs/BENCHMARKS.md.

use automerge::{ActorId, AutoCommit, ObjId, ReadDoc};
use autosurgeon::reconcile_prop;
use cartable_domain::planning::{BookingRequest, CellKey, Decision, Outcome, Planning};
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::cells::root_map;
use cartable_server::db::chunk_codec::{StoredDoc, snapshot};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const CELLS: usize = 1_000;
const LATER_SYNCS: usize = 4;

fn map(doc: &AutoCommit, name: &str) -> ObjId {
    root_map(doc, name).unwrap_or_else(|| panic!("no map {name}"))
}

/// Writes `cells` as one sync does: the requests in one change by the device, then their
/// decisions in one change by the server.
fn book(doc: &mut AutoCommit, device: &ActorId, server: &ActorId, cells: &[(String, usize)]) {
    doc.set_actor(device.clone());
    let requests = map(doc, "requests");
    for (key, i) in cells {
        let request = BookingRequest {
            wanted: true,
            rev: format!("{i:032x}"),
            by: "a".repeat(32),
            at_ms: 1_788_000_000_000 + *i as i64 * 60_000,
        };
        reconcile_prop(&mut *doc, &requests, key.as_str(), &request).expect("request");
    }
    doc.commit();
    doc.set_actor(server.clone());
    let decisions = map(doc, "decisions");
    for (key, i) in cells {
        let decision = Decision {
            rev: format!("{i:032x}"),
            outcome: Outcome::Accepted,
            reason: None,
            cause: None,
            decided_at_ms: 1_788_000_000_050 + *i as i64 * 60_000,
        };
        reconcile_prop(&mut *doc, &decisions, key.as_str(), &decision).expect("decision");
    }
    doc.commit();
}

/// The stored chunks of a booked year: its snapshot, then one chunk per later sync.
fn stored_year() -> Vec<Vec<u8>> {
    let year = SchoolYear(2026);
    let (device, server) = (ActorId::random(), ActorId::random());
    let mut doc = AutoCommit::new().with_actor(server.clone());
    autosurgeon::reconcile(&mut doc, Planning::new(&"f".repeat(32), year)).expect("planning");
    doc.commit();
    let cell = |i: usize| {
        let day = year.first_day() + jiff::Span::new().days((i / 8) as i64);
        let activity = ["cantine", "garderie-matin", "garderie-soir", "mercredi"][(i / 2) % 4];
        let key = CellKey::new(format!("{:032x}", i % 2), day, activity.to_string());
        (key.encode(), i)
    };
    book(
        &mut doc,
        &device,
        &server,
        &(0..CELLS).map(cell).collect::<Vec<_>>(),
    );
    let mut chunks = vec![snapshot(&mut doc)];
    for i in CELLS..CELLS + LATER_SYNCS {
        let heads = doc.get_heads();
        book(&mut doc, &device, &server, &[cell(i)]);
        chunks.push(doc.save_after(&heads));
    }
    chunks
}

fn stored_load(c: &mut Criterion) {
    let chunks = stored_year();
    let borrowed: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    let joined = StoredDoc::join(&borrowed).expect("join");
    let loaded = AutoCommit::load(&joined.bytes).expect("load");
    assert_eq!(loaded.length(map(&loaded, "requests")), CELLS + LATER_SYNCS);
    let mut group = c.benchmark_group("booked year, snapshot + 4 chunks");
    group.bench_function("chunks joined", |b| {
        b.iter(|| StoredDoc::join(black_box(&borrowed)).expect("join"))
    });
    group.bench_function("chunks joined and loaded", |b| {
        b.iter(|| {
            let joined = StoredDoc::join(black_box(&borrowed)).expect("join");
            AutoCommit::load(&joined.bytes).expect("load")
        })
    });
    group.finish();
}

criterion_group!(benches, stored_load);
criterion_main!(benches);
