//! One family's invoice for one month, computed from what happened: bookings and their
//! outcomes, absences and whether they are billed, attendance taken by staff, and the
//! catalogue's tariffs. Pure: the monthly run's preview and issue, the benchmark and the
//! tests call the same function.
//!
//! How a day of a child at an activity is billed (days the activity does not run are never
//! billed):
//!
//! | booking | what happened | line |
//! | --- | --- | --- |
//! | accepted | anything | "Jours réservés" at the day price |
//! | kept after a late cancellation | anything | "Annulations hors délai" (price + surcharge) |
//! | either | absence declared in time or with a medical note, or staff marked "absent justifié" | also "Absences non facturées" (refund, negative) |
//! | none, refused or cancelled | staff marked present | "Présences sans réservation" (surcharge) |
//!
//! A package (week or period) replaces the day lines when every service day of its span is
//! booked and none refunded. A week is billed with the month of its Sunday, a period with the
//! month of its last day, so a package is never split between two invoices.
//!
//! Refunds decided after an invoice was issued (a medical note given later) appear on the
//! next invoice as "Remboursement d'absence" ([`earlier_refunds`]).

use crate::calendar::{add_days, closure_on, format_date_fr, parse_date};
use crate::catalogue::{Activity, Catalogue};
use crate::pricing::{
    BillingMonth, PriceFor, UnitPrice, day_price, package_price, sibling_rank, with_surcharge,
};
use crate::tariffs::{Package, PackageSpan, Tariff};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Builds one invoice line: kind, unit price, sign (+1 billed, -1 refunded) and the days.
type MakeLine<'a> = dyn Fn(LineKind, &UnitPrice, i64, Vec<Date>) -> InvoiceLine + 'a;

/// A child as invoicing sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildInfo {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<Date>,
    /// Has a PAI (brings its own meal where the tariff has a PAI fee).
    pub pai: bool,
}

impl ChildInfo {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

/// The standing outcome of a booking that bills the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Booked {
    Accepted,
    /// Withdrawn after the cancellation deadline: kept and billed.
    KeptBillable,
}

/// Attendance taken by staff ("pointage").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Present,
    Absent,
    /// Absent with a justification staff accepted: not billed.
    AbsentJustified,
}

impl Attendance {
    pub fn code(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Absent => "absent",
            Attendance::AbsentJustified => "absent_justified",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "present" => Some(Attendance::Present),
            "absent" => Some(Attendance::Absent),
            "absent_justified" => Some(Attendance::AbsentJustified),
            _ => None,
        }
    }
    pub fn label_fr(self) -> &'static str {
        match self {
            Attendance::Present => "présent",
            Attendance::Absent => "absent",
            Attendance::AbsentJustified => "absent (justifié)",
        }
    }
}

/// What is known of one child × day × activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRecord {
    pub child_id: String,
    pub activity_id: String,
    pub date: Date,
    /// `None`: no booking standing (never booked, refused, cancelled in time).
    pub booking: Option<Booked>,
    /// The parent declared an absence that is not billed (in time, or with a medical note).
    pub absence_free: bool,
    pub attendance: Option<Attendance>,
}

impl DayRecord {
    fn refunded(&self) -> bool {
        self.booking.is_some()
            && (self.absence_free || self.attendance == Some(Attendance::AbsentJustified))
    }
}

/// A day billed on an earlier invoice that is no longer billable (refund on this invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierRefund {
    pub child_id: String,
    pub activity_id: String,
    pub date: Date,
    /// The unit price it was billed at.
    pub unit_cents: i64,
}

/// Everything needed to invoice one family for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyMonth {
    pub month: BillingMonth,
    /// QF in force on the month's reference date.
    pub qf: Option<u32>,
    pub children: Vec<ChildInfo>,
    /// Days in [`days_needed`]'s range.
    pub days: Vec<DayRecord>,
    pub earlier_refunds: Vec<EarlierRefund>,
    /// The late registration fee, when it is due on this invoice.
    pub late_registration_cents: Option<i64>,
}

/// What a line of an invoice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Booked,
    Package,
    LateCancellation,
    UnbookedPresence,
    AbsenceRefund,
    EarlierRefund,
    LateRegistration,
    /// A credit note's line.
    Credit,
}

