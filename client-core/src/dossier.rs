//! Reading and editing the family dossier ("Mon dossier").
//!
//! Edits write one field register at a time (`children/<id>/<field>`), never a whole sheet,
//! so two parents changing different fields of one sheet offline both keep their change. New
//! sheets go into the existing `children` / `adults` maps that the server created; the device
//! never creates those root maps. Values are validated by the domain's `ChildField` /
//! `AdultField`, the same code the server uses.

use crate::client::Inner;
use crate::docs::{map_at, root_map};
use crate::error::{Error, Result};
use automerge::{AutoCommit, ObjId};
use autosurgeon::{hydrate_prop, reconcile_prop};
use cartable_domain::DocKind;
use cartable_domain::dossier::{AdultField, AdultSheet, ChildField, ChildSheet, Dossier};
use cartable_domain::ids::{DocumentId, hex_id};

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
) -> Result<()> {
    let field = ChildField::parse(field)?;
    let id = dossier_id(inner)?;
    let Inner { store, docs, .. } = inner;
    docs.edit(store, &id, WHAT, |doc| {
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
) -> Result<()> {
    let field = AdultField::parse(field)?;
    let id = dossier_id(inner)?;
    let Inner { store, docs, .. } = inner;
    docs.edit(store, &id, WHAT, |doc| {
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
) -> Result<String> {
    let mut sheet = ChildSheet::default();
    ChildField::FirstName.apply(&mut sheet, first_name)?;
    ChildField::LastName.apply(&mut sheet, last_name)?;
    ChildField::BirthDate.apply(&mut sheet, birth_date)?;
    if sheet.first_name.is_empty() {
        return Err(Error::invalid("le prénom de l'enfant est obligatoire"));
    }
    add_sheet(inner, "children", sheet)
}

pub(crate) fn add_adult(inner: &mut Inner, first_name: &str, last_name: &str) -> Result<String> {
    let mut sheet = AdultSheet::default();
    AdultField::FirstName.apply(&mut sheet, first_name)?;
    AdultField::LastName.apply(&mut sheet, last_name)?;
    if sheet.first_name.is_empty() && sheet.last_name.is_empty() {
        return Err(Error::invalid("le nom de l'adulte est obligatoire"));
    }
    add_sheet(inner, "adults", sheet)
}

fn add_sheet<S: autosurgeon::Reconcile>(
    inner: &mut Inner,
    section: &str,
    sheet: S,
) -> Result<String> {
    let id = dossier_id(inner)?;
    let sheet_id = hex_id(rand::random());
    let Inner { store, docs, .. } = inner;
    docs.edit(store, &id, WHAT, |doc| {
        let parent = root_map(doc, section)?.ok_or_else(|| Error::NotDownloaded(WHAT.into()))?;
        reconcile_prop(doc, &parent, sheet_id.as_str(), &sheet)?;
        Ok(())
    })?;
    Ok(sheet_id)
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

/// Finds a child by id or, failing that, by first name (case-insensitive, must be unique).
pub fn resolve_child(dossier: &Dossier, id_or_name: &str) -> Result<String> {
    if dossier.children.contains_key(id_or_name) {
        return Ok(id_or_name.to_string());
    }
    let wanted = id_or_name.trim().to_lowercase();
    let matches: Vec<&String> = dossier
        .children
        .iter()
        .filter(|(_, c)| c.first_name.to_lowercase() == wanted)
        .map(|(id, _)| id)
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::invalid(format!("enfant inconnu « {id_or_name} »"))),
        many => Err(Error::invalid(format!(
            "plusieurs enfants s'appellent « {id_or_name} » : précisez l'identifiant ({})",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
