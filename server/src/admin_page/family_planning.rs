//! A family's planning on its page: for each week shown, each child's activities day by day
//! with the state the parents' phones show ([`cartable_domain::cells::cell_state`], the one
//! rule for a cell: booked, refused and why, waiting for the server, cancelled, closed) and
//! the absences the parents declared.

use super::format;
use crate::AppState;
use crate::docs::{catalogue, redecide};
use crate::error::{AppError, AppResult};
use cartable_domain::calendar::{add_days, format_date_fr};
use cartable_domain::catalogue::{Activity, Catalogue};
use cartable_domain::cells::{CellState, cell_state, week_days};
use cartable_domain::dossier::ChildSheet;
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::planning::{CellKey, Planning};
use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use sqlx::Row;
use std::collections::BTreeMap;

/// One week of the family's planning.
pub struct Week {
    /// "Semaine du lundi 7 décembre 2026".
    pub title: String,
    /// Column headers: ("lun. 7 déc.", "lundi 7 décembre 2026").
    pub days: Vec<(String, String)>,
    pub children: Vec<ChildWeek>,
}

pub struct ChildWeek {
    pub name: String,
    pub rows: Vec<ActivityRow>,
}

pub struct ActivityRow {
    pub activity: String,
    pub cells: Vec<Cell>,
}

/// A cell as staff read it.
pub struct Cell {
    /// "Réservé", "Refusé", "—" …
    pub label: &'static str,
    /// Why, when there is a reason (a refusal, a closure, a declared absence).
    pub reason: String,
    /// For the style sheet: `booked`, `refused`, `pending`, `cancelled`, `closed`, `none`.
    pub class: &'static str,
}

fn cell_of(state: CellState, absent: Option<&str>) -> Cell {
    let cell = |label, reason: String, class| Cell {
        label,
        reason,
        class,
    };
    match state {
        CellState::Accepted => match absent {
            Some(reason) => cell("Absent", format!("absence déclarée : {reason}"), "absent"),
            None => cell("Réservé", String::new(), "booked"),
        },
        CellState::KeptBillable { reason } => cell("Maintenu, facturé", reason, "booked"),
        CellState::Pending { wanted: true } => {
            cell("Demandé", "en attente du serveur".into(), "pending")
        }
        CellState::Pending { wanted: false } => cell(
            "Annulation demandée",
            "en attente du serveur".into(),
            "pending",
        ),
        CellState::Refused { reason } => cell("Refusé", reason, "refused"),
        CellState::Cancelled => cell("Annulé", String::new(), "cancelled"),
        CellState::CancelledByStructure { reason } => {
            cell("Annulé par la structure", reason, "refused")
        }
        CellState::Closed { reason } => cell("Fermé", reason, "closed"),
        CellState::Free | CellState::Locked { .. } | CellState::NotEligible { .. } => {
            cell("—", String::new(), "none")
        }
    }
}

/// The family's children as the planning needs them (id, name, sheet for eligibility).
async fn children(
    state: &AppState,
    family_id: &str,
) -> Result<Vec<(String, ChildSheet)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT child_id, first_name, last_name, birth_date, school, class FROM children \
         WHERE family_id = $1 ORDER BY first_name, child_id",
    )
    .bind(family_id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("child_id")?,
                ChildSheet {
                    first_name: r.try_get("first_name")?,
                    last_name: r.try_get("last_name")?,
                    birth_date: r.try_get("birth_date")?,
                    school: r.try_get("school")?,
                    class: r.try_get("class")?,
                    ..Default::default()
                },
            ))
        })
        .collect()
}

/// The family's planning of `year`, empty when the family has none for that year.
async fn planning(state: &AppState, family_id: &FamilyId, year: SchoolYear) -> AppResult<Planning> {
    match redecide::planning_of(state, family_id, year).await {
        Ok(doc_id) => state.docs.read(&doc_id).await,
        Err(AppError::Client { .. }) => Ok(Planning::default()),
        Err(e) => Err(e),
    }
}

/// True when `day` is a day the activity runs, within its season (first and last days).
fn open_on(activity: &Activity, day: Date) -> bool {
    let within = |bound: &str, after: bool| {
        bound
            .parse::<Date>()
            .ok()
            .is_none_or(|b| if after { day >= b } else { day <= b })
    };
    activity.runs_on(day) && within(&activity.first_day, true) && within(&activity.last_day, false)
}

/// Activities in the order of the day (start time, then name).
fn activities(catalogue: &Catalogue) -> Vec<(&String, &Activity)> {
    let mut all: Vec<(&String, &Activity)> = catalogue.activities.iter().collect();
    all.sort_by(|a, b| {
        (a.1.start_time.as_str(), a.1.name.as_str()).cmp(&(b.1.start_time.as_str(), &b.1.name))
    });
    all
}

