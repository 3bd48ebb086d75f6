//! PDFs of issued documents: made from the stored content (so always the same), stored in
//! the object store under `invoices/<structure>/<number>.pdf`, rendered again on demand when
//! missing.

use super::content::InvoiceContent;
use super::render_pool;
use crate::AppState;
use crate::db::invoices::{self, InvoiceRow, PdfPlace};
use crate::error::{AppError, AppResult};
use crate::objects;
use cartable_domain::calendar::format_date_fr;
use cartable_domain::invoicing::LineKind;
use cartable_domain::ledger::DocumentKind;
use cartable_domain::money::format_eur;
use cartable_invoice_pdf::{PdfDocument, TableRow};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

fn date_fr(iso: &str) -> String {
    iso.parse()
        .map(format_date_fr)
        .unwrap_or_else(|_| iso.to_string())
}

/// The printed form of an issued document.
pub fn printed(content: &InvoiceContent) -> PdfDocument {
    let issuer = &content.issuer;
    let mut issuer_lines = vec![issuer.name.clone()];
    if issuer.legal_name != issuer.name && !issuer.legal_name.is_empty() {
        issuer_lines.push(issuer.legal_name.clone());
    }
    issuer_lines.extend(
        [
            issuer.address.clone(),
            if issuer.siret.is_empty() {
                String::new()
            } else {
                format!("SIRET {}", issuer.siret)
            },
            [issuer.phone.as_str(), issuer.email.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" · "),
        ]
        .into_iter()
        .filter(|s| !s.trim().is_empty()),
    );
    let family = &content.family;
    let mut recipient = vec![family.billing_name.clone()];
    if family.family_name != family.billing_name {
        recipient.push(family.family_name.clone());
    }
    recipient.extend(
        family
            .address
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from),
    );
    let mut facts = vec![("Date d'émission".to_string(), date_fr(&content.issued_on))];
    if let Ok(m) = content
        .month
        .parse::<cartable_domain::pricing::BillingMonth>()
    {
        facts.push(("Période".into(), m.label_fr()));
    }
    if !content.refers_to.is_empty() {
        facts.push(("Facture corrigée".into(), content.refers_to.clone()));
    }
    if !content.reason.is_empty() {
        facts.push(("Motif".into(), content.reason.clone()));
    }
    if !content.due_on.is_empty() {
        facts.push(("Date d'échéance".into(), date_fr(&content.due_on)));
    }
    if !content.payment_reference.is_empty() {
        facts.push((
            "Référence de paiement".into(),
            content.payment_reference.clone(),
        ));
    }
    facts.push((
        "Référence famille".into(),
        family.family_id.chars().take(8).collect(),
    ));
    let rows = content
        .lines
        .iter()
        .map(|l| {
            let what = match (l.activity_name.is_empty(), l.kind) {
                (true, _) => l.label.clone(),
                (false, LineKind::Package) => format!("{} — {}", l.activity_name, l.label),
                (false, _) => format!("{} — {}", l.activity_name, l.label.to_lowercase()),
            };
            TableRow {
                cells: [
                    if l.child_name.is_empty() {
                        "Pour la famille".to_string()
                    } else {
                        l.child_name.clone()
                    },
                    what,
                    l.quantity.to_string(),
                    format_eur(l.unit_cents),
                    format_eur(l.total_cents),
                ],
                detail: l.basis.clone(),
            }
        })
        .collect();
    let total_label = match content.kind {
        DocumentKind::Invoice => "Total à payer",
        DocumentKind::CreditNote => "Total de l'avoir",
        DocumentKind::Statement => "Total débité du compte",
    };
    let mut notes = Vec::new();
    match content.kind {
        DocumentKind::Invoice => {
            let how = if issuer.payment_instructions.trim().is_empty() {
                format!(
                    "Payez avant le {} en indiquant la référence {} : par carte bancaire sur le \
                     portail famille, par chèque à l'ordre du Trésor public, en espèces ou en \
                     CESU auprès de la régie, ou par virement.",
                    date_fr(&content.due_on),
                    content.payment_reference
                )
            } else {
                format!(
                    "{} Référence à rappeler : {}.",
                    issuer.payment_instructions.trim(),
                    content.payment_reference
                )
            };
            notes.push(("Comment payer".to_string(), how));
        }
        DocumentKind::CreditNote => notes.push((
            "Avoir".to_string(),
            "Ce montant est déduit de ce que vous devez, ou reste à votre crédit.".to_string(),
        )),
        DocumentKind::Statement => notes.push((
            "Compte prépayé".to_string(),
            "Ce relevé est débité de votre compte prépayé ; rechargez-le sur le portail ou \
             auprès de la régie."
                .to_string(),
        )),
    }
    notes.push((
        "Voies et délais de recours".to_string(),
        issuer.appeal_mentions.clone(),
    ));
    PdfDocument {
        title: content.kind.label_fr().to_string(),
        number: content.number.clone(),
        issuer: issuer_lines,
        recipient,
        facts,
        columns: [
            "Enfant".into(),
            "Prestation".into(),
            "Qté".into(),
            "Prix unitaire".into(),
            "Montant".into(),
        ],
        rows,
        totals: vec![(total_label.to_string(), format_eur(content.total_cents))],
        notes,
        footer: format!(
            "{} — {} {} émis le {}. Document non modifiable : toute correction fait l'objet d'un avoir.",
            issuer.legal_name,
            content.kind.label_fr(),
            content.number,
            date_fr(&content.issued_on)
        ),
    }
}

