//! The planning ("Mon planning"): booking requests and the server's decisions.
//!
//! Parents write requests only: `requests/<child|date|activity>` = `BookingRequest` with a
//! fresh random `rev`; the server answers in `decisions/<same key>` naming that `rev`. Each
//! request is one value (`cartable_domain::cell_values`), so if two parents change one cell at
//! once, one whole request wins (never a mix of both).

use crate::client::Inner;
use crate::docs::root_map;
use crate::error::{Error, Result};
use crate::foreseen::Foresight;
use cartable_domain::DocKind;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::{DocumentId, is_valid_id};
use cartable_domain::planning::{BookingRequest, CellKey, Planning, RequestState};
use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use serde::Serialize;

/// One request of the planning, as a parent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningEntry {
    pub child_id: String,
    /// First name from the dossier (the id when the child is not in it).
    pub child_name: String,
    pub date: Date,
    pub activity_id: String,
    /// Name from the catalogue (the id when the catalogue is not downloaded).
    pub activity_name: String,
    /// True for a booking, false for a withdrawal.
    pub wanted: bool,
    /// Pending until the server decided this very version of the request.
    #[serde(flatten)]
    pub state: RequestState,
}

/// Reads a document of `kind` as `T` (default when absent or not downloaded).
pub(crate) fn hydrate_doc<T: autosurgeon::Hydrate + Default>(
    inner: &mut Inner,
    id: Option<DocumentId>,
) -> Result<T> {
    let Some(id) = id else {
        return Ok(T::default());
    };
    let Inner { store, docs, .. } = inner;
    let content = docs.content(store, &id)?;
    Ok(autosurgeon::hydrate(&content.doc)?)
}

pub(crate) fn planning_id(inner: &Inner, year: SchoolYear) -> Option<DocumentId> {
    inner.docs.find(DocKind::Planning, Some(&year.to_string()))
}

pub(crate) fn catalogue(inner: &mut Inner) -> Result<Catalogue> {
    inner.session()?;
    let id = inner.docs.find(DocKind::Catalogue, None);
    hydrate_doc(inner, id)
}

pub(crate) fn dossier(inner: &mut Inner) -> Result<Dossier> {
    let id = inner.docs.find(DocKind::Dossier, None);
    hydrate_doc(inner, id)
}

/// The requests of `year`, sorted by date, child name and activity.
pub(crate) fn entries(inner: &mut Inner, year: SchoolYear) -> Result<Vec<PlanningEntry>> {
    inner.session()?;
    let id = planning_id(inner, year);
    let planning: Planning = hydrate_doc(inner, id)?;
    let dossier = dossier(inner)?;
    let catalogue = catalogue(inner)?;
    let mut out: Vec<PlanningEntry> = planning
        .requests
        .iter()
        .filter_map(|(key, request)| {
            let Ok(cell) = CellKey::decode(key) else {
                tracing::warn!(key, "case de planning illisible ignorée");
                return None;
            };
            let child_name = dossier
                .children
                .get(cell.child_id.as_str())
                .map(|c| c.first_name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| cell.child_id.to_string());
            let activity_name = catalogue
                .activities
                .get(cell.activity_id.as_str())
                .map(|a| a.name.clone())
                .unwrap_or_else(|| cell.activity_id.to_string());
            Some(PlanningEntry {
                state: RequestState::of(request, planning.decisions.get(key)),
                child_name,
                activity_name,
                wanted: request.wanted,
                child_id: cell.child_id.into_string(),
                date: cell.date,
                activity_id: cell.activity_id.into_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.date, &a.child_name, &a.activity_name).cmp(&(b.date, &b.child_name, &b.activity_name))
    });
    Ok(out)
}

/// What a parent asks for one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// A booking, refused on the device when the server is certain to refuse it
    /// ([`crate::foreseen`]), judged at `server_now_ms`.
    Book { server_now_ms: i64 },
    /// A booking written whatever the device foresees: a request for staff to decide.
    BookInsisting,
    /// A withdrawal (never refused on the device: the server always takes it).
    Withdraw,
}

