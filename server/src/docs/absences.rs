//! Absences declared by parents in the planning: the server decides, with its own clock,
//! whether each absent day is billed, and writes the outcome into the same document.

use super::planning::{DecisionInputs, PlanningRef};
use super::touched_keys;
use crate::db::projections;
use crate::error::AppError;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Patch, ROOT, ReadDoc};
use autosurgeon::reconcile_prop;
use cartable_domain::absences::{AbsenceDecision, decide_absence};
use cartable_domain::calendar::closure_on;
use cartable_domain::planning::{AbsenceOutcome, CellKey, Planning};
use cartable_domain::rules::takes_place;
use sqlx::AnyConnection;

/// Absence keys that `patches` touched; every declared absence when the map was replaced.
pub fn touched_absences(planning: &Planning, patches: &[Patch]) -> Vec<String> {
    match touched_keys(patches, "absences") {
        Some(keys) => keys.into_iter().collect(),
        None => planning.absences.keys().cloned().collect(),
    }
}

/// Decides the touched absences whose current declaration has no outcome yet and projects
/// them. Returns how many outcomes were written.
pub async fn decide_and_project(
    conn: &mut AnyConnection,
    at: PlanningRef<'_>,
    doc: &mut AutoCommit,
    planning: &Planning,
    keys: &[String],
    inputs: &DecisionInputs,
) -> Result<usize, AppError> {
    // Plannings created before absences existed lack the server's map: only the server
    // creates it.
    let outcomes = match doc.get(ROOT, "absence_decisions")? {
        Some((_, id)) => id,
        None => doc.put_object(ROOT, "absence_decisions", automerge::ObjType::Map)?,
    };
    let mut written = 0;
    for key in keys {
        let Ok(cell) = CellKey::decode(key) else {
            continue;
        };
        let Some(declaration) = planning.absences.get(key) else {
            continue;
        };
        let existing = planning.absence_decisions.get(key);
        let first_declared_at_ms = existing
            .map(|o| o.first_declared_at_ms.unwrap_or(o.decided_at_ms))
            .unwrap_or_else(|| inputs.now.as_millisecond());
        let declared_at =
            jiff::Timestamp::from_millisecond(first_declared_at_ms).unwrap_or(inputs.now);
        let outcome = match existing {
            Some(o) if o.rev == declaration.rev => o.clone(),
            _ => {
                let booked = planning
                    .decisions
                    .get(key)
                    .is_some_and(|d| takes_place(d.outcome));
                let decision = if booked {
                    let rule = inputs
                        .catalogue
                        .activities
                        .get(&cell.activity_id)
                        .map(|a| a.absence.clone())
                        .unwrap_or_default();
                    let nth = planning.nth_day_of_absence(&cell, |day| {
                        closure_on(&inputs.catalogue, &cell.activity_id, day).is_none()
                    });
                    // Amending a declaration (e.g. to join a medical note) keeps the time
                    // the first one arrived; a joined document counts as the note.
                    let note_at = declaration.document_id.as_ref().map(|_| inputs.now);
                    decide_absence(&rule, cell.date, declared_at, note_at, nth)
                } else {
                    AbsenceDecision {
                        billed: false,
                        reason_fr: "Aucune réservation ce jour-là : rien à facturer".into(),
                        note_deadline: None,
                    }
                };
                let outcome = AbsenceOutcome {
                    first_declared_at_ms: Some(first_declared_at_ms),
                    ..AbsenceOutcome::from_decision(&declaration.rev, &decision, inputs.now)
                };
                reconcile_prop(doc, &outcomes, key.as_str(), &outcome)
                    .map_err(|e| AppError::internal(format!("écriture d'absence : {e}")))?;
                written += 1;
                outcome
            }
        };
        projections::upsert_absence(
            conn,
            at.doc_id,
            at.family_id,
            &cell,
            declaration,
            first_declared_at_ms,
            Some(&outcome),
        )
        .await?;
    }
    Ok(written)
}
