//! Loads what the monthly run needs for every family of a structure, in a few queries
//! (never one per family): children, billing adults, quotient histories, bookings, absences
//! and attendance over the days the month's invoices cover, refunds decided after earlier
//! invoices, and the late registration fee.

use super::content::FamilySnapshot;
use super::quotient;
use crate::db::attendance::HOLDS_PLACE;
use crate::db::invoices;
use crate::db::{Backend, Db};
use crate::error::{AppError, AppResult};
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
///
/// The queries run in two lanes at once, each on a connection of its own (on SQLite every
/// connection has its thread): reading a town's month takes both cores instead of one.
/// Two lanes, not one per query: each SQLite connection maps the database file on its own,
/// so every further connection would count the pages it reads once more in the process's
/// resident memory.
pub async fn load(
    db: &Db,
    structure_id: &str,
    catalogue: &Catalogue,
    month: BillingMonth,
) -> AppResult<Vec<FamilyBilling>> {
    let (from, to) = days_needed(catalogue, month);
    let (from, to) = (from.to_string(), to.to_string());
    let binds = [structure_id, from.as_str(), to.as_str()];
    let people_and_bookings = async {
        let mut conn = db.pool.acquire().await?;
        let names = family_names(&mut conn, structure_id).await?;
        let children = children(&mut conn, structure_id).await?;
        let booked = day_rows(&mut conn, bookings_sql(db.backend), binds).await?;
        Ok::<_, AppError>((names, children, booked))
    };
    let the_rest = async {
        let mut conn = db.pool.acquire().await?;
        let adults = billing_adults(&mut conn, structure_id).await?;
        let quotients = quotient::histories(&mut conn, structure_id).await?;
        let absent = day_rows(&mut conn, absences_sql(db.backend), binds).await?;
        let attended = day_rows(&mut conn, attendance_sql(db.backend), binds).await?;
        let now_free = now_free(&mut conn, structure_id, month).await?;
        let late = late_registration(&mut conn, structure_id, catalogue, month).await?;
        Ok::<_, AppError>((adults, quotients, absent, attended, now_free, late))
    };
    let ((names, children, booked), (adults, quotients, absent, attended, now_free, late)) =
        tokio::try_join!(people_and_bookings, the_rest)?;
    let mut families: BTreeMap<String, FamilyBilling> = names
        .into_iter()
        .map(|(id, name)| {
            let billing = FamilyBilling {
                family: FamilySnapshot {
                    family_id: id.clone(),
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
            };
            (id, billing)
        })
        .collect();
    for (family_id, child) in children {
        if let Some(f) = families.get_mut(&family_id) {
            f.month.children.push(child);
        }
    }
    for adult in adults {
        if let Some(f) = families.get_mut(&adult.family_id) {
            if !adult.name.is_empty() {
                f.family.billing_name = adult.name;
            }
            f.family.address = adult.address;
            f.family.email = adult.email;
        }
    }
    for (family_id, history) in quotients {
        if let Some(f) = families.get_mut(&family_id) {
            f.month.qf = qf_for_month(&history, month);
        }
    }
    let mut cells = Cells::new();
    each_day(booked, &mut cells, |d, code| {
        d.booking = Some(match code {
            "k" => Booked::KeptBillable,
            _ => Booked::Accepted,
        });
    });
    each_day(absent, &mut cells, |d, _| d.absence_free = true);
    each_day(attended, &mut cells, |d, status| {
        d.attendance = Attendance::from_code(status);
    });
    for (family, days) in cells {
        if let Some(f) = families.get_mut(&family) {
            f.month.days = days.into_values().collect();
        }
    }
    if !now_free.is_empty() {
        earlier_refunds_of(db, structure_id, month, now_free, &mut families).await?;
    }
    if let Some((cents, owing)) = late {
        for family_id in owing {
            if let Some(f) = families.get_mut(&family_id) {
                f.month.late_registration_cents = Some(cents);
            }
        }
    }
    Ok(families.into_values().collect())
}

/// The structure's families, (id, name) in id order.
async fn family_names(
    conn: &mut AnyConnection,
    structure_id: &str,
) -> AppResult<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT id, name FROM families WHERE structure_id = $1 ORDER BY id")
        .bind(structure_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

/// Every child of the structure with its family's id, in order.
async fn children(
    conn: &mut AnyConnection,
    structure_id: &str,
) -> AppResult<Vec<(String, ChildInfo)>> {
    let rows = sqlx::query(
        "SELECT c.family_id, c.child_id, c.first_name, c.last_name, c.birth_date, c.pai \
         FROM children c JOIN families f ON f.id = c.family_id WHERE f.structure_id = $1 \
         ORDER BY c.family_id, c.child_id",
    )
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let birth: String = r.try_get("birth_date")?;
            let child = ChildInfo {
                id: r.try_get("child_id")?,
                first_name: r.try_get("first_name")?,
                last_name: r.try_get("last_name")?,
                birth_date: parse_date(&birth).ok(),
                pai: r.try_get::<i64, _>("pai")? != 0,
            };
            Ok((r.try_get("family_id")?, child))
        })
        .collect()
}

/// The adult an invoice is made out to.
struct BillingAdult {
    family_id: String,
    /// "First Last", empty when the dossier has neither.
    name: String,
    address: String,
    email: String,
}

