//! "Mon Planning" as the app draws it: a grid of days × (child × activity), every cell with
//! its state, deadlines, what a tap may do and a short French label.
//!
//! Computed offline from the documents on the device (catalogue, dossier, plannings) with the
//! domain's [`cell_state`], the very rules the server decides with, at the device's honest idea
//! of the server's time (device clock + offset measured at the last sync): a phone whose clock
//! is wrong still shows the right cells as locked.
//!
//! Each cell is read straight from the planning document by its key (no full hydration), so a
//! week costs a few dozen map lookups whatever the size of the school year.

use crate::client::Inner;
use crate::docs::root_map;
use crate::error::{Error, Result};
use crate::planning::{catalogue, dossier, planning_id};
use automerge::{AutoCommit, ObjId, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::calendar::{add_days, paris_datetime};
use cartable_domain::catalogue::{Activity, Catalogue};
use cartable_domain::cells::{CellState, CellView, cell_state};
use cartable_domain::deadlines;
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::{
    AbsenceDeclaration, AbsenceOutcome, BookingRequest, CellKey, Decision, RequestState,
};
use cartable_domain::school_year::SchoolYear;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

/// The longest range a view, a bulk booking or an absence may cover, in days (inclusive).
pub const MAX_RANGE_DAYS: i32 = 366;

/// A child × activity column of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningColumn {
    pub child_id: String,
    /// First name from the dossier.
    pub child_name: String,
    pub activity_id: String,
    /// Name from the catalogue.
    pub activity_name: String,
    /// ISO weekdays the activity runs on (1 = Monday).
    pub weekdays: Vec<u8>,
}

/// An absence declared for a cell, with the server's outcome once decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellAbsence {
    /// What the parent wrote, e.g. "malade".
    pub reason: String,
    pub document_id: Option<String>,
    /// Device clock when declared (informative).
    pub declared_at_ms: i64,
    /// The server's outcome for this very declaration; `None` until the next sync.
    pub outcome: Option<AbsenceOutcome>,
}

/// One cell: a child, a day, an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningCell {
    pub child_id: String,
    pub child_name: String,
    pub date: Date,
    pub activity_id: String,
    pub activity_name: String,
    /// State and deadlines, as the domain computes them.
    #[serde(flatten)]
    pub view: CellView,
    /// A tap books: nothing is held and the rules allow a booking now.
    pub can_book: bool,
    /// A tap withdraws: the cell holds (or asks for) a booking.
    pub can_cancel: bool,
    /// A withdrawal now would come after the cancellation deadline: kept and billed.
    pub cancel_billed: bool,
    pub absence: Option<CellAbsence>,
    /// Short French label: "✓ réservé", "en attente", "refusé", "verrouillé (depuis le …)",
    /// "fermé", "—" (free) …
    pub label: String,
}

impl PlanningCell {
    /// The cell's state.
    pub fn state(&self) -> &CellState {
        &self.view.state
    }

    /// The cell's key in the planning document.
    pub fn key(&self) -> CellKey {
        CellKey::new(self.child_id.as_str(), self.date, self.activity_id.as_str())
    }
}

/// One day: one cell per column, in column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningRow {
    pub date: Date,
    pub cells: Vec<PlanningCell>,
}

impl PlanningRow {
    /// True when no activity of the row runs on this weekday (weekends, usually).
    pub fn is_idle(&self, columns: &[PlanningColumn]) -> bool {
        let iso = weekday_number(self.date);
        columns.iter().all(|c| !c.weekdays.contains(&iso))
    }
}

/// A screen of "Mon Planning": rows are days, columns are child × activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningView {
    pub from: Date,
    pub to: Date,
    /// The server time the states were computed at (device clock + last measured offset).
    pub server_now: Timestamp,
    /// Server clock minus device clock, from the last sync.
    pub clock_offset_ms: i64,
    /// Children in first-name order, each with every activity of the catalogue (morning,
    /// canteen, evening, Wednesday, holidays).
    pub columns: Vec<PlanningColumn>,
    /// Every day from `from` to `to`, each with one cell per column (activities that never run
    /// that weekday show `Closed`, so rows align).
    pub rows: Vec<PlanningRow>,
}

