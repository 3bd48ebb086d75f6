//! No input makes the checks of incoming changes panic: random bytes as a sync message or as
//! change chunks, altered real changes, and random edits of a family's documents all end in
//! `Ok` or a typed refusal. The same entry points are fuzzed with cargo-fuzz (`fuzz/`); this
//! keeps the property checked by `cargo test`.

use automerge::sync::Message;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use cartable_domain::DocKind;
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::Planning;
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::validate::chunks::read_changes;
use cartable_reconcile::validate::incoming::sort;
use cartable_reconcile::validate::patches::{Context, check};
use cartable_reconcile::validate::{Limits, chunks};
use proptest::prelude::*;

const AUTHOR: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";

/// A dossier with one child, and a planning, as the server creates them.
fn documents() -> Vec<(DocKind, AutoCommit)> {
    let mut dossier = Dossier::default();
    dossier.children.insert("c1".into(), ChildSheet::default());
    let mut d = AutoCommit::new();
    autosurgeon::reconcile(&mut d, &dossier).expect("dossier");
    let mut p = AutoCommit::new();
    autosurgeon::reconcile(&mut p, Planning::new("f", SchoolYear(2026))).expect("planning");
    vec![(DocKind::Dossier, d), (DocKind::Planning, p)]
}

/// Applies what is ready of `changes` to `server` and checks the patches, as the server does.
fn merge_and_check(server: &mut AutoCommit, kind: DocKind, changes: Vec<automerge::Change>) {
    let sorted = sort(server.document(), changes);
    let before = server.get_heads();
    if server.apply_changes(sorted.ready).is_err() {
        return;
    }
    let after = server.get_heads();
    let patches = server.diff(&before, &after);
    let limits = Limits::default();
    let ctx = Context {
        kind,
        author: AUTHOR,
        limits: &limits,
    };
    let _ = check(server, &ctx, &patches);
}

/// One random edit a hostile device may make.
#[derive(Debug, Clone)]
enum Edit {
    Put(usize, String, u8, i64),
    MakeObject(usize, String, u8),
    Delete(usize, String),
    Insert(usize, u8),
    Splice(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let key = prop_oneof![
        Just("children".to_string()),
        Just("c1".to_string()),
        Just("first_name".to_string()),
        Just("allergies".to_string()),
        Just("requests".to_string()),
        Just("decisions".to_string()),
        Just("submission".to_string()),
        Just("c1|2026-12-07|cantine".to_string()),
        "[a-z|0-9-]{0,12}",
    ];
    prop_oneof![
        (0..8usize, key.clone(), 0..8u8, any::<i64>())
            .prop_map(|(o, k, t, v)| Edit::Put(o, k, t, v)),
        (0..8usize, key.clone(), 0..4u8).prop_map(|(o, k, t)| Edit::MakeObject(o, k, t)),
        (0..8usize, key).prop_map(|(o, k)| Edit::Delete(o, k)),
        (0..8usize, 0..8u8).prop_map(|(o, t)| Edit::Insert(o, t)),
        (0..8usize, ".{0,8}").prop_map(|(o, s)| Edit::Splice(o, s)),
    ]
}

fn scalar(kind: u8, v: i64) -> ScalarValue {
    match kind {
        0 => ScalarValue::Str(format!("v{v}").into()),
        1 => ScalarValue::Int(v),
        2 => ScalarValue::Uint(v.unsigned_abs()),
        3 => ScalarValue::Boolean(v % 2 == 0),
        4 => ScalarValue::Null,
        5 => ScalarValue::F64(v as f64),
        6 => ScalarValue::counter(v),
        _ => ScalarValue::Str(
            format!(r#"{{"wanted":true,"rev":"r","by":"{AUTHOR}","at_ms":{v}}}"#).into(),
        ),
    }
}

/// Every object of `doc`, root first, to pick edit targets from.
fn objects(doc: &AutoCommit) -> Vec<ObjId> {
    let mut out = vec![ROOT];
    let mut i = 0;
    while i < out.len() && out.len() < 64 {
        let obj = out[i].clone();
        for key in doc.keys(&obj).collect::<Vec<_>>() {
            if let Ok(Some((automerge::Value::Object(_), id))) = doc.get(&obj, key.as_str()) {
                out.push(id);
            }
        }
        for idx in 0..doc.length(&obj).min(8) {
            if let Ok(Some((automerge::Value::Object(_), id))) = doc.get(&obj, idx) {
                out.push(id);
            }
        }
        i += 1;
    }
    out
}

fn apply(doc: &mut AutoCommit, edit: &Edit) {
    let objs = objects(doc);
    let pick = |i: usize| objs[i % objs.len()].clone();
    // Each edit may fail (wrong object type for it): that is fine, it is then not made.
    match edit {
        Edit::Put(o, key, t, v) => {
            let _ = doc.put(pick(*o), key.as_str(), scalar(*t, *v));
        }
        Edit::MakeObject(o, key, t) => {
            let kind =
                [ObjType::Map, ObjType::List, ObjType::Text, ObjType::Table][*t as usize % 4];
            let _ = doc.put_object(pick(*o), key.as_str(), kind);
        }
        Edit::Delete(o, key) => {
            let _ = doc.delete(pick(*o), key.as_str());
        }
        Edit::Insert(o, t) => {
            let _ = doc.insert(pick(*o), 0, scalar(*t, 1));
        }
        Edit::Splice(o, text) => {
            let _ = doc.splice_text(pick(*o), 0, 0, text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(message) = Message::decode(&bytes) {
            let _ = read_changes(&message);
        }
        // The same bytes behind a change chunk header go deeper into the parser.
        let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1];
        chunk.push(bytes.len().min(127) as u8);
        chunk.extend_from_slice(&bytes[..bytes.len().min(127)]);
        let _ = chunks::read_change(&chunk);
    }

    #[test]
    fn altered_real_changes_never_panic_the_checks(
        edits in proptest::collection::vec(edit(), 1..6),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        for (kind, mut server) in documents() {
            let mut device = server.fork();
            for e in &edits {
                apply(&mut device, e);
            }
            let heads = server.get_heads();
            let changes = device.get_changes(&heads);
            // As sent, then with a few bytes altered.
            merge_and_check(&mut server.fork(), kind, changes.clone());
            for change in changes {
                let mut raw = change.raw_bytes().to_vec();
                for (at, bits) in &flips {
                    let len = raw.len();
                    raw[at % len] ^= bits;
                }
                if let Ok(read) = chunks::read_change(&raw) {
                    merge_and_check(&mut server, kind, vec![read]);
                }
            }
        }
    }
}
