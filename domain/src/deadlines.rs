//! Booking and cancellation deadlines ("délais de prévenance"), evaluated in Europe/Paris.
//!
//! Each [`DeadlineRule`] gives, for one activity and one day, the instant from which it is too
//! late (and, for a window, the instant before which it is too early). A change is on time
//! when `opens <= now < until`: a deadline "à 12:00" accepts 11:59:59 and refuses 12:00:00.
//! All rules of a list must allow a change.

use crate::calendar::{
    RuleError, add_days, format_instant_fr, is_public_holiday, local_instant, parse_date,
    parse_hhmm, parse_local_instant,
};
use crate::catalogue::{Activity, DeadlineRule, iso_weekday};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Longest "N days before" accepted (two school years); longer is a configuration error.
const MAX_DAYS_BEFORE: u32 = 730;
/// Longest "N weeks before" accepted.
const MAX_WEEKS_BEFORE: u32 = 104;

/// When changes are possible for one day under one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Limit {
    /// Changes are possible from this instant on (a booking window's opening).
    pub opens: Option<Timestamp>,
    /// Changes are possible strictly before this instant (the deadline). `None`: no deadline
    /// (e.g. a read-only period that does not cover the day).
    pub until: Option<Timestamp>,
}

impl Limit {
    /// True when a change at `now` is on time.
    pub fn allows(&self, now: Timestamp) -> bool {
        self.opens.is_none_or(|o| o <= now) && self.until.is_none_or(|u| now < u)
    }
}

/// Why a change is not possible now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locked {
    /// A sentence a parent understands, with the deadline shown.
    pub reason_fr: String,
    /// The deadline (changes were possible strictly before it), when there is one.
    pub until: Option<Timestamp>,
    /// When changes become possible (a booking window not open yet).
    pub opens: Option<Timestamp>,
    /// True when a rule could not be read: the structure must fix its configuration.
    pub misconfigured: bool,
}

/// The limit one rule sets for `activity` on `day`.
pub fn limit(rule: &DeadlineRule, activity: &Activity, day: Date) -> Result<Limit, RuleError> {
    let until = |ts| {
        Ok(Limit {
            opens: None,
            until: Some(ts),
        })
    };
    match rule {
        DeadlineRule::DaysBefore {
            days,
            at,
            skip_weekends,
            skip_public_holidays,
            skip_weekdays,
        } => {
            let at = parse_hhmm(at)?;
            let reached = count_back(
                day,
                *days,
                *skip_weekends,
                *skip_public_holidays,
                skip_weekdays,
            )?;
            until(local_instant(reached, at)?)
        }
        DeadlineRule::WeekdayOfPreviousWeek {
            weekday,
            at,
            weeks_before,
        } => {
            let at = parse_hhmm(at)?;
            let iso = checked_weekday(*weekday)?;
            if *weeks_before > MAX_WEEKS_BEFORE {
                return Err(RuleError::Invalid(format!(
                    "{weeks_before} semaines avant : délai trop long"
                )));
            }
            let weeks = i64::from((*weeks_before).max(1));
            let monday = add_days(day, -i64::from(iso_weekday(day.weekday())) + 1)?;
            let target = add_days(monday, -7 * weeks + i64::from(iso) - 1)?;
            until(local_instant(target, at)?)
        }
        DeadlineRule::DayOfPreviousMonth { day: n, at } => {
            let at = parse_hhmm(at)?;
            if !(1..=31).contains(n) {
                return Err(RuleError::BadDayOfMonth(u32::from(*n)));
            }
            let previous_month = add_days(day.first_of_month(), -1)?;
            let dom = i8::try_from(*n)
                .unwrap_or(31)
                .min(previous_month.days_in_month());
            let target = Date::new(previous_month.year(), previous_month.month(), dom)
                .map_err(|_| RuleError::BadDayOfMonth(u32::from(*n)))?;
            until(local_instant(target, at)?)
        }
        DeadlineRule::HoursBefore { hours } => {
            let start = start_instant(activity, day)?;
            let deadline = start
                .checked_sub(SignedDuration::from_hours(i64::from(*hours)))
                .map_err(|_| RuleError::Invalid(format!("{hours} heures avant : hors limites")))?;
            until(deadline)
        }
        DeadlineRule::ReadOnlyFrom {
            from,
            period_from,
            period_to,
        } => {
            let from = parse_local_instant(from)?;
            let lo = optional_date(period_from)?;
            let hi = optional_date(period_to)?;
            let covered = lo.is_none_or(|lo| lo <= day) && hi.is_none_or(|hi| day <= hi);
            Ok(Limit {
                opens: None,
                until: covered.then_some(from),
            })
        }
        DeadlineRule::Window { opens, closes } => {
            let opens = parse_local_instant(opens)?;
            let closes = parse_local_instant(closes)?;
            if closes < opens {
                return Err(RuleError::Invalid(
                    "fenêtre de réservation qui se ferme avant d'ouvrir".into(),
                ));
            }
            Ok(Limit {
                opens: Some(opens),
                until: Some(closes),
            })
        }
    }
}

