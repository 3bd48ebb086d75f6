//! Dossier review ("Je valide mes modifications") on the server.
//!
//! A parent's submission arrives through sync like any edit: the server records the version
//! submitted (the heads of the change that wrote `submission`) in `dossier_versions` and writes
//! `review = pending` into the dossier in the same transaction. Staff compare that version with
//! the last approved one (or the dossier as the structure created it) field by field, with the
//! parents who changed each field, then approve or reject it; the answer is written into the
//! dossier like any server decision.

use crate::db::reviews::{self, ActorOwner, NewVersion};
use crate::error::{AppError, AppResult};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, Patch, PatchAction, Prop, ROOT, ReadDoc};
use cartable_domain::conflicts::Author;
use cartable_domain::dossier::{Dossier, QF_CERTIFICATE, Review, ReviewStatus, submission_change};
use cartable_domain::ids::{AccountId, DeviceId, DocumentId, FamilyId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Child fields that carry health or diet data (GDPR art. 9).
const SENSITIVE_CHILD_FIELDS: &[&str] = &[
    "diet",
    "allergies",
    "pai",
    "medical_treatments",
    "doctor",
    "vaccinations_up_to_date",
];

/// Who changed a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldAuthor {
    /// The parent's account, when the change came from a known device.
    pub account_id: Option<String>,
    /// "Alex Famille0", "la structure" or "auteur inconnu".
    pub name: String,
    pub device_name: Option<String>,
    /// When the change was made, by the device's estimate of the server clock (ms since the
    /// Unix epoch); `None` when the change carries no time.
    pub at_ms: Option<i64>,
}

/// One field that differs between two versions of a dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `children/<id>/diet`, `adults/<id>/roles/billing`, or `children/<id>` for a sheet
    /// added or removed.
    pub path: String,
    /// `children` or `adults`.
    pub section: String,
    pub sheet_id: String,
    /// The sheet's first and last names.
    pub sheet_label: String,
    /// `None` when the whole sheet was added or removed.
    pub field: Option<String>,
    /// Value before (null when the sheet did not exist).
    pub old: Value,
    /// Value after (null when the sheet was removed).
    pub new: Value,
    /// Health or diet data.
    pub sensitive: bool,
    pub authors: Vec<FieldAuthor>,
    /// When parents set this field differently offline: every value with who wrote it (the
    /// one in `new` is `current`). Empty when there is no conflict.
    #[serde(default)]
    pub conflicting_values: Vec<ConflictingValue>,
}

/// One of the values two parents wrote concurrently for a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictingValue {
    pub value: Value,
    /// The value in words ("Sans porc", "oui").
    pub label: String,
    pub author: FieldAuthor,
    /// The value the dossier shows until a parent chooses.
    pub current: bool,
}

/// Names the authors of changes from their Automerge actors.
pub struct Authors<'a> {
    pub owners: &'a HashMap<String, ActorOwner>,
    pub server_actor: &'a ActorId,
}

impl Authors<'_> {
    /// The person behind `actor`; `timestamp_s` is the change's time in seconds.
    pub fn author(&self, actor: &ActorId, timestamp_s: i64) -> FieldAuthor {
        let at_ms = (timestamp_s > 0).then(|| timestamp_s.saturating_mul(1000));
        match self.owners.get(&actor.to_hex_string()) {
            Some(o) => FieldAuthor {
                account_id: Some(o.account_id.clone()),
                name: o.display_name.clone(),
                device_name: Some(o.device_name.clone()).filter(|n| !n.is_empty()),
                at_ms,
            },
            None if actor == self.server_actor
                || cartable_reconcile::validate::actors::is_server_actor(actor) =>
            {
                FieldAuthor {
                    account_id: None,
                    name: "la structure".into(),
                    device_name: None,
                    at_ms,
                }
            }
            None => FieldAuthor {
                account_id: None,
                name: "auteur inconnu".into(),
                device_name: None,
                at_ms,
            },
        }
    }
}

/// The dossier as it was at `heads`.
pub fn dossier_at(doc: &mut AutoCommit, heads: &[ChangeHash]) -> AppResult<(Dossier, AutoCommit)> {
    let fork = doc
        .fork_at(heads)
        .map_err(|e| AppError::internal(format!("version du dossier introuvable : {e}")))?;
    let dossier = autosurgeon::hydrate(&fork)
        .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
    Ok((dossier, fork))
}

