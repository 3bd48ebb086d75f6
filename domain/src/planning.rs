//! The planning document ("Mon Planning"): one per family and school year.
//!
//! Parents write requests (child × date × activity → wanted or not); only the server writes
//! decisions. A request carries a fresh `rev` each time a parent changes it, and a decision
//! names the `rev` it answers, so a request whose latest `rev` has no decision yet is pending.

use crate::ids::{ActivityId, ChildId};
use crate::refusal::RefusalCause;
use crate::school_year::SchoolYear;
use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Root keys of the planning document that only the server may write.
pub const SERVER_ONLY_KEYS: &[&str] =
    &["decisions", "family_id", "school_year", "absence_decisions"];

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Planning {
    #[autosurgeon(missing = "Default::default")]
    pub family_id: String,
    #[autosurgeon(missing = "Default::default")]
    pub school_year: String,
    /// Keyed by [`CellKey`].
    #[autosurgeon(missing = "Default::default")]
    pub requests: BTreeMap<String, BookingRequest>,
    /// Keyed by [`CellKey`]; written by the server only.
    #[autosurgeon(missing = "Default::default")]
    pub decisions: BTreeMap<String, Decision>,
    /// Absences declared by parents for booked cells, keyed by [`CellKey`].
    #[autosurgeon(missing = "Default::default")]
    pub absences: BTreeMap<String, AbsenceDeclaration>,
    /// Keyed by [`CellKey`]; written by the server only: whether the absent day is billed.
    #[autosurgeon(missing = "Default::default")]
    pub absence_decisions: BTreeMap<String, AbsenceOutcome>,
}

/// A parent's declaration that a child will miss (or missed) a booked day.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AbsenceDeclaration {
    /// Fresh random id for this version of the declaration.
    pub rev: String,
    /// Account id of the parent who wrote it.
    pub by: String,
    /// Device clock when written (informative; the server's clock decides).
    pub at_ms: i64,
    /// Free text from the parent, e.g. "malade".
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub reason: String,
    /// A supporting document (medical note) sent with it, if any.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub document_id: Option<String>,
}

/// The server's answer to one version of an absence declaration.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AbsenceOutcome {
    /// The declaration `rev` this answers.
    pub rev: String,
    pub billed: bool,
    /// A reason a parent understands, in French.
    pub reason: String,
    pub decided_at_ms: i64,
    /// A medical note given before this instant (ms since the epoch) makes the day free.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub note_deadline_ms: Option<i64>,
    /// When the server first received a declaration for this cell: amending it (to add a
    /// medical note) does not make it late.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub first_declared_at_ms: Option<i64>,
}

impl AbsenceOutcome {
    /// The outcome to store for `decision`, answering declaration `rev`.
    pub fn from_decision(
        rev: &str,
        decision: &crate::absences::AbsenceDecision,
        decided_at: jiff::Timestamp,
    ) -> Self {
        Self {
            rev: rev.to_string(),
            billed: decision.billed,
            reason: decision.reason_fr.clone(),
            decided_at_ms: decided_at.as_millisecond(),
            note_deadline_ms: decision.note_deadline.map(|t| t.as_millisecond()),
            first_declared_at_ms: None,
        }
    }
}

/// What a parent asked for one cell (stored as one value, see [`crate::cell_values`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    /// true: book; false: withdraw a booking.
    pub wanted: bool,
    /// Fresh random id for this version of the request.
    pub rev: String,
    /// Account id of the parent who wrote it.
    pub by: String,
    /// Device clock when written (informative; the server's clock decides).
    pub at_ms: i64,
}

/// The server's answer to one version of a request (stored as one value, see
/// [`crate::cell_values`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The request `rev` this decision answers.
    pub rev: String,
    pub outcome: Outcome,
    /// A reason a parent understands, in French.
    #[serde(default)]
    pub reason: Option<String>,
    /// Why the outcome is not what the parent asked (none when it is). Behaviour depends on
    /// it, never on `reason`'s wording. Decisions from earlier builds get theirs from their
    /// text when read (see [`Decision::with_legacy_cause`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<RefusalCause>,
    pub decided_at_ms: i64,
}

impl Decision {
    /// A decision written before causes were stored gets the cause its French reason names.
    pub fn with_legacy_cause(mut self) -> Self {
        if self.cause.is_none() {
            self.cause = self.reason.as_deref().map(RefusalCause::from_reason_fr);
        }
        self
    }

