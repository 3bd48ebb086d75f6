//! Conflicts in the dossier: two parents set the same field differently while offline.
//!
//! Automerge keeps both writes of a register and shows one of them (the same on every
//! device), so nothing is lost but one parent's value is hidden. This module finds such
//! fields, with every value, who wrote each (its Automerge actor) and when, so that the phone
//! can show both until a parent settles it and staff see both in the review. Writing the field
//! again, with either value or a new one, resolves the conflict on every device: the new write
//! supersedes both.
//!
//! Who an actor is comes from the dossier's server-only `authors` map ([`Author`]), written by
//! the server when a device's changes first reach it.

use automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// The sections of the dossier parents edit, where conflicts are looked for.
pub const SECTIONS: [&str; 2] = ["children", "adults"];

/// Who is behind an Automerge actor of a dossier (`authors/<actor hex>`, server-written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Author {
    /// The parent's account.
    #[autosurgeon(missing = "Default::default")]
    pub account_id: String,
    /// The parent's name ("Camille Martin").
    #[autosurgeon(missing = "Default::default")]
    pub name: String,
}

/// One of the values of a field in conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// Identifies this very write (`counter@actor`), to keep it with
    /// "garder cette valeur".
    pub id: String,
    /// The Automerge actor (hex) of the device that wrote it.
    pub actor: String,
    /// The value, as in the dossier's JSON (a diet code, a boolean, a list of allergies...).
    pub value: Json,
    /// The value every device shows until the conflict is resolved.
    pub current: bool,
    /// When it was written (ms since the Unix epoch, by the writer's estimate of the server
    /// clock); `None` when the change carries no time.
    pub at_ms: Option<i64>,
}

/// A field of a sheet that holds several values written concurrently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// `children/<id>/diet`, `adults/<id>/roles/billing`, `children/<id>/allergies/1`.
    pub path: String,
    /// `children` or `adults`.
    pub section: String,
    pub sheet_id: String,
    /// The field's code below the sheet: `diet`, `roles/billing`, `allergies/1`; empty when the
    /// whole sheet is in conflict.
    pub field: String,
    /// Every value, the current one included, oldest write first.
    pub values: Vec<ConflictValue>,
}

impl FieldConflict {
    /// The field's code without its index or group: `diet`, `billing`, `allergies`.
    pub fn field_code(&self) -> &str {
        let mut parts = self.field.split('/');
        match (parts.next(), parts.next()) {
            (Some("roles"), Some(role)) => role,
            (Some(first), _) => first,
            (None, _) => "",
        }
    }

    /// French label of the field ("régime alimentaire", "payeur").
    pub fn field_label_fr(&self) -> String {
        let code = self.field_code();
        let label = if self.section == "children" {
            crate::dossier::ChildField::parse(code).map(|f| f.label_fr())
        } else {
            crate::dossier::AdultField::parse(code).map(|f| f.label_fr())
        };
        match label {
            Ok(l) => l.to_string(),
            Err(_) if code.is_empty() => "fiche".to_string(),
            Err(_) => code.to_string(),
        }
    }

    /// A value of this field in words: "Sans porc", "oui", "arachide, lait".
    pub fn value_fr(&self, value: &Json) -> String {
        value_fr(self.field_code(), value)
    }
}

/// A dossier value in words, for a field's code: diets by their label, booleans as oui/non,
/// lists joined, nothing as "—".
pub fn value_fr(field_code: &str, value: &Json) -> String {
    match value {
        Json::Null => "—".into(),
        Json::Bool(b) => if *b { "oui" } else { "non" }.into(),
        Json::String(s) if field_code == "diet" => crate::dossier::Diet::from_stored(s)
            .map_or_else(|| s.clone(), |d| d.label().to_string()),
        Json::String(s) if s.trim().is_empty() => "—".into(),
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Array(items) if items.is_empty() => "—".into(),
        Json::Array(items) => items
            .iter()
            .map(|i| value_fr(field_code, i))
            .collect::<Vec<_>>()
            .join(", "),
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} : {}", value_fr(k, v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn scalar_json(s: &ScalarValue) -> Json {
    match s {
        ScalarValue::Str(s) => Json::from(s.to_string()),
        ScalarValue::Boolean(b) => Json::from(*b),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => Json::from(*f),
        ScalarValue::Null => Json::Null,
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        other => Json::from(other.to_string()),
    }
}

/// The JSON of a value read from the document (objects read recursively).
pub fn value_json(doc: &AutoCommit, value: &Value<'_>, id: &ObjId) -> Json {
    match value {
        Value::Scalar(s) => scalar_json(s),
        Value::Object(ObjType::Map | ObjType::Table) => {
            let mut out = serde_json::Map::new();
            for key in doc.keys(id) {
                if let Ok(Some((v, child))) = doc.get(id, key.as_str()) {
                    out.insert(key, value_json(doc, &v, &child));
                }
            }
            Json::Object(out)
        }
        Value::Object(ObjType::List) => Json::Array(
            (0..doc.length(id))
                .filter_map(|i| doc.get(id, i).ok().flatten())
                .map(|(v, child)| value_json(doc, &v, &child))
                .collect(),
        ),
        Value::Object(ObjType::Text) => Json::from(doc.text(id).unwrap_or_default()),
    }
}

