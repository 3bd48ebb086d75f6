//! The structure's catalogue: who runs the services and which activities exist.
//!
//! Written by staff on the server, published to every family as a read-only document.

use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Catalogue {
    #[autosurgeon(missing = "Default::default")]
    pub structure_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub contact: Contact,
    /// Keyed by activity id.
    #[autosurgeon(missing = "Default::default")]
    pub activities: BTreeMap<String, Activity>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Contact {
    #[autosurgeon(missing = "Default::default")]
    pub phone: String,
    #[autosurgeon(missing = "Default::default")]
    pub email: String,
    #[autosurgeon(missing = "Default::default")]
    pub address: String,
    #[autosurgeon(missing = "Default::default")]
    pub opening_hours: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Activity {
    /// Name shown to parents, e.g. "Restauration scolaire".
    pub name: String,
    /// One of the [`ActivityKind`] codes.
    pub kind: String,
    /// ISO weekdays it runs on, 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
}

/// The kinds of service a structure runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Canteen,
    MorningChildcare,
    EveningChildcare,
    WednesdayCentre,
    HolidayCentre,
}

impl ActivityKind {
    pub fn code(self) -> &'static str {
        match self {
            ActivityKind::Canteen => "canteen",
            ActivityKind::MorningChildcare => "morning_childcare",
            ActivityKind::EveningChildcare => "evening_childcare",
            ActivityKind::WednesdayCentre => "wednesday_centre",
            ActivityKind::HolidayCentre => "holiday_centre",
        }
    }
}

impl Activity {
    /// True when the activity runs on that day of the week.
    pub fn runs_on(&self, date: Date) -> bool {
        let iso = date.weekday().to_monday_one_offset();
        self.weekdays.iter().any(|d| i8::try_from(*d) == Ok(iso))
    }
}

/// ISO number of a weekday (1 = Monday).
pub fn iso_weekday(day: Weekday) -> u8 {
    u8::try_from(day.to_monday_one_offset()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn activity_runs_only_on_its_weekdays() {
        let a = Activity {
            name: "Cantine".into(),
            kind: ActivityKind::Canteen.code().into(),
            weekdays: vec![1, 2, 4, 5],
        };
        assert!(a.runs_on(date(2026, 11, 30))); // Monday
        assert!(!a.runs_on(date(2026, 12, 2))); // Wednesday
        assert_eq!(iso_weekday(Weekday::Sunday), 7);
    }
}
