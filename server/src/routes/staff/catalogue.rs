//! Catalogue configuration: activities (days, calendar, capacity, eligibility, deadline
//! rules), closures, contact details.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::audit;
use crate::docs::catalogue;
use crate::docs::closures::{self, ClosuresPreview};
use crate::error::{AppError, AppResult};
use crate::routes::Json as JsonBody;
use crate::routes::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use cartable_domain::catalogue::{Activity, Catalogue, Closure, Contact, DeadlineRule};
use cartable_domain::text;
use jiff::civil::{Date, DateTime, Time};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/catalogue", get(show))
        .route(
            "/api/v1/staff/catalogue/activities/{activity_id}",
            put(put_activity).delete(delete_activity),
        )
        .route("/api/v1/staff/catalogue/closures", put(put_closures))
        .route(
            "/api/v1/staff/catalogue/closures/preview",
            post(preview_closures),
        )
        .route("/api/v1/staff/catalogue/settings", put(put_settings))
}

async fn show(State(state): State<AppState>, staff: StaffUser) -> AppResult<Json<Catalogue>> {
    Ok(Json(catalogue::read(&state, staff.structure_id()).await?))
}

fn bad(message: String) -> AppError {
    AppError::bad_request(message)
}

fn check_date(field: &str, value: &str, optional: bool) -> AppResult<()> {
    if (optional && value.is_empty()) || value.parse::<Date>().is_ok() {
        Ok(())
    } else {
        Err(bad(format!(
            "{field} : date attendue au format AAAA-MM-JJ, reçu « {} »",
            text::shown(value, 40)
        )))
    }
}

fn check_time(field: &str, value: &str) -> AppResult<()> {
    if value.len() == 5 && value.parse::<Time>().is_ok() {
        Ok(())
    } else {
        Err(bad(format!(
            "{field} : heure attendue au format HH:MM, reçu « {} »",
            text::shown(value, 40)
        )))
    }
}

fn check_instant(field: &str, value: &str) -> AppResult<()> {
    value.parse::<DateTime>().map(|_| ()).map_err(|_| {
        bad(format!(
            "{field} : instant attendu au format AAAA-MM-JJTHH:MM, reçu « {} »",
            text::shown(value, 40)
        ))
    })
}

fn check_weekday(field: &str, day: u8) -> AppResult<()> {
    if (1..=7).contains(&day) {
        Ok(())
    } else {
        Err(bad(format!(
            "{field} : jour de la semaine entre 1 (lundi) et 7 (dimanche)"
        )))
    }
}

fn check_rule(rule: &DeadlineRule) -> AppResult<()> {
    match rule {
        DeadlineRule::DaysBefore {
            days,
            at,
            skip_weekdays,
            ..
        } => {
            check_time("at", at)?;
            if *days > 366 {
                return Err(bad("days : au plus 366".into()));
            }
            skip_weekdays
                .iter()
                .try_for_each(|d| check_weekday("skip_weekdays", *d))
        }
        DeadlineRule::WeekdayOfPreviousWeek {
            weekday,
            at,
            weeks_before,
        } => {
            check_weekday("weekday", *weekday)?;
            check_time("at", at)?;
            if *weeks_before > 8 {
                return Err(bad("weeks_before : au plus 8".into()));
            }
            Ok(())
        }
        DeadlineRule::DayOfPreviousMonth { day, at } => {
            check_time("at", at)?;
            if !(1..=31).contains(day) {
                return Err(bad("day : entre 1 et 31".into()));
            }
            Ok(())
        }
        DeadlineRule::HoursBefore { hours } => {
            if *hours > 24 * 366 {
                return Err(bad("hours : au plus une année".into()));
            }
            Ok(())
        }
        DeadlineRule::ReadOnlyFrom {
            from,
            period_from,
            period_to,
        } => {
            check_instant("from", from)?;
            check_date("period_from", period_from, true)?;
            check_date("period_to", period_to, true)
        }
        DeadlineRule::Window { opens, closes } => {
            check_instant("opens", opens)?;
            check_instant("closes", closes)
        }
    }
}

