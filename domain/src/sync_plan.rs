//! The pure part of the sync protocol, shared by every client (the client core, the load
//! generator, test peers): how a sync starts and when a document is done.
//!
//! No I/O here: these functions take a document and its Automerge sync state and say what to
//! do, so they are tested against raw Automerge peers.
//!
//! The first round of a sync pre-fills the persisted state with what the server is known to
//! hold (its durable `shared_heads`): Automerge then puts every local change made since into
//! the very first message, so a booking reaches the server in one round trip instead of two.

use automerge::sync::{BloomFilter, ChunkList, Have, Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

/// Most HTTP round trips in one sync that are not explained by the device's own edits made
/// while it ran (see [`MAX_ROUNDS_WITH_EDITS`]).
pub const MAX_ROUNDS: u32 = 10;

/// Most HTTP round trips in one sync whatever happens: rounds during which the app kept
/// editing (a parent booking while a background sync runs) carry those edits and do not count
/// toward [`MAX_ROUNDS`], up to this bound.
pub const MAX_ROUNDS_WITH_EDITS: u32 = 3 * MAX_ROUNDS;

/// The sync state to start a sync with, from the bytes persisted after the last one.
///
/// With no (or unreadable) persisted state, or one naming changes this device does not have,
/// the plain Automerge handshake is used (`State::new()`), which costs one more round.
pub fn first_round_state(persisted: Option<&[u8]>, doc: &mut AutoCommit) -> State {
    let Some(mut state) = persisted.and_then(|bytes| State::decode(bytes).ok()) else {
        return State::new();
    };
    let known = state
        .shared_heads
        .clone()
        .iter()
        .all(|h| doc.get_change_meta_by_hash(h).is_some());
    if !known {
        return State::new();
    }
    // The server told us it durably holds `shared_heads`: behave as if it had just said so.
    let shared = state.shared_heads.clone();
    state.their_heads = Some(shared.clone());
    state.their_need = Some(Vec::new());
    state.their_have = Some(vec![Have {
        last_sync: shared,
        bloom: BloomFilter::default(),
    }]);
    state
}

/// The message to send next for `doc`, or `None` when the document is in step with the server.
///
/// A document needs another round only when the message carries changes, asks for changes, or
/// the server's last known heads differ from ours.
pub fn next_message(doc: &mut AutoCommit, state: &mut State) -> Option<Message> {
    let ours = sorted(doc.get_heads());
    let message = doc.sync().generate_sync_message(state)?;
    let message = with_what_they_lack(doc, state, message);
    let theirs = state.their_heads.clone().map(sorted);
    let needed =
        !message.changes.is_empty() || !message.need.is_empty() || theirs.as_ref() != Some(&ours);
    needed.then_some(message)
}

/// The first message of a sync for `doc`. Always produced: it tells the server our heads.
pub fn first_message(doc: &mut AutoCommit, state: &mut State) -> Option<Message> {
    let message = doc.sync().generate_sync_message(state)?;
    Some(with_what_they_lack(doc, state, message))
}

/// `message` completed with the changes the peer certainly lacks and Automerge held back.
///
/// Automerge chooses the changes to send with the peer's bloom filter, which wrongly claims
/// about one change in a hundred. A change the server wrote while deciding on the device's
/// request (the booking's acceptance) would then reach the device one round trip later, and a
/// parent's booking on the server one round trip later. But every change that is not an
/// ancestor of the peer's heads is missing there for certain, when this side knows all those
/// heads; when it does not (the peer holds changes this side never got), the bloom filter is
/// all there is, and the peer asks for what it still lacks in its next message.
pub fn with_what_they_lack(doc: &mut AutoCommit, state: &mut State, message: Message) -> Message {
    let Some(theirs) = state.their_heads.clone() else {
        return message;
    };
    if sorted(theirs.clone()) == sorted(doc.get_heads())
        || !theirs
            .iter()
            .all(|h| doc.get_change_meta_by_hash(h).is_some())
    {
        return message;
    }
    let held_back: Vec<ChangeHash> = doc
        .get_changes_meta(&theirs)
        .iter()
        .map(|c| c.hash)
        .filter(|h| !state.sent_hashes.contains(h))
        .collect();
    if held_back.is_empty() {
        return message;
    }
    // Both message versions carry length-prefixed chunks that the receiver joins and loads
    // as one: a change appended after them is read like the others.
    let mut chunks: Vec<Vec<u8>> = message.changes.iter().map(<[u8]>::to_vec).collect();
    for hash in held_back {
        if let Some(change) = doc.get_change_by_hash(&hash) {
            chunks.push(change.raw_bytes().to_vec());
            state.sent_hashes.insert(hash);
        }
    }
    Message {
        changes: ChunkList::from(chunks),
        ..message
    }
}

/// The next message for a document whose local changes the server refused: it only receives.
///
/// Its first message (from [`first_message`], changes removed with [`without_changes`]) told
/// the server its heads and what it has; the server answered with what the device seemed to
/// lack. The bloom filter the device sent may wrongly claim one of the server's changes (about
/// one change in a hundred), which the server then holds back: the device asks for what it
/// still lacks of the server's heads, and says nothing otherwise.
pub fn receive_only_message(doc: &mut AutoCommit, state: &mut State) -> Option<Message> {
    let message = without_changes(doc.sync().generate_sync_message(state)?);
    (!message.need.is_empty()).then_some(message)
}

/// `message` with its changes removed: heads, needs and bloom filter only.
pub fn without_changes(mut message: Message) -> Message {
    message.changes = automerge::sync::ChunkList::empty();
    message
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT};

    /// A server doc and a device copy of it, synced, with the device's persisted state.
    ///
    /// Both actors are fixed, so every change hash, and with them the bloom filters' answers
    /// (wrong for about one change in a hundred), is the same on every run.
    fn synced_pair() -> (AutoCommit, AutoCommit, Vec<u8>) {
        let mut server = AutoCommit::new().with_actor(automerge::ActorId::from([1u8; 16]));
        server
            .put_object(ROOT, "requests", ObjType::Map)
            .expect("root map");
        let mut device = AutoCommit::new().with_actor(automerge::ActorId::from([2u8; 16]));
        let mut s_state = State::new();
        let mut d_state = State::new();
        for _ in 0..10 {
            let a = device.sync().generate_sync_message(&mut d_state);
            if let Some(m) = a.clone() {
                server
                    .sync()
                    .receive_sync_message(&mut s_state, m)
                    .expect("server receives");
            }
            let b = server.sync().generate_sync_message(&mut s_state);
            if let Some(m) = b.clone() {
                device
                    .sync()
                    .receive_sync_message(&mut d_state, m)
                    .expect("device receives");
            }
            if a.is_none() && b.is_none() {
                break;
            }
        }
        assert_eq!(device.get_heads(), server.get_heads());
        (server, device, d_state.encode())
    }

    #[test]
    fn a_local_change_goes_out_in_the_first_message() {
        let (_server, mut device, persisted) = synced_pair();
        let (_, requests) = automerge::ReadDoc::get(&device, ROOT, "requests")
            .expect("read")
            .expect("map");
        device.put(&requests, "k", "booked").expect("edit");

        let mut state = first_round_state(Some(&persisted), &mut device);
        let msg = first_message(&mut device, &mut state).expect("a first message");
        assert_eq!(msg.changes.len(), 1, "the booking travels in round one");
    }

    #[test]
    fn an_up_to_date_device_sends_heads_only_and_is_then_done() {
        let (mut server, mut device, persisted) = synced_pair();
        let mut state = first_round_state(Some(&persisted), &mut device);
        let msg = first_message(&mut device, &mut state).expect("first message");
        assert!(msg.changes.is_empty());

        // The server answers from its own persisted state.
        let mut s_state = State::new();
        server
            .sync()
            .receive_sync_message(&mut s_state, msg)
            .expect("receive");
        let reply = server
            .sync()
            .generate_sync_message(&mut s_state)
            .expect("reply");
        device
            .sync()
            .receive_sync_message(&mut state, reply)
            .expect("device receives");
        assert!(next_message(&mut device, &mut state).is_none());
    }

    /// The server answers from a state of its own, as it does for each request.
    fn server_reply(server: &mut AutoCommit, message: Message) -> Message {
        let mut state = State::new();
        server
            .sync()
            .receive_sync_message(&mut state, message)
            .expect("server receives");
        let reply = server
            .sync()
            .generate_sync_message(&mut state)
            .expect("a reply");
        with_what_they_lack(server, &mut state, reply)
    }

    #[test]
    fn a_decision_the_bloom_filter_wrongly_claims_still_goes_back_in_the_same_reply() {
        let (server, mut device, persisted) = synced_pair();
        device.put(ROOT, "booking", "Léa, lundi").expect("booking");
        let mut d_state = first_round_state(Some(&persisted), &mut device);
        let first = first_message(&mut device, &mut d_state).expect("first");
        let bloom = first.have.first().expect("a bloom filter").bloom.clone();
        // A decision whose hash the device's filter wrongly claims: about one in a hundred,
        // and the same one on every run since the actors are fixed.
        let found = (0..10_000).find_map(|i| {
            let mut server = server.clone();
            let mut s_state = State::new();
            server
                .sync()
                .receive_sync_message(&mut s_state, first.clone())
                .expect("server receives");
            server.put(ROOT, "decision", format!("acceptée {i}")).ok()?;
            server.commit();
            let decision = *server.get_heads().first()?;
            bloom
                .contains_hash(&decision)
                .then_some((server, s_state, decision))
        });
        let (mut server, mut s_state, decision) = found.expect("a wrongly claimed decision");
        let plain = server
            .sync()
            .generate_sync_message(&mut s_state)
            .expect("a reply");
        assert!(
            plain.changes.is_empty(),
            "Automerge holds the decision back"
        );

        let reply = with_what_they_lack(&mut server, &mut s_state, plain);
        assert_eq!(reply.changes.len(), 1);
        device
            .sync()
            .receive_sync_message(&mut d_state, reply)
            .expect("device receives");
        assert!(device.get_change_by_hash(&decision).is_some());
        assert_eq!(device.get_heads(), server.get_heads());
        assert!(
            next_message(&mut device, &mut d_state).is_none(),
            "done in one round trip"
        );
    }

    #[test]
    fn a_device_that_only_receives_asks_for_a_change_its_bloom_filter_hid() {
        let (mut server, mut device, persisted) = synced_pair();
        device.put(ROOT, "doctor", "refused").expect("local edit");
        let refused = device.get_heads();
        server.put(ROOT, "school", "Jaurès").expect("other parent");

        let mut state = first_round_state(Some(&persisted), &mut device);
        let first = without_changes(first_message(&mut device, &mut state).expect("first"));
        assert!(first.changes.is_empty());
        // The device's bloom filter claims the server's change: the reply holds it back.
        let held_back = without_changes(server_reply(&mut server, first));
        device
            .sync()
            .receive_sync_message(&mut state, held_back)
            .expect("device receives");

        let ask = receive_only_message(&mut device, &mut state).expect("asks for it");
        assert_eq!(ask.need, server.get_heads());
        assert!(ask.changes.is_empty(), "nothing goes up");
        let reply = server_reply(&mut server, ask);
        device
            .sync()
            .receive_sync_message(&mut state, reply)
            .expect("device receives");
        let school = automerge::ReadDoc::get(&device, ROOT, "school").expect("read");
        assert!(school.is_some(), "the other parent's change arrived");
        assert!(receive_only_message(&mut device, &mut state).is_none());
        assert!(server.get_change_by_hash(&refused[0]).is_none());
    }

    #[test]
    fn a_device_that_only_receives_and_lacks_nothing_says_nothing_more() {
        let (mut server, mut device, persisted) = synced_pair();
        device.put(ROOT, "doctor", "refused").expect("local edit");
        server.put(ROOT, "school", "Jaurès").expect("other parent");

        let mut state = first_round_state(Some(&persisted), &mut device);
        let first = without_changes(first_message(&mut device, &mut state).expect("first"));
        let reply = server_reply(&mut server, first);
        assert_eq!(reply.changes.len(), 1);
        device
            .sync()
            .receive_sync_message(&mut state, reply)
            .expect("device receives");
        assert!(receive_only_message(&mut device, &mut state).is_none());
    }

    #[test]
    fn unreadable_or_foreign_persisted_state_falls_back_to_the_handshake() {
        let (mut server, mut device, _) = synced_pair();
        assert_eq!(first_round_state(Some(b"junk"), &mut device), State::new());
        // A state naming a change this device lacks.
        server.put(ROOT, "x", 1).expect("edit");
        let mut s = State::new();
        s.shared_heads = server.get_heads();
        assert_eq!(
            first_round_state(Some(&s.encode()), &mut device),
            State::new()
        );
    }
}
