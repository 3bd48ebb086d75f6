//! The structure's catalogue: who runs the services, which activities exist, their calendar,
//! capacity, eligibility and deadline rules.
//!
//! Written by staff on the server, published to every family as a read-only document, so the
//! phone shows offline exactly what the server will decide. Every number here is data.

use crate::information::{Download, Information};
use crate::tariffs::{Billing, Tariff};
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
    /// Days the structure is closed (school holidays, bridges, strikes…).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub closures: Vec<Closure>,
    /// When false (the default), French public holidays are closed days.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub open_on_public_holidays: bool,
    /// "Informations": messages shown today, keyed by message id (published by the server
    /// from staff's list; see [`crate::information`]).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub information: BTreeMap<String, Information>,
    /// "Téléchargement": files on offer, keyed by download id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub downloads: BTreeMap<String, Download>,
    /// Who invoices, how families pay, what is added or blocked (see [`crate::tariffs`]).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub billing: Billing,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Contact {
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub phone: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub email: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub address: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub opening_hours: String,
}

/// A closed period, inclusive, for every activity or for the listed ones.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Closure {
    /// ISO date of the first closed day.
    pub from: String,
    /// ISO date of the last closed day (inclusive).
    pub to: String,
    /// Shown to parents, e.g. "Vacances de Noël".
    pub label: String,
    /// Activity ids concerned; empty means all.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub activities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Activity {
    /// Name shown to parents, e.g. "Restauration scolaire".
    pub name: String,
    /// One of the [`ActivityKind`] codes.
    pub kind: String,
    /// ISO weekdays it runs on, 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    /// Local start time "HH:MM" (hour-based deadlines count back from it).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub start_time: String,
    /// First and last ISO dates it runs this school year (open-ended when empty).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub first_day: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub last_day: String,
    /// Places per day; `None` means unlimited.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub capacity: Option<u32>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub eligibility: Eligibility,
    /// Every rule must allow a booking.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub booking_rules: Vec<DeadlineRule>,
    /// Every rule must allow a cancellation; a later one is kept and billed.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub cancel_rules: Vec<DeadlineRule>,
    /// No booking until staff approved the family's dossier.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub requires_approved_dossier: bool,
    /// Supporting document kinds that must be valid on the day (e.g. "insurance").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub required_documents: Vec<String>,
    /// How absences are billed.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub absence: AbsenceRule,
    /// How a day is priced; `None`: not billed.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub tariff: Option<Tariff>,
}

/// Who may attend: an age range on the day, or a list of school classes (empty = any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Eligibility {
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub min_age_years: Option<u8>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub max_age_years: Option<u8>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub classes: Vec<String>,
}

/// A booking or cancellation deadline, evaluated in Europe/Paris. Times are local "HH:MM";
/// instants are local "YYYY-MM-DDTHH:MM".
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineRule {
    /// N days before the day at HH:MM, counting back only over days not skipped.
    DaysBefore {
        days: u32,
        at: String,
        #[autosurgeon(missing = "Default::default")]
        #[serde(default)]
        skip_weekends: bool,
        #[autosurgeon(missing = "Default::default")]
        #[serde(default)]
        skip_public_holidays: bool,
        /// ISO weekdays not counted (e.g. [3] for Wednesdays).
        #[autosurgeon(missing = "Default::default")]
        #[serde(default)]
        skip_weekdays: Vec<u8>,
    },
    /// A weekday (ISO) of the week before the day's week (or `weeks_before` weeks) at HH:MM.
    WeekdayOfPreviousWeek {
        weekday: u8,
        at: String,
        #[autosurgeon(missing = "Default::default")]
        #[serde(default)]
        weeks_before: u32,
    },
    /// Day N of the month before the day's month at HH:MM.
    DayOfPreviousMonth { day: u8, at: String },
    /// N hours before the activity starts (real hours, across daylight-saving changes).
    HoursBefore { hours: u32 },
    /// From this instant on, nothing can change for days from `period_from` to `period_to`
    /// (inclusive ISO dates; empty means every day).
    ReadOnlyFrom {
        from: String,
        #[autosurgeon(missing = "Default::default")]
        #[serde(default)]
        period_from: String,
        #[autosurgeon(missing = "Default::default")]
        #[serde(default)]
        period_to: String,
    },
    /// Changes only between `opens` and `closes` (instants).
    Window { opens: String, closes: String },
}

/// How an absence declared for a booked day is billed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AbsenceRule {
    /// The day itself is billed when declared on that day (or later).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub same_day_billed: bool,
    /// Later days are free when declared before this local time "HH:MM" the day before
    /// (empty: free whenever declared before the day).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub free_before: String,
    /// A medical note given within this many days makes billed days free (0: notes change
    /// nothing).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub medical_note_days: u32,
    /// Days of an absence billed even with a medical note (e.g. 2 "jours de carence").
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub billed_days_even_with_note: u32,
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
    /// A plain activity running on `weekdays`, with no rule yet.
    pub fn simple(name: &str, kind: ActivityKind, weekdays: Vec<u8>) -> Self {
        Activity {
            name: name.to_string(),
            kind: kind.code().to_string(),
            weekdays,
            start_time: String::new(),
            first_day: String::new(),
            last_day: String::new(),
            capacity: None,
            eligibility: Eligibility::default(),
            booking_rules: Vec::new(),
            cancel_rules: Vec::new(),
            requires_approved_dossier: false,
            required_documents: Vec::new(),
            absence: AbsenceRule::default(),
            tariff: None,
        }
    }

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
        let a = Activity::simple("Cantine", ActivityKind::Canteen, vec![1, 2, 4, 5]);
        assert!(a.runs_on(date(2026, 11, 30))); // Monday
        assert!(!a.runs_on(date(2026, 12, 2))); // Wednesday
        assert_eq!(iso_weekday(Weekday::Sunday), 7);
    }

    #[test]
    fn a_catalogue_round_trips_through_a_document_with_rules() {
        let mut a = Activity::simple("Garderie", ActivityKind::EveningChildcare, vec![1, 2, 4, 5]);
        a.booking_rules = vec![
            DeadlineRule::DaysBefore {
                days: 2,
                at: "12:00".into(),
                skip_weekends: true,
                skip_public_holidays: false,
                skip_weekdays: vec![],
            },
            DeadlineRule::HoursBefore { hours: 72 },
        ];
        a.capacity = Some(30);
        let mut c = Catalogue::default();
        c.activities.insert("garderie-soir".into(), a);
        c.closures.push(Closure {
            from: "2026-12-19".into(),
            to: "2027-01-03".into(),
            label: "Vacances de Noël".into(),
            activities: vec![],
        });
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &c).expect("reconcile");
        let back: Catalogue = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(back, c);
        let json = serde_json::to_string(&c).expect("json");
        assert!(json.contains("\"kind\":\"days_before\""), "{json}");
    }
}
