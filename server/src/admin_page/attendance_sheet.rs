//! Attendance ("pointage") for agents and administrators: the sheet of an activity on a
//! day, a mark per child (présent, absent, absent justifié, or none yet), a child who came
//! without a booking, and "every booked child present" in one action. The marks go through
//! the staff API's own functions ([`attendance`]): same checks, same storage, a child of
//! another structure is "not found" and nothing is written.

use super::daily_lists::choice_error;
use super::day_choice::{self, DayChoice, DayQuery, query_of};
use super::render::{self, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::routes::staff::attendance::{self, MarkRequest};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use cartable_domain::invoicing::Attendance;
use sqlx::Row as _;
use std::collections::HashMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin/pointage", axum::routing::get(page).post(save))
        .route(
            "/admin/pointage/tous-presents",
            axum::routing::post(all_present),
        )
        .route("/admin/pointage/ajouter", axum::routing::post(add_unbooked))
}

/// A child on the sheet, as the page shows it.
struct SheetLine {
    /// Position on the sheet (the form's field names).
    index: usize,
    child_id: String,
    name: String,
    class: String,
    booking: &'static str,
    booked: bool,
    absence_declared: bool,
    /// "", "present", "absent" or "absent_justified".
    status: &'static str,
    note: String,
}

/// A child of the structure who is not on the sheet (to mark present without a booking).
struct Other {
    child_id: String,
    label: String,
}

struct Counts {
    present: usize,
    absent: usize,
    justified: usize,
    unmarked: usize,
}

#[derive(Template)]
#[template(path = "admin/attendance.html")]
struct SheetPage {
    chrome: render::Chrome,
    csrf: String,
    choice: DayChoice,
    notice: Option<String>,
    lines: Vec<SheetLine>,
    others: Vec<Other>,
    counts: Counts,
    booked_unmarked: usize,
}

fn booking_label(booking: Option<&str>) -> &'static str {
    match booking {
        Some("kept_billable") => "Annulée hors délai (facturée)",
        Some(_) => "Inscrit",
        None => "Sans réservation",
    }
}

fn notice_of(q: &DayQuery) -> Option<String> {
    let n = q.nombre.unwrap_or(0);
    match q.fait.as_deref()? {
        "enregistre" if n == 0 => Some("Aucun changement à enregistrer.".into()),
        "enregistre" if n == 1 => Some("Pointage enregistré : 1 enfant mis à jour.".into()),
        "enregistre" => Some(format!("Pointage enregistré : {n} enfants mis à jour.")),
        "tous" if n == 0 => Some("Tous les enfants inscrits étaient déjà pointés.".into()),
        "tous" if n == 1 => Some("1 enfant inscrit marqué présent.".into()),
        "tous" => Some(format!("{n} enfants inscrits marqués présents.")),
        "ajoute" => Some("L'enfant venu sans réservation est marqué présent.".into()),
        _ => None,
    }
}

