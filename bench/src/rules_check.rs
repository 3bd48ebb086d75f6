//! Every decision the load generator sees, checked against the structure's rules: the
//! domain's reading of the rules (deadlines at server time, closures, eligibility, the
//! cell's previous decision) must give the server's outcome and cause. Capacity is checked
//! over the whole run: a day never holds more places than the activity has, and a refusal
//! for a full day is only accepted where the activity has a capacity.

use automerge::{AutoCommit, ROOT, ReadDoc};
use autosurgeon::hydrate_prop;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::DocumentId;
use cartable_domain::planning::{BookingRequest, CellKey, Decision};
use cartable_domain::refusal::RefusalCause;
use cartable_domain::rules::{DecisionContext, decide_cell};
use cartable_domain::school_year::SchoolYear;
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// What a device knows of its family's rules after its first sync.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The structure's catalogue document (one place counter per structure, day and
    /// activity).
    pub catalogue_id: DocumentId,
    pub catalogue: Catalogue,
    pub dossier: Dossier,
    pub year: SchoolYear,
}

/// A request as written, with what the device knew of the cell then.
#[derive(Debug, Clone)]
pub struct Written {
    pub cell: CellKey,
    pub request: BookingRequest,
    /// The cell's decision before this request (for an earlier version).
    pub previous: Option<Decision>,
    /// Device time when written (the server's clock on this machine).
    pub at: Timestamp,
}

/// How the server's decision compares with the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The rules give the same outcome and cause.
    Agrees,
    /// Refused because the day is full, on an activity with a capacity, where the rules
    /// alone would accept (checked again over the run by [`over_capacity`]).
    Full,
    /// Agrees with the rules read when the answer came back, not when the request was
    /// written: a deadline passed during the sync.
    AtDeadline,
    /// Differs from the rules: what was expected and what came.
    Differs(String),
}

fn expected(rules: &Rules, written: &Written, at: Timestamp) -> Decision {
    let ctx = DecisionContext::new(&rules.catalogue, &rules.dossier, rules.year, at);
    decide_cell(
        &ctx,
        &written.cell,
        &written.request,
        written.previous.as_ref(),
        0,
    )
}

fn same(a: &Decision, b: &Decision) -> bool {
    a.outcome == b.outcome && a.cause == b.cause
}

fn show(d: &Decision) -> String {
    match d.cause {
        Some(cause) => format!("{:?} ({})", d.outcome, cause.code()),
        None => format!("{:?}", d.outcome),
    }
}

/// Checks the server's `decision` on `written`, whose answer came back at `answered`.
pub fn check(rules: &Rules, written: &Written, decision: &Decision, answered: Timestamp) -> Check {
    let when_written = expected(rules, written, written.at);
    if same(decision, &when_written) {
        return Check::Agrees;
    }
    let has_capacity = rules
        .catalogue
        .activities
        .get(written.cell.activity_id.as_str())
        .is_some_and(|a| a.capacity.is_some());
    if decision.cause == Some(RefusalCause::Full)
        && has_capacity
        && when_written.outcome == cartable_domain::planning::Outcome::Accepted
    {
        return Check::Full;
    }
    if same(decision, &expected(rules, written, answered)) {
        return Check::AtDeadline;
    }
    Check::Differs(format!(
        "{}: the rules give {}, the server decided {}",
        written.cell.encode(),
        show(&when_written),
        show(decision)
    ))
}

/// The decision of `key` in a planning, if any.
pub fn decision_of(doc: &AutoCommit, key: &str) -> Option<Decision> {
    let (_, decisions) = doc.get(ROOT, "decisions").ok().flatten()?;
    hydrate_prop(doc, &decisions, key).ok().flatten()
}

/// Places held per (structure, activity, day), counted over plannings.
#[derive(Debug, Default)]
pub struct Places {
    held: BTreeMap<(DocumentId, String, Date), u32>,
}

impl Places {
    /// Counts the places `planning`'s decisions hold, in the structure of `catalogue_id`.
    pub fn count(&mut self, catalogue_id: &DocumentId, planning: &AutoCommit) {
        let Ok(Some((_, decisions))) = planning.get(ROOT, "decisions") else {
            return;
        };
        for key in planning.keys(&decisions) {
            let (Ok(cell), Some(decision)) = (CellKey::decode(&key), decision_of(planning, &key))
            else {
                continue;
            };
            if decision.holds_place() {
                *self
                    .held
                    .entry((
                        catalogue_id.clone(),
                        cell.activity_id.to_string(),
                        cell.date,
                    ))
                    .or_default() += 1;
            }
        }
    }

