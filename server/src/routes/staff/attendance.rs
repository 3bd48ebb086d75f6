//! Attendance ("pointage"): the sheet of one activity on one day, marks per child (present,
//! absent, absent with a justification), and "all booked children present". Agents and
//! administrators alike; every child must belong to the caller's structure.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::attendance::{self, Mark, SheetRow};
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use crate::routes::Json as JsonBody;
use crate::routes::Path;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use cartable_domain::invoicing::Attendance;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/staff/attendance/{date}/{activity_id}",
            get(show).put(put_marks),
        )
        .route(
            "/api/v1/staff/attendance/{date}/{activity_id}/all-present",
            post(all_present),
        )
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Sheet {
    pub date: String,
    pub activity_id: String,
    pub children: Vec<SheetRow>,
}

/// One mark sent by staff; `status: null` removes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkRequest {
    pub child_id: String,
    pub status: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarksRequest {
    pub marks: Vec<MarkRequest>,
}

/// The day of a sheet, checked: a date, and an activity of the structure of `staff`
/// (another structure's or an unknown activity is "not found").
pub async fn checked(
    state: &AppState,
    staff: &StaffUser,
    date: &str,
    activity_id: &str,
) -> AppResult<String> {
    let day: Date = date.parse().map_err(|_| {
        AppError::bad_request(format!(
            "date invalide « {} » (AAAA-MM-JJ)",
            cartable_domain::text::shown(date, 40)
        ))
    })?;
    let c = catalogue::read(state, staff.structure_id()).await?;
    if !c.activities.contains_key(activity_id) {
        return Err(AppError::not_found());
    }
    Ok(day.to_string())
}

/// The attendance sheet of a checked day and activity.
pub async fn read_sheet(
    state: &AppState,
    staff: &StaffUser,
    day: &str,
    activity_id: &str,
) -> AppResult<Sheet> {
    let mut conn = state.db.pool.acquire().await?;
    let children = attendance::sheet(&mut conn, staff.structure_id(), activity_id, day).await?;
    Ok(Sheet {
        date: day.to_string(),
        activity_id: activity_id.to_string(),
        children,
    })
}

async fn show(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((date, activity_id)): Path<(String, String)>,
) -> AppResult<Json<Sheet>> {
    let day = checked(&state, &staff, &date, &activity_id).await?;
    Ok(Json(read_sheet(&state, &staff, &day, &activity_id).await?))
}

/// Most marks in one sending.
pub const MAX_MARKS: usize = 2000;

/// A mark checked: its status (`None` removes it) and its note.
#[derive(Debug, Clone)]
pub struct CheckedMark {
    pub child_id: String,
    pub status: Option<Attendance>,
    pub note: String,
}

/// Checks marks as sent (status codes, note length, how many).
pub fn check_marks(marks: &[MarkRequest]) -> AppResult<Vec<CheckedMark>> {
    if marks.len() > MAX_MARKS {
        return Err(AppError::bad_request("au plus 2000 enfants par envoi"));
    }
    let mut out = Vec::with_capacity(marks.len());
    for m in marks {
        let status = match m.status.as_deref() {
            None => None,
            Some(code) => Some(Attendance::from_code(code).ok_or_else(|| {
                AppError::bad_request(format!(
                    "statut inconnu « {} » (present, absent ou absent_justified)",
                    cartable_domain::text::shown(code, 40)
                ))
            })?),
        };
        if m.note.chars().count() > 500 {
            return Err(AppError::bad_request("note : 500 caractères au plus"));
        }
        out.push(CheckedMark {
            child_id: m.child_id.clone(),
            status,
            note: m.note.trim().to_string(),
        });
    }
    Ok(out)
}

/// Writes checked marks of a checked day and activity, all or none: a child who is not of
/// the structure of `staff` is "not found" and nothing is written.
pub async fn write_marks(
    state: &AppState,
    staff: &StaffUser,
    day: &str,
    activity_id: &str,
    marks: &[CheckedMark],
) -> AppResult<()> {
    let at_ms = state.clock.now().as_millisecond();
    let mut tx = state.db.begin_write().await?;
    for m in marks {
        let Some(family_id) =
            attendance::family_of_child(&mut tx.tx, staff.structure_id(), &m.child_id).await?
        else {
            return Err(AppError::client(
                axum::http::StatusCode::NOT_FOUND,
                cartable_domain::api::ErrorCode::NotFound,
                format!(
                    "Enfant inconnu : {}",
                    cartable_domain::text::shown(&m.child_id, 60)
                ),
            ));
        };
        let mark = Mark {
            structure_id: staff.structure_id(),
            family_id: &family_id,
            child_id: &m.child_id,
            activity_id,
            day,
            status: m.status,
            note: &m.note,
            recorded_by: &staff.session.account_id,
            at_ms,
        };
        attendance::put(&mut tx.tx, &mark).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn put_marks(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((date, activity_id)): Path<(String, String)>,
    JsonBody(request): JsonBody<MarksRequest>,
) -> AppResult<Json<Sheet>> {
    let day = checked(&state, &staff, &date, &activity_id).await?;
    let marks = check_marks(&request.marks)?;
    write_marks(&state, &staff, &day, &activity_id, &marks).await?;
    Ok(Json(read_sheet(&state, &staff, &day, &activity_id).await?))
}

/// Marks every child booked on a checked day present (not those already marked, nor
/// those whose parents declared an absence); returns how many were marked.
pub async fn mark_all_present(
    state: &AppState,
    staff: &StaffUser,
    day: &str,
    activity_id: &str,
) -> AppResult<u64> {
    let at_ms = state.clock.now().as_millisecond();
    let mut tx = state.db.begin_write().await?;
    let marked = attendance::all_booked_present(
        &mut tx.tx,
        staff.structure_id(),
        activity_id,
        day,
        &staff.session.account_id,
        at_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(marked)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AllPresent {
    /// Children marked present by this call.
    pub marked: u64,
    pub sheet: Sheet,
}

async fn all_present(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((date, activity_id)): Path<(String, String)>,
) -> AppResult<Json<AllPresent>> {
    let day = checked(&state, &staff, &date, &activity_id).await?;
    let marked = mark_all_present(&state, &staff, &day, &activity_id).await?;
    let sheet = read_sheet(&state, &staff, &day, &activity_id).await?;
    Ok(Json(AllPresent { marked, sheet }))
}
