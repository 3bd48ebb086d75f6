//! Places taken per activity and day. A writer locks the row before deciding, so two
//! families racing for the last place are decided one after the other, also across server
//! processes sharing one PostgreSQL.

use super::Db;
use cartable_domain::ids::{ActivityId, StructureId};
use sqlx::{AnyConnection, Row};

/// Locks the counter of (activity, day) for the rest of the transaction; returns its value.
pub async fn lock(
    conn: &mut AnyConnection,
    db: &Db,
    structure_id: &StructureId,
    activity_id: &ActivityId,
    day: jiff::civil::Date,
) -> Result<i64, sqlx::Error> {
    let day = day.to_string();
    sqlx::query(
        "INSERT INTO activity_places (structure_id, activity_id, day, taken) \
         VALUES ($1, $2, $3, 0) ON CONFLICT (structure_id, activity_id, day) DO NOTHING",
    )
    .bind(structure_id.as_str())
    .bind(activity_id.as_str())
    .bind(&day)
    .execute(&mut *conn)
    .await?;
    let sql = match db.for_update() {
        "" => {
            "SELECT taken FROM activity_places \
             WHERE structure_id = $1 AND activity_id = $2 AND day = $3"
        }
        _ => {
            "SELECT taken FROM activity_places \
             WHERE structure_id = $1 AND activity_id = $2 AND day = $3 FOR UPDATE"
        }
    };
    let row = sqlx::query(sql)
        .bind(structure_id.as_str())
        .bind(activity_id.as_str())
        .bind(&day)
        .fetch_one(&mut *conn)
        .await?;
    row.try_get("taken")
}

/// Adds `delta` (±1) to a locked counter.
pub async fn add(
    conn: &mut AnyConnection,
    structure_id: &StructureId,
    activity_id: &ActivityId,
    day: jiff::civil::Date,
    delta: i64,
) -> Result<(), sqlx::Error> {
    let day = day.to_string();
    sqlx::query(
        "UPDATE activity_places SET taken = taken + $1 \
         WHERE structure_id = $2 AND activity_id = $3 AND day = $4",
    )
    .bind(delta)
    .bind(structure_id.as_str())
    .bind(activity_id.as_str())
    .bind(&day)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recounts every counter from the booking projection (after a rebuild): the places held
/// are the rows whose standing decision holds one (`holds_place`, the domain's rule).
pub async fn recount(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM activity_places")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO activity_places (structure_id, activity_id, day, taken) \
         SELECT f.structure_id, b.activity_id, b.day, COUNT(*) FROM booking_requests b \
         JOIN families f ON f.id = b.family_id \
         WHERE b.holds_place = 1 \
         GROUP BY f.structure_id, b.activity_id, b.day",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