impl PlanningView {
    /// The rows, one per day.
    pub fn rows(&self) -> &[PlanningRow] {
        &self.rows
    }

    /// Every cell, day by day, in column order.
    pub fn cells(&self) -> impl Iterator<Item = &PlanningCell> {
        self.rows.iter().flat_map(|r| r.cells.iter())
    }

    /// The cell of `child_id` on `date` for `activity_id`, if the view has it.
    pub fn cell(&self, child_id: &str, date: Date, activity_id: &str) -> Option<&PlanningCell> {
        let col = self
            .columns
            .iter()
            .position(|c| c.child_id == child_id && c.activity_id == activity_id)?;
        self.rows
            .iter()
            .find(|r| r.date == date)
            .and_then(|r| r.cells.get(col))
    }

    /// The same view restricted to the columns `keep` accepts.
    pub fn retain_columns(&self, keep: impl Fn(&PlanningColumn) -> bool) -> PlanningView {
        let kept: Vec<usize> = (0..self.columns.len())
            .filter(|i| self.columns.get(*i).is_some_and(&keep))
            .collect();
        PlanningView {
            columns: kept
                .iter()
                .filter_map(|i| self.columns.get(*i).cloned())
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|r| PlanningRow {
                    date: r.date,
                    cells: kept
                        .iter()
                        .filter_map(|i| r.cells.get(*i).cloned())
                        .collect(),
                })
                .collect(),
            ..self.clone()
        }
    }

    /// One child's planning (the "Mon Planning" table of a child: days × activities).
    pub fn for_child(&self, child_id: &str) -> PlanningView {
        self.retain_columns(|c| c.child_id == child_id)
    }

    /// The view without the days no activity runs on (weekends) and without the activities
    /// that run on none of the days shown (e.g. the Wednesday centre in a Monday-only range).
    /// For compact screens and the command line.
    pub fn without_idle(&self) -> PlanningView {
        let weekdays: Vec<u8> = self.rows.iter().map(|r| weekday_number(r.date)).collect();
        let mut out = self.retain_columns(|c| weekdays.iter().any(|d| c.weekdays.contains(d)));
        let columns = out.columns.clone();
        out.rows.retain(|r| !r.is_idle(&columns));
        out
    }
}

fn weekday_number(date: Date) -> u8 {
    cartable_domain::catalogue::iso_weekday(date.weekday())
}

/// Checks a date range: in order, and at most [`MAX_RANGE_DAYS`] days.
pub(crate) fn check_range(from: Date, to: Date) -> Result<()> {
    if from > to {
        return Err(Error::invalid(format!(
            "période invalide : le {} est après le {}",
            crate::planning::fr_date(from),
            crate::planning::fr_date(to)
        )));
    }
    let too_long = add_days(from, i64::from(MAX_RANGE_DAYS)).is_ok_and(|limit| to >= limit);
    if too_long {
        return Err(Error::invalid(format!(
            "période trop longue : au plus {MAX_RANGE_DAYS} jours (du {} au {})",
            crate::planning::fr_date(from),
            crate::planning::fr_date(to)
        )));
    }
    Ok(())
}

/// Every day from `from` to `to` inclusive (the range is checked first).
pub(crate) fn days(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        out.push(day);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// Lower-case, accents folded: "Éloïse" sorts with the E's.
pub(crate) fn sort_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            other => other,
        })
        .collect()
}

/// The dossier's children in first-name order: (id, first name, sheet).
pub(crate) fn children_in_order(dossier: &Dossier) -> Vec<(&String, &ChildSheet)> {
    let mut out: Vec<(&String, &ChildSheet)> = dossier.children.iter().collect();
    out.sort_by_cached_key(|(id, c)| (sort_key(&c.first_name), (*id).clone()));
    out
}

/// The catalogue's activities in the order of a day: morning, canteen, evening, Wednesday
/// centre, holiday centre, then anything else; then by start time and name.
pub(crate) fn activities_in_order(catalogue: &Catalogue) -> Vec<(&String, &Activity)> {
    let rank = |kind: &str| match kind {
        "morning_childcare" => 0,
        "canteen" => 1,
        "evening_childcare" => 2,
        "wednesday_centre" => 3,
        "holiday_centre" => 4,
        _ => 5,
    };
    let mut out: Vec<(&String, &Activity)> = catalogue.activities.iter().collect();
    out.sort_by_cached_key(|(id, a)| {
        (
            rank(&a.kind),
            a.start_time.clone(),
            sort_key(&a.name),
            (*id).clone(),
        )
    });
    out
}

