//! Tariffs and billing settings, as data in the catalogue (so the phone prices a booking
//! offline exactly as the monthly run will).
//!
//! An activity's [`Tariff`] gives the price of one day (or of a package of days) from the
//! family's quotient familial and the child's rank among siblings; surcharges apply to a
//! presence without booking and to a cancellation after the deadline. The structure's
//! [`Billing`] settings say who issues invoices, how they are paid and what is added or
//! blocked. Amounts are integer cents; see [`crate::money`] for rounding.

use crate::money::Rounding;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// How one activity is priced. An activity without a tariff is not billed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Tariff {
    /// Price of one day.
    pub price: PriceRule,
    /// Discount by the child's rank among the family's children using the activity.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub sibling: SiblingDiscount,
    /// A child with a PAI bringing its own meal pays this instead (e.g. 64 for €0.64).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub pai_meal_cents: Option<i64>,
    /// A presence without a booking (e.g. a €13 meal, or €3.75 on top of the price).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub unbooked_presence: Surcharge,
    /// A cancellation after the deadline (the day is kept and billed).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub late_cancellation: Surcharge,
    /// Week or period packages (holiday centres): every service day of the span booked is
    /// billed at the package price instead of day by day.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub packages: Vec<Package>,
    /// How fractions of a cent are rounded (percentages of QF, sibling discounts).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub rounding: Rounding,
}

/// The price of a day (or a package) before sibling discounts.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceRule {
    /// The same price for everyone.
    Flat { cents: i64 },
    /// Bands by quotient familial: the band with the highest `from_qf` not above the family's
    /// QF applies; without a known QF, the highest band.
    QfBands { bands: Vec<QfBand> },
    /// A percentage of the QF, between a floor and a ceiling; without a known QF, the
    /// ceiling. `rate_millipercent` is in thousandths of a per cent: 0.36 % is 360.
    QfPercentage {
        rate_millipercent: u32,
        floor_cents: i64,
        ceiling_cents: i64,
    },
}

impl Default for PriceRule {
    fn default() -> Self {
        PriceRule::Flat { cents: 0 }
    }
}

/// One band of a [`PriceRule::QfBands`] tariff: from this QF (inclusive) up to the next band.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct QfBand {
    pub from_qf: u32,
    pub cents: i64,
}

/// Sibling discounts by rank (1 = the eldest child using the activity that month).
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SiblingDiscount {
    #[default]
    None,
    /// Per cent off the price by rank, e.g. `[0, 0, 50]`: the third child at half price.
    /// Ranks past the list take its last value.
    PercentOff { by_rank: Vec<u32> },
    /// A price per rank replacing the day price, e.g. `[490, 470, 440]`.
    PricePerRank { cents: Vec<i64> },
}

/// A surcharge on a day billed in particular circumstances.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Surcharge {
    /// The day's usual price.
    #[default]
    None,
    /// The usual price plus this amount (e.g. 375 for €3.75 extra).
    Extra { cents: i64 },
    /// This price instead of the usual one (e.g. 1300 for a €13 meal).
    FixedPrice { cents: i64 },
}

/// A package: every service day of the span booked is billed as one line at `price`.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Package {
    /// Shown on the invoice, e.g. "Forfait semaine".
    pub label: String,
    pub span: PackageSpan,
    pub price: PriceRule,
}

/// The days a package covers.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PackageSpan {
    /// A week, Monday to Sunday. A week is billed with the month its Sunday falls in.
    Week,
    /// A period, ISO dates inclusive (e.g. the Christmas holidays), billed with the month of
    /// its last day.
    Period { from: String, to: String },
}

/// The structure's billing settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Billing {
    /// Post-paid monthly invoices, or a prepaid balance with monthly statements.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub mode: BillingMode,
    /// Who issues the invoices (printed on every invoice).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub issuer: Issuer,
    /// Days between issue and due date (15 when 0).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub payment_days: u32,
    /// A fee per family and school year for a first booking after a date.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub late_registration: Option<LateRegistration>,
    /// New bookings are refused while an invoice is overdue by more than this many days.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub block_bookings_when_overdue: Option<OverdueBlocking>,
}

