//! `resume.html` in the family's export: the same data as the JSON files, written for a
//! parent to read in a browser: names instead of ids, dates in French, decisions and their
//! reasons in words. One self-contained page (no script, no external resource).

use cartable_domain::calendar::{format_date_fr, format_instant_fr};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::{AdultSheet, ChildSheet, Dossier};
use cartable_domain::planning::{CellKey, Planning, RequestState};
use cartable_domain::supporting::{DocumentStatus, SupportingDocument, kind_label_fr};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

/// What the summary is made of: the export's own data.
pub struct SummaryInput<'a> {
    /// `famille.json`.
    pub family: &'a Value,
    /// `dossier-versions.json`.
    pub versions: &'a [Value],
    /// `journal.json`.
    pub journal: &'a [Value],
    pub dossier: Option<&'a Dossier>,
    /// Each school year ("2026-2027") with its planning.
    pub plannings: &'a [(String, Planning)],
    /// The structure's activities, to name them.
    pub catalogue: &'a Catalogue,
    pub documents: &'a [SupportingDocument],
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn instant(v: &Value, key: &str) -> Option<String> {
    let ms = v.get(key).and_then(Value::as_i64)?;
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(format_instant_fr)
}

fn instant_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(format_instant_fr)
        .unwrap_or_default()
}

/// "14 mars 2017" from an ISO date (the text itself when it is not one).
fn birth_date(iso: &str) -> String {
    match iso.parse::<jiff::civil::Date>() {
        Ok(d) => {
            let long = format_date_fr(d);
            // Without the weekday: "mardi 14 mars 2017" → "14 mars 2017".
            long.split_once(' ')
                .map_or(long.clone(), |(_, rest)| rest.to_string())
        }
        Err(_) => iso.to_string(),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}

/// A two-column table of label → value rows (values already escaped).
fn facts(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("<table class=\"fiche\">\n");
    for (label, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>"
        );
    }
    out.push_str("</table>\n");
}

