//! What the phone shows, offline, for one cell of "Mon Planning" (a child, a day, an
//! activity), and the days of a week or a month to lay the grid out.
//!
//! A parent's request and the server's decision take precedence: an accepted booking past its
//! cancellation deadline is still `Accepted`, with `cancel_deadline` in the past so the app
//! greys the cancel button. Without a request, a closed day or a child who may not attend
//! shows why; otherwise the booking deadlines say whether the cell can still be booked.
//! Approval of the dossier, documents and capacity are only known to the server: a booking
//! the phone shows as possible may still be refused, with the reason, at the next sync.

use crate::calendar::add_days;
use crate::catalogue::{Catalogue, iso_weekday};
use crate::deadlines;
use crate::dossier::ChildSheet;
use crate::eligibility::check_eligibility;
use crate::planning::{BookingRequest, CellKey, Decision, RequestState};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The state of one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CellState {
    /// Nothing asked; the cell can be booked now.
    Free,
    /// A request written on a device, not decided by the server yet. `wanted` is false for a
    /// withdrawal waiting to be synced.
    Pending {
        wanted: bool,
    },
    Accepted,
    Refused {
        reason: String,
    },
    Cancelled,
    /// The structure cancelled the booking (a closure, a staff decision).
    CancelledByStructure {
        reason: String,
    },
    KeptBillable {
        reason: String,
    },
    /// Nothing asked and the booking deadlines no longer (or not yet) allow it.
    Locked {
        reason: String,
        /// The deadline that passed, when there is one.
        deadline: Option<Timestamp>,
        /// When booking opens, for a window not open yet.
        opens: Option<Timestamp>,
    },
    /// The activity does not run that day.
    Closed {
        reason: String,
    },
    /// The child may not attend.
    NotEligible {
        reason: String,
    },
}

/// One cell as the app draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellView {
    pub state: CellState,
    /// Bookings are possible strictly before this instant (earliest booking deadline).
    pub booking_deadline: Option<Timestamp>,
    /// Cancellations are free strictly before this instant (earliest cancellation deadline).
    pub cancel_deadline: Option<Timestamp>,
}

/// The view of one cell at `now` (the server-corrected time). `child` is the child's sheet
/// from the dossier (`None`: unknown child).
pub fn cell_state(
    catalogue: &Catalogue,
    child: Option<&ChildSheet>,
    key: &CellKey,
    request: Option<&BookingRequest>,
    decision: Option<&Decision>,
    now: Timestamp,
) -> CellView {
    let activity = catalogue.activities.get(key.activity_id.as_str());
    let booking_deadline =
        activity.and_then(|a| deadlines::deadline(&a.booking_rules, a, key.date));
    let cancel_deadline = activity.and_then(|a| deadlines::deadline(&a.cancel_rules, a, key.date));
    let view = |state| CellView {
        state,
        booking_deadline,
        cancel_deadline,
    };
    if let Some(request) = request {
        return view(match RequestState::of(request, decision) {
            RequestState::Pending => CellState::Pending {
                wanted: request.wanted,
            },
            RequestState::Accepted => CellState::Accepted,
            RequestState::Refused { reason } => CellState::Refused { reason },
            RequestState::Cancelled => CellState::Cancelled,
            RequestState::CancelledByStructure { reason } => {
                CellState::CancelledByStructure { reason }
            }
            RequestState::KeptBillable { reason } => CellState::KeptBillable { reason },
        });
    }
    if let Some(closed) = crate::calendar::closure_on(catalogue, &key.activity_id, key.date) {
        return view(CellState::Closed {
            reason: closed.label_fr(),
        });
    }
    let Some(activity) = activity else {
        return view(CellState::Closed {
            reason: "Activité inconnue".into(),
        });
    };
    let Some(child) = child else {
        return view(CellState::NotEligible {
            reason: "Enfant inconnu dans le dossier de la famille".into(),
        });
    };
    if let Err(e) = check_eligibility(&activity.eligibility, child, key.date) {
        return view(CellState::NotEligible {
            reason: e.reason_fr(),
        });
    }
    match deadlines::check(&activity.booking_rules, activity, key.date, now) {
        Ok(()) => view(CellState::Free),
        Err(locked) => view(CellState::Locked {
            reason: locked.reason_fr,
            deadline: locked.until.filter(|_| locked.opens.is_none()),
            opens: locked.opens,
        }),
    }
}

