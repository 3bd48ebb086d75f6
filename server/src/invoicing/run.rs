//! The monthly run of a structure: preview every family's invoice, then issue.
//!
//! Issuing goes batch by batch, each numbered and stored in one transaction (see
//! [`super::batch`] for why numbers have no gap and no family is invoiced twice).
//!
//! Everything after a batch's commit (PDFs, the families' ledgers) can be redone from the
//! stored rows, so a crash there loses nothing: a missing PDF is rendered when first asked
//! for, a stale ledger is republished at the family's next sync.

use super::after_run::AfterRun;
use super::batch::Issuing;
use super::content::IssuerSnapshot;
use super::inputs::{self, FamilyBilling};
use crate::AppState;
use crate::db::invoices;
use crate::docs::catalogue;
use crate::error::{AppError, AppResult};
use cartable_domain::calendar::{add_days, paris_date};
use cartable_domain::catalogue::Catalogue;
use cartable_domain::ids::StructureId;
use cartable_domain::invoicing::{InvoiceDraft, LineKind, compute};
use cartable_domain::money::format_eur;
use cartable_domain::pricing::BillingMonth;
use cartable_domain::tariffs::{BillingMode, DEFAULT_APPEAL_MENTIONS};
use serde::{Deserialize, Serialize};

/// One family's invoice in a preview.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FamilyPreview {
    pub family_id: String,
    pub family_name: String,
    pub billing_name: String,
    pub draft: InvoiceDraft,
    /// The number already issued for this month, if any (nothing will be issued again).
    pub issued_number: Option<String>,
}

/// A preview of the whole month.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preview {
    pub month: BillingMonth,
    pub families: Vec<FamilyPreview>,
    /// Sum of the drafts not issued yet.
    pub total_cents: i64,
}

/// What an issue did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IssueReport {
    pub month: String,
    /// Numbers issued by this call, in order.
    pub issued: Vec<String>,
    pub total_cents: i64,
    /// Families whose document for the month existed already.
    pub already_issued: usize,
    /// Families with nothing to invoice.
    pub nothing_to_invoice: usize,
}

fn has_content(draft: &InvoiceDraft) -> bool {
    draft
        .lines
        .iter()
        .any(|l| l.kind != LineKind::LateRegistration)
}

/// Drafts for every family of the structure (pure computation over loaded inputs).
pub async fn drafts(
    state: &AppState,
    structure_id: &str,
    catalogue: &Catalogue,
    month: BillingMonth,
) -> AppResult<Vec<(FamilyBilling, InvoiceDraft)>> {
    let families = inputs::load(&state.db, structure_id, catalogue, month).await?;
    Ok(families
        .into_iter()
        .map(|f| {
            let draft = compute(catalogue, &f.month);
            (f, draft)
        })
        .collect())
}

/// The month's invoices as they would be issued now.
pub async fn preview(
    state: &AppState,
    structure_id: &str,
    month: BillingMonth,
) -> AppResult<Preview> {
    let catalogue = catalogue::read(state, &StructureId::from(structure_id)).await?;
    let all = drafts(state, structure_id, &catalogue, month).await?;
    let issued = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::issued_families(&mut conn, structure_id, &month.to_string()).await?
    };
    let mut families = Vec::new();
    let mut total_cents = 0;
    for (f, draft) in all {
        let issued_number = issued.get(&f.family.family_id).cloned();
        if !has_content(&draft) && issued_number.is_none() {
            continue;
        }
        if issued_number.is_none() {
            total_cents += draft.total_cents;
        }
        families.push(FamilyPreview {
            family_id: f.family.family_id.clone(),
            family_name: f.family.family_name.clone(),
            billing_name: f.family.billing_name.clone(),
            draft,
            issued_number,
        });
    }
    Ok(Preview {
        month,
        families,
        total_cents,
    })
}