/// The structure's contact details, shown to families on the Informations screen.
fn check_contact(contact: &Contact) -> AppResult<()> {
    let checks = [
        ("contact.phone", text::check_line(&contact.phone, 40)),
        ("contact.email", text::check_line(&contact.email, 200)),
        (
            "contact.address",
            text::check_multiline(&contact.address, 500),
        ),
        (
            "contact.opening_hours",
            text::check_multiline(&contact.opening_hours, 1000),
        ),
    ];
    for (field, result) in checks {
        result.map_err(|e| bad(format!("{field} : {e}")))?;
    }
    Ok(())
}

/// Checks an activity sent by staff; the message names the faulty field.
pub fn check_activity(a: &Activity) -> AppResult<()> {
    text::check_required(&a.name, 200).map_err(|e| bad(format!("name : {e}")))?;
    text::check_line(&a.kind, 40).map_err(|e| bad(format!("kind : {e}")))?;
    if a.weekdays.is_empty() {
        return Err(bad("weekdays : au moins un jour de la semaine".into()));
    }
    a.weekdays
        .iter()
        .try_for_each(|d| check_weekday("weekdays", *d))?;
    if !a.start_time.is_empty() {
        check_time("start_time", &a.start_time)?;
    }
    check_date("first_day", &a.first_day, true)?;
    check_date("last_day", &a.last_day, true)?;
    if let (Some(min), Some(max)) = (a.eligibility.min_age_years, a.eligibility.max_age_years)
        && min > max
    {
        return Err(bad(
            "eligibility : âge minimum supérieur à l'âge maximum".into()
        ));
    }
    a.booking_rules.iter().try_for_each(check_rule)?;
    a.cancel_rules.iter().try_for_each(check_rule)?;
    if !a.absence.free_before.is_empty() {
        check_time("absence.free_before", &a.absence.free_before)?;
    }
    Ok(())
}

/// Creates or replaces an activity of the structure (administrators), checked as the
/// staff API checks it.
pub async fn save_activity(
    state: &AppState,
    staff: &StaffUser,
    activity_id: String,
    activity: Activity,
) -> AppResult<Catalogue> {
    staff.require_admin()?;
    if !cartable_domain::ids::is_valid_id(&activity_id) {
        return Err(bad(format!(
            "identifiant d'activité invalide « {} » (minuscules, chiffres, - et _)",
            text::shown(&activity_id, 40)
        )));
    }
    check_activity(&activity)?;
    let detail = format!("{activity_id} : {}", text::shown(&activity.name, 80));
    catalogue::update_by(
        state,
        staff.structure_id(),
        staff.who_now(state),
        "change_activity",
        |c| {
            c.activities.insert(activity_id, activity);
            Ok(detail)
        },
    )
    .await
}

async fn put_activity(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(activity_id): Path<String>,
    JsonBody(activity): JsonBody<Activity>,
) -> AppResult<Json<Catalogue>> {
    Ok(Json(
        save_activity(&state, &staff, activity_id, activity).await?,
    ))
}