/// The heads of the dossier as the structure created it: its root changes, leaving out any a
/// device sent (an honest device never creates a document).
pub fn creation_heads(
    doc: &mut AutoCommit,
    device_actors: &HashMap<String, ActorOwner>,
) -> Vec<ChangeHash> {
    doc.get_changes_meta(&[])
        .into_iter()
        .filter(|c| c.deps.is_empty() && !device_actors.contains_key(&c.actor.to_hex_string()))
        .map(|c| c.hash)
        .collect()
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A sheet's fields as `name → value`, nested maps (roles) as `roles/<name>`.
fn flatten(value: Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Value::Object(map) = value {
        for (key, v) in map {
            match v {
                Value::Object(inner) => {
                    for (k, v) in inner {
                        out.insert(format!("{key}/{k}"), v);
                    }
                }
                other => {
                    out.insert(key, other);
                }
            }
        }
    }
    out
}

fn compare_section<T: Serialize>(
    section: &str,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    label: impl Fn(&T) -> String,
    out: &mut Vec<FieldChange>,
) {
    let sensitive = |field: &str| section == "children" && SENSITIVE_CHILD_FIELDS.contains(&field);
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for id in ids {
        let change =
            |field: Option<String>, old: Value, new: Value, sheet_label: String| FieldChange {
                path: match &field {
                    Some(f) => format!("{section}/{id}/{f}"),
                    None => format!("{section}/{id}"),
                },
                section: section.to_string(),
                sheet_id: id.clone(),
                sheet_label,
                sensitive: field.as_deref().map_or(section == "children", sensitive),
                field,
                old,
                new,
                authors: Vec::new(),
                conflicting_values: Vec::new(),
            };
        match (old.get(id), new.get(id)) {
            (None, Some(n)) => out.push(change(None, Value::Null, json(n), label(n))),
            (Some(o), None) => out.push(change(None, json(o), Value::Null, label(o))),
            (Some(o), Some(n)) => {
                let (before, after) = (flatten(json(o)), flatten(json(n)));
                let fields: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
                for f in fields {
                    let (a, b) = (before.get(f), after.get(f));
                    if a != b {
                        out.push(change(
                            Some(f.clone()),
                            a.cloned().unwrap_or(Value::Null),
                            b.cloned().unwrap_or(Value::Null),
                            label(n),
                        ));
                    }
                }
            }
            (None, None) => {}
        }
    }
}

/// Field-by-field differences between two versions of a dossier (authors not filled in).
pub fn field_changes(old: &Dossier, new: &Dossier) -> Vec<FieldChange> {
    let mut out = Vec::new();
    compare_section(
        "children",
        &old.children,
        &new.children,
        |c| {
            format!("{} {}", c.first_name, c.last_name)
                .trim()
                .to_string()
        },
        &mut out,
    );
    compare_section(
        "adults",
        &old.adults,
        &new.adults,
        |a| {
            format!("{} {}", a.first_name, a.last_name)
                .trim()
                .to_string()
        },
        &mut out,
    );
    out
}

/// The path segments a patch touches (the object's path, plus the key for map actions).
fn patch_segments(p: &Patch) -> Vec<String> {
    let mut segs: Vec<String> = p
        .path
        .iter()
        .map(|(_, prop)| match prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        })
        .collect();
    if let PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } = &p.action {
        segs.push(key.clone());
    }
    segs
}

/// True when one path is a prefix of the other.
fn related(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    n > 0 && a[..n] == b[..n]
}

