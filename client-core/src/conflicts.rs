//! Conflicts in the dossier, as the phone shows them: a field that two parents set
//! differently while offline, with both values and who wrote each, by name.
//!
//! The dossier keeps showing one value (the same on every device, as Automerge merges); the
//! conflict stays listed until a parent settles it, by editing the field again or by keeping
//! one of the values ([`keep`]). Either write supersedes every value on every device.
//!
//! Names come from the dossier's server-only `authors` map (actor → parent), which the server
//! fills when a device's changes reach it; this device's own writes are the signed-in parent's.

use crate::client::Inner;
use crate::error::{Error, Result};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, Value};
use cartable_domain::DocKind;
use cartable_domain::conflicts::{Author, FieldConflict, dossier_conflicts, value_json};
use cartable_domain::dossier::Dossier;
use serde::Serialize;
use serde_json::Value as Json;

const WHAT: &str = "le dossier";

/// Whose sheet a conflict is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    Child,
    Adult,
}

/// One value of a field in conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictingValue {
    /// Pass it to [`crate::Client::keep_dossier_value`] to keep this value.
    pub id: String,
    /// The value in words: "Sans porc", "oui", "06 12 34 56 78".
    pub label: String,
    /// The value as in the dossier's JSON (a diet code, a boolean...).
    pub value: Json,
    /// Who wrote it: "Camille Martin"; "auteur inconnu" when the server has not said yet.
    pub author_name: String,
    /// The author's account, when known.
    pub author_account_id: Option<String>,
    /// Written on this very device.
    pub by_this_device: bool,
    /// When it was written (ms since the Unix epoch), when known.
    pub at_ms: Option<i64>,
    /// The value the dossier shows until a parent chooses.
    pub current: bool,
}

/// A field of the dossier that parents set differently offline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierConflict {
    /// Where it is (`children/<id>/diet`); pass it to [`crate::Client::keep_dossier_value`].
    pub path: String,
    pub sheet_kind: SheetKind,
    pub sheet_id: String,
    /// "Léa Martin".
    pub sheet_name: String,
    /// The field's code (`diet`, `billing`, `allergies`).
    pub field: String,
    /// French label of the field ("régime alimentaire").
    pub field_label: String,
    /// Every value, oldest first; exactly one is `current`.
    pub values: Vec<ConflictingValue>,
}

fn dossier_doc(inner: &mut Inner) -> Result<Option<&mut AutoCommit>> {
    inner.session()?;
    let Some(id) = inner.docs.find(DocKind::Dossier, None) else {
        return Ok(None);
    };
    let Inner { store, docs, .. } = inner;
    Ok(Some(&mut docs.content(store, &id)?.doc))
}

/// The conflicts of the dossier on this device (none when it is not downloaded).
pub(crate) fn list(inner: &mut Inner) -> Result<Vec<DossierConflict>> {
    let (me, my_account, my_name) = {
        let session = inner.session()?;
        (
            session.actor.to_hex_string(),
            session.account.account_id.clone(),
            session.account.display_name.clone(),
        )
    };
    let Some(doc) = dossier_doc(inner)? else {
        return Ok(Vec::new());
    };
    let found = dossier_conflicts(doc);
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let dossier: Dossier = autosurgeon::hydrate(&*doc)?;
    let name_of = |actor: &str| -> (String, Option<String>) {
        if actor == me {
            return (my_name.clone(), Some(my_account.clone()));
        }
        match dossier.authors.get(actor) {
            Some(Author { account_id, name }) if !name.trim().is_empty() => (
                name.clone(),
                Some(account_id.clone()).filter(|a| !a.is_empty()),
            ),
            _ => ("auteur inconnu".to_string(), None),
        }
    };
    Ok(found
        .iter()
        .map(|c| view(c, &dossier, &me, &name_of))
        .collect())
}

fn view(
    c: &FieldConflict,
    dossier: &Dossier,
    me: &str,
    name_of: &dyn Fn(&str) -> (String, Option<String>),
) -> DossierConflict {
    let (sheet_kind, sheet_name) = if c.section == "children" {
        let name = dossier
            .children
            .get(&c.sheet_id)
            .map(|s| format!("{} {}", s.first_name, s.last_name));
        (SheetKind::Child, name)
    } else {
        let name = dossier
            .adults
            .get(&c.sheet_id)
            .map(|s| format!("{} {}", s.first_name, s.last_name));
        (SheetKind::Adult, name)
    };
    DossierConflict {
        path: c.path.clone(),
        sheet_kind,
        sheet_id: c.sheet_id.clone(),
        sheet_name: sheet_name.map(|n| n.trim().to_string()).unwrap_or_default(),
        field: c.field_code().to_string(),
        field_label: c.field_label_fr(),
        values: c
            .values
            .iter()
            .map(|v| {
                let (author_name, author_account_id) = name_of(&v.actor);
                ConflictingValue {
                    id: v.id.clone(),
                    label: c.value_fr(&v.value),
                    value: v.value.clone(),
                    author_name,
                    author_account_id,
                    by_this_device: v.actor == me,
                    at_ms: v.at_ms,
                    current: v.current,
                }
            })
            .collect(),
    }
}

