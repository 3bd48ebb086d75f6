//! The staff invoicing API: monthly run (preview, issue), invoices and their PDFs, credit
//! notes, payments, a family's ledger and annual statement, the month's CSV export.
//! Issuing, credit notes and payments are for administrators; agents may read.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::invoices::{self, InvoiceRow, PaymentRow};
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use crate::invoicing::content::InvoiceContent;
use crate::invoicing::credit_notes::{self, NewCreditNote};
use crate::invoicing::payments::{self, NewPayment};
use crate::invoicing::{annual, export, ledger, pdf, run};
use crate::routes::Json as JsonBody;
use crate::routes::Path;
use crate::routes::Query;
use crate::routes::files::attachment;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cartable_domain::calendar::{format_date_fr, paris_date};
use cartable_domain::ids::StructureId;
use cartable_domain::ledger::{DocumentKind, Ledger, payment_status};
use cartable_domain::pricing::BillingMonth;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/invoicing/{month}/preview", get(preview))
        .route("/api/v1/staff/invoicing/{month}/issue", post(issue))
        .route(
            "/api/v1/staff/invoicing/{month}/export.csv",
            get(export_csv),
        )
        .route("/api/v1/staff/invoices", get(list))
        .route("/api/v1/staff/invoices/{number}", get(show))
        .route("/api/v1/staff/invoices/{number}/pdf", get(show_pdf))
        .route(
            "/api/v1/staff/invoices/{number}/credit-notes",
            post(credit_note),
        )
        .route(
            "/api/v1/staff/payments",
            post(record_payment).get(list_payments),
        )
        .route(
            "/api/v1/staff/families/{family_id}/ledger",
            get(family_ledger),
        )
        .route(
            "/api/v1/staff/families/{family_id}/annual-statement/{year}",
            get(annual_json),
        )
        .route(
            "/api/v1/staff/families/{family_id}/annual-statement/{year}/pdf",
            get(annual_pdf),
        )
}

fn month(s: &str) -> AppResult<BillingMonth> {
    s.parse()
        .map_err(|e: cartable_domain::pricing::BadMonth| AppError::bad_request(e.to_string()))
}

async fn preview(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(m): Path<String>,
) -> AppResult<Json<run::Preview>> {
    staff.require_admin()?;
    Ok(Json(
        run::preview(&state, staff.structure_id(), month(&m)?).await?,
    ))
}

async fn issue(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(m): Path<String>,
) -> AppResult<Json<run::IssueReport>> {
    staff.require_admin()?;
    let report = run::issue(
        &state,
        staff.structure_id(),
        month(&m)?,
        &staff.session.account_id,
    )
    .await?;
    Ok(Json(report))
}

/// An issued document in lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceSummary {
    pub number: String,
    pub kind: String,
    pub family_id: String,
    pub billing_name: String,
    pub month: String,
    pub issued_on: String,
    pub due_on: String,
    pub total_cents: i64,
    pub remaining_cents: i64,
    /// paid, partially_paid, unpaid, overdue, nothing_due.
    pub status: String,
    pub refers_to: String,
}

