//! Absences declared by a parent for a booked day, and whether the day is still billed.
//!
//! The rule ([`AbsenceRule`]) is data. How its fields combine:
//!
//! - A declaration is *on time* (the day is free) when made before
//!   - `free_before` ("HH:MM") on the day before, when set ("later days can be cancelled
//!     before 10:00");
//!   - otherwise before the day starts when `same_day_billed` ("a sick child's same-day meal
//!     is billed"), or before the day ends when not.
//!
//!   A later declaration is never cheaper than an earlier one, so with `free_before` set a
//!   declaration on the day itself is late whatever `same_day_billed` says.
//! - A late declaration is billed, unless `medical_note_days` > 0 and a medical note is given
//!   before the end of the `medical_note_days`-th day after the absent day, and the day is not
//!   one of the first `billed_days_even_with_note` days of the absence ("jours de carence").

use crate::calendar::{
    RuleError, add_days, format_date_fr, format_instant_fr, local_instant, paris_date, parse_hhmm,
    start_of_day,
};
use crate::catalogue::AbsenceRule;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Whether an absent day is billed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsenceDecision {
    pub billed: bool,
    /// A sentence a parent understands.
    pub reason_fr: String,
    /// A medical note given strictly before this instant makes the day free (only when a note
    /// can still change the outcome, or came too late).
    pub note_deadline: Option<Timestamp>,
}

/// The instant before which declaring an absence for `day` makes it free.
pub fn free_until(rule: &AbsenceRule, day: Date) -> Result<Timestamp, RuleError> {
    if !rule.free_before.trim().is_empty() {
        let at = parse_hhmm(&rule.free_before)?;
        return local_instant(add_days(day, -1)?, at);
    }
    if rule.same_day_billed {
        start_of_day(day)
    } else {
        start_of_day(add_days(day, 1)?)
    }
}

/// The instant before which a medical note frees a late absence for `day`, when notes count.
pub fn note_deadline(rule: &AbsenceRule, day: Date) -> Result<Option<Timestamp>, RuleError> {
    if rule.medical_note_days == 0 {
        return Ok(None);
    }
    let last = add_days(day, i64::from(rule.medical_note_days))?;
    Ok(Some(start_of_day(add_days(last, 1)?)?))
}

