//! Loads what the monthly run needs for every family of a structure, in a few queries
//! (never one per family): children, billing adults, quotient histories, bookings, absences
//! and attendance over the days the month's invoices cover, refunds decided after earlier
//! invoices, and the late registration fee.

use super::content::FamilySnapshot;
use super::quotient;
use crate::db::attendance::HOLDS_PLACE;
use crate::db::invoices;
use crate::error::AppResult;
use cartable_domain::calendar::{add_days, parse_date, start_of_day};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::invoicing::{
    Attendance, Booked, ChildInfo, DayRecord, FamilyMonth, InvoiceLine, days_needed,
    earlier_refunds,
};
use cartable_domain::pricing::{BillingMonth, qf_for_month};
use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};

/// One family ready to be invoiced.
#[derive(Debug, Clone)]
pub struct FamilyBilling {
    pub family: FamilySnapshot,
    pub month: FamilyMonth,
}

/// Everything for `month`, families in id order.
pub async fn load(
    conn: &mut AnyConnection,
    structure_id: &str,
    catalogue: &Catalogue,
    month: BillingMonth,
) -> AppResult<Vec<FamilyBilling>> {
    let rows = sqlx::query("SELECT id, name FROM families WHERE structure_id = $1 ORDER BY id")
        .bind(structure_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut families: BTreeMap<String, FamilyBilling> = BTreeMap::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let name: String = r.try_get("name")?;
        families.insert(
            id.clone(),
            FamilyBilling {
                family: FamilySnapshot {
                    family_id: id,
                    family_name: name.clone(),
                    billing_name: name,
                    address: String::new(),
                    email: String::new(),
                },
                month: FamilyMonth {
                    month,
                    qf: None,
                    children: Vec::new(),
                    days: Vec::new(),
                    earlier_refunds: Vec::new(),
                    late_registration_cents: None,
                },
            },
        );
    }
    load_people(conn, structure_id, &mut families).await?;
    for (family_id, history) in quotient::histories(conn, structure_id).await? {
        if let Some(f) = families.get_mut(&family_id) {
            f.month.qf = qf_for_month(&history, month);
        }
    }
    let (from, to) = days_needed(catalogue, month);
    load_days(
        conn,
        structure_id,
        &from.to_string(),
        &to.to_string(),
        &mut families,
    )
    .await?;
    load_earlier_refunds(conn, structure_id, month, &mut families).await?;
    load_late_registration(conn, structure_id, catalogue, month, &mut families).await?;
    Ok(families.into_values().collect())
}

async fn load_people(
    conn: &mut AnyConnection,
    structure_id: &str,
    families: &mut BTreeMap<String, FamilyBilling>,
) -> AppResult<()> {
    let rows = sqlx::query(
        "SELECT c.family_id, c.child_id, c.first_name, c.last_name, c.birth_date, c.pai \
         FROM children c JOIN families f ON f.id = c.family_id WHERE f.structure_id = $1 \
         ORDER BY c.family_id, c.child_id",
    )
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let family_id: String = r.try_get("family_id")?;
        let birth: String = r.try_get("birth_date")?;
        if let Some(f) = families.get_mut(&family_id) {
            f.month.children.push(ChildInfo {
                id: r.try_get("child_id")?,
                first_name: r.try_get("first_name")?,
                last_name: r.try_get("last_name")?,
                birth_date: parse_date(&birth).ok(),
                pai: r.try_get::<i64, _>("pai")? != 0,
            });
        }
    }
    // The billing adult, else a legal guardian, else any adult.
    let rows = sqlx::query(
        "SELECT a.family_id, a.first_name, a.last_name, a.address, a.email FROM adults a \
         JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         ORDER BY a.family_id, a.billing DESC, a.legal_guardian DESC, a.adult_id",
    )
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut seen = BTreeSet::new();
    for r in &rows {
        let family_id: String = r.try_get("family_id")?;
        if !seen.insert(family_id.clone()) {
            continue;
        }
        if let Some(f) = families.get_mut(&family_id) {
            let first: String = r.try_get("first_name")?;
            let last: String = r.try_get("last_name")?;
            let name = format!("{} {}", first.trim(), last.trim())
                .trim()
                .to_string();
            if !name.is_empty() {
                f.family.billing_name = name;
            }
            f.family.address = r.try_get("address")?;
            f.family.email = r.try_get("email")?;
        }
    }
    Ok(())
}