/// The activity's local start on `day` (00:00 when it has no start time).
pub fn start_instant(activity: &Activity, day: Date) -> Result<Timestamp, RuleError> {
    let time = if activity.start_time.trim().is_empty() {
        Time::midnight()
    } else {
        parse_hhmm(&activity.start_time)?
    };
    local_instant(day, time)
}

fn optional_date(s: &str) -> Result<Option<Date>, RuleError> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(s).map(Some)
    }
}

fn checked_weekday(w: u8) -> Result<u8, RuleError> {
    if (1..=7).contains(&w) {
        Ok(w)
    } else {
        Err(RuleError::BadWeekday(u32::from(w)))
    }
}

/// Counts `days` days back from `day`, counting only days not skipped.
fn count_back(
    day: Date,
    days: u32,
    skip_weekends: bool,
    skip_public_holidays: bool,
    skip_weekdays: &[u8],
) -> Result<Date, RuleError> {
    if days > MAX_DAYS_BEFORE {
        return Err(RuleError::Invalid(format!(
            "{days} jours avant : délai trop long"
        )));
    }
    for w in skip_weekdays {
        checked_weekday(*w)?;
    }
    let skipped = |d: Date| {
        let iso = iso_weekday(d.weekday());
        (skip_weekends && iso >= 6)
            || skip_weekdays.contains(&iso)
            || (skip_public_holidays && is_public_holiday(d))
    };
    if (1..=7u8).all(|iso| (skip_weekends && iso >= 6) || skip_weekdays.contains(&iso)) {
        return Err(RuleError::Invalid(
            "tous les jours de la semaine sont exclus du décompte".into(),
        ));
    }
    let mut current = day;
    let mut counted = 0;
    while counted < days {
        current = add_days(current, -1)?;
        if !skipped(current) {
            counted += 1;
        }
    }
    Ok(current)
}