    /// True when this decision holds a place on its day (see [`Outcome::holds_place`]).
    pub fn holds_place(&self) -> bool {
        self.outcome.holds_place()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The booking stands.
    Accepted,
    /// The booking was not taken.
    Refused,
    /// A withdrawal was accepted: nothing booked, nothing billed.
    Cancelled,
    /// A withdrawal came after the cancellation deadline: the booking stays and is billed.
    KeptBillable,
}

impl Outcome {
    /// True when a booking with this outcome holds a place: an accepted booking takes one,
    /// a late withdrawal kept and billed keeps it, a refusal or a cancellation holds none.
    /// The one statement of the rule: the booking projection stores its result
    /// (`booking_requests.holds_place`) and place counters are rebuilt from that column.
    pub fn holds_place(self) -> bool {
        matches!(self, Outcome::Accepted | Outcome::KeptBillable)
    }

    pub fn code(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Refused => "refused",
            Outcome::Cancelled => "cancelled",
            Outcome::KeptBillable => "kept_billable",
        }
    }
}

/// Identifies one cell of the planning: a child, a day, an activity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellKey {
    pub child_id: ChildId,
    pub date: Date,
    pub activity_id: ActivityId,
}

/// Why a cell key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("case de planning invalide « {0} »")]
pub struct BadCellKey(pub String);

impl CellKey {
    pub fn new(
        child_id: impl Into<ChildId>,
        date: Date,
        activity_id: impl Into<ActivityId>,
    ) -> Self {
        Self {
            child_id: child_id.into(),
            date,
            activity_id: activity_id.into(),
        }
    }

    /// The map key in the document: `child|YYYY-MM-DD|activity`.
    pub fn encode(&self) -> String {
        format!("{}|{}|{}", self.child_id, self.date, self.activity_id)
    }

    pub fn decode(s: &str) -> Result<Self, BadCellKey> {
        let bad = || BadCellKey(s.to_string());
        let mut parts = s.split('|');
        let (Some(child), Some(date), Some(activity), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if !crate::ids::is_valid_id(child) || !crate::ids::is_valid_id(activity) {
            return Err(bad());
        }
        let date: Date = date.parse().map_err(|_| bad())?;
        Ok(Self::new(child, date, activity))
    }
}

/// What a parent sees for a request, on any device, offline included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    /// Written on a device, not yet decided by the server (not synced yet).
    Pending,
    Accepted,
    Refused {
        reason: String,
    },
    Cancelled,
    /// The structure cancelled the booking (a closure, a staff decision): nothing billed.
    CancelledByStructure {
        reason: String,
    },
    KeptBillable {
        reason: String,
    },
}

impl RequestState {
    pub fn of(request: &BookingRequest, decision: Option<&Decision>) -> Self {
        match decision {
            Some(d) if d.rev == request.rev => match d.outcome {
                Outcome::Accepted => RequestState::Accepted,
                Outcome::Cancelled => match &d.reason {
                    Some(reason) => RequestState::CancelledByStructure {
                        reason: reason.clone(),
                    },
                    None => RequestState::Cancelled,
                },
                Outcome::Refused => RequestState::Refused {
                    reason: d.reason.clone().unwrap_or_else(|| "Demande refusée".into()),
                },
                Outcome::KeptBillable => RequestState::KeptBillable {
                    reason: d
                        .reason
                        .clone()
                        .unwrap_or_else(|| "Annulation hors délai : facturée".into()),
                },
            },
            _ => RequestState::Pending,
        }
    }

    /// Short French label for lists.
    pub fn label(&self) -> String {
        match self {
            RequestState::Pending => "en attente de synchronisation".into(),
            RequestState::Accepted => "réservé".into(),
            RequestState::Refused { reason } => format!("refusé : {reason}"),
            RequestState::Cancelled => "annulé".into(),
            RequestState::CancelledByStructure { reason } => format!("annulé : {reason}"),
            RequestState::KeptBillable { reason } => format!("maintenu : {reason}"),
        }
    }
}

impl Planning {
    pub fn new(family_id: &str, year: SchoolYear) -> Self {
        Self {
            family_id: family_id.to_string(),
            school_year: year.to_string(),
            ..Default::default()
        }
    }

    /// Requests whose latest version has no decision yet, in key order.
    pub fn undecided(&self) -> impl Iterator<Item = (&String, &BookingRequest)> {
        self.requests.iter().filter(|(k, r)| {
            self.decisions
                .get(k.as_str())
                .is_none_or(|d| d.rev != r.rev)
        })
    }

    /// Absence declarations whose latest version has no outcome yet, in key order.
    pub fn undecided_absences(&self) -> impl Iterator<Item = (&String, &AbsenceDeclaration)> {
        self.absences.iter().filter(|(k, a)| {
            self.absence_decisions
                .get(k.as_str())
                .is_none_or(|d| d.rev != a.rev)
        })
    }

