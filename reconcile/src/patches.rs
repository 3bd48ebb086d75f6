//! Which parts of a document a merge touched, read from Automerge's patches.

use automerge::{Patch, PatchAction, Prop};
use std::collections::BTreeSet;

/// The root key a patch falls under.
pub fn root_key(patch: &Patch) -> Option<&str> {
    match patch.path.first() {
        Some((_, Prop::Map(key))) => Some(key.as_str()),
        Some((_, Prop::Seq(_))) => None,
        None => match &patch.action {
            PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => Some(key.as_str()),
            _ => None,
        },
    }
}

/// True when a patch falls under root key `root`.
pub fn touches_root(patches: &[Patch], root: &str) -> bool {
    patches.iter().any(|p| root_key(p) == Some(root))
}

/// Keys of the map at root key `root` that `patches` touched. `None` when the map itself
/// was replaced or removed (every key may have changed).
pub fn touched_keys(patches: &[Patch], root: &str) -> Option<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    for p in patches {
        match (p.path.first(), p.path.get(1)) {
            (Some((_, Prop::Map(r))), Some((_, Prop::Map(k)))) if r == root => {
                keys.insert(k.clone());
            }
            (Some((_, Prop::Map(r))), None) if r == root => match &p.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    keys.insert(key.clone());
                }
                _ => return None,
            },
            (None, _) => match &p.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } if key == root => {
                    return None;
                }
                _ => {}
            },
            _ => {}
        }
    }
    Some(keys)
}
