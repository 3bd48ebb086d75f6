//! Server-side handling of the synced documents: loading and caching, creation,
//! compensation of forbidden writes, decisions and projections.

pub mod absences;
pub mod actors;
pub mod catalogue;
pub mod compensation;
pub mod create;
pub mod dossier;
pub mod incoming;
pub mod orphans;
pub mod planning;
pub mod publication;
pub mod redecide;
pub mod requested;
pub mod review;
pub mod store;
pub mod write;

use automerge::{Patch, PatchAction, Prop};
use std::collections::BTreeSet;

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
