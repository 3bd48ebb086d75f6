//! The month's invoicing run (administrators): the preview per family (lines, totals), then
//! the issue, confirmed by a box to tick that repeats how many invoices and how much. Both
//! go through the invoicing run the staff API uses ([`run::preview`], [`run::issue`]).

use super::format;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::invoicing::run;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cartable_domain::calendar::paris_date;
use cartable_domain::pricing::BillingMonth;
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/facturation", get(page))
        .route("/admin/facturation/emettre", post(issue))
}

pub struct LineView {
    pub child: String,
    pub activity: String,
    pub label: String,
    pub basis: String,
    pub quantity: u32,
    pub unit: String,
    pub total: String,
}

struct FamilyView {
    family_id: String,
    family_name: String,
    billing_name: String,
    lines: Vec<LineView>,
    total: String,
    issued_number: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/invoicing_run.html")]
struct RunPage {
    chrome: render::Chrome,
    billing_tab: &'static str,
    csrf: String,
    month: String,
    month_label: String,
    bad_month: Option<String>,
    families: Vec<FamilyView>,
    to_issue: usize,
    already: usize,
    total: String,
    confirm_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    mois: Option<String>,
}

/// The month of `text`, or the month before today's (the one usually invoiced).
pub fn month_or_last(state: &AppState, text: Option<&str>) -> Result<BillingMonth, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.parse().map_err(|_| {
            format!(
                "« {} » n'est pas un mois : choisissez-le dans la liste (AAAA-MM).",
                cartable_domain::text::shown(t, 20)
            )
        }),
        None => Ok(BillingMonth::of(paris_date(state.clock.now())).previous()),
    }
}

/// An invoice line in words.
pub fn line_view(l: &cartable_domain::invoicing::InvoiceLine) -> LineView {
    LineView {
        child: l.child_name.clone(),
        activity: l.activity_name.clone(),
        label: if l.label.is_empty() {
            l.kind.label_fr().to_string()
        } else {
            l.label.clone()
        },
        basis: l.basis.clone(),
        quantity: l.quantity,
        unit: format::euros(l.unit_cents),
        total: format::euros(l.total_cents),
    }
}

async fn render_run(
    state: &AppState,
    staff: &PageAdmin,
    text: Option<&str>,
    confirm_error: Option<String>,
) -> PageResult {
    let month = match month_or_last(state, text) {
        Ok(m) => m,
        Err(e) => {
            return Ok(render::page_with_status(
                StatusCode::BAD_REQUEST,
                &RunPage {
                    chrome: staff.0.chrome("Facturation", "factures"),
                    billing_tab: "facturation",
                    csrf: staff.0.csrf(),
                    month: text.unwrap_or_default().to_string(),
                    month_label: String::new(),
                    bad_month: Some(e),
                    families: Vec::new(),
                    to_issue: 0,
                    already: 0,
                    total: format::euros(0),
                    confirm_error: None,
                },
            ));
        }
    };
    let preview = run::preview(state, &staff.0.0.session.structure_id, month).await?;
    let families: Vec<FamilyView> = preview
        .families
        .iter()
        .map(|f| FamilyView {
            family_id: f.family_id.clone(),
            family_name: f.family_name.clone(),
            billing_name: f.billing_name.clone(),
            lines: f.draft.lines.iter().map(line_view).collect(),
            total: format::euros(f.draft.total_cents),
            issued_number: f.issued_number.clone(),
        })
        .collect();
    let already = families
        .iter()
        .filter(|f| f.issued_number.is_some())
        .count();
    let status = if confirm_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render::page_with_status(
        status,
        &RunPage {
            chrome: staff.0.chrome("Facturation", "factures"),
            billing_tab: "facturation",
            csrf: staff.0.csrf(),
            month: month.to_string(),
            month_label: month.label_fr(),
            bad_month: None,
            to_issue: families.len() - already,
            already,
            families,
            total: format::euros(preview.total_cents),
            confirm_error,
        },
    ))
}

/// GET /admin/facturation?mois=AAAA-MM
pub async fn page(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    render_run(&state, &staff, q.mois.as_deref(), None).await
}

#[derive(Debug, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    mois: String,
    #[serde(default)]
    confirmation: Option<String>,
}

/// POST /admin/facturation/emettre : issues the month's invoices, once the box is ticked.
pub async fn issue(
    State(state): State<AppState>,
    staff: PageAdmin,
    Form(f): Form<IssueForm>,
) -> PageResult {
    if f.confirmation.is_none() {
        return render_run(
            &state,
            &staff,
            Some(&f.mois),
            Some("Cochez la case pour confirmer l'émission.".into()),
        )
        .await;
    }
    let month = match month_or_last(&state, Some(&f.mois)) {
        Ok(m) => m,
        Err(_) => return render_run(&state, &staff, Some(&f.mois), None).await,
    };
    let report = run::issue(
        &state,
        &staff.0.0.session.structure_id,
        month,
        &staff.0.0.session.account_id,
    )
    .await?;
    Ok(render::see_other(&format!(
        "/admin/factures?mois={month}&emises={}",
        report.issued.len()
    )))
}
