//! Checking what a merge made visible against the document's [`schema`](super::schema).
//!
//! Only the patches of the incoming changes are walked (the diff between the heads before
//! and after the merge), never the whole document: a booking costs the check of one cell.
//! Each patch's path leads through the schema to the shape of the object it changes, and
//! the value it writes must fit the field's shape; values that lost a concurrent write
//! (conflicts) are checked too, since a parent's phone may show them.
//!
//! Structural rules on top of the shapes: the root maps the server created (sheets,
//! requests, decisions...) are never replaced or deleted by a device; fields of a record are
//! never deleted (a missing field may make the whole document unreadable); no Automerge Text,
//! counter or table appears anywhere; strings, lists and maps keep to the [`Limits`].

use super::limits::Limits;
use super::refusal::{Refusal, RefusalKind};
use super::schema::{self, Shape};
use automerge::{ObjId, ObjType, Patch, PatchAction, Prop, ReadDoc, ScalarValue, Value};
use cartable_domain::DocKind;
use std::collections::BTreeSet;

/// Who sent the changes and within which limits.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub kind: DocKind,
    /// Account id of the sending device's parent: the `by` of what it writes.
    pub author: &'a str,
    pub limits: &'a Limits,
}

/// Checks every patch of a merge. `doc` is the document after the merge.
pub fn check<D: ReadDoc>(doc: &D, ctx: &Context<'_>, patches: &[Patch]) -> Result<(), Refusal> {
    let Some(root) = schema::root(ctx.kind) else {
        return match patches.first() {
            None => Ok(()),
            Some(_) => Err(read_only()),
        };
    };
    let mut walk = Walk {
        doc,
        ctx,
        grown_lists: BTreeSet::new(),
        grown_maps: BTreeSet::new(),
        new_records: Vec::new(),
    };
    for patch in patches {
        walk.patch(root, patch)?;
    }
    walk.finish()
}

/// The refusal of any write to a read-only document.
pub fn read_only() -> Refusal {
    Refusal::new(
        RefusalKind::ReadOnly,
        "Modification refusée : ce document est en lecture seule pour les familles",
    )
}

struct Walk<'a, D> {
    doc: &'a D,
    ctx: &'a Context<'a>,
    /// Lists that received items, with their path.
    grown_lists: BTreeSet<(ObjId, String)>,
    /// Maps keyed by ids that received keys, with their path.
    grown_maps: BTreeSet<(ObjId, String)>,
    /// Records created by the merge whose required fields must be there.
    new_records: Vec<(ObjId, &'static [schema::Field], String)>,
}