/// A table with a header row (cells already escaped).
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table>\n<thead><tr>");
    for h in header {
        let _ = write!(out, "<th scope=\"col\">{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_string()
}

fn child(out: &mut String, c: &ChildSheet) {
    let _ = writeln!(
        out,
        "<h3>{}</h3>",
        escape(&full_name(&c.first_name, &c.last_name))
    );
    let allergies = if c.allergies.is_empty() {
        "aucune".to_string()
    } else {
        c.allergies.join(", ")
    };
    facts(
        out,
        &[
            (
                "Date de naissance",
                escape(or_dash(&birth_date(&c.birth_date))),
            ),
            ("École", escape(or_dash(&c.school))),
            ("Classe", escape(or_dash(&c.class))),
            ("Régime alimentaire", escape(c.diet.label())),
            ("Allergies", escape(&allergies)),
            ("PAI (projet d'accueil individualisé)", yes_no(c.pai).into()),
            (
                "Traitements médicaux",
                escape(or_dash(&c.medical_treatments)),
            ),
            ("Médecin", escape(or_dash(&c.doctor))),
            ("Vaccins à jour", yes_no(c.vaccinations_up_to_date).into()),
            ("Droit à l'image", yes_no(c.image_authorisation).into()),
            ("Peut partir seul(e)", yes_no(c.may_leave_alone).into()),
        ],
    );
}

fn adult(out: &mut String, a: &AdultSheet) {
    let _ = writeln!(
        out,
        "<h3>{}</h3>",
        escape(&full_name(&a.first_name, &a.last_name))
    );
    let roles: Vec<&str> = [
        (a.roles.legal_guardian, "responsable légal"),
        (a.roles.may_pick_up, "autorisé(e) à récupérer les enfants"),
        (a.roles.billing, "payeur des factures"),
        (a.roles.emergency_contact, "à prévenir en cas d'urgence"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, label)| *label)
    .collect();
    facts(
        out,
        &[
            ("Téléphone portable", escape(or_dash(&a.mobile_phone))),
            ("Téléphone fixe", escape(or_dash(&a.home_phone))),
            ("Téléphone professionnel", escape(or_dash(&a.work_phone))),
            ("Courriel", escape(or_dash(&a.email))),
            ("Adresse", escape(or_dash(&a.address))),
            ("Rôles", escape(or_dash(&roles.join(", ")))),
            (
                "Quotient familial",
                a.quotient_familial
                    .map_or_else(|| "—".to_string(), |q| q.to_string()),
            ),
            ("Numéro CAF ou MSA", escape(or_dash(&a.caf_number))),
        ],
    );
}

/// The French words of a dossier version's status.
fn version_status(v: &Value) -> String {
    let by = text(v, "reviewed_by_name");
    let when = instant(v, "reviewed_at_ms").unwrap_or_default();
    let by = if by.is_empty() {
        String::new()
    } else {
        format!(" par {}", escape(by))
    };
    match text(v, "status") {
        "pending" => "en attente de la réponse de la structure".into(),
        "approved" => format!("validé le {when}{by}"),
        "rejected" => format!(
            "à corriger (réponse du {when}{by}) : {}",
            escape(text(v, "reason"))
        ),
        "superseded" => "remplacé par un envoi plus récent".into(),
        other => escape(other),
    }
}

/// What a staff action of the journal means, in French: the few a family reads most in its
/// own words, the others as the administrators' journal names them (never the code).
fn action_fr(action: &str) -> String {
    let own = match action {
        "read_dossier_health_diet" => "consultation du dossier (santé et régime alimentaire)",
        "read_day_list_health_diet" => "consultation de la liste du jour (santé et régime)",
        "approve_dossier" => "validation du dossier",
        "reject_dossier" => "dossier renvoyé pour correction",
        "download_document" => "ouverture d'un document envoyé",
        "override_decision" => "décision modifiée par la structure",
        "export_family_data" => "export des données de la famille",
        _ => "",
    };
    if own.is_empty() {
        crate::admin_page::journal::action_label(action)
    } else {
        own.to_string()
    }
}

fn plannings(out: &mut String, input: &SummaryInput<'_>, names: &HashMap<&str, String>) {
    out.push_str("<h2>Réservations et décisions</h2>\n");
    if input.plannings.iter().all(|(_, p)| p.requests.is_empty()) {
        out.push_str("<p>Aucune demande de réservation.</p>\n");
        return;
    }
    let child_name = |id: &str| {
        input
            .dossier
            .and_then(|d| d.children.get(id))
            .map(|c| c.first_name.clone())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "enfant retiré du dossier".into())
    };
    for (year, planning) in input.plannings {
        if planning.requests.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h3>Année scolaire {}</h3>", escape(year));
        let mut cells: Vec<(CellKey, &String)> = planning
            .requests
            .keys()
            .filter_map(|k| CellKey::decode(k).ok().map(|c| (c, k)))
            .collect();
        cells.sort_by(|(a, _), (b, _)| {
            (a.date, child_name(&a.child_id), &a.activity_id).cmp(&(
                b.date,
                child_name(&b.child_id),
                &b.activity_id,
            ))
        });
        let rows: Vec<Vec<String>> = cells
            .iter()
            .filter_map(|(cell, key)| {
                let request = planning.requests.get(*key)?;
                let decision = planning.decisions.get(*key);
                let state = match RequestState::of(request, decision) {
                    RequestState::Pending => "en attente de décision".to_string(),
                    RequestState::Accepted => "acceptée".to_string(),
                    RequestState::Refused { reason } => format!("refusée : {reason}"),
                    RequestState::Cancelled => "annulée".to_string(),
                    RequestState::CancelledByStructure { reason } => format!("annulée : {reason}"),
                    RequestState::KeptBillable { reason } => format!("maintenue : {reason}"),
                };
                let absence = match (
                    planning.absences.get(*key),
                    planning.absence_decisions.get(*key),
                ) {
                    (Some(a), Some(o)) if o.rev == a.rev => {
                        format!("absent ({}) : {}", or_dash(&a.reason), o.reason)
                    }
                    (Some(a), _) => format!("absent ({})", or_dash(&a.reason)),
                    (None, _) => String::new(),
                };
                let asked_by = names.get(request.by.as_str()).cloned().unwrap_or_default();
                Some(vec![
                    escape(&format_date_fr(cell.date)),
                    escape(&child_name(&cell.child_id)),
                    escape(
                        &input
                            .catalogue
                            .activities
                            .get(cell.activity_id.as_str())
                            .map_or_else(|| cell.activity_id.to_string(), |a| a.name.clone()),
                    ),
                    if request.wanted {
                        "réservation".into()
                    } else {
                        "annulation".into()
                    },
                    escape(&asked_by),
                    escape(&state),
                    escape(&absence),
                ])
            })
            .collect();
        table(
            out,
            &[
                "Jour",
                "Enfant",
                "Activité",
                "Demande",
                "Demandée par",
                "Décision de la structure",
                "Absence",
            ],
            &rows,
        );
    }
}

