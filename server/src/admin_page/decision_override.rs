//! Staff accepting or refusing a child's booking for a day, with a reason the family reads
//! (agents and administrators): a form reached from the family's planning or from the
//! day's list, written through the staff API's own override
//! ([`decisions::apply_override`]): same checks, counters, audit; the family's phones show
//! it after their next sync.

use super::families::family_in;
use super::family_planning;
use super::format;
use super::render::{self, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::docs::catalogue;
use crate::error::AppError;
use crate::routes::staff::decisions::{self, Override};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use cartable_domain::ids::{ActivityId, ChildId, FamilyId};
use cartable_domain::planning::Outcome;
use jiff::civil::Date;
use serde::Deserialize;
use sqlx::Row;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/admin/familles/{family_id}/decision",
        axum::routing::get(form).post(submit),
    )
}

/// The form's fields, as the address or the posted form gives them.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionFields {
    #[serde(default)]
    pub enfant: Option<String>,
    #[serde(default)]
    pub jour: Option<String>,
    #[serde(default)]
    pub activite: Option<String>,
    /// "accepter" or "refuser".
    #[serde(default)]
    pub choix: Option<String>,
    #[serde(default)]
    pub motif: Option<String>,
    /// "liste" to go back to the day's list once done.
    #[serde(default)]
    pub retour: Option<String>,
}

struct Choice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Default)]
struct Errors {
    jour: Option<String>,
    choix: Option<String>,
    motif: Option<String>,
    /// Not tied to one field (no request for that day).
    general: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        self.jour.is_some()
            || self.choix.is_some()
            || self.motif.is_some()
            || self.general.is_some()
    }
}

#[derive(Template)]
#[template(path = "admin/decision_override.html")]
struct FormPage {
    chrome: render::Chrome,
    csrf: String,
    family_id: String,
    family_name: String,
    children: Vec<Choice>,
    activities: Vec<Choice>,
    jour: String,
    choix: String,
    motif: String,
    retour: String,
    /// Where "Annuler" leads.
    back: String,
    /// "Réservé", "Refusé : complet"… for the cell chosen, when all of it is chosen.
    current: Option<String>,
    errors: Errors,
    max_reason: usize,
}

/// The family's children and the structure's activities, with the ones chosen.
async fn choices(
    state: &AppState,
    staff: &PageStaff,
    family_id: &str,
    child: &str,
    activity: &str,
) -> Result<(Vec<Choice>, Vec<Choice>), render::PageError> {
    let rows = sqlx::query(
        "SELECT child_id, first_name, last_name FROM children WHERE family_id = $1 \
         ORDER BY first_name, child_id",
    )
    .bind(family_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut children = Vec::new();
    for r in &rows {
        let id: String = r.try_get("child_id")?;
        children.push(Choice {
            selected: id == child,
            name: format!(
                "{} {}",
                r.try_get::<String, _>("first_name")?,
                r.try_get::<String, _>("last_name")?
            ),
            id,
        });
    }
    let catalogue = catalogue::read(state, &staff.0.session.structure_id).await?;
    let mut activities: Vec<Choice> = catalogue
        .activities
        .iter()
        .map(|(id, a)| Choice {
            selected: id == activity,
            id: id.clone(),
            name: a.name.clone(),
        })
        .collect();
    activities.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((children, activities))
}

/// What the family's planning shows now for the cell chosen.
async fn current_state(
    state: &AppState,
    staff: &PageStaff,
    family_id: &str,
    child: &str,
    day: &str,
    activity: &str,
) -> Result<Option<String>, render::PageError> {
    let Ok(day) = day.parse::<Date>() else {
        return Ok(None);
    };
    if child.is_empty() || activity.is_empty() {
        return Ok(None);
    }
    let cell = family_planning::cell(
        state,
        &staff.0.session.structure_id,
        family_id,
        child,
        day,
        activity,
    )
    .await?;
    Ok(Some(match cell {
        None => "l'activité n'a pas lieu ce jour-là".to_string(),
        Some(c) if c.class == "none" => "aucune demande de réservation".to_string(),
        Some(c) if c.reason.is_empty() => c.label.to_string(),
        Some(c) => format!("{} ({})", c.label, c.reason),
    }))
}

async fn render_form(
    state: &AppState,
    staff: &PageStaff,
    family_id: String,
    family_name: String,
    f: &DecisionFields,
    errors: Errors,
) -> PageResult {
    let child = f.enfant.as_deref().unwrap_or_default();
    let activity = f.activite.as_deref().unwrap_or_default();
    let jour = f.jour.clone().unwrap_or_default();
    let (children, activities) = choices(state, staff, &family_id, child, activity).await?;
    let current = current_state(state, staff, &family_id, child, &jour, activity).await?;
    let back = if f.retour.as_deref() == Some("liste") {
        format!(
            "/admin/listes?{}",
            super::day_choice::query_of(jour.trim(), activity)
        )
    } else {
        format!("/admin/familles/{family_id}#planning")
    };
    let status = if errors.any() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render::page_with_status(
        status,
        &FormPage {
            chrome: staff.chrome(
                &format!("Accepter ou refuser une réservation – {family_name}"),
                "familles",
            ),
            csrf: staff.csrf(),
            family_id,
            family_name,
            children,
            activities,
            jour,
            choix: f.choix.clone().unwrap_or_default(),
            motif: f.motif.clone().unwrap_or_default(),
            retour: f.retour.clone().unwrap_or_default(),
            back,
            current,
            errors,
            max_reason: decisions::MAX_REASON_CHARS,
        },
    ))
}

