//! Attendance ("pointage"): one mark per child, activity and day, written by staff.

use cartable_domain::invoicing::Attendance;
use sqlx::{AnyConnection, Row};

/// A child on an attendance sheet: booked for the day, or marked without a booking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SheetRow {
    pub family_id: String,
    pub family_name: String,
    pub child_id: String,
    pub first_name: String,
    pub last_name: String,
    pub class: String,
    /// "accepted", "kept_billable" (late withdrawal, billed) or `None` (not booked).
    pub booking: Option<String>,
    /// The parent declared an absence for the day.
    pub absence_declared: bool,
    /// `None` while attendance is not taken for this child.
    pub status: Option<Attendance>,
    pub note: String,
}

/// SQL condition for a booking that holds a place (and is billed).
pub const HOLDS_PLACE: &str =
    "((b.wanted = 1 AND b.outcome = 'accepted') OR b.outcome = 'kept_billable')";

/// The attendance sheet of one activity on one day: booked children first (by class and
/// name), then children marked without a booking.
pub async fn sheet(
    conn: &mut AnyConnection,
    structure_id: &str,
    activity_id: &str,
    day: &str,
) -> Result<Vec<SheetRow>, sqlx::Error> {
    let sql = format!(
        "SELECT c.family_id, f.name AS family_name, c.child_id, c.first_name, c.last_name, \
         c.class, b.outcome, ab.rev AS absence, t.status, t.note \
         FROM children c JOIN families f ON f.id = c.family_id \
         LEFT JOIN booking_requests b ON b.family_id = c.family_id AND b.child_id = c.child_id \
         AND b.day = $3 AND b.activity_id = $2 AND {HOLDS_PLACE} \
         LEFT JOIN absences ab ON ab.doc_id = b.doc_id AND ab.child_id = b.child_id \
         AND ab.day = b.day AND ab.activity_id = b.activity_id \
         LEFT JOIN attendance t ON t.structure_id = f.structure_id AND t.activity_id = $2 \
         AND t.day = $3 AND t.child_id = c.child_id \
         WHERE f.structure_id = $1 AND (b.outcome IS NOT NULL OR t.status IS NOT NULL) \
         ORDER BY CASE WHEN b.outcome IS NULL THEN 1 ELSE 0 END, c.class, c.last_name, \
         c.first_name, c.child_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(activity_id)
        .bind(day)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let status: Option<String> = r.try_get("status")?;
            Ok(SheetRow {
                family_id: r.try_get("family_id")?,
                family_name: r.try_get("family_name")?,
                child_id: r.try_get("child_id")?,
                first_name: r.try_get("first_name")?,
                last_name: r.try_get("last_name")?,
                class: r.try_get("class")?,
                booking: r.try_get("outcome")?,
                absence_declared: r.try_get::<Option<String>, _>("absence")?.is_some(),
                status: status.as_deref().and_then(Attendance::from_code),
                note: r.try_get::<Option<String>, _>("note")?.unwrap_or_default(),
            })
        })
        .collect()
}

/// The family of a child of the structure, if any.
pub async fn family_of_child(
    conn: &mut AnyConnection,
    structure_id: &str,
    child_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.family_id FROM children c JOIN families f ON f.id = c.family_id \
         WHERE f.structure_id = $1 AND c.child_id = $2",
    )
    .bind(structure_id)
    .bind(child_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get("family_id")).transpose()
}

/// One mark to write.
#[derive(Debug, Clone)]
pub struct Mark<'a> {
    pub structure_id: &'a str,
    pub family_id: &'a str,
    pub child_id: &'a str,
    pub activity_id: &'a str,
    pub day: &'a str,
    /// `None` removes the mark.
    pub status: Option<Attendance>,
    pub note: &'a str,
    pub recorded_by: &'a str,
    pub at_ms: i64,
}

pub async fn put(conn: &mut AnyConnection, m: &Mark<'_>) -> Result<(), sqlx::Error> {
    let Some(status) = m.status else {
        sqlx::query(
            "DELETE FROM attendance WHERE structure_id = $1 AND activity_id = $2 AND day = $3 \
             AND child_id = $4",
        )
        .bind(m.structure_id)
        .bind(m.activity_id)
        .bind(m.day)
        .bind(m.child_id)
        .execute(&mut *conn)
        .await?;
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO attendance (structure_id, family_id, child_id, activity_id, day, status, \
         note, recorded_by, recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (structure_id, activity_id, day, child_id) DO UPDATE SET \
         status = excluded.status, note = excluded.note, recorded_by = excluded.recorded_by, \
         recorded_at_ms = excluded.recorded_at_ms",
    )
    .bind(m.structure_id)
    .bind(m.family_id)
    .bind(m.child_id)
    .bind(m.activity_id)
    .bind(m.day)
    .bind(status.code())
    .bind(m.note)
    .bind(m.recorded_by)
    .bind(m.at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks every child booked that day present, leaving marks already taken and children
/// whose parents declared an absence as they are.
/// Returns how many marks were written.
pub async fn all_booked_present(
    conn: &mut AnyConnection,
    structure_id: &str,
    activity_id: &str,
    day: &str,
    recorded_by: &str,
    at_ms: i64,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO attendance (structure_id, family_id, child_id, activity_id, day, status, \
         note, recorded_by, recorded_at_ms) \
         SELECT f.structure_id, b.family_id, b.child_id, b.activity_id, b.day, 'present', '', \
         $4, $5 FROM booking_requests b JOIN families f ON f.id = b.family_id \
         WHERE f.structure_id = $1 AND b.activity_id = $2 AND b.day = $3 AND {HOLDS_PLACE} \
         AND NOT EXISTS (SELECT 1 FROM attendance t WHERE t.structure_id = f.structure_id \
         AND t.activity_id = b.activity_id AND t.day = b.day AND t.child_id = b.child_id) \
         AND NOT EXISTS (SELECT 1 FROM absences ab WHERE ab.doc_id = b.doc_id \
         AND ab.child_id = b.child_id AND ab.day = b.day AND ab.activity_id = b.activity_id)"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(activity_id)
        .bind(day)
        .bind(recorded_by)
        .bind(at_ms)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
