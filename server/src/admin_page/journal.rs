//! The journal (administrators): what the structure's staff did and read, newest first,
//! from the server's own audit log (readings of health data, reviews, closures, tariffs,
//! publications, devices signed out, invoicing runs, credit notes, payments…), 100 entries a
//! page, filtered by family (a name), member of staff and period with a GET form. Limited to
//! the structure.

use super::format;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
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
        "delete_activity" => "Activité supprimée",
        "change_closures" => "Fermetures modifiées",
        "cancel_for_closures" => "Réservations annulées (fermetures)",
        "change_settings" => "Paramètres de la structure modifiés",
        "change_tariff" => "Tarif modifié",
        "delete_tariff" => "Tarif supprimé",
        "change_billing" => "Paramètres de facturation modifiés",
        "change_quotient" => "Quotient familial modifié",
        "issue_invoices" => "Facturation du mois lancée",
        "issue_credit_note" => "Avoir émis",
        "record_payment" => "Paiement enregistré",
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

/// A member of staff in the filter's list.
struct StaffChoice {
    id: String,
    name: String,
}

/// The filters as sent, with their errors.
#[derive(Default)]
struct Filters {
    family: String,
    staff: String,
    from: String,
    until: String,
    from_error: Option<String>,
    until_error: Option<String>,
}

impl Filters {
    fn any(&self) -> bool {
        !(self.family.is_empty()
            && self.staff.is_empty()
            && self.from.is_empty()
            && self.until.is_empty())
    }

    /// The filters as a query string for the next page's link (starts with "&").
    fn query(&self) -> String {
        let mut out = String::new();
        for (k, v) in [
            ("famille", &self.family),
            ("personnel", &self.staff),
            ("du", &self.from),
            ("au", &self.until),
        ] {
            if !v.is_empty() {
                out.push('&');
                out.push_str(k);
                out.push('=');
                out.push_str(&encode(v));
            }
        }
        out
    }
}

/// Percent-encoding for a query string's value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "admin/journal.html")]
struct JournalPage {
    chrome: render::Chrome,
    entries: Vec<Entry>,
    older: Option<i64>,
    /// Not the first page: a link back to the latest entries.
    paged: bool,
    staff: Vec<StaffChoice>,
    filters: Filters,
    filter_query: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct JournalQuery {
    /// Entries before this id (the next page).
    #[serde(default)]
    avant: Option<i64>,
    /// Part of a family's name (or of one of its children's).
    #[serde(default)]
    famille: Option<String>,
    /// A member of staff's account id.
    #[serde(default)]
    personnel: Option<String>,
    /// First day (AAAA-MM-JJ), inclusive.
    #[serde(default)]
    du: Option<String>,
    /// Last day (AAAA-MM-JJ), inclusive.
    #[serde(default)]
    au: Option<String>,
}

/// The instant a day starts in Paris, in milliseconds.
fn day_start(d: jiff::civil::Date) -> Option<i64> {
    cartable_domain::calendar::start_of_day(d)
        .ok()
        .map(|t| t.as_millisecond())
}

/// The period's bounds in milliseconds (start inclusive, end exclusive), or the fields'
/// errors.
fn period(filters: &mut Filters) -> (i64, i64) {
    let parse = |text: &str| -> Result<Option<jiff::civil::Date>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<jiff::civil::Date>().map(Some).map_err(|_| {
            format!(
                "« {} » n'est pas une date : choisissez-la dans le calendrier (AAAA-MM-JJ).",
                cartable_domain::text::shown(text, 20)
            )
        })
    };
    let from = parse(&filters.from).unwrap_or_else(|e| {
        filters.from_error = Some(e);
        None
    });
    let until = parse(&filters.until).unwrap_or_else(|e| {
        filters.until_error = Some(e);
        None
    });
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        filters.until_error = Some("La fin de la période précède son début.".into());
    }
    let start = from.and_then(day_start).unwrap_or(0);
    let end = until
        .and_then(|u| u.tomorrow().ok())
        .and_then(day_start)
        .unwrap_or(i64::MAX);
    (start, end)
}

/// The structure's staff, by name (disabled accounts too: their actions stay).
async fn staff_choices(
    state: &AppState,
    structure_id: &str,
) -> Result<Vec<StaffChoice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, display_name FROM accounts WHERE structure_id = $1 AND family_id IS NULL \
         ORDER BY display_name, id",
    )
    .bind(structure_id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StaffChoice {
                id: r.try_get("id")?,
                name: r.try_get("display_name")?,
            })
        })
        .collect()
}

/// GET /admin/journal?famille=&personnel=&du=&au=&avant= (every filter optional)
pub async fn page(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<JournalQuery>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let clean = |v: &Option<String>| -> String {
        v.as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .take(100)
            .collect()
    };
    let mut filters = Filters {
        family: clean(&q.famille),
        staff: clean(&q.personnel),
        from: clean(&q.du),
        until: clean(&q.au),
        ..Default::default()
    };
    let (start, end) = period(&mut filters);
    let choices = staff_choices(&state, &structure_id).await?;
    let chrome = staff.0.chrome("Journal", "journal");
    if filters.from_error.is_some() || filters.until_error.is_some() {
        return Ok(render::page_with_status(
            StatusCode::BAD_REQUEST,
            &JournalPage {
                chrome,
                entries: Vec::new(),
                older: None,
                paged: false,
                staff: choices,
                filter_query: filters.query(),
                filters,
            },
        ));
    }
    let rows = sqlx::query(
        "SELECT l.id, l.at_ms, l.action, l.family_id, l.account_id, l.detail, a.display_name, \
         f.name AS family_name FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id \
         LEFT JOIN families f ON f.id = l.family_id AND f.structure_id = l.structure_id \
         WHERE l.structure_id = $1 AND l.id < $2 \
         AND ($3 = '' OR l.account_id = $3) \
         AND l.at_ms >= $4 AND l.at_ms < $5 \
         AND ($6 = '%%' OR f.name_key LIKE $6 ESCAPE '\\' \
              OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id AND \
                 ((c.first_name_key || ' ' || c.last_name_key) LIKE $6 ESCAPE '\\' \
                  OR (c.last_name_key || ' ' || c.first_name_key) LIKE $6 ESCAPE '\\'))) \
         ORDER BY l.id DESC LIMIT $7",
    )
    .bind(&structure_id)
    .bind(q.avant.unwrap_or(i64::MAX))
    .bind(&filters.staff)
    .bind(start)
    .bind(end)
    .bind(super::families::like_pattern(&filters.family))
    .bind(PAGE_SIZE + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let mut entries = Vec::new();
    let mut last_id = None;
    for r in rows.iter().take(usize::try_from(PAGE_SIZE).unwrap_or(100)) {
        last_id = Some(r.try_get::<i64, _>("id")?);
        let family_name: Option<String> = r.try_get("family_name")?;
        let action: String = r.try_get("action")?;
        let who = match r.try_get::<Option<String>, _>("display_name")? {
            Some(name) => name,
            // A payment confirmed by the online payment service has no member of staff.
            None if action == "record_payment" => format!(
                "Paiement en ligne ({})",
                r.try_get::<String, _>("account_id")?
            ),
            None => "compte supprimé".into(),
        };
        entries.push(Entry {
            at: format::instant(r.try_get("at_ms")?),
            who,
            action: action_label(&action),
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
        chrome,
        entries,
        older,
        paged: q.avant.is_some(),
        staff: choices,
        filter_query: filters.query(),
        filters,
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
