//! `cartable dossier ...`: show, edit and submit the family dossier.

use crate::cli::DossierCommand;
use crate::{Output, render, to_json};
use cartable_core::domain::dossier::{AdultField, ChildField};
use cartable_core::domain::words::fold;
use cartable_core::{Client, Error, resolve_adult, resolve_child};
use serde_json::json;

pub fn run(client: &Client, action: DossierCommand) -> Result<Output, Error> {
    match action {
        DossierCommand::Show => {
            let d = client.dossier()?;
            let review = client.dossier_review()?;
            let conflicts = client.dossier_conflicts()?;
            Ok(Output::new(
                render::dossier(&d, review.as_ref(), &conflicts),
                json!({
                    "dossier": to_json(&d),
                    "review": to_json(&review),
                    "conflicts": to_json(&conflicts),
                }),
            ))
        }
        DossierCommand::Keep {
            sheet,
            name,
            field,
            value,
        } => keep(client, &sheet, &name, &field, &value),
        DossierCommand::Submit => {
            client.submit_dossier()?;
            let review = client.dossier_review()?;
            Ok(Output::new(
                "Dossier envoyé pour validation : la structure le recevra à la prochaine \
                 synchronisation (`cartable sync`), puis `cartable dossier show` dira où il en est.",
                json!({"review": to_json(&review)}),
            ))
        }
        DossierCommand::Set {
            sheet,
            name,
            field,
            value,
        } => {
            let dossier = client.dossier()?;
            let (id, who, label) = if matches!(sheet.as_str(), "enfant" | "child") {
                let id = resolve_child(&dossier, &name)?;
                let field = ChildField::parse(&field).map_err(|_| unknown_child_field(&field))?;
                client.set_child_field(&id, field.code(), &value)?;
                (
                    id.clone(),
                    render::child_name(&dossier, &id),
                    field.label_fr(),
                )
            } else {
                let id = resolve_adult(&dossier, &name)?;
                let field = AdultField::parse(&field).map_err(|_| unknown_adult_field(&field))?;
                client.set_adult_field(&id, field.code(), &value)?;
                (
                    id.clone(),
                    render::adult_name(&dossier, &id),
                    field.label_fr(),
                )
            };
            Ok(Output::new(
                format!(
                    "Fiche de {who} : champ « {label} » modifié. Validez le dossier quand il est \
                     prêt (`cartable dossier submit`)."
                ),
                json!({"sheet": sheet, "id": id, "field": field, "value": value}),
            ))
        }
        DossierCommand::AddChild {
            first_name,
            last_name,
            birth_date,
        } => {
            let id = client.add_child(&first_name, &last_name, &birth_date)?;
            Ok(Output::new(
                format!(
                    "{} {} ajouté(e) au dossier.",
                    first_name.trim(),
                    last_name.trim()
                ),
                json!({"child_id": id}),
            ))
        }
        DossierCommand::AddAdult {
            first_name,
            last_name,
        } => {
            let id = client.add_adult(&first_name, &last_name)?;
            Ok(Output::new(
                format!(
                    "{} {} ajouté(e) au dossier.",
                    first_name.trim(),
                    last_name.trim()
                ),
                json!({"adult_id": id}),
            ))
        }
    }
}

/// `cartable dossier keep FICHE NOM CHAMP VALEUR`.
fn keep(
    client: &Client,
    sheet: &str,
    name: &str,
    field: &str,
    value: &str,
) -> Result<Output, Error> {
    let dossier = client.dossier()?;
    let (id, code, who) = if matches!(sheet, "enfant" | "child") {
        let id = resolve_child(&dossier, name)?;
        let field = ChildField::parse(field).map_err(|_| unknown_child_field(field))?;
        let who = render::child_name(&dossier, &id);
        (id, field.code(), who)
    } else {
        let id = resolve_adult(&dossier, name)?;
        let field = AdultField::parse(field).map_err(|_| unknown_adult_field(field))?;
        let who = render::adult_name(&dossier, &id);
        (id, field.code(), who)
    };
    let conflicts = client.dossier_conflicts()?;
    let Some(conflict) = conflicts
        .iter()
        .find(|c| c.sheet_id == id && c.field == code)
    else {
        return Err(Error::InvalidInput(format!(
            "pas de valeurs différentes à départager pour ce champ de la fiche de {who}"
        )));
    };
    let wanted = fold(value);
    let chosen = conflict
        .values
        .iter()
        .find(|v| {
            fold(&v.label) == wanted || v.value.as_str().is_some_and(|raw| fold(raw) == wanted)
        })
        .ok_or_else(|| {
            let choices: Vec<String> = conflict
                .values
                .iter()
                .map(|v| format!("« {} »", v.label))
                .collect();
            Error::InvalidInput(format!(
                "« {value} » n'est pas l'une des valeurs saisies ({})",
                choices.join(" ou ")
            ))
        })?;
    client.keep_dossier_value(&conflict.path, &chosen.id)?;
    Ok(Output::new(
        format!(
            "Fiche de {who} : « {} » gardé pour {}. Les autres appareils le verront après leur \
             synchronisation.",
            chosen.label, conflict.field_label
        ),
        json!({"path": conflict.path, "kept": to_json(chosen)}),
    ))
}

fn unknown_child_field(name: &str) -> Error {
    let known: Vec<&str> = ChildField::ALL.iter().map(|f| f.label_fr()).collect();
    Error::InvalidInput(format!(
        "champ inconnu « {name} » pour un enfant (champs : {})",
        known.join(", ")
    ))
}

fn unknown_adult_field(name: &str) -> Error {
    let known: Vec<&str> = AdultField::ALL.iter().map(|f| f.label_fr()).collect();
    Error::InvalidInput(format!(
        "champ inconnu « {name} » pour un adulte (champs : {})",
        known.join(", ")
    ))
}
