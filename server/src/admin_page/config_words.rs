//! The structure's configuration in words: weekdays, deadline rules, eligibility, tariffs,
//! as an administrator reads them ("2 jours ouvrés avant, à 12 h 00").

use super::format;
use cartable_domain::catalogue::{Activity, DeadlineRule, Eligibility};
use cartable_domain::tariffs::{PackageSpan, PriceRule, SiblingDiscount, Surcharge, Tariff};

const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "lundi" for 1 … "dimanche" for 7.
pub fn weekday(iso: u8) -> &'static str {
    WEEKDAYS
        .get(usize::from(iso.clamp(1, 7)) - 1)
        .copied()
        .unwrap_or("lundi")
}

/// "lundi, mardi, jeudi, vendredi".
pub fn weekdays(days: &[u8]) -> String {
    let mut sorted = days.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.is_empty() {
        return "aucun jour".into();
    }
    sorted
        .iter()
        .map(|d| weekday(*d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "12:00" as "12 h 00".
pub fn time(hhmm: &str) -> String {
    match hhmm.split_once(':') {
        Some((h, m)) => format!("{} h {m}", h.trim_start_matches('0').max("0")),
        None => hhmm.to_string(),
    }
}

fn instant(text: &str) -> String {
    match text.split_once('T') {
        Some((d, t)) => format!("{} à {}", format::iso_date(d), time(t)),
        None => format::iso_date(text),
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A deadline rule as a sentence fragment.
pub fn rule(r: &DeadlineRule) -> String {
    match r {
        DeadlineRule::DaysBefore {
            days,
            at,
            skip_weekends,
            skip_public_holidays,
            skip_weekdays,
        } => {
            let unit = if *skip_weekends {
                plural(*days, "jour ouvré", "jours ouvrés")
            } else {
                plural(*days, "jour", "jours")
            };
            let mut out = if *days == 0 {
                format!("le jour même avant {}", time(at))
            } else {
                format!("{unit} avant, à {}", time(at))
            };
            let mut skipped = Vec::new();
            if *skip_public_holidays && !*skip_weekends {
                skipped.push("jours fériés".to_string());
            }
            if !skip_weekdays.is_empty() {
                skipped.push(weekdays(skip_weekdays).replace(", ", "s, ") + "s");
            }
            if !skipped.is_empty() {
                out.push_str(&format!(" (sans compter les {})", skipped.join(" ni les ")));
            }
            out
        }
        DeadlineRule::WeekdayOfPreviousWeek {
            weekday: w,
            at,
            weeks_before,
        } => {
            let week = if *weeks_before <= 1 {
                "de la semaine précédente".to_string()
            } else {
                format!("{weeks_before} semaines avant")
            };
            format!("le {} {week}, à {}", weekday(*w), time(at))
        }
        DeadlineRule::DayOfPreviousMonth { day, at } => {
            format!("le {day} du mois précédent, à {}", time(at))
        }
        DeadlineRule::HoursBefore { hours } => {
            format!("{} avant le début", plural(*hours, "heure", "heures"))
        }
        DeadlineRule::ReadOnlyFrom {
            from,
            period_from,
            period_to,
        } => {
            let period = match (period_from.is_empty(), period_to.is_empty()) {
                (true, true) => "tous les jours".to_string(),
                _ => format!(
                    "les jours du {} au {}",
                    format::iso_date(period_from),
                    format::iso_date(period_to)
                ),
            };
            format!(
                "plus de changement à partir du {} pour {period}",
                instant(from)
            )
        }
        DeadlineRule::Window { opens, closes } => format!(
            "seulement entre le {} et le {}",
            instant(opens),
            instant(closes)
        ),
    }
}

/// Every rule of a list, or what an empty list means.
pub fn rules(list: &[DeadlineRule], when_empty: &str) -> String {
    if list.is_empty() {
        when_empty.to_string()
    } else {
        list.iter().map(rule).collect::<Vec<_>>().join(" ; ")
    }
}

/// Who may attend.
pub fn eligibility(e: &Eligibility) -> String {
    let mut parts = Vec::new();
    match (e.min_age_years, e.max_age_years) {
        (Some(min), Some(max)) => parts.push(format!("de {min} à {max} ans")),
        (Some(min), None) => parts.push(format!("à partir de {min} ans")),
        (None, Some(max)) => parts.push(format!("jusqu'à {max} ans")),
        (None, None) => {}
    }
    if !e.classes.is_empty() {
        parts.push(format!("classes {}", e.classes.join(", ")));
    }
    if parts.is_empty() {
        "tous les enfants".into()
    } else {
        parts.join(", ")
    }
}

/// The days an activity runs in the year.
pub fn period(a: &Activity) -> String {
    match (a.first_day.is_empty(), a.last_day.is_empty()) {
        (true, true) => "toute l'année scolaire".into(),
        (false, true) => format!("à partir du {}", format::iso_date(&a.first_day)),
        (true, false) => format!("jusqu'au {}", format::iso_date(&a.last_day)),
        (false, false) => format!(
            "du {} au {}",
            format::iso_date(&a.first_day),
            format::iso_date(&a.last_day)
        ),
    }
}

/// A price rule in words.
pub fn price(p: &PriceRule) -> String {
    match p {
        PriceRule::Flat { cents } => format::euros(*cents),
        PriceRule::QfBands { bands } => {
            let mut sorted = bands.clone();
            sorted.sort_by_key(|b| b.from_qf);
            let parts: Vec<String> = sorted
                .iter()
                .enumerate()
                .map(|(i, b)| match sorted.get(i + 1) {
                    Some(next) => format!(
                        "QF {} à {} : {}",
                        b.from_qf,
                        next.from_qf.saturating_sub(1),
                        format::euros(b.cents)
                    ),
                    None => format!("QF {} et plus : {}", b.from_qf, format::euros(b.cents)),
                })
                .collect();
            format!("selon le quotient familial ({})", parts.join(" ; "))
        }
        PriceRule::QfPercentage {
            rate_millipercent,
            floor_cents,
            ceiling_cents,
        } => format!(
            "{} % du quotient familial, entre {} et {}",
            percent(*rate_millipercent),
            format::euros(*floor_cents),
            format::euros(*ceiling_cents)
        ),
    }
}

/// 360 thousandths of a per cent as "0,36".
pub fn percent(millipercent: u32) -> String {
    let text = format!("{},{:03}", millipercent / 1000, millipercent % 1000);
    text.trim_end_matches('0').trim_end_matches(',').to_string()
}

/// The lines of a price: one per band of quotient familial.
fn price_lines(what: &str, p: &PriceRule) -> Vec<(String, String)> {
    let PriceRule::QfBands { bands } = p else {
        return vec![(what.to_string(), price(p))];
    };
    let mut sorted = bands.clone();
    sorted.sort_by_key(|b| b.from_qf);
    sorted
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let range = match sorted.get(i + 1) {
                Some(next) => format!("QF {} à {}", b.from_qf, next.from_qf.saturating_sub(1)),
                None => format!("QF {} et plus, ou inconnu", b.from_qf),
            };
            (format!("{what}, {range}"), format::euros(b.cents))
        })
        .collect()
}

/// A surcharge in words.
pub fn surcharge(s: &Surcharge) -> String {
    match s {
        Surcharge::None => "prix habituel".into(),
        Surcharge::Extra { cents } => format!("prix habituel + {}", format::euros(*cents)),
        Surcharge::FixedPrice { cents } => {
            format!("{} au lieu du prix habituel", format::euros(*cents))
        }
    }
}

/// "1ᵉʳ", "2ᵉ"… for the rank at `index` (from 0).
fn rank(index: usize) -> String {
    if index == 0 {
        "1ᵉʳ".into()
    } else {
        format!("{}ᵉ", index + 1)
    }
}

/// Sibling discounts in words.
pub fn sibling(s: &SiblingDiscount) -> String {
    match s {
        SiblingDiscount::None => "aucune".into(),
        SiblingDiscount::PercentOff { by_rank } => by_rank
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if *p == 0 {
                    format!("{} enfant : plein tarif", rank(i))
                } else {
                    format!("{} enfant : −{p} %", rank(i))
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        SiblingDiscount::PricePerRank { cents } => cents
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} enfant : {}", rank(i), format::euros(*c)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A tariff, line by line: (what, how much).
pub fn tariff_lines(t: &Tariff) -> Vec<(String, String)> {
    let mut out = price_lines("Journée", &t.price);
    out.extend([
        ("Réduction fratrie".to_string(), sibling(&t.sibling)),
        (
            "Présence sans réservation".to_string(),
            surcharge(&t.unbooked_presence),
        ),
        (
            "Annulation hors délai".to_string(),
            surcharge(&t.late_cancellation),
        ),
    ]);
    if let Some(c) = t.pai_meal_cents {
        out.push(("Enfant avec PAI (panier repas)".into(), format::euros(c)));
    }
    for p in &t.packages {
        let span = match &p.span {
            PackageSpan::Week => "la semaine".to_string(),
            PackageSpan::Period { from, to } => {
                format!("du {} au {}", format::iso_date(from), format::iso_date(to))
            }
        };
        out.extend(price_lines(
            &format!("Forfait « {} » ({span})", p.label),
            &p.price,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::tariffs::QfBand;

    #[test]
    fn rules_and_tariffs_read_in_french() {
        let r = DeadlineRule::DaysBefore {
            days: 2,
            at: "12:00".into(),
            skip_weekends: true,
            skip_public_holidays: true,
            skip_weekdays: vec![],
        };
        assert_eq!(rule(&r), "2 jours ouvrés avant, à 12 h 00");
        let r = DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 4,
            at: "08:30".into(),
            weeks_before: 1,
        };
        assert_eq!(rule(&r), "le jeudi de la semaine précédente, à 8 h 30");
        assert_eq!(weekdays(&[5, 1, 2, 4]), "lundi, mardi, jeudi, vendredi");
        let bands = PriceRule::QfBands {
            bands: vec![
                QfBand {
                    from_qf: 700,
                    cents: 450,
                },
                QfBand {
                    from_qf: 0,
                    cents: 120,
                },
            ],
        };
        assert_eq!(
            price(&bands),
            "selon le quotient familial (QF 0 à 699 : 1,20\u{a0}€ ; QF 700 et plus : 4,50\u{a0}€)"
        );
        assert_eq!(
            sibling(&SiblingDiscount::PercentOff {
                by_rank: vec![0, 10, 50]
            }),
            "1ᵉʳ enfant : plein tarif, 2ᵉ enfant : −10 %, 3ᵉ enfant : −50 %"
        );
    }
}
