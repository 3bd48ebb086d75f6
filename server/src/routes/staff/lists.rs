//! Daily lists for staff (who is expected, with class, diet, allergies and PAI) and counts
//! per activity over a date range. Reading a list with health and diet data is logged.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::audit;
use crate::error::{AppError, AppResult};
use crate::routes::{Path, Query};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/staff/days/{date}/activities/{activity_id}",
            get(day_list),
        )
        .route("/api/v1/staff/counts", get(counts))
}

/// A child expected on a day.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectedChild {
    pub family_id: String,
    pub family_name: String,
    pub child_id: String,
    pub first_name: String,
    pub last_name: String,
    pub class: String,
    pub diet: String,
    pub allergies: Vec<String>,
    pub pai: bool,
    /// "accepted", or "kept_billable" for a late withdrawal (billed, may still come).
    pub outcome: String,
    /// An absence was declared for that day.
    pub absent: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DayList {
    pub date: String,
    pub activity_id: String,
    pub children: Vec<ExpectedChild>,
}

pub fn parse_date(value: &str) -> AppResult<Date> {
    value.parse().map_err(|_| {
        AppError::bad_request(format!(
            "date invalide « {} » (AAAA-MM-JJ)",
            cartable_domain::text::shown(value, 40)
        ))
    })
}

/// SQL condition for a cell that holds a place.
const HOLDS_PLACE: &str = "b.holds_place = 1";

async fn day_list(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((date, activity_id)): Path<(String, String)>,
) -> AppResult<Json<DayList>> {
    // A malformed date is a 400; an activity that is not the structure's is a 404.
    let day = parse_date(&date)?;
    super::attendance::checked(&state, &staff, &date, &activity_id).await?;
    let children = expected_children(&state, &staff, day, &activity_id).await?;
    Ok(Json(DayList {
        date: day.to_string(),
        activity_id,
        children,
    }))
}

/// The children expected on `day` at an activity of the structure of `staff` (booked with
/// a place held), by class and name, with diet, allergies and PAI. The read is logged: the
/// list carries health and diet data (the staff API's list, the admin page's list, print
/// view and download).
pub async fn expected_children(
    state: &AppState,
    staff: &StaffUser,
    day: Date,
    activity_id: &str,
) -> AppResult<Vec<ExpectedChild>> {
    let day = day.to_string();
    let sql = format!(
        "SELECT b.family_id, f.name AS family_name, b.child_id, c.first_name, c.last_name, \
         c.class, c.diet, c.allergies, c.pai, b.outcome, a.rev AS absence \
         FROM booking_requests b JOIN families f ON f.id = b.family_id \
         JOIN children c ON c.family_id = b.family_id AND c.child_id = b.child_id \
         LEFT JOIN absences a ON a.doc_id = b.doc_id AND a.child_id = b.child_id \
         AND a.day = b.day AND a.activity_id = b.activity_id \
         WHERE f.structure_id = $1 AND b.day = $2 AND b.activity_id = $3 AND {HOLDS_PLACE} \
         ORDER BY c.class, c.last_name, c.first_name"
    );
    let mut tx = state.db.begin_write().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(staff.structure_id().as_str())
        .bind(&day)
        .bind(activity_id)
        .fetch_all(&mut *tx.tx)
        .await?;
    let children = rows
        .iter()
        .map(|r| {
            let allergies: String = r.try_get("allergies")?;
            Ok(ExpectedChild {
                family_id: r.try_get("family_id")?,
                family_name: r.try_get("family_name")?,
                child_id: r.try_get("child_id")?,
                first_name: r.try_get("first_name")?,
                last_name: r.try_get("last_name")?,
                class: r.try_get("class")?,
                diet: r.try_get("diet")?,
                allergies: serde_json::from_str(&allergies).unwrap_or_default(),
                pai: r.try_get::<i64, _>("pai")? != 0,
                outcome: r.try_get("outcome")?,
                absent: r.try_get::<Option<String>, _>("absence")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    audit::record(
        &mut tx.tx,
        staff.who_now(state),
        "read_day_list_health_diet",
        None,
        &format!("{activity_id} {day}: {} enfants", children.len()),
    )
    .await?;
    tx.commit().await?;
    Ok(children)
}

#[derive(Debug, Deserialize)]
struct Range {
    from: String,
    to: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DayCount {
    pub date: String,
    pub activity_id: String,
    /// Places taken (what is billed).
    pub count: i64,
    /// Of which declared absent (what the kitchen need not cook).
    pub absent: i64,
}

async fn counts(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(range): Query<Range>,
) -> AppResult<Json<Vec<DayCount>>> {
    let from = parse_date(&range.from)?;
    let to = parse_date(&range.to)?;
    if to < from || (to - from).get_days() > 400 {
        return Err(AppError::bad_request(
            "période invalide (au plus 400 jours)",
        ));
    }
    Ok(Json(
        day_counts(&state.db, staff.structure_id(), from, to).await?,
    ))
}

/// Places taken per day and activity of a structure, from `from` to `to` included (the
/// staff API's counts and the admin page's charts).
pub async fn day_counts(
    db: &crate::db::Db,
    structure_id: &cartable_domain::ids::StructureId,
    from: Date,
    to: Date,
) -> Result<Vec<DayCount>, sqlx::Error> {
    let sql = format!(
        "SELECT b.day, b.activity_id, COUNT(*) AS n, COUNT(a.rev) AS absent \
         FROM booking_requests b JOIN families f ON f.id = b.family_id \
         LEFT JOIN absences a ON a.doc_id = b.doc_id AND a.child_id = b.child_id \
         AND a.day = b.day AND a.activity_id = b.activity_id \
         WHERE f.structure_id = $1 AND b.day >= $2 AND b.day <= $3 AND {HOLDS_PLACE} \
         GROUP BY b.day, b.activity_id ORDER BY b.day, b.activity_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id.as_str())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DayCount {
                date: r.try_get("day")?,
                activity_id: r.try_get("activity_id")?,
                count: r.try_get("n")?,
                absent: r.try_get("absent")?,
            })
        })
        .collect()
}
