//! Booking decisions: the server's answer to a parent's request.
//!
//! The same function previews on the phone and decides on the server. The rules here are the
//! structural ones (known child, known activity, a day it runs, inside the planning's school
//! year); deadlines, capacity and closures come with the catalogue's rules.

use crate::catalogue::Catalogue;
use crate::dossier::Dossier;
use crate::planning::{BookingRequest, CellKey, Decision, Outcome};
use crate::school_year::SchoolYear;

/// What the server knows when deciding one request.
#[derive(Debug, Clone, Copy)]
pub struct DecisionContext<'a> {
    pub catalogue: &'a Catalogue,
    pub dossier: &'a Dossier,
    pub school_year: SchoolYear,
    /// Server time, milliseconds since the Unix epoch.
    pub now_ms: i64,
}

/// Decides one request. Pure: the same inputs give the same decision.
pub fn decide(ctx: &DecisionContext<'_>, key: &CellKey, request: &BookingRequest) -> Decision {
    let refuse = |reason: &str| Decision {
        rev: request.rev.clone(),
        outcome: Outcome::Refused,
        reason: Some(reason.to_string()),
        decided_at_ms: ctx.now_ms,
    };
    if !request.wanted {
        return Decision {
            rev: request.rev.clone(),
            outcome: Outcome::Cancelled,
            reason: None,
            decided_at_ms: ctx.now_ms,
        };
    }
    if !ctx.dossier.children.contains_key(&key.child_id) {
        return refuse("Enfant inconnu dans le dossier de la famille");
    }
    if !ctx.school_year.contains(key.date) {
        return refuse(&format!(
            "Cette date n'appartient pas à l'année scolaire {}",
            ctx.school_year
        ));
    }
    let Some(activity) = ctx.catalogue.activities.get(&key.activity_id) else {
        return refuse("Activité inconnue");
    };
    if !activity.runs_on(key.date) {
        return refuse(&format!("{} n'a pas lieu ce jour-là", activity.name));
    }
    Decision {
        rev: request.rev.clone(),
        outcome: Outcome::Accepted,
        reason: None,
        decided_at_ms: ctx.now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Activity;
    use crate::dossier::ChildSheet;
    use jiff::civil::date;

    fn fixture() -> (Catalogue, Dossier) {
        let mut c = Catalogue::default();
        c.activities.insert(
            "cantine".into(),
            Activity {
                name: "Restauration scolaire".into(),
                kind: "canteen".into(),
                weekdays: vec![1, 2, 4, 5],
            },
        );
        let mut d = Dossier::default();
        d.children.insert("c1".into(), ChildSheet::default());
        (c, d)
    }

    fn request(wanted: bool) -> BookingRequest {
        BookingRequest {
            wanted,
            rev: "r".into(),
            by: "a".into(),
            at_ms: 0,
        }
    }

    #[test]
    fn known_child_on_a_running_day_is_accepted_and_others_refused_with_reason() {
        let (c, d) = fixture();
        let ctx = DecisionContext {
            catalogue: &c,
            dossier: &d,
            school_year: SchoolYear(2026),
            now_ms: 5,
        };
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        assert_eq!(
            decide(&ctx, &monday, &request(true)).outcome,
            Outcome::Accepted
        );

        let wednesday = CellKey::new("c1", date(2026, 12, 2), "cantine");
        let d = decide(&ctx, &wednesday, &request(true));
        assert_eq!(d.outcome, Outcome::Refused);
        assert!(d.reason.unwrap_or_default().contains("n'a pas lieu"));

        let stranger = CellKey::new("c9", date(2026, 11, 30), "cantine");
        assert_eq!(
            decide(&ctx, &stranger, &request(true)).outcome,
            Outcome::Refused
        );

        let next_year = CellKey::new("c1", date(2027, 9, 6), "cantine");
        assert_eq!(
            decide(&ctx, &next_year, &request(true)).outcome,
            Outcome::Refused
        );

        assert_eq!(
            decide(&ctx, &monday, &request(false)).outcome,
            Outcome::Cancelled
        );
    }
}
