//! Absences declared by parents in the planning: whether each absent day is billed, decided
//! with the server's clock and written into the same document.

use crate::cells::root_map;
use crate::effects::AbsenceRow;
use crate::error::CoreError;
use crate::inputs::DecisionInputs;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use autosurgeon::reconcile_prop;
use cartable_domain::absences::{AbsenceDecision, decide_absence};
use cartable_domain::calendar::closure_on;
use cartable_domain::planning::{AbsenceOutcome, CellKey, Planning};

/// Decides the absences at `keys` whose current declaration has no outcome yet and returns
/// the projection rows of every one of them.
pub fn decide(
    doc: &mut AutoCommit,
    keys: &[String],
    inputs: &DecisionInputs,
) -> Result<Vec<AbsenceRow>, CoreError> {
    let planning: Planning =
        autosurgeon::hydrate(&*doc).map_err(|e| CoreError::Unreadable(e.to_string()))?;
    // Plannings created before absences existed lack the server's map: only the server
    // creates it.
    let outcomes = match root_map(doc, "absence_decisions") {
        Some(id) => id,
        None => doc.put_object(ROOT, "absence_decisions", automerge::ObjType::Map)?,
    };
    let mut rows = Vec::new();
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
        let outcome = match existing {
            Some(o) if o.rev == declaration.rev => o.clone(),
            _ => {
                let declared_at =
                    jiff::Timestamp::from_millisecond(first_declared_at_ms).unwrap_or(inputs.now);
                let decision = absence_decision(&planning, &cell, declaration, declared_at, inputs);
                let outcome = AbsenceOutcome {
                    first_declared_at_ms: Some(first_declared_at_ms),
                    ..AbsenceOutcome::from_decision(&declaration.rev, &decision, inputs.now)
                };
                reconcile_prop(doc, &outcomes, key.as_str(), &outcome)
                    .map_err(|e| CoreError::Write(e.to_string()))?;
                outcome
            }
        };
        rows.push(AbsenceRow {
            key: cell,
            declaration: declaration.clone(),
            declared_at_ms: first_declared_at_ms,
            outcome: Some(outcome),
        });
    }
    Ok(rows)
}

fn absence_decision(
    planning: &Planning,
    cell: &CellKey,
    declaration: &cartable_domain::planning::AbsenceDeclaration,
    declared_at: jiff::Timestamp,
    inputs: &DecisionInputs,
) -> AbsenceDecision {
    let booked = planning
        .decisions
        .get(&cell.encode())
        .is_some_and(|d| d.holds_place());
    if !booked {
        return AbsenceDecision {
            billed: false,
            reason_fr: "Aucune réservation ce jour-là : rien à facturer".into(),
            note_deadline: None,
        };
    }
    let activity = cell.activity_id.as_str();
    let rule = inputs
        .catalogue
        .activities
        .get(activity)
        .map(|a| a.absence.clone())
        .unwrap_or_default();
    let nth = planning.nth_day_of_absence(cell, |day| {
        closure_on(&inputs.catalogue, activity, day).is_none()
    });
    // Amending a declaration (e.g. to join a medical note) keeps the time the first one
    // arrived; a joined document counts as the note.
    let note_at = declaration.document_id.as_ref().map(|_| inputs.now);
    decide_absence(&rule, cell.date, declared_at, note_at, nth)
}