/// `string_agg` (PostgreSQL) or `group_concat` (SQLite) of `expr`, comma-separated.
fn joined(conn: &AnyConnection, expr: &str) -> String {
    if conn.backend_name() == "PostgreSQL" {
        format!("string_agg({expr}, ',')")
    } else {
        format!("group_concat({expr}, ',')")
    }
}

/// The day records of each family, by (child, activity, day).
type Cells = BTreeMap<String, BTreeMap<(String, String, Date), DayRecord>>;

/// Runs `sql`, whose rows are (family_id, child_id, activity_id, days) with days the
/// comma-separated `day` or `day:code` of one child and activity, and hands each day's
/// record and code to `apply`. One row per child and activity instead of one per day: the
/// rows of a month cost more to pass from SQLite's thread to the run than to read.
async fn each_day(
    conn: &mut AnyConnection,
    sql: String,
    binds: [&str; 3],
    cells: &mut Cells,
    mut apply: impl FnMut(&mut DayRecord, &str),
) -> AppResult<()> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    for r in q.fetch_all(&mut *conn).await? {
        let family: String = r.try_get(0)?;
        let child: String = r.try_get(1)?;
        let activity: String = r.try_get(2)?;
        let days: Option<String> = r.try_get(3)?;
        let family_cells = cells.entry(family).or_default();
        for item in days.as_deref().unwrap_or_default().split(',') {
            let (day, code) = item.split_once(':').unwrap_or((item, ""));
            let Ok(date) = day.parse::<Date>() else {
                continue;
            };
            let record = family_cells
                .entry((child.clone(), activity.clone(), date))
                .or_insert_with(|| DayRecord {
                    child_id: child.clone(),
                    activity_id: activity.clone(),
                    date,
                    booking: None,
                    absence_free: false,
                    attendance: None,
                });
            apply(record, code);
        }
    }
    Ok(())
}

async fn load_days(
    conn: &mut AnyConnection,
    structure_id: &str,
    from: &str,
    to: &str,
    families: &mut BTreeMap<String, FamilyBilling>,
) -> AppResult<()> {
    let mut cells = Cells::new();
    let days = joined(
        conn,
        "b.day || ':' || CASE WHEN b.outcome = 'kept_billable' THEN 'k' ELSE 'a' END",
    );
    let sql = format!(
        "SELECT b.family_id, b.child_id, b.activity_id, {days} AS days \
         FROM booking_requests b JOIN families f ON f.id = b.family_id \
         WHERE f.structure_id = $1 AND b.day >= $2 AND b.day <= $3 AND {HOLDS_PLACE} \
         GROUP BY b.family_id, b.child_id, b.activity_id"
    );
    each_day(
        conn,
        sql,
        [structure_id, from, to],
        &mut cells,
        |d, code| {
            d.booking = Some(match code {
                "k" => Booked::KeptBillable,
                _ => Booked::Accepted,
            });
        },
    )
    .await?;
    let days = joined(conn, "a.day");
    let sql = format!(
        "SELECT a.family_id, a.child_id, a.activity_id, {days} AS days FROM absences a \
         JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         AND a.day >= $2 AND a.day <= $3 AND a.billed = 0 \
         GROUP BY a.family_id, a.child_id, a.activity_id"
    );
    each_day(conn, sql, [structure_id, from, to], &mut cells, |d, _| {
        d.absence_free = true;
    })
    .await?;
    let days = joined(conn, "day || ':' || status");
    let sql = format!(
        "SELECT family_id, child_id, activity_id, {days} AS days FROM attendance \
         WHERE structure_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY family_id, child_id, activity_id"
    );
    each_day(
        conn,
        sql,
        [structure_id, from, to],
        &mut cells,
        |d, status| {
            d.attendance = Attendance::from_code(status);
        },
    )
    .await?;
    for (family, days) in cells {
        if let Some(f) = families.get_mut(&family) {
            f.month.days = days.into_values().collect();
        }
    }
    Ok(())
}

