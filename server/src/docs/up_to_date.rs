//! Replies to up-to-date syncs, remembered per document so that the next one is answered
//! without the document.
//!
//! A device that has nothing new sends, at each sync, the same message for a document (its
//! heads, which are the server's, and an empty summary of changes since them). Automerge's
//! reply is then a function of the document at its storage version and of the message's
//! bytes: receiving such a message sets the sync state's shared heads to the message's,
//! whatever they were, and every other part of the state comes from the message. The reply
//! computed the last time is kept with the message and the state it left (the one persisted
//! for the device), and given again while the document's version, the message and the
//! device's persisted state are those: no lock, no load from storage, no Automerge work, no
//! write. At 10,000 families most documents are not in memory, and loading one to say
//! "nothing new" cost more than the rest of the sync.
//!
//! Only up-to-date syncs are remembered: no changes in the message, the device's heads equal
//! to the document's, no orphans held for the device (whose needs the reply adds). Each
//! document keeps its last such reply, which serves every device of the family (and every
//! family, for a structure's catalogue) whose message and state are the same bytes. The
//! entries are bounded by their memory.

use super::bounded::BoundedMap;
use cartable_domain::ids::DocumentId;

/// Memory for remembered replies: an entry is about 400 bytes (a message of about 100, a
/// sync state of 40, a reply of about 100, the key and the map's share), so this holds the
/// four documents of about 10,000 families.
pub const DEFAULT_BUDGET_BYTES: usize = 16 * 1024 * 1024;

struct Entry {
    /// Storage version of the document the reply was computed from.
    version: i64,
    message: Vec<u8>,
    state: Vec<u8>,
    /// Automerge's reply, as sent (`None`: nothing to send).
    reply: Option<Vec<u8>>,
}

/// The last up-to-date reply of each document, with what it was computed from.
pub struct UpToDateReplies {
    entries: BoundedMap<Entry>,
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
            entries: BoundedMap::new(budget),
        }
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
        self.entries.read(doc_id, |entry| {
            (entry.version == version && entry.message == message && entry.state == state)
                .then(|| entry.reply.clone())
        })
    }

    /// Remembers `reply`, computed from `doc_id` at storage `version` for an up-to-date
    /// device that sent `message`, whose sync state is `state` once this sync is done.
    /// Replaces the document's previous entry.
    pub fn put(
        &self,
        doc_id: &DocumentId,
        version: i64,
        message: &[u8],
        state: &[u8],
        reply: Option<&[u8]>,
    ) {
        let bytes = message.len() + state.len() + reply.map_or(0, <[u8]>::len);
        let entry = Entry {
            version,
            message: message.to_vec(),
            state: state.to_vec(),
            reply: reply.map(<[u8]>::to_vec),
        };
        self.entries.insert(doc_id, entry, bytes);
    }

    /// Documents with a remembered reply.
    pub fn count(&self) -> usize {
        self.entries.count()
    }

    /// Their memory, in bytes (estimated).
    pub fn bytes(&self) -> usize {
        self.entries.bytes()
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
        assert_eq!(
            replies.bytes(),
            super::super::bounded::ENTRY_OVERHEAD_BYTES + 9 + 5
        );
    }
}