/// The object holding `path`'s last segment, and that segment as a property, following the
/// values the dossier shows.
fn locate(doc: &AutoCommit, path: &str) -> Result<(ObjId, Prop)> {
    let gone = || Error::invalid(format!("champ introuvable dans le dossier : « {path} »"));
    let segments: Vec<&str> = path.split('/').collect();
    let Some((last, parents)) = segments.split_last() else {
        return Err(gone());
    };
    let mut obj = automerge::ROOT;
    for segment in parents {
        let prop = prop_of(doc, &obj, segment).ok_or_else(gone)?;
        obj = match doc.get(&obj, prop)? {
            Some((Value::Object(_), id)) => id,
            _ => return Err(gone()),
        };
    }
    let prop = prop_of(doc, &obj, last).ok_or_else(gone)?;
    Ok((obj, prop))
}

fn prop_of(doc: &AutoCommit, obj: &ObjId, segment: &str) -> Option<Prop> {
    match doc.object_type(obj).ok()? {
        ObjType::List => segment.parse::<usize>().ok().map(Prop::Seq),
        _ => Some(Prop::Map(segment.to_string())),
    }
}

/// Writes `value` (read from the document) at `obj[prop]` again: a scalar as it is, an object
/// as a new object with the same content.
fn write_again(doc: &mut AutoCommit, obj: &ObjId, prop: Prop, value: &Json) -> Result<()> {
    match value {
        Json::Object(map) => {
            let new = doc.put_object(obj, prop, ObjType::Map)?;
            for (k, v) in map {
                write_again(doc, &new, Prop::Map(k.clone()), v)?;
            }
        }
        Json::Array(items) => {
            let new = doc.put_object(obj, prop, ObjType::List)?;
            for (i, v) in items.iter().enumerate() {
                let scalar = scalar_of(v);
                match v {
                    Json::Object(_) | Json::Array(_) => {
                        let kind = if v.is_object() {
                            ObjType::Map
                        } else {
                            ObjType::List
                        };
                        doc.insert_object(&new, i, kind)?;
                        write_again(doc, &new, Prop::Seq(i), v)?;
                    }
                    _ => doc.insert(&new, i, scalar)?,
                }
            }
        }
        scalar => match prop {
            Prop::Map(k) => doc.put(obj, k, scalar_of(scalar))?,
            Prop::Seq(i) => doc.put(obj, i, scalar_of(scalar))?,
        },
    }
    Ok(())
}

fn scalar_of(v: &Json) -> automerge::ScalarValue {
    use automerge::ScalarValue as S;
    match v {
        Json::Bool(b) => S::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => S::Int(i),
            (_, Some(u), _) => S::Uint(u),
            (_, _, Some(f)) => S::F64(f),
            _ => S::Null,
        },
        Json::String(s) => S::Str(s.as_str().into()),
        _ => S::Null,
    }
}

/// Keeps the value `value_id` of the field at `path`: writes it again, which settles the
/// conflict on every device once synced. Nothing to do when the field is no longer in
/// conflict (another parent settled it meanwhile).
pub(crate) fn keep(inner: &mut Inner, path: &str, value_id: &str, now_ms: i64) -> Result<()> {
    inner.session()?;
    let in_sections = cartable_domain::conflicts::SECTIONS
        .iter()
        .any(|s| path.starts_with(&format!("{s}/")));
    if !in_sections {
        return Err(Error::invalid(format!(
            "« {path} » n'est pas un champ d'une fiche du dossier"
        )));
    }
    let id = inner
        .docs
        .find(DocKind::Dossier, None)
        .ok_or_else(|| Error::NotDownloaded(WHAT.into()))?;
    let Inner { store, docs, .. } = inner;
    docs.edit_at(store, &id, WHAT, Some(now_ms), |doc| {
        let (obj, prop) = locate(doc, path)?;
        let all = doc.get_all(&obj, prop.clone())?;
        if all.len() < 2 {
            return Ok(());
        }
        let chosen = all
            .iter()
            .find(|(_, exid)| exid.to_string() == value_id)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "valeur inconnue pour ce champ : « {value_id} » (le dossier a changé : \
                     affichez les conflits à nouveau)"
                ))
            })?;
        match &chosen.0 {
            // A scalar is written back exactly (same type: text, integer, boolean).
            Value::Scalar(scalar) => {
                let scalar = scalar.clone().into_owned();
                match prop {
                    Prop::Map(k) => doc.put(&obj, k, scalar)?,
                    Prop::Seq(i) => doc.put(&obj, i, scalar)?,
                }
                Ok(())
            }
            Value::Object(_) => {
                let value = value_json(doc, &chosen.0, &chosen.1);
                write_again(doc, &obj, prop, &value)
            }
        }
    })
}
