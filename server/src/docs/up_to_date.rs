//! Replies to up-to-date syncs, remembered per document so that the next one is answered
//! without the document.
//!
//! A device that has nothing new sends, at each sync, the same message for a document (its
//! heads, which are the server's, and an empty summary of changes since them), and the server
//! has persisted the same sync state for it. Automerge's reply is then a function of three
//! things: the document at its storage version, the message's bytes and the persisted sync
//! state's bytes. The reply computed from them the last time is kept with them, and given
//! again while all three are unchanged: no lock, no load from storage, no Automerge work.
//! At 10,000 families most documents are not in memory, and loading one to say "nothing new"
//! cost more than the rest of the sync.
//!
//! Only syncs that change nothing are remembered: no changes in the message, the device's
//! heads equal to the document's, the sync state as it was persisted, no orphans held for the
//! device (whose needs the reply adds). Each document keeps its last such reply, which
//! serves every device of the family (and every family, for a structure's catalogue) whose
//! message and state are the same bytes. The entries are bounded by their memory.

use cartable_domain::ids::DocumentId;
use std::collections::HashMap;
use std::sync::Mutex;

/// Memory for remembered replies: an entry is about 400 bytes (a message of about 100, a
/// sync state of 40, a reply of about 100, the key and the map's share), so this holds the
/// four documents of about 10,000 families.
pub const DEFAULT_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// What an entry costs beyond its three byte strings: the document id, the map's slot and
/// the vectors' headers.
const ENTRY_OVERHEAD_BYTES: usize = 160;

struct Entry {
    /// Storage version of the document the reply was computed from.
    version: i64,
    message: Vec<u8>,
    state: Vec<u8>,
    /// Automerge's reply, as sent (`None`: nothing to send).
    reply: Option<Vec<u8>>,
}

impl Entry {
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD_BYTES
            + self.message.len()
            + self.state.len()
            + self.reply.as_ref().map_or(0, Vec::len)
    }
}

struct Inner {
    entries: HashMap<DocumentId, Entry>,
    total: usize,
}

/// The last up-to-date reply of each document, with what it was computed from.
pub struct UpToDateReplies {
    budget: usize,
    inner: Mutex<Inner>,
}

impl Default for UpToDateReplies {
    fn default() -> Self {
        Self::new(DEFAULT_BUDGET_BYTES)
    }
}

impl UpToDateReplies {
    /// Replies kept up to about `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                total: 0,
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reply remembered for `doc_id` at storage `version` when the device sends exactly
    /// `message` with exactly `state` persisted; `None` when there is none (then the document
    /// must answer).
    pub fn get(
        &self,
        doc_id: &DocumentId,
        version: i64,
        message: &[u8],
        state: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        let inner = self.inner();
        let entry = inner.entries.get(doc_id)?;
        (entry.version == version && entry.message == message && entry.state == state)
            .then(|| entry.reply.clone())
    }

    /// Remembers `reply`, computed from `doc_id` at storage `version` for a device that sent
    /// `message` with `state` persisted, and that left its state unchanged. Replaces the
    /// document's previous entry; makes room by forgetting others when over the budget.
    pub fn put(
        &self,
        doc_id: &DocumentId,
        version: i64,
        message: &[u8],
        state: &[u8],
        reply: Option<&[u8]>,
    ) {
        let entry = Entry {
            version,
            message: message.to_vec(),
            state: state.to_vec(),
            reply: reply.map(<[u8]>::to_vec),
        };
        let bytes = entry.bytes();
        if bytes > self.budget {
            return;
        }
        let mut inner = self.inner();
        if let Some(old) = inner.entries.insert(doc_id.clone(), entry) {
            inner.total -= old.bytes();
        }
        inner.total += bytes;
        if inner.total > self.budget {
            // Any entry will do: one is worth the same as another, and the next sync of a
            // forgotten document puts it back. An eighth of the budget is freed at once, so
            // that the pass over the entries happens once per thousands of new ones.
            let target = self.budget - self.budget / 8;
            let mut total = inner.total;
            inner.entries.retain(|k, e| {
                if total <= target || k == doc_id {
                    return true;
                }
                total -= e.bytes();
                false
            });
            inner.total = total;
        }
    }

    /// Documents with a remembered reply.
    pub fn count(&self) -> usize {
        self.inner().entries.len()
    }

    /// Their memory, in bytes (estimated).
    pub fn bytes(&self) -> usize {
        self.inner().total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DocumentId {
        DocumentId::from(format!("{n:02x}").repeat(16))
    }

    #[test]
    fn a_reply_is_given_again_only_for_the_same_version_message_and_state() {
        let replies = UpToDateReplies::default();
        replies.put(&id(1), 7, b"message", b"state", Some(b"reply"));
        assert_eq!(
            replies.get(&id(1), 7, b"message", b"state"),
            Some(Some(b"reply".to_vec()))
        );
        assert_eq!(replies.get(&id(1), 8, b"message", b"state"), None, "newer");
        assert_eq!(replies.get(&id(1), 7, b"other", b"state"), None);
        assert_eq!(replies.get(&id(1), 7, b"message", b"other"), None);
        assert_eq!(replies.get(&id(2), 7, b"message", b"state"), None);
    }

    #[test]
    fn a_new_reply_replaces_the_documents_previous_one() {
        let replies = UpToDateReplies::default();
        replies.put(&id(1), 7, b"message", b"state", Some(b"reply"));
        replies.put(&id(1), 8, b"message 2", b"state", None);
        assert_eq!(replies.get(&id(1), 7, b"message", b"state"), None);
        assert_eq!(replies.get(&id(1), 8, b"message 2", b"state"), Some(None));
        assert_eq!(replies.count(), 1);
        assert_eq!(replies.bytes(), ENTRY_OVERHEAD_BYTES + 9 + 5);
    }

    #[test]
    fn entries_are_forgotten_to_stay_within_the_budget() {
        let one = ENTRY_OVERHEAD_BYTES + 3;
        let replies = UpToDateReplies::new(16 * one);
        for n in 0..100 {
            replies.put(&id(n), 1, b"m", b"s", Some(b"r"));
            assert!(replies.bytes() <= 16 * one);
            assert_eq!(replies.bytes(), replies.count() * one);
            // The entry just put is never the one forgotten.
            assert!(replies.get(&id(n), 1, b"m", b"s").is_some());
        }
        // Down to seven eighths of the budget at each pass, then filled again.
        assert!(replies.count() >= 14);
        // An entry larger than the whole budget is not kept.
        let count = replies.count();
        replies.put(&id(200), 1, &vec![0; 16 * one], b"s", None);
        assert_eq!(replies.get(&id(200), 1, &vec![0; 16 * one], b"s"), None);
        assert_eq!(replies.count(), count);
    }
}
