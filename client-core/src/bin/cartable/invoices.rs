//! `cartable factures`, `cartable factures pdf NUMBER --to FILE` and `cartable solde`.

use crate::Output;
use crate::cli::InvoicesCommand;
use cartable_core::domain::money::format_eur;
use cartable_core::{BalanceView, Client, Error, InvoiceView};
use serde_json::json;
use std::fmt::Write as _;

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn render_invoices(list: &[InvoiceView]) -> String {
    if list.is_empty() {
        return "Aucune facture pour le moment.".into();
    }
    let mut out = String::new();
    for i in list {
        let period = if i.month_label.is_empty() {
            String::new()
        } else {
            format!(" — {}", i.month_label)
        };
        let due = if i.due_on.is_empty() {
            String::new()
        } else {
            format!(", échéance {}", i.due_on)
        };
        let _ = writeln!(
            out,
            "{} {}{period} : {} ({}{due})",
            i.kind_label,
            i.number,
            format_eur(i.total_cents),
            i.status_label
        );
        if i.remaining_cents > 0 && i.remaining_cents < i.total_cents {
            let _ = writeln!(out, "    reste à payer : {}", format_eur(i.remaining_cents));
        }
        if !i.refers_to.is_empty() {
            let _ = writeln!(out, "    sur la facture {} : {}", i.refers_to, i.reason);
        }
        for l in &i.lines {
            let who = if l.child_name.is_empty() {
                String::new()
            } else {
                format!("{} — ", l.child_name)
            };
            let what = if l.activity_name.is_empty() {
                l.label.clone()
            } else {
                format!("{}, {}", l.activity_name, l.label.to_lowercase())
            };
            let _ = writeln!(
                out,
                "    {who}{what} : {} × {} = {}",
                l.quantity,
                format_eur(l.unit_cents),
                format_eur(l.total_cents)
            );
        }
        if let Some(p) = &i.local_pdf {
            let _ = writeln!(out, "    PDF sur cet appareil : {p}");
        }
    }
    out
}

fn render_balance(b: &BalanceView) -> String {
    let mut out = format!("{}\n", b.label);
    if b.due_cents > 0 {
        let _ = writeln!(
            out,
            "Reste à payer sur les factures : {}",
            format_eur(b.due_cents)
        );
    }
    if b.overdue_count > 0 {
        let _ = writeln!(out, "Factures en retard de paiement : {}", b.overdue_count);
    }
    if b.payments.is_empty() {
        let _ = writeln!(out, "Aucun paiement enregistré.");
    }
    for p in &b.payments {
        let invoice = if p.invoice_number.is_empty() {
            String::new()
        } else {
            format!(" (facture {})", p.invoice_number)
        };
        let _ = writeln!(
            out,
            "  {} : {} par {}{invoice}",
            p.received_on,
            format_eur(p.amount_cents),
            p.method_label
        );
    }
    out
}

/// `cartable factures [pdf NUMBER [--to FILE]]`.
pub fn invoices(client: &Client, action: Option<InvoicesCommand>) -> Result<Output, Error> {
    match action {
        None => {
            let list = client.invoices()?;
            Ok(Output::new(render_invoices(&list), to_json(&list)))
        }
        Some(InvoicesCommand::Pdf { number, to }) => {
            let path = client.invoice_pdf(&number)?;
            let mut text = format!("Facture disponible hors ligne : {}", path.display());
            if let Some(to) = &to {
                std::fs::copy(&path, to)
                    .map_err(|e| Error::Storage(format!("copie vers {} : {e}", to.display())))?;
                let _ = write!(text, "\nCopiée vers {}", to.display());
            }
            Ok(Output::new(
                text,
                json!({ "number": number, "path": path, "copied_to": to }),
            ))
        }
    }
}

/// `cartable solde`.
pub fn balance(client: &Client) -> Result<Output, Error> {
    let b = client.balance()?;
    Ok(Output::new(render_balance(&b), to_json(&b)))
}