/// The limit every rule of `rules` sets together: the latest opening and the earliest
/// deadline.
pub fn combined_limit(
    rules: &[DeadlineRule],
    activity: &Activity,
    day: Date,
) -> Result<Limit, RuleError> {
    let mut out = Limit::default();
    for rule in rules {
        let l = limit(rule, activity, day)?;
        out.opens = out.opens.max(l.opens);
        out.until = match (out.until, l.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(out)
}

/// The earliest deadline the rules set for `day`, if any (what the app shows as "modifiable
/// jusqu'au …"). `None` also when a rule cannot be read.
pub fn deadline(rules: &[DeadlineRule], activity: &Activity, day: Date) -> Option<Timestamp> {
    combined_limit(rules, activity, day).ok()?.until
}

/// Whether every rule allows a change for `day` at `now`; otherwise why not, in French.
///
/// A rule that cannot be read locks (conservatively) with "règle mal configurée". A deadline
/// already past is reported before a window not yet open (waiting will not help).
pub fn check(
    rules: &[DeadlineRule],
    activity: &Activity,
    day: Date,
    now: Timestamp,
) -> Result<(), Locked> {
    let mut too_early: Option<Locked> = None;
    for rule in rules {
        let l = match limit(rule, activity, day) {
            Ok(l) => l,
            Err(e) => {
                return Err(Locked {
                    reason_fr: format!(
                        "Modification impossible : règle mal configurée ({e}), contactez la structure"
                    ),
                    until: None,
                    opens: None,
                    misconfigured: true,
                });
            }
        };
        if let Some(until) = l.until
            && now >= until
        {
            let when = format_instant_fr(until);
            let reason_fr = match rule {
                DeadlineRule::ReadOnlyFrom { .. } => {
                    format!("Période en lecture seule depuis le {when}")
                }
                DeadlineRule::Window { .. } => format!("Période close depuis le {when}"),
                _ => format!("Date limite dépassée : {when}"),
            };
            return Err(Locked {
                reason_fr,
                until: Some(until),
                opens: None,
                misconfigured: false,
            });
        }
        if let Some(opens) = l.opens
            && now < opens
        {
            let later = too_early
                .as_ref()
                .and_then(|t| t.opens)
                .is_none_or(|o| opens > o);
            if later {
                too_early = Some(Locked {
                    reason_fr: format!(
                        "Pas encore ouvert : ouverture le {}",
                        format_instant_fr(opens)
                    ),
                    until: l.until,
                    opens: Some(opens),
                    misconfigured: false,
                });
            }
        }
    }
    match too_early {
        Some(locked) => Err(locked),
        None => Ok(()),
    }
}

/// Checks the rules' data without a day (for the staff page): the first unreadable value.
pub fn validate(rule: &DeadlineRule) -> Result<(), RuleError> {
    let mut probe = Activity::simple("", crate::catalogue::ActivityKind::Canteen, vec![]);
    probe.start_time = "00:00".into();
    // Any ordinary day exercises every parser.
    let day = Date::new(2026, 11, 30).map_err(|e| RuleError::Invalid(e.to_string()))?;
    limit(rule, &probe, day).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ActivityKind;
    use jiff::civil::date;

    /// A Paris local instant, "YYYY-MM-DDTHH:MM".
    fn paris(s: &str) -> Timestamp {
        parse_local_instant(s).expect("test instant")
    }

    fn activity(start: &str) -> Activity {
        let mut a = Activity::simple("Cantine", ActivityKind::Canteen, vec![1, 2, 4, 5]);
        a.start_time = start.into();
        a
    }

    fn days_before(days: u32, at: &str, weekends: bool, holidays: bool) -> DeadlineRule {
        DeadlineRule::DaysBefore {
            days,
            at: at.into(),
            skip_weekends: weekends,
            skip_public_holidays: holidays,
            skip_weekdays: vec![],
        }
    }

    fn until(rule: &DeadlineRule, day: Date) -> Timestamp {
        limit(rule, &activity("11:30"), day)
            .expect("limit")
            .until
            .expect("deadline")
    }

    #[test]
    fn day_before_at_15_00() {
        let rule = days_before(1, "15:00", false, false);
        let a = activity("");
        // Monday 30 November 2026: deadline Sunday 29 at 15:00.
        let monday = date(2026, 11, 30);
        assert_eq!(until(&rule, monday), paris("2026-11-29T15:00"));
        assert!(
            check(
                std::slice::from_ref(&rule),
                &a,
                monday,
                paris("2026-11-29T14:59")
            )
            .is_ok()
        );
        let locked = check(&[rule], &a, monday, paris("2026-11-29T15:00")).expect_err("late");
        assert_eq!(
            locked.reason_fr,
            "Date limite dépassée : dimanche 29 novembre 2026 à 15:00"
        );
        assert_eq!(locked.until, Some(paris("2026-11-29T15:00")));
    }

    #[test]
    fn thursday_noon_for_the_whole_next_week() {
        let rule = DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 4,
            at: "12:00".into(),
            weeks_before: 0,
        };
        let a = activity("");
        let thursday_noon = paris("2026-11-26T12:00");
        // Monday 30 November and Friday 4 December share Thursday 26 November's deadline.
        assert_eq!(until(&rule, date(2026, 11, 30)), thursday_noon);
        assert_eq!(until(&rule, date(2026, 12, 4)), thursday_noon);
        // weeks_before 1 is the same as 0.
        let one = DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 4,
            at: "12:00".into(),
            weeks_before: 1,
        };
        assert_eq!(until(&one, date(2026, 12, 4)), thursday_noon);
        for day in [date(2026, 11, 30), date(2026, 12, 4)] {
            assert!(
                check(
                    std::slice::from_ref(&rule),
                    &a,
                    day,
                    paris("2026-11-26T11:59")
                )
                .is_ok()
            );
            let locked = check(
                std::slice::from_ref(&rule),
                &a,
                day,
                paris("2026-11-26T12:01"),
            )
            .expect_err("late");
            assert_eq!(
                locked.reason_fr,
                "Date limite dépassée : jeudi 26 novembre 2026 à 12:00"
            );
        }
        // Two weeks before.
        let two = DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 4,
            at: "09:00".into(),
            weeks_before: 2,
        };
        assert_eq!(until(&two, date(2026, 12, 4)), paris("2026-11-19T09:00"));
    }

    #[test]
    fn canteen_tuesday_23_59_for_next_week() {
        let rule = DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 2,
            at: "23:59".into(),
            weeks_before: 0,
        };
        let a = activity("11:30");
        // Thursday 7 January 2027 (a new year, the week before straddles it).
        assert_eq!(until(&rule, date(2027, 1, 7)), paris("2026-12-29T23:59"));
        // A Monday's deadline is the Tuesday six days earlier, a Friday's ten days earlier.
        assert_eq!(until(&rule, date(2026, 11, 30)), paris("2026-11-24T23:59"));
        assert_eq!(until(&rule, date(2026, 12, 4)), paris("2026-11-24T23:59"));
        assert!(
            check(
                std::slice::from_ref(&rule),
                &a,
                date(2026, 12, 4),
                paris("2026-11-24T23:58")
            )
            .is_ok()
        );
        assert!(check(&[rule], &a, date(2026, 12, 4), paris("2026-11-25T00:00")).is_err());
    }

    #[test]
    fn two_days_before_at_noon_weekends_not_counted() {
        let rule = days_before(2, "12:00", true, false);
        // Monday 30 November 2026 → Thursday 26 November 12:00.
        assert_eq!(until(&rule, date(2026, 11, 30)), paris("2026-11-26T12:00"));
        // Tuesday 1 December → Friday 27 November 12:00.
        assert_eq!(until(&rule, date(2026, 12, 1)), paris("2026-11-27T12:00"));
        // Thursday 3 December → Tuesday 1 December 12:00.
        assert_eq!(until(&rule, date(2026, 12, 3)), paris("2026-12-01T12:00"));
    }

    #[test]
    fn public_holidays_are_skipped_when_asked() {
        let rule = days_before(2, "12:00", true, true);
        // Wednesday 11 November 2026 (Armistice) is not counted.
        // Thursday 12 Nov: Tue 10 (1), Mon 9 (2).
        assert_eq!(until(&rule, date(2026, 11, 12)), paris("2026-11-09T12:00"));
        // Friday 13 Nov: Thu 12 (1), Wed 11 skipped, Tue 10 (2).
        assert_eq!(until(&rule, date(2026, 11, 13)), paris("2026-11-10T12:00"));
        // Monday 18 May 2026: weekend skipped, Fri 15 (1), Ascension Thu 14 skipped, Wed 13 (2).
        assert_eq!(until(&rule, date(2026, 5, 18)), paris("2026-05-13T12:00"));
        // Without the flag the holiday counts: Fri 15 (1), Thu 14 (2).
        let counted = days_before(2, "12:00", true, false);
        assert_eq!(
            until(&counted, date(2026, 5, 18)),
            paris("2026-05-14T12:00")
        );
    }

    #[test]
    fn chosen_weekdays_are_skipped() {
        let rule = DeadlineRule::DaysBefore {
            days: 1,
            at: "18:00".into(),
            skip_weekends: true,
            skip_public_holidays: false,
            skip_weekdays: vec![3],
        };
        // Thursday 3 December 2026: Wednesday skipped → Tuesday 1 December 18:00.
        assert_eq!(until(&rule, date(2026, 12, 3)), paris("2026-12-01T18:00"));
        let every_day = DeadlineRule::DaysBefore {
            days: 1,
            at: "18:00".into(),
            skip_weekends: true,
            skip_public_holidays: false,
            skip_weekdays: vec![1, 2, 3, 4, 5],
        };
        assert!(limit(&every_day, &activity(""), date(2026, 12, 3)).is_err());
    }

    #[test]
    fn seventy_two_hours_before_across_the_end_of_daylight_saving_time() {
        // Sunday 25 October 2026 the clocks go back. Monday 26 October 08:00 CET = 07:00 UTC;
        // 72 real hours earlier is Friday 23 October 07:00 UTC = 09:00 CEST.
        let rule = DeadlineRule::HoursBefore { hours: 72 };
        let a = activity("08:00");
        let l = limit(&rule, &a, date(2026, 10, 26)).expect("limit");
        let deadline = l.until.expect("deadline");
        assert_eq!(deadline.to_string(), "2026-10-23T07:00:00Z");
        assert_eq!(deadline, paris("2026-10-23T09:00"));
        let locked =
            check(&[rule], &a, date(2026, 10, 26), paris("2026-10-23T09:00")).expect_err("late");
        assert_eq!(
            locked.reason_fr,
            "Date limite dépassée : vendredi 23 octobre 2026 à 09:00"
        );
    }

    #[test]
    fn seventy_two_hours_before_across_the_start_of_daylight_saving_time() {
        // Sunday 29 March 2026 the clocks go forward. Monday 30 March 08:00 CEST = 06:00 UTC;
        // 72 real hours earlier is Friday 27 March 06:00 UTC = 07:00 CET.
        let rule = DeadlineRule::HoursBefore { hours: 72 };
        let deadline = limit(&rule, &activity("08:00"), date(2026, 3, 30))
            .expect("limit")
            .until
            .expect("deadline");
        assert_eq!(deadline.to_string(), "2026-03-27T06:00:00Z");
        assert_eq!(deadline, paris("2026-03-27T07:00"));
    }

    #[test]
    fn one_hundred_fifty_hours_and_monday_nine_as_hours() {
        // 150 h before Monday 30 November 2026 08:00 = 6 days 6 hours → Tuesday 24 at 02:00.
        let rule = DeadlineRule::HoursBefore { hours: 150 };
        let deadline = limit(&rule, &activity("08:00"), date(2026, 11, 30))
            .expect("limit")
            .until;
        assert_eq!(deadline, Some(paris("2026-11-24T02:00")));
        // "Monday 09:00 of the week before" as 7×24−9 = 159 h before a day starting at 00:00.
        let monday_nine = DeadlineRule::HoursBefore { hours: 159 };
        let deadline = limit(&monday_nine, &activity(""), date(2026, 12, 7))
            .expect("limit")
            .until;
        assert_eq!(deadline, Some(paris("2026-11-30T09:00")));
    }

    #[test]
    fn day_twenty_of_the_previous_month() {
        let rule = DeadlineRule::DayOfPreviousMonth {
            day: 20,
            at: "23:59".into(),
        };
        // Any day of December 2026 → 20 November 23:59; January 2027 → 20 December 2026.
        assert_eq!(until(&rule, date(2026, 12, 1)), paris("2026-11-20T23:59"));
        assert_eq!(until(&rule, date(2026, 12, 31)), paris("2026-11-20T23:59"));
        assert_eq!(until(&rule, date(2027, 1, 4)), paris("2026-12-20T23:59"));
        // Day 31 in a short month means its last day.
        let end = DeadlineRule::DayOfPreviousMonth {
            day: 31,
            at: "12:00".into(),
        };
        assert_eq!(until(&end, date(2027, 3, 8)), paris("2027-02-28T12:00"));
        let zero = DeadlineRule::DayOfPreviousMonth {
            day: 0,
            at: "12:00".into(),
        };
        assert!(limit(&zero, &activity(""), date(2027, 3, 8)).is_err());
    }

    #[test]
    fn read_only_from_a_date_for_its_period_only() {
        let rule = DeadlineRule::ReadOnlyFrom {
            from: "2026-12-01T00:00".into(),
            period_from: "2026-12-01".into(),
            period_to: "2026-12-18".into(),
        };
        let a = activity("");
        let inside = date(2026, 12, 10);
        let outside = date(2027, 1, 5);
        assert!(
            check(
                std::slice::from_ref(&rule),
                &a,
                inside,
                paris("2026-11-30T23:59")
            )
            .is_ok()
        );
        let locked = check(
            std::slice::from_ref(&rule),
            &a,
            inside,
            paris("2026-12-01T00:00"),
        )
        .expect_err("ro");
        assert_eq!(
            locked.reason_fr,
            "Période en lecture seule depuis le mardi 1er décembre 2026 à 00:00"
        );
        assert!(
            check(
                std::slice::from_ref(&rule),
                &a,
                outside,
                paris("2026-12-15T10:00")
            )
            .is_ok()
        );
        assert_eq!(deadline(std::slice::from_ref(&rule), &a, outside), None);
        // Without a period, every day.
        let all = DeadlineRule::ReadOnlyFrom {
            from: "2027-06-15".into(),
            period_from: String::new(),
            period_to: String::new(),
        };
        assert!(check(&[all], &a, outside, paris("2027-06-15T08:00")).is_err());
    }

    #[test]
    fn holiday_booking_window_opening_sunday_at_20_00() {
        let rule = DeadlineRule::Window {
            opens: "2027-03-07T20:00".into(),
            closes: "2027-03-28T23:59".into(),
        };
        let a = activity("08:30");
        let day = date(2027, 4, 19);
        let early = check(
            std::slice::from_ref(&rule),
            &a,
            day,
            paris("2027-03-07T19:59"),
        )
        .expect_err("not open yet");
        assert_eq!(
            early.reason_fr,
            "Pas encore ouvert : ouverture le dimanche 7 mars 2027 à 20:00"
        );
        assert_eq!(early.opens, Some(paris("2027-03-07T20:00")));
        assert!(
            check(
                std::slice::from_ref(&rule),
                &a,
                day,
                paris("2027-03-07T20:00")
            )
            .is_ok()
        );
        assert!(
            check(
                std::slice::from_ref(&rule),
                &a,
                day,
                paris("2027-03-28T23:58")
            )
            .is_ok()
        );
        let late = check(&[rule], &a, day, paris("2027-03-29T08:00")).expect_err("closed");
        assert_eq!(
            late.reason_fr,
            "Période close depuis le dimanche 28 mars 2027 à 23:59"
        );
    }

    #[test]
    fn every_rule_must_allow_and_the_earliest_deadline_is_shown() {
        let rules = vec![
            days_before(1, "18:00", false, false),
            DeadlineRule::HoursBefore { hours: 72 },
        ];
        let a = activity("08:00");
        let day = date(2026, 12, 3); // Thursday
        // 72 h before Thursday 08:00 is Monday 08:00, earlier than Wednesday 18:00.
        assert_eq!(deadline(&rules, &a, day), Some(paris("2026-11-30T08:00")));
        assert!(check(&rules, &a, day, paris("2026-11-30T07:59")).is_ok());
        let locked = check(&rules, &a, day, paris("2026-12-01T10:00")).expect_err("late");
        assert!(locked.reason_fr.contains("lundi 30 novembre 2026 à 08:00"));
        assert!(check(&[], &a, day, paris("2026-12-03T10:00")).is_ok());
    }

    #[test]
    fn unreadable_rules_lock_with_a_clear_reason_and_never_panic() {
        let a = activity("8h");
        let day = date(2026, 12, 3);
        let now = paris("2026-11-01T10:00");
        let bad_rules = [
            days_before(1, "25:00", false, false),
            days_before(100_000, "12:00", false, false),
            DeadlineRule::WeekdayOfPreviousWeek {
                weekday: 9,
                at: "12:00".into(),
                weeks_before: 0,
            },
            DeadlineRule::WeekdayOfPreviousWeek {
                weekday: 4,
                at: "12:00".into(),
                weeks_before: u32::MAX,
            },
            DeadlineRule::HoursBefore { hours: 1 }, // start time "8h" cannot be read
            DeadlineRule::ReadOnlyFrom {
                from: "bientôt".into(),
                period_from: String::new(),
                period_to: String::new(),
            },
            DeadlineRule::Window {
                opens: "2027-03-28T20:00".into(),
                closes: "2027-03-07T20:00".into(),
            },
        ];
        for rule in bad_rules {
            let locked = check(std::slice::from_ref(&rule), &a, day, now).expect_err("locked");
            assert!(locked.misconfigured, "{rule:?}");
            assert!(
                locked.reason_fr.contains("règle mal configurée"),
                "{locked:?}"
            );
            assert_eq!(deadline(&[rule], &a, day), None);
        }
        let huge = DeadlineRule::HoursBefore { hours: u32::MAX };
        assert!(limit(&huge, &activity("08:00"), day).is_err());
        assert!(validate(&days_before(1, "12:00", true, true)).is_ok());
        assert!(validate(&days_before(1, "12:60", true, true)).is_err());
    }
}
