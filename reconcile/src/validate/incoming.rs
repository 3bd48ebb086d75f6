//! Which incoming changes are new to the document, and which of those can be applied now.
//!
//! A change can be applied once every change it depends on is in the document. One whose
//! dependencies have not arrived (an orphan) is never handed to Automerge, which would keep it
//! in the document's in-memory queue with no bound and no way out: the server keeps orphans
//! apart, bounded, asks the device for what they need, and drops them with an error when it
//! never comes (see [`need`]).

use automerge::{Automerge, Change, ChangeHash};
use std::collections::{HashMap, HashSet, VecDeque};

/// Incoming changes the document does not have yet.
#[derive(Debug, Clone, Default)]
pub struct Sorted {
    /// Changes whose dependencies are all in the document or earlier in this list.
    pub ready: Vec<Change>,
    /// Changes still missing a dependency.
    pub orphans: Vec<Change>,
}

impl Sorted {
    pub fn is_empty(&self) -> bool {
        self.ready.is_empty() && self.orphans.is_empty()
    }

    /// Every new change, ready ones first.
    pub fn all(&self) -> impl Iterator<Item = &Change> {
        self.ready.iter().chain(&self.orphans)
    }
}

/// True when `doc` holds the change `hash`.
pub fn has_change(doc: &Automerge, hash: &ChangeHash) -> bool {
    doc.get_change_meta_by_hash(hash).is_some()
}

/// Leaves out the changes `doc` already has (and repeats), and sorts the others into those
/// ready to apply, in an order where each comes after its dependencies, and orphans.
pub fn sort(doc: &Automerge, candidates: impl IntoIterator<Item = Change>) -> Sorted {
    let mut seen = HashSet::new();
    let pending: Vec<Change> = candidates
        .into_iter()
        .filter(|c| seen.insert(c.hash()) && !has_change(doc, &c.hash()))
        .collect();
    let index: HashMap<ChangeHash, usize> = pending
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash(), i))
        .collect();

    // Kahn's algorithm over the pending changes; a dependency that is neither in the
    // document nor pending can never be met.
    let mut unmet = vec![0usize; pending.len()];
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut hopeless = vec![false; pending.len()];
    for (i, change) in pending.iter().enumerate() {
        for dep in change.deps() {
            if let Some(&j) = index.get(dep) {
                unmet[i] += 1;
                dependents.entry(j).or_default().push(i);
            } else if !has_change(doc, dep) {
                hopeless[i] = true;
            }
        }
    }
    let mut queue: VecDeque<usize> = (0..pending.len())
        .filter(|&i| unmet[i] == 0 && !hopeless[i])
        .collect();
    let mut order = Vec::with_capacity(pending.len());
    let mut done = vec![false; pending.len()];
    while let Some(i) = queue.pop_front() {
        done[i] = true;
        order.push(i);
        for &j in dependents.get(&i).map(Vec::as_slice).unwrap_or_default() {
            unmet[j] -= 1;
            if unmet[j] == 0 && !hopeless[j] {
                queue.push_back(j);
            }
        }
    }
    let mut slots: Vec<Option<Change>> = pending.into_iter().map(Some).collect();
    let ready = order.iter().filter_map(|&i| slots[i].take()).collect();
    let orphans = slots
        .into_iter()
        .zip(done)
        .filter_map(|(c, done)| c.filter(|_| !done))
        .collect();
    Sorted { ready, orphans }
}

/// The changes `orphans` still need: their dependencies that are neither in `doc` nor
/// among the orphans themselves. This is what the device is asked to send.
pub fn need(doc: &Automerge, orphans: &[Change]) -> Vec<ChangeHash> {
    let held: HashSet<ChangeHash> = orphans.iter().map(Change::hash).collect();
    let mut missing: Vec<ChangeHash> = orphans
        .iter()
        .flat_map(|c| c.deps().iter().copied())
        .filter(|d| !held.contains(d) && !has_change(doc, d))
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::AutoCommit;
    use automerge::transaction::Transactable;

    /// A server document and a device fork of it with `n` further changes, in order.
    fn device_changes(n: usize) -> (AutoCommit, Vec<Change>) {
        let mut server = AutoCommit::new();
        server.put(automerge::ROOT, "base", 1).expect("put");
        server.commit();
        let mut device = server.fork();
        for i in 0..n {
            device
                .put(automerge::ROOT, format!("k{i}"), i as i64)
                .expect("put");
            device.commit();
        }
        let heads = server.get_heads();
        let changes = device.get_changes(&heads);
        (server, changes)
    }

    #[test]
    fn changes_in_any_order_are_all_ready_once_complete() {
        let (mut server, mut changes) = device_changes(4);
        changes.reverse();
        let sorted = sort(server.document(), changes.clone());
        assert_eq!(sorted.ready.len(), 4);
        assert!(sorted.orphans.is_empty());
        let position = |h: ChangeHash| sorted.ready.iter().position(|c| c.hash() == h);
        for c in &sorted.ready {
            for d in c.deps() {
                if let Some(p) = position(*d) {
                    assert!(p < position(c.hash()).unwrap_or(0), "dependency first");
                }
            }
        }
        // What the document already has is left out.
        server.apply_changes(changes).expect("apply");
        assert!(sort(server.document(), sorted.ready).is_empty());
    }

    #[test]
    fn a_change_without_its_dependency_waits_with_everything_after_it() {
        let (mut server, changes) = device_changes(3);
        let without_first: Vec<Change> = changes[1..].to_vec();
        let sorted = sort(server.document(), without_first.clone());
        assert!(sorted.ready.is_empty());
        assert_eq!(sorted.orphans.len(), 2);
        assert_eq!(
            need(server.document(), &sorted.orphans),
            vec![changes[0].hash()]
        );
        // Once the missing change arrives, all three are ready.
        let mut all = sorted.orphans;
        all.push(changes[0].clone());
        let sorted = sort(server.document(), all);
        assert_eq!(sorted.ready.len(), 3);
        assert!(sorted.orphans.is_empty());
    }
}