/// The display name of a child: first name, or the id when the sheet has none.
pub(crate) fn child_name(id: &str, sheet: Option<&ChildSheet>) -> String {
    sheet
        .map(|c| c.first_name.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_string())
}

/// True when the catalogue document has been received (it has content).
pub(crate) fn catalogue_downloaded(inner: &mut Inner) -> Result<bool> {
    let Some(id) = inner.docs.find(DocKind::Catalogue, None) else {
        return Ok(false);
    };
    let Inner { store, docs, .. } = inner;
    Ok(!docs.content(store, &id)?.doc.get_heads().is_empty())
}

/// Reads cells of one planning document by key, without hydrating the whole document.
/// Unreadable values (which an honest device never writes) read as absent, with a warning.
pub(crate) struct CellReader<'a> {
    doc: &'a AutoCommit,
    requests: Option<ObjId>,
    decisions: Option<ObjId>,
    absences: Option<ObjId>,
    absence_decisions: Option<ObjId>,
}

impl<'a> CellReader<'a> {
    pub fn new(doc: &'a AutoCommit) -> Result<Self> {
        Ok(Self {
            doc,
            requests: root_map(doc, "requests")?,
            decisions: root_map(doc, "decisions")?,
            absences: root_map(doc, "absences")?,
            absence_decisions: root_map(doc, "absence_decisions")?,
        })
    }

    fn read<T: autosurgeon::Hydrate>(&self, map: Option<&ObjId>, key: &str) -> Option<T> {
        let map = map?;
        match self.doc.get(map, key) {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(key, error = %e, "case de planning illisible ignorée");
                return None;
            }
        }
        match autosurgeon::hydrate_prop::<_, T, _, _>(self.doc, map, key) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(key, error = %e, "case de planning illisible ignorée");
                None
            }
        }
    }

    pub fn request(&self, key: &str) -> Option<BookingRequest> {
        self.read(self.requests.as_ref(), key)
    }

    pub fn decision(&self, key: &str) -> Option<Decision> {
        self.read(self.decisions.as_ref(), key)
    }

    pub fn absence(&self, key: &str) -> Option<AbsenceDeclaration> {
        self.read(self.absences.as_ref(), key)
    }

    pub fn absence_outcome(&self, key: &str) -> Option<AbsenceOutcome> {
        self.read(self.absence_decisions.as_ref(), key)
    }

    /// Keys of the requests map (every cell a parent ever asked for).
    pub fn request_keys(&self) -> Vec<String> {
        self.requests
            .as_ref()
            .map(|r| self.doc.keys(r).collect())
            .unwrap_or_default()
    }

    pub fn has_absences_map(&self) -> bool {
        self.absences.is_some()
    }
}

/// True when the request, as decided so far, holds (or asks for) a place: a booking pending
/// or accepted, or a late withdrawal kept and billed.
pub(crate) fn holds_booking(request: &BookingRequest, decision: Option<&Decision>) -> bool {
    match RequestState::of(request, decision) {
        RequestState::Pending | RequestState::Accepted => request.wanted,
        RequestState::KeptBillable { .. } => true,
        RequestState::Refused { .. }
        | RequestState::Cancelled
        | RequestState::CancelledByStructure { .. } => false,
    }
}

/// "30/11 15:00", Paris time.
fn short_instant(ts: Timestamp) -> String {
    let dt = paris_datetime(ts);
    format!(
        "{:02}/{:02} {:02}:{:02}",
        dt.day(),
        dt.month(),
        dt.hour(),
        dt.minute()
    )
}

