//! Human-readable output of `cartable` (French), kept apart from the commands.

use cartable_core::domain::api::DeviceSummary;
use cartable_core::domain::catalogue::Catalogue;
use cartable_core::domain::cells::CellState;
use cartable_core::domain::dossier::{AdultSheet, ChildSheet, Dossier};
use cartable_core::domain::rules::document_label_fr;
use cartable_core::domain::supporting::{KINDS, kind_label_fr};
use cartable_core::domain::words;
use cartable_core::{
    BulkReport, Client, DocumentState, DossierConflict, Error, PlanningEntry, PlanningView,
    ReviewStatus, ReviewView, SheetKind, SyncReport, SyncStatus,
};
use jiff::civil::{Date, Weekday};

/// Renders rows as a left-aligned text table with a header and a rule.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.push(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    for row in rows {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

/// "lun. 30/11/2026".
pub fn french_date(date: Date) -> String {
    let day = match date.weekday() {
        Weekday::Monday => "lun.",
        Weekday::Tuesday => "mar.",
        Weekday::Wednesday => "mer.",
        Weekday::Thursday => "jeu.",
        Weekday::Friday => "ven.",
        Weekday::Saturday => "sam.",
        Weekday::Sunday => "dim.",
    };
    format!(
        "{day} {:02}/{:02}/{}",
        date.day(),
        date.month(),
        date.year()
    )
}

/// Date and time of `ms` in Europe/Paris as written in a sentence: "lundi 30 novembre 2026
/// à 14:05".
pub fn french_moment(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => cartable_core::domain::calendar::format_instant_fr(ts),
        Err(_) => ms.to_string(),
    }
}

/// Date and time of `ms` in Europe/Paris for a table's column, "30/11/2026 14:05".
pub fn french_time(ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_zoned(tz).strftime("%d/%m/%Y %H:%M").to_string(),
        Err(_) => ms.to_string(),
    }
}

pub fn planning(year: &str, entries: &[PlanningEntry]) -> String {
    if entries.is_empty() {
        return format!("Aucune demande pour l'année scolaire {year}.");
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                french_date(e.date),
                e.child_name.clone(),
                e.activity_name.clone(),
                if e.wanted {
                    "réservation".into()
                } else {
                    "annulation".into()
                },
                e.state.label(),
            ]
        })
        .collect();
    format!(
        "Planning {year}\n{}",
        table(&["Date", "Enfant", "Activité", "Demande", "État"], &rows)
    )
}

/// "lun. 30/11", for table rows.
fn short_date(date: Date) -> String {
    let long = french_date(date);
    long.get(..long.len().saturating_sub(5))
        .unwrap_or(&long)
        .to_string()
}

/// The planning grid: one row per day, one column per child × activity; then the reasons of
/// refusals, billed withdrawals and absences.
pub fn planning_view(view: &PlanningView) -> String {
    let mut out = format!(
        "Planning du {} au {} (heure du serveur : {})",
        cartable_core::domain::calendar::format_date_fr(view.from),
        cartable_core::domain::calendar::format_date_fr(view.to),
        french_moment(view.server_now.as_millisecond())
    );
    if view.columns.is_empty() {
        out.push_str(
            "
Aucune activité à afficher.",
        );
        return out;
    }
    let headers: Vec<String> = view
        .columns
        .iter()
        .map(|c| format!("{} {}", c.child_name, c.activity_name))
        .collect();
    let mut header: Vec<&str> = vec!["Jour"];
    header.extend(headers.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = view
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![short_date(r.date)];
            row.extend(r.cells.iter().map(|c| c.label.clone()));
            row
        })
        .collect();
    out.push('\n');
    out.push_str(&table(&header, &rows));
    let mut notes = Vec::new();
    for cell in view.cells() {
        let what = format!(
            "{} {} {}",
            short_date(cell.date),
            cell.child_name,
            cell.activity_name
        );
        match cell.state() {
            CellState::Refused { reason } => notes.push(format!("{what} : refusé, {reason}")),
            CellState::KeptBillable { reason } | CellState::CancelledByStructure { reason } => {
                notes.push(format!("{what} : {reason}"))
            }
            _ => {}
        }
        if let Some(outcome) = cell.absence.as_ref().and_then(|a| a.outcome.as_ref()) {
            notes.push(format!("{what} : {}", outcome.reason));
        }
    }
    if !notes.is_empty() {
        out.push_str("\n\n");
        out.push_str(&notes.join("\n"));
    }
    out
}

