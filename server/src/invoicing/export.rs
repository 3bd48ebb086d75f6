//! CSV export of a month for the accounting software: one line per invoice, credit note or
//! statement of the month, then one per payment received in the month. Semicolon-separated,
//! UTF-8, amounts in euros with a decimal comma (what French spreadsheets and accounting
//! imports expect), plus the amount in cents for machines.

use crate::AppState;
use crate::db::invoices::{self, InvoiceRow, PaymentRow};
use crate::error::AppResult;
use cartable_domain::ledger::{DocumentKind, PaymentMethod};
use cartable_domain::money::format_amount;
use cartable_domain::pricing::BillingMonth;
use sqlx::Row;
use std::collections::BTreeMap;

fn field(s: &str) -> String {
    let s = s.replace('\u{a0}', " ");
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A text typed by a person (a name, a payment's reference), made inert for spreadsheets: one
/// starting with a character a spreadsheet reads as a formula (`=`, `+`, `-`, `@`, a tab or
/// a carriage return) gets a leading apostrophe. Amounts do not go through it: "-1,50" must
/// stay a number.
pub fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// One CSV line (fields quoted when needed, CRLF at the end).
pub fn line(fields: &[&str]) -> String {
    let mut l = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(";");
    l.push_str("\r\n");
    l
}

/// The CSV text for `invoices` and `payments` (names by family id in `families`).
pub fn csv(
    invoices: &[InvoiceRow],
    payments: &[PaymentRow],
    families: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut out = line(&[
        "type",
        "numero",
        "date",
        "echeance",
        "famille",
        "id_famille",
        "montant_eur",
        "montant_centimes",
        "moyen",
        "reference",
        "facture_liee",
    ]);
    let name = |id: &str| families.get(id).map(|n| text(n)).unwrap_or_default();
    for i in invoices {
        let kind = DocumentKind::from_code(&i.kind)
            .map(|k| k.label_fr())
            .unwrap_or("");
        out.push_str(&line(&[
            kind,
            &i.number,
            &i.issued_on,
            &i.due_on,
            &name(&i.family_id),
            &i.family_id,
            &format_amount(i.total_cents),
            &i.total_cents.to_string(),
            "",
            "",
            &i.refers_to,
        ]));
    }
    for p in payments {
        let method = PaymentMethod::from_code(&p.method)
            .map(|m| m.label_fr())
            .unwrap_or("");
        out.push_str(&line(&[
            "Paiement",
            "",
            &p.received_on,
            "",
            &name(&p.family_id),
            &p.family_id,
            &format_amount(p.amount_cents),
            &p.amount_cents.to_string(),
            method,
            &text(&p.reference),
            &p.invoice_number,
        ]));
    }
    out
}

/// Names of the structure's families, by id.
pub async fn family_names(
    state: &AppState,
    structure_id: &str,
) -> AppResult<BTreeMap<String, String>> {
    let rows = sqlx::query("SELECT id, name FROM families WHERE structure_id = $1")
        .bind(structure_id)
        .fetch_all(&state.db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// The month's CSV for `structure_id`: the documents of its run (and credit notes issued in
/// it), then the payments received during the month.
pub async fn month_csv(
    state: &AppState,
    structure_id: &str,
    month: BillingMonth,
) -> AppResult<String> {
    let names = family_names(state, structure_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let rows = invoices::of_month(&mut conn, structure_id, &month.to_string()).await?;
    let paid = invoices::payments_between(
        &mut conn,
        structure_id,
        &month.first_day().to_string(),
        &month.last_day().to_string(),
    )
    .await?;
    Ok(csv(&rows, &paid, &names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_are_quoted() {
        assert_eq!(field("Martin"), "Martin");
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("dit \"Jo\""), "\"dit \"\"Jo\"\"\"");
        assert_eq!(field("1\u{a0}234,56"), "1 234,56");
    }

    #[test]
    fn typed_texts_that_a_spreadsheet_would_compute_are_made_inert() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+33 1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
        ] {
            assert_eq!(text(formula), format!("'{formula}"));
        }
        assert_eq!(text("Martin"), "Martin");
        assert_eq!(text("Chèque n°12"), "Chèque n°12");
        let l = line(&[&text("=1+1"), &format_amount(-150)]);
        assert!(l.starts_with("'=1+1;-1,50"), "{l}");
    }
}