impl LineKind {
    pub fn code(self) -> &'static str {
        match self {
            LineKind::Booked => "booked",
            LineKind::Package => "package",
            LineKind::LateCancellation => "late_cancellation",
            LineKind::UnbookedPresence => "unbooked_presence",
            LineKind::AbsenceRefund => "absence_refund",
            LineKind::EarlierRefund => "earlier_refund",
            LineKind::LateRegistration => "late_registration",
            LineKind::Credit => "credit",
        }
    }
    /// Default label on the invoice.
    pub fn label_fr(self) -> &'static str {
        match self {
            LineKind::Booked => "Jours réservés",
            LineKind::Package => "Forfait",
            LineKind::LateCancellation => "Annulations hors délai",
            LineKind::UnbookedPresence => "Présences sans réservation",
            LineKind::AbsenceRefund => "Absences non facturées",
            LineKind::EarlierRefund => "Remboursement d'absences (mois précédents)",
            LineKind::LateRegistration => "Frais d'inscription tardive",
            LineKind::Credit => "Avoir",
        }
    }
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub kind: LineKind,
    /// Empty for a line about the whole family.
    pub child_id: String,
    pub child_name: String,
    pub activity_id: String,
    pub activity_name: String,
    pub label: String,
    /// How the unit price was found ("QF 600 à 999, 2e enfant −50 %").
    pub basis: String,
    pub quantity: u32,
    /// Negative for refunds.
    pub unit_cents: i64,
    pub total_cents: i64,
    /// The days this line counts, in order.
    pub days: Vec<Date>,
}

/// A family's invoice before it is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    pub month: BillingMonth,
    pub lines: Vec<InvoiceLine>,
    pub total_cents: i64,
}

/// The days whose records invoicing `month` needs: from a week before the month (weeks
/// billed with the month of their Sunday) or the start of a package period ending in the
/// month, to the month's last day.
pub fn days_needed(catalogue: &Catalogue, month: BillingMonth) -> (Date, Date) {
    let mut from = add_days(month.first_day(), -6).unwrap_or(month.first_day());
    for p in catalogue
        .activities
        .values()
        .filter_map(|a| a.tariff.as_ref())
        .flat_map(|t| &t.packages)
    {
        if let PackageSpan::Period { from: f, to } = &p.span
            && let (Ok(f), Ok(t)) = (parse_date(f), parse_date(to))
            && month.contains(t)
            && f < from
        {
            from = f;
        }
    }
    (from, month.last_day())
}

fn sunday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_one_offset()) - 7;
    add_days(date, -back).unwrap_or(date)
}

/// The month whose invoice bills `date` of `activity`.
pub fn billed_in(activity: &Activity, date: Date) -> BillingMonth {
    let Some(tariff) = &activity.tariff else {
        return BillingMonth::of(date);
    };
    for p in &tariff.packages {
        if let PackageSpan::Period { from, to } = &p.span
            && let (Ok(f), Ok(t)) = (parse_date(from), parse_date(to))
            && f <= date
            && date <= t
        {
            return BillingMonth::of(t);
        }
    }
    if tariff
        .packages
        .iter()
        .any(|p| matches!(p.span, PackageSpan::Week))
    {
        return BillingMonth::of(sunday_of(date));
    }
    BillingMonth::of(date)
}

