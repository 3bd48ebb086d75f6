//! Finding a child, an adult or an activity from what a parent typed: a first name with or
//! without accents ("lea" for Léa), a full name, an activity's label or id. Several matches are
//! an error that lists the choices, so the parent can say which one.

use crate::error::{Error, Result};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::words::{list_fr, matches};
use std::collections::BTreeMap;

/// The ids matching `wanted` among `(id, name)` candidates, one entry per id, in order.
fn find<'a>(wanted: &str, candidates: &[(&'a str, String)]) -> Vec<&'a str> {
    let pairs = candidates.iter().map(|(id, name)| (*id, name.as_str()));
    let found: Vec<String> = matches(wanted, pairs)
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect();
    let mut ids: Vec<&'a str> = Vec::new();
    for (id, _) in candidates {
        if found.iter().any(|f| f == id) && !ids.contains(id) {
            ids.push(id);
        }
    }
    ids
}

fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_string()
}

/// The child `wanted` names: an id, a first name or a full name, accents and case ignored.
pub fn resolve_child(dossier: &Dossier, wanted: &str) -> Result<String> {
    let mut candidates: Vec<(&str, String)> = Vec::new();
    for (id, c) in &dossier.children {
        candidates.push((id, full_name(&c.first_name, &c.last_name)));
        candidates.push((id, c.first_name.trim().to_string()));
    }
    let label = |id: &str| {
        let Some(c) = dossier.children.get(id) else {
            return id.to_string();
        };
        let name = full_name(&c.first_name, &c.last_name);
        let twins = dossier
            .children
            .values()
            .filter(|o| full_name(&o.first_name, &o.last_name) == name)
            .count()
            > 1;
        match cartable_domain::words::parse_date(&c.birth_date) {
            Ok(born) if twins => format!("{name}, né(e) le {}", crate::planning::fr_date(born)),
            _ if twins => format!("{name} ({id})"),
            _ => name,
        }
    };
    match find(wanted, &candidates).as_slice() {
        [one] => Ok((*one).to_string()),
        [] => {
            let known: Vec<String> = sorted_labels(dossier.children.keys(), label);
            Err(Error::invalid(if known.is_empty() {
                format!(
                    "aucun enfant « {} » : le dossier n'a pas encore d'enfant",
                    wanted.trim()
                )
            } else {
                format!(
                    "aucun enfant « {} » dans le dossier (enfants : {})",
                    wanted.trim(),
                    list_fr(&known)
                )
            }))
        }
        many => Err(Error::invalid(format!(
            "plusieurs enfants correspondent à « {} » : {} ; précisez le prénom et le nom",
            wanted.trim(),
            list_fr(&sorted_labels(many.iter().copied(), label))
        ))),
    }
}

/// The adult `wanted` names: an id, a first name, a last name or a full name.
pub fn resolve_adult(dossier: &Dossier, wanted: &str) -> Result<String> {
    let mut candidates: Vec<(&str, String)> = Vec::new();
    for (id, a) in &dossier.adults {
        candidates.push((id, full_name(&a.first_name, &a.last_name)));
        candidates.push((id, full_name(&a.last_name, &a.first_name)));
        candidates.push((id, a.first_name.trim().to_string()));
        candidates.push((id, a.last_name.trim().to_string()));
    }
    let label = |id: &str| {
        dossier
            .adults
            .get(id)
            .map(|a| full_name(&a.first_name, &a.last_name))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.to_string())
    };
    match find(wanted, &candidates).as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(Error::invalid(format!(
            "aucun adulte « {} » dans le dossier (adultes : {})",
            wanted.trim(),
            list_fr(&sorted_labels(dossier.adults.keys(), label))
        ))),
        many => Err(Error::invalid(format!(
            "plusieurs adultes correspondent à « {} » : {} ; précisez le prénom et le nom",
            wanted.trim(),
            list_fr(&sorted_labels(many.iter().copied(), label))
        ))),
    }
}

/// The activity `wanted` names: its id ("cantine") or its label ("Restauration scolaire"),
/// or a word of it ("restauration").
pub fn resolve_activity(catalogue: &Catalogue, wanted: &str) -> Result<String> {
    let candidates: Vec<(&str, String)> = catalogue
        .activities
        .iter()
        .map(|(id, a)| (id.as_str(), a.name.clone()))
        .collect();
    let label = |id: &str| {
        catalogue
            .activities
            .get(id)
            .map(|a| format!("{} ({id})", a.name))
            .unwrap_or_else(|| id.to_string())
    };
    match find(wanted, &candidates).as_slice() {
        [one] => Ok((*one).to_string()),
        [] if catalogue.activities.is_empty() => Err(Error::NotDownloaded("le catalogue".into())),
        [] => Err(Error::invalid(format!(
            "aucune activité « {} » (activités : {})",
            wanted.trim(),
            list_fr(&sorted_labels(catalogue.activities.keys(), label))
        ))),
        many => Err(Error::invalid(format!(
            "plusieurs activités correspondent à « {} » : {} ; précisez",
            wanted.trim(),
            list_fr(&sorted_labels(many.iter().copied(), label))
        ))),
    }
}

