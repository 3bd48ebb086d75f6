//! Places taken per activity and day. A writer locks the row before deciding, so two
//! families racing for the last place are decided one after the other, also across server
//! processes sharing one PostgreSQL.

use super::Db;
use crate::db::Conn;
use cartable_domain::ids::{ActivityId, StructureId};
use cartable_reconcile::{Counts, PlaceKey};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Locks the counter of (activity, day) for the rest of the transaction; returns its value.
/// A counter that exists (every one but the first of its day) takes one statement; a new one
/// is created at zero first.
pub async fn lock(
    conn: &mut AnyConnection,
    db: &Db,
    structure_id: &StructureId,
    activity_id: &ActivityId,
    day: jiff::civil::Date,
) -> Result<i64, sqlx::Error> {
    let day = day.to_string();
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
    let select = || {
        sqlx::query(sql)
            .bind(structure_id.as_str())
            .bind(activity_id.as_str())
            .bind(&day)
    };
    if let Some(row) = select().fetch_optional(&mut *conn).await? {
        return row.try_get("taken");
    }
    sqlx::query(
        "INSERT INTO activity_places (structure_id, activity_id, day, taken) \
         VALUES ($1, $2, $3, 0) ON CONFLICT (structure_id, activity_id, day) DO NOTHING",
    )
    .bind(structure_id.as_str())
    .bind(activity_id.as_str())
    .bind(&day)
    .execute(&mut *conn)
    .await?;
    select().fetch_one(&mut *conn).await?.try_get("taken")
}

/// Counters per statement of [`add_all`] (4 values each).
const COUNTERS_PER_STATEMENT: usize = 128;

/// Adds each delta to its locked counter (created at zero if no one counted there yet),
/// several counters per statement.
pub async fn add_all(
    conn: &mut Conn<'_>,
    structure_id: &StructureId,
    deltas: &[(&PlaceKey, i64)],
) -> Result<(), sqlx::Error> {
    for chunk in deltas.chunks(COUNTERS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = i * 4;
                format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO activity_places (structure_id, activity_id, day, taken) VALUES {} \
             ON CONFLICT (structure_id, activity_id, day) \
             DO UPDATE SET taken = activity_places.taken + excluded.taken",
            values.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (key, delta) in chunk {
            query = query
                .bind(structure_id.as_str())
                .bind(key.activity_id.as_str())
                .bind(key.date.to_string())
                .bind(*delta);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The committed values of the counters `keys` (zero where no one counted yet), without
/// locking them: the caller holds them otherwise (see `docs::place_locks`). One query per
/// activity, over the days between the first and the last key.
pub async fn read(
    conn: &mut Conn<'_>,
    structure_id: &StructureId,
    keys: &[PlaceKey],
) -> Result<Counts, sqlx::Error> {
    let mut counts: Counts = keys.iter().map(|k| (k.clone(), 0)).collect();
    let mut by_activity: BTreeMap<&ActivityId, (jiff::civil::Date, jiff::civil::Date)> =
        BTreeMap::new();
    for key in keys {
        let span = by_activity
            .entry(&key.activity_id)
            .or_insert((key.date, key.date));
        span.0 = span.0.min(key.date);
        span.1 = span.1.max(key.date);
    }
    for (activity_id, (first, last)) in by_activity {
        let rows = sqlx::query(
            "SELECT day, taken FROM activity_places \
             WHERE structure_id = $1 AND activity_id = $2 AND day >= $3 AND day <= $4",
        )
        .bind(structure_id.as_str())
        .bind(activity_id.as_str())
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let day: String = row.try_get("day")?;
            let Ok(date) = day.parse::<jiff::civil::Date>() else {
                continue;
            };
            let key = PlaceKey {
                activity_id: activity_id.clone(),
                date,
            };
            if let Some(count) = counts.get_mut(&key) {
                *count = row.try_get("taken")?;
            }
        }
    }
    Ok(counts)
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
