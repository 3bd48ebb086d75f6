//! Compensation: writing back what a family may not write.
//!
//! A change is never dropped from an Automerge history (the device could never sync again).
//! When a merged change touched a server-only part of a document, the server writes the
//! values it had before the merge back over it, as a new change that follows the bad one.

use crate::patches::root_key;
use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, Patch, Prop, ROOT, ReadDoc, Value,
    transaction::Transactable,
};
use std::collections::BTreeSet;

/// Which root keys of a document the family may not write.
#[derive(Debug, Clone, Copy)]
pub enum Protected<'a> {
    /// The whole document (read-only for families).
    All,
    /// These root keys only.
    Keys(&'a [&'a str]),
}

/// Restores the protected root keys touched by `patches` to their value at `before`.
/// Returns the paths that were written back.
pub fn compensate(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    patches: &[Patch],
    protected: Protected<'_>,
) -> Result<Vec<String>, automerge::AutomergeError> {
    let touched: BTreeSet<String> = patches
        .iter()
        .filter_map(root_key)
        .filter(|k| match protected {
            Protected::All => true,
            Protected::Keys(keys) => keys.contains(k),
        })
        .map(str::to_string)
        .collect();
    let mut restored = Vec::new();
    for key in touched {
        restore(
            doc,
            &ROOT,
            Prop::Map(key.clone()),
            before,
            &key,
            &mut restored,
        )?;
    }
    Ok(restored)
}

fn prop_name(prop: &Prop) -> String {
    match prop {
        Prop::Map(k) => k.clone(),
        Prop::Seq(i) => i.to_string(),
    }
}

/// Makes `obj[prop]` equal to what it was at `before`.
fn restore(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    before: &[ChangeHash],
    path: &str,
    restored: &mut Vec<String>,
) -> Result<(), automerge::AutomergeError> {
    let old = doc
        .get_at(obj, prop.clone(), before)?
        .map(|(v, id)| (v.to_owned(), id));
    let now = doc
        .get(obj, prop.clone())?
        .map(|(v, id)| (v.to_owned(), id));
    match (old, now) {
        (None, None) => {}
        (None, Some(_)) => {
            doc.delete(obj, prop)?;
            restored.push(path.to_string());
        }
        (Some((Value::Scalar(a), _)), Some((Value::Scalar(b), _))) if a == b => {}
        (
            Some((Value::Object(ObjType::Map), id_old)),
            Some((Value::Object(ObjType::Map), id_now)),
        ) if id_old == id_now => {
            let mut keys: BTreeSet<String> = doc.keys_at(&id_old, before).collect();
            keys.extend(doc.keys(&id_now));
            for key in keys {
                let child = format!("{path}/{key}");
                restore(doc, &id_old, Prop::Map(key), before, &child, restored)?;
            }
        }
        (Some((Value::Object(kind), id_old)), Some((Value::Object(kind_now), id_now)))
            if kind == kind_now && id_old == id_now && same_sequence(doc, &id_old, before)? => {}
        (Some((old, id_old)), _) => {
            copy_from(doc, obj, prop, &old, &id_old, before)?;
            restored.push(path.to_string());
        }
    }
    Ok(())
}

/// True when a list or text object has the same content now as at `before`.
fn same_sequence(
    doc: &AutoCommit,
    obj: &ObjId,
    before: &[ChangeHash],
) -> Result<bool, automerge::AutomergeError> {
    match doc.object_type(obj)? {
        ObjType::Text => Ok(doc.text_at(obj, before)? == doc.text(obj)?),
        ObjType::List => {
            let then: Vec<String> = doc
                .list_range_at(obj, .., before)
                .map(|item| format!("{:?}", item.value))
                .collect();
            let now: Vec<String> = doc
                .list_range(obj, ..)
                .map(|item| format!("{:?}", item.value))
                .collect();
            Ok(then == now)
        }
        _ => Ok(false),
    }
}

/// Writes into `obj[prop]` a fresh copy of the value `old` (object `old_id`) as it was at
/// `before`.
fn copy_from(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    old: &Value<'static>,
    old_id: &ObjId,
    before: &[ChangeHash],
) -> Result<(), automerge::AutomergeError> {
    match old {
        Value::Scalar(s) => {
            doc.put(obj, prop, s.as_ref().clone())?;
        }
        Value::Object(kind) => {
            let new = doc.put_object(obj, prop, *kind)?;
            fill(doc, &new, *kind, old_id, before)?;
        }
    }
    Ok(())
}