/// Decides whether the absent `day` is billed. `nth_day_of_absence` counts the days of this
/// absence from 1 (0 is read as 1).
pub fn decide_absence(
    rule: &AbsenceRule,
    day: Date,
    declared_at: Timestamp,
    medical_note_at: Option<Timestamp>,
    nth_day_of_absence: u32,
) -> AbsenceDecision {
    let misconfigured = |e: RuleError| AbsenceDecision {
        billed: true,
        reason_fr: format!("Absence facturée : règle mal configurée ({e}), contactez la structure"),
        note_deadline: None,
    };
    let free_limit = match free_until(rule, day) {
        Ok(t) => t,
        Err(e) => return misconfigured(e),
    };
    if declared_at < free_limit {
        return AbsenceDecision {
            billed: false,
            reason_fr: "Absence signalée à temps : non facturée".into(),
            note_deadline: None,
        };
    }
    let declared_on = paris_date(declared_at);
    let late = if declared_on == day {
        "Absence signalée le jour même : facturée".to_string()
    } else if declared_on > day {
        "Absence signalée après coup : facturée".to_string()
    } else {
        format!(
            "Absence signalée après la date limite ({}) : facturée",
            format_instant_fr(free_limit)
        )
    };
    let note_limit = match note_deadline(rule, day) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return AbsenceDecision {
                billed: true,
                reason_fr: late,
                note_deadline: None,
            };
        }
        Err(e) => return misconfigured(e),
    };
    let nth = nth_day_of_absence.max(1);
    if nth <= rule.billed_days_even_with_note {
        let days = rule.billed_days_even_with_note;
        let which = if days == 1 {
            "le premier jour d'absence est facturé".to_string()
        } else {
            format!("les {days} premiers jours d'absence sont facturés")
        };
        return AbsenceDecision {
            billed: true,
            reason_fr: format!("{late} ({which} même avec un certificat médical)"),
            note_deadline: None,
        };
    }
    let last_note_day = add_days(day, i64::from(rule.medical_note_days))
        .map(format_date_fr)
        .unwrap_or_default();
    match medical_note_at {
        Some(at) if at < note_limit => AbsenceDecision {
            billed: false,
            reason_fr: "Certificat médical fourni : absence non facturée".into(),
            note_deadline: Some(note_limit),
        },
        Some(_) => AbsenceDecision {
            billed: true,
            reason_fr: format!(
                "Certificat médical remis après le délai (au plus tard le {last_note_day}) : absence facturée"
            ),
            note_deadline: Some(note_limit),
        },
        None => AbsenceDecision {
            billed: true,
            reason_fr: format!(
                "{late}, sauf certificat médical remis au plus tard le {last_note_day}"
            ),
            note_deadline: Some(note_limit),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_local_instant;
    use jiff::civil::date;

    fn paris(s: &str) -> Timestamp {
        parse_local_instant(s).expect("test instant")
    }

    /// "A sick child's same-day meal is billed; later days can be cancelled before 10:00."
    fn canteen() -> AbsenceRule {
        AbsenceRule {
            same_day_billed: true,
            free_before: "10:00".into(),
            medical_note_days: 0,
            billed_days_even_with_note: 0,
        }
    }

    #[test]
    fn a_sick_childs_same_day_meal_is_billed() {
        // Léa is sick on Monday 30 November 2026; her parent declares at 07:45.
        let d = decide_absence(
            &canteen(),
            date(2026, 11, 30),
            paris("2026-11-30T07:45"),
            None,
            1,
        );
        assert!(d.billed);
        assert_eq!(d.reason_fr, "Absence signalée le jour même : facturée");
        assert_eq!(d.note_deadline, None);
    }

    #[test]
    fn the_next_day_is_free_when_declared_before_10_00_the_day_before() {
        let tuesday = date(2026, 12, 1);
        let on_time = decide_absence(&canteen(), tuesday, paris("2026-11-30T09:59"), None, 2);
        assert!(!on_time.billed);
        assert_eq!(on_time.reason_fr, "Absence signalée à temps : non facturée");
        let late = decide_absence(&canteen(), tuesday, paris("2026-11-30T10:00"), None, 2);
        assert!(late.billed);
        assert_eq!(
            late.reason_fr,
            "Absence signalée après la date limite (lundi 30 novembre 2026 à 10:00) : facturée"
        );
        let after = decide_absence(&canteen(), tuesday, paris("2026-12-02T08:00"), None, 2);
        assert!(after.billed);
        assert_eq!(after.reason_fr, "Absence signalée après coup : facturée");
    }

    #[test]
    fn without_free_before_an_absence_is_free_until_the_day_starts() {
        let rule = AbsenceRule {
            same_day_billed: true,
            ..Default::default()
        };
        let day = date(2026, 12, 3);
        assert!(!decide_absence(&rule, day, paris("2026-12-02T23:59"), None, 1).billed);
        assert!(decide_absence(&rule, day, paris("2026-12-03T00:00"), None, 1).billed);
        // A structure that does not bill the same day: free until the day ends.
        let lenient = AbsenceRule::default();
        assert!(!decide_absence(&lenient, day, paris("2026-12-03T11:00"), None, 1).billed);
        assert!(decide_absence(&lenient, day, paris("2026-12-04T08:00"), None, 1).billed);
    }

    /// "A late cancellation is billed unless a medical note is given within 7 days."
    fn with_note(carence: u32) -> AbsenceRule {
        AbsenceRule {
            same_day_billed: true,
            free_before: "10:00".into(),
            medical_note_days: 7,
            billed_days_even_with_note: carence,
        }
    }

    #[test]
    fn a_medical_note_within_seven_days_makes_a_late_absence_free() {
        let day = date(2026, 11, 30);
        let declared = paris("2026-11-30T07:45");
        let waiting = decide_absence(&with_note(0), day, declared, None, 1);
        assert!(waiting.billed);
        assert_eq!(
            waiting.reason_fr,
            "Absence signalée le jour même : facturée, sauf certificat médical remis au plus tard le lundi 7 décembre 2026"
        );
        assert_eq!(waiting.note_deadline, Some(paris("2026-12-08T00:00")));

        let noted = decide_absence(
            &with_note(0),
            day,
            declared,
            Some(paris("2026-12-07T18:30")),
            1,
        );
        assert!(!noted.billed);
        assert_eq!(
            noted.reason_fr,
            "Certificat médical fourni : absence non facturée"
        );

        let too_late = decide_absence(
            &with_note(0),
            day,
            declared,
            Some(paris("2026-12-08T08:00")),
            1,
        );
        assert!(too_late.billed);
        assert!(
            too_late.reason_fr.contains("après le délai"),
            "{too_late:?}"
        );
    }

    #[test]
    fn the_first_two_days_are_billed_even_with_a_note() {
        // Léa is sick from Monday 30 November; her parent only declares it on Wednesday
        // 2 December at 08:00, for Monday to Thursday, with a medical note given the same day.
        let declared = paris("2026-12-02T08:00");
        let note = Some(paris("2026-12-02T08:00"));
        let rule = with_note(2);
        let monday = decide_absence(&rule, date(2026, 11, 30), declared, note, 1);
        let tuesday = decide_absence(&rule, date(2026, 12, 1), declared, note, 2);
        let wednesday = decide_absence(&rule, date(2026, 12, 2), declared, note, 3);
        let thursday = decide_absence(&rule, date(2026, 12, 3), declared, note, 4);
        assert!(monday.billed);
        assert!(tuesday.billed);
        assert_eq!(
            monday.reason_fr,
            "Absence signalée après coup : facturée (les 2 premiers jours d'absence sont facturés même avec un certificat médical)"
        );
        assert_eq!(monday.note_deadline, None);
        // The third day, declared late, is freed by the note.
        assert!(!wednesday.billed, "{wednesday:?}");
        // Thursday was declared before 10:00 the day before: free anyway.
        assert!(!thursday.billed);
        assert_eq!(
            thursday.reason_fr,
            "Absence signalée à temps : non facturée"
        );
        // Without the note the third day stays billed, with the note's deadline shown.
        let no_note = decide_absence(&rule, date(2026, 12, 2), declared, None, 3);
        assert!(no_note.billed);
        assert_eq!(no_note.note_deadline, Some(paris("2026-12-10T00:00")));
        // A single day of carence is worded in the singular.
        let one = decide_absence(&with_note(1), date(2026, 11, 30), declared, note, 0);
        assert!(
            one.reason_fr
                .contains("le premier jour d'absence est facturé"),
            "{one:?}"
        );
    }

    #[test]
    fn a_misconfigured_rule_bills_with_a_clear_reason() {
        let rule = AbsenceRule {
            free_before: "10h".into(),
            ..with_note(0)
        };
        let d = decide_absence(&rule, date(2026, 12, 1), paris("2026-11-29T08:00"), None, 1);
        assert!(d.billed);
        assert!(d.reason_fr.contains("règle mal configurée"), "{d:?}");
    }
}