/// Fills in who changed each field: every change between `base` and the heads of `doc` (a
/// fork at the compared version) that touched the field, one entry per person, latest time.
pub fn attribute(
    doc: &mut AutoCommit,
    base: &[ChangeHash],
    changes: &mut [FieldChange],
    authors: &Authors<'_>,
) {
    if changes.is_empty() {
        return;
    }
    let metas: Vec<(ChangeHash, Vec<ChangeHash>, ActorId, i64)> = doc
        .get_changes_meta(base)
        .into_iter()
        .map(|c| (c.hash, c.deps.clone(), c.actor.into_owned(), c.timestamp))
        .collect();
    let targets: Vec<Vec<String>> = changes
        .iter()
        .map(|c| c.path.split('/').map(String::from).collect())
        .collect();
    for (hash, deps, actor, timestamp) in metas {
        let touched: Vec<Vec<String>> = doc
            .diff(&deps, &[hash])
            .iter()
            .map(patch_segments)
            .collect();
        for (change, target) in changes.iter_mut().zip(&targets) {
            if !touched.iter().any(|t| related(t, target)) {
                continue;
            }
            let author = authors.author(&actor, timestamp);
            match change
                .authors
                .iter_mut()
                .find(|a| a.account_id == author.account_id && a.name == author.name)
            {
                Some(known) => known.at_ms = known.at_ms.max(author.at_ms),
                None => change.authors.push(author),
            }
        }
    }
}

/// The value at `path` (`children/<id>/<field...>`) of a dossier, as in its JSON.
fn value_at(dossier: &Dossier, path: &str) -> Value {
    let mut value = json(dossier);
    for segment in path.split('/') {
        value = match value {
            Value::Object(mut map) => map.remove(segment).unwrap_or(Value::Null),
            Value::Array(mut list) => match segment.parse::<usize>() {
                Ok(i) if i < list.len() => list.swap_remove(i),
                _ => Value::Null,
            },
            _ => Value::Null,
        };
    }
    value
}