/// Computes the family's invoice for the month. An empty draft (no line) means nothing to
/// invoice.
pub fn compute(catalogue: &Catalogue, family: &FamilyMonth) -> InvoiceDraft {
    let children: BTreeMap<&str, &ChildInfo> =
        family.children.iter().map(|c| (c.id.as_str(), c)).collect();
    // Days of this invoice, by (activity, child), skipping days the activity does not run
    // and activities without a tariff.
    let mut groups: BTreeMap<(&str, &str), Vec<&DayRecord>> = BTreeMap::new();
    for d in &family.days {
        let Some(activity) = catalogue.activities.get(&d.activity_id) else {
            continue;
        };
        if activity.tariff.is_none()
            || billed_in(activity, d.date) != family.month
            || closure_on(catalogue, &d.activity_id, d.date).is_some()
            || !children.contains_key(d.child_id.as_str())
        {
            continue;
        }
        let billable = d.booking.is_some() || d.attendance == Some(Attendance::Present);
        if billable {
            groups
                .entry((d.activity_id.as_str(), d.child_id.as_str()))
                .or_default()
                .push(d);
        }
    }
    // Sibling ranks among the children billed for each activity this month.
    let mut users: BTreeMap<&str, Vec<(String, Option<Date>)>> = BTreeMap::new();
    for (activity_id, child_id) in groups.keys() {
        if let Some(c) = children.get(child_id) {
            users
                .entry(activity_id)
                .or_default()
                .push((c.id.clone(), c.birth_date));
        }
    }
    let mut lines = Vec::new();
    for ((activity_id, child_id), mut days) in groups {
        let (Some(activity), Some(child)) = (
            catalogue.activities.get(activity_id),
            children.get(child_id),
        ) else {
            continue;
        };
        let Some(tariff) = &activity.tariff else {
            continue;
        };
        days.sort_by_key(|d| d.date);
        let rank = users
            .get(activity_id)
            .and_then(|u| sibling_rank(u, child_id))
            .unwrap_or(1);
        let who = PriceFor {
            qf: family.qf,
            rank,
            pai: child.pai,
        };
        let line = |kind: LineKind, price: &UnitPrice, sign: i64, days: Vec<Date>| {
            let quantity = u32::try_from(days.len()).unwrap_or(u32::MAX);
            let unit = sign * price.cents;
            InvoiceLine {
                kind,
                child_id: child.id.clone(),
                child_name: child.name(),
                activity_id: activity_id.to_string(),
                activity_name: activity.name.clone(),
                label: kind.label_fr().to_string(),
                basis: price.basis_fr.clone(),
                quantity,
                unit_cents: unit,
                total_cents: unit.saturating_mul(i64::from(quantity)),
                days,
            }
        };
        let in_packages = package_lines(
            catalogue,
            activity_id,
            tariff,
            &days,
            who,
            &mut lines,
            &line,
        );
        let usual = day_price(tariff, who);
        let late = with_surcharge(&usual, &tariff.late_cancellation, "annulation hors délai");
        let unbooked = with_surcharge(&usual, &tariff.unbooked_presence, "sans réservation");
        let pick = |f: &dyn Fn(&DayRecord) -> bool| -> Vec<Date> {
            days.iter()
                .filter(|d| !in_packages.contains(&d.date) && f(d))
                .map(|d| d.date)
                .collect()
        };
        let booked = pick(&|d| d.booking == Some(Booked::Accepted));
        let kept = pick(&|d| d.booking == Some(Booked::KeptBillable));
        let present = pick(&|d| d.booking.is_none());
        let refund_booked = pick(&|d| d.booking == Some(Booked::Accepted) && d.refunded());
        let refund_kept = pick(&|d| d.booking == Some(Booked::KeptBillable) && d.refunded());
        for (kind, price, sign, ds) in [
            (LineKind::Booked, &usual, 1, booked),
            (LineKind::LateCancellation, &late, 1, kept),
            (LineKind::UnbookedPresence, &unbooked, 1, present),
            (LineKind::AbsenceRefund, &usual, -1, refund_booked),
            (LineKind::AbsenceRefund, &late, -1, refund_kept),
        ] {
            if !ds.is_empty() {
                lines.push(line(kind, price, sign, ds));
            }
        }
    }
    lines.extend(earlier_refund_lines(
        catalogue,
        &children,
        &family.earlier_refunds,
    ));
    if let Some(cents) = family.late_registration_cents {
        lines.push(InvoiceLine {
            kind: LineKind::LateRegistration,
            child_id: String::new(),
            child_name: String::new(),
            activity_id: String::new(),
            activity_name: String::new(),
            label: LineKind::LateRegistration.label_fr().to_string(),
            basis: "une fois par famille et par année scolaire".into(),
            quantity: 1,
            unit_cents: cents,
            total_cents: cents,
            days: Vec::new(),
        });
    }
    lines.sort_by(|a, b| {
        (
            a.child_id.is_empty(),
            &a.child_name,
            &a.activity_name,
            a.kind,
        )
            .cmp(&(
                b.child_id.is_empty(),
                &b.child_name,
                &b.activity_name,
                b.kind,
            ))
    });
    let total_cents = lines.iter().map(|l| l.total_cents).sum();
    InvoiceDraft {
        month: family.month,
        lines,
        total_cents,
    }
}