/// Monday to Sunday of the ISO week containing `day`.
pub fn week_days(day: Date) -> [Date; 7] {
    let monday_offset = 1 - i64::from(iso_weekday(day.weekday()));
    let mut out = [day; 7];
    for (i, slot) in (0i64..).zip(out.iter_mut()) {
        *slot = add_days(day, monday_offset + i).unwrap_or(day);
    }
    out
}

/// Every day of the month containing `day`, in order.
pub fn month_days(day: Date) -> Vec<Date> {
    let first = day.first_of_month();
    (0..i64::from(day.days_in_month()))
        .filter_map(|i| add_days(first, i).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_local_instant;
    use crate::catalogue::{Activity, ActivityKind, Closure, DeadlineRule, Eligibility};
    use crate::planning::Outcome;
    use jiff::civil::date;

    fn paris(s: &str) -> Timestamp {
        parse_local_instant(s).expect("test instant")
    }

    fn catalogue() -> Catalogue {
        let mut c = Catalogue::default();
        let mut canteen = Activity::simple(
            "Restauration scolaire",
            ActivityKind::Canteen,
            vec![1, 2, 4, 5],
        );
        canteen.booking_rules = vec![DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 4,
            at: "12:00".into(),
            weeks_before: 0,
        }];
        canteen.cancel_rules = vec![DeadlineRule::DaysBefore {
            days: 1,
            at: "15:00".into(),
            skip_weekends: false,
            skip_public_holidays: false,
            skip_weekdays: vec![],
        }];
        c.activities.insert("cantine".into(), canteen);
        let mut centre = Activity::simple(
            "Accueil du mercredi",
            ActivityKind::WednesdayCentre,
            vec![3],
        );
        centre.eligibility = Eligibility {
            min_age_years: Some(6),
            ..Default::default()
        };
        c.activities.insert("mercredi".into(), centre);
        c.closures.push(Closure {
            from: "2026-12-19".into(),
            to: "2027-01-03".into(),
            label: "Vacances de Noël".into(),
            activities: vec![],
        });
        c
    }

    fn lea() -> ChildSheet {
        ChildSheet {
            first_name: "Léa".into(),
            birth_date: "2018-04-12".into(),
            class: "CE2".into(),
            ..Default::default()
        }
    }

    fn request(wanted: bool, rev: &str) -> BookingRequest {
        BookingRequest {
            wanted,
            rev: rev.into(),
            by: "a".into(),
            at_ms: 0,
        }
    }

    fn decision(rev: &str, outcome: Outcome, reason: Option<&str>) -> Decision {
        Decision {
            rev: rev.into(),
            outcome,
            reason: reason.map(str::to_string),
            cause: None,
            decided_at_ms: 0,
        }
    }

    #[test]
    fn a_free_cell_shows_both_deadlines() {
        let c = catalogue();
        let key = CellKey::new("c1", date(2026, 12, 4), "cantine");
        let v = cell_state(
            &c,
            Some(&lea()),
            &key,
            None,
            None,
            paris("2026-11-25T09:00"),
        );
        assert_eq!(v.state, CellState::Free);
        assert_eq!(v.booking_deadline, Some(paris("2026-11-26T12:00")));
        assert_eq!(v.cancel_deadline, Some(paris("2026-12-03T15:00")));
    }

    #[test]
    fn a_cell_past_its_booking_deadline_is_locked_with_the_deadline_shown() {
        let c = catalogue();
        let key = CellKey::new("c1", date(2026, 12, 4), "cantine");
        let v = cell_state(
            &c,
            Some(&lea()),
            &key,
            None,
            None,
            paris("2026-11-26T12:01"),
        );
        assert_eq!(
            v.state,
            CellState::Locked {
                reason: "Date limite dépassée : jeudi 26 novembre 2026 à 12:00".into(),
                deadline: Some(paris("2026-11-26T12:00")),
                opens: None,
            }
        );
        let json = serde_json::to_value(&v.state).expect("json");
        assert_eq!(json["state"], "locked");
    }

    #[test]
    fn closed_and_not_eligible_win_over_free() {
        let c = catalogue();
        let now = paris("2026-11-01T09:00");
        let christmas = CellKey::new("c1", date(2026, 12, 21), "cantine");
        assert_eq!(
            cell_state(&c, Some(&lea()), &christmas, None, None, now).state,
            CellState::Closed {
                reason: "Fermé : Vacances de Noël".into()
            }
        );
        let wednesday = CellKey::new("c1", date(2026, 12, 2), "cantine");
        assert_eq!(
            cell_state(&c, Some(&lea()), &wednesday, None, None, now).state,
            CellState::Closed {
                reason: "Pas d'accueil le mercredi".into()
            }
        );
        let young = ChildSheet {
            birth_date: "2021-03-01".into(),
            ..lea()
        };
        let centre = CellKey::new("c2", date(2026, 12, 2), "mercredi");
        let v = cell_state(&c, Some(&young), &centre, None, None, now);
        assert!(
            matches!(&v.state, CellState::NotEligible { reason } if reason.starts_with("Réservé aux enfants de 6 ans")),
            "{v:?}"
        );
        let v = cell_state(&c, None, &centre, None, None, now);
        assert!(matches!(v.state, CellState::NotEligible { .. }), "{v:?}");
    }

    #[test]
    fn requests_and_decisions_take_precedence() {
        let c = catalogue();
        let key = CellKey::new("c1", date(2026, 12, 4), "cantine");
        let child = lea();
        let show = |r: Option<&BookingRequest>, d: Option<&Decision>, now: &str| {
            cell_state(&c, Some(&child), &key, r, d, paris(now))
        };
        let booked = request(true, "r1");
        assert_eq!(
            show(Some(&booked), None, "2026-11-27T10:00").state,
            CellState::Pending { wanted: true }
        );
        // Accepted and past the cancellation deadline: still accepted, cancel deadline past.
        let accepted = decision("r1", Outcome::Accepted, None);
        let v = show(Some(&booked), Some(&accepted), "2026-12-03T16:00");
        assert_eq!(v.state, CellState::Accepted);
        assert!(
            v.cancel_deadline
                .is_some_and(|d| d < paris("2026-12-03T16:00"))
        );
        // A decision for an older revision leaves the new request pending.
        let withdrawn = request(false, "r2");
        assert_eq!(
            show(Some(&withdrawn), Some(&accepted), "2026-12-03T16:00").state,
            CellState::Pending { wanted: false }
        );
        let kept = decision(
            "r2",
            Outcome::KeptBillable,
            Some("Annulation après la date limite (jeudi 3 décembre 2026 à 15:00) : facturée"),
        );
        assert!(matches!(
            show(Some(&withdrawn), Some(&kept), "2026-12-03T16:00").state,
            CellState::KeptBillable { .. }
        ));
        let refused = decision("r1", Outcome::Refused, Some("Complet"));
        assert_eq!(
            show(Some(&booked), Some(&refused), "2026-11-20T10:00").state,
            CellState::Refused {
                reason: "Complet".into()
            }
        );
        let cancelled = decision("r2", Outcome::Cancelled, None);
        assert_eq!(
            show(Some(&withdrawn), Some(&cancelled), "2026-11-20T10:00").state,
            CellState::Cancelled
        );
    }

    #[test]
    fn a_booking_window_not_open_yet_shows_when_it_opens() {
        let mut c = catalogue();
        let mut holidays = Activity::simple(
            "Centre de loisirs",
            ActivityKind::HolidayCentre,
            vec![1, 2, 3, 4, 5],
        );
        holidays.booking_rules = vec![DeadlineRule::Window {
            opens: "2027-03-07T20:00".into(),
            closes: "2027-03-28T23:59".into(),
        }];
        c.activities.insert("alsh".into(), holidays);
        let key = CellKey::new("c1", date(2027, 4, 20), "alsh");
        let v = cell_state(
            &c,
            Some(&lea()),
            &key,
            None,
            None,
            paris("2027-03-01T10:00"),
        );
        assert_eq!(
            v.state,
            CellState::Locked {
                reason: "Pas encore ouvert : ouverture le dimanche 7 mars 2027 à 20:00".into(),
                deadline: None,
                opens: Some(paris("2027-03-07T20:00")),
            }
        );
        assert_eq!(v.booking_deadline, Some(paris("2027-03-28T23:59")));
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_months_have_all_their_days() {
        let w = week_days(date(2026, 12, 31));
        assert_eq!(w[0], date(2026, 12, 28));
        assert_eq!(w[6], date(2027, 1, 3));
        assert_eq!(week_days(date(2026, 11, 30))[0], date(2026, 11, 30));
        assert_eq!(week_days(date(2026, 12, 6))[0], date(2026, 11, 30));
        let feb = month_days(date(2028, 2, 14));
        assert_eq!(feb.len(), 29);
        assert_eq!(feb.first(), Some(&date(2028, 2, 1)));
        assert_eq!(feb.last(), Some(&date(2028, 2, 29)));
        assert_eq!(month_days(date(2026, 11, 1)).len(), 30);
    }
}