/// Days made free after the invoice of their month was issued (a medical note, a
/// justification taken later): refunded on this month's invoice.
async fn load_earlier_refunds(
    conn: &mut AnyConnection,
    structure_id: &str,
    month: BillingMonth,
    families: &mut BTreeMap<String, FamilyBilling>,
) -> AppResult<()> {
    let first = month.first_day().to_string();
    let rows = sqlx::query(
        "SELECT a.family_id, a.child_id, a.activity_id, a.day FROM absences a \
         JOIN invoices i ON i.family_id = a.family_id AND i.run_month = substr(a.day, 1, 7) \
         WHERE i.structure_id = $1 AND a.billed = 0 AND a.day < $2 \
         AND a.decided_at_ms > i.issued_at_ms \
         UNION SELECT t.family_id, t.child_id, t.activity_id, t.day FROM attendance t \
         JOIN invoices i ON i.family_id = t.family_id AND i.run_month = substr(t.day, 1, 7) \
         WHERE i.structure_id = $1 AND t.status = 'absent_justified' AND t.day < $2 \
         AND t.recorded_at_ms > i.issued_at_ms",
    )
    .bind(structure_id)
    .bind(&first)
    .fetch_all(&mut *conn)
    .await?;
    let mut free: BTreeMap<String, BTreeSet<(String, String, jiff::civil::Date)>> = BTreeMap::new();
    for r in &rows {
        let day: String = r.try_get("day")?;
        let Ok(date) = day.parse() else { continue };
        free.entry(r.try_get("family_id")?).or_default().insert((
            r.try_get("child_id")?,
            r.try_get("activity_id")?,
            date,
        ));
    }
    for (family_id, now_free) in free {
        let Some(f) = families.get_mut(&family_id) else {
            continue;
        };
        let previous: Vec<InvoiceLine> = invoices::of_family(conn, structure_id, &family_id)
            .await?
            .iter()
            .filter(|i| {
                i.run_month
                    .as_deref()
                    .is_none_or(|m| m < month.to_string().as_str())
            })
            .filter_map(|i| serde_json::from_str::<super::content::InvoiceContent>(&i.content).ok())
            .flat_map(|c| c.lines)
            .collect();
        f.month.earlier_refunds = earlier_refunds(&previous, &now_free);
    }
    Ok(())
}

/// The late registration fee for families whose first booking of the school year came after
/// the configured day and who have not paid it yet this school year.
async fn load_late_registration(
    conn: &mut AnyConnection,
    structure_id: &str,
    catalogue: &Catalogue,
    month: BillingMonth,
    families: &mut BTreeMap<String, FamilyBilling>,
) -> AppResult<()> {
    let Some(rule) = &catalogue.billing.late_registration else {
        return Ok(());
    };
    let Ok(after) = parse_date(&rule.after) else {
        return Ok(());
    };
    let Some(limit) = add_days(after, 1).ok().and_then(|d| start_of_day(d).ok()) else {
        return Ok(());
    };
    let year = SchoolYear::of(month.first_day());
    let sql = format!(
        "SELECT b.family_id, MIN(b.decided_at_ms) AS first_ms FROM booking_requests b \
         JOIN families f ON f.id = b.family_id WHERE f.structure_id = $1 AND b.day >= $2 \
         AND b.day <= $3 AND {HOLDS_PLACE} GROUP BY b.family_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(year.first_day().to_string())
        .bind(year.last_day().to_string())
        .fetch_all(&mut *conn)
        .await?;
    let paid = sqlx::query(
        "SELECT DISTINCT family_id FROM invoices WHERE structure_id = $1 AND issued_on >= $2 \
         AND content LIKE '%\"late_registration\"%'",
    )
    .bind(structure_id)
    .bind(year.first_day().to_string())
    .fetch_all(&mut *conn)
    .await?;
    let paid: BTreeSet<String> = paid
        .iter()
        .map(|r| r.try_get("family_id"))
        .collect::<Result<_, _>>()?;
    for r in &rows {
        let family_id: String = r.try_get("family_id")?;
        let first: Option<i64> = r.try_get("first_ms")?;
        if first.is_some_and(|ms| ms >= limit.as_millisecond())
            && !paid.contains(&family_id)
            && let Some(f) = families.get_mut(&family_id)
        {
            f.month.late_registration_cents = Some(rule.cents);
        }
    }
    Ok(())
}