/// What a bulk booking or withdrawal wrote.
pub fn bulk_report(
    report: &BulkReport,
    wanted: bool,
    dossier: &Dossier,
    catalogue: &Catalogue,
) -> String {
    let (did, already) = if wanted {
        ("réservation(s) demandée(s)", "déjà réservée(s)")
    } else {
        ("annulation(s) demandée(s)", "sans réservation à annuler")
    };
    let mut out = format!(
        "{} {did}, {} case(s) {already}.",
        report.written, report.unchanged
    );
    if !report.skipped.is_empty() {
        // Grouped by child, activity and reason:
        // "Léa, Garderie du soir : Pas d'accueil le mercredi (6 jours)".
        let mut groups: Vec<(&str, &str, &str, Vec<Date>)> = Vec::new();
        for s in &report.skipped {
            match groups
                .iter_mut()
                .find(|(c, a, r, _)| *c == s.child_id && *a == s.activity_id && *r == s.reason)
            {
                Some(g) => g.3.push(s.date),
                None => groups.push((&s.child_id, &s.activity_id, &s.reason, vec![s.date])),
            }
        }
        out.push_str(&format!(
            "\n{} case(s) non réservée(s) :",
            report.skipped.len()
        ));
        for (child, activity, reason, dates) in groups {
            let when = match dates.as_slice() {
                [one] => format!(
                    "le {}",
                    cartable_core::domain::calendar::format_date_fr(*one)
                ),
                many => format!("{} jours", many.len()),
            };
            out.push_str(&format!(
                "\n  {}, {} : {reason} ({when})",
                child_name(dossier, child),
                activity_name(catalogue, activity)
            ));
        }
    }
    if report.written > 0 {
        out.push_str("\nLa structure décidera de chaque case à la prochaine synchronisation.");
    }
    out
}

pub fn sync_report(report: &SyncReport) -> String {
    let mut out = format!(
        "Synchronisé en {} échange{} ; {} document{} mis à jour.",
        report.rounds,
        plural(report.rounds as usize),
        report.docs_changed.len(),
        plural(report.docs_changed.len())
    );
    if !report.decided.is_empty() {
        out.push_str("\nDécisions de la structure depuis la dernière synchronisation :");
        for d in &report.decided {
            out.push_str(&format!("\n  {}", d.message));
        }
    }
    if !report.absences_decided.is_empty() {
        out.push_str("\nAbsences :");
        for a in &report.absences_decided {
            out.push_str(&format!("\n  {}", a.message));
        }
    }
    if let Some(review) = &report.dossier_review {
        out.push_str(&format!("\nDossier : {}", review.label));
    }
    for c in &report.compensations {
        out.push_str(&format!(
            "\nLe serveur a rétabli des valeurs qu'il est seul à écrire ({}) : {}",
            c.doc_id,
            c.paths.join(", ")
        ));
    }
    out
}

pub fn status(s: &SyncStatus) -> String {
    let mut lines = Vec::new();
    if s.logged_in {
        lines.push(format!(
            "Connecté à {} en tant que {}.",
            s.server_url.as_deref().unwrap_or("?"),
            s.display_name.as_deref().unwrap_or("?")
        ));
    } else {
        lines.push("Cet appareil n'est pas connecté (`cartable login`).".to_string());
    }
    lines.push(match s.last_sync_ms {
        Some(ms) => format!("Dernière synchronisation : {}", french_moment(ms)),
        None => "Jamais synchronisé.".to_string(),
    });
    if let Some(e) = &s.last_error {
        lines.push(format!("Dernière tentative en échec : {e}"));
    }
    lines.push(match s.pending_changes {
        0 => "Aucune modification en attente d'envoi.".to_string(),
        n => format!(
            "{n} modification{} en attente d'envoi (à la prochaine synchronisation).",
            plural(n)
        ),
    });
    let offset_s = s.server_clock_offset_ms / 1000;
    if offset_s.abs() >= 60 {
        lines.push(format!(
            "L'horloge de cet appareil a {} min d'écart avec celle du serveur : les dates \
             limites sont calculées à l'heure du serveur.",
            offset_s.abs() / 60
        ));
    }
    lines.join("\n")
}

