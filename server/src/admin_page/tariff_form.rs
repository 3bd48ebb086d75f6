//! An activity's tariff (administrators): the price of a day (one price, bands of quotient
//! familial, or a percentage of it), sibling discounts, the surcharges of a presence without
//! booking and of a late cancellation, the PAI meal price. Saved through the staff API's
//! own function (same checks, in French); packages and rounding are kept as they are.

use super::config_words as words;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::docs::catalogue;
use crate::error::AppError;
use crate::routes::Path;
use crate::routes::staff::tariffs::save_tariff;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use cartable_domain::tariffs::{PriceRule, QfBand, SiblingDiscount, Surcharge, Tariff};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/admin/configuration/activites/{activity_id}/tarif",
        axum::routing::get(edit).post(save),
    )
}

/// "4,20" (no sign) for an amount in cents.
pub fn amount(cents: i64) -> String {
    format!("{},{:02}", cents / 100, (cents % 100).abs())
}

/// "4,20", "4.20", "4" or "4,2 €" as cents.
pub fn parse_euros(text: &str) -> Option<i64> {
    let t = text
        .trim()
        .trim_end_matches('€')
        .trim()
        .replace([' ', '\u{a0}'], "");
    let t = t.replace('.', ",");
    let (whole, frac) = t.split_once(',').unwrap_or((&t, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let euros: i64 = whole.parse().ok()?;
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    euros.checked_mul(100)?.checked_add(cents)
}

struct SurchargeField {
    prefix: &'static str,
    title: &'static str,
    kind: &'static str,
    amount: String,
}

#[derive(Template)]
#[template(path = "admin/tariff_form.html")]
struct TariffPage {
    chrome: render::Chrome,
    csrf: String,
    activity_id: String,
    activity_name: String,
    current: Vec<(String, String)>,
    mode: &'static str,
    flat: String,
    bands: String,
    rate: String,
    floor: String,
    ceiling: String,
    sibling_mode: &'static str,
    sibling_values: String,
    surcharges: Vec<SurchargeField>,
    pai: String,
    packages: Vec<String>,
    errors: Vec<String>,
}

fn surcharge_field(prefix: &'static str, title: &'static str, s: &Surcharge) -> SurchargeField {
    let (kind, cents) = match s {
        Surcharge::None => ("aucun", None),
        Surcharge::Extra { cents } => ("supplement", Some(*cents)),
        Surcharge::FixedPrice { cents } => ("prix", Some(*cents)),
    };
    SurchargeField {
        prefix,
        title,
        kind,
        amount: cents.map(amount).unwrap_or_default(),
    }
}

fn page_of(staff: &PageAdmin, activity_id: &str, name: &str, t: Option<&Tariff>) -> TariffPage {
    let tariff = t.cloned().unwrap_or_default();
    let (mode, flat, bands, rate, floor, ceiling) = match &tariff.price {
        PriceRule::Flat { cents } => (
            "unique",
            amount(*cents),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ),
        PriceRule::QfBands { bands } => {
            let mut sorted = bands.clone();
            sorted.sort_by_key(|b| b.from_qf);
            let lines = sorted
                .iter()
                .map(|b| format!("{} : {}", b.from_qf, amount(b.cents)))
                .collect::<Vec<_>>()
                .join("\n");
            (
                "tranches",
                String::new(),
                lines,
                String::new(),
                String::new(),
                String::new(),
            )
        }
        PriceRule::QfPercentage {
            rate_millipercent,
            floor_cents,
            ceiling_cents,
        } => (
            "pourcentage",
            String::new(),
            String::new(),
            format!(
                "{},{:03}",
                rate_millipercent / 1000,
                rate_millipercent % 1000
            )
            .trim_end_matches('0')
            .trim_end_matches(',')
            .to_string(),
            amount(*floor_cents),
            amount(*ceiling_cents),
        ),
    };
    let (sibling_mode, sibling_values) = match &tariff.sibling {
        SiblingDiscount::None => ("aucune", String::new()),
        SiblingDiscount::PercentOff { by_rank } => (
            "pourcentages",
            by_rank
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" ; "),
        ),
        SiblingDiscount::PricePerRank { cents } => (
            "prix",
            cents
                .iter()
                .map(|c| amount(*c))
                .collect::<Vec<_>>()
                .join(" ; "),
        ),
    };
    TariffPage {
        chrome: staff.0.chrome(&format!("Tarif : {name}"), "configuration"),
        csrf: staff.0.csrf(),
        activity_id: activity_id.to_string(),
        activity_name: name.to_string(),
        current: t.map(words::tariff_lines).unwrap_or_default(),
        mode,
        flat,
        bands,
        rate,
        floor,
        ceiling,
        sibling_mode,
        sibling_values,
        surcharges: vec![
            surcharge_field(
                "sans-reservation",
                "Présence sans réservation",
                &tariff.unbooked_presence,
            ),
            surcharge_field(
                "hors-delai",
                "Annulation hors délai",
                &tariff.late_cancellation,
            ),
        ],
        pai: tariff.pai_meal_cents.map(amount).unwrap_or_default(),
        packages: tariff
            .packages
            .iter()
            .map(|p| format!("{} : {}", p.label, words::price(&p.price)))
            .collect(),
        errors: Vec::new(),
    }
}

/// GET /admin/configuration/activites/{activity_id}/tarif
pub async fn edit(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(activity_id): Path<String>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let Some(a) = catalogue.activities.get(&activity_id) else {
        return Ok(render::not_found());
    };
    Ok(render::page(&page_of(
        &staff,
        &activity_id,
        &a.name,
        a.tariff.as_ref(),
    )))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn euros_or(text: &str, what: &str, errors: &mut Vec<String>) -> i64 {
    parse_euros(text).unwrap_or_else(|| {
        errors.push(format!(
            "{what} : montant en euros attendu, par exemple 4,20"
        ));
        0
    })
}

/// Reads the form over `t` (and `page`, to show it again).
fn read_form(fields: &[(String, String)], t: &mut Tariff, page: &mut TariffPage) {
    let errors = &mut page.errors;
    page.flat = field(fields, "prix").to_string();
    page.bands = field(fields, "tranches").to_string();
    page.rate = field(fields, "taux").to_string();
    page.floor = field(fields, "plancher").to_string();
    page.ceiling = field(fields, "plafond").to_string();
    page.mode = match field(fields, "mode") {
        "tranches" => "tranches",
        "pourcentage" => "pourcentage",
        _ => "unique",
    };
    t.price = match page.mode {
        "tranches" => {
            let mut bands = Vec::new();
            for line in page.bands.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let parsed = line.split_once(':').and_then(|(qf, price)| {
                    Some(QfBand {
                        from_qf: qf.trim().parse().ok()?,
                        cents: parse_euros(price)?,
                    })
                });
                match parsed {
                    Some(b) => bands.push(b),
                    None => errors.push(format!(
                        "Tranches : ligne « {} » illisible (attendu « QF à partir duquel : prix », par exemple « 700 : 4,50 »)",
                        cartable_domain::text::shown(line, 40)
                    )),
                }
            }
            PriceRule::QfBands { bands }
        }
        "pourcentage" => {
            let rate = page.rate.replace(',', ".");
            let millipercent = rate
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && *r >= 0.0 && *r <= 100.0)
                .map(|r| (r * 1000.0).round() as u32);
            if millipercent.is_none() {
                errors.push("Taux : un pourcentage, par exemple 0,36".into());
            }
            PriceRule::QfPercentage {
                rate_millipercent: millipercent.unwrap_or(0),
                floor_cents: euros_or(&page.floor, "Plancher", errors),
                ceiling_cents: euros_or(&page.ceiling, "Plafond", errors),
            }
        }
        _ => PriceRule::Flat {
            cents: euros_or(&page.flat, "Prix d'une journée", errors),
        },
    };
    page.sibling_values = field(fields, "fratrie-valeurs").to_string();
    page.sibling_mode = match field(fields, "fratrie") {
        "pourcentages" => "pourcentages",
        "prix" => "prix",
        _ => "aucune",
    };
    let values: Vec<&str> = page
        .sibling_values
        .split(';')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    t.sibling = match page.sibling_mode {
        "pourcentages" => SiblingDiscount::PercentOff {
            by_rank: values
                .iter()
                .map(|v| {
                    v.trim_end_matches('%').trim().parse().unwrap_or_else(|_| {
                        errors.push(format!(
                            "Réduction fratrie : « {} » n'est pas un pourcentage",
                            cartable_domain::text::shown(v, 20)
                        ));
                        0
                    })
                })
                .collect(),
        },
        "prix" => SiblingDiscount::PricePerRank {
            cents: values
                .iter()
                .map(|v| euros_or(v, "Prix par rang", errors))
                .collect(),
        },
        _ => SiblingDiscount::None,
    };
    for s in &mut page.surcharges {
        s.kind = match field(fields, &format!("{}-type", s.prefix)) {
            "supplement" => "supplement",
            "prix" => "prix",
            _ => "aucun",
        };
        s.amount = field(fields, &format!("{}-montant", s.prefix)).to_string();
        let value = match s.kind {
            "supplement" => Surcharge::Extra {
                cents: euros_or(&s.amount, s.title, errors),
            },
            "prix" => Surcharge::FixedPrice {
                cents: euros_or(&s.amount, s.title, errors),
            },
            _ => Surcharge::None,
        };
        if s.prefix == "sans-reservation" {
            t.unbooked_presence = value;
        } else {
            t.late_cancellation = value;
        }
    }
    page.pai = field(fields, "pai").to_string();
    t.pai_meal_cents = if page.pai.is_empty() {
        None
    } else {
        Some(euros_or(&page.pai, "Panier repas PAI", errors))
    };
}

/// POST /admin/configuration/activites/{activity_id}/tarif
pub async fn save(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(activity_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let Some(a) = catalogue.activities.get(&activity_id) else {
        return Ok(render::not_found());
    };
    let mut tariff = a.tariff.clone().unwrap_or_default();
    let mut page = page_of(&staff, &activity_id, &a.name, a.tariff.as_ref());
    read_form(&fields, &mut tariff, &mut page);
    if page.errors.is_empty() {
        match save_tariff(&state, &staff.0.staff(), &activity_id, tariff).await {
            Ok(_) => return Ok(render::see_other("/admin/configuration?fait=tarif")),
            Err(AppError::Client { message, .. }) => page.errors.push(message),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render::page_with_status(StatusCode::BAD_REQUEST, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_written_in_france() {
        assert_eq!(parse_euros("4,20"), Some(420));
        assert_eq!(parse_euros("4.2"), Some(420));
        assert_eq!(parse_euros("13 €"), Some(1300));
        assert_eq!(parse_euros("1 250,5"), Some(125_050));
        assert_eq!(parse_euros("-1"), None);
        assert_eq!(parse_euros("4,205"), None);
        assert_eq!(parse_euros("quatre"), None);
        assert_eq!(amount(420), "4,20");
    }
}