impl Billing {
    /// Days between issue and due date.
    pub fn payment_days(&self) -> u32 {
        if self.payment_days == 0 {
            15
        } else {
            self.payment_days
        }
    }
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    /// One invoice per family and month, paid after the fact.
    #[default]
    Postpaid,
    /// Families pay in advance; each month's consumption is debited and a statement issued.
    Prepaid,
}

/// The issuer's identity and the legal mentions of a French public body's invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Issuer {
    /// e.g. "Mairie de Saint-Aubin-sur-Loire — Régie périscolaire".
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub legal_name: String,
    /// 14 digits.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub siret: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub address: String,
    /// How to pay: "Par carte sur le portail, par chèque à l'ordre du Trésor public…".
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub payment_instructions: String,
    /// "Voies et délais de recours" (a default text is printed when empty).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub appeal_mentions: String,
}

/// The late registration fee (e.g. €25 per family).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct LateRegistration {
    /// ISO date: a family whose first booking of the school year was decided after this day
    /// pays the fee once per school year, on its next invoice.
    pub after: String,
    pub cents: i64,
}

/// The optional rule that blocks new bookings while an invoice is unpaid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct OverdueBlocking {
    /// Days after the due date before bookings are refused.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub grace_days: u32,
}

/// The appeal mentions printed when the structure wrote none.
pub const DEFAULT_APPEAL_MENTIONS: &str = "Voies et délais de recours : dans un délai de deux mois \
suivant la réception de cette facture, vous pouvez contester la somme due en saisissant le \
tribunal compétent (article L. 1617-5 du code général des collectivités territoriales). Une \
réclamation préalable auprès de la structure est possible dans le même délai.";

/// Problems in a tariff, in French (an empty list means it can be used).
pub fn tariff_problems(t: &Tariff) -> Vec<String> {
    let mut out = Vec::new();
    price_problems(&t.price, "prix", &mut out);
    match &t.sibling {
        SiblingDiscount::None => {}
        SiblingDiscount::PercentOff { by_rank } => {
            if by_rank.is_empty() {
                out.push("réduction fratrie : au moins un rang".into());
            }
            if by_rank.iter().any(|p| *p > 100) {
                out.push("réduction fratrie : pourcentage entre 0 et 100".into());
            }
        }
        SiblingDiscount::PricePerRank { cents } => {
            if cents.is_empty() {
                out.push("prix par rang : au moins un rang".into());
            }
            if cents.iter().any(|c| *c < 0) {
                out.push("prix par rang : montant négatif".into());
            }
        }
    }
    if t.pai_meal_cents.is_some_and(|c| c < 0) {
        out.push("tarif PAI : montant négatif".into());
    }
    for (what, s) in [
        ("présence sans réservation", &t.unbooked_presence),
        ("annulation hors délai", &t.late_cancellation),
    ] {
        if let Surcharge::Extra { cents } | Surcharge::FixedPrice { cents } = s
            && *cents < 0
        {
            out.push(format!("{what} : montant négatif"));
        }
    }
    for (i, p) in t.packages.iter().enumerate() {
        let name = format!("forfait n°{}", i + 1);
        if p.label.trim().is_empty() {
            out.push(format!("{name} : libellé vide"));
        }
        price_problems(&p.price, &name, &mut out);
        if let PackageSpan::Period { from, to } = &p.span {
            match (
                crate::calendar::parse_date(from),
                crate::calendar::parse_date(to),
            ) {
                (Ok(f), Ok(t)) if t < f => out.push(format!("{name} : la fin précède le début")),
                (Ok(_), Ok(_)) => {}
                (Err(e), _) | (_, Err(e)) => out.push(format!("{name} : {e}")),
            }
        }
    }
    out
}

