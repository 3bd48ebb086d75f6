//! Reading the changes a sync message carries, strictly.
//!
//! Automerge's own loader skips what it cannot read and keeps the rest, so a corrupt change
//! would be dropped silently and its device would send it again at every sync. Here each
//! chunk is split out and read on its own: anything that is not a whole, intact change chunk
//! is a [`RefusalKind::Corrupt`](super::RefusalKind::Corrupt) refusal.
//!
//! Devices send changes one chunk each (Automerge's sync message version 1: the server does
//! not advertise version 2, which may carry a whole document). Whole documents, compressed
//! changes and bundles are refused: they are what a device never needs to send, and the only
//! chunks whose size in memory is not their size on the wire.

use super::limits::Limits;
use super::refusal::Refusal;
use automerge::Change;
use automerge::sync::Message;

/// First bytes of every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Magic bytes, checksum, chunk type.
const HEADER_BYTES: usize = 9;
const DOCUMENT_CHUNK: u8 = 0;
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHUNK: u8 = 2;
const BUNDLE_CHUNK: u8 = 3;

/// Reads every change of `message`, in the order sent.
pub fn read_changes(message: &Message) -> Result<Vec<Change>, Refusal> {
    let mut changes = Vec::new();
    for bytes in message.changes.iter() {
        let mut rest = bytes;
        if rest.is_empty() {
            return Err(Refusal::corrupt("bloc vide"));
        }
        while !rest.is_empty() {
            let (chunk, tail) = split_chunk(rest)?;
            changes.push(read_change(chunk)?);
            rest = tail;
        }
    }
    Ok(changes)
}

/// Reads one change chunk and checks that its checksum matches its content.
pub fn read_change(chunk: &[u8]) -> Result<Change, Refusal> {
    let change = Change::try_from(chunk).map_err(Refusal::corrupt)?;
    let checksum = chunk.get(4..8).unwrap_or_default();
    if change.hash().0.get(..4) != Some(checksum) {
        return Err(Refusal::corrupt("somme de contrôle incorrecte"));
    }
    Ok(change)
}

/// Splits the first chunk off `bytes`.
fn split_chunk(bytes: &[u8]) -> Result<(&[u8], &[u8]), Refusal> {
    if bytes.len() < HEADER_BYTES || bytes[..4] != MAGIC {
        return Err(Refusal::corrupt("ce n'est pas une modification Automerge"));
    }
    match bytes[8] {
        CHANGE_CHUNK => {}
        DOCUMENT_CHUNK => {
            return Err(Refusal::corrupt(
                "un document entier n'est pas accepté : envoyez des modifications",
            ));
        }
        COMPRESSED_CHUNK => {
            return Err(Refusal::corrupt(
                "une modification compressée n'est pas acceptée",
            ));
        }
        BUNDLE_CHUNK => {
            return Err(Refusal::corrupt(
                "un lot de modifications n'est pas accepté",
            ));
        }
        other => {
            return Err(Refusal::corrupt(format!("type de bloc inconnu ({other})")));
        }
    }
    let (len, used) = uleb128(&bytes[HEADER_BYTES..])?;
    let end = len
        .checked_add(HEADER_BYTES + used)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| Refusal::corrupt("modification tronquée"))?;
    Ok(bytes.split_at(end))
}

/// An unsigned LEB128 length and the bytes it took.
fn uleb128(bytes: &[u8]) -> Result<(usize, usize), Refusal> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().take(10).enumerate() {
        let low = u64::from(b & 0x7f);
        let shift = 7 * i as u32;
        if shift >= 64 || (shift > 0 && low >> (64 - shift) != 0) {
            break;
        }
        value |= low << shift;
        if b & 0x80 == 0 {
            let len = usize::try_from(value).map_err(|_| Refusal::corrupt("longueur invalide"))?;
            return Ok((len, i + 1));
        }
    }
    Err(Refusal::corrupt("longueur invalide"))
}