/// What waits on this device for the next sync.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub changes: usize,
    pub documents: usize,
}

/// Counts what waits to be sent (best effort: zero when the store cannot tell).
pub fn waiting_to_send(client: &Client) -> Waiting {
    Waiting {
        changes: client.status().map(|s| s.pending_changes).unwrap_or(0),
        documents: client
            .documents()
            .map(|docs| {
                docs.iter()
                    .filter(|d| matches!(d.state, DocumentState::WaitingToSend { .. }))
                    .count()
            })
            .unwrap_or(0),
    }
}

/// "Rien n'est perdu : 2 modifications et 1 document attendent sur cet appareil et partiront à
/// la prochaine synchronisation (`cartable sync`)."
pub fn kept_until_next_sync(w: &Waiting) -> String {
    let mut what = Vec::new();
    if w.changes > 0 {
        what.push(format!("{} modification{}", w.changes, plural(w.changes)));
    }
    if w.documents > 0 {
        what.push(format!("{} document{}", w.documents, plural(w.documents)));
    }
    if what.is_empty() {
        return "Rien n'est perdu : ce que vous modifiez reste sur cet appareil et partira à la \
                prochaine synchronisation (`cartable sync`)."
            .to_string();
    }
    let many = w.changes + w.documents > 1;
    format!(
        "Rien n'est perdu : {} {} sur cet appareil et {} à la prochaine synchronisation \
         (`cartable sync`).",
        words::list_fr(&what),
        if many { "attendent" } else { "attend" },
        if many { "partiront" } else { "partira" },
    )
}

/// A child's first name (the id when the dossier does not know it).
pub fn child_name(dossier: &Dossier, id: &str) -> String {
    dossier
        .children
        .get(id)
        .map(|c| c.first_name.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_string())
}

