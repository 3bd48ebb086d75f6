//! The journal (administrators): what the structure's staff did and read, newest first,
//! from the server's own audit log (readings of health data, reviews, closures, tariffs,
//! publications, devices signed out…), 100 entries a page. Limited to the structure.

use super::format;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
use sqlx::Row;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/journal", axum::routing::get(page))
}

/// Entries a page.
pub const PAGE_SIZE: i64 = 100;

/// What an action of the audit log means, in French.
pub fn action_label(action: &str) -> String {
    let known = match action {
        "read_day_list_health_diet" => "Liste du jour consultée (régimes, allergies, PAI)",
        "read_dossier_health_diet" => "Dossier consulté (données de santé)",
        "read_family_page_health" => "Fiche famille consultée (données de santé)",
        "approve_dossier" => "Dossier validé",
        "reject_dossier" => "Dossier refusé",
        "document_accepted" => "Justificatif accepté",
        "document_rejected" => "Justificatif refusé",
        "download_document" => "Justificatif téléchargé",
        "override_decision" => "Décision de réservation modifiée",
        "create_family" => "Famille créée",
        "issue_one_time_password" => "Mot de passe provisoire donné",
        "create_staff_account" => "Compte du personnel créé",
        "disable_staff_account" => "Compte du personnel désactivé",
        "enable_staff_account" => "Compte du personnel réactivé",
        "revoke_family_device" => "Appareil d'un parent déconnecté",
        "export_family_data" => "Données d'une famille exportées",
        "publish_information" => "Message publié",
        "change_information" => "Message modifié",
        "withdraw_information" => "Message retiré",
        "publish_download" => "Fichier publié",
        "withdraw_download" => "Fichier retiré",
        "change_activity" => "Activité modifiée",
        "change_closures" => "Fermetures modifiées",
        "change_tariff" => "Tarif modifié",
        "retention_purge" => "Données anciennes purgées (durées de conservation)",
        "retention_erase" => "Famille partie effacée (durée de conservation)",
        "erase_family" => "Données d'une famille effacées",
        _ => "",
    };
    if known.is_empty() {
        format!("Action « {} »", action.replace('_', " "))
    } else {
        known.to_string()
    }
}

/// A detail without the technical ids it starts with (a name follows them when there is one).
pub fn readable_detail(detail: &str) -> String {
    let is_id = |w: &str| w.len() >= 16 && w.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let words: Vec<&str> = detail.split(' ').collect();
    let skip = words.iter().take_while(|w| is_id(w)).count();
    words[skip..].join(" ")
}

struct Entry {
    at: String,
    who: String,
    action: String,
    family_id: Option<String>,
    family_name: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin/journal.html")]
struct JournalPage {
    chrome: render::Chrome,
    entries: Vec<Entry>,
    older: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct JournalQuery {
    /// Entries before this id (the next page).
    #[serde(default)]
    avant: Option<i64>,
}

/// GET /admin/journal?avant=
pub async fn page(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<JournalQuery>,
) -> PageResult {
    let rows = sqlx::query(
        "SELECT l.id, l.at_ms, l.action, l.family_id, l.detail, a.display_name, f.name \
         AS family_name FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id \
         LEFT JOIN families f ON f.id = l.family_id AND f.structure_id = l.structure_id \
         WHERE l.structure_id = $1 AND l.id < $2 ORDER BY l.id DESC LIMIT $3",
    )
    .bind(staff.0.0.session.structure_id.as_str())
    .bind(q.avant.unwrap_or(i64::MAX))
    .bind(PAGE_SIZE + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let mut entries = Vec::new();
    let mut last_id = None;
    for r in rows.iter().take(usize::try_from(PAGE_SIZE).unwrap_or(100)) {
        last_id = Some(r.try_get::<i64, _>("id")?);
        let family_name: Option<String> = r.try_get("family_name")?;
        entries.push(Entry {
            at: format::instant(r.try_get("at_ms")?),
            who: r
                .try_get::<Option<String>, _>("display_name")?
                .unwrap_or_else(|| "compte supprimé".into()),
            action: action_label(&r.try_get::<String, _>("action")?),
            family_id: family_name
                .as_ref()
                .and(r.try_get::<Option<String>, _>("family_id")?),
            family_name: family_name.unwrap_or_default(),
            detail: readable_detail(&cartable_domain::text::shown(
                &r.try_get::<String, _>("detail")?,
                300,
            )),
        });
    }
    let older = if rows.len() as i64 > PAGE_SIZE {
        last_id
    } else {
        None
    };
    Ok(render::page(&JournalPage {
        chrome: staff.0.chrome("Journal", "journal"),
        entries,
        older,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_left_out_of_details() {
        assert_eq!(
            readable_detail("de121c8eeb2f0c955a0f49755510fe4f menus-mars.pdf"),
            "menus-mars.pdf"
        );
        assert_eq!(readable_detail("36f9164b314022708ac889040e9b85ec"), "");
        assert_eq!(
            readable_detail("cantine : Restauration"),
            "cantine : Restauration"
        );
        assert_eq!(action_label("change_tariff"), "Tarif modifié");
        assert_eq!(action_label("new_thing"), "Action « new thing »");
    }
}