pub async fn summaries(
    state: &AppState,
    structure_id: &str,
    rows: Vec<InvoiceRow>,
) -> AppResult<Vec<InvoiceSummary>> {
    let today = paris_date(state.clock.now());
    let mut by_family: BTreeMap<String, Vec<InvoiceRow>> = BTreeMap::new();
    for r in rows {
        by_family.entry(r.family_id.clone()).or_default().push(r);
    }
    let mut conn = state.db.pool.acquire().await?;
    let mut out = Vec::new();
    for (family_id, rows) in by_family {
        let all = invoices::of_family(&mut conn, structure_id, &family_id).await?;
        let paid = invoices::payments_of_family(&mut conn, structure_id, &family_id).await?;
        let remaining = ledger::remaining(&all, &paid);
        for r in rows {
            let content: Option<InvoiceContent> = serde_json::from_str(&r.content).ok();
            let left = remaining.get(&r.number).copied().unwrap_or(0);
            let status = if r.kind == DocumentKind::Invoice.code() {
                payment_status(r.total_cents, left, r.due_on.parse().ok(), today)
            } else {
                cartable_domain::ledger::PaymentStatus::NothingDue
            };
            out.push(InvoiceSummary {
                number: r.number.clone(),
                kind: r.kind.clone(),
                family_id: r.family_id.clone(),
                billing_name: content.map(|c| c.family.billing_name).unwrap_or_default(),
                month: r.run_month.clone().unwrap_or_default(),
                issued_on: r.issued_on.clone(),
                due_on: r.due_on.clone(),
                total_cents: r.total_cents,
                remaining_cents: left,
                status: status.code().to_string(),
                refers_to: r.refers_to.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    month: Option<String>,
    family_id: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<InvoiceSummary>>> {
    let rows = {
        let mut conn = state.db.pool.acquire().await?;
        match (&q.month, &q.family_id) {
            (_, Some(f)) => {
                let rows = invoices::of_family(&mut conn, staff.structure_id(), f).await?;
                match &q.month {
                    Some(m) => {
                        let m = month(m)?.to_string();
                        rows.into_iter()
                            .filter(|r| r.run_month.as_deref() == Some(m.as_str()))
                            .collect()
                    }
                    None => rows,
                }
            }
            (Some(m), None) => {
                invoices::of_month(&mut conn, staff.structure_id(), &month(m)?.to_string()).await?
            }
            (None, None) => {
                return Err(AppError::bad_request("précisez month=AAAA-MM ou family_id"));
            }
        }
    };
    Ok(Json(summaries(&state, staff.structure_id(), rows).await?))
}

/// One issued document in full.
#[derive(Debug, Serialize, Deserialize)]
pub struct InvoiceDetail {
    pub summary: InvoiceSummary,
    pub content: InvoiceContent,
}

async fn find(state: &AppState, structure_id: &str, number: &str) -> AppResult<InvoiceRow> {
    let mut conn = state.db.pool.acquire().await?;
    invoices::by_number(&mut conn, structure_id, number)
        .await?
        .ok_or_else(AppError::not_found)
}

async fn show(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(number): Path<String>,
) -> AppResult<Json<InvoiceDetail>> {
    let row = find(&state, staff.structure_id(), &number).await?;
    let content: InvoiceContent = serde_json::from_str(&row.content)
        .map_err(|e| AppError::internal(format!("facture illisible : {e}")))?;
    let summary = summaries(&state, staff.structure_id(), vec![row])
        .await?
        .into_iter()
        .next()
        .ok_or_else(AppError::not_found)?;
    Ok(Json(InvoiceDetail { summary, content }))
}

async fn show_pdf(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let row = find(&state, staff.structure_id(), &number).await?;
    let bytes = pdf::pdf_of(&state, &row).await?;
    Ok(attachment(
        "application/pdf",
        &format!("{number}.pdf"),
        bytes,
    ))
}

async fn credit_note(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(number): Path<String>,
    JsonBody(request): JsonBody<NewCreditNote>,
) -> AppResult<Json<InvoiceDetail>> {
    staff.require_admin()?;
    let row = credit_notes::issue(
        &state,
        staff.structure_id(),
        &number,
        &staff.session.account_id,
        request,
    )
    .await?;
    let content: InvoiceContent = serde_json::from_str(&row.content)
        .map_err(|e| AppError::internal(format!("avoir illisible : {e}")))?;
    let summary = summaries(&state, staff.structure_id(), vec![row])
        .await?
        .into_iter()
        .next()
        .ok_or_else(AppError::not_found)?;
    Ok(Json(InvoiceDetail { summary, content }))
}

async fn record_payment(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(request): JsonBody<NewPayment>,
) -> AppResult<Json<PaymentRow>> {
    staff.require_admin()?;
    let row = payments::record(
        &state,
        staff.structure_id(),
        &staff.session.account_id,
        request,
        None,
    )
    .await?;
    Ok(Json(row))
}

#[derive(Debug, Deserialize)]
struct Range {
    from: String,
    to: String,
}

async fn list_payments(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(range): Query<Range>,
) -> AppResult<Json<Vec<PaymentRow>>> {
    let check = |d: &str| {
        d.parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| AppError::bad_request(format!("date invalide « {d} » (AAAA-MM-JJ)")))
    };
    let (from, to) = (check(&range.from)?, check(&range.to)?);
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        invoices::payments_between(&mut conn, staff.structure_id(), &from, &to).await?,
    ))
}

async fn family_ledger(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(family_id): Path<String>,
) -> AppResult<Json<Ledger>> {
    ledger::check_family(&state, staff.structure_id(), &family_id).await?;
    let mode = catalogue::read(&state, staff.structure_id())
        .await?
        .billing
        .mode;
    let mut conn = state.db.pool.acquire().await?;
    let data = ledger::build(&mut conn, staff.structure_id(), &family_id, mode).await?;
    Ok(Json(data.ledger))
}

async fn export_csv(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(m): Path<String>,
) -> AppResult<Response> {
    staff.require_admin()?;
    let m = month(&m)?;
    let text = export::month_csv(&state, staff.structure_id(), m).await?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("factures-{m}.csv"),
        text,
    ))
}

/// A year of an annual statement (2000 to 2100).
pub fn year(y: &str) -> AppResult<i16> {
    y.parse::<i16>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::bad_request(format!("année invalide « {y} »")))
}

async fn annual_json(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((family_id, y)): Path<(String, String)>,
) -> AppResult<Json<annual::AnnualStatement>> {
    Ok(Json(
        annual::statement(&state, staff.structure_id(), &family_id, year(&y)?).await?,
    ))
}

/// The annual statement as a PDF (also used by the family route).
pub async fn annual_pdf_for(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
    y: i16,
) -> AppResult<Response> {
    let s = annual::statement(state, structure_id, family_id, y).await?;
    let c = catalogue::read(state, &StructureId::from(structure_id)).await?;
    let today = format_date_fr(paris_date(state.clock.now()));
    let doc = annual::printed(&s, &run::issuer(&c), &today);
    let bytes = tokio::task::spawn_blocking(move || cartable_invoice_pdf::render(&doc))
        .await
        .map_err(|e| AppError::internal(e.to_string()))?
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(attachment(
        "application/pdf",
        &format!("attestation-{y}.pdf"),
        bytes,
    ))
}

async fn annual_pdf(
    State(state): State<AppState>,
    staff: StaffUser,
    Path((family_id, y)): Path<(String, String)>,
) -> AppResult<Response> {
    annual_pdf_for(&state, staff.structure_id(), &family_id, year(&y)?).await
}
