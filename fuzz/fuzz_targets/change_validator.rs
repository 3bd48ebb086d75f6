//! The change validator: the input drives a device's edits of a dossier or planning (any
//! value, object type or key, Text included), or is read as raw change chunks; the changes
//! are merged into the server's copy and their patches checked, as the sync path does. No
//! input panics: every outcome is `Ok` or a typed refusal.

#![no_main]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use cartable_domain::DocKind;
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::Planning;
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::validate::Limits;
use cartable_reconcile::validate::chunks::read_change;
use cartable_reconcile::validate::incoming::sort;
use cartable_reconcile::validate::patches::{Context, check};
use libfuzzer_sys::fuzz_target;

const AUTHOR: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const KEYS: [&str; 10] = [
    "children",
    "c1",
    "first_name",
    "allergies",
    "requests",
    "absences",
    "decisions",
    "submission",
    "c1|2026-12-07|cantine",
    "by",
];

fn server_doc(kind: DocKind) -> AutoCommit {
    let mut doc = AutoCommit::new();
    match kind {
        DocKind::Dossier => {
            let mut d = Dossier::default();
            d.children.insert("c1".into(), ChildSheet::default());
            let _ = autosurgeon::reconcile(&mut doc, &d);
        }
        _ => {
            let _ = autosurgeon::reconcile(&mut doc, &Planning::new("f", SchoolYear(2026)));
        }
    }
    doc.commit();
    doc
}

fn objects(doc: &AutoCommit) -> Vec<ObjId> {
    let mut out = vec![ROOT];
    let mut i = 0;
    while i < out.len() && out.len() < 32 {
        let obj = out[i].clone();
        for key in doc.keys(&obj).collect::<Vec<_>>() {
            if let Ok(Some((automerge::Value::Object(_), id))) = doc.get(&obj, key.as_str()) {
                out.push(id);
            }
        }
        i += 1;
    }
    out
}

fn scalar(kind: u8, v: u8) -> ScalarValue {
    match kind % 7 {
        0 => ScalarValue::Str(format!("v{v}").into()),
        1 => ScalarValue::Int(i64::from(v) - 100),
        2 => ScalarValue::Uint(u64::from(v)),
        3 => ScalarValue::Boolean(v % 2 == 0),
        4 => ScalarValue::Null,
        5 => ScalarValue::counter(i64::from(v)),
        _ => ScalarValue::Str(
            format!(r#"{{"wanted":true,"rev":"r","by":"{AUTHOR}","at_ms":{v}}}"#).into(),
        ),
    }
}

/// Interprets `data` four bytes at a time as edits of `doc`.
fn edit(doc: &mut AutoCommit, data: &[u8]) {
    for op in data.chunks(4).take(64) {
        let [what, target, key, value] = [op[0], *op.get(1).unwrap_or(&0), *op.get(2).unwrap_or(&0), *op.get(3).unwrap_or(&0)];
        let objs = objects(doc);
        let obj = objs[usize::from(target) % objs.len()].clone();
        let key = KEYS[usize::from(key) % KEYS.len()];
        let _ = match what % 6 {
            0 => doc.put(&obj, key, scalar(value, what)).map(|_| ()),
            1 => {
                let kind = [ObjType::Map, ObjType::List, ObjType::Text, ObjType::Table]
                    [usize::from(value) % 4];
                doc.put_object(&obj, key, kind).map(|_| ())
            }
            2 => doc.delete(&obj, key),
            3 => doc.insert(&obj, 0, scalar(value, what)),
            4 => doc.splice_text(&obj, 0, 0, "é"),
            _ => doc.increment(&obj, key, i64::from(value)),
        };
    }
}

fn merge_and_check(server: &mut AutoCommit, kind: DocKind, changes: Vec<Change>) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let kind = if first % 2 == 0 {
        DocKind::Dossier
    } else {
        DocKind::Planning
    };
    let mut server = server_doc(kind);
    if first & 0x80 == 0 {
        let mut device = server.fork();
        edit(&mut device, rest);
        let heads = server.get_heads();
        let changes = device.get_changes(&heads);
        merge_and_check(&mut server, kind, changes);
    } else if let Ok(change) = read_change(rest) {
        merge_and_check(&mut server, kind, vec![change]);
    }
});
