//! Relational projections of the family documents, for staff pages and invoicing.
//!
//! Written in the same transaction as the document change they reflect, and rebuildable
//! from the documents alone (`cartable-server admin rebuild-projections`).

use crate::db::Conn;
use cartable_domain::dossier::{AdultSheet, ChildSheet};
use cartable_domain::ids::{DocumentId, FamilyId};
use cartable_domain::planning::{BookingRequest, CellKey, Decision};
use cartable_domain::search_key::search_key;
use sqlx::{AnyConnection, Row};

fn flag(b: bool) -> i64 {
    i64::from(b)
}

pub async fn upsert_child(
    conn: &mut Conn<'_>,
    family_id: &str,
    child_id: &str,
    c: &ChildSheet,
) -> Result<(), sqlx::Error> {
    let allergies = serde_json::to_string(&c.allergies).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO children (family_id, child_id, first_name, last_name, birth_date, school, \
         class, diet, allergies, pai, medical_treatments, doctor, vaccinations_up_to_date, \
         image_authorisation, may_leave_alone, first_name_key, last_name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (family_id, child_id) DO UPDATE SET first_name = excluded.first_name, \
         last_name = excluded.last_name, first_name_key = excluded.first_name_key, \
         last_name_key = excluded.last_name_key, birth_date = excluded.birth_date, \
         school = excluded.school, class = excluded.class, diet = excluded.diet, \
         allergies = excluded.allergies, pai = excluded.pai, \
         medical_treatments = excluded.medical_treatments, doctor = excluded.doctor, \
         vaccinations_up_to_date = excluded.vaccinations_up_to_date, \
         image_authorisation = excluded.image_authorisation, \
         may_leave_alone = excluded.may_leave_alone",
    )
    .bind(family_id)
    .bind(child_id)
    .bind(&c.first_name)
    .bind(&c.last_name)
    .bind(&c.birth_date)
    .bind(&c.school)
    .bind(&c.class)
    .bind(c.diet.code())
    .bind(allergies)
    .bind(flag(c.pai))
    .bind(&c.medical_treatments)
    .bind(&c.doctor)
    .bind(flag(c.vaccinations_up_to_date))
    .bind(flag(c.image_authorisation))
    .bind(flag(c.may_leave_alone))
    .bind(search_key(&c.first_name))
    .bind(search_key(&c.last_name))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn upsert_adult(
    conn: &mut Conn<'_>,
    family_id: &str,
    adult_id: &str,
    a: &AdultSheet,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO adults (family_id, adult_id, first_name, last_name, mobile_phone, \
         home_phone, work_phone, email, address, legal_guardian, may_pick_up, billing, \
         emergency_contact, quotient_familial, caf_number, account_id, first_name_key, \
         last_name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18) \
         ON CONFLICT (family_id, adult_id) DO UPDATE SET first_name = excluded.first_name, \
         last_name = excluded.last_name, first_name_key = excluded.first_name_key, \
         last_name_key = excluded.last_name_key, mobile_phone = excluded.mobile_phone, \
         home_phone = excluded.home_phone, work_phone = excluded.work_phone, \
         email = excluded.email, address = excluded.address, \
         legal_guardian = excluded.legal_guardian, may_pick_up = excluded.may_pick_up, \
         billing = excluded.billing, emergency_contact = excluded.emergency_contact, \
         quotient_familial = excluded.quotient_familial, caf_number = excluded.caf_number, \
         account_id = excluded.account_id",
    )
    .bind(family_id)
    .bind(adult_id)
    .bind(&a.first_name)
    .bind(&a.last_name)
    .bind(&a.mobile_phone)
    .bind(&a.home_phone)
    .bind(&a.work_phone)
    .bind(&a.email)
    .bind(&a.address)
    .bind(flag(a.roles.legal_guardian))
    .bind(flag(a.roles.may_pick_up))
    .bind(flag(a.roles.billing))
    .bind(flag(a.roles.emergency_contact))
    .bind(a.quotient_familial.map(i64::from))
    .bind(&a.caf_number)
    .bind(&a.account_id)
    .bind(search_key(&a.first_name))
    .bind(search_key(&a.last_name))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete_child(
    conn: &mut Conn<'_>,
    family_id: &str,
    child_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM children WHERE family_id = $1 AND child_id = $2")
        .bind(family_id)
        .bind(child_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_adult(
    conn: &mut Conn<'_>,
    family_id: &str,
    adult_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM adults WHERE family_id = $1 AND adult_id = $2")
        .bind(family_id)
        .bind(adult_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One row of the booking projection: a cell's request and its standing decision.
pub type BookingProjection<'a> = (&'a CellKey, &'a BookingRequest, Option<&'a Decision>);

/// Rows per statement of [`upsert_bookings`] (14 values each).
const BOOKINGS_PER_STATEMENT: usize = 64;

pub async fn upsert_booking(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    family_id: &FamilyId,
    key: &CellKey,
    request: &BookingRequest,
    decision: Option<&Decision>,
) -> Result<(), sqlx::Error> {
    upsert_bookings(conn, doc_id, family_id, &[(key, request, decision)]).await
}

/// Writes the projection of `rows` (distinct cells), several rows per statement: a large
/// sync's thousands of cells cost tens of statements, not thousands.
pub async fn upsert_bookings(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    family_id: &FamilyId,
    rows: &[BookingProjection<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(BOOKINGS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO booking_requests (doc_id, family_id, child_id, day, activity_id, \
             wanted, rev, requested_by, requested_at_ms, outcome, reason, decided_at_ms, \
             holds_place, refusal_cause) VALUES ",
        );
        for i in 0..chunk.len() {
            let first = i * 14 + 1;
            let params: Vec<String> = (first..first + 14).map(|n| format!("${n}")).collect();
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (doc_id, child_id, day, activity_id) DO UPDATE SET \
             wanted = excluded.wanted, rev = excluded.rev, requested_by = excluded.requested_by, \
             requested_at_ms = excluded.requested_at_ms, outcome = excluded.outcome, \
             reason = excluded.reason, decided_at_ms = excluded.decided_at_ms, \
             holds_place = excluded.holds_place, refusal_cause = excluded.refusal_cause",
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (key, request, decision) in chunk {
            // The standing decision holds the place until the current request is decided.
            let holds_place = decision.is_some_and(Decision::holds_place);
            let decision = decision.filter(|d| d.rev == request.rev);
            query = query
                .bind(doc_id.as_str())
                .bind(family_id.as_str())
                .bind(key.child_id.as_str())
                .bind(key.date.to_string())
                .bind(key.activity_id.as_str())
                .bind(flag(request.wanted))
                .bind(&request.rev)
                .bind(&request.by)
                .bind(request.at_ms)
                .bind(decision.map(|d| d.outcome.code()))
                .bind(decision.and_then(|d| d.reason.clone()))
                .bind(decision.map(|d| d.decided_at_ms))
                .bind(flag(holds_place))
                .bind(decision.and_then(|d| d.cause).map(|c| c.code()));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn delete_booking(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    key: &CellKey,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM booking_requests WHERE doc_id = $1 AND child_id = $2 AND day = $3 \
         AND activity_id = $4",
    )
    .bind(doc_id.as_str())
    .bind(key.child_id.as_str())
    .bind(key.date.to_string())
    .bind(key.activity_id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes every projected row (before a rebuild).
pub async fn clear_all(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM children",
        "DELETE FROM adults",
        "DELETE FROM booking_requests",
        "DELETE FROM absences",
    ] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Ids of the children projected for a family.
pub async fn child_ids(conn: &mut Conn<'_>, family_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT child_id FROM children WHERE family_id = $1 ORDER BY child_id")
        .bind(family_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get("child_id")).collect()
}

/// Projects one absence declaration and its outcome (if decided).
pub async fn upsert_absence(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    family_id: &FamilyId,
    key: &CellKey,
    declaration: &cartable_domain::planning::AbsenceDeclaration,
    declared_at_ms: i64,
    outcome: Option<&cartable_domain::planning::AbsenceOutcome>,
) -> Result<(), sqlx::Error> {
    let outcome = outcome.filter(|o| o.rev == declaration.rev);
    sqlx::query(
        "INSERT INTO absences (doc_id, family_id, child_id, day, activity_id, rev, declared_by, \
         declared_at_ms, reason, document_id, billed, outcome_reason, decided_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (doc_id, child_id, day, activity_id) DO UPDATE SET rev = excluded.rev, \
         declared_by = excluded.declared_by, declared_at_ms = excluded.declared_at_ms, \
         reason = excluded.reason, document_id = excluded.document_id, \
         billed = excluded.billed, outcome_reason = excluded.outcome_reason, \
         decided_at_ms = excluded.decided_at_ms",
    )
    .bind(doc_id.as_str())
    .bind(family_id.as_str())
    .bind(key.child_id.as_str())
    .bind(key.date.to_string())
    .bind(key.activity_id.as_str())
    .bind(&declaration.rev)
    .bind(&declaration.by)
    .bind(declared_at_ms)
    .bind(&declaration.reason)
    .bind(&declaration.document_id)
    .bind(outcome.map(|o| flag(o.billed)))
    .bind(outcome.map(|o| o.reason.clone()))
    .bind(outcome.map(|o| o.decided_at_ms))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