    /// Which day of a continuous absence `key` is (1 for the first): counts back over the
    /// previous service days of the same child and activity that carry an absence, skipping
    /// days without service (`is_service_day` false: weekends, closures…).
    pub fn nth_day_of_absence(&self, key: &CellKey, is_service_day: impl Fn(Date) -> bool) -> u32 {
        let mut nth = 1;
        let mut day = key.date;
        // A year back at most: absences are per school year.
        for _ in 0..366 {
            let Ok(previous) = day.yesterday() else {
                break;
            };
            day = previous;
            if !is_service_day(day) {
                continue;
            }
            let k = CellKey::new(key.child_id.clone(), day, key.activity_id.clone()).encode();
            if self.absences.contains_key(&k) {
                nth += 1;
            } else {
                break;
            }
        }
        nth
    }

    /// State of the request at `key`, if any.
    pub fn state_of(&self, key: &str) -> Option<RequestState> {
        let r = self.requests.get(key)?;
        Some(RequestState::of(r, self.decisions.get(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn req(rev: &str) -> BookingRequest {
        BookingRequest {
            wanted: true,
            rev: rev.into(),
            by: "a".into(),
            at_ms: 0,
        }
    }

    #[test]
    fn cell_keys_round_trip_and_reject_garbage() {
        let k = CellKey::new("c1", date(2026, 11, 30), "cantine");
        assert_eq!(k.encode(), "c1|2026-11-30|cantine");
        assert_eq!(CellKey::decode(&k.encode()), Ok(k));
        assert!(CellKey::decode("c1|2026-13-01|cantine").is_err());
        assert!(CellKey::decode("../x|2026-11-30|cantine").is_err());
        assert!(CellKey::decode("a|b").is_err());
        assert!(CellKey::decode("a|2026-11-30|b|c").is_err());
    }

    fn absence(rev: &str) -> AbsenceDeclaration {
        AbsenceDeclaration {
            rev: rev.into(),
            by: "a".into(),
            at_ms: 0,
            reason: "malade".into(),
            document_id: None,
        }
    }

    #[test]
    fn absences_round_trip_and_older_documents_still_hydrate() {
        let mut p = Planning::new("f", SchoolYear(2026));
        let k = CellKey::new("c1", date(2026, 11, 30), "cantine").encode();
        p.absences.insert(k.clone(), absence("a1"));
        p.absence_decisions.insert(
            k.clone(),
            AbsenceOutcome {
                rev: "a1".into(),
                billed: true,
                reason: "Absence signalée le jour même : facturée".into(),
                decided_at_ms: 7,
                note_deadline_ms: Some(9),
                first_declared_at_ms: Some(7),
            },
        );
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &p).expect("reconcile");
        let back: Planning = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(back, p);
        assert!(SERVER_ONLY_KEYS.contains(&"absence_decisions"));
        assert!(!SERVER_ONLY_KEYS.contains(&"absences"));

        // A document written before absences existed.
        let mut old = automerge::AutoCommit::new();
        use automerge::transaction::Transactable;
        old.put(automerge::ROOT, "family_id", "f").expect("put");
        let back: Planning = autosurgeon::hydrate(&old).expect("hydrate old");
        assert!(back.absences.is_empty() && back.absence_decisions.is_empty());
    }

    #[test]
    fn absence_days_are_counted_over_service_days_only() {
        let mut p = Planning::new("f", SchoolYear(2026));
        // Thursday 26, Friday 27 November and Monday 30 November 2026.
        for d in [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)] {
            p.absences
                .insert(CellKey::new("c1", d, "cantine").encode(), absence("a"));
        }
        let weekdays = |d: Date| d.weekday().to_monday_one_offset() <= 5;
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        assert_eq!(p.nth_day_of_absence(&monday, weekdays), 3);
        let thursday = CellKey::new("c1", date(2026, 11, 26), "cantine");
        assert_eq!(p.nth_day_of_absence(&thursday, weekdays), 1);
        let other = CellKey::new("c1", date(2026, 11, 30), "garderie");
        assert_eq!(p.nth_day_of_absence(&other, weekdays), 1);
        assert_eq!(p.undecided_absences().count(), 3);
    }

    #[test]
    fn a_request_is_pending_until_its_own_revision_is_decided() {
        let mut p = Planning::new("f", SchoolYear(2026));
        p.requests.insert("k".into(), req("r2"));
        p.decisions.insert(
            "k".into(),
            Decision {
                rev: "r1".into(),
                outcome: Outcome::Accepted,
                reason: None,
                cause: None,
                decided_at_ms: 1,
            },
        );
        assert_eq!(p.state_of("k"), Some(RequestState::Pending));
        assert_eq!(p.undecided().count(), 1);
        if let Some(d) = p.decisions.get_mut("k") {
            d.rev = "r2".into();
        }
        assert_eq!(p.state_of("k"), Some(RequestState::Accepted));
        assert_eq!(p.undecided().count(), 0);
    }
}
