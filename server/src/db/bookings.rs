//! Reads of the booking projection across families (the staff's view of a structure).

use super::{Db, id};
use cartable_domain::ids::{DocumentId, FamilyId, StructureId};
use cartable_domain::planning::CellKey;
use jiff::civil::Date;
use sqlx::Row;

/// A booking that holds a place, with the family and planning it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPlace {
    pub family_id: FamilyId,
    pub doc_id: DocumentId,
    pub key: CellKey,
}

/// Bookings of the structure holding a place from `from` to `to` (inclusive), by family,
/// planning and cell.
pub async fn holding_places(
    db: &Db,
    structure_id: &StructureId,
    from: Date,
    to: Date,
) -> Result<Vec<HeldPlace>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT b.family_id, b.doc_id, b.child_id, b.day, b.activity_id FROM booking_requests b \
         JOIN families f ON f.id = b.family_id \
         WHERE f.structure_id = $1 AND b.holds_place = 1 AND b.day >= $2 AND b.day <= $3 \
         ORDER BY b.family_id, b.doc_id, b.child_id, b.day, b.activity_id",
    )
    .bind(structure_id.as_str())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let day: String = r.try_get("day")?;
        let Ok(date) = day.parse::<Date>() else {
            continue;
        };
        let child: String = r.try_get("child_id")?;
        let activity: String = r.try_get("activity_id")?;
        out.push(HeldPlace {
            family_id: id(r, "family_id")?,
            doc_id: id(r, "doc_id")?,
            key: CellKey::new(child, date, activity),
        });
    }
    Ok(out)
}