/// Labels of `ids`, in alphabetical order of the label (accents folded), without repeats.
fn sorted_labels<'a, S: AsRef<str> + 'a>(
    ids: impl IntoIterator<Item = S>,
    label: impl Fn(&str) -> String,
) -> Vec<String> {
    let by_key: BTreeMap<String, String> = ids
        .into_iter()
        .map(|id| {
            let l = label(id.as_ref());
            (cartable_domain::words::fold(&l), l)
        })
        .collect();
    by_key.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::catalogue::{Activity, ActivityKind};
    use cartable_domain::dossier::{AdultSheet, ChildSheet};

    fn dossier() -> Dossier {
        let mut d = Dossier::default();
        let child = |first: &str, last: &str, born: &str| ChildSheet {
            first_name: first.into(),
            last_name: last.into(),
            birth_date: born.into(),
            ..Default::default()
        };
        d.children
            .insert("c1".into(), child("Léa", "Martin", "2017-03-14"));
        d.children
            .insert("c2".into(), child("Inès", "Martin", "2019-10-02"));
        d.children
            .insert("c3".into(), child("Léa", "Durand", "2018-01-05"));
        d.adults.insert(
            "a1".into(),
            AdultSheet {
                first_name: "Camille".into(),
                last_name: "Martin".into(),
                ..Default::default()
            },
        );
        d.adults.insert(
            "a2".into(),
            AdultSheet {
                first_name: "Julien".into(),
                last_name: "Martin".into(),
                ..Default::default()
            },
        );
        d
    }

    #[test]
    fn children_are_found_by_first_name_with_or_without_accents() {
        let d = dossier();
        assert_eq!(resolve_child(&d, "ines").expect("no accent"), "c2");
        assert_eq!(resolve_child(&d, "INÈS").expect("upper case"), "c2");
        assert_eq!(resolve_child(&d, "c3").expect("id"), "c3");
        assert_eq!(resolve_child(&d, "lea durand").expect("full name"), "c3");
        let err = resolve_child(&d, "lea").expect_err("two Léa").to_string();
        assert_eq!(
            err,
            "plusieurs enfants correspondent à « lea » : Léa Durand et Léa Martin ; \
             précisez le prénom et le nom"
        );
        let err = resolve_child(&d, "Zoé").expect_err("unknown").to_string();
        assert!(
            err.contains("aucun enfant « Zoé »") && err.contains("Inès Martin"),
            "{err}"
        );
    }

    #[test]
    fn adults_are_found_by_name() {
        let d = dossier();
        assert_eq!(resolve_adult(&d, "camille").expect("first name"), "a1");
        assert_eq!(resolve_adult(&d, "Martin Julien").expect("reversed"), "a2");
        let err = resolve_adult(&d, "martin")
            .expect_err("two Martin")
            .to_string();
        assert!(err.contains("Camille Martin et Julien Martin"), "{err}");
    }

    #[test]
    fn activities_are_found_by_label_or_id() {
        let mut c = Catalogue::default();
        for (id, name) in [
            ("cantine", "Restauration scolaire"),
            ("garderie-matin", "Garderie du matin"),
            ("garderie-soir", "Garderie du soir"),
        ] {
            c.activities.insert(
                id.into(),
                Activity::simple(name, ActivityKind::Canteen, vec![1]),
            );
        }
        assert_eq!(resolve_activity(&c, "cantine").expect("id"), "cantine");
        assert_eq!(
            resolve_activity(&c, "restauration scolaire").expect("label"),
            "cantine"
        );
        assert_eq!(
            resolve_activity(&c, "garderie du soir").expect("label"),
            "garderie-soir"
        );
        let err = resolve_activity(&c, "garderie")
            .expect_err("two")
            .to_string();
        assert!(
            err.contains("Garderie du matin (garderie-matin) et Garderie du soir (garderie-soir)"),
            "{err}"
        );
        assert!(matches!(
            resolve_activity(&Catalogue::default(), "cantine"),
            Err(Error::NotDownloaded(_))
        ));
    }
}