/// GET /admin/familles/{family_id}/decision?enfant=&jour=&activite=&choix=
pub async fn form(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(family_id): Path<String>,
    Query(q): Query<DecisionFields>,
) -> PageResult {
    let Some(name) = family_in(&state, staff.0.session.structure_id.as_str(), &family_id).await?
    else {
        return Ok(render::not_found());
    };
    render_form(&state, &staff, family_id, name, &q, Errors::default()).await
}

/// Where to go once the decision is written.
fn done_location(
    family_id: &str,
    f: &DecisionFields,
    day: Date,
    activity: &str,
    outcome: Outcome,
) -> String {
    if f.retour.as_deref() == Some("liste") {
        let done = if outcome == Outcome::Accepted {
            "acceptation"
        } else {
            "refus"
        };
        format!(
            "/admin/listes?{}&{}",
            super::day_choice::query_of(&day.to_string(), activity),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("fait", done)
                .append_pair("enfant", f.enfant.as_deref().unwrap_or_default())
                .finish()
        )
    } else {
        format!("/admin/familles/{family_id}?semaine={day}&decision=1#planning")
    }
}

/// POST /admin/familles/{family_id}/decision
pub async fn submit(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(family_id): Path<String>,
    Form(f): Form<DecisionFields>,
) -> PageResult {
    let Some(name) = family_in(&state, staff.0.session.structure_id.as_str(), &family_id).await?
    else {
        return Ok(render::not_found());
    };
    let child = f.enfant.clone().unwrap_or_default();
    let activity = f.activite.clone().unwrap_or_default();
    let (children, activities) = choices(&state, &staff, &family_id, &child, &activity).await?;
    // Another family's child or another structure's activity: not found, nothing written.
    if !children.iter().any(|c| c.selected) || !activities.iter().any(|a| a.selected) {
        return Ok(render::not_found());
    }
    let mut errors = Errors::default();
    let day = f.jour.as_deref().unwrap_or_default().trim().parse::<Date>();
    if day.is_err() {
        errors.jour = Some("Choisissez le jour dans le calendrier.".into());
    }
    let outcome = match f.choix.as_deref() {
        Some("accepter") => Some(Outcome::Accepted),
        Some("refuser") => Some(Outcome::Refused),
        _ => {
            errors.choix = Some("Choisissez d'accepter ou de refuser la réservation.".into());
            None
        }
    };
    let reason = f.motif.clone().unwrap_or_default();
    if decisions::checked_reason(&reason).is_err() {
        errors.motif = Some(format!(
            "Écrivez le motif que la famille lira ({} caractères au plus).",
            decisions::MAX_REASON_CHARS
        ));
    }
    let (Ok(day), Some(outcome), false) = (day, outcome, errors.any()) else {
        return render_form(&state, &staff, family_id, name, &f, errors).await;
    };
    let req = Override {
        family_id: FamilyId::new(family_id.clone()),
        child_id: ChildId::new(child),
        date: day,
        activity_id: ActivityId::new(activity.clone()),
        outcome,
        reason,
    };
    match decisions::apply_override(&state, &staff.staff(), &req).await {
        Ok(_) => Ok(render::see_other(&done_location(
            &family_id, &f, day, &activity, outcome,
        ))),
        // Family, child and activity are the structure's: what is missing is the request.
        Err(AppError::Client { status, .. }) if status == StatusCode::NOT_FOUND => {
            let errors = Errors {
                general: Some(format!(
                    "La famille n'a rien demandé pour cet enfant et cette activité le {} : \
                     il n'y a pas de réservation à accepter ou refuser.",
                    format::date(day)
                )),
                ..Errors::default()
            };
            render_form(&state, &staff, family_id, name, &f, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
