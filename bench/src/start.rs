//! What the load generator's structures and families start with: the demo's booking rules
//! (deadlines, closures, capacity, eligibility) with places for the structure's families,
//! and a school year already booked, as a town's families have by the time the year runs.

use crate::client::bookable_cells;
use anyhow::anyhow;
use cartable_domain::calendar::paris_date;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::ids::{ChildId, FamilyId, StructureId};
use cartable_domain::planning::CellKey;
use cartable_domain::school_year::SchoolYear;
use cartable_server::AppState;

/// What seeded structures and families start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// The demo's rules, with places for the structure's children (see [`room_for`]).
    pub rules: bool,
    /// Every activity with room for all the structure's children booked for both children on
    /// every day it runs in the school year, as accepted (about 1,000 requests per family).
    pub booked_year: bool,
}

impl Start {
    /// An empty planning in a catalogue without rules.
    pub const EMPTY: Start = Start {
        rules: false,
        booked_year: false,
    };

    /// How a report names it.
    pub fn describe(self) -> &'static str {
        match (self.rules, self.booked_year) {
            (true, true) => "demo rules, a school year booked",
            (true, false) => "demo rules, empty plannings",
            (false, true) => "no rules, a school year booked",
            (false, false) => "no rules, empty plannings",
        }
    }
}

/// Places per activity for a structure of `families` families of two children: the canteen
/// takes every child (a town sizes it for its pupils), the Wednesday centre a quarter of
/// them, so that its days fill up and late families are refused.
pub fn room_for(catalogue: &mut Catalogue, families: usize) {
    let children = u32::try_from(families.saturating_mul(2)).unwrap_or(u32::MAX);
    for (id, activity) in catalogue.activities.iter_mut() {
        match id.as_str() {
            "cantine" => activity.capacity = Some(children.max(1)),
            "mercredi" => activity.capacity = Some((children / 4).max(1)),
            _ => {}
        }
    }
}

/// Gives `structure_id` the demo's rules with places for `families` families.
pub async fn apply_rules(
    state: &AppState,
    structure_id: &StructureId,
    families: usize,
) -> anyhow::Result<Catalogue> {
    cartable_server::docs::catalogue::update(state, structure_id, |c| {
        cartable_server::demo::demo_rules(c);
        room_for(c, families);
        Ok(())
    })
    .await
    .map_err(|e| anyhow!("rules of the structure: {e}"))
}

/// The cells a family of `children` books for the whole of `year`: each activity with room
/// for every child of the structure (`children_in_structure`), on every day it runs and the
/// structure is open.
pub fn year_cells(
    catalogue: &Catalogue,
    year: SchoolYear,
    children: &[ChildId],
    children_in_structure: u32,
) -> anyhow::Result<Vec<CellKey>> {
    let open = bookable_cells(catalogue, &year.to_string(), year.first_day())?;
    let room = |id: &str| {
        catalogue
            .activities
            .get(id)
            .is_some_and(|a| a.capacity.is_none_or(|c| c >= children_in_structure))
    };
    Ok(open
        .into_iter()
        .filter(|(_, id)| room(id))
        .flat_map(|(day, id)| {
            children
                .iter()
                .map(move |child| CellKey::new(child.clone(), day, id.clone()))
        })
        .collect())
}

/// Books this school year for a family, as accepted by the decision core (places counted);
/// returns the number of cells.
pub async fn book_year(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &FamilyId,
    catalogue: &Catalogue,
    children_in_structure: u32,
) -> anyhow::Result<usize> {
    let (children, account) =
        cartable_server::demo_billing::family_people(state, family_id.as_str())
            .await
            .map_err(|e| anyhow!("children of {family_id}: {e}"))?;
    let children: Vec<ChildId> = children
        .into_iter()
        .map(|(id, _)| ChildId::new(id))
        .collect();
    let year = SchoolYear::of(paris_date(state.clock.now()));
    let cells = year_cells(catalogue, year, &children, children_in_structure)?;
    cartable_server::demo_billing::book(state, structure_id, family_id, &account, &cells)
        .await
        .map_err(|e| anyhow!("booking the year of {family_id}: {e}"))?;
    Ok(cells.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::catalogue::{Activity, ActivityKind};

    fn catalogue() -> Catalogue {
        let mut c = Catalogue::default();
        for (id, kind, days) in [
            ("cantine", ActivityKind::Canteen, vec![1, 2, 4, 5]),
            ("mercredi", ActivityKind::WednesdayCentre, vec![3]),
        ] {
            c.activities
                .insert(id.into(), Activity::simple(id, kind, days));
        }
        c
    }

    #[test]
    fn the_canteen_takes_every_child_and_the_wednesday_centre_a_quarter() {
        let mut c = catalogue();
        room_for(&mut c, 1000);
        assert_eq!(c.activities["cantine"].capacity, Some(2000));
        assert_eq!(c.activities["mercredi"].capacity, Some(500));
        room_for(&mut c, 1);
        assert_eq!(c.activities["mercredi"].capacity, Some(1));
    }

    #[test]
    fn a_booked_year_skips_full_activities_public_holidays_and_other_weekdays() {
        let mut c = catalogue();
        room_for(&mut c, 10);
        let children = [ChildId::new("a"), ChildId::new("b")];
        let year: SchoolYear = "2026-2027".parse().expect("year");
        let cells = year_cells(&c, year, &children, 20).expect("cells");
        assert!(cells.iter().all(|k| k.activity_id.as_str() == "cantine"));
        assert!(
            cells
                .iter()
                .all(|k| k.date.weekday().to_monday_one_offset() != 3)
        );
        let on = |d| cells.iter().filter(|k| k.date == d).count();
        assert_eq!(on(jiff::civil::date(2026, 11, 11)), 0, "public holiday");
        assert_eq!(on(jiff::civil::date(2026, 11, 12)), 2, "both children");
        // 1 September 2026 to 31 August 2027 (no holidays in this catalogue): 52 weeks and a
        // Tuesday give 209 Mondays, Tuesdays, Thursdays and Fridays, less five public
        // holidays (25 December, 1 January, Easter Monday, Ascension, Whit Monday).
        assert_eq!(cells.len(), 2 * 204);
    }
}