/// `children/abc/first_name`, for messages.
fn render(path: &[(ObjId, Prop)], last: Option<&Prop>) -> String {
    let mut out = String::new();
    for prop in path.iter().map(|(_, p)| p).chain(last) {
        if !out.is_empty() {
            out.push('/');
        }
        match prop {
            Prop::Map(k) => out.extend(k.chars().take(80)),
            Prop::Seq(i) => out.push_str(&i.to_string()),
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

impl<'a, D: ReadDoc> Walk<'a, D> {
    fn patch(&mut self, root: &'static Shape, patch: &Patch) -> Result<(), Refusal> {
        let Some(container) = resolve(root, &patch.path)? else {
            return Ok(());
        };
        let at_root = patch.path.is_empty();
        let here = |prop: Option<&Prop>| render(&patch.path, prop);
        match &patch.action {
            PatchAction::PutMap {
                key,
                value,
                conflict,
            } => {
                let prop = Prop::Map(key.clone());
                let path = || here(Some(&prop));
                let shape = self.map_field(container, key, &path)?;
                if at_root && is_object(&value.0) && !matches!(shape, Shape::Optional(_)) {
                    return Err(Refusal::invalid(
                        &path(),
                        "une section du document créée par la structure ne peut pas être remplacée",
                    ));
                }
                self.value(shape, &value.0, &value.1, &path)?;
                if *conflict {
                    self.conflicts(shape, &patch.obj, prop.clone(), &path)?;
                }
                if matches!(container, Shape::Dict(..)) {
                    self.grown_maps.insert((patch.obj.clone(), here(None)));
                }
            }
            PatchAction::PutSeq {
                index,
                value,
                conflict,
            } => {
                let prop = Prop::Seq(*index);
                let path = || here(Some(&prop));
                let item = list_item(container, &path)?;
                self.value(item, &value.0, &value.1, &path)?;
                if *conflict {
                    self.conflicts(item, &patch.obj, prop.clone(), &path)?;
                }
            }
            PatchAction::Insert { index, values } => {
                let prop = Prop::Seq(*index);
                let path = || here(Some(&prop));
                let item = list_item(container, &path)?;
                for (value, id, _) in values.iter() {
                    self.value(item, value, id, &path)?;
                }
                self.grown_lists.insert((patch.obj.clone(), here(None)));
            }
            PatchAction::DeleteMap { key } => {
                let path = || here(Some(&Prop::Map(key.clone())));
                if at_root {
                    return Err(Refusal::invalid(
                        &path(),
                        "une section du document ne peut pas être supprimée",
                    ));
                }
                match container {
                    Shape::Dict(..) => {}
                    _ => {
                        return Err(Refusal::invalid(
                            &path(),
                            "un champ ne peut pas être supprimé (écrivez une valeur vide)",
                        ));
                    }
                }
            }
            PatchAction::DeleteSeq { .. } => {
                list_item(container, &|| here(None))?;
            }
            PatchAction::Conflict { prop } => {
                let path = || here(Some(prop));
                let shape = match prop {
                    Prop::Map(key) => self.map_field(container, key, &path)?,
                    Prop::Seq(_) => list_item(container, &path)?,
                };
                self.conflicts(shape, &patch.obj, prop.clone(), &path)?;
            }
            PatchAction::Increment { prop, .. } => {
                return Err(Refusal::invalid(
                    &here(Some(prop)),
                    "un compteur n'est pas attendu ici",
                ));
            }
            PatchAction::SpliceText { .. } | PatchAction::Mark { .. } => {
                return Err(Refusal::invalid(&here(None), TEXT_REFUSED));
            }
        }
        Ok(())
    }

    /// The shape of field `key` of a map whose shape is `container`.
    fn map_field(
        &self,
        container: &'static Shape,
        key: &str,
        path: &dyn Fn() -> String,
    ) -> Result<&'static Shape, Refusal> {
        if key.len() > self.ctx.limits.max_string_bytes {
            return Err(Refusal::too_large(format!(
                "clé de plus de {} octets",
                self.ctx.limits.max_string_bytes
            )));
        }
        match container {
            Shape::Record(_) => container
                .field(key)
                .map(|f| f.shape)
                .ok_or_else(|| Refusal::invalid(&path(), "champ inconnu")),
            Shape::Dict(kind, value) if kind.accepts(key) => Ok(value),
            Shape::Dict(kind, _) => Err(Refusal::invalid(
                &path(),
                format!("{} attendu comme clé", kind.expected()),
            )),
            _ => Err(Refusal::invalid(&path(), "structure inattendue")),
        }
    }

    /// Checks one value written at a field of shape `shape`.
    fn value(
        &mut self,
        shape: &'static Shape,
        value: &Value<'_>,
        id: &ObjId,
        path: &dyn Fn() -> String,
    ) -> Result<(), Refusal> {
        if let Value::Scalar(s) = value
            && let ScalarValue::Str(text) = s.as_ref()
            && text.len() > self.ctx.limits.max_string_bytes
        {
            return Err(Refusal::too_large(format!(
                "« {} » dépasse {} octets",
                path(),
                self.ctx.limits.max_string_bytes
            )));
        }
        let inner = match (shape, value) {
            (Shape::Optional(_), Value::Scalar(s)) if matches!(s.as_ref(), ScalarValue::Null) => {
                return Ok(());
            }
            (Shape::Optional(inner), _) => *inner,
            (other, _) => other,
        };
        let wrong = |what: &str| Err(Refusal::invalid(&path(), what));
        match (inner, value) {
            (Shape::ServerOnly, _) => Ok(()),
            (_, Value::Object(ObjType::Text)) => wrong(TEXT_REFUSED),
            (_, Value::Object(ObjType::Table)) => wrong("une table Automerge n'est pas acceptée"),
            (Shape::Scalar(check), Value::Scalar(s)) => {
                if (check.accepts)(s.as_ref()) {
                    Ok(())
                } else {
                    wrong(&format!("{} attendu", check.expected))
                }
            }
            (Shape::Author, Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Str(by) if by.as_str() == self.ctx.author => Ok(()),
                _ => wrong("une valeur écrite au nom d'un autre compte"),
            },
            (Shape::Cell(json, _), Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Str(text) => {
                    (json.check)(text, self.ctx.author).or_else(|reason| wrong(&reason))
                }
                _ => wrong(&format!("{} attendue", json.expected)),
            },
            (Shape::Record(fields), Value::Object(ObjType::Map)) => {
                if fields.iter().any(|f| f.required) {
                    self.new_records.push((id.clone(), fields, path()));
                }
                Ok(())
            }
            (Shape::Cell(_, Shape::Record(fields)), Value::Object(ObjType::Map)) => {
                self.new_records.push((id.clone(), fields, path()));
                Ok(())
            }
            (Shape::Dict(..), Value::Object(ObjType::Map))
            | (Shape::List(_), Value::Object(ObjType::List)) => Ok(()),
            (Shape::Record(_) | Shape::Dict(..) | Shape::Cell(..), _) => {
                wrong("un objet (map) attendu")
            }
            (Shape::List(_), _) => wrong("une liste attendue"),
            (_, Value::Object(_)) => wrong("une valeur simple attendue, pas un objet"),
            (Shape::Optional(_), _) => wrong("valeur inattendue"),
        }
    }

    /// Checks every value of a conflicted property, not only the winner.
    fn conflicts(
        &mut self,
        shape: &'static Shape,
        obj: &ObjId,
        prop: Prop,
        path: &dyn Fn() -> String,
    ) -> Result<(), Refusal> {
        let values = self
            .doc
            .get_all(obj, prop)
            .map_err(|e| Refusal::invalid(&path(), e))?;
        for (value, id) in values {
            self.value(shape, &value, &id, path)?;
        }
        Ok(())
    }

    /// Size limits and required fields, once every patch was seen.
    fn finish(self) -> Result<(), Refusal> {
        let limits = self.ctx.limits;
        for (list, path) in &self.grown_lists {
            if self.doc.length(list) > limits.max_list_items {
                return Err(Refusal::too_large(format!(
                    "la liste « {path} » dépasse {} éléments",
                    limits.max_list_items
                )));
            }
        }
        for (map, path) in &self.grown_maps {
            if self.doc.length(map) > limits.max_map_keys {
                return Err(Refusal::too_large(format!(
                    "« {path} » dépasse {} entrées",
                    limits.max_map_keys
                )));
            }
        }
        for (record, fields, path) in &self.new_records {
            for f in fields.iter().filter(|f| f.required) {
                if matches!(self.doc.get(record, f.name), Ok(None)) {
                    return Err(Refusal::invalid(
                        path,
                        format!("champ obligatoire « {} » manquant", f.name),
                    ));
                }
            }
        }
        Ok(())
    }
}

const TEXT_REFUSED: &str =
    "un texte Automerge (Text) n'est pas accepté : écrivez une chaîne simple";

fn is_object(value: &Value<'_>) -> bool {
    matches!(value, Value::Object(_))
}

/// The shape of the object at the end of `path`; `None` under a server-only field.
fn resolve(
    root: &'static Shape,
    path: &[(ObjId, Prop)],
) -> Result<Option<&'static Shape>, Refusal> {
    let mut shape = root;
    for (i, (_, prop)) in path.iter().enumerate() {
        let container = container_of(shape);
        shape = match (container, prop) {
            (Shape::ServerOnly, _) => return Ok(None),
            (Shape::Record(_), Prop::Map(key)) => match container.field(key) {
                Some(f) => f.shape,
                None => {
                    return Err(Refusal::invalid(
                        &render(&path[..=i], None),
                        "champ inconnu",
                    ));
                }
            },
            (Shape::Dict(_, value), Prop::Map(_)) => value,
            (Shape::List(item), Prop::Seq(_)) => item,
            _ => {
                return Err(Refusal::invalid(
                    &render(&path[..=i], None),
                    "structure inattendue",
                ));
            }
        };
    }
    Ok(match container_of(shape) {
        Shape::ServerOnly => None,
        other => Some(other),
    })
}

/// The shape of an object holding a value of `shape` (a cell's map form, an optional's
/// inner record).
fn container_of(shape: &'static Shape) -> &'static Shape {
    match shape {
        Shape::Optional(inner) => container_of(inner),
        Shape::Cell(_, fields) => fields,
        other => other,
    }
}

fn list_item(
    container: &'static Shape,
    path: &dyn Fn() -> String,
) -> Result<&'static Shape, Refusal> {
    match container {
        Shape::List(item) => Ok(item),
        _ => Err(Refusal::invalid(
            &path(),
            "une liste n'est pas attendue ici",
        )),
    }
}
