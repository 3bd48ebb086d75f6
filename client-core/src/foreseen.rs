//! What the phone already knows: the bookings the server is certain to refuse, refused on the
//! device before anything is written, with the server's own cause and French wording.
//!
//! The decision is [`cartable_domain::rules::certain_refusal`], the server's booking checks
//! restricted to what the synced catalogue and dossier settle (closures, public holidays,
//! weekdays and period of the activity, eligibility, booking deadlines), judged at the
//! device's idea of the server's time (device clock + offset measured at the last sync, as
//! "Mon Planning" shows deadlines). What only the server knows (places left, approval of the
//! dossier, supporting documents, unpaid invoices) is never refused here. A withdrawal is
//! never refused either: the server always takes it (late, it is kept and billed).

use crate::error::{Error, Result};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::{CellKey, Decision};
use cartable_domain::refusal::Refusal;
use cartable_domain::rules::{DecisionContext, certain_refusal};
use cartable_domain::school_year::SchoolYear;
use jiff::Timestamp;

/// Judges bookings against one catalogue and dossier at one instant.
pub(crate) struct Foresight<'a> {
    catalogue: &'a Catalogue,
    dossier: &'a Dossier,
    now: Timestamp,
}

impl<'a> Foresight<'a> {
    /// `server_now_ms`: the server's time as the device estimates it.
    pub fn new(catalogue: &'a Catalogue, dossier: &'a Dossier, server_now_ms: i64) -> Result<Self> {
        let now = Timestamp::from_millisecond(server_now_ms)
            .map_err(|e| Error::invalid(format!("horloge de l'appareil hors limites : {e}")))?;
        Ok(Self {
            catalogue,
            dossier,
            now,
        })
    }

    /// The refusal the server is certain to give a booking of `key`, whose last decision is
    /// `previous`. A catalogue not downloaded yet refuses nothing.
    pub fn refusal(&self, key: &CellKey, previous: Option<&Decision>) -> Option<Refusal> {
        if self.catalogue.activities.is_empty() {
            return None;
        }
        // The planning document of a day is the one of its school year, as on the server.
        let ctx = DecisionContext::new(
            self.catalogue,
            self.dossier,
            SchoolYear::of(key.date),
            self.now,
        );
        certain_refusal(&ctx, key, previous)
    }

    /// [`Foresight::refusal`] as the error a booking returns.
    pub fn check(&self, key: &CellKey, previous: Option<&Decision>) -> Result<()> {
        match self.refusal(key, previous) {
            Some(r) => Err(Error::WouldBeRefused {
                cause: r.cause,
                reason: r.reason_fr,
            }),
            None => Ok(()),
        }
    }
}
