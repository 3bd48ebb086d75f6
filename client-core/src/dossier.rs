//! Reading and editing the family dossier ("Mon dossier").
//!
//! Edits write one field register at a time (`children/<id>/<field>`), never a whole sheet,
//! so two parents changing different fields of one sheet offline both keep their change. New
//! sheets go into the existing `children` / `adults` maps that the server created; the device
//! never creates those root maps. Values are validated by the domain's `ChildField` /
//! `AdultField`, the same code the server uses.
//!
//! "Je valide mes modifications" writes a fresh `submission` (a new map each time, so that a
//! submission is replaced whole and names the change that made it); the server answers in
//! `review`, which [`review`] turns into what the app shows, offline too.

use crate::client::Inner;
use crate::docs::{map_at, root_map};
use crate::error::{Error, Result};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT};
use autosurgeon::{hydrate_prop, reconcile_prop};
use cartable_domain::DocKind;
use cartable_domain::dossier::{
    AdultField, AdultSheet, ChildField, ChildSheet, Dossier, sheets_changed_since,
    submission_change,
};
use cartable_domain::ids::{DocumentId, hex_id};
use serde::Serialize;

const WHAT: &str = "le dossier";

fn dossier_id(inner: &Inner) -> Result<DocumentId> {
    inner.session()?;
    inner
        .docs
        .find(DocKind::Dossier, None)
        .ok_or_else(|| Error::NotDownloaded(WHAT.into()))
}

/// The dossier as it stands on this device (empty when not downloaded yet).
pub(crate) fn read(inner: &mut Inner) -> Result<Dossier> {
    inner.session()?;
    let Some(id) = inner.docs.find(DocKind::Dossier, None) else {
        return Ok(Dossier::default());
    };
    let Inner { store, docs, .. } = inner;
    let content = docs.content(store, &id)?;
    Ok(autosurgeon::hydrate(&content.doc)?)
}

/// The map object of `section/<sheet_id>`, or a clear error.
fn sheet_obj(doc: &AutoCommit, section: &str, sheet_id: &str, who: &str) -> Result<(ObjId, ObjId)> {
    let parent = root_map(doc, section)?.ok_or_else(|| Error::NotDownloaded(WHAT.into()))?;
    let sheet = map_at(doc, &parent, sheet_id)?
        .ok_or_else(|| Error::invalid(format!("{who} inconnu dans le dossier : « {sheet_id} »")))?;
    Ok((parent, sheet))
}

pub(crate) fn set_child_field(
    inner: &mut Inner,
    child_id: &str,
    field: &str,
    value: &str,
    now_ms: i64,
) -> Result<()> {
    let field = ChildField::parse(field)?;
    let id = dossier_id(inner)?;
    let Inner { store, docs, .. } = inner;
    docs.edit_at(store, &id, WHAT, Some(now_ms), |doc| {
        let (children, sheet_obj) = sheet_obj(doc, "children", child_id, "enfant")?;
        let mut sheet: ChildSheet = hydrate_prop(doc, &children, child_id)?;
        field.apply(&mut sheet, value)?;
        write_child_field(doc, &sheet_obj, field, &sheet)
    })
}

pub(crate) fn set_adult_field(
    inner: &mut Inner,
    adult_id: &str,
    field: &str,
    value: &str,
    now_ms: i64,
) -> Result<()> {
    let field = AdultField::parse(field)?;
    let id = dossier_id(inner)?;
    let Inner { store, docs, .. } = inner;
    docs.edit_at(store, &id, WHAT, Some(now_ms), |doc| {
        let (adults, sheet_obj) = sheet_obj(doc, "adults", adult_id, "adulte")?;
        let mut sheet: AdultSheet = hydrate_prop(doc, &adults, adult_id)?;
        field.apply(&mut sheet, value)?;
        write_adult_field(doc, &sheet_obj, field, &sheet)
    })
}

pub(crate) fn add_child(
    inner: &mut Inner,
    first_name: &str,
    last_name: &str,
    birth_date: &str,
    now_ms: i64,
) -> Result<String> {
    let mut sheet = ChildSheet::default();
    ChildField::FirstName.apply(&mut sheet, first_name)?;
    ChildField::LastName.apply(&mut sheet, last_name)?;
    ChildField::BirthDate.apply(&mut sheet, birth_date)?;
    if sheet.first_name.is_empty() {
        return Err(Error::invalid("le prénom de l'enfant est obligatoire"));
    }
    add_sheet(inner, "children", sheet, now_ms)
}