/// Every field of the dossier's sheets that holds concurrent values, in path order.
pub fn dossier_conflicts(doc: &mut AutoCommit) -> Vec<FieldConflict> {
    let mut found: Found = Vec::new();
    for section in SECTIONS {
        let Ok(Some((Value::Object(ObjType::Map), obj))) = doc.get(automerge::ROOT, section) else {
            continue;
        };
        walk(doc, &obj, &mut vec![section.to_string()], &mut found);
    }
    if found.is_empty() {
        return Vec::new();
    }
    // When each write happened: the change holding its operation.
    let changes: Vec<(automerge::ActorId, u64, u64, i64)> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|c| (c.actor.into_owned(), c.start_op, c.max_op, c.timestamp))
        .collect();
    let time_of = |counter: u64, actor: &automerge::ActorId| {
        changes
            .iter()
            .find(|(a, start, max, _)| a == actor && *start <= counter && counter <= *max)
            .and_then(|(_, _, _, t)| (*t > 0).then(|| t.saturating_mul(1000)))
    };
    let mut out = Vec::with_capacity(found.len());
    for (path, all, winner) in found {
        let mut values: Vec<ConflictValue> = all
            .iter()
            .filter_map(|(value, id)| {
                let ObjId::Id(counter, actor, _) = id else {
                    return None;
                };
                let mut json = value_json(doc, value, id);
                // Diets are stored by variant name; the dossier's JSON names them by code.
                if path.last().is_some_and(|f| f == "diet")
                    && let Some(diet) = json.as_str().and_then(crate::dossier::Diet::from_stored)
                {
                    json = Json::from(diet.code());
                }
                Some(ConflictValue {
                    id: id.to_string(),
                    actor: actor.to_hex_string(),
                    value: json,
                    current: *id == winner,
                    at_ms: time_of(*counter, actor),
                })
            })
            .collect();
        values.sort_by_key(|v| (v.at_ms, !v.current));
        let section = path.first().cloned().unwrap_or_default();
        let sheet_id = path.get(1).cloned().unwrap_or_default();
        out.push(FieldConflict {
            path: path.join("/"),
            field: path.get(2..).map(|rest| rest.join("/")).unwrap_or_default(),
            section,
            sheet_id,
            values,
        });
    }
    out
}

