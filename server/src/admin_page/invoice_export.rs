//! The month's CSV for the town hall's accounting software (administrators): the same text
//! as the staff API's export ([`export::month_csv`]), downloaded from the invoices page in
//! the form a French spreadsheet opens ([`super::spreadsheet`]).

use super::invoicing_run::month_or_last;
use super::render::PageResult;
use super::session::PageAdmin;
use super::spreadsheet::csv_download;
use crate::AppState;
use crate::error::AppError;
use crate::invoicing::export;
use axum::extract::{Query, State};
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/factures/export.csv", axum::routing::get(download))
}

#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    mois: Option<String>,
}

/// GET /admin/factures/export.csv?mois=AAAA-MM
pub async fn download(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    let month = month_or_last(&state, q.mois.as_deref()).map_err(AppError::bad_request)?;
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let text = export::month_csv(&state, &structure_id, month).await?;
    Ok(csv_download(&format!("factures-{month}.csv"), &text))
}
