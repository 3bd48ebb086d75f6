//! The dashboard: today's expected children per activity and the week's occupancy (SVG
//! charts from the counts the staff API gives), what waits for a review (dossiers,
//! documents), overdue invoices (administrators) and push delivery failures.

use super::charts::{self, Bar, Series};
use super::format;
use super::render::{self, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::db::{accounts, invoices, reviews, supporting};
use crate::docs::catalogue;
use crate::push::stats;
use crate::routes::staff::invoicing::summaries;
use crate::routes::staff::lists::day_counts;
use askama::Template;
use axum::extract::{Query, State};
use cartable_domain::calendar::{add_days, paris_date};
use cartable_domain::dossier::ReviewStatus;
use cartable_domain::supporting::{DocumentStatus, kind_label_fr};
use jiff::civil::Date;
use serde::Deserialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    chrome: render::Chrome,
    notice: Option<&'static str>,
    today: String,
    today_chart: String,
    today_rows: Vec<TodayRow>,
    week_title: String,
    week_chart: String,
    week_days: Vec<String>,
    week_rows: Vec<WeekRow>,
    dossiers: Vec<Pending>,
    documents: Vec<Pending>,
    show_invoices: bool,
    overdue: Vec<Overdue>,
    overdue_total: String,
    push_failures: i64,
    push_rows: Vec<PushRow>,
}

struct TodayRow {
    activity: String,
    expected: i64,
    absent: i64,
    capacity: String,
}

struct WeekRow {
    activity: String,
    counts: Vec<i64>,
}

struct Pending {
    /// The page where it is answered.
    link: String,
    family_name: String,
    what: String,
    since: String,
}

struct Overdue {
    number: String,
    family_id: String,
    billing_name: String,
    due_on: String,
    remaining: String,
}

struct PushRow {
    label: String,
    sent: i64,
    failed: i64,
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    #[serde(rename = "mot-de-passe", default)]
    password: Option<String>,
}

fn short_day(d: Date) -> String {
    // "lundi 7 décembre 2026" -> "lundi 7"
    let full = format::date(d);
    full.split(' ').take(2).collect::<Vec<_>>().join(" ")
}

