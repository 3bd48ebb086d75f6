//! The structure's catalogue (activities, closures, contact) and the account's devices.

use cartable_core::domain::api::DeviceSummary;
use cartable_core::domain::catalogue as core;

/// How to reach the town hall or association.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Contact {
    /// Phone number.
    pub phone: String,
    /// Email address.
    pub email: String,
    /// Postal address.
    pub address: String,
    /// Opening hours, free text.
    pub opening_hours: String,
}

/// An activity parents can book (canteen, childcare, Wednesday centre...).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Activity {
    /// The activity's id (pass it to `book`), e.g. `cantine`.
    pub id: String,
    /// Name shown to parents, e.g. "Restauration scolaire".
    pub name: String,
    /// `canteen`, `morning_childcare`, `evening_childcare`, `wednesday_centre` or
    /// `holiday_centre`.
    pub kind: String,
    /// ISO weekdays it runs on, 1 = Monday ... 7 = Sunday.
    pub weekdays: Vec<u32>,
    /// Local start time "HH:MM" (empty when not set).
    pub start_time: String,
    /// First day it runs this school year, "YYYY-MM-DD" (empty: open-ended).
    pub first_day: String,
    /// Last day it runs this school year, "YYYY-MM-DD" (empty: open-ended).
    pub last_day: String,
    /// Places per day; none means unlimited.
    pub capacity: Option<u32>,
    /// Youngest age allowed on the day, in years.
    pub min_age_years: Option<u8>,
    /// Oldest age allowed on the day, in years.
    pub max_age_years: Option<u8>,
    /// School classes allowed (empty: any).
    pub classes: Vec<String>,
    /// No booking until the staff approved the family's dossier.
    pub requires_approved_dossier: bool,
    /// Supporting documents that must be valid on the day (e.g. `insurance`).
    pub required_documents: Vec<String>,
}

/// Days the structure is closed (holidays, strikes...).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Closure {
    /// First closed day, "YYYY-MM-DD".
    pub from: String,
    /// Last closed day (inclusive), "YYYY-MM-DD".
    pub to: String,
    /// Shown to parents, e.g. "Vacances de Noël".
    pub label: String,
    /// Activity ids concerned; empty means all.
    pub activities: Vec<String>,
}

/// The structure's catalogue. Empty until the first sync downloaded it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Catalogue {
    /// Name of the town hall or association.
    pub structure_name: String,
    /// How to reach it.
    pub contact: Contact,
    /// Activities, sorted by id.
    pub activities: Vec<Activity>,
    /// Closed periods.
    pub closures: Vec<Closure>,
    /// When false, French public holidays are closed days.
    pub open_on_public_holidays: bool,
}

impl From<core::Catalogue> for Catalogue {
    fn from(c: core::Catalogue) -> Self {
        Self {
            structure_name: c.structure_name,
            contact: Contact {
                phone: c.contact.phone,
                email: c.contact.email,
                address: c.contact.address,
                opening_hours: c.contact.opening_hours,
            },
            activities: c
                .activities
                .into_iter()
                .map(|(id, a)| Activity {
                    id,
                    name: a.name,
                    kind: a.kind,
                    weekdays: crate::views::weekdays_out(&a.weekdays),
                    start_time: a.start_time,
                    first_day: a.first_day,
                    last_day: a.last_day,
                    capacity: a.capacity,
                    min_age_years: a.eligibility.min_age_years,
                    max_age_years: a.eligibility.max_age_years,
                    classes: a.eligibility.classes,
                    requires_approved_dossier: a.requires_approved_dossier,
                    required_documents: a.required_documents,
                })
                .collect(),
            closures: c
                .closures
                .into_iter()
                .map(|c| Closure {
                    from: c.from,
                    to: c.to,
                    label: c.label,
                    activities: c.activities,
                })
                .collect(),
            open_on_public_holidays: c.open_on_public_holidays,
        }
    }
}

/// A device signed in to this account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Device {
    /// The device's id (pass it to `revokeDevice`).
    pub device_id: String,
    /// How the device named itself at login ("Pixel de Camille").
    pub name: String,
    /// When it signed in (ms since the Unix epoch).
    pub created_at_ms: i64,
    /// When the server last heard from it.
    pub last_seen_ms: Option<i64>,
    /// True for the device making the call.
    pub current: bool,
}

impl From<DeviceSummary> for Device {
    fn from(d: DeviceSummary) -> Self {
        Self {
            device_id: d.device_id,
            name: d.name,
            created_at_ms: d.created_at_ms,
            last_seen_ms: d.last_seen_ms,
            current: d.current,
        }
    }
}
