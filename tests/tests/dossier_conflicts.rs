//! Two parents set the same dossier field differently offline: the merged value is kept, both
//! phones show the conflict with both values and who wrote each, staff see both values in the
//! review, and once a parent keeps one value the conflict is gone everywhere.

use cartable_core::{DossierConflict, SheetKind};
use cartable_domain::dossier::Diet;
use cartable_tests::family::{signed_in, staff_token};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use serde_json::Value;

fn staff_view(server: &TestServer, token: &str, family_id: &str) -> Value {
    let (status, view) = staff::send(
        &server.url,
        "GET",
        &format!("/api/v1/staff/dossiers/{family_id}"),
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{view}");
    view
}

fn change<'a>(view: &'a Value, path: &str) -> &'a Value {
    view["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["path"] == path))
        .unwrap_or_else(|| panic!("no change at {path}: {:#}", view["changes"]))
}

/// (label, author) of each value, sorted.
fn values(conflict: &DossierConflict) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = conflict
        .values
        .iter()
        .map(|v| (v.label.clone(), v.author_name.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_field_two_parents_set_differently_is_shown_on_both_phones_and_to_staff_until_kept() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let lea = &family.children[0].0;
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let a = signed_in(server, family, 0, &phone_a);
        let b = signed_in(server, family, 1, &phone_b);

        // Both offline, the same field of Léa's sheet.
        a.set_child_field(lea, "diet", "sans porc").expect("Alex");
        b.set_child_field(lea, "diet", "végétarien").expect("Sam");
        a.sync().expect("a syncs");
        b.sync().expect("b syncs");
        a.sync().expect("a catches up");

        let expected = vec![
            ("Sans porc".to_string(), "Alex Famille0".to_string()),
            ("Végétarien".to_string(), "Sam Famille0".to_string()),
        ];
        let shown = a.dossier().expect("dossier").children[lea].diet;
        for (phone, own) in [(&a, "Sans porc"), (&b, "Végétarien")] {
            let conflicts = phone.dossier_conflicts().expect("conflicts");
            assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
            let c = &conflicts[0];
            assert_eq!(c.path, format!("children/{lea}/diet"));
            assert_eq!(c.sheet_kind, SheetKind::Child);
            assert_eq!(c.field_label, "régime alimentaire");
            assert_eq!(values(c), expected, "both values, named");
            let mine = c.values.iter().find(|v| v.by_this_device).expect("mine");
            assert_eq!(mine.label, own);
            assert!(c.values.iter().all(|v| v.at_ms.is_some()), "{c:#?}");
            // The merged value is kept as before, the same on both phones.
            assert_eq!(phone.dossier().expect("dossier").children[lea].diet, shown);
            let current = c.values.iter().find(|v| v.current).expect("current");
            assert_eq!(current.label, shown.label());
        }

        // Staff see both values with their authors.
        let token = staff_token(server, &seed);
        let view = staff_view(server, &token, &family.family_id);
        let diet = change(&view, &format!("children/{lea}/diet"));
        let mut both: Vec<(String, String, bool)> = diet["conflicting_values"]
            .as_array()
            .expect("conflicting values")
            .iter()
            .map(|v| {
                (
                    v["label"].as_str().unwrap_or_default().to_string(),
                    v["author"]["name"].as_str().unwrap_or_default().to_string(),
                    v["current"].as_bool().unwrap_or_default(),
                )
            })
            .collect();
        both.sort();
        assert_eq!(both.len(), 2, "{diet:#}");
        assert_eq!(
            (both[0].0.as_str(), both[0].1.as_str()),
            ("Sans porc", "Alex Famille0")
        );
        assert_eq!(
            (both[1].0.as_str(), both[1].1.as_str()),
            ("Végétarien", "Sam Famille0")
        );
        assert_eq!(both.iter().filter(|v| v.2).count(), 1);
        let notices = view["notices"].to_string();
        assert!(notices.contains("valeurs différentes"), "{notices}");

        // Sam keeps Alex's value: settled on both phones and for staff.
        let conflict = b.dossier_conflicts().expect("conflicts").remove(0);
        let alex = conflict
            .values
            .iter()
            .find(|v| v.author_name == "Alex Famille0")
            .expect("Alex's value");
        b.keep_dossier_value(&conflict.path, &alex.id)
            .expect("garder cette valeur");
        assert!(b.dossier_conflicts().expect("none").is_empty());
        b.sync().expect("b sends");
        a.sync().expect("a receives");
        for phone in [&a, &b] {
            assert!(phone.dossier_conflicts().expect("none").is_empty());
            assert_eq!(
                phone.dossier().expect("dossier").children[lea].diet,
                Diet::SansPorc
            );
        }
        let view = staff_view(server, &token, &family.family_id);
        let diet = change(&view, &format!("children/{lea}/diet"));
        assert_eq!(diet["new"], "sans_porc");
        assert_eq!(
            diet["conflicting_values"],
            serde_json::json!([]),
            "{diet:#}"
        );
    });
}