pub(crate) fn add_adult(
    inner: &mut Inner,
    first_name: &str,
    last_name: &str,
    now_ms: i64,
) -> Result<String> {
    let mut sheet = AdultSheet::default();
    AdultField::FirstName.apply(&mut sheet, first_name)?;
    AdultField::LastName.apply(&mut sheet, last_name)?;
    if sheet.first_name.is_empty() && sheet.last_name.is_empty() {
        return Err(Error::invalid("le nom de l'adulte est obligatoire"));
    }
    add_sheet(inner, "adults", sheet, now_ms)
}

fn add_sheet<S: autosurgeon::Reconcile>(
    inner: &mut Inner,
    section: &str,
    sheet: S,
    now_ms: i64,
) -> Result<String> {
    let id = dossier_id(inner)?;
    let sheet_id = hex_id(rand::random());
    let Inner { store, docs, .. } = inner;
    docs.edit_at(store, &id, WHAT, Some(now_ms), |doc| {
        let parent = root_map(doc, section)?.ok_or_else(|| Error::NotDownloaded(WHAT.into()))?;
        reconcile_prop(doc, &parent, sheet_id.as_str(), &sheet)?;
        Ok(())
    })?;
    Ok(sheet_id)
}

/// Where the family's dossier stands with the structure ("Je valide mes modifications").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Submitted on a phone of the family; the server has not answered it yet (it will at the
    /// next sync of the phone that submitted).
    Sent,
    /// Received by the structure, waiting for an agent.
    Pending,
    Approved,
    /// Rejected with a reason: correct the dossier and submit again.
    Rejected,
}

/// The review of the family's dossier as the app shows it, readable offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewView {
    pub status: ReviewStatus,
    /// French, e.g. "Dossier validé par la structure".
    pub label: String,
    /// Why staff rejected it.
    pub reason: Option<String>,
    /// Supporting documents asked for (e.g. `qf_certificate`).
    pub requested_documents: Vec<String>,
    /// When the dossier was last submitted, and by which account.
    pub submitted_at_ms: Option<i64>,
    pub submitted_by: Option<String>,
    /// When the structure received, approved or rejected it (by the server's clock).
    pub reviewed_at_ms: Option<i64>,
    /// Bookings that need an approved dossier may go ahead (this version or an earlier one
    /// was approved).
    pub approval_in_force: bool,
    /// The sheets were changed after the last submission: submit again to have them checked.
    pub changed_since_submission: bool,
}

/// Writes "Je valide mes modifications": a fresh submission of the dossier as it stands here.
pub(crate) fn submit(inner: &mut Inner, now_ms: i64) -> Result<()> {
    let id = dossier_id(inner)?;
    let by = inner.session()?.account.account_id.clone();
    let rev = hex_id(rand::random());
    let Inner { store, docs, .. } = inner;
    docs.edit_at(store, &id, WHAT, Some(now_ms), |doc| {
        // A new map each time: a submission is replaced whole, never merged with another.
        let obj = doc.put_object(ROOT, "submission", ObjType::Map)?;
        doc.put(&obj, "rev", rev.as_str())?;
        doc.put(&obj, "by", by.as_str())?;
        doc.put(&obj, "at_ms", now_ms)?;
        Ok(())
    })
}

/// The dossier's review as this device knows it; `None` when never submitted nor reviewed.
pub(crate) fn review(inner: &mut Inner) -> Result<Option<ReviewView>> {
    inner.session()?;
    let Some(id) = inner.docs.find(DocKind::Dossier, None) else {
        return Ok(None);
    };
    let Inner { store, docs, .. } = inner;
    let content = docs.content(store, &id)?;
    let dossier: Dossier = autosurgeon::hydrate(&content.doc)?;
    let (submission, review) = (dossier.submission, dossier.review);
    if submission.is_none() && review.is_none() {
        return Ok(None);
    }
    let changed_since_submission = match submission_change(&mut content.doc) {
        Some(hash) => sheets_changed_since(&mut content.doc, &[hash]),
        None => false,
    };
    let approval_in_force = review.as_ref().is_some_and(|r| r.approval_in_force());
    let answered = match (&submission, &review) {
        (Some(s), Some(r)) => r.rev.is_empty() || r.rev == s.rev,
        (None, Some(_)) => true,
        _ => false,
    };
    let (status, reason, requested_documents, reviewed_at_ms) = match review.filter(|_| answered) {
        Some(r) => {
            let status = match r.status {
                cartable_domain::dossier::ReviewStatus::Approved => ReviewStatus::Approved,
                cartable_domain::dossier::ReviewStatus::Rejected => ReviewStatus::Rejected,
                cartable_domain::dossier::ReviewStatus::Pending
                | cartable_domain::dossier::ReviewStatus::Superseded => ReviewStatus::Pending,
            };
            (status, r.reason, r.requested_documents, Some(r.at_ms))
        }
        None => (ReviewStatus::Sent, None, Vec::new(), None),
    };
    let label = match status {
        ReviewStatus::Sent => {
            "Envoyé : transmis à la structure à la prochaine synchronisation".into()
        }
        ReviewStatus::Pending => "En cours d'examen par la structure".into(),
        ReviewStatus::Approved => "Dossier validé par la structure".into(),
        ReviewStatus::Rejected => match reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => format!("Dossier à corriger : {r}"),
            _ => "Dossier à corriger".into(),
        },
    };
    Ok(Some(ReviewView {
        status,
        label,
        reason,
        requested_documents,
        submitted_at_ms: submission.as_ref().map(|s| s.at_ms),
        submitted_by: submission.map(|s| s.by),
        reviewed_at_ms,
        approval_in_force,
        changed_since_submission,
    }))
}

