//! Prices of days: the quotient familial in force for a month, a child's rank among
//! siblings, and the unit price a tariff gives them. The phone shows these before a booking
//! is made; the monthly run bills with the very same functions.

use crate::money::{Rounding, format_eur};
use crate::tariffs::{PriceRule, SiblingDiscount, Surcharge, Tariff};
use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A calendar month, the unit of invoicing ("2026-11").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BillingMonth {
    year: i16,
    month: i8,
}

/// A month that is not written "YYYY-MM".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mois invalide « {0} » (attendu AAAA-MM, par exemple 2026-11)")]
pub struct BadMonth(pub String);

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

impl BillingMonth {
    pub fn new(year: i16, month: i8) -> Option<Self> {
        ((1..=12).contains(&month) && (1900..=9998).contains(&year))
            .then_some(BillingMonth { year, month })
    }
    /// The month `date` falls in.
    pub fn of(date: Date) -> Self {
        BillingMonth {
            year: date.year(),
            month: date.month(),
        }
    }
    pub fn year(self) -> i16 {
        self.year
    }
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).unwrap_or(Date::MIN)
    }
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }
    pub fn contains(self, date: Date) -> bool {
        Self::of(date) == self
    }
    pub fn next(self) -> Self {
        if self.month == 12 {
            BillingMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            BillingMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    pub fn previous(self) -> Self {
        if self.month == 1 {
            BillingMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            BillingMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
    /// "novembre 2026".
    pub fn label_fr(self) -> String {
        let name = MONTHS_FR
            .get(usize::try_from(self.month - 1).unwrap_or(0))
            .copied()
            .unwrap_or("");
        format!("{name} {}", self.year)
    }
}

impl fmt::Display for BillingMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for BillingMonth {
    type Err = BadMonth;
    fn from_str(s: &str) -> Result<Self, BadMonth> {
        let bad = || BadMonth(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        BillingMonth::new(year, month).ok_or_else(bad)
    }
}

impl TryFrom<String> for BillingMonth {
    type Error = BadMonth;
    fn try_from(s: String) -> Result<Self, BadMonth> {
        s.parse()
    }
}

impl From<BillingMonth> for String {
    fn from(m: BillingMonth) -> String {
        m.to_string()
    }
}

/// The quotient familial in force from a month on (server-written, in the family's ledger).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct QuotientPeriod {
    /// "YYYY-MM": the first month this QF applies to.
    pub from_month: String,
    /// `None`: no QF known from then on (the highest price applies).
    pub qf: Option<u32>,
}

/// The first month a QF recorded on `day` applies to: the next month, never backdated.
pub fn qf_applies_from(day: Date) -> BillingMonth {
    BillingMonth::of(day).next()
}

/// The QF in force for `month`: the latest period starting on or before it. The reference
/// date is the month's first day.
pub fn qf_for_month(history: &[QuotientPeriod], month: BillingMonth) -> Option<u32> {
    history
        .iter()
        .filter_map(|p| p.from_month.parse::<BillingMonth>().ok().map(|m| (m, p.qf)))
        .filter(|(m, _)| *m <= month)
        .max_by_key(|(m, _)| *m)
        .and_then(|(_, qf)| qf)
}

/// The rank of `child_id` among `children` (id, birth date) using an activity: 1 for the
/// eldest; unknown birth dates come last, ties by id. `None` when the child is not listed.
pub fn sibling_rank(children: &[(String, Option<Date>)], child_id: &str) -> Option<u32> {
    let mut ordered: Vec<&(String, Option<Date>)> = children.iter().collect();
    ordered.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.0.cmp(&b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    });
    ordered.dedup_by(|a, b| a.0 == b.0);
    ordered
        .iter()
        .position(|(id, _)| id == child_id)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Who a day is priced for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceFor {
    /// The family's QF for the month, if known.
    pub qf: Option<u32>,
    /// 1 for the eldest child using the activity.
    pub rank: u32,
    /// The child has a PAI and brings its own meal.
    pub pai: bool,
}

/// A unit price and why, in French ("QF 600 à 999", "3e enfant −50 %").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPrice {
    pub cents: i64,
    pub basis_fr: String,
}

/// The price of `rule` for a QF, before sibling discounts, with its basis.
pub fn base_price(rule: &PriceRule, qf: Option<u32>, rounding: Rounding) -> UnitPrice {
    match rule {
        PriceRule::Flat { cents } => UnitPrice {
            cents: *cents,
            basis_fr: "tarif unique".into(),
        },
        PriceRule::QfBands { bands } => {
            let mut sorted: Vec<_> = bands.iter().collect();
            sorted.sort_by_key(|b| b.from_qf);
            let index = match qf {
                Some(q) => sorted.iter().rposition(|b| b.from_qf <= q),
                None => sorted.len().checked_sub(1),
            };
            let Some(i) = index else {
                return UnitPrice {
                    cents: 0,
                    basis_fr: "aucune tranche de QF configurée".into(),
                };
            };
            let from = sorted[i].from_qf;
            let range = match sorted.get(i + 1) {
                Some(next) => format!("QF {from} à {}", next.from_qf.saturating_sub(1)),
                None => format!("QF {from} et plus"),
            };
            let basis_fr = match qf {
                Some(_) => range,
                None => format!("QF non communiqué : {range}"),
            };
            UnitPrice {
                cents: sorted[i].cents,
                basis_fr,
            }
        }
        PriceRule::QfPercentage {
            rate_millipercent,
            floor_cents,
            ceiling_cents,
        } => {
            let rate = format_rate(*rate_millipercent);
            let Some(q) = qf else {
                return UnitPrice {
                    cents: *ceiling_cents,
                    basis_fr: "QF non communiqué : tarif plafond".into(),
                };
            };
            let raw = rounding.divide(i128::from(q) * i128::from(*rate_millipercent), 1000);
            let cents = raw.clamp(*floor_cents, (*ceiling_cents).max(*floor_cents));
            let basis_fr = if cents == *floor_cents && raw < *floor_cents {
                format!("QF {q} : tarif plancher")
            } else if cents == *ceiling_cents && raw > *ceiling_cents {
                format!("QF {q} : tarif plafond")
            } else {
                format!("QF {q} × {rate}")
            };
            UnitPrice { cents, basis_fr }
        }
    }
}

/// "0,36 %" for 360 thousandths of a per cent.
fn format_rate(millipercent: u32) -> String {
    let (whole, fraction) = (millipercent / 1000, millipercent % 1000);
    if fraction == 0 {
        return format!("{whole} %");
    }
    let fraction = format!("{fraction:03}");
    format!("{whole},{} %", fraction.trim_end_matches('0'))
}

fn rank_fr(rank: u32) -> String {
    if rank == 1 {
        "1er enfant".into()
    } else {
        format!("{rank}e enfant")
    }
}

/// The price of a day of `tariff` for a child: PAI meal fee, else the QF price with the
/// sibling discount of the child's rank.
pub fn day_price(tariff: &Tariff, who: PriceFor) -> UnitPrice {
    if who.pai
        && let Some(cents) = tariff.pai_meal_cents
    {
        return UnitPrice {
            cents,
            basis_fr: "panier repas (PAI)".into(),
        };
    }
    let base = base_price(&tariff.price, who.qf, tariff.rounding);
    with_sibling(tariff, base, who.rank, true)
}

/// The price of a package for a child (the sibling per-cent discount applies; a price per
/// rank does not, it prices days).
pub fn package_price(tariff: &Tariff, rule: &PriceRule, who: PriceFor) -> UnitPrice {
    let base = base_price(rule, who.qf, tariff.rounding);
    with_sibling(tariff, base, who.rank, false)
}

fn with_sibling(tariff: &Tariff, base: UnitPrice, rank: u32, per_day: bool) -> UnitPrice {
    let index = usize::try_from(rank.max(1) - 1).unwrap_or(0);
    match &tariff.sibling {
        SiblingDiscount::PercentOff { by_rank } => {
            let percent = by_rank.get(index).or(by_rank.last()).copied().unwrap_or(0);
            if percent == 0 {
                return base;
            }
            UnitPrice {
                cents: tariff.rounding.percent_off(base.cents, percent),
                basis_fr: format!("{}, {} −{percent} %", base.basis_fr, rank_fr(rank)),
            }
        }
        SiblingDiscount::PricePerRank { cents } if per_day => {
            match cents.get(index).or(cents.last()) {
                Some(c) => UnitPrice {
                    cents: *c,
                    basis_fr: format!("tarif {}", rank_fr(rank)),
                },
                None => base,
            }
        }
        _ => base,
    }
}

/// The unit price of a day billed with `surcharge` on top of its usual price.
pub fn with_surcharge(usual: &UnitPrice, surcharge: &Surcharge, what_fr: &str) -> UnitPrice {
    match surcharge {
        Surcharge::None => usual.clone(),
        Surcharge::Extra { cents } => UnitPrice {
            cents: usual.cents.saturating_add(*cents),
            basis_fr: format!(
                "{} + majoration {what_fr} {}",
                usual.basis_fr,
                format_eur(*cents)
            ),
        },
        Surcharge::FixedPrice { cents } => UnitPrice {
            cents: *cents,
            basis_fr: format!("tarif {what_fr}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariffs::QfBand;
    use jiff::civil::date;

    /// DOMAIN.md: "QF 0–599: €1.00; 600–999: €3.05; 1000–1499: €3.10; 1500+: €3.15".
    fn bands() -> PriceRule {
        PriceRule::QfBands {
            bands: [(0, 100), (600, 305), (1000, 310), (1500, 315)]
                .into_iter()
                .map(|(from_qf, cents)| QfBand { from_qf, cents })
                .collect(),
        }
    }

    /// DOMAIN.md: "0.36 % of QF, at least €2.60, at most €4.50".
    fn percentage() -> PriceRule {
        PriceRule::QfPercentage {
            rate_millipercent: 360,
            floor_cents: 260,
            ceiling_cents: 450,
        }
    }

    fn tariff(price: PriceRule) -> Tariff {
        Tariff {
            price,
            ..Default::default()
        }
    }

    fn who(qf: Option<u32>, rank: u32) -> PriceFor {
        PriceFor {
            qf,
            rank,
            pai: false,
        }
    }

    fn cents(t: &Tariff, qf: Option<u32>, rank: u32) -> i64 {
        day_price(t, who(qf, rank)).cents
    }

    #[test]
    fn qf_bands_price_every_band_to_the_cent() {
        let t = tariff(bands());
        assert_eq!(cents(&t, Some(0), 1), 100);
        assert_eq!(cents(&t, Some(599), 1), 100);
        assert_eq!(cents(&t, Some(600), 1), 305);
        assert_eq!(cents(&t, Some(999), 1), 305);
        assert_eq!(cents(&t, Some(1000), 1), 310);
        assert_eq!(cents(&t, Some(1499), 1), 310);
        assert_eq!(cents(&t, Some(1500), 1), 315);
        assert_eq!(cents(&t, Some(4200), 1), 315);
        // Without a QF, the highest band.
        assert_eq!(cents(&t, None, 1), 315);
        assert_eq!(day_price(&t, who(Some(700), 1)).basis_fr, "QF 600 à 999");
        assert_eq!(
            day_price(&t, who(None, 1)).basis_fr,
            "QF non communiqué : QF 1500 et plus"
        );
    }

    #[test]
    fn a_percentage_of_qf_stays_between_floor_and_ceiling() {
        let t = tariff(percentage());
        assert_eq!(cents(&t, Some(500), 1), 260); // 1.80 → floor
        assert_eq!(cents(&t, Some(1000), 1), 360);
        assert_eq!(cents(&t, Some(1125), 1), 405);
        assert_eq!(cents(&t, Some(1250), 1), 450);
        assert_eq!(cents(&t, Some(1388), 1), 450); // 4.9968 → ceiling
        assert_eq!(cents(&t, None, 1), 450);
        // 833 × 0.36 % = 2.9988 €: rounding is explicit.
        assert_eq!(cents(&t, Some(833), 1), 300);
        let down = Tariff {
            rounding: Rounding::Down,
            ..t.clone()
        };
        assert_eq!(cents(&down, Some(833), 1), 299);
        assert_eq!(
            day_price(&t, who(Some(1000), 1)).basis_fr,
            "QF 1000 × 0,36 %"
        );
        assert_eq!(
            day_price(&t, who(Some(500), 1)).basis_fr,
            "QF 500 : tarif plancher"
        );
    }

    #[test]
    fn siblings_pay_by_rank() {
        // DOMAIN.md: "€4.90 / €4.70 / €4.40".
        let per_rank = Tariff {
            sibling: SiblingDiscount::PricePerRank {
                cents: vec![490, 470, 440],
            },
            ..tariff(PriceRule::Flat { cents: 490 })
        };
        assert_eq!(cents(&per_rank, None, 1), 490);
        assert_eq!(cents(&per_rank, None, 2), 470);
        assert_eq!(cents(&per_rank, None, 3), 440);
        assert_eq!(cents(&per_rank, None, 4), 440);
        // DOMAIN.md: "the third child at half price", on QF bands: 3.15 € / 2 = 1.575 €.
        let half = Tariff {
            sibling: SiblingDiscount::PercentOff {
                by_rank: vec![0, 0, 50],
            },
            ..tariff(bands())
        };
        assert_eq!(cents(&half, Some(1600), 1), 315);
        assert_eq!(cents(&half, Some(1600), 2), 315);
        assert_eq!(cents(&half, Some(1600), 3), 158);
        assert_eq!(cents(&half, Some(1600), 5), 158);
        let half_down = Tariff {
            rounding: Rounding::Down,
            ..half.clone()
        };
        assert_eq!(cents(&half_down, Some(1600), 3), 157);
        assert_eq!(
            day_price(&half, who(Some(1600), 3)).basis_fr,
            "QF 1500 et plus, 3e enfant −50 %"
        );
    }

    #[test]
    fn a_child_with_a_pai_bringing_its_meal_pays_the_pai_fee() {
        let t = Tariff {
            pai_meal_cents: Some(64),
            sibling: SiblingDiscount::PercentOff { by_rank: vec![50] },
            ..tariff(bands())
        };
        let pai = PriceFor {
            qf: Some(700),
            rank: 2,
            pai: true,
        };
        assert_eq!(day_price(&t, pai).cents, 64);
        assert_eq!(day_price(&t, pai).basis_fr, "panier repas (PAI)");
        // Without a PAI fee configured, a PAI child pays the usual price.
        assert_eq!(day_price(&tariff(bands()), pai).cents, 305);
    }

    #[test]
    fn surcharges_add_to_or_replace_the_price() {
        let usual = day_price(&tariff(bands()), who(Some(700), 1));
        let meal = with_surcharge(
            &usual,
            &Surcharge::FixedPrice { cents: 1300 },
            "sans réservation",
        );
        assert_eq!(meal.cents, 1300);
        let extra = with_surcharge(&usual, &Surcharge::Extra { cents: 375 }, "sans réservation");
        assert_eq!(extra.cents, 680);
        assert_eq!(
            extra.basis_fr,
            "QF 600 à 999 + majoration sans réservation 3,75\u{a0}€"
        );
        assert_eq!(with_surcharge(&usual, &Surcharge::None, "x"), usual);
    }

    #[test]
    fn the_qf_in_force_is_the_one_of_the_months_first_day() {
        // Recorded on 14 November 2026: applies from December, never to November.
        assert_eq!(qf_applies_from(date(2026, 11, 14)).to_string(), "2026-12");
        assert_eq!(qf_applies_from(date(2026, 12, 31)).to_string(), "2027-01");
        let history = vec![
            QuotientPeriod {
                from_month: "2026-09".into(),
                qf: Some(550),
            },
            QuotientPeriod {
                from_month: "2026-12".into(),
                qf: Some(1200),
            },
        ];
        let m = |s: &str| s.parse::<BillingMonth>().expect("month");
        assert_eq!(qf_for_month(&history, m("2026-08")), None);
        assert_eq!(qf_for_month(&history, m("2026-11")), Some(550));
        assert_eq!(qf_for_month(&history, m("2026-12")), Some(1200));
        assert_eq!(qf_for_month(&history, m("2027-03")), Some(1200));
    }

    #[test]
    fn months_parse_and_step() {
        let m: BillingMonth = "2026-12".parse().expect("month");
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(m.previous().to_string(), "2026-11");
        assert_eq!(m.last_day(), date(2026, 12, 31));
        assert_eq!(m.label_fr(), "décembre 2026");
        assert!("2026-13".parse::<BillingMonth>().is_err());
        assert!("2026-1".parse::<BillingMonth>().is_err());
        assert!(m.contains(date(2026, 12, 5)));
    }

    #[test]
    fn the_eldest_child_is_rank_one() {
        let kids = vec![
            ("hugo".to_string(), Some(date(2019, 10, 2))),
            ("lea".to_string(), Some(date(2017, 3, 14))),
            ("zoe".to_string(), None),
        ];
        assert_eq!(sibling_rank(&kids, "lea"), Some(1));
        assert_eq!(sibling_rank(&kids, "hugo"), Some(2));
        assert_eq!(sibling_rank(&kids, "zoe"), Some(3));
        assert_eq!(sibling_rank(&kids, "nobody"), None);
    }
}