/// The summary page.
pub fn html(input: &SummaryInput<'_>) -> String {
    let family = input.family;
    let family_name = text(&family["family"], "name");
    let structure_name = text(&family["structure"], "name");
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Vos données : {} ({})</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; \
         line-height: 1.4; color: #1a1a1a; }}\n\
         table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}\n\
         th, td {{ border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; \
         vertical-align: top; }}\n\
         thead th, .fiche th {{ background: #eee; }}\n</style>\n</head>\n<body>\n",
        escape(family_name),
        escape(structure_name)
    );
    let _ = writeln!(
        out,
        "<h1>Vos données : {}</h1>\n<p>Ce que {} conserve sur votre famille, exporté le {}.</p>",
        escape(family_name),
        escape(structure_name),
        instant(family, "exported_at_ms").unwrap_or_default()
    );
    out.push_str(
        "<p>Cette page résume l'archive. Les fichiers <code>.json</code> contiennent les mêmes \
         données sous une forme lisible par un programme, le dossier <code>documents/</code> les \
         justificatifs envoyés, et <code>automerge/</code> l'historique complet des \
         modifications.</p>\n",
    );

    // Accounts and devices; names of the parents for the rest of the page.
    let accounts = family["accounts"].as_array().cloned().unwrap_or_default();
    let names: HashMap<&str, String> = accounts
        .iter()
        .map(|a| (text(a, "id"), text(a, "display_name").to_string()))
        .collect();
    out.push_str("<h2>Comptes des parents</h2>\n");
    let devices = family["devices"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            let own: Vec<String> = devices
                .iter()
                .filter(|d| text(d, "account_id") == text(a, "id"))
                .map(|d| {
                    let state = match instant(d, "revoked_at_ms") {
                        Some(when) => format!("révoqué le {when}"),
                        None => match instant(d, "last_seen_ms") {
                            Some(when) => format!("vu le {when}"),
                            None => "jamais synchronisé".into(),
                        },
                    };
                    escape(&format!("{} ({state})", text(d, "name")))
                })
                .collect();
            vec![
                escape(text(a, "display_name")),
                escape(text(a, "login")),
                instant(a, "created_at_ms").unwrap_or_default(),
                if own.is_empty() {
                    "aucun".into()
                } else {
                    own.join("<br>")
                },
            ]
        })
        .collect();
    table(
        &mut out,
        &["Parent", "Identifiant", "Compte créé le", "Appareils"],
        &rows,
    );

    // The dossier.
    out.push_str("<h2>Le dossier famille</h2>\n");
    match input.dossier {
        Some(d) if !(d.children.is_empty() && d.adults.is_empty()) => {
            let mut children: Vec<&ChildSheet> = d.children.values().collect();
            children.sort_by_key(|c| (c.first_name.to_lowercase(), c.last_name.to_lowercase()));
            for c in children {
                child(&mut out, c);
            }
            let mut adults: Vec<&AdultSheet> = d.adults.values().collect();
            adults.sort_by_key(|a| (a.first_name.to_lowercase(), a.last_name.to_lowercase()));
            for a in adults {
                adult(&mut out, a);
            }
        }
        _ => out.push_str("<p>Le dossier est vide.</p>\n"),
    }
    out.push_str("<h3>Validations du dossier (« Je valide mes modifications »)</h3>\n");
    if input.versions.is_empty() {
        out.push_str("<p>Le dossier n'a jamais été envoyé pour validation.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = input
            .versions
            .iter()
            .map(|v| {
                let by = text(v, "submitted_by");
                vec![
                    instant(v, "submitted_at_ms").unwrap_or_default(),
                    escape(names.get(by).map_or(by, String::as_str)),
                    version_status(v),
                ]
            })
            .collect();
        table(&mut out, &["Envoyé le", "Par", "Réponse"], &rows);
    }

    plannings(&mut out, input, &names);

    // Supporting documents.
    out.push_str("<h2>Documents envoyés</h2>\n");
    if input.documents.is_empty() {
        out.push_str("<p>Aucun document envoyé.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = input
            .documents
            .iter()
            .map(|d| {
                let child = d
                    .child_id
                    .as_deref()
                    .and_then(|c| input.dossier.and_then(|dos| dos.children.get(c)))
                    .map(|c| c.first_name.clone())
                    .unwrap_or_default();
                let status = match d.status {
                    DocumentStatus::Waiting => "en attente de vérification".to_string(),
                    DocumentStatus::Accepted => "accepté".to_string(),
                    DocumentStatus::Rejected => {
                        format!("refusé : {}", d.reason.as_deref().unwrap_or("sans motif"))
                    }
                };
                vec![
                    escape(&d.file_name),
                    escape(kind_label_fr(&d.kind)),
                    escape(&child),
                    instant_ms(d.uploaded_at_ms),
                    d.valid_until
                        .map(|v| escape(&format_date_fr(v)))
                        .unwrap_or_default(),
                    escape(&status),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "Fichier",
                "Type",
                "Enfant",
                "Envoyé le",
                "Valable jusqu'au",
                "État",
            ],
            &rows,
        );
    }

    // Access log.
    out.push_str("<h2>Consultations et actions sur vos données</h2>\n");
    if input.journal.is_empty() {
        out.push_str("<p>Aucune consultation enregistrée.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = input
            .journal
            .iter()
            .map(|e| {
                vec![
                    instant(e, "at_ms").unwrap_or_default(),
                    escape(or_dash(text(e, "by_name"))),
                    escape(&action_fr(text(e, "action"))),
                ]
            })
            .collect();
        table(&mut out, &["Le", "Par", "Action"], &rows);
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::catalogue::{Activity, ActivityKind};
    use cartable_domain::dossier::Diet;
    use cartable_domain::planning::{BookingRequest, Decision, Outcome};
    use serde_json::json;

    #[test]
    fn the_summary_names_people_and_says_decisions_in_french() {
        let family = json!({
            "exported_at_ms": 1_796_050_800_000_i64,
            "structure": {"id": "s1", "name": "Mairie de Saint-Aubin"},
            "family": {"id": "f1", "name": "Famille <Martin>"},
            "accounts": [{"id": "a1", "login": "camille", "display_name": "Camille Martin",
                          "created_at_ms": 1_796_050_800_000_i64}],
            "devices": [{"id": "d1", "account_id": "a1", "name": "Pixel",
                         "created_at_ms": 1, "last_seen_ms": null, "revoked_at_ms": null}],
        });
        let mut dossier = Dossier::default();
        dossier.children.insert(
            "c1".into(),
            ChildSheet {
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                birth_date: "2017-03-14".into(),
                diet: Diet::SansPorc,
                ..Default::default()
            },
        );
        let mut catalogue = Catalogue::default();
        catalogue.activities.insert(
            "cantine".into(),
            Activity::simple("Restauration scolaire", ActivityKind::Canteen, vec![1]),
        );
        let mut planning = Planning::default();
        let key = CellKey::new("c1", jiff::civil::date(2026, 12, 7), "cantine").encode();
        planning.requests.insert(
            key.clone(),
            BookingRequest {
                wanted: true,
                rev: "r1".into(),
                by: "a1".into(),
                at_ms: 0,
            },
        );
        planning.decisions.insert(
            key,
            Decision {
                rev: "r1".into(),
                outcome: Outcome::Refused,
                reason: Some("Complet : les 120 places de ce jour sont prises".into()),
                cause: Some(cartable_domain::refusal::RefusalCause::Full),
                decided_at_ms: 0,
            },
        );
        let page = html(&SummaryInput {
            family: &family,
            versions: &[
                json!({"submitted_by": "a1", "submitted_at_ms": 1_796_050_800_000_i64,
                               "status": "rejected", "reason": "Téléphone manquant",
                               "reviewed_by_name": "Nadia Leroy",
                               "reviewed_at_ms": 1_796_137_200_000_i64}),
            ],
            journal: &[
                json!({"at_ms": 1_796_050_800_000_i64, "by_name": "Nadia Leroy",
                              "action": "read_dossier_health_diet"}),
                json!({"at_ms": 1_796_137_200_000_i64, "by_name": "Nadia Leroy",
                              "action": "record_payment"}),
                json!({"at_ms": 1_796_137_200_000_i64, "by_name": "Nadia Leroy",
                              "action": "issue_credit_note"}),
            ],
            dossier: Some(&dossier),
            plannings: &[("2026-2027".into(), planning)],
            catalogue: &catalogue,
            documents: &[],
        });
        for expected in [
            "<html lang=\"fr\">",
            "Famille &lt;Martin&gt;",
            "Léa Martin",
            "14 mars 2017",
            "Sans porc",
            "lundi 7 décembre 2026",
            "Restauration scolaire",
            "refusée : Complet : les 120 places de ce jour sont prises",
            "Camille Martin",
            "à corriger",
            "Téléphone manquant",
            "par Nadia Leroy",
            "consultation du dossier (santé et régime alimentaire)",
            "Paiement enregistré",
            "Avoir émis",
            "Aucun document envoyé.",
        ] {
            assert!(page.contains(expected), "« {expected} » missing:\n{page}");
        }
        for id in [
            "c1|",
            "\"a1\"",
            "cantine<",
            "sans_porc",
            "record_payment",
            "issue_credit_note",
        ] {
            assert!(!page.contains(id), "{id} shown:\n{page}");
        }
        assert!(!page.contains("<Martin>"), "escaped");
    }
}
