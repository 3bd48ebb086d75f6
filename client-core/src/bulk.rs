//! Many cells at once: booking or withdrawing a weekly pattern over a period ("la cantine les
//! lundis, mardis, jeudis et vendredis jusqu'aux vacances"), and declaring an absence over
//! several days.
//!
//! Each planning document gets ONE local edit (one Automerge change, one store transaction):
//! either every cell of the pattern is durably written or none is. Each cell is still a request
//! of its own, with its own `rev`, and the server decides each on its own (closures, deadlines,
//! capacity). A booking the server is certain to refuse is not written, as for a single
//! booking ([`crate::foreseen`]): closed days, public holidays, days the activity does not
//! run, passed booking deadlines and children not eligible are skipped, and the report lists
//! each skipped cell with the server's cause and French reason. What only the server knows
//! (places left, the dossier's approval, documents) is written and decided at the next sync.
//! Cells already asked for are not written again.

use crate::client::Inner;
use crate::docs::root_map;
use crate::error::{Error, Result};
use crate::foreseen::Foresight;
use crate::planning::{catalogue, dossier, fr_date, planning_id};
use crate::view::{CellReader, catalogue_downloaded, check_range, child_name, days, holds_booking};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType};
use autosurgeon::reconcile_prop;
use cartable_domain::DocKind;
use cartable_domain::catalogue::iso_weekday;
use cartable_domain::ids::{hex_id, is_valid_id};
use cartable_domain::planning::{AbsenceDeclaration, BookingRequest, CellKey};
use cartable_domain::refusal::RefusalCause;
use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The weekdays on which to book one activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityDays {
    pub activity_id: String,
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
}

impl ActivityDays {
    pub fn new(activity_id: impl Into<String>, weekdays: impl Into<Vec<u8>>) -> Self {
        Self {
            activity_id: activity_id.into(),
            weekdays: weekdays.into(),
        }
    }
}

/// A weekly pattern to book (or withdraw) for some children over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkBooking {
    /// Child ids.
    pub children: Vec<String>,
    /// First and last day, inclusive (at most a year).
    pub from: Date,
    pub to: Date,
    pub pattern: Vec<ActivityDays>,
}

/// A cell of the pattern that was not written, and why (French).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedCell {
    pub child_id: String,
    pub date: Date,
    pub activity_id: String,
    /// The server's reason, e.g. "Fermé : Vacances de Noël".
    pub reason: String,
    /// The cause the server would give; `None` when the cell has no planning document.
    pub cause: Option<RefusalCause>,
}

impl SkippedCell {
    fn new(key: CellKey, reason: String, cause: Option<RefusalCause>) -> Self {
        Self {
            child_id: key.child_id.into_string(),
            date: key.date,
            activity_id: key.activity_id.into_string(),
            reason,
            cause,
        }
    }
}

/// What a bulk edit of requests asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatternEdit {
    /// Bookings, those the server is certain to refuse skipped, judged at `server_now_ms`.
    Book { server_now_ms: i64 },
    /// Withdrawals (never refused on the device).
    Withdraw,
}

/// What a bulk edit wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    /// Requests (or declarations) written, each to be decided by the server at the next sync.
    pub written: usize,
    /// Cells already as asked (booked, withdrawn, declared): nothing written.
    pub unchanged: usize,
    /// Cells not written, with the reason.
    pub skipped: Vec<SkippedCell>,
}

/// What to write into one planning document.
struct Batch<T> {
    year: SchoolYear,
    doc_id: cartable_domain::DocumentId,
    items: Vec<(String, T)>,
}

/// Writes every `(key, value)` of a batch under `root/<map>` in one edit (one change, one
/// store transaction), each value whole (see [`put_whole`]).
fn write_batch<T: autosurgeon::Reconcile>(
    inner: &mut Inner,
    batch: &Batch<T>,
    map: &str,
    shape: Shape,
) -> Result<()> {
    if batch.items.is_empty() {
        return Ok(());
    }
    let what = format!("le planning {}", batch.year);
    let Inner { store, docs, .. } = inner;
    docs.edit(store, &batch.doc_id, &what, |doc| {
        let obj = root_map(doc, map)?.ok_or_else(|| Error::NotDownloaded(what.clone()))?;
        for (key, value) in &batch.items {
            put_whole(doc, &obj, key, value, shape)?;
        }
        Ok(())
    })
}

/// How a value is stored in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One scalar (requests: see `cartable_domain::cell_values`).
    Scalar,
    /// A map of fields (absences).
    Map,
}

/// Writes `value` at `obj[key]` so that two devices writing the same cell concurrently never
/// mix their fields: one whole value wins. A scalar is whole by nature; a map is written as a
/// new map object.
pub(crate) fn put_whole<T: autosurgeon::Reconcile>(
    doc: &mut AutoCommit,
    obj: &automerge::ObjId,
    key: &str,
    value: &T,
    shape: Shape,
) -> Result<()> {
    if shape == Shape::Map {
        doc.put_object(obj, key, ObjType::Map)?;
    }
    reconcile_prop(doc, obj, key, value)?;
    Ok(())
}