/// `count` weeks from the week of `from`, for every child of the family.
pub async fn weeks(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &str,
    from: Date,
    count: usize,
) -> AppResult<Vec<Week>> {
    let catalogue = catalogue::read(state, structure_id).await?;
    let kids = children(state, family_id).await?;
    let fid = FamilyId::new(family_id);
    let now = state.clock.now();
    let mut plannings: BTreeMap<SchoolYear, Planning> = BTreeMap::new();
    let mut out = Vec::new();
    for n in 0..count {
        let monday =
            week_days(add_days(from, 7 * i64::try_from(n).unwrap_or(0)).unwrap_or(from))[0];
        let all = week_days(monday);
        let activities = activities(&catalogue);
        // Weekends only when an activity runs then.
        let days: Vec<Date> = all
            .iter()
            .enumerate()
            .filter(|(i, d)| *i < 5 || activities.iter().any(|(_, a)| open_on(a, **d)))
            .map(|(_, d)| *d)
            .collect();
        for d in &days {
            let year = SchoolYear::of(*d);
            if let std::collections::btree_map::Entry::Vacant(slot) = plannings.entry(year) {
                slot.insert(planning(state, &fid, year).await?);
            }
        }
        let mut children_weeks = Vec::new();
        for (child_id, sheet) in &kids {
            let mut rows = Vec::new();
            for (activity_id, activity) in &activities {
                if !days.iter().any(|d| open_on(activity, *d)) {
                    continue;
                }
                let cells = days
                    .iter()
                    .map(|day| {
                        if !open_on(activity, *day) {
                            return Cell {
                                label: "",
                                reason: String::new(),
                                class: "off",
                            };
                        }
                        let key = CellKey::new(child_id.as_str(), *day, activity_id.as_str());
                        let encoded = key.encode();
                        let p = plannings.get(&SchoolYear::of(*day));
                        let request = p.and_then(|p| p.requests.get(&encoded));
                        let decision = p.and_then(|p| p.decisions.get(&encoded));
                        let absent = p.and_then(|p| p.absences.get(&encoded)).map(|a| {
                            if a.reason.trim().is_empty() {
                                "sans motif"
                            } else {
                                a.reason.as_str()
                            }
                        });
                        let view =
                            cell_state(&catalogue, Some(sheet), &key, request, decision, now);
                        cell_of(view.state, absent)
                    })
                    .collect();
                rows.push(ActivityRow {
                    activity: activity.name.clone(),
                    cells,
                });
            }
            children_weeks.push(ChildWeek {
                name: format!("{} {}", sheet.first_name, sheet.last_name),
                rows,
            });
        }
        out.push(Week {
            title: format!("Semaine du {}", format_date_fr(monday)),
            days: days
                .iter()
                .map(|d| (short_day(*d), format::date(*d)))
                .collect(),
            children: children_weeks,
        });
    }
    Ok(out)
}

/// The cell of one child, day and activity as staff read it (`None` when the activity
/// does not run that day).
pub async fn cell(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &str,
    child_id: &str,
    day: Date,
    activity_id: &str,
) -> AppResult<Option<Cell>> {
    let catalogue = catalogue::read(state, structure_id).await?;
    let Some(activity) = catalogue.activities.get(activity_id) else {
        return Ok(None);
    };
    if !open_on(activity, day) {
        return Ok(None);
    }
    let kids = children(state, family_id).await?;
    let Some((_, sheet)) = kids.iter().find(|(id, _)| id == child_id) else {
        return Ok(None);
    };
    let p = planning(state, &FamilyId::new(family_id), SchoolYear::of(day)).await?;
    let key = CellKey::new(child_id, day, activity_id);
    let encoded = key.encode();
    let absent = p.absences.get(&encoded).map(|a| {
        if a.reason.trim().is_empty() {
            "sans motif"
        } else {
            a.reason.as_str()
        }
    });
    let view = cell_state(
        &catalogue,
        Some(sheet),
        &key,
        p.requests.get(&encoded),
        p.decisions.get(&encoded),
        state.clock.now(),
    );
    Ok(Some(cell_of(view.state, absent)))
}

/// "lun. 7 déc." for a column header.
fn short_day(d: Date) -> String {
    const DAYS: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
    const MONTHS: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    let weekday =
        usize::from(cartable_domain::catalogue::iso_weekday(d.weekday())).saturating_sub(1);
    let month = usize::try_from(d.month()).unwrap_or(1).saturating_sub(1);
    format!(
        "{} {} {}",
        DAYS.get(weekday).unwrap_or(&""),
        d.day(),
        MONTHS.get(month).unwrap_or(&"")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_headers_are_short_french_days() {
        let d: Date = "2026-12-07".parse().expect("date");
        assert_eq!(short_day(d), "lun. 7 déc.");
        let d: Date = "2027-02-27".parse().expect("date");
        assert_eq!(short_day(d), "sam. 27 févr.");
    }
}