/// Adds a line per complete package span; returns the days they cover.
fn package_lines(
    catalogue: &Catalogue,
    activity_id: &str,
    tariff: &Tariff,
    days: &[&DayRecord],
    who: PriceFor,
    lines: &mut Vec<InvoiceLine>,
    line: &MakeLine<'_>,
) -> BTreeSet<Date> {
    let mut covered = BTreeSet::new();
    if tariff.packages.is_empty() {
        return covered;
    }
    let booked: BTreeMap<Date, &DayRecord> = days
        .iter()
        .filter(|d| d.booking.is_some())
        .map(|d| (d.date, *d))
        .collect();
    // Periods first (they are the larger spans), then weeks.
    let mut ordered: Vec<&Package> = tariff.packages.iter().collect();
    ordered.sort_by_key(|p| matches!(p.span, PackageSpan::Week));
    for package in ordered {
        let spans: Vec<(Date, Date)> = match &package.span {
            PackageSpan::Period { from, to } => match (parse_date(from), parse_date(to)) {
                (Ok(f), Ok(t)) => vec![(f, t)],
                _ => continue,
            },
            PackageSpan::Week => {
                let mondays: BTreeSet<Date> = booked
                    .keys()
                    .map(|d| add_days(sunday_of(*d), -6).unwrap_or(*d))
                    .collect();
                mondays
                    .into_iter()
                    .map(|m| (m, add_days(m, 6).unwrap_or(m)))
                    .collect()
            }
        };
        for (from, to) in spans {
            let service: Vec<Date> = from
                .series(jiff::Span::new().days(1))
                .take_while(|d| *d <= to)
                .filter(|d| closure_on(catalogue, activity_id, *d).is_none())
                .collect();
            let complete = !service.is_empty()
                && service
                    .iter()
                    .all(|d| !covered.contains(d) && booked.get(d).is_some_and(|r| !r.refunded()));
            if !complete {
                continue;
            }
            let price = package_price(tariff, &package.price, who);
            let mut l = line(LineKind::Package, &price, 1, service.clone());
            l.quantity = 1;
            l.total_cents = price.cents;
            l.label = package.label.clone();
            lines.push(l);
            covered.extend(service);
        }
    }
    covered
}

fn earlier_refund_lines(
    catalogue: &Catalogue,
    children: &BTreeMap<&str, &ChildInfo>,
    refunds: &[EarlierRefund],
) -> Vec<InvoiceLine> {
    let mut grouped: BTreeMap<(&str, &str, i64), Vec<Date>> = BTreeMap::new();
    for r in refunds {
        grouped
            .entry((r.child_id.as_str(), r.activity_id.as_str(), r.unit_cents))
            .or_default()
            .push(r.date);
    }
    grouped
        .into_iter()
        .map(|((child_id, activity_id, unit), mut days)| {
            days.sort();
            days.dedup();
            let quantity = u32::try_from(days.len()).unwrap_or(u32::MAX);
            let listed: Vec<String> = days.iter().map(|d| format_date_fr(*d)).collect();
            InvoiceLine {
                kind: LineKind::EarlierRefund,
                child_id: child_id.to_string(),
                child_name: children.get(child_id).map(|c| c.name()).unwrap_or_default(),
                activity_id: activity_id.to_string(),
                activity_name: catalogue
                    .activities
                    .get(activity_id)
                    .map(|a| a.name.clone())
                    .unwrap_or_else(|| activity_id.to_string()),
                label: LineKind::EarlierRefund.label_fr().to_string(),
                basis: listed.join(", "),
                quantity,
                unit_cents: -unit,
                total_cents: (-unit).saturating_mul(i64::from(quantity)),
                days,
            }
        })
        .collect()
}

/// Days billed on earlier invoices (`previous`: their lines) that are now free
/// (`now_free`: child, activity, day) and were not refunded yet: refunds for this invoice.
pub fn earlier_refunds(
    previous: &[InvoiceLine],
    now_free: &BTreeSet<(String, String, Date)>,
) -> Vec<EarlierRefund> {
    let mut billed: BTreeMap<(String, String, Date), i64> = BTreeMap::new();
    let mut refunded: BTreeSet<(String, String, Date)> = BTreeSet::new();
    for l in previous {
        for d in &l.days {
            let key = (l.child_id.clone(), l.activity_id.clone(), *d);
            match l.kind {
                LineKind::Booked | LineKind::LateCancellation => {
                    billed.insert(key, l.unit_cents);
                }
                LineKind::AbsenceRefund | LineKind::EarlierRefund | LineKind::Credit => {
                    refunded.insert(key);
                }
                _ => {}
            }
        }
    }
    billed
        .into_iter()
        .filter(|(k, _)| now_free.contains(k) && !refunded.contains(k))
        .map(
            |((child_id, activity_id, date), unit_cents)| EarlierRefund {
                child_id,
                activity_id,
                date,
                unit_cents,
            },
        )
        .collect()
}

#[cfg(test)]
#[path = "invoicing_tests.rs"]
mod tests;