impl Ask {
    fn wanted(self) -> bool {
        !matches!(self, Ask::Withdraw)
    }
}

/// Writes a booking or a withdrawal for one cell, after checking the child, the activity and
/// the day against what this device knows. `now_ms` (device clock) stamps the request.
pub(crate) fn write_request(
    inner: &mut Inner,
    child_id: &str,
    date: Date,
    activity_id: &str,
    ask: Ask,
    now_ms: i64,
) -> Result<()> {
    let wanted = ask.wanted();
    let account_id = inner.session()?.account.account_id.clone();
    if !is_valid_id(child_id) {
        return Err(Error::invalid(format!("enfant inconnu « {child_id} »")));
    }
    if !is_valid_id(activity_id) {
        return Err(Error::invalid(format!(
            "activité inconnue « {activity_id} »"
        )));
    }
    let year = SchoolYear::of(date);
    let what = format!("le planning {year}");
    let Some(doc_id) = planning_id(inner, year) else {
        return Err(if inner.docs.find(DocKind::Planning, None).is_none() {
            Error::NotDownloaded(what)
        } else {
            Error::invalid(format!(
                "pas de planning pour l'année scolaire {year} : impossible de réserver le {}",
                fr_date(date)
            ))
        });
    };

    let dossier = dossier(inner)?;
    if dossier.children.is_empty() && dossier.adults.is_empty() {
        return Err(Error::NotDownloaded("le dossier".into()));
    }
    if !dossier.children.contains_key(child_id) {
        return Err(Error::invalid(format!(
            "enfant inconnu dans le dossier : « {child_id} »"
        )));
    }
    let catalogue = catalogue(inner)?;
    if !catalogue.activities.is_empty() && !catalogue.activities.contains_key(activity_id) {
        return Err(Error::invalid(format!(
            "activité inconnue : « {activity_id} »"
        )));
    }

    let cell = CellKey::new(child_id, date, activity_id);
    let key = cell.encode();
    let planning: Planning = hydrate_doc(inner, Some(doc_id.clone()))?;
    match (planning.requests.get(&key), planning.state_of(&key)) {
        // Same wish already standing: nothing to write (a new rev would ask the server again).
        (Some(r), Some(state)) if r.wanted == wanted && !is_refused(&state) => return Ok(()),
        (None, _) if !wanted => {
            return Err(Error::invalid(format!(
                "aucune réservation à annuler le {} pour cette activité",
                fr_date(date)
            )));
        }
        _ => {}
    }
    match ask {
        Ask::Book { server_now_ms } => Foresight::new(&catalogue, &dossier, server_now_ms)?
            .check(&cell, planning.decisions.get(&key))?,
        Ask::BookInsisting => {
            if let Some(activity) = catalogue.activities.get(activity_id)
                && !activity.runs_on(date)
            {
                return Err(Error::invalid(format!(
                    "{} n'a pas lieu le {}",
                    activity.name,
                    fr_date(date)
                )));
            }
        }
        Ask::Withdraw => {}
    }

    let request = BookingRequest {
        wanted,
        rev: cartable_domain::ids::hex_id(rand::random()),
        by: account_id,
        at_ms: now_ms,
    };
    let Inner { store, docs, .. } = inner;
    docs.edit(store, &doc_id, &what, |doc| {
        let requests =
            root_map(doc, "requests")?.ok_or_else(|| Error::NotDownloaded(what.clone()))?;
        crate::bulk::put_whole(
            doc,
            &requests,
            key.as_str(),
            &request,
            crate::bulk::Shape::Scalar,
        )
    })
}

/// "mercredi 2 décembre 2026", as dates are written in French sentences.
pub(crate) fn fr_date(date: Date) -> String {
    cartable_domain::calendar::format_date_fr(date)
}

/// True when the request stands no more: refused, or cancelled by the structure (a closure):
/// asking again writes a new request.
fn is_refused(state: &RequestState) -> bool {
    matches!(
        state,
        RequestState::Refused { .. } | RequestState::CancelledByStructure { .. }
    )
}
