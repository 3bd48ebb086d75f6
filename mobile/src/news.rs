//! What a sync brought that the app announces: the structure's decisions on bookings and
//! absences since the last sync, each with a French sentence ready to show or speak.

use cartable_core::domain::planning::Outcome;

/// What the structure decided on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecisionOutcome {
    /// The booking stands.
    Accepted,
    /// The booking was not taken (see the reason).
    Refused,
    /// Withdrawn (by the parent, on time), or cancelled by the structure (a closure).
    Cancelled,
    /// A late withdrawal: the booking stays and is billed.
    KeptBillable,
}

impl From<Outcome> for DecisionOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Accepted => DecisionOutcome::Accepted,
            Outcome::Refused => DecisionOutcome::Refused,
            Outcome::Cancelled => DecisionOutcome::Cancelled,
            Outcome::KeptBillable => DecisionOutcome::KeptBillable,
        }
    }
}

/// A decision of the structure received by a sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DecisionNews {
    /// The child's id.
    pub child_id: String,
    /// The child's first name.
    pub child_name: String,
    /// "YYYY-MM-DD".
    pub date: String,
    /// The activity's id.
    pub activity_id: String,
    /// The activity's label.
    pub activity_name: String,
    /// True for a booking, false for a withdrawal.
    pub wanted: bool,
    /// What was decided.
    pub outcome: DecisionOutcome,
    /// The structure's reason, when it gives one (refusals, billed withdrawals).
    pub reason: Option<String>,
    /// The French sentence to announce, e.g. "Réservation refusée : Léa, Restauration
    /// scolaire, lundi 7 décembre 2026. Complet : …".
    pub message: String,
}

impl From<cartable_core::DecisionNews> for DecisionNews {
    fn from(d: cartable_core::DecisionNews) -> Self {
        Self {
            child_id: d.child_id,
            child_name: d.child_name,
            date: d.date.to_string(),
            activity_id: d.activity_id,
            activity_name: d.activity_name,
            wanted: d.wanted,
            outcome: d.outcome.into(),
            reason: d.reason,
            message: d.message,
        }
    }
}

/// The structure's answer to an absence, received by a sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AbsenceNews {
    /// The child's id.
    pub child_id: String,
    /// The child's first name.
    pub child_name: String,
    /// "YYYY-MM-DD".
    pub date: String,
    /// The activity's id.
    pub activity_id: String,
    /// The activity's label.
    pub activity_name: String,
    /// True when the absent day is billed.
    pub billed: bool,
    /// The structure's reason, in French.
    pub reason: String,
    /// The French sentence to announce.
    pub message: String,
}

impl From<cartable_core::AbsenceNews> for AbsenceNews {
    fn from(a: cartable_core::AbsenceNews) -> Self {
        Self {
            child_id: a.child_id,
            child_name: a.child_name,
            date: a.date.to_string(),
            activity_id: a.activity_id,
            activity_name: a.activity_name,
            billed: a.billed,
            reason: a.reason,
            message: a.message,
        }
    }
}