    /// Days holding more places than their activity has, in `catalogues` (by document),
    /// and the number of days exactly full.
    pub fn over_capacity(
        &self,
        catalogues: &BTreeMap<DocumentId, Catalogue>,
    ) -> (Vec<String>, u64) {
        let mut over = Vec::new();
        let mut full = 0;
        for ((catalogue_id, activity, day), held) in &self.held {
            let capacity = catalogues
                .get(catalogue_id)
                .and_then(|c| c.activities.get(activity.as_str()))
                .and_then(|a| a.capacity);
            match capacity {
                Some(c) if *held > c => {
                    over.push(format!("{activity} on {day}: {held} places for {c}"));
                }
                Some(c) if *held == c => full += 1,
                _ => {}
            }
        }
        (over, full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use cartable_domain::catalogue::{Activity, ActivityKind};
    use cartable_domain::dossier::ChildSheet;
    use cartable_domain::ids::ChildId;
    use cartable_domain::planning::Outcome;

    fn rules() -> Rules {
        let mut catalogue = Catalogue::default();
        let mut centre = Activity::simple("Mercredi", ActivityKind::WednesdayCentre, vec![3]);
        centre.capacity = Some(1);
        catalogue.activities.insert("mercredi".into(), centre);
        let mut dossier = Dossier::default();
        dossier.children.insert(
            "c1".into(),
            ChildSheet {
                first_name: "Léa".into(),
                birth_date: "2017-03-14".into(),
                ..Default::default()
            },
        );
        Rules {
            catalogue_id: DocumentId::new("cat"),
            catalogue,
            dossier,
            year: "2026-2027".parse().expect("year"),
        }
    }

    fn written(day: Date, wanted: bool, previous: Option<Decision>) -> Written {
        Written {
            cell: CellKey::new(ChildId::new("c1"), day, "mercredi"),
            request: BookingRequest {
                wanted,
                rev: "r2".into(),
                by: "a".into(),
                at_ms: 0,
            },
            previous,
            at: "2026-12-01T10:00:00Z".parse().expect("instant"),
        }
    }

    fn decided(outcome: Outcome, cause: Option<RefusalCause>) -> Decision {
        Decision {
            rev: "r2".into(),
            outcome,
            reason: None,
            cause,
            decided_at_ms: 0,
        }
    }

    #[test]
    fn decisions_are_held_to_the_rules() {
        let rules = rules();
        let wednesday = jiff::civil::date(2026, 12, 9);
        let answered = "2026-12-01T10:00:01Z".parse().expect("instant");
        let w = written(wednesday, true, None);
        let accepted = decided(Outcome::Accepted, None);
        assert_eq!(check(&rules, &w, &accepted, answered), Check::Agrees);
        // A full day is a refusal the rules alone cannot give: accepted on a capacity.
        let full = decided(Outcome::Refused, Some(RefusalCause::Full));
        assert_eq!(check(&rules, &w, &full, answered), Check::Full);
        // A Thursday: the centre does not run, so acceptance is wrong.
        let thursday = written(jiff::civil::date(2026, 12, 10), true, None);
        assert!(matches!(
            check(&rules, &thursday, &accepted, answered),
            Check::Differs(_)
        ));
        // Withdrawing a cell that holds no place is cancelled, never billed.
        let withdraw = written(wednesday, false, None);
        let kept = decided(Outcome::KeptBillable, Some(RefusalCause::LateCancellation));
        assert!(matches!(
            check(&rules, &withdraw, &kept, answered),
            Check::Differs(_)
        ));
        let cancelled = decided(Outcome::Cancelled, None);
        assert_eq!(
            check(&rules, &withdraw, &cancelled, answered),
            Check::Agrees
        );
    }

    #[test]
    fn places_are_counted_per_structure_activity_and_day() {
        let rules = rules();
        let mut planning = AutoCommit::new();
        let decisions = planning
            .put_object(ROOT, "decisions", automerge::ObjType::Map)
            .expect("map");
        let wednesday = jiff::civil::date(2026, 12, 9);
        for (child, outcome) in [
            ("c1", Outcome::Accepted),
            ("c2", Outcome::Accepted),
            ("c3", Outcome::Refused),
        ] {
            let key = CellKey::new(ChildId::new(child), wednesday, "mercredi").encode();
            autosurgeon::reconcile_prop(
                &mut planning,
                &decisions,
                key.as_str(),
                decided(outcome, None),
            )
            .expect("decision");
        }
        let mut places = Places::default();
        places.count(&rules.catalogue_id, &planning);
        let catalogues = BTreeMap::from([(rules.catalogue_id.clone(), rules.catalogue.clone())]);
        let (over, full) = places.over_capacity(&catalogues);
        assert_eq!(
            over,
            vec!["mercredi on 2026-12-09: 2 places for 1".to_string()]
        );
        assert_eq!(full, 0);
        // In a structure whose centre has two places, the day is exactly full.
        let mut roomy = rules.catalogue.clone();
        if let Some(a) = roomy.activities.get_mut("mercredi") {
            a.capacity = Some(2);
        }
        let (over, full) =
            places.over_capacity(&BTreeMap::from([(rules.catalogue_id.clone(), roomy)]));
        assert!(over.is_empty());
        assert_eq!(full, 1);
    }
}