/// Adds the conflicts of `doc` (a fork at the compared version): every value of a field two
/// parents set differently, with its author, on the field's change (a new entry when the
/// merged value equals the old one). Returns the French notes for the agent.
pub fn attach_conflicts(
    doc: &mut AutoCommit,
    old: &Dossier,
    new: &Dossier,
    changes: &mut Vec<FieldChange>,
    authors: &Authors<'_>,
) -> Vec<String> {
    let mut notes = Vec::new();
    for conflict in cartable_domain::conflicts::dossier_conflicts(doc) {
        // Conflicts inside a list (one allergy) belong to the list's field.
        let depth = if conflict.field.starts_with("roles/") {
            4
        } else {
            3
        };
        let field_path = conflict
            .path
            .split('/')
            .take(depth)
            .collect::<Vec<_>>()
            .join("/");
        let values: Vec<ConflictingValue> = conflict
            .values
            .iter()
            .filter_map(|v| {
                let actor = ActorId::from(hex::decode(&v.actor).ok()?);
                let mut author = authors.author(&actor, 0);
                author.at_ms = v.at_ms;
                Some(ConflictingValue {
                    label: conflict.value_fr(&v.value),
                    value: v.value.clone(),
                    author,
                    current: v.current,
                })
            })
            .collect();
        let sheet_label = |d: &Dossier| -> Option<String> {
            let (first, last) = match conflict.section.as_str() {
                "children" => d
                    .children
                    .get(&conflict.sheet_id)
                    .map(|c| (c.first_name.clone(), c.last_name.clone()))?,
                _ => d
                    .adults
                    .get(&conflict.sheet_id)
                    .map(|a| (a.first_name.clone(), a.last_name.clone()))?,
            };
            Some(format!("{first} {last}").trim().to_string())
        };
        let label = sheet_label(new)
            .or_else(|| sheet_label(old))
            .unwrap_or_default();
        notes.push(format!(
            "{label} — {} : des parents ont saisi des valeurs différentes ({}).",
            conflict.field_label_fr(),
            values
                .iter()
                .map(|v| format!("« {} » par {}", v.label, v.author.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let existing = changes
            .iter_mut()
            .find(|c| c.path == field_path || field_path.starts_with(&format!("{}/", c.path)));
        match existing {
            Some(change) => change.conflicting_values.extend(values),
            None => {
                let field = field_path.splitn(3, '/').nth(2).map(str::to_string);
                changes.push(FieldChange {
                    sensitive: conflict.section == "children"
                        && SENSITIVE_CHILD_FIELDS.contains(&conflict.field_code()),
                    section: conflict.section.clone(),
                    sheet_id: conflict.sheet_id.clone(),
                    sheet_label: label,
                    old: value_at(old, &field_path),
                    new: value_at(new, &field_path),
                    authors: values.iter().map(|v| v.author.clone()).collect(),
                    path: field_path,
                    field,
                    conflicting_values: values,
                });
            }
        }
    }
    notes
}

/// The supporting documents the changes call for: a QF certificate when an adult's quotient
/// familial changed (or a new adult came with one).
pub fn requested_documents(changes: &[FieldChange]) -> Vec<String> {
    let qf_changed = changes.iter().any(|c| {
        c.section == "adults"
            && match c.field.as_deref() {
                Some(f) => f == "quotient_familial",
                None => c.old.is_null() && !c.new["quotient_familial"].is_null(),
            }
    });
    if qf_changed {
        vec![QF_CERTIFICATE.to_string()]
    } else {
        Vec::new()
    }
}

/// Where a sync of a dossier came from.
#[derive(Debug, Clone, Copy)]
pub struct SyncOrigin<'a> {
    pub family_id: &'a FamilyId,
    pub doc_id: &'a DocumentId,
    pub account_id: &'a AccountId,
    pub device_id: &'a DeviceId,
    pub now_ms: i64,
}

/// The actors (hex) of the changes merged since `before`, other than the server's.
pub fn new_actors(doc: &mut AutoCommit, before: &[ChangeHash], server: &ActorId) -> Vec<String> {
    let actors: BTreeSet<String> = doc
        .get_changes_meta(before)
        .into_iter()
        .filter(|c| {
            *c.actor != *server && !cartable_reconcile::validate::actors::is_server_actor(&c.actor)
        })
        .map(|c| c.actor.to_hex_string())
        .collect();
    actors.into_iter().collect()
}

/// After a device's changes to a dossier were merged (and forbidden writes compensated):
/// remember which device sent which actors, and when `submission` changed, record the version
/// submitted and answer `review = pending` in the document.
pub async fn after_sync(
    conn: &mut AnyConnection,
    at: SyncOrigin<'_>,
    doc: &mut AutoCommit,
    submitted: bool,
    actors: &[String],
) -> AppResult<()> {
    reviews::record_actors(conn, actors, at.device_id, at.account_id, at.now_ms).await?;
    publish_authors(conn, at.family_id, doc).await?;
    if !submitted {
        return Ok(());
    }
    let dossier: Dossier = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
    let Some(submission) = dossier
        .submission
        .filter(|s| cartable_domain::ids::is_valid_id(&s.rev))
    else {
        tracing::warn!(doc_id = %at.doc_id, device_id = %at.device_id, "unreadable dossier submission ignored");
        return Ok(());
    };
    let latest = reviews::latest(conn, at.family_id, None).await?;
    if latest.is_some_and(|v| v.rev == submission.rev) {
        // A concurrent submission that lost to one already recorded.
        return Ok(());
    }
    let heads = submission_change(doc).map_or_else(|| doc.get_heads(), |h| vec![h]);
    let owners = reviews::actor_owners(conn, at.family_id).await?;
    let base = match reviews::latest(conn, at.family_id, Some(ReviewStatus::Approved)).await? {
        Some(v) => v.heads,
        None => creation_heads(doc, &owners),
    };
    let (old, _) = dossier_at(doc, &base)?;
    let (new, _) = dossier_at(doc, &heads)?;
    let requested = requested_documents(&field_changes(&old, &new));
    reviews::insert_pending(
        conn,
        &NewVersion {
            family_id: at.family_id,
            doc_id: at.doc_id,
            rev: &submission.rev,
            heads: &heads,
            submitted_by: at.account_id,
            submitted_at_ms: at.now_ms,
            requested_documents: &requested,
        },
    )
    .await?;
    let review = Review {
        status: ReviewStatus::Pending,
        reason: None,
        at_ms: at.now_ms,
        rev: submission.rev,
        requested_documents: requested,
        approved_at_ms: approval_in_force_since(dossier.review.as_ref()),
    };
    write_review(doc, &review)
}

/// Writes into the dossier's server-only `authors` map the parent behind each actor that
/// devices of the family sent and the map does not name yet, so that phones name the parents
/// of a conflict. Nothing is written when every author is already there.
pub async fn publish_authors(
    conn: &mut AnyConnection,
    family_id: &FamilyId,
    doc: &mut AutoCommit,
) -> AppResult<()> {
    let owners = reviews::actor_owners(conn, family_id).await?;
    let published: Dossier = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
    let missing: Vec<(&String, Author)> = owners
        .iter()
        .map(|(actor, o)| {
            let author = Author {
                account_id: o.account_id.clone(),
                name: o.display_name.clone(),
            };
            (actor, author)
        })
        .filter(|(actor, author)| published.authors.get(*actor) != Some(author))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let write = |e: automerge::AutomergeError| {
        AppError::internal(format!("écriture des auteurs du dossier : {e}"))
    };
    let map = match doc.get(ROOT, "authors").map_err(write)? {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => id,
        _ => doc
            .put_object(ROOT, "authors", automerge::ObjType::Map)
            .map_err(write)?,
    };
    for (actor, author) in missing {
        autosurgeon::reconcile_prop(doc, &map, actor.as_str(), &author)
            .map_err(|e| AppError::internal(format!("écriture des auteurs du dossier : {e}")))?;
    }
    Ok(())
}

/// When the approval in force was given, if any (reviews written before `approved_at_ms`
/// existed count their own time).
pub fn approval_in_force_since(review: Option<&Review>) -> Option<i64> {
    review.and_then(|r| {
        r.approved_at_ms
            .or((r.status == ReviewStatus::Approved).then_some(r.at_ms))
    })
}

/// Writes `review` into the dossier (as the server's actor).
pub fn write_review(doc: &mut AutoCommit, review: &Review) -> AppResult<()> {
    autosurgeon::reconcile_prop(doc, ROOT, "review", review)
        .map_err(|e| AppError::internal(format!("écriture de la revue du dossier : {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::dossier::{AdultSheet, ChildSheet, Diet};

    fn dossier() -> Dossier {
        let mut d = Dossier::default();
        d.children.insert(
            "c1".into(),
            ChildSheet {
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                ..Default::default()
            },
        );
        d.adults.insert(
            "a1".into(),
            AdultSheet {
                first_name: "Camille".into(),
                quotient_familial: Some(700),
                ..Default::default()
            },
        );
        d
    }

    #[test]
    fn field_changes_name_each_field_and_flag_health_data() {
        let old = dossier();
        let mut new = old.clone();
        if let Some(c) = new.children.get_mut("c1") {
            c.diet = Diet::SansPorc;
            c.school = "École Jean Jaurès".into();
        }
        if let Some(a) = new.adults.get_mut("a1") {
            a.roles.billing = true;
        }
        new.children.insert("c2".into(), ChildSheet::default());
        let changes = field_changes(&old, &new);
        let paths: Vec<(&str, bool)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.sensitive))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("children/c1/diet", true),
                ("children/c1/school", false),
                ("children/c2", true),
                ("adults/a1/roles/billing", false),
            ]
        );
        assert_eq!(changes[0].old, Value::from("standard"));
        assert_eq!(changes[0].new, Value::from("sans_porc"));
        assert_eq!(changes[0].sheet_label, "Léa Martin");
        assert!(requested_documents(&changes).is_empty());
    }

    #[test]
    fn a_changed_or_new_quotient_familial_asks_for_a_certificate() {
        let old = dossier();
        let mut new = old.clone();
        if let Some(a) = new.adults.get_mut("a1") {
            a.quotient_familial = Some(650);
        }
        assert_eq!(
            requested_documents(&field_changes(&old, &new)),
            vec![QF_CERTIFICATE.to_string()]
        );
        let mut new = old.clone();
        new.adults.insert(
            "a2".into(),
            AdultSheet {
                quotient_familial: Some(900),
                ..Default::default()
            },
        );
        assert_eq!(requested_documents(&field_changes(&old, &new)).len(), 1);
        let mut new = old.clone();
        new.adults.insert("a3".into(), AdultSheet::default());
        assert!(requested_documents(&field_changes(&old, &new)).is_empty());
    }

    #[test]
    fn paths_relate_when_one_contains_the_other() {
        let p = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
        assert!(related(&p("children/c1"), &p("children/c1/diet")));
        assert!(related(
            &p("children/c1/allergies/0"),
            &p("children/c1/allergies")
        ));
        assert!(!related(&p("children/c1/doctor"), &p("children/c1/diet")));
        assert!(!related(&p("submission"), &p("children/c1/diet")));
    }
}