/// The issuer as printed today.
pub fn issuer(catalogue: &Catalogue) -> IssuerSnapshot {
    let i = &catalogue.billing.issuer;
    IssuerSnapshot {
        name: catalogue.structure_name.clone(),
        legal_name: if i.legal_name.trim().is_empty() {
            catalogue.structure_name.clone()
        } else {
            i.legal_name.clone()
        },
        siret: i.siret.clone(),
        address: if i.address.trim().is_empty() {
            catalogue.contact.address.clone()
        } else {
            i.address.clone()
        },
        phone: catalogue.contact.phone.clone(),
        email: catalogue.contact.email.clone(),
        payment_instructions: i.payment_instructions.clone(),
        appeal_mentions: if i.appeal_mentions.trim().is_empty() {
            DEFAULT_APPEAL_MENTIONS.to_string()
        } else {
            i.appeal_mentions.clone()
        },
    }
}

/// Issues the month's documents for every family that has something to invoice and no
/// document for that month yet.
pub async fn issue(
    state: &AppState,
    structure_id: &str,
    month: BillingMonth,
    issued_by: &str,
) -> AppResult<IssueReport> {
    let catalogue = catalogue::read(state, &StructureId::from(structure_id)).await?;
    let all = drafts(state, structure_id, &catalogue, month).await?;
    let now = state.clock.now();
    let today = paris_date(now);
    if month.first_day() > today {
        return Err(AppError::bad_request(format!(
            "Le mois {} n'a pas commencé : rien à facturer",
            month.label_fr()
        )));
    }
    let prepaid = catalogue.billing.mode == BillingMode::Prepaid;
    let due_on = if prepaid {
        String::new()
    } else {
        add_days(today, i64::from(catalogue.billing.payment_days()))
            .map(|d| d.to_string())
            .map_err(|e| AppError::internal(e.to_string()))?
    };
    let issuer = issuer(&catalogue);
    let mut report = IssueReport {
        month: month.to_string(),
        ..Default::default()
    };
    let mut to_issue = Vec::new();
    for (f, draft) in all {
        if has_content(&draft) {
            to_issue.push((f.family, draft));
        } else {
            report.nothing_to_invoice += 1;
        }
    }
    let issuing = Issuing {
        structure_id,
        month,
        today,
        now,
        prepaid,
        due_on,
        issuer,
        issued_by,
    };
    // The batches' PDFs and ledgers are made while the next batches are numbered and stored.
    let after = AfterRun::start(state, structure_id);
    let mut failed = None;
    for batch in to_issue.chunks(state.settings.invoice_batch.max(1)) {
        let (committed, already_issued) = match issuing.batch(state, batch).await {
            Ok(committed) => committed,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        report.already_issued += already_issued;
        for row in &committed.rows {
            report.issued.push(row.number.clone());
            report.total_cents += row.total_cents;
        }
        after.push(committed).await;
    }
    after.finish().await;
    // The journal tells what a run issued also when it stopped half-way: the batches
    // committed before the failure stay issued (a later run issues the rest).
    let mut detail = run_detail(month, &report);
    if let Some(e) = &failed {
        detail.push_str(&format!(" ; interrompue : {e}"));
    }
    let recorded = crate::db::audit::record_alone(
        &state.db,
        crate::db::audit::Who {
            account_id: &cartable_domain::ids::AccountId::from(issued_by),
            structure_id: &StructureId::from(structure_id),
            at_ms: now.as_millisecond(),
        },
        "issue_invoices",
        None,
        &detail,
    )
    .await;
    if let Some(e) = failed {
        if let Err(lost) = recorded {
            tracing::error!(error = %lost, "interrupted invoice run not journaled");
        }
        return Err(e);
    }
    recorded?;
    Ok(report)
}

/// What the journal says of a run: "février 2027 : 2 factures émises (F2027-000001 à
/// F2027-000002) pour 159,55 €".
fn run_detail(month: BillingMonth, r: &IssueReport) -> String {
    let issued = match (r.issued.first(), r.issued.last(), r.issued.len()) {
        (Some(one), _, 1) => format!("1 document émis ({one}) pour {}", format_eur(r.total_cents)),
        (Some(first), Some(last), n) => format!(
            "{n} documents émis ({first} à {last}) pour {}",
            format_eur(r.total_cents)
        ),
        _ => "aucun nouveau document".to_string(),
    };
    let mut out = format!("{} : {issued}", month.label_fr());
    if r.already_issued > 0 {
        out.push_str(&format!(", {} déjà émis avant", r.already_issued));
    }
    out
}
