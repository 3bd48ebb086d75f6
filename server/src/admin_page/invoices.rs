//! Invoices (administrators): the month's documents with their status (payée, à payer, en
//! retard…), an invoice in full with its PDF, recording a payment and issuing a credit
//! note. Everything goes through the staff API's invoicing functions: the same summaries
//! and statuses, [`payments::record`], [`credit_notes::issue`], [`pdf::pdf_of`]; another
//! structure's invoice is "not found".

use super::format;
use super::invoicing_run::{LineView, line_view, month_or_last};
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::db::invoices;
use crate::error::AppError;
use crate::invoicing::content::InvoiceContent;
use crate::invoicing::credit_notes::{self, NewCreditNote};
use crate::invoicing::payments::{self, NewPayment};
use crate::invoicing::pdf;
use crate::routes::Path;
use crate::routes::files::attachment;
use crate::routes::staff::invoicing::{InvoiceSummary, summaries};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cartable_domain::ledger::{DocumentKind, PaymentMethod, PaymentStatus};
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/factures", get(list))
        .route("/admin/factures/{number}", get(show))
        .route("/admin/factures/{number}/pdf", get(show_pdf))
        .route("/admin/factures/{number}/paiement", post(record_payment))
        .route("/admin/factures/{number}/avoir", post(credit_note))
}

struct Row {
    number: String,
    kind: &'static str,
    family_id: String,
    billing_name: String,
    issued_on: String,
    due_on: String,
    total: String,
    remaining: String,
    status: &'static str,
    status_code: String,
}

fn status_label(code: &str) -> &'static str {
    [
        PaymentStatus::Paid,
        PaymentStatus::PartiallyPaid,
        PaymentStatus::Unpaid,
        PaymentStatus::Overdue,
        PaymentStatus::NothingDue,
    ]
    .into_iter()
    .find(|s| s.code() == code)
    .map_or("", PaymentStatus::label_fr)
}

fn kind_label(code: &str) -> &'static str {
    DocumentKind::from_code(code).map_or("Document", DocumentKind::label_fr)
}

fn row_of(s: &InvoiceSummary) -> Row {
    Row {
        number: s.number.clone(),
        kind: kind_label(&s.kind),
        family_id: s.family_id.clone(),
        billing_name: s.billing_name.clone(),
        issued_on: format::iso_date(&s.issued_on),
        due_on: if s.due_on.is_empty() {
            "—".into()
        } else {
            format::iso_date(&s.due_on)
        },
        total: format::euros(s.total_cents),
        remaining: format::euros(s.remaining_cents),
        status: status_label(&s.status),
        status_code: s.status.replace('_', "-"),
    }
}

#[derive(Template)]
#[template(path = "admin/invoices.html")]
struct ListPage {
    chrome: render::Chrome,
    billing_tab: &'static str,
    month: String,
    month_label: String,
    bad_month: Option<String>,
    notice: Option<String>,
    rows: Vec<Row>,
    total: String,
    remaining: String,
    overdue: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    mois: Option<String>,
    #[serde(default)]
    emises: Option<usize>,
}

/// GET /admin/factures?mois=AAAA-MM
pub async fn list(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let chrome = staff.0.chrome("Factures", "factures");
    let month = match month_or_last(&state, q.mois.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            return Ok(render::page_with_status(
                StatusCode::BAD_REQUEST,
                &ListPage {
                    chrome,
                    billing_tab: "factures",
                    month: q.mois.clone().unwrap_or_default(),
                    month_label: String::new(),
                    bad_month: Some(e),
                    notice: None,
                    rows: Vec::new(),
                    total: format::euros(0),
                    remaining: format::euros(0),
                    overdue: 0,
                },
            ));
        }
    };
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::of_month(&mut conn, &structure_id, &month.to_string()).await?
    };
    let list = summaries(&state, &structure_id, found).await?;
    let invoices_only = list
        .iter()
        .filter(|s| s.kind == DocumentKind::Invoice.code());
    let total: i64 = invoices_only.clone().map(|s| s.total_cents).sum();
    let remaining: i64 = invoices_only.map(|s| s.remaining_cents).sum();
    let overdue = list
        .iter()
        .filter(|s| s.status == PaymentStatus::Overdue.code())
        .count();
    Ok(render::page(&ListPage {
        chrome,
        billing_tab: "factures",
        month: month.to_string(),
        month_label: month.label_fr(),
        bad_month: None,
        notice: q.emises.map(|n| match n {
            0 => "Aucune nouvelle facture : tout était déjà émis ou rien n'était à facturer."
                .to_string(),
            1 => "1 facture émise.".to_string(),
            n => format!("{n} factures émises."),
        }),
        rows: list.iter().map(row_of).collect(),
        total: format::euros(total),
        remaining: format::euros(remaining),
        overdue,
    }))
}

