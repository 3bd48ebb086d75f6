//! The family's own invoices: PDFs and the annual statement (the list itself reaches the
//! phone in the ledger document through sync).

use crate::AppState;
use crate::auth::FamilyDevice;
use crate::db::invoices;
use crate::error::{AppError, AppResult};
use crate::invoicing::{annual, pdf};
use crate::routes::Path;
use crate::routes::files::attachment;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices/{number}/pdf", get(invoice_pdf))
        .route("/api/v1/annual-statement/{year}", get(annual_json))
        .route("/api/v1/annual-statement/{year}/pdf", get(annual_pdf))
}

async fn invoice_pdf(
    State(state): State<AppState>,
    device: FamilyDevice,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let row = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::by_number(&mut conn, &device.session.structure_id, &number).await?
    };
    let row = row
        .filter(|r| r.family_id == device.family_id.as_str())
        .ok_or_else(AppError::not_found)?;
    let bytes = pdf::pdf_of(&state, &row).await?;
    Ok(attachment(
        "application/pdf",
        &format!("{number}.pdf"),
        bytes,
    ))
}

fn year(y: &str) -> AppResult<i16> {
    y.parse::<i16>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::bad_request(format!("année invalide « {y} »")))
}

async fn annual_json(
    State(state): State<AppState>,
    device: FamilyDevice,
    Path(y): Path<String>,
) -> AppResult<Json<annual::AnnualStatement>> {
    Ok(Json(
        annual::statement(
            &state,
            &device.session.structure_id,
            &device.family_id,
            year(&y)?,
        )
        .await?,
    ))
}

async fn annual_pdf(
    State(state): State<AppState>,
    device: FamilyDevice,
    Path(y): Path<String>,
) -> AppResult<Response> {
    crate::routes::staff::invoicing::annual_pdf_for(
        &state,
        &device.session.structure_id,
        &device.family_id,
        year(&y)?,
    )
    .await
}