/// Renders the document stored in `row`.
pub fn render_row(row: &InvoiceRow) -> AppResult<Vec<u8>> {
    let content: InvoiceContent = serde_json::from_str(&row.content)
        .map_err(|e| AppError::internal(format!("facture {} illisible : {e}", row.number)))?;
    cartable_invoice_pdf::render(&printed(&content))
        .map_err(|e| AppError::internal(format!("PDF de {} : {e}", row.number)))
}

fn key(row: &InvoiceRow) -> String {
    format!("invoices/{}/{}.pdf", row.structure_id, row.number)
}

/// The object packing the PDFs of `rows` (consecutive documents of one run, of one
/// structure): named after the first and last numbers.
fn pack_key(rows: &[InvoiceRow]) -> Option<String> {
    let (first, last) = (rows.first()?, rows.last()?);
    Some(format!(
        "invoices/{}/{}_{}.pdfs",
        first.structure_id, first.number, last.number
    ))
}

/// A rendered PDF in the object store, before its place is recorded on its row.
#[derive(Debug, Clone)]
pub struct StoredPdf {
    pub invoice_id: String,
    pub family_id: String,
    pub number: String,
    pub key: String,
    /// Where the PDF is in the pack `key` (`None`: the object is this PDF alone).
    pub offset: Option<i64>,
    pub length: Option<i64>,
    pub sha256: String,
}

/// How many PDFs one pack holds at most (about 17 KB each).
const PACKED: usize = 100;

/// Renders the PDFs of `rows` and stores them packed, in two jobs of the rendering threads
/// ([`render_pool`]) that each render their half of the rows into packs of up to [`PACKED`]
/// PDFs stored as one object each: a monthly run creates a file per pack instead of one per
/// document (creating files was a tenth of a run's CPU). Their places are recorded by
/// [`record`], in the transaction that publishes the families' ledgers.
pub async fn render_and_store(state: &AppState, rows: &[InvoiceRow]) -> AppResult<Vec<StoredPdf>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let workers = 2usize;
    let runtime = tokio::runtime::Handle::current();
    let mut tasks = Vec::new();
    for part in rows.chunks(rows.len().div_ceil(workers).max(1)) {
        let (part, state, runtime) = (part.to_vec(), state.clone(), runtime.clone());
        tasks.push(render_pool::run(move || {
            let packs = part
                .chunks(PACKED)
                .map(|pack| render_pack(&state, &runtime, pack))
                .collect::<AppResult<Vec<_>>>()?;
            Ok::<_, AppError>(packs.into_iter().flatten().collect::<Vec<_>>())
        }));
    }
    let mut stored = Vec::with_capacity(rows.len());
    for t in tasks {
        stored.extend(t.await??);
    }
    Ok(stored)
}