/// An adult's full name (the id when the dossier does not know it).
pub fn adult_name(dossier: &Dossier, id: &str) -> String {
    dossier
        .adults
        .get(id)
        .map(|a| {
            format!("{} {}", a.first_name.trim(), a.last_name.trim())
                .trim()
                .to_string()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_string())
}

/// An activity's name (the id when the catalogue does not know it).
pub fn activity_name(catalogue: &Catalogue, id: &str) -> String {
    catalogue
        .activities
        .get(id)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// The kind of supporting document a parent named: its code or its French name
/// ("assurance", "certificat médical").
pub fn document_kind(text: &str) -> Result<&'static str, Error> {
    let candidates = KINDS.iter().map(|k| (*k, kind_label_fr(k)));
    match words::matches(text, candidates).as_slice() {
        [(kind, _)] => Ok(kind),
        _ => {
            let labels: Vec<String> = KINDS.iter().map(|k| kind_label_fr(k).to_string()).collect();
            Err(Error::InvalidInput(format!(
                "type de document inconnu « {} » (types : {})",
                text.trim(),
                labels.join(", ")
            )))
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

/// "14 mars 2017" from the sheet's ISO date (a birth date, without its weekday).
fn birth_date(iso: &str) -> String {
    match iso.parse::<Date>() {
        Ok(d) => {
            let written = cartable_core::domain::calendar::format_date_fr(d);
            match written.split_once(' ') {
                Some((_weekday, rest)) => rest.to_string(),
                None => written,
            }
        }
        Err(_) => or_dash(iso).to_string(),
    }
}

/// "lundi 31 août 2027" from an ISO date.
fn day_in_words(iso: &str) -> String {
    match iso.parse::<Date>() {
        Ok(d) => cartable_core::domain::calendar::format_date_fr(d),
        Err(_) => or_dash(iso).to_string(),
    }
}

fn child(c: &ChildSheet) -> String {
    let mut out = format!(
        "Enfant : {} {}\n  né(e) le {}, école {}, classe {}\n  régime : {}",
        c.first_name,
        c.last_name,
        birth_date(&c.birth_date),
        or_dash(&c.school),
        or_dash(&c.class),
        c.diet.label().to_lowercase()
    );
    out.push_str(&format!(
        "\n  allergies : {}, PAI : {}, traitements : {}, médecin : {}",
        if c.allergies.is_empty() {
            "-".to_string()
        } else {
            c.allergies.join(", ")
        },
        yes_no(c.pai),
        or_dash(&c.medical_treatments),
        or_dash(&c.doctor)
    ));
    out.push_str(&format!(
        "\n  vaccins à jour : {}, droit à l'image : {}, peut partir seul(e) : {}",
        yes_no(c.vaccinations_up_to_date),
        yes_no(c.image_authorisation),
        yes_no(c.may_leave_alone)
    ));
    out
}

fn adult(a: &AdultSheet) -> String {
    let roles: Vec<&str> = [
        (a.roles.legal_guardian, "responsable légal"),
        (a.roles.may_pick_up, "autorisé à récupérer"),
        (a.roles.billing, "payeur"),
        (a.roles.emergency_contact, "contact d'urgence"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, l)| *l)
    .collect();
    format!(
        "Adulte : {} {}\n  portable {}, fixe {}, travail {}, courriel {}\n  adresse : {}\n  rôles : {}\n  quotient familial : {}, n° CAF : {}",
        a.first_name,
        a.last_name,
        or_dash(&a.mobile_phone),
        or_dash(&a.home_phone),
        or_dash(&a.work_phone),
        or_dash(&a.email),
        or_dash(&a.address),
        if roles.is_empty() {
            "-".to_string()
        } else {
            roles.join(", ")
        },
        a.quotient_familial
            .map(|q| q.to_string())
            .unwrap_or_else(|| "-".into()),
        or_dash(&a.caf_number)
    )
}

pub fn dossier(d: &Dossier, review: Option<&ReviewView>, conflicts: &[DossierConflict]) -> String {
    if d.children.is_empty() && d.adults.is_empty() {
        return "Dossier vide ou pas encore téléchargé : lancez `cartable sync`.".into();
    }
    let mut parts: Vec<String> = d.children.values().map(child).collect();
    parts.extend(d.adults.values().map(adult));
    if !conflicts.is_empty() {
        parts.push(self::conflicts(conflicts));
    }
    parts.push(match review {
        Some(r) => self::review(r),
        None => "Validation : dossier jamais envoyé (`cartable dossier submit`).".into(),
    });
    parts.join("\n\n")
}

/// Fields two parents set differently offline, each value with who wrote it.
pub fn conflicts(conflicts: &[DossierConflict]) -> String {
    let mut lines = vec![
        "À départager : des parents ont saisi des valeurs différentes hors connexion.".to_string(),
    ];
    for c in conflicts {
        let values: Vec<String> = c
            .values
            .iter()
            .map(|v| {
                let when = v
                    .at_ms
                    .map(|ms| format!(", le {}", french_moment(ms)))
                    .unwrap_or_default();
                format!("« {} » ({}{when})", v.label, v.author_name)
            })
            .collect();
        let shown = c
            .values
            .iter()
            .find(|v| v.current)
            .map(|v| v.label.as_str())
            .unwrap_or("-");
        lines.push(format!(
            "  {} — {} : {} ; affiché pour l'instant : « {shown} »",
            c.sheet_name,
            c.field_label,
            values.join(" ou ")
        ));
    }
    if let Some(first) = conflicts.first() {
        let sheet = match first.sheet_kind {
            SheetKind::Child => "enfant",
            SheetKind::Adult => "adulte",
        };
        let name = first.sheet_name.split(' ').next().unwrap_or_default();
        let value = first
            .values
            .first()
            .map(|v| v.label.as_str())
            .unwrap_or("-");
        lines.push(format!(
            "  Pour garder une valeur : cartable dossier keep {sheet} {name} \"{}\" \"{value}\"",
            first.field_label
        ));
    }
    lines.join("\n")
}

/// Where the dossier stands with the structure.
pub fn review(r: &ReviewView) -> String {
    let mut lines = vec![format!("Validation : {}", r.label)];
    if let Some(at) = r.submitted_at_ms {
        lines.push(format!("  Envoyé le {}", french_moment(at)));
    }
    if let (Some(at), ReviewStatus::Approved | ReviewStatus::Rejected) =
        (r.reviewed_at_ms, r.status)
    {
        lines.push(format!("  Réponse le {}", french_moment(at)));
    }
    if !r.requested_documents.is_empty() {
        let docs: Vec<&str> = r
            .requested_documents
            .iter()
            .map(|k| document_label_fr(k))
            .collect();
        lines.push(format!(
            "  Justificatif(s) demandé(s) : {}",
            docs.join(", ")
        ));
    }
    if r.approval_in_force && r.status != ReviewStatus::Approved {
        lines.push("  La version validée précédemment reste valable pour les réservations.".into());
    }
    if r.changed_since_submission {
        lines.push(
            "  Modifié depuis l'envoi : validez à nouveau (`cartable dossier submit`).".into(),
        );
    }
    lines.join("\n")
}

pub fn catalogue(c: &Catalogue) -> String {
    if c.activities.is_empty() {
        return "Catalogue vide ou pas encore téléchargé : lancez `cartable sync`.".into();
    }
    let rows: Vec<Vec<String>> = c
        .activities
        .iter()
        .map(|(id, a)| {
            let days: Vec<&str> = a
                .weekdays
                .iter()
                .filter_map(|d| {
                    ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
                        .get(usize::from(*d).wrapping_sub(1))
                        .copied()
                })
                .collect();
            vec![id.clone(), a.name.clone(), days.join(" ")]
        })
        .collect();
    format!(
        "{}\n{}",
        c.structure_name,
        table(&["Identifiant", "Activité", "Jours"], &rows)
    )
}

pub fn devices(list: &[DeviceSummary]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            vec![
                d.device_id.clone(),
                format!(
                    "{}{}",
                    d.name,
                    if d.current { " (cet appareil)" } else { "" }
                ),
                french_time(d.created_at_ms),
                d.last_seen_ms
                    .map(french_time)
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&["Identifiant", "Nom", "Connecté le", "Vu le"], &rows)
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// "Mes Documents".
pub fn documents(docs: &[cartable_core::DocumentView], dossier: &Dossier) -> String {
    if docs.is_empty() {
        return "Aucun document.".to_string();
    }
    docs.iter()
        .map(|d| {
            let state = match &d.state {
                DocumentState::WaitingToSend { last_error: None } => {
                    "à envoyer à la prochaine synchronisation".to_string()
                }
                DocumentState::WaitingToSend {
                    last_error: Some(e),
                } => format!("à envoyer (dernier essai : {e})"),
                DocumentState::Sent => "envoyé, en attente de validation".to_string(),
                DocumentState::Accepted => "accepté".to_string(),
                DocumentState::Rejected { reason } => format!("refusé : {reason}"),
                DocumentState::Failed { error } => format!("refusé à l'envoi : {error}"),
            };
            let label = kind_label_fr(&d.kind);
            let child = d
                .child_id
                .as_deref()
                .map(|c| format!(" de {}", child_name(dossier, c)))
                .unwrap_or_default();
            let until = d
                .valid_until
                .as_deref()
                .map(|v| format!(", valable jusqu'au {}", day_in_words(v)))
                .unwrap_or_default();
            format!("- {} ({label}{child}{until}) : {state}", d.file_name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_on_characters_not_bytes() {
        let t = table(
            &["Enfant", "État"],
            &[
                vec!["Léa".into(), "réservé".into()],
                vec!["Tom".into(), "annulé".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "Enfant  État");
        assert_eq!(lines[2], "Léa     réservé");
    }

    #[test]
    fn dates_read_the_french_way() {
        assert_eq!(
            french_date(jiff::civil::date(2026, 11, 30)),
            "lun. 30/11/2026"
        );
    }
}