/// GET /admin/
pub async fn page(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.clone();
    let catalogue = catalogue::read(&state, &structure_id).await?;
    let today = paris_date(state.clock.now());
    let monday = add_days(
        today,
        -i64::from(today.weekday().to_monday_one_offset() - 1),
    )
    .map_err(|e| crate::error::AppError::internal(e.to_string()))?;
    let sunday =
        add_days(monday, 6).map_err(|e| crate::error::AppError::internal(e.to_string()))?;
    let counts = day_counts(&state.db, &structure_id, monday, sunday).await?;
    let mut by_cell: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for c in &counts {
        by_cell.insert((c.date.clone(), c.activity_id.clone()), (c.count, c.absent));
    }

    // Today.
    let today_key = today.to_string();
    let weekday = today.weekday().to_monday_one_offset();
    let mut today_rows = Vec::new();
    let mut bars = Vec::new();
    for (id, activity) in &catalogue.activities {
        let runs = activity
            .weekdays
            .iter()
            .any(|d| i8::try_from(*d) == Ok(weekday));
        let (count, absent) = by_cell
            .get(&(today_key.clone(), id.clone()))
            .copied()
            .unwrap_or((0, 0));
        if !runs && count == 0 {
            continue;
        }
        let expected = count - absent;
        let capacity = activity.capacity.map(i64::from);
        bars.push(Bar {
            label: activity.name.clone(),
            value: expected,
            limit: capacity,
            note: match (absent, capacity) {
                (0, None) => "attendus".into(),
                (0, Some(c)) => format!("attendus sur {c} places"),
                (a, None) => format!("attendus ({a} absents)"),
                (a, Some(c)) => format!("attendus sur {c} places ({a} absents)"),
            },
        });
        today_rows.push(TodayRow {
            activity: activity.name.clone(),
            expected,
            absent,
            capacity: capacity.map_or("sans limite".into(), |c| c.to_string()),
        });
    }
    let today_text = format::date(today);
    let today_chart = charts::bars(
        "aujourdhui",
        &format!("Enfants attendus le {today_text}"),
        &today_rows
            .iter()
            .map(|r| format!("{} : {} attendus", r.activity, r.expected))
            .collect::<Vec<_>>()
            .join(" ; "),
        &bars,
    );

    // The week: Monday to Friday, and the weekend when something runs then.
    let mut days = Vec::new();
    for offset in 0..7 {
        let d = add_days(monday, offset)
            .map_err(|e| crate::error::AppError::internal(e.to_string()))?;
        let iso = i8::try_from(offset + 1).unwrap_or(1);
        let runs = catalogue
            .activities
            .values()
            .any(|a| a.weekdays.iter().any(|w| i8::try_from(*w) == Ok(iso)));
        let booked = counts.iter().any(|c| c.date == d.to_string());
        if offset < 5 || runs || booked {
            days.push(d);
        }
    }
    let mut series = Vec::new();
    let mut week_rows = Vec::new();
    for (id, activity) in &catalogue.activities {
        let values: Vec<i64> = days
            .iter()
            .map(|d| by_cell.get(&(d.to_string(), id.clone())).map_or(0, |c| c.0))
            .collect();
        if activity.weekdays.is_empty() && values.iter().all(|v| *v == 0) {
            continue;
        }
        series.push(Series {
            name: activity.name.clone(),
            values: values.clone(),
        });
        week_rows.push(WeekRow {
            activity: activity.name.clone(),
            counts: values,
        });
    }
    let week_days: Vec<String> = days.iter().map(|d| short_day(*d)).collect();
    let week_title = format!("Semaine du {}", format::date(monday));
    let week_chart = charts::columns(
        "semaine",
        &format!("Places réservées, {}", week_title.to_lowercase()),
        "Nombre d'enfants inscrits par jour et par activité",
        &week_days,
        &series,
    );

    // Reviews waiting.
    let family_names = family_names(&state, structure_id.as_str()).await?;
    // Each connection is given back before the next query takes another: a page that held
    // one while waiting for a second could, with a small pool, wait for itself.
    let pending = {
        let mut conn = state.db.pool.acquire().await?;
        reviews::list(&mut conn, &structure_id, ReviewStatus::Pending).await?
    };
    let dossiers = pending
        .into_iter()
        .map(|l| Pending {
            link: format!("/admin/dossiers/{}", l.version.family_id),
            family_name: l.family_name,
            what: format!(
                "Dossier envoyé par {}",
                l.submitted_by_name.unwrap_or_else(|| "un parent".into())
            ),
            since: format::instant(l.version.submitted_at_ms),
        })
        .collect();
    let documents = supporting::of_structure(
        &state.db,
        structure_id.as_str(),
        Some(DocumentStatus::Waiting),
    )
    .await?
    .into_iter()
    .map(|d| Pending {
        link: format!("/admin/justificatifs/{}", d.id),
        family_name: family_names.get(&d.family_id).cloned().unwrap_or_default(),
        what: capitalise(kind_label_fr(&d.kind)),
        since: format::instant(d.uploaded_at_ms),
    })
    .collect();

    // Overdue invoices, for administrators.
    let mut overdue = Vec::new();
    let mut overdue_cents = 0;
    if staff.is_admin() {
        let ids = accounts::families_of(&state.db, structure_id.as_str()).await?;
        let rows = {
            let mut conn = state.db.pool.acquire().await?;
            invoices::of_families(&mut conn, structure_id.as_str(), &ids).await?
        };
        for s in summaries(&state, structure_id.as_str(), rows).await? {
            if s.status == "overdue" {
                overdue_cents += s.remaining_cents;
                overdue.push(Overdue {
                    number: s.number,
                    family_id: s.family_id,
                    billing_name: s.billing_name,
                    due_on: format::iso_date(&s.due_on),
                    remaining: format::euros(s.remaining_cents),
                });
            }
        }
    }

    // Push deliveries that failed in the last 30 days.
    let since = state.clock.now().as_millisecond() - 30 * 24 * 3600 * 1000;
    let push = stats::of_structure(&state.db, structure_id.as_str(), since).await?;
    let push_rows: Vec<PushRow> = push
        .kinds
        .iter()
        .map(|k| PushRow {
            label: capitalise(&k.label),
            sent: k.sent,
            failed: k.expired + k.gone + k.rejected.values().sum::<i64>(),
        })
        .collect();
    let push_failures = push_rows.iter().map(|r| r.failed).sum();

    Ok(render::page(&DashboardPage {
        chrome: staff.chrome("Tableau de bord", "tableau"),
        notice: q
            .password
            .is_some()
            .then_some("Votre mot de passe a été changé ; vos autres sessions sont terminées."),
        today: today_text,
        today_chart,
        today_rows,
        week_title,
        week_chart,
        week_days,
        week_rows,
        dossiers,
        documents,
        show_invoices: staff.is_admin(),
        overdue,
        overdue_total: format::euros(overdue_cents),
        push_failures,
        push_rows,
    }))
}

/// Names of the structure's families, by id.
pub async fn family_names(
    state: &AppState,
    structure_id: &str,
) -> Result<BTreeMap<String, String>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name FROM families WHERE structure_id = $1")
        .bind(structure_id)
        .fetch_all(&state.db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

/// "attestation d'assurance" -> "Attestation d'assurance".
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