fn price_problems(rule: &PriceRule, what: &str, out: &mut Vec<String>) {
    match rule {
        PriceRule::Flat { cents } if *cents < 0 => out.push(format!("{what} : montant négatif")),
        PriceRule::Flat { .. } => {}
        PriceRule::QfBands { bands } => {
            if bands.is_empty() {
                out.push(format!("{what} : au moins une tranche de QF"));
            }
            if bands.iter().any(|b| b.cents < 0) {
                out.push(format!("{what} : montant négatif"));
            }
            if !bands.iter().any(|b| b.from_qf == 0) {
                out.push(format!(
                    "{what} : la première tranche doit commencer à QF 0"
                ));
            }
            let mut starts: Vec<u32> = bands.iter().map(|b| b.from_qf).collect();
            starts.sort_unstable();
            if starts.windows(2).any(|w| w[0] == w[1]) {
                out.push(format!("{what} : deux tranches commencent au même QF"));
            }
        }
        PriceRule::QfPercentage {
            rate_millipercent,
            floor_cents,
            ceiling_cents,
        } => {
            if *rate_millipercent == 0 {
                out.push(format!("{what} : taux nul"));
            }
            if *floor_cents < 0 || ceiling_cents < floor_cents {
                out.push(format!("{what} : plancher et plafond incohérents"));
            }
        }
    }
}

/// Problems in the billing settings, in French.
pub fn billing_problems(b: &Billing) -> Vec<String> {
    let mut out = Vec::new();
    let siret = b.issuer.siret.replace(' ', "");
    if !siret.is_empty() && (siret.len() != 14 || !siret.bytes().all(|c| c.is_ascii_digit())) {
        out.push("SIRET : 14 chiffres attendus".into());
    }
    if b.payment_days > 90 {
        out.push("délai de paiement : au plus 90 jours".into());
    }
    if let Some(l) = &b.late_registration {
        if let Err(e) = crate::calendar::parse_date(&l.after) {
            out.push(format!("inscription tardive : {e}"));
        }
        if l.cents < 0 {
            out.push("inscription tardive : montant négatif".into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_tariff() -> Tariff {
        Tariff {
            price: PriceRule::QfBands {
                bands: vec![
                    QfBand {
                        from_qf: 0,
                        cents: 100,
                    },
                    QfBand {
                        from_qf: 600,
                        cents: 305,
                    },
                ],
            },
            sibling: SiblingDiscount::PercentOff {
                by_rank: vec![0, 0, 50],
            },
            pai_meal_cents: Some(64),
            unbooked_presence: Surcharge::FixedPrice { cents: 1300 },
            late_cancellation: Surcharge::Extra { cents: 375 },
            packages: vec![Package {
                label: "Forfait semaine".into(),
                span: PackageSpan::Week,
                price: PriceRule::QfPercentage {
                    rate_millipercent: 360,
                    floor_cents: 260,
                    ceiling_cents: 450,
                },
            }],
            rounding: Rounding::Down,
        }
    }

    #[test]
    fn a_tariff_round_trips_through_a_document_and_json() {
        let t = full_tariff();
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &Holder { t: Some(t.clone()) }).expect("reconcile");
        let back: Holder = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(back.t, Some(t.clone()));
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(json["price"]["kind"], "qf_bands");
        assert_eq!(json["sibling"]["kind"], "percent_off");
        let back: Tariff = serde_json::from_value(json).expect("from json");
        assert_eq!(back, t);
        // The smallest tariff staff can send.
        let flat: Tariff =
            serde_json::from_str(r#"{"price": {"kind": "flat", "cents": 315}}"#).expect("flat");
        assert_eq!(flat.sibling, SiblingDiscount::None);
        assert!(tariff_problems(&flat).is_empty());
        assert!(tariff_problems(&t).is_empty(), "{:?}", tariff_problems(&t));
    }

    #[derive(Debug, Reconcile, Hydrate)]
    struct Holder {
        t: Option<Tariff>,
    }

    #[test]
    fn inconsistent_tariffs_are_explained() {
        let t = Tariff {
            price: PriceRule::QfBands {
                bands: vec![QfBand {
                    from_qf: 600,
                    cents: -1,
                }],
            },
            ..Default::default()
        };
        let p = tariff_problems(&t);
        assert!(p.iter().any(|m| m.contains("montant négatif")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("QF 0")), "{p:?}");
        let b = Billing {
            issuer: Issuer {
                siret: "123".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(billing_problems(&b), vec!["SIRET : 14 chiffres attendus"]);
        assert_eq!(Billing::default().payment_days(), 15);
    }
}