/// Validates a bulk booking against the dossier and the catalogue on the device; returns the
/// children ids (deduplicated, in the given order) and the pattern (weekdays deduplicated).
fn validate(inner: &mut Inner, b: &BulkBooking) -> Result<(Vec<String>, Vec<ActivityDays>)> {
    check_range(b.from, b.to)?;
    if b.children.is_empty() {
        return Err(Error::invalid("aucun enfant choisi"));
    }
    if b.pattern.is_empty() {
        return Err(Error::invalid("aucune activité choisie"));
    }
    let dossier = dossier(inner)?;
    if dossier.children.is_empty() && dossier.adults.is_empty() {
        return Err(Error::NotDownloaded("le dossier".into()));
    }
    let mut children: Vec<String> = Vec::new();
    for id in &b.children {
        if !dossier.children.contains_key(id) {
            return Err(Error::invalid(format!(
                "enfant inconnu dans le dossier : « {id} »"
            )));
        }
        if !children.contains(id) {
            children.push(id.clone());
        }
    }
    if !catalogue_downloaded(inner)? {
        return Err(Error::NotDownloaded("le catalogue".into()));
    }
    let catalogue = catalogue(inner)?;
    let mut pattern: Vec<ActivityDays> = Vec::new();
    for item in &b.pattern {
        if !catalogue.activities.contains_key(&item.activity_id) {
            let known: Vec<&str> = catalogue.activities.keys().map(String::as_str).collect();
            return Err(Error::invalid(format!(
                "activité inconnue : « {} » (activités : {})",
                item.activity_id,
                known.join(", ")
            )));
        }
        if item.weekdays.is_empty() {
            return Err(Error::invalid(format!(
                "aucun jour de la semaine choisi pour « {} »",
                item.activity_id
            )));
        }
        if let Some(bad) = item.weekdays.iter().find(|d| !(1..=7).contains(*d)) {
            return Err(Error::invalid(format!(
                "jour de la semaine invalide : {bad} (1 = lundi … 7 = dimanche)"
            )));
        }
        match pattern
            .iter_mut()
            .find(|p| p.activity_id == item.activity_id)
        {
            Some(p) => p.weekdays.extend(item.weekdays.iter().copied()),
            None => pattern.push(item.clone()),
        }
    }
    for p in &mut pattern {
        p.weekdays.sort_unstable();
        p.weekdays.dedup();
    }
    Ok((children, pattern))
}

/// Books or withdraws every cell of the pattern.
pub(crate) fn write_pattern(
    inner: &mut Inner,
    b: &BulkBooking,
    edit: PatternEdit,
    now_ms: i64,
) -> Result<BulkReport> {
    let account_id = inner.session()?.account.account_id.clone();
    let (children, pattern) = validate(inner, b)?;
    let catalogue = catalogue(inner)?;
    let dossier = dossier(inner)?;
    let foresight = match edit {
        PatternEdit::Book { server_now_ms } => {
            Some(Foresight::new(&catalogue, &dossier, server_now_ms)?)
        }
        PatternEdit::Withdraw => None,
    };
    let wanted = foresight.is_some();
    let mut report = BulkReport::default();

    // The cells of the pattern, grouped by school year (one planning document each).
    let mut by_year: BTreeMap<SchoolYear, Vec<CellKey>> = BTreeMap::new();
    for date in days(b.from, b.to) {
        let weekday = iso_weekday(date.weekday());
        for item in pattern.iter().filter(|p| p.weekdays.contains(&weekday)) {
            for child in &children {
                let key = CellKey::new(child.as_str(), date, item.activity_id.as_str());
                by_year.entry(SchoolYear::of(date)).or_default().push(key);
            }
        }
    }
    if inner.docs.find(DocKind::Planning, None).is_none() {
        return Err(Error::NotDownloaded("le planning".into()));
    }

    // Read every cell first, then write each document in one edit.
    let mut batches = Vec::new();
    for (year, keys) in by_year {
        let Some(doc_id) = planning_id(inner, year) else {
            let reason = format!("Pas de planning pour l'année scolaire {year}");
            report.skipped.extend(
                keys.into_iter()
                    .map(|k| SkippedCell::new(k, reason.clone(), None)),
            );
            continue;
        };
        let Inner { store, docs, .. } = &mut *inner;
        let content = docs.content(store, &doc_id)?;
        let reader = CellReader::new(&content.doc)?;
        let mut items = Vec::new();
        for key in keys {
            let encoded = key.encode();
            let request = reader.request(&encoded);
            let decision = reader.decision(&encoded);
            let already = match &request {
                Some(r) if wanted => holds_booking(r, decision.as_ref()),
                // Withdrawing: only a booking asked for or accepted needs a withdrawal (a late
                // withdrawal kept and billed is already withdrawn).
                Some(r) => !(r.wanted && holds_booking(r, decision.as_ref())),
                None => !wanted,
            };
            if already {
                report.unchanged += 1;
                continue;
            }
            if let Some(refusal) = foresight
                .as_ref()
                .and_then(|f| f.refusal(&key, decision.as_ref()))
            {
                report.skipped.push(SkippedCell::new(
                    key,
                    refusal.reason_fr,
                    Some(refusal.cause),
                ));
                continue;
            }
            items.push((
                encoded,
                BookingRequest {
                    wanted,
                    rev: hex_id(rand::random()),
                    by: account_id.clone(),
                    at_ms: now_ms,
                },
            ));
        }
        batches.push(Batch {
            year,
            doc_id,
            items,
        });
    }
    for batch in &batches {
        write_batch(inner, batch, "requests", Shape::Scalar)?;
        report.written += batch.items.len();
    }
    Ok(report)
}