fn fill(
    doc: &mut AutoCommit,
    new: &ObjId,
    kind: ObjType,
    old_id: &ObjId,
    before: &[ChangeHash],
) -> Result<(), automerge::AutomergeError> {
    match kind {
        ObjType::Map | ObjType::Table => {
            let keys: Vec<String> = doc.keys_at(old_id, before).collect();
            for key in keys {
                if let Some((v, id)) = doc.get_at(old_id, key.as_str(), before)? {
                    let v = v.to_owned();
                    copy_from(doc, new, Prop::Map(key), &v, &id, before)?;
                }
            }
        }
        ObjType::List => {
            let len = doc.length_at(old_id, before);
            for i in 0..len {
                if let Some((v, id)) = doc.get_at(old_id, i, before)? {
                    let v = v.to_owned();
                    match &v {
                        Value::Scalar(s) => {
                            doc.insert(new, i, s.as_ref().clone())?;
                        }
                        Value::Object(k) => {
                            let child = doc.insert_object(new, i, *k)?;
                            fill(doc, &child, *k, &id, before)?;
                        }
                    }
                }
            }
        }
        ObjType::Text => {
            let text = doc.text_at(old_id, before)?;
            doc.splice_text(new, 0, 0, &text)?;
        }
    }
    Ok(())
}

/// Human-readable form of a property, for logs.
pub fn describe(prop: &Prop) -> String {
    prop_name(prop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;

    fn server_doc() -> AutoCommit {
        let mut doc = AutoCommit::new();
        let decisions = doc
            .put_object(ROOT, "decisions", ObjType::Map)
            .expect("map");
        let d = doc.put_object(&decisions, "k1", ObjType::Map).expect("map");
        doc.put(&d, "outcome", "refused").expect("put");
        doc.put_object(ROOT, "requests", ObjType::Map).expect("map");
        doc
    }

    fn merge_from_peer(server: &mut AutoCommit, edit: impl FnOnce(&mut AutoCommit)) -> Vec<Patch> {
        let mut peer = server.fork();
        edit(&mut peer);
        let before = server.get_heads();
        let mut a = automerge::sync::State::new();
        let mut b = automerge::sync::State::new();
        for _ in 0..10 {
            if let Some(m) = peer.sync().generate_sync_message(&mut a) {
                server
                    .sync()
                    .receive_sync_message(&mut b, m)
                    .expect("receive");
            }
            if let Some(m) = server.sync().generate_sync_message(&mut b) {
                peer.sync()
                    .receive_sync_message(&mut a, m)
                    .expect("receive");
            }
        }
        let after = server.get_heads();
        server.diff(&before, &after)
    }

    fn outcome(doc: &AutoCommit) -> Option<String> {
        let (_, decisions) = doc.get(ROOT, "decisions").ok()??;
        let (_, d) = doc.get(&decisions, "k1").ok()??;
        doc.get(&d, "outcome")
            .ok()?
            .and_then(|(v, _)| v.as_str().map(String::from))
    }

    #[test]
    fn a_forged_decision_is_written_back() {
        let mut server = server_doc();
        let before = server.get_heads();
        let patches = merge_from_peer(&mut server, |peer| {
            let (_, decisions) = peer
                .get(ROOT, "decisions")
                .ok()
                .flatten()
                .expect("decisions");
            let (_, d) = peer.get(&decisions, "k1").ok().flatten().expect("k1");
            peer.put(&d, "outcome", "accepted").expect("forge");
            peer.put_object(&decisions, "k2", ObjType::Map)
                .expect("forge new");
        });
        assert_eq!(outcome(&server).as_deref(), Some("accepted"));
        let restored = compensate(
            &mut server,
            &before,
            &patches,
            Protected::Keys(&["decisions"]),
        )
        .expect("compensates");
        assert_eq!(outcome(&server).as_deref(), Some("refused"));
        assert!(
            restored.contains(&"decisions/k1/outcome".to_string()),
            "{restored:?}"
        );
        assert!(
            restored.contains(&"decisions/k2".to_string()),
            "{restored:?}"
        );
    }

    #[test]
    fn a_replaced_protected_object_is_rebuilt_and_family_keys_are_untouched() {
        let mut server = server_doc();
        let before = server.get_heads();
        let patches = merge_from_peer(&mut server, |peer| {
            peer.put(ROOT, "decisions", "gone").expect("clobber");
            let (_, requests) = peer.get(ROOT, "requests").ok().flatten().expect("requests");
            peer.put(&requests, "r", "mine").expect("family write");
        });
        let restored = compensate(
            &mut server,
            &before,
            &patches,
            Protected::Keys(&["decisions"]),
        )
        .expect("compensates");
        assert_eq!(restored, vec!["decisions".to_string()]);
        assert_eq!(outcome(&server).as_deref(), Some("refused"));
        let (_, requests) = server
            .get(ROOT, "requests")
            .ok()
            .flatten()
            .expect("requests");
        assert!(server.get(&requests, "r").ok().flatten().is_some());
    }

    #[test]
    fn a_read_only_document_is_restored_whole() {
        let mut server = server_doc();
        let before = server.get_heads();
        let patches = merge_from_peer(&mut server, |peer| {
            peer.put(ROOT, "extra", 1).expect("write");
            peer.delete(ROOT, "requests").expect("delete");
        });
        compensate(&mut server, &before, &patches, Protected::All).expect("compensates");
        assert!(server.get(ROOT, "extra").ok().flatten().is_none());
        assert!(server.get(ROOT, "requests").ok().flatten().is_some());
    }
}
