//! Who owns each Automerge actor, checked for every new change a device sends (rules in
//! `cartable_reconcile::validate::actors`), with the owners cached: an actor never changes
//! owner, so a cached answer is never stale, several server processes included.

use crate::auth::FamilyDevice;
use crate::db;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use automerge::ActorId;
use cartable_domain::DeviceId;
use cartable_reconcile::validate::actors::{Claim, Owner, claim};
use cartable_reconcile::validate::{Refusal, RefusalKind};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Owners known to this process.
#[derive(Debug)]
pub struct ActorRegistry {
    owners: Mutex<HashMap<ActorId, DeviceId>>,
    capacity: usize,
}

impl Default for ActorRegistry {
    fn default() -> Self {
        Self::with_capacity(100_000)
    }
}

impl ActorRegistry {
    /// A registry remembering at most `capacity` owners (then it starts over).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            owners: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn cached(&self, actor: &ActorId) -> Option<DeviceId> {
        let owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.get(actor).cloned()
    }

    fn remember(&self, actor: &ActorId, device: DeviceId) {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        if owners.len() >= self.capacity {
            owners.clear();
        }
        owners.insert(actor.clone(), device);
    }

    /// Checks that `device` may send changes under each of `actors`, as far as the owners
    /// already recorded tell (read from `write_conn`, the write's transaction if it started,
    /// else from `db`'s pool, when not cached: a writer holding a transaction never waits for
    /// a second connection). Returns the actors seen for the first time, to record with
    /// [`ActorRegistry::claim_first_sights`] in the write's transaction.
    pub async fn check(
        &self,
        db: &db::Db,
        mut write_conn: Option<&mut Conn<'_>>,
        device: &FamilyDevice,
        actors: &BTreeSet<ActorId>,
    ) -> AppResult<Vec<ActorId>> {
        let sender = &device.session.device_id;
        let mut first = Vec::new();
        let mut pooled: Option<sqlx::pool::PoolConnection<sqlx::Any>> = None;
        for actor in actors {
            let owner = match self.cached(actor) {
                Some(d) => Owner::Device(d),
                None => {
                    let hex = actor.to_hex_string();
                    let found = match &mut write_conn {
                        Some(conn) => db::actors::owner(conn, &hex).await?,
                        None => {
                            let conn = match &mut pooled {
                                Some(c) => c,
                                None => pooled.insert(db.pool.acquire().await?),
                            };
                            db::actors::owner(&mut Conn::Any(conn), &hex).await?
                        }
                    };
                    match found {
                        Some(d) => {
                            let d = DeviceId::new(d);
                            self.remember(actor, d.clone());
                            Owner::Device(d)
                        }
                        None => Owner::Unknown,
                    }
                }
            };
            match claim(actor, &owner, sender)? {
                Claim::Known => {}
                Claim::FirstSight => first.push(actor.clone()),
            }
        }
        Ok(first)
    }

    /// Records `actors` (first seen in this write) as the device's, in `conn`'s transaction;
    /// refused if another device claimed one of them meanwhile.
    pub async fn claim_first_sights(
        &self,
        conn: &mut Conn<'_>,
        device: &FamilyDevice,
        actors: &[ActorId],
        now_ms: i64,
    ) -> AppResult<()> {
        let sender = device.session.device_id.as_str();
        for actor in actors {
            // Not cached before the transaction commits: it may still roll back.
            let now_owner = db::actors::claim(
                conn,
                &actor.to_hex_string(),
                sender,
                &device.session.account_id,
                now_ms,
            )
            .await?;
            if now_owner.as_deref() != Some(sender) {
                return Err(AppError::from(Refusal::new(
                    RefusalKind::ForgedActor,
                    "Modification refusée : elle est signée au nom d'un autre appareil",
                )));
            }
        }
        Ok(())
    }
}
