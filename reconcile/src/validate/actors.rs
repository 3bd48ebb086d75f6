//! Whose actor a change is written under.
//!
//! Every Automerge change carries its author's actor id, and staff see a dossier's fields
//! attributed by it; a change under a reused actor and sequence number also stops the real
//! owner from syncing ("duplicate sequence number"). So a device may only send changes under
//! its own actors.
//!
//! A device's actors are known by first sight: the first device to send a change under an
//! actor owns it (the server records it in the same transaction as the merge), and every
//! later change under that actor must come from the same device. An actor is random (128
//! bits) and appears nowhere before its device's first sync, so no other device can claim it
//! first; a device keeps its actor across app updates, and a new login draws a new one.
//!
//! Server processes write under actors of their own that start with [`SERVER_ACTOR_PREFIX`],
//! so every process's changes are recognised as the server's ("la structure") and no device
//! may use one.

use super::refusal::{Refusal, RefusalKind};
use automerge::{ActorId, Change};
use cartable_domain::DeviceId;
use std::collections::BTreeSet;

/// First bytes of every server process's actor id.
pub const SERVER_ACTOR_PREFIX: &[u8; 16] = b"cartable-server/";

/// A server process's actor id, from 16 random bytes drawn at start-up.
pub fn server_actor(random: [u8; 16]) -> ActorId {
    let mut bytes = SERVER_ACTOR_PREFIX.to_vec();
    bytes.extend_from_slice(&random);
    ActorId::from(bytes)
}

/// True for the actor of any server process.
pub fn is_server_actor(actor: &ActorId) -> bool {
    actor.to_bytes().starts_with(SERVER_ACTOR_PREFIX)
}

/// The distinct actors of `changes`, in order.
pub fn actors_of<'a>(changes: impl IntoIterator<Item = &'a Change>) -> BTreeSet<ActorId> {
    changes.into_iter().map(|c| c.actor_id().clone()).collect()
}

/// Who the server knows an actor to belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Never seen.
    Unknown,
    /// Recorded for this device.
    Device(DeviceId),
}

/// What to do with an actor of a change sent by `sender`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The sender's own, already recorded.
    Known,
    /// Never seen: the sender's from now on (record it with the merge).
    FirstSight,
}

/// Decides whether `sender` may send changes under `actor`, owned by `owner`.
pub fn claim(actor: &ActorId, owner: &Owner, sender: &DeviceId) -> Result<Claim, Refusal> {
    if is_server_actor(actor) {
        return Err(Refusal::new(
            RefusalKind::ForgedActor,
            "Modification refusée : elle est signée au nom de la structure",
        ));
    }
    match owner {
        Owner::Unknown => Ok(Claim::FirstSight),
        Owner::Device(d) if d == sender => Ok(Claim::Known),
        Owner::Device(_) => Err(Refusal::new(
            RefusalKind::ForgedActor,
            "Modification refusée : elle est signée au nom d'un autre appareil",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_actors_are_recognised_and_never_a_devices() {
        let a = server_actor([7; 16]);
        let b = server_actor([9; 16]);
        assert!(is_server_actor(&a) && is_server_actor(&b));
        assert_ne!(a, b);
        assert!(!is_server_actor(&ActorId::random()));
        let me = DeviceId::new("d1");
        assert_eq!(
            claim(&a, &Owner::Unknown, &me).map_err(|r| r.kind),
            Err(RefusalKind::ForgedActor)
        );
    }

    #[test]
    fn an_actor_belongs_to_the_first_device_that_sent_it() {
        let actor = ActorId::random();
        let me = DeviceId::new("d1");
        let other = DeviceId::new("d2");
        assert_eq!(claim(&actor, &Owner::Unknown, &me), Ok(Claim::FirstSight));
        assert_eq!(
            claim(&actor, &Owner::Device(me.clone()), &me),
            Ok(Claim::Known)
        );
        assert_eq!(
            claim(&actor, &Owner::Device(me), &other).map_err(|r| r.kind),
            Err(RefusalKind::ForgedActor)
        );
    }
}