/// What one request has brought so far, against the per-request limits.
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    changes: usize,
    ops: usize,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            changes: 0,
            ops: 0,
        }
    }

    /// Counts `changes` against the request's limits.
    pub fn spend(&mut self, changes: &[Change]) -> Result<(), Refusal> {
        self.changes += changes.len();
        self.ops += changes.iter().map(Change::len).sum::<usize>();
        if self.changes > self.limits.max_changes_per_request {
            return Err(Refusal::too_large(format!(
                "{} modifications dans une requête ({} au plus) : synchronisez plus souvent",
                self.changes, self.limits.max_changes_per_request
            )));
        }
        if self.ops > self.limits.max_ops_per_request {
            return Err(Refusal::too_large(format!(
                "{} opérations dans une requête ({} au plus) : synchronisez plus souvent",
                self.ops, self.limits.max_ops_per_request
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::RefusalKind;
    use automerge::sync::{State, SyncDoc};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    /// A device's first message carrying its `n` changes (version 1, one chunk each).
    fn message_with_changes(n: usize) -> (AutoCommit, Message) {
        let mut doc = AutoCommit::new();
        for i in 0..n {
            doc.put(ROOT, format!("k{i}"), i as i64).expect("put");
            doc.commit();
        }
        let mut state = State::new();
        state.their_heads = Some(Vec::new());
        state.their_need = Some(Vec::new());
        state.their_have = Some(vec![automerge::sync::Have::default()]);
        let message = doc
            .sync()
            .generate_sync_message(&mut state)
            .expect("message");
        (doc, message)
    }

    #[test]
    fn changes_sent_one_chunk_each_or_back_to_back_are_read() {
        let (mut doc, message) = message_with_changes(3);
        let read = read_changes(&message).expect("reads");
        assert_eq!(read.len(), 3);
        let joined: Vec<u8> = doc
            .get_changes(&[])
            .iter()
            .flat_map(|c| c.raw_bytes().to_vec())
            .collect();
        let v2 = Message {
            changes: joined.into(),
            ..message
        };
        let again = read_changes(&v2).expect("back to back");
        assert_eq!(
            again.iter().map(Change::hash).collect::<Vec<_>>(),
            read.iter().map(Change::hash).collect::<Vec<_>>()
        );
    }

    #[test]
    fn truncated_altered_or_foreign_chunks_are_corrupt() {
        let (mut doc, message) = message_with_changes(1);
        let raw = doc.get_changes(&[])[0].raw_bytes().to_vec();
        let corrupt = |bytes: Vec<u8>| {
            let m = Message {
                changes: bytes.into(),
                ..message.clone()
            };
            read_changes(&m).expect_err("refused").kind
        };
        assert_eq!(corrupt(raw[..raw.len() - 3].to_vec()), RefusalKind::Corrupt);
        let mut flipped = raw.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        assert_eq!(corrupt(flipped), RefusalKind::Corrupt);
        let mut trailing = raw.clone();
        trailing.extend_from_slice(&[0x85, 0x6f]);
        assert_eq!(corrupt(trailing), RefusalKind::Corrupt);
        assert_eq!(corrupt(b"not automerge".to_vec()), RefusalKind::Corrupt);
        assert_eq!(
            corrupt(doc.save()),
            RefusalKind::Corrupt,
            "a whole document"
        );
        assert_eq!(corrupt(Vec::new()), RefusalKind::Corrupt);
    }

    #[test]
    fn lengths_that_overflow_are_refused_not_trusted() {
        let mut bytes = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, CHANGE_CHUNK];
        bytes.extend_from_slice(&[0xff; 12]);
        assert!(split_chunk(&bytes).is_err());
        let mut huge = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, CHANGE_CHUNK];
        huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(split_chunk(&huge).is_err());
        assert_eq!(uleb128(&[0xe5, 0x8e, 0x26]).ok(), Some((624_485, 3)));
    }

    #[test]
    fn a_request_is_bounded_in_changes_and_operations() {
        let (_, message) = message_with_changes(3);
        let changes = read_changes(&message).expect("reads");
        let mut budget = Budget::new(Limits {
            max_changes_per_request: 4,
            ..Limits::default()
        });
        budget.spend(&changes).expect("within");
        assert_eq!(
            budget.spend(&changes).expect_err("over").kind,
            RefusalKind::TooLarge
        );
        let mut ops = Budget::new(Limits {
            max_ops_per_request: 2,
            ..Limits::default()
        });
        assert!(ops.spend(&changes).is_err());
    }
}
