//! The annual statement of amounts paid, per family and child (asked for the childcare tax
//! credit). Money actually received in the calendar year, allocated to invoices (net of
//! their credit notes) the same way as the ledger, then shared between children in
//! proportion to each invoice's lines (largest remainder, so the cents add up).

use super::content::InvoiceContent;
use super::ledger;
use crate::AppState;
use crate::db::invoices::{self, InvoiceRow, PaymentRow};
use crate::error::AppResult;
use cartable_domain::ledger::{Credit, Debit, DocumentKind, allocate};
use cartable_domain::money::format_eur;
use cartable_invoice_pdf::{PdfDocument, TableRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildPaid {
    pub child_id: String,
    pub child_name: String,
    pub paid_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualStatement {
    pub year: i16,
    pub family_id: String,
    pub family_name: String,
    pub billing_name: String,
    /// Per child, in name order.
    pub children: Vec<ChildPaid>,
    /// Paid for lines about the whole family (fees).
    pub family_cents: i64,
    pub total_paid_cents: i64,
}

fn remaining_at(
    invoices: &[InvoiceRow],
    payments: &[PaymentRow],
    until: &str,
) -> BTreeMap<String, i64> {
    let credited = |n: &str| -> i64 {
        invoices
            .iter()
            .filter(|c| c.kind == DocumentKind::CreditNote.code() && c.refers_to == n)
            .map(|c| -c.total_cents)
            .sum()
    };
    let debits: Vec<Debit> = invoices
        .iter()
        .filter(|i| i.kind == DocumentKind::Invoice.code() && i.issued_on.as_str() <= until)
        .map(|i| Debit {
            number: i.number.clone(),
            issued_on: i.issued_on.parse().unwrap_or(jiff::civil::Date::MIN),
            total_cents: i.total_cents - credited(&i.number),
        })
        .collect();
    let credits: Vec<Credit> = payments
        .iter()
        .filter(|p| p.received_on.as_str() <= until)
        .map(|p| Credit {
            amount_cents: p.amount_cents,
            invoice_number: (!p.invoice_number.is_empty()).then(|| p.invoice_number.clone()),
        })
        .collect();
    let mut r = allocate(&debits, &credits);
    for d in &debits {
        r.entry(d.number.clone()).or_insert(d.total_cents);
    }
    r
}

/// Splits `amount` in proportion to `weights` (largest remainder).
fn share(amount: i64, weights: &[(String, i64)]) -> Vec<(String, i64)> {
    let total: i64 = weights.iter().map(|(_, w)| (*w).max(0)).sum();
    if total <= 0 {
        return Vec::new();
    }
    let mut out: Vec<(String, i64, i64)> = weights
        .iter()
        .map(|(k, w)| {
            let n = i128::from(amount) * i128::from((*w).max(0));
            let q = i64::try_from(n / i128::from(total)).unwrap_or(0);
            let r = i64::try_from(n % i128::from(total)).unwrap_or(0);
            (k.clone(), q, r)
        })
        .collect();
    let mut left = amount - out.iter().map(|(_, q, _)| q).sum::<i64>();
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|a, b| out[*b].2.cmp(&out[*a].2).then(a.cmp(b)));
    for i in order {
        if left <= 0 {
            break;
        }
        out[i].1 += 1;
        left -= 1;
    }
    out.into_iter().map(|(k, q, _)| (k, q)).collect()
}

/// The statement for `year`.
pub async fn statement(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
    year: i16,
) -> AppResult<AnnualStatement> {
    let family_name = ledger::check_family(state, structure_id, family_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let invoices = invoices::of_family(&mut conn, structure_id, family_id).await?;
    let payments = invoices::payments_of_family(&mut conn, structure_id, family_id).await?;
    let before = remaining_at(&invoices, &payments, &format!("{}-12-31", year - 1));
    let after = remaining_at(&invoices, &payments, &format!("{year}-12-31"));
    // What an invoice issued during the year had to pay at first: its total net of credit notes.
    let owed = remaining_at(&invoices, &[], &format!("{year}-12-31"));
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut paid: BTreeMap<String, i64> = BTreeMap::new();
    let mut billing_name = family_name.clone();
    for i in invoices
        .iter()
        .filter(|i| i.kind == DocumentKind::Invoice.code())
    {
        let Ok(content) = serde_json::from_str::<InvoiceContent>(&i.content) else {
            continue;
        };
        billing_name = content.family.billing_name.clone();
        let start = before
            .get(&i.number)
            .copied()
            .unwrap_or_else(|| owed.get(&i.number).copied().unwrap_or(0));
        let end = after.get(&i.number).copied().unwrap_or(0);
        let paid_in_year = (start - end).max(0);
        if paid_in_year == 0 {
            continue;
        }
        let mut weights: BTreeMap<String, i64> = BTreeMap::new();
        for l in &content.lines {
            *weights.entry(l.child_id.clone()).or_default() += l.total_cents;
            if !l.child_id.is_empty() {
                names.insert(l.child_id.clone(), l.child_name.clone());
            }
        }
        let weights: Vec<(String, i64)> = weights.into_iter().collect();
        for (child, cents) in share(paid_in_year, &weights) {
            *paid.entry(child).or_default() += cents;
        }
    }
    let family_cents = paid.remove("").unwrap_or(0);
    let mut children: Vec<ChildPaid> = paid
        .into_iter()
        .map(|(child_id, paid_cents)| ChildPaid {
            child_name: names.get(&child_id).cloned().unwrap_or_default(),
            child_id,
            paid_cents,
        })
        .collect();
    children.sort_by(|a, b| a.child_name.cmp(&b.child_name));
    let total_paid_cents = children.iter().map(|c| c.paid_cents).sum::<i64>() + family_cents;
    Ok(AnnualStatement {
        year,
        family_id: family_id.to_string(),
        family_name,
        billing_name,
        children,
        family_cents,
        total_paid_cents,
    })
}

/// The statements of `year` for every family of the structure that paid something in it,
/// by family name.
pub async fn of_year(
    state: &AppState,
    structure_id: &str,
    year: i16,
) -> AppResult<Vec<AnnualStatement>> {
    let rows = sqlx::query(
        "SELECT DISTINCT family_id FROM payments WHERE structure_id = $1 \
         AND received_on >= $2 AND received_on <= $3",
    )
    .bind(structure_id)
    .bind(format!("{year}-01-01"))
    .bind(format!("{year}-12-31"))
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let family_id: String = sqlx::Row::try_get(r, "family_id")?;
        let s = statement(state, structure_id, &family_id, year).await?;
        if s.total_paid_cents != 0 {
            out.push(s);
        }
    }
    out.sort_by(|a, b| {
        a.family_name
            .cmp(&b.family_name)
            .then(a.family_id.cmp(&b.family_id))
    });
    Ok(out)
}

/// The year's statements as CSV (same conventions as the month's export): one line per
/// child, and one for fees about the whole family.
pub fn csv(statements: &[AnnualStatement]) -> String {
    use super::export::{line, text};
    use cartable_domain::money::format_amount;
    let mut out = line(&[
        "annee",
        "famille",
        "id_famille",
        "payeur",
        "enfant",
        "montant_paye_eur",
        "montant_paye_centimes",
    ]);
    for s in statements {
        let year = s.year.to_string();
        let mut push = |who: &str, cents: i64| {
            out.push_str(&line(&[
                &year,
                &text(&s.family_name),
                &s.family_id,
                &text(&s.billing_name),
                &text(who),
                &format_amount(cents),
                &cents.to_string(),
            ]));
        };
        for c in &s.children {
            push(&c.child_name, c.paid_cents);
        }
        if s.family_cents != 0 {
            push("Frais communs à la famille", s.family_cents);
        }
    }
    out
}

/// The printed certificate.
pub fn printed(
    s: &AnnualStatement,
    issuer: &super::content::IssuerSnapshot,
    today: &str,
) -> PdfDocument {
    let mut rows: Vec<TableRow> = s
        .children
        .iter()
        .map(|c| TableRow {
            cells: [
                c.child_name.clone(),
                "Accueils périscolaires et extrascolaires".into(),
                String::new(),
                String::new(),
                format_eur(c.paid_cents),
            ],
            detail: String::new(),
        })
        .collect();
    if s.family_cents != 0 {
        rows.push(TableRow {
            cells: [
                String::new(),
                "Frais communs à la famille".into(),
                String::new(),
                String::new(),
                format_eur(s.family_cents),
            ],
            detail: String::new(),
        });
    }
    PdfDocument {
        title: "Attestation de paiement".into(),
        number: s.year.to_string(),
        issuer: vec![
            issuer.name.clone(),
            issuer.legal_name.clone(),
            issuer.address.clone(),
        ]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect(),
        recipient: vec![s.billing_name.clone(), s.family_name.clone()],
        facts: vec![
            ("Année".into(), s.year.to_string()),
            ("Établie le".into(), today.to_string()),
        ],
        columns: [
            "Enfant".into(),
            "Prestation".into(),
            String::new(),
            String::new(),
            "Montant payé".into(),
        ],
        rows,
        totals: vec![("Total payé".into(), format_eur(s.total_paid_cents))],
        notes: vec![(
            "Objet".into(),
            format!(
                "Nous attestons avoir reçu de {} les sommes ci-dessus au titre de l'année {}, \
                 pour servir et valoir ce que de droit (crédit d'impôt pour frais de garde).",
                s.billing_name, s.year
            ),
        )],
        footer: issuer.legal_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_add_up_to_the_amount() {
        let w = vec![
            ("a".to_string(), 1),
            ("b".to_string(), 1),
            ("c".to_string(), 1),
        ];
        let s = share(100, &w);
        assert_eq!(s.iter().map(|(_, c)| c).sum::<i64>(), 100);
        assert_eq!(s[0].1, 34);
        assert!(share(100, &[]).is_empty());
    }
}
