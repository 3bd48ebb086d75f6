//! Two parents editing the same dossier field offline: the conflict is shown, with both
//! values and who wrote each, until a parent settles it.

use super::Family;
use super::fake_server::{CAMILLE, LEA};
use crate::SheetKind;
use crate::domain::dossier::Diet;

/// Two devices that set Léa's diet differently while offline, then synced one after the
/// other (the first to sync does not see the conflict until its next sync).
fn conflicting_diets(
    family: &Family,
    a: &std::path::Path,
    b: &std::path::Path,
) -> (crate::Client, crate::Client) {
    let phone = family.device(a, "Pixel");
    let tablet = family.device(b, "Tablette");
    phone
        .set_child_field(LEA, "diet", "sans porc")
        .expect("phone");
    tablet
        .set_child_field(LEA, "diet", "végétarien")
        .expect("tablet");
    phone.sync().expect("phone syncs");
    tablet.sync().expect("tablet syncs");
    phone.sync().expect("phone syncs again");
    (phone, tablet)
}

#[test]
fn a_field_set_differently_on_two_devices_shows_both_values_until_kept() {
    let family = Family::new();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (phone, tablet) = conflicting_diets(&family, a.path(), b.path());

    for device in [&phone, &tablet] {
        let conflicts = device.dossier_conflicts().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
        let c = &conflicts[0];
        assert_eq!(c.sheet_kind, SheetKind::Child);
        assert_eq!(c.sheet_id, LEA);
        assert_eq!(c.sheet_name, "Léa Martin");
        assert_eq!(c.field, "diet");
        assert_eq!(c.field_label, "régime alimentaire");
        let mut labels: Vec<&str> = c.values.iter().map(|v| v.label.as_str()).collect();
        labels.sort_unstable();
        assert_eq!(labels, ["Sans porc", "Végétarien"]);
        assert_eq!(c.values.iter().filter(|v| v.current).count(), 1);
        assert_eq!(c.values.iter().filter(|v| v.by_this_device).count(), 1);
        // Both are named: this device's parent, and the other device's as the server said.
        assert!(
            c.values.iter().all(|v| v.author_name == "Camille Martin"),
            "{c:#?}"
        );
        // The merged value is kept as before: both devices show the same one.
        let shown = c.values.iter().find(|v| v.current).expect("current");
        let diet = device.dossier().expect("dossier").children[LEA].diet;
        assert_eq!(diet.label(), shown.label);
    }

    // The tablet's parent keeps the phone's value: settled on both devices after sync.
    let conflict = tablet.dossier_conflicts().expect("conflicts").remove(0);
    let phones = conflict
        .values
        .iter()
        .find(|v| !v.by_this_device)
        .expect("the phone's value");
    tablet
        .keep_dossier_value(&conflict.path, &phones.id)
        .expect("keep");
    assert!(tablet.dossier_conflicts().expect("none").is_empty());
    assert_eq!(
        tablet.dossier().expect("dossier").children[LEA].diet,
        Diet::SansPorc
    );
    tablet.sync().expect("tablet sends");
    phone.sync().expect("phone receives");
    assert!(phone.dossier_conflicts().expect("none").is_empty());
    assert_eq!(
        phone.dossier().expect("dossier").children[LEA].diet,
        Diet::SansPorc
    );
    assert_eq!(family.server.dossier().children[LEA].diet, Diet::SansPorc);
}

#[test]
fn writing_the_field_again_settles_the_conflict_and_keeping_twice_is_harmless() {
    let family = Family::new();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (phone, tablet) = conflicting_diets(&family, a.path(), b.path());
    let conflict = phone.dossier_conflicts().expect("conflicts").remove(0);

    phone
        .set_child_field(LEA, "diet", "sans gluten")
        .expect("a new value");
    assert!(phone.dossier_conflicts().expect("none").is_empty());
    phone.sync().expect("phone sends");
    tablet.sync().expect("tablet receives");
    assert!(tablet.dossier_conflicts().expect("none").is_empty());
    assert_eq!(
        tablet.dossier().expect("dossier").children[LEA].diet,
        Diet::SansGluten
    );

    // A stale "keep" (the conflict was settled meanwhile) changes nothing.
    tablet
        .keep_dossier_value(&conflict.path, &conflict.values[0].id)
        .expect("nothing to do");
    assert_eq!(
        tablet.dossier().expect("dossier").children[LEA].diet,
        Diet::SansGluten
    );
    let err = tablet
        .keep_dossier_value("review/status", "1@00")
        .expect_err("not a sheet field");
    assert!(err.to_string().contains("n'est pas un champ"), "{err}");
}

#[test]
fn keeping_the_value_already_shown_settles_the_conflict_too() {
    let family = Family::new();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let phone = family.device(a.path(), "Pixel");
    let tablet = family.device(b.path(), "Tablette");
    phone
        .set_adult_field(CAMILLE, "mobile_phone", "06 11 11 11 11")
        .expect("phone");
    tablet
        .set_adult_field(CAMILLE, "mobile_phone", "06 22 22 22 22")
        .expect("tablet");
    phone.sync().expect("phone");
    tablet.sync().expect("tablet");
    let conflict = tablet.dossier_conflicts().expect("conflict").remove(0);
    assert_eq!(conflict.sheet_kind, SheetKind::Adult);
    assert_eq!(conflict.field_label, "téléphone portable");
    let shown = conflict.values.iter().find(|v| v.current).expect("current");
    tablet
        .keep_dossier_value(&conflict.path, &shown.id)
        .expect("keep the shown value");
    assert!(tablet.dossier_conflicts().expect("none").is_empty());
    tablet.sync().expect("tablet");
    phone.sync().expect("phone");
    assert!(phone.dossier_conflicts().expect("none").is_empty());
    assert_eq!(
        phone.dossier().expect("dossier").adults[CAMILLE].mobile_phone,
        shown.label
    );
}