type Found = Vec<(Vec<String>, Vec<(Value<'static>, ObjId)>, ObjId)>;

fn walk(doc: &AutoCommit, obj: &ObjId, path: &mut Vec<String>, out: &mut Found) {
    let props: Vec<Prop> = match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => doc.keys(obj).map(Prop::Map).collect(),
        Ok(ObjType::List) => (0..doc.length(obj)).map(Prop::Seq).collect(),
        _ => return,
    };
    for prop in props {
        let Ok(all) = doc.get_all(obj, prop.clone()) else {
            continue;
        };
        path.push(match &prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        });
        match all.as_slice() {
            [] => {}
            [(Value::Object(_), child)] => walk(doc, child, path, out),
            [_] => {}
            _ => {
                let winner = doc.get(obj, prop.clone()).ok().flatten().map(|(_, id)| id);
                if let Some(winner) = winner {
                    let owned = all
                        .into_iter()
                        .map(|(v, id)| (v.into_owned(), id))
                        .collect();
                    out.push((path.clone(), owned, winner));
                }
            }
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dossier::{AdultSheet, ChildSheet, Diet, Dossier};
    use automerge::transaction::Transactable;

    /// The server's dossier, and two parents' copies forked from it.
    fn three_copies() -> (AutoCommit, AutoCommit, AutoCommit) {
        let mut server = AutoCommit::new();
        let mut d = Dossier::default();
        d.children.insert(
            "c1".into(),
            ChildSheet {
                first_name: "Léa".into(),
                ..Default::default()
            },
        );
        d.adults.insert("a1".into(), AdultSheet::default());
        autosurgeon::reconcile(&mut server, &d).expect("dossier");
        server.commit();
        let a = server
            .fork()
            .with_actor(automerge::ActorId::from([1u8; 16]));
        let b = server
            .fork()
            .with_actor(automerge::ActorId::from([2u8; 16]));
        (server, a, b)
    }

    fn sheet(doc: &AutoCommit, section: &str, id: &str) -> ObjId {
        let (_, s) = doc
            .get(automerge::ROOT, section)
            .ok()
            .flatten()
            .expect("section");
        doc.get(&s, id).ok().flatten().expect("sheet").1
    }

    #[test]
    fn two_parents_setting_one_field_differently_is_a_conflict_with_both_values() {
        let (_, mut a, mut b) = three_copies();
        let lea = sheet(&a, "children", "c1");
        a.put(&lea, "diet", "SansPorc").expect("a");
        a.commit_with(automerge::transaction::CommitOptions::default().with_time(1_800_000_000));
        b.put(&lea, "diet", "Vegetarien").expect("b");
        b.put(&lea, "school", "Jules-Ferry").expect("b school");
        b.commit();
        a.merge(&mut b).expect("merge");

        let conflicts = dossier_conflicts(&mut a);
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let c = &conflicts[0];
        assert_eq!(c.path, "children/c1/diet");
        assert_eq!(
            (c.section.as_str(), c.sheet_id.as_str()),
            ("children", "c1")
        );
        assert_eq!(c.field_label_fr(), "régime alimentaire");
        let mut values: Vec<String> = c.values.iter().map(|v| c.value_fr(&v.value)).collect();
        values.sort();
        assert_eq!(values, ["Sans porc", "Végétarien"]);
        assert_eq!(c.values.iter().filter(|v| v.current).count(), 1);
        let shown: Dossier = autosurgeon::hydrate(&a).expect("hydrate");
        let current = c.values.iter().find(|v| v.current).expect("current");
        assert_eq!(Json::from(shown.children["c1"].diet.code()), current.value);
        let by_a = c
            .values
            .iter()
            .find(|v| v.actor == automerge::ActorId::from([1u8; 16]).to_hex_string())
            .expect("a's value");
        assert_eq!(by_a.at_ms, Some(1_800_000_000_000));
        assert_eq!(
            shown.children["c1"].school, "Jules-Ferry",
            "no conflict there"
        );
    }

    #[test]
    fn writing_the_field_again_resolves_the_conflict_on_every_copy() {
        let (_, mut a, mut b) = three_copies();
        let adult = sheet(&a, "adults", "a1");
        a.put(&adult, "mobile_phone", "06 11 11 11 11").expect("a");
        b.put(&adult, "mobile_phone", "06 22 22 22 22").expect("b");
        a.merge(&mut b).expect("merge");
        b.merge(&mut a).expect("merge back");
        let c = dossier_conflicts(&mut b).pop().expect("conflict");
        assert_eq!(c.path, "adults/a1/mobile_phone");
        assert_eq!(c.field_label_fr(), "téléphone portable");
        // Keep the value that is not shown: put it again.
        let hidden = c.values.iter().find(|v| !v.current).expect("hidden");
        let Json::String(keep) = &hidden.value else {
            panic!("a string")
        };
        b.put(&adult, "mobile_phone", keep.as_str()).expect("keep");
        assert!(dossier_conflicts(&mut b).is_empty());
        a.merge(&mut b).expect("sync");
        assert!(dossier_conflicts(&mut a).is_empty());
        let shown: Dossier = autosurgeon::hydrate(&a).expect("hydrate");
        assert_eq!(&shown.adults["a1"].mobile_phone, keep);
        // Keeping the value that is shown resolves it too.
        let (_, mut a, mut b) = three_copies();
        let adult = sheet(&a, "adults", "a1");
        a.put(&adult, "email", "a@exemple.fr").expect("a");
        b.put(&adult, "email", "b@exemple.fr").expect("b");
        a.merge(&mut b).expect("merge");
        let c = dossier_conflicts(&mut a).pop().expect("conflict");
        let shown = c.values.iter().find(|v| v.current).expect("current");
        let Json::String(keep) = &shown.value else {
            panic!("a string")
        };
        a.put(&adult, "email", keep.as_str()).expect("keep shown");
        assert!(dossier_conflicts(&mut a).is_empty());
    }

    #[test]
    fn nested_roles_and_whole_values_are_found_too() {
        let (_, mut a, mut b) = three_copies();
        let adult = sheet(&a, "adults", "a1");
        let roles_a = a
            .put_object(&adult, "roles", ObjType::Map)
            .expect("roles a");
        a.put(&roles_a, "billing", true).expect("billing");
        let roles_b = b
            .put_object(&adult, "roles", ObjType::Map)
            .expect("roles b");
        b.put(&roles_b, "emergency_contact", true).expect("urgent");
        a.merge(&mut b).expect("merge");
        let c = dossier_conflicts(&mut a).pop().expect("conflict on roles");
        assert_eq!(c.path, "adults/a1/roles");
        assert_eq!(c.values.len(), 2);
        assert!(
            c.values
                .iter()
                .any(|v| v.value == serde_json::json!({"billing": true}))
        );
        assert_eq!(
            value_fr("roles", &serde_json::json!({"billing": true})),
            "billing : oui"
        );
        assert_eq!(
            value_fr("diet", &Json::from(Diet::SansViande.code())),
            "Sans viande"
        );
        assert_eq!(value_fr("allergies", &serde_json::json!([])), "—");
    }
}