/// The short French label of a cell.
pub fn short_label(view: &CellView, absence: Option<&CellAbsence>) -> String {
    if let Some(a) = absence {
        return match &a.outcome {
            None => "absent (en attente)".into(),
            Some(o) if o.billed => "absent (facturé)".into(),
            Some(_) => "absent (non facturé)".into(),
        };
    }
    match &view.state {
        CellState::Free => "—".into(),
        CellState::Pending { wanted: true } => "en attente".into(),
        CellState::Pending { wanted: false } => "annulation en attente".into(),
        CellState::Accepted => "✓ réservé".into(),
        CellState::Refused { .. } => "refusé".into(),
        CellState::Cancelled => "annulé".into(),
        CellState::CancelledByStructure { .. } => "annulé par la structure".into(),
        CellState::KeptBillable { .. } => "✓ maintenu (facturé)".into(),
        CellState::Locked {
            opens: Some(opens), ..
        } => format!("verrouillé (jusqu'au {})", short_instant(*opens)),
        CellState::Locked {
            deadline: Some(deadline),
            ..
        } => format!("verrouillé (depuis le {})", short_instant(*deadline)),
        CellState::Locked { .. } => "verrouillé".into(),
        CellState::Closed { .. } => "fermé".into(),
        CellState::NotEligible { .. } => "non éligible".into(),
    }
}

/// Everything one cell needs besides the planning document.
struct CellContext<'a> {
    catalogue: &'a Catalogue,
    now: Timestamp,
}

impl CellContext<'_> {
    fn cell(
        &self,
        column: &PlanningColumn,
        sheet: Option<&ChildSheet>,
        date: Date,
        reader: Option<&CellReader<'_>>,
    ) -> PlanningCell {
        let key = CellKey::new(column.child_id.as_str(), date, column.activity_id.as_str());
        let encoded = key.encode();
        let request = reader.and_then(|r| r.request(&encoded));
        let decision = reader.and_then(|r| r.decision(&encoded));
        let view = cell_state(
            self.catalogue,
            sheet,
            &key,
            request.as_ref(),
            decision.as_ref(),
            self.now,
        );
        let held = request
            .as_ref()
            .is_some_and(|r| holds_booking(r, decision.as_ref()));
        let can_book = !held
            && match &view.state {
                CellState::Free => true,
                CellState::Refused { .. }
                | CellState::Cancelled
                | CellState::CancelledByStructure { .. }
                | CellState::Pending { wanted: false } => {
                    cell_state(self.catalogue, sheet, &key, None, None, self.now).state
                        == CellState::Free
                }
                _ => false,
            };
        let can_cancel = matches!(
            view.state,
            CellState::Accepted | CellState::Pending { wanted: true }
        );
        let cancel_billed = can_cancel
            && self
                .catalogue
                .activities
                .get(&column.activity_id)
                .is_some_and(|a| deadlines::check(&a.cancel_rules, a, date, self.now).is_err());
        let absence = reader.and_then(|r| {
            let declared = r.absence(&encoded)?;
            let outcome = r
                .absence_outcome(&encoded)
                .filter(|o| o.rev == declared.rev);
            Some(CellAbsence {
                reason: declared.reason,
                document_id: declared.document_id,
                declared_at_ms: declared.at_ms,
                outcome,
            })
        });
        let label = short_label(&view, absence.as_ref());
        PlanningCell {
            child_id: column.child_id.clone(),
            child_name: column.child_name.clone(),
            date,
            activity_id: column.activity_id.clone(),
            activity_name: column.activity_name.clone(),
            view,
            can_book,
            can_cancel,
            cancel_billed,
            absence,
            label,
        }
    }
}