/// GET /admin/pointage?jour=&activite=
pub async fn page(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<DayQuery>,
) -> PageResult {
    let choice = match day_choice::choose(&state, &staff.0.session.structure_id, &q).await {
        Ok(c) => c,
        Err(e) => return choice_error(&staff, "Pointage", "pointage", "/admin/pointage", e),
    };
    let user = staff.staff();
    let sheet = attendance::read_sheet(&state, &user, &choice.iso, &choice.activity_id).await?;
    let mut counts = Counts {
        present: 0,
        absent: 0,
        justified: 0,
        unmarked: 0,
    };
    let mut booked_unmarked = 0;
    let lines: Vec<SheetLine> = sheet
        .children
        .iter()
        .enumerate()
        .map(|(index, c)| {
            match c.status {
                Some(Attendance::Present) => counts.present += 1,
                Some(Attendance::Absent) => counts.absent += 1,
                Some(Attendance::AbsentJustified) => counts.justified += 1,
                None => counts.unmarked += 1,
            }
            if c.status.is_none() && c.booking.is_some() && !c.absence_declared {
                booked_unmarked += 1;
            }
            SheetLine {
                index,
                child_id: c.child_id.clone(),
                name: format!("{} {}", c.last_name, c.first_name),
                class: c.class.clone(),
                booking: booking_label(c.booking.as_deref()),
                booked: c.booking.is_some(),
                absence_declared: c.absence_declared,
                status: c.status.map_or("", Attendance::code),
                note: c.note.clone(),
            }
        })
        .collect();
    let on_sheet: Vec<&str> = lines.iter().map(|l| l.child_id.as_str()).collect();
    let rows = sqlx::query(
        "SELECT c.child_id, c.first_name, c.last_name, c.class FROM children c \
         JOIN families f ON f.id = c.family_id WHERE f.structure_id = $1 \
         ORDER BY c.last_name, c.first_name, c.child_id",
    )
    .bind(staff.0.session.structure_id.as_str())
    .fetch_all(&state.db.pool)
    .await?;
    let mut others = Vec::new();
    for r in &rows {
        let child_id: String = r.try_get("child_id")?;
        if on_sheet.contains(&child_id.as_str()) {
            continue;
        }
        let class: String = r.try_get("class")?;
        let name = format!(
            "{} {}",
            r.try_get::<String, _>("last_name")?,
            r.try_get::<String, _>("first_name")?
        );
        others.push(Other {
            child_id,
            label: if class.is_empty() {
                name
            } else {
                format!("{name} ({class})")
            },
        });
    }
    Ok(render::page(&SheetPage {
        chrome: staff.chrome("Pointage", "pointage"),
        csrf: staff.csrf(),
        notice: notice_of(&q),
        choice,
        lines,
        others,
        counts,
        booked_unmarked,
    }))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn back_to(day: &str, activity_id: &str, done: &str, n: u64) -> String {
    format!(
        "/admin/pointage?{}&fait={done}&nombre={n}",
        query_of(day, activity_id)
    )
}

/// The checked day and activity a form is about.
async fn day_of(
    state: &AppState,
    staff: &PageStaff,
    fields: &[(String, String)],
) -> Result<(String, String), render::PageError> {
    let day = field(fields, "jour").unwrap_or_default();
    let activity_id = field(fields, "activite").unwrap_or_default().to_string();
    let day = attendance::checked(state, &staff.staff(), day, &activity_id).await?;
    Ok((day, activity_id))
}

/// POST /admin/pointage : the marks of the sheet; only the children whose mark or note
/// changed are written.
pub async fn save(
    State(state): State<AppState>,
    staff: PageStaff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let (day, activity_id) = day_of(&state, &staff, &fields).await?;
    let user = staff.staff();
    let current = attendance::read_sheet(&state, &user, &day, &activity_id).await?;
    let before: HashMap<&str, (Option<Attendance>, &str)> = current
        .children
        .iter()
        .map(|c| (c.child_id.as_str(), (c.status, c.note.as_str())))
        .collect();
    let by_name: HashMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut requests = Vec::new();
    for index in 0..=attendance::MAX_MARKS {
        let Some(child_id) = by_name.get(format!("enfant-{index}").as_str()) else {
            continue;
        };
        let status = by_name
            .get(format!("statut-{index}").as_str())
            .copied()
            .filter(|s| !s.is_empty())
            .map(String::from);
        let note = by_name
            .get(format!("note-{index}").as_str())
            .copied()
            .unwrap_or_default()
            .to_string();
        requests.push(MarkRequest {
            child_id: child_id.to_string(),
            status,
            note,
        });
    }
    let marks = attendance::check_marks(&requests)?;
    let changed: Vec<_> = marks
        .into_iter()
        .filter(|m| {
            before
                .get(m.child_id.as_str())
                .is_none_or(|(status, note)| *status != m.status || *note != m.note)
        })
        .collect();
    attendance::write_marks(&state, &user, &day, &activity_id, &changed).await?;
    let n = u64::try_from(changed.len()).unwrap_or(0);
    Ok(render::see_other(&back_to(
        &day,
        &activity_id,
        "enregistre",
        n,
    )))
}

/// POST /admin/pointage/tous-presents : every booked child not yet marked, and whose
/// parents declared no absence, present.
pub async fn all_present(
    State(state): State<AppState>,
    staff: PageStaff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let (day, activity_id) = day_of(&state, &staff, &fields).await?;
    let n = attendance::mark_all_present(&state, &staff.staff(), &day, &activity_id).await?;
    Ok(render::see_other(&back_to(&day, &activity_id, "tous", n)))
}

/// POST /admin/pointage/ajouter : a child who came without a booking, marked present.
pub async fn add_unbooked(
    State(state): State<AppState>,
    staff: PageStaff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let (day, activity_id) = day_of(&state, &staff, &fields).await?;
    let child_id = field(&fields, "enfant").unwrap_or_default();
    if child_id.is_empty() {
        return Ok(render::error_page(
            axum::http::StatusCode::BAD_REQUEST,
            "Pointage",
            "Choisissez l'enfant venu sans réservation.",
        ));
    }
    let marks = attendance::check_marks(&[MarkRequest {
        child_id: child_id.to_string(),
        status: Some(Attendance::Present.code().to_string()),
        note: "Venu sans réservation".into(),
    }])?;
    attendance::write_marks(&state, &staff.staff(), &day, &activity_id, &marks).await?;
    Ok(render::see_other(&back_to(&day, &activity_id, "ajoute", 1)))
}