/// Each family's billing adult, else a legal guardian, else any adult.
async fn billing_adults(
    conn: &mut AnyConnection,
    structure_id: &str,
) -> AppResult<Vec<BillingAdult>> {
    let rows = sqlx::query(
        "SELECT a.family_id, a.first_name, a.last_name, a.address, a.email FROM adults a \
         JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         ORDER BY a.family_id, a.billing DESC, a.legal_guardian DESC, a.adult_id",
    )
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut seen = BTreeSet::new();
    let mut adults = Vec::new();
    for r in &rows {
        let family_id: String = r.try_get("family_id")?;
        if !seen.insert(family_id.clone()) {
            continue;
        }
        let first: String = r.try_get("first_name")?;
        let last: String = r.try_get("last_name")?;
        adults.push(BillingAdult {
            family_id,
            name: format!("{} {}", first.trim(), last.trim())
                .trim()
                .to_string(),
            address: r.try_get("address")?,
            email: r.try_get("email")?,
        });
    }
    Ok(adults)
}

/// `string_agg` (PostgreSQL) or `group_concat` (SQLite) of `expr`, comma-separated.
fn joined(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Postgres => format!("string_agg({expr}, ',')"),
        Backend::Sqlite => format!("group_concat({expr}, ',')"),
    }
}

/// The month's booked days, `day:k` when kept billable (a late withdrawal), `day:a` else.
fn bookings_sql(backend: Backend) -> String {
    let days = joined(
        backend,
        "b.day || ':' || CASE WHEN b.outcome = 'kept_billable' THEN 'k' ELSE 'a' END",
    );
    format!(
        "SELECT b.family_id, b.child_id, b.activity_id, {days} AS days \
         FROM booking_requests b JOIN families f ON f.id = b.family_id \
         WHERE f.structure_id = $1 AND b.day >= $2 AND b.day <= $3 AND {HOLDS_PLACE} \
         GROUP BY b.family_id, b.child_id, b.activity_id"
    )
}

/// The month's absences that make a day free and were not billed.
fn absences_sql(backend: Backend) -> String {
    let days = joined(backend, "a.day");
    format!(
        "SELECT a.family_id, a.child_id, a.activity_id, {days} AS days FROM absences a \
         JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         AND a.day >= $2 AND a.day <= $3 AND a.billed = 0 \
         GROUP BY a.family_id, a.child_id, a.activity_id"
    )
}

/// The month's attendance, `day:status`.
fn attendance_sql(backend: Backend) -> String {
    let days = joined(backend, "day || ':' || status");
    format!(
        "SELECT family_id, child_id, activity_id, {days} AS days FROM attendance \
         WHERE structure_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY family_id, child_id, activity_id"
    )
}

/// The day records of each family, by (child, activity, day).
type Cells = BTreeMap<String, BTreeMap<(String, String, Date), DayRecord>>;

/// (family_id, child_id, activity_id, days) with days the comma-separated `day` or
/// `day:code` of one child and activity. One row per child and activity instead of one per
/// day: the rows of a month cost more to pass from SQLite's thread to the run than to read.
type DayRows = Vec<(String, String, String, Option<String>)>;

/// Runs one of the `*_sql` queries with (structure, from, to).
async fn day_rows(conn: &mut AnyConnection, sql: String, binds: [&str; 3]) -> AppResult<DayRows> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// Hands each day of `rows` to `apply` with its record in `cells` and its code.
fn each_day(rows: DayRows, cells: &mut Cells, mut apply: impl FnMut(&mut DayRecord, &str)) {
    for (family, child, activity, days) in rows {
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
}

/// Days of earlier months made free after their month's invoice was issued (a medical
/// note, a justification taken later), by family: refunded on this month's invoice.
type NowFree = BTreeMap<String, BTreeSet<(String, String, Date)>>;

async fn now_free(
    conn: &mut AnyConnection,
    structure_id: &str,
    month: BillingMonth,
) -> AppResult<NowFree> {
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
    let mut free = NowFree::new();
    for r in &rows {
        let day: String = r.try_get("day")?;
        let Ok(date) = day.parse() else { continue };
        free.entry(r.try_get("family_id")?).or_default().insert((
            r.try_get("child_id")?,
            r.try_get("activity_id")?,
            date,
        ));
    }
    Ok(free)
}

/// The refunds of the days `now_free`, priced as the earlier invoices of each family billed
/// them.
async fn earlier_refunds_of(
    db: &Db,
    structure_id: &str,
    month: BillingMonth,
    now_free: NowFree,
    families: &mut BTreeMap<String, FamilyBilling>,
) -> AppResult<()> {
    let mut conn = db.pool.acquire().await?;
    for (family_id, now_free) in now_free {
        let Some(f) = families.get_mut(&family_id) else {
            continue;
        };
        let previous: Vec<InvoiceLine> = invoices::of_family(&mut conn, structure_id, &family_id)
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

/// The late registration fee, with the families who owe it: their first booking of the
/// school year came after the configured day and they have not paid it yet this school year.
/// None when the structure charges no such fee.
async fn late_registration(
    conn: &mut AnyConnection,
    structure_id: &str,
    catalogue: &Catalogue,
    month: BillingMonth,
) -> AppResult<Option<(i64, BTreeSet<String>)>> {
    let Some(rule) = &catalogue.billing.late_registration else {
        return Ok(None);
    };
    let Ok(after) = parse_date(&rule.after) else {
        return Ok(None);
    };
    let Some(limit) = add_days(after, 1).ok().and_then(|d| start_of_day(d).ok()) else {
        return Ok(None);
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
    let mut owing = BTreeSet::new();
    for r in &rows {
        let family_id: String = r.try_get("family_id")?;
        let first: Option<i64> = r.try_get("first_ms")?;
        if first.is_some_and(|ms| ms >= limit.as_millisecond()) && !paid.contains(&family_id) {
            owing.insert(family_id);
        }
    }
    Ok(Some((rule.cents, owing)))
}