/// Renders the PDFs of `rows` back to back into one object and stores it.
fn render_pack(
    state: &AppState,
    runtime: &tokio::runtime::Handle,
    rows: &[InvoiceRow],
) -> AppResult<Vec<StoredPdf>> {
    let Some(key) = pack_key(rows) else {
        return Ok(Vec::new());
    };
    let at =
        |n: usize| i64::try_from(n).map_err(|_| AppError::internal("paquet de PDF trop grand"));
    let mut pack = Vec::new();
    let mut stored = Vec::with_capacity(rows.len());
    for row in rows {
        let pdf = render_row(row)?;
        stored.push(StoredPdf {
            invoice_id: row.id.clone(),
            family_id: row.family_id.clone(),
            number: row.number.clone(),
            key: key.clone(),
            offset: Some(at(pack.len())?),
            length: Some(at(pdf.len())?),
            sha256: hex::encode(Sha256::digest(&pdf)),
        });
        pack.extend_from_slice(&pdf);
    }
    runtime.block_on(objects::store(state, &key, pack))?;
    Ok(stored)
}

/// Records the places of stored PDFs on their rows, in the caller's transaction.
pub async fn record(conn: &mut AnyConnection, stored: &[StoredPdf]) -> AppResult<()> {
    let places: Vec<PdfPlace<'_>> = stored
        .iter()
        .map(|s| PdfPlace {
            invoice_id: &s.invoice_id,
            key: &s.key,
            offset: s.offset,
            length: s.length,
            sha256: &s.sha256,
        })
        .collect();
    invoices::set_pdfs(conn, &places).await?;
    Ok(())
}

/// [`record`] in a transaction of its own.
pub async fn record_alone(state: &AppState, stored: &[StoredPdf]) -> AppResult<()> {
    let mut tx = state.db.begin_write().await?;
    record(&mut tx.tx, stored).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored PDF of `row`, when it can be read and is the one its hash names (a pack's
/// range pointing at a neighbour's PDF must never be served).
async fn stored_pdf(state: &AppState, row: &InvoiceRow) -> Option<Vec<u8>> {
    let key = row.pdf_key.as_deref()?;
    let loaded = match row.pdf_range() {
        Ok(Some(range)) => objects::load_range(state, key, range).await,
        Ok(None) => objects::load(state, key).await,
        Err(e) => Err(AppError::internal(format!("PDF de {} : {e}", row.number))),
    };
    let bytes = match loaded {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, number = %row.number, "stored PDF unreadable; rendered again");
            return None;
        }
    };
    match &row.pdf_sha256 {
        Some(sha) if *sha != hex::encode(Sha256::digest(&bytes)) => {
            tracing::error!(number = %row.number, key, "stored PDF differs from its hash; rendered again");
            None
        }
        _ => Some(bytes.to_vec()),
    }
}

/// The PDF of `row`: from the object store, or rendered (and stored alone) when missing.
pub async fn pdf_of(state: &AppState, row: &InvoiceRow) -> AppResult<Vec<u8>> {
    if let Some(pdf) = stored_pdf(state, row).await {
        return Ok(pdf);
    }
    let copy = row.clone();
    let pdf = tokio::task::spawn_blocking(move || render_row(&copy))
        .await
        .map_err(|e| AppError::internal(format!("rendu PDF interrompu : {e}")))??;
    let sha = hex::encode(Sha256::digest(&pdf));
    let key = key(row);
    objects::store(state, &key, pdf.clone()).await?;
    let mut tx = state.db.begin_write().await?;
    let place = PdfPlace {
        invoice_id: &row.id,
        key: &key,
        offset: None,
        length: None,
        sha256: &sha,
    };
    invoices::set_pdfs(&mut tx.tx, &[place]).await?;
    tx.commit().await?;
    Ok(pdf)
}
