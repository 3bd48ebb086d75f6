//! Overdue invoices across months (administrators): each invoice past its due date with
//! something left to pay, its family, month, amount due, days late and the billing adult's
//! contact, sorted by amount or by age, each leading to the family's ledger. The status is
//! the staff API's ([`summaries`]): the same rule as the list of invoices and the phone.

use super::format;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::db::invoices;
use crate::routes::staff::invoicing::summaries;
use askama::Template;
use axum::extract::{Query, State};
use cartable_domain::calendar::paris_date;
use cartable_domain::ledger::PaymentStatus;
use cartable_domain::pricing::BillingMonth;
use serde::Deserialize;
use sqlx::Row;
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/impayes", axum::routing::get(page))
}

/// How the billing adult can be reached.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    /// The phone number for a `tel:` link (digits and "+" only).
    pub phone_uri: String,
    pub email: String,
}

struct Late {
    number: String,
    family_id: String,
    family_name: String,
    month: String,
    due_on: String,
    remaining: String,
    remaining_cents: i64,
    days_late: i64,
    late: String,
    contact: Contact,
}

#[derive(Template)]
#[template(path = "admin/overdue.html")]
struct OverduePage {
    chrome: render::Chrome,
    billing_tab: &'static str,
    today: String,
    by_amount: bool,
    rows: Vec<Late>,
    total: String,
    families: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct OverdueQuery {
    /// "montant" (largest first, the default) or "retard" (oldest first).
    #[serde(default)]
    tri: Option<String>,
}

/// The billing adult of each family of the structure (else a legal guardian, else any
/// adult), as the invoices name them.
async fn contacts(
    state: &AppState,
    structure_id: &str,
) -> Result<BTreeMap<String, Contact>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.family_id, a.first_name, a.last_name, a.mobile_phone, a.home_phone, a.email \
         FROM adults a JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         ORDER BY a.family_id, a.billing DESC, a.legal_guardian DESC, a.adult_id",
    )
    .bind(structure_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        let family_id: String = r.try_get("family_id")?;
        if out.contains_key(&family_id) {
            continue;
        }
        let mobile: String = r.try_get("mobile_phone")?;
        let home: String = r.try_get("home_phone")?;
        let phone = if mobile.is_empty() { home } else { mobile };
        let name = format!(
            "{} {}",
            r.try_get::<String, _>("first_name")?,
            r.try_get::<String, _>("last_name")?
        );
        out.insert(
            family_id,
            Contact {
                name: name.trim().to_string(),
                phone_uri: phone
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect(),
                phone,
                email: r.try_get("email")?,
            },
        );
    }
    Ok(out)
}

/// "1 jour", "12 jours".
fn days(n: i64) -> String {
    if n <= 1 {
        format!("{n} jour")
    } else {
        format!("{n} jours")
    }
}

/// GET /admin/impayes?tri=montant|retard
pub async fn page(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<OverdueQuery>,
) -> PageResult {
    let structure_id = staff.0.0.session.structure_id.as_str().to_string();
    let today = paris_date(state.clock.now());
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        invoices::due_before(&mut conn, &structure_id, &today.to_string()).await?
    };
    let names = crate::invoicing::export::family_names(&state, &structure_id).await?;
    let contacts = contacts(&state, &structure_id).await?;
    let mut rows: Vec<Late> = summaries(&state, &structure_id, found)
        .await?
        .into_iter()
        .filter(|s| s.status == PaymentStatus::Overdue.code())
        .map(|s| {
            let days_late = s
                .due_on
                .parse::<jiff::civil::Date>()
                .map_or(0, |d| i64::from((today - d).get_days()));
            Late {
                family_name: names.get(&s.family_id).cloned().unwrap_or_default(),
                contact: contacts.get(&s.family_id).cloned().unwrap_or_default(),
                month: s
                    .month
                    .parse::<BillingMonth>()
                    .map(|m| m.label_fr())
                    .unwrap_or_else(|_| s.month.clone()),
                due_on: format::iso_date(&s.due_on),
                remaining: format::euros(s.remaining_cents),
                remaining_cents: s.remaining_cents,
                late: days(days_late),
                days_late,
                number: s.number,
                family_id: s.family_id,
            }
        })
        .collect();
    let by_amount = q.tri.as_deref() != Some("retard");
    if by_amount {
        rows.sort_by(|a, b| {
            b.remaining_cents
                .cmp(&a.remaining_cents)
                .then(b.days_late.cmp(&a.days_late))
        });
    } else {
        rows.sort_by(|a, b| {
            b.days_late
                .cmp(&a.days_late)
                .then(b.remaining_cents.cmp(&a.remaining_cents))
        });
    }
    let total: i64 = rows.iter().map(|r| r.remaining_cents).sum();
    let mut families: Vec<&str> = rows.iter().map(|r| r.family_id.as_str()).collect();
    families.sort_unstable();
    families.dedup();
    let families = families.len();
    Ok(render::page(&OverduePage {
        chrome: staff.0.chrome("Factures en retard", "factures"),
        billing_tab: "impayes",
        today: format::date(today),
        by_amount,
        total: format::euros(total),
        families,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_late_read_in_french() {
        assert_eq!(super::days(1), "1 jour");
        assert_eq!(super::days(12), "12 jours");
    }
}