async fn delete_activity(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(activity_id): Path<String>,
) -> AppResult<StatusCode> {
    staff.require_admin()?;
    catalogue::update_by(
        &state,
        staff.structure_id(),
        staff.who_now(&state),
        "delete_activity",
        |c| {
            let removed = c
                .activities
                .remove(&activity_id)
                .ok_or_else(AppError::not_found)?;
            Ok(format!(
                "{activity_id} : {}",
                text::shown(&removed.name, 80)
            ))
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn check_closures(closures: &[Closure]) -> AppResult<()> {
    for c in closures {
        text::check_required(&c.label, 200)
            .map_err(|e| bad(format!("label : libellé de fermeture : {e}")))?;
        check_date("from", &c.from, false)?;
        check_date("to", &c.to, false)?;
        if c.to < c.from {
            return Err(bad(format!(
                "fermeture « {} » : fin avant le début",
                text::shown(&c.label, 40)
            )));
        }
    }
    Ok(())
}

/// Replaces the structure's closures (administrators); bookings on days a closure now
/// closes are cancelled by the structure (see `docs::closures`). Returns the catalogue and
/// how many bookings were cancelled.
pub async fn replace_closures(
    state: &AppState,
    staff: &StaffUser,
    closures: Vec<Closure>,
) -> AppResult<(Catalogue, usize)> {
    staff.require_admin()?;
    check_closures(&closures)?;
    let updated = catalogue::update_by(
        state,
        staff.structure_id(),
        staff.who_now(state),
        "change_closures",
        |c| {
            let unknown = closures
                .iter()
                .flat_map(|closure| &closure.activities)
                .find(|id| !c.activities.contains_key(id.as_str()));
            if let Some(id) = unknown {
                return Err(bad(format!(
                    "activities : activité « {} » inconnue",
                    text::shown(id, 40)
                )));
            }
            let detail = format!(
                "{} fermeture(s) : {}",
                closures.len(),
                closures
                    .iter()
                    .map(|c| format!("{} ({} – {})", text::shown(&c.label, 60), c.from, c.to))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            c.closures = closures;
            Ok(detail)
        },
    )
    .await?;
    // The bookings on the new closed days are cancelled afterwards, family by family, each
    // in a write of its own: their count is an entry of its own.
    let cancelled = closures::after_change(state, staff.structure_id(), &updated).await;
    if cancelled > 0 {
        audit::record_alone(
            &state.db,
            staff.who_now(state),
            "cancel_for_closures",
            None,
            &format!("{cancelled} réservation(s) annulée(s)"),
        )
        .await?;
    }
    Ok((updated, cancelled))
}

async fn put_closures(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(closures): JsonBody<Vec<Closure>>,
) -> AppResult<Json<Catalogue>> {
    Ok(Json(replace_closures(&state, &staff, closures).await?.0))
}

/// What replacing the closures with `list` would cancel, without changing anything.
pub async fn closures_preview(
    state: &AppState,
    staff: &StaffUser,
    list: Vec<Closure>,
) -> AppResult<ClosuresPreview> {
    check_closures(&list)?;
    let current = catalogue::read(state, staff.structure_id()).await?;
    closures::preview(state, staff.structure_id(), &current, list).await
}

async fn preview_closures(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(list): JsonBody<Vec<Closure>>,
) -> AppResult<Json<ClosuresPreview>> {
    Ok(Json(closures_preview(&state, &staff, list).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    structure_name: Option<String>,
    contact: Option<Contact>,
    open_on_public_holidays: Option<bool>,
}

async fn put_settings(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(settings): JsonBody<Settings>,
) -> AppResult<Json<Catalogue>> {
    staff.require_admin()?;
    if let Some(name) = &settings.structure_name {
        text::check_required(name, 200).map_err(|e| bad(format!("structure_name : {e}")))?;
    }
    if let Some(contact) = &settings.contact {
        check_contact(contact)?;
    }
    let updated = catalogue::update_by(
        &state,
        staff.structure_id(),
        staff.who_now(&state),
        "change_settings",
        |c| {
            let mut changed = Vec::new();
            if let Some(name) = settings.structure_name {
                c.structure_name = name.trim().to_string();
                changed.push(format!("nom « {} »", text::shown(&c.structure_name, 80)));
            }
            if let Some(contact) = settings.contact {
                c.contact = contact;
                changed.push("coordonnées".to_string());
            }
            if let Some(open) = settings.open_on_public_holidays {
                c.open_on_public_holidays = open;
                changed.push(
                    if open {
                        "ouvert les jours fériés"
                    } else {
                        "fermé les jours fériés"
                    }
                    .to_string(),
                );
            }
            Ok(changed.join(", "))
        },
    )
    .await?;
    Ok(Json(updated))
}