/// Builds the view of `from..=to` for `children` (ids; `None`: every child) at `now_ms`
/// (server time as estimated by the device).
pub(crate) fn build(
    inner: &mut Inner,
    children: Option<&[String]>,
    from: Date,
    to: Date,
    now_ms: i64,
    clock_offset_ms: i64,
) -> Result<PlanningView> {
    inner.session()?;
    check_range(from, to)?;
    let now = Timestamp::from_millisecond(now_ms)
        .map_err(|e| Error::invalid(format!("horloge de l'appareil hors limites : {e}")))?;
    if !catalogue_downloaded(inner)? {
        return Err(Error::NotDownloaded("le catalogue".into()));
    }
    let catalogue = catalogue(inner)?;
    let dossier = dossier(inner)?;
    if let Some(wanted) = children {
        for id in wanted {
            if !dossier.children.contains_key(id) {
                return Err(Error::invalid(format!(
                    "enfant inconnu dans le dossier : « {id} »"
                )));
            }
        }
    }
    let kids: Vec<(&String, &ChildSheet)> = children_in_order(&dossier)
        .into_iter()
        .filter(|(id, _)| children.is_none_or(|w| w.contains(id)))
        .collect();
    let activities = activities_in_order(&catalogue);
    let mut columns = Vec::with_capacity(kids.len() * activities.len());
    let mut sheets = Vec::with_capacity(columns.capacity());
    for (child_id, sheet) in &kids {
        for (activity_id, activity) in &activities {
            columns.push(PlanningColumn {
                child_id: (*child_id).clone(),
                child_name: child_name(child_id, Some(sheet)),
                activity_id: (*activity_id).clone(),
                activity_name: activity.name.clone(),
                weekdays: activity.weekdays.clone(),
            });
            sheets.push(*sheet);
        }
    }
    let ctx = CellContext {
        catalogue: &catalogue,
        now,
    };

    let all_days = days(from, to);
    let mut rows = Vec::with_capacity(all_days.len());
    // Days of one school year are contiguous: read each planning document once.
    let mut start = 0;
    while let Some(first) = all_days.get(start) {
        let year = SchoolYear::of(*first);
        let end = all_days
            .iter()
            .position(|d| SchoolYear::of(*d) != year)
            .unwrap_or(all_days.len());
        let year_days = all_days.get(start..end).unwrap_or_default();
        let doc_id = planning_id(inner, year);
        let Inner { store, docs, .. } = &mut *inner;
        let content = match &doc_id {
            Some(id) => Some(docs.content(store, id)?),
            None => None,
        };
        let reader = match &content {
            Some(c) => Some(CellReader::new(&c.doc)?),
            None => None,
        };
        for date in year_days {
            let cells = columns
                .iter()
                .zip(&sheets)
                .map(|(column, sheet)| ctx.cell(column, Some(sheet), *date, reader.as_ref()))
                .collect();
            rows.push(PlanningRow { date: *date, cells });
        }
        start = end;
    }
    Ok(PlanningView {
        from,
        to,
        server_now: now,
        clock_offset_ms,
        columns,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn ranges_are_checked_and_days_listed() {
        assert!(check_range(date(2026, 12, 2), date(2026, 12, 1)).is_err());
        assert!(check_range(date(2026, 9, 1), date(2027, 8, 31)).is_ok());
        assert!(
            check_range(date(2026, 9, 1), date(2027, 9, 1)).is_ok(),
            "366 days"
        );
        let err = check_range(date(2026, 9, 1), date(2027, 9, 2)).expect_err("367 days");
        assert!(err.to_string().contains("au plus 366 jours"), "{err}");
        assert_eq!(days(date(2026, 12, 30), date(2027, 1, 2)).len(), 4);
        assert_eq!(days(date(2026, 12, 30), date(2026, 12, 30)).len(), 1);
    }

    #[test]
    fn names_sort_with_accents_folded() {
        let mut names = vec!["Zoé", "Éloïse", "emma", "Hugo"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, ["Éloïse", "emma", "Hugo", "Zoé"]);
    }

    #[test]
    fn labels_are_short_and_french() {
        let deadline =
            cartable_domain::calendar::parse_local_instant("2026-11-30T15:00").expect("instant");
        let view = |state| CellView {
            state,
            booking_deadline: None,
            cancel_deadline: None,
        };
        assert_eq!(short_label(&view(CellState::Accepted), None), "✓ réservé");
        assert_eq!(short_label(&view(CellState::Free), None), "—");
        assert_eq!(
            short_label(
                &view(CellState::Locked {
                    reason: "x".into(),
                    deadline: Some(deadline),
                    opens: None
                }),
                None
            ),
            "verrouillé (depuis le 30/11 15:00)"
        );
        assert_eq!(
            short_label(
                &view(CellState::Locked {
                    reason: "x".into(),
                    deadline: None,
                    opens: Some(deadline)
                }),
                None
            ),
            "verrouillé (jusqu'au 30/11 15:00)"
        );
        let absence = CellAbsence {
            reason: "malade".into(),
            document_id: None,
            declared_at_ms: 0,
            outcome: None,
        };
        assert_eq!(
            short_label(&view(CellState::Accepted), Some(&absence)),
            "absent (en attente)"
        );
    }
}
