//! "Mon planning": booking requests and what the server decided, as the app lists them.

use crate::error::{CartableError, Result};
use cartable_core::domain::planning::RequestState as CoreState;
use cartable_core::domain::school_year::SchoolYear;
use jiff::civil::Date;

/// What the parent sees for one request, on any device, offline included.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RequestState {
    /// Written on this device (or another), not decided by the server yet: sync to know.
    Pending,
    /// The booking stands.
    Accepted,
    /// The booking was not taken; `reason` says why (French).
    Refused {
        /// French, for the parent.
        reason: String,
    },
    /// The withdrawal was accepted: nothing booked, nothing billed.
    Cancelled,
    /// The structure cancelled the booking (a closure, a staff decision): nothing billed.
    CancelledByStructure {
        /// Why, in French (e.g. "Annulé par la structure : Grève").
        reason: String,
    },
    /// The withdrawal came after the cancellation deadline: the booking stays and is billed.
    KeptBillable {
        /// French, for the parent.
        reason: String,
    },
}

impl From<CoreState> for RequestState {
    fn from(s: CoreState) -> Self {
        match s {
            CoreState::Pending => RequestState::Pending,
            CoreState::Accepted => RequestState::Accepted,
            CoreState::Refused { reason } => RequestState::Refused { reason },
            CoreState::Cancelled => RequestState::Cancelled,
            CoreState::CancelledByStructure { reason } => {
                RequestState::CancelledByStructure { reason }
            }
            CoreState::KeptBillable { reason } => RequestState::KeptBillable { reason },
        }
    }
}

/// One request of the planning: a child, a day, an activity, and its state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanningEntry {
    /// The child's id in the dossier.
    pub child_id: String,
    /// The child's first name (the id when the child is not in the dossier).
    pub child_name: String,
    /// The day, ISO "YYYY-MM-DD".
    pub date: String,
    /// The activity's id in the catalogue (e.g. `cantine`).
    pub activity_id: String,
    /// The activity's name (the id when the catalogue is not downloaded).
    pub activity_name: String,
    /// True for a booking, false for a withdrawal.
    pub wanted: bool,
    /// Pending until the server decided this very version of the request.
    pub state: RequestState,
    /// Short French label of the state for lists ("réservé", "refusé : ...").
    pub state_label: String,
}

impl From<cartable_core::PlanningEntry> for PlanningEntry {
    fn from(e: cartable_core::PlanningEntry) -> Self {
        Self {
            state_label: e.state.label(),
            child_id: e.child_id,
            child_name: e.child_name,
            date: e.date.to_string(),
            activity_id: e.activity_id,
            activity_name: e.activity_name,
            wanted: e.wanted,
            state: e.state.into(),
        }
    }
}

/// Reads an ISO date given by the app.
pub(crate) fn parse_date(date: &str) -> Result<Date> {
    date.trim().parse().map_err(|_| {
        CartableError::invalid(format!(
            "date invalide « {date} » : attendue au format AAAA-MM-JJ"
        ))
    })
}

/// Reads a school year given by the app ("2026-2027").
pub(crate) fn parse_school_year(year: &str) -> Result<SchoolYear> {
    year.trim()
        .parse()
        .map_err(|e: cartable_core::domain::school_year::BadSchoolYear| {
            CartableError::invalid(e.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_school_years_from_the_app_are_checked() {
        assert_eq!(
            parse_date("2026-12-03").map(|d| d.to_string()),
            Ok("2026-12-03".into())
        );
        assert!(matches!(
            parse_date("03/12/2026"),
            Err(CartableError::InvalidInput { .. })
        ));
        assert_eq!(parse_school_year("2026-2027"), Ok(SchoolYear(2026)));
        assert!(parse_school_year("2026").is_err());
    }
}
