//! Annual statements of amounts paid (administrators), for the childcare tax credit: the
//! year's list per family and child with each family's certificate (PDF), the same list as
//! CSV, and a family's certificate from its page. Amounts come from
//! [`annual::statement`], the same allocation as the family's ledger; another structure's
//! family is "not found".

use super::format;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use super::spreadsheet::csv_download;
use crate::AppState;
use crate::error::AppError;
use crate::invoicing::annual;
use crate::routes::Path;
use crate::routes::staff::invoicing::{annual_pdf_for, year};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cartable_domain::calendar::paris_date;
use serde::Deserialize;
use sqlx::Row;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/admin/attestations", get(list))
        .route("/admin/attestations/export.csv", get(csv))
        .route(
            "/admin/familles/{family_id}/attestation/{annee}",
            get(family_pdf),
        )
}

struct ChildLine {
    name: String,
    paid: String,
}

struct FamilyLine {
    family_id: String,
    family_name: String,
    billing_name: String,
    children: Vec<ChildLine>,
    total: String,
}

#[derive(Template)]
#[template(path = "admin/annual_statements.html")]
struct StatementsPage {
    chrome: render::Chrome,
    billing_tab: &'static str,
    year: String,
    years: Vec<String>,
    bad_year: Option<String>,
    families: Vec<FamilyLine>,
    total: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    annee: Option<String>,
}

/// Years in which the structure received payments, latest first.
async fn years_paid(state: &AppState, structure_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT substr(received_on, 1, 4) AS y FROM payments WHERE structure_id = $1 \
         ORDER BY y DESC",
    )
    .bind(structure_id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter().map(|r| r.try_get("y")).collect()
}

/// The year asked for, else last year when something was paid in it (the year families
/// declare), else the latest year with payments, else this year.
fn chosen_year(asked: Option<&str>, years: &[String], this_year: i16) -> Result<i16, String> {
    match asked.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => year(a).map_err(|_| {
            format!(
                "Année : quatre chiffres entre 2000 et 2100, par exemple {}.",
                this_year - 1
            )
        }),
        None => {
            let last = (this_year - 1).to_string();
            let y = if years.contains(&last) {
                Some(last)
            } else {
                years.first().cloned()
            };
            Ok(y.and_then(|y| y.parse().ok()).unwrap_or(this_year))
        }
    }
}

/// GET /admin/attestations?annee=AAAA
pub async fn list(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let years = years_paid(&state, &structure_id).await?;
    let this_year = paris_date(state.clock.now()).year();
    let chrome = staff.0.chrome("Attestations annuelles", "factures");
    let y = match chosen_year(q.annee.as_deref(), &years, this_year) {
        Ok(y) => y,
        Err(e) => {
            return Ok(render::page_with_status(
                StatusCode::BAD_REQUEST,
                &StatementsPage {
                    chrome,
                    billing_tab: "attestations",
                    year: q.annee.unwrap_or_default(),
                    years,
                    bad_year: Some(e),
                    families: Vec::new(),
                    total: format::euros(0),
                },
            ));
        }
    };
    let statements = annual::of_year(&state, &structure_id, y).await?;
    let total = statements.iter().map(|s| s.total_paid_cents).sum();
    let families = statements
        .into_iter()
        .map(|s| {
            let mut children: Vec<ChildLine> = s
                .children
                .iter()
                .map(|c| ChildLine {
                    name: c.child_name.clone(),
                    paid: format::euros(c.paid_cents),
                })
                .collect();
            if s.family_cents != 0 {
                children.push(ChildLine {
                    name: "Frais communs à la famille".into(),
                    paid: format::euros(s.family_cents),
                });
            }
            FamilyLine {
                family_id: s.family_id,
                family_name: s.family_name,
                billing_name: s.billing_name,
                children,
                total: format::euros(s.total_paid_cents),
            }
        })
        .collect();
    Ok(render::page(&StatementsPage {
        chrome,
        billing_tab: "attestations",
        year: y.to_string(),
        years,
        bad_year: None,
        families,
        total: format::euros(total),
    }))
}

/// GET /admin/attestations/export.csv?annee=AAAA
pub async fn csv(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let Some(asked) = q.annee.as_deref() else {
        return Err(AppError::bad_request("Précisez l'année (annee=AAAA).").into());
    };
    let y = year(asked)?;
    let statements = annual::of_year(&state, &structure_id, y).await?;
    Ok(csv_download(
        &format!("attestations-{y}.csv"),
        &annual::csv(&statements),
    ))
}

/// GET /admin/familles/{family_id}/attestation/{annee} : the family's certificate (PDF).
pub async fn family_pdf(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path((family_id, annee)): Path<(String, String)>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let y = year(&annee)?;
    Ok(annual_pdf_for(&state, &structure_id, &family_id, y).await?)
}

#[cfg(test)]
mod tests {
    use super::chosen_year;

    #[test]
    fn last_year_is_chosen_when_something_was_paid_in_it() {
        let years = vec!["2027".to_string(), "2026".to_string()];
        assert_eq!(chosen_year(None, &years, 2027), Ok(2026));
        assert_eq!(chosen_year(None, &years[..1], 2027), Ok(2027));
        assert_eq!(chosen_year(None, &[], 2027), Ok(2027));
        assert_eq!(chosen_year(Some("2025"), &years, 2027), Ok(2025));
        assert!(chosen_year(Some("vingt"), &years, 2027).is_err());
    }
}