struct Payment {
    received_on: String,
    method: String,
    amount: String,
    reference: String,
}

struct Method {
    code: &'static str,
    label: &'static str,
}

/// The forms of the invoice page as sent, with their errors.
#[derive(Default)]
struct Forms {
    pay_amount: String,
    pay_method: String,
    pay_date: String,
    pay_reference: String,
    pay_error: Option<String>,
    credit_amount: String,
    credit_reason: String,
    credit_error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/invoice.html")]
struct InvoicePage {
    chrome: render::Chrome,
    csrf: String,
    notice: Option<&'static str>,
    row: Row,
    kind_code: String,
    month_label: String,
    family_name: String,
    payment_reference: String,
    refers_to: String,
    reason: String,
    lines: Vec<LineView>,
    payments: Vec<Payment>,
    credit_notes: Vec<Row>,
    methods: Vec<Method>,
    forms: Forms,
    can_pay: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    fait: Option<String>,
}

async fn invoice_page(
    state: &AppState,
    staff: &PageAdmin,
    number: &str,
    notice: Option<&'static str>,
    forms: Option<Forms>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let mut conn = state.db.pool.acquire().await?;
    let Some(found) = invoices::by_number(&mut conn, &structure_id, number).await? else {
        return Ok(render::not_found());
    };
    let all = invoices::of_family(&mut conn, &structure_id, &found.family_id).await?;
    let paid = invoices::payments_of_family(&mut conn, &structure_id, &found.family_id).await?;
    drop(conn);
    let content: InvoiceContent = serde_json::from_str(&found.content)
        .map_err(|e| AppError::internal(format!("facture illisible : {e}")))?;
    let credit_rows: Vec<_> = all
        .into_iter()
        .filter(|r| r.refers_to == found.number)
        .collect();
    let credits = summaries(state, &structure_id, credit_rows).await?;
    let summary = summaries(state, &structure_id, vec![found.clone()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(AppError::not_found)?;
    let is_invoice = summary.kind == DocumentKind::Invoice.code();
    let status = forms
        .as_ref()
        .map_or(StatusCode::OK, |_| StatusCode::BAD_REQUEST);
    let forms = forms.unwrap_or_else(|| Forms {
        pay_amount: if summary.remaining_cents > 0 {
            super::tariff_form::amount(summary.remaining_cents)
        } else {
            String::new()
        },
        pay_method: PaymentMethod::Cheque.code().into(),
        ..Default::default()
    });
    let methods = [
        PaymentMethod::Cheque,
        PaymentMethod::Transfer,
        PaymentMethod::Card,
        PaymentMethod::Cash,
        PaymentMethod::Cesu,
        PaymentMethod::DirectDebit,
    ]
    .into_iter()
    .map(|m| Method {
        code: m.code(),
        label: m.label_fr(),
    })
    .collect();
    let page = InvoicePage {
        chrome: staff.0.chrome(
            &format!("{} {}", kind_label(&summary.kind), summary.number),
            "factures",
        ),
        csrf: staff.0.csrf(),
        notice,
        kind_code: summary.kind.clone(),
        month_label: content
            .month
            .parse::<cartable_domain::pricing::BillingMonth>()
            .map(|m| m.label_fr())
            .unwrap_or_default(),
        family_name: content.family.family_name.clone(),
        payment_reference: content.payment_reference.clone(),
        refers_to: content.refers_to.clone(),
        reason: content.reason.clone(),
        lines: content.lines.iter().map(line_view).collect(),
        payments: paid
            .iter()
            .filter(|p| p.invoice_number == summary.number)
            .map(|p| Payment {
                received_on: format::iso_date(&p.received_on),
                method: PaymentMethod::from_code(&p.method)
                    .map_or_else(|| p.method.clone(), |m| m.label_fr().to_string()),
                amount: format::euros(p.amount_cents),
                reference: p.reference.clone(),
            })
            .collect(),
        credit_notes: credits.iter().map(row_of).collect(),
        methods,
        can_pay: is_invoice && summary.remaining_cents > 0,
        row: row_of(&summary),
        forms,
    };
    Ok(render::page_with_status(status, &page))
}

/// GET /admin/factures/{number}
pub async fn show(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(number): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let notice = match q.fait.as_deref() {
        Some("paiement") => Some("Paiement enregistré."),
        Some("avoir") => Some("Avoir émis : la famille le voit avec sa facture."),
        _ => None,
    };
    invoice_page(&state, &staff, &number, notice, None).await
}

/// GET /admin/factures/{number}/pdf : the document as the family received it.
pub async fn show_pdf(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(number): Path<String>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::by_number(&mut conn, &structure_id, &number).await?
    };
    let Some(found) = found else {
        return Ok(render::not_found());
    };
    let bytes = pdf::pdf_of(&state, &found).await?;
    Ok(attachment(
        "application/pdf",
        &format!("{}.pdf", found.number),
        bytes,
    ))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// POST /admin/factures/{number}/paiement
pub async fn record_payment(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(number): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::by_number(&mut conn, &structure_id, &number).await?
    };
    let Some(found) = found else {
        return Ok(render::not_found());
    };
    let mut forms = Forms {
        pay_amount: field(&fields, "montant").to_string(),
        pay_method: field(&fields, "moyen").to_string(),
        pay_date: field(&fields, "date").to_string(),
        pay_reference: field(&fields, "reference").to_string(),
        ..Default::default()
    };
    let Some(cents) = super::tariff_form::parse_euros(&forms.pay_amount).filter(|c| *c > 0) else {
        forms.pay_error = Some("Montant : en euros, par exemple 42,50.".into());
        return invoice_page(&state, &staff, &number, None, Some(forms)).await;
    };
    let request = NewPayment {
        family_id: found.family_id.clone(),
        method: forms.pay_method.clone(),
        amount_cents: cents,
        received_on: Some(forms.pay_date.clone()).filter(|d| !d.is_empty()),
        invoice_number: Some(found.number.clone()),
        reference: forms.pay_reference.clone(),
    };
    match payments::record(
        &state,
        &structure_id,
        &staff.0.0.session.account_id,
        request,
        None,
    )
    .await
    {
        Ok(_) => Ok(render::see_other(&format!(
            "/admin/factures/{}?fait=paiement",
            found.number
        ))),
        Err(AppError::Client { message, .. }) => {
            forms.pay_error = Some(message);
            invoice_page(&state, &staff, &number, None, Some(forms)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/factures/{number}/avoir
pub async fn credit_note(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(number): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let exists = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::by_number(&mut conn, &structure_id, &number)
            .await?
            .is_some()
    };
    if !exists {
        return Ok(render::not_found());
    }
    let mut forms = Forms {
        credit_amount: field(&fields, "avoir-montant").to_string(),
        credit_reason: field(&fields, "motif").to_string(),
        ..Default::default()
    };
    let Some(cents) = super::tariff_form::parse_euros(&forms.credit_amount).filter(|c| *c > 0)
    else {
        forms.credit_error = Some("Montant de l'avoir : en euros, par exemple 4,20.".into());
        return invoice_page(&state, &staff, &number, None, Some(forms)).await;
    };
    let request = NewCreditNote {
        amount_cents: cents,
        reason: forms.credit_reason.clone(),
    };
    match credit_notes::issue(
        &state,
        &structure_id,
        &number,
        &staff.0.0.session.account_id,
        request,
    )
    .await
    {
        Ok(row) => Ok(render::see_other(&format!(
            "/admin/factures/{}?fait=avoir",
            row.number
        ))),
        Err(AppError::Client { message, .. }) => {
            forms.credit_error = Some(message);
            invoice_page(&state, &staff, &number, None, Some(forms)).await
        }
        Err(e) => Err(e.into()),
    }
}