/// Longest reason a parent may give for an absence, in characters.
pub const MAX_ABSENCE_REASON_CHARS: usize = 500;

/// Declares `child_id` absent on every booked day from `from` to `to`.
pub(crate) fn declare_absence(
    inner: &mut Inner,
    child_id: &str,
    from: Date,
    to: Date,
    reason: &str,
    document_id: Option<&str>,
    now_ms: i64,
) -> Result<BulkReport> {
    let account_id = inner.session()?.account.account_id.clone();
    check_range(from, to)?;
    let reason = reason.trim();
    if reason.chars().count() > MAX_ABSENCE_REASON_CHARS {
        return Err(Error::invalid(format!(
            "motif trop long : au plus {MAX_ABSENCE_REASON_CHARS} caractères"
        )));
    }
    let document_id = document_id.map(str::trim).filter(|d| !d.is_empty());
    if let Some(d) = document_id
        && !is_valid_id(d)
    {
        return Err(Error::invalid(format!(
            "identifiant de justificatif invalide « {d} »"
        )));
    }
    let dossier = dossier(inner)?;
    if dossier.children.is_empty() && dossier.adults.is_empty() {
        return Err(Error::NotDownloaded("le dossier".into()));
    }
    let Some(sheet) = dossier.children.get(child_id) else {
        return Err(Error::invalid(format!(
            "enfant inconnu dans le dossier : « {child_id} »"
        )));
    };
    if inner.docs.find(DocKind::Planning, None).is_none() {
        return Err(Error::NotDownloaded("le planning".into()));
    }
    let mut years: Vec<SchoolYear> = days(from, to).into_iter().map(SchoolYear::of).collect();
    years.dedup();

    let mut report = BulkReport::default();
    let mut batches = Vec::new();
    for year in years {
        let Some(doc_id) = planning_id(inner, year) else {
            continue;
        };
        let Inner { store, docs, .. } = &mut *inner;
        let content = docs.content(store, &doc_id)?;
        let reader = CellReader::new(&content.doc)?;
        let mut items = Vec::new();
        let prefix = format!("{child_id}|");
        for encoded in reader.request_keys() {
            if !encoded.starts_with(&prefix) {
                continue;
            }
            let Ok(key) = CellKey::decode(&encoded) else {
                continue;
            };
            if key.date < from || key.date > to {
                continue;
            }
            let Some(request) = reader.request(&encoded) else {
                continue;
            };
            if !holds_booking(&request, reader.decision(&encoded).as_ref()) {
                continue;
            }
            let existing = reader.absence(&encoded);
            let same = existing.as_ref().is_some_and(|a| {
                a.reason == reason
                    && (document_id.is_none() || a.document_id.as_deref() == document_id)
            });
            if same {
                report.unchanged += 1;
                continue;
            }
            if !reader.has_absences_map() {
                return Err(Error::NotDownloaded(format!(
                    "la partie « absences » du planning {year}"
                )));
            }
            items.push((
                encoded,
                AbsenceDeclaration {
                    rev: hex_id(rand::random()),
                    by: account_id.clone(),
                    at_ms: now_ms,
                    reason: reason.to_string(),
                    document_id: document_id
                        .map(str::to_string)
                        .or_else(|| existing.and_then(|a| a.document_id)),
                },
            ));
        }
        batches.push(Batch {
            year,
            doc_id,
            items,
        });
    }
    let found: usize = batches.iter().map(|b| b.items.len()).sum::<usize>() + report.unchanged;
    if found == 0 {
        return Err(Error::invalid(format!(
            "aucune réservation de {} du {} au {} : rien à déclarer",
            child_name(child_id, Some(sheet)),
            fr_date(from),
            fr_date(to)
        )));
    }
    for batch in &batches {
        write_batch(inner, batch, "absences", Shape::Map)?;
        report.written += batch.items.len();
    }
    Ok(report)
}