/// Writes the one register `field` of a child sheet.
fn write_child_field(
    doc: &mut AutoCommit,
    obj: &ObjId,
    field: ChildField,
    s: &ChildSheet,
) -> Result<()> {
    use ChildField as F;
    match field {
        F::FirstName => reconcile_prop(doc, obj, "first_name", &s.first_name)?,
        F::LastName => reconcile_prop(doc, obj, "last_name", &s.last_name)?,
        F::BirthDate => reconcile_prop(doc, obj, "birth_date", &s.birth_date)?,
        F::School => reconcile_prop(doc, obj, "school", &s.school)?,
        F::Class => reconcile_prop(doc, obj, "class", &s.class)?,
        F::Diet => reconcile_prop(doc, obj, "diet", s.diet)?,
        F::Allergies => reconcile_prop(doc, obj, "allergies", &s.allergies)?,
        F::Pai => reconcile_prop(doc, obj, "pai", s.pai)?,
        F::MedicalTreatments => {
            reconcile_prop(doc, obj, "medical_treatments", &s.medical_treatments)?
        }
        F::Doctor => reconcile_prop(doc, obj, "doctor", &s.doctor)?,
        F::VaccinationsUpToDate => reconcile_prop(
            doc,
            obj,
            "vaccinations_up_to_date",
            s.vaccinations_up_to_date,
        )?,
        F::ImageAuthorisation => {
            reconcile_prop(doc, obj, "image_authorisation", s.image_authorisation)?
        }
        F::MayLeaveAlone => reconcile_prop(doc, obj, "may_leave_alone", s.may_leave_alone)?,
    }
    Ok(())
}

/// Writes the one register `field` of an adult sheet (roles live in the sheet's `roles` map).
fn write_adult_field(
    doc: &mut AutoCommit,
    obj: &ObjId,
    field: AdultField,
    s: &AdultSheet,
) -> Result<()> {
    use AdultField as F;
    let (name, value) = match field {
        F::FirstName => return text(doc, obj, "first_name", &s.first_name),
        F::LastName => return text(doc, obj, "last_name", &s.last_name),
        F::MobilePhone => return text(doc, obj, "mobile_phone", &s.mobile_phone),
        F::HomePhone => return text(doc, obj, "home_phone", &s.home_phone),
        F::WorkPhone => return text(doc, obj, "work_phone", &s.work_phone),
        F::Email => return text(doc, obj, "email", &s.email),
        F::Address => return text(doc, obj, "address", &s.address),
        F::CafNumber => return text(doc, obj, "caf_number", &s.caf_number),
        F::QuotientFamilial => {
            reconcile_prop(doc, obj, "quotient_familial", s.quotient_familial)?;
            return Ok(());
        }
        F::LegalGuardian => ("legal_guardian", s.roles.legal_guardian),
        F::MayPickUp => ("may_pick_up", s.roles.may_pick_up),
        F::Billing => ("billing", s.roles.billing),
        F::EmergencyContact => ("emergency_contact", s.roles.emergency_contact),
    };
    match map_at(doc, obj, "roles")? {
        Some(roles) => reconcile_prop(doc, &roles, name, value)?,
        // A sheet without roles yet: create the map with all roles at once.
        None => reconcile_prop(doc, obj, "roles", &s.roles)?,
    }
    Ok(())
}

fn text(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: &str) -> Result<()> {
    reconcile_prop(doc, obj, key, value)?;
    Ok(())
}
