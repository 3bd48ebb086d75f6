use super::*;
use crate::catalogue::ActivityKind;
use crate::money::Rounding;
use crate::tariffs::{PriceRule, QfBand, SiblingDiscount, Surcharge};
use jiff::civil::date;

fn bands() -> PriceRule {
    PriceRule::QfBands {
        bands: [(0, 100), (600, 305), (1000, 310), (1500, 315)]
            .into_iter()
            .map(|(from_qf, cents)| QfBand { from_qf, cents })
            .collect(),
    }
}

/// Canteen on Mondays, Tuesdays, Thursdays and Fridays priced by QF band with 10 % off for
/// the second child and a €13 meal without booking; a Wednesday centre at €12 a day with
/// €3.75 extra without booking.
fn catalogue() -> Catalogue {
    let mut c = Catalogue::default();
    let mut canteen = Activity::simple(
        "Restauration scolaire",
        ActivityKind::Canteen,
        vec![1, 2, 4, 5],
    );
    canteen.tariff = Some(Tariff {
        price: bands(),
        sibling: SiblingDiscount::PercentOff {
            by_rank: vec![0, 10],
        },
        unbooked_presence: Surcharge::FixedPrice { cents: 1300 },
        ..Default::default()
    });
    c.activities.insert("cantine".into(), canteen);
    let mut wednesday = Activity::simple(
        "Accueil de loisirs du mercredi",
        ActivityKind::WednesdayCentre,
        vec![3],
    );
    wednesday.tariff = Some(Tariff {
        price: PriceRule::Flat { cents: 1200 },
        unbooked_presence: Surcharge::Extra { cents: 375 },
        ..Default::default()
    });
    c.activities.insert("mercredi".into(), wednesday);
    // Morning childcare is free: no tariff, never billed.
    c.activities.insert(
        "garderie".into(),
        Activity::simple(
            "Accueil du matin",
            ActivityKind::MorningChildcare,
            vec![1, 2],
        ),
    );
    c
}

fn child(id: &str, first: &str, birth: jiff::civil::Date) -> ChildInfo {
    ChildInfo {
        id: id.into(),
        first_name: first.into(),
        last_name: "Martin".into(),
        birth_date: Some(birth),
        pai: false,
    }
}

fn day(child: &str, activity: &str, d: Date, booking: Option<Booked>) -> DayRecord {
    DayRecord {
        child_id: child.into(),
        activity_id: activity.into(),
        date: d,
        booking,
        absence_free: false,
        attendance: None,
    }
}

fn canteen_days_of_november() -> Vec<Date> {
    date(2026, 11, 1)
        .series(jiff::Span::new().days(1))
        .take_while(|d| d.month() == 11)
        .filter(|d| [1, 2, 4, 5].contains(&d.weekday().to_monday_one_offset()))
        .collect()
}

fn november() -> FamilyMonth {
    let mut days = Vec::new();
    for d in canteen_days_of_november() {
        let mut r = day("lea", "cantine", d, Some(Booked::Accepted));
        if d == date(2026, 11, 20) {
            r.booking = Some(Booked::KeptBillable);
        }
        if d == date(2026, 11, 5) {
            r.absence_free = true;
        }
        if d == date(2026, 11, 6) {
            r.attendance = Some(Attendance::Absent);
        }
        days.push(r);
    }
    days.push(day(
        "hugo",
        "cantine",
        date(2026, 11, 2),
        Some(Booked::Accepted),
    ));
    days.push(day(
        "hugo",
        "cantine",
        date(2026, 11, 3),
        Some(Booked::Accepted),
    ));
    let mut unbooked = day("hugo", "cantine", date(2026, 11, 9), None);
    unbooked.attendance = Some(Attendance::Present);
    days.push(unbooked);
    // Absent without a booking: nothing at all.
    let mut nothing = day("hugo", "cantine", date(2026, 11, 10), None);
    nothing.attendance = Some(Attendance::Absent);
    days.push(nothing);
    // 11 November is a public holiday: never billed, even if a booking slipped through.
    for d in [date(2026, 11, 4), date(2026, 11, 11), date(2026, 11, 18)] {
        days.push(day("lea", "mercredi", d, Some(Booked::Accepted)));
    }
    days.push(day(
        "lea",
        "garderie",
        date(2026, 11, 2),
        Some(Booked::Accepted),
    ));
    // A day of October is not on November's invoice.
    days.push(day(
        "lea",
        "cantine",
        date(2026, 10, 30),
        Some(Booked::Accepted),
    ));
    FamilyMonth {
        month: "2026-11".parse().expect("month"),
        qf: Some(700),
        children: vec![
            child("lea", "Léa", date(2017, 3, 14)),
            child("hugo", "Hugo", date(2019, 10, 2)),
        ],
        days,
        earlier_refunds: Vec::new(),
        late_registration_cents: None,
    }
}

fn summary(draft: &InvoiceDraft) -> Vec<(String, String, LineKind, u32, i64, i64)> {
    draft
        .lines
        .iter()
        .map(|l| {
            (
                l.child_name.clone(),
                l.activity_name.clone(),
                l.kind,
                l.quantity,
                l.unit_cents,
                l.total_cents,
            )
        })
        .collect()
}

#[test]
fn a_month_of_two_children_gives_the_lines_a_town_hall_expects() {
    let draft = compute(&catalogue(), &november());
    let s = |a: &str, b: &str, k, q, u, t| (a.to_string(), b.to_string(), k, q, u, t);
    assert_eq!(
        summary(&draft),
        vec![
            // Hugo is the second child: 3.05 € − 10 % = 2.745 € → 2.75 € (nearest cent).
            s(
                "Hugo Martin",
                "Restauration scolaire",
                LineKind::Booked,
                2,
                275,
                550
            ),
            s(
                "Hugo Martin",
                "Restauration scolaire",
                LineKind::UnbookedPresence,
                1,
                1300,
                1300
            ),
            s(
                "Léa Martin",
                "Accueil de loisirs du mercredi",
                LineKind::Booked,
                2,
                1200,
                2400
            ),
            // 17 canteen days in November 2026, one of them withdrawn too late.
            s(
                "Léa Martin",
                "Restauration scolaire",
                LineKind::Booked,
                16,
                305,
                4880
            ),
            s(
                "Léa Martin",
                "Restauration scolaire",
                LineKind::LateCancellation,
                1,
                305,
                305
            ),
            // Absence declared in time on the 5th; the unjustified one on the 6th is billed.
            s(
                "Léa Martin",
                "Restauration scolaire",
                LineKind::AbsenceRefund,
                1,
                -305,
                -305
            ),
        ]
    );
    assert_eq!(draft.total_cents, 550 + 1300 + 2400 + 4880 + 305 - 305);
    let refund = &draft.lines[5];
    assert_eq!(refund.days, vec![date(2026, 11, 5)]);
    assert_eq!(refund.label, "Absences non facturées");
    assert_eq!(draft.lines[0].basis, "QF 600 à 999, 2e enfant −10 %");
    assert_eq!(
        draft.lines[2].days,
        vec![date(2026, 11, 4), date(2026, 11, 18)]
    );
}

#[test]
fn the_half_cent_of_a_sibling_discount_follows_the_tariffs_rounding() {
    let mut c = catalogue();
    if let Some(t) = c
        .activities
        .get_mut("cantine")
        .and_then(|a| a.tariff.as_mut())
    {
        t.rounding = Rounding::Down;
    }
    let draft = compute(&c, &november());
    assert_eq!(draft.lines[0].unit_cents, 274);
}

#[test]
fn a_family_without_billable_days_gets_an_empty_draft() {
    let mut f = november();
    f.days.retain(|d| d.activity_id == "garderie");
    let draft = compute(&catalogue(), &f);
    assert!(draft.lines.is_empty());
    assert_eq!(draft.total_cents, 0);
}

#[test]
fn a_late_registration_fee_and_refunds_decided_after_an_invoice_are_added() {
    let mut f = november();
    f.late_registration_cents = Some(2500);
    f.earlier_refunds = vec![EarlierRefund {
        child_id: "lea".into(),
        activity_id: "cantine".into(),
        date: date(2026, 10, 15),
        unit_cents: 305,
    }];
    let draft = compute(&catalogue(), &f);
    let refund = draft
        .lines
        .iter()
        .find(|l| l.kind == LineKind::EarlierRefund)
        .expect("refund line");
    assert_eq!((refund.quantity, refund.total_cents), (1, -305));
    assert_eq!(refund.basis, "jeudi 15 octobre 2026");
    let last = draft.lines.last().expect("lines");
    assert_eq!(last.kind, LineKind::LateRegistration);
    assert_eq!(last.total_cents, 2500);
    assert_eq!(draft.total_cents, 9130 - 305 + 2500);
}

#[test]
fn days_billed_earlier_and_now_free_are_refunded_once() {
    let previous = vec![
        InvoiceLine {
            kind: LineKind::Booked,
            child_id: "lea".into(),
            child_name: "Léa Martin".into(),
            activity_id: "cantine".into(),
            activity_name: "Restauration scolaire".into(),
            label: "Jours réservés".into(),
            basis: String::new(),
            quantity: 2,
            unit_cents: 305,
            total_cents: 610,
            days: vec![date(2026, 10, 15), date(2026, 10, 16)],
        },
        InvoiceLine {
            kind: LineKind::AbsenceRefund,
            child_id: "lea".into(),
            child_name: "Léa Martin".into(),
            activity_id: "cantine".into(),
            activity_name: "Restauration scolaire".into(),
            label: "Absences non facturées".into(),
            basis: String::new(),
            quantity: 1,
            unit_cents: -305,
            total_cents: -305,
            days: vec![date(2026, 10, 16)],
        },
    ];
    let free: BTreeSet<(String, String, Date)> = [
        ("lea".to_string(), "cantine".to_string(), date(2026, 10, 15)),
        ("lea".to_string(), "cantine".to_string(), date(2026, 10, 16)),
        ("lea".to_string(), "cantine".to_string(), date(2026, 10, 19)),
    ]
    .into();
    let refunds = earlier_refunds(&previous, &free);
    assert_eq!(
        refunds,
        vec![EarlierRefund {
            child_id: "lea".into(),
            activity_id: "cantine".into(),
            date: date(2026, 10, 15),
            unit_cents: 305,
        }]
    );
}

/// A holiday centre at €15 a day, or €60 for a whole week (a week is billed with the month
/// of its Sunday).
fn holiday_centre() -> Catalogue {
    let mut c = Catalogue::default();
    let mut centre = Activity::simple(
        "Accueil de loisirs des vacances",
        ActivityKind::HolidayCentre,
        vec![1, 2, 3, 4, 5],
    );
    centre.first_day = "2027-02-22".into();
    centre.last_day = "2027-04-02".into();
    centre.tariff = Some(Tariff {
        price: PriceRule::Flat { cents: 1500 },
        packages: vec![Package {
            label: "Forfait semaine".into(),
            span: PackageSpan::Week,
            price: PriceRule::Flat { cents: 6000 },
        }],
        ..Default::default()
    });
    c.activities.insert("vacances".into(), centre);
    c
}

fn holiday_days(days: &[Date]) -> FamilyMonth {
    FamilyMonth {
        month: "2027-02".parse().expect("month"),
        qf: None,
        children: vec![child("lea", "Léa", date(2017, 3, 14))],
        days: days
            .iter()
            .map(|d| day("lea", "vacances", *d, Some(Booked::Accepted)))
            .collect(),
        earlier_refunds: Vec::new(),
        late_registration_cents: None,
    }
}

#[test]
fn a_whole_week_at_the_holiday_centre_is_billed_as_a_package() {
    let c = holiday_centre();
    let week: Vec<Date> = (22..=26).map(|d| date(2027, 2, d)).collect();
    let mut booked = week.clone();
    booked.extend([date(2027, 3, 1), date(2027, 3, 2)]);
    let draft = compute(&c, &holiday_days(&booked));
    assert_eq!(draft.lines.len(), 1, "{draft:?}");
    assert_eq!(draft.lines[0].kind, LineKind::Package);
    assert_eq!(draft.lines[0].label, "Forfait semaine");
    assert_eq!((draft.lines[0].quantity, draft.total_cents), (1, 6000));
    assert_eq!(draft.lines[0].days, week);
    // March bills the two days of the next, incomplete, week day by day.
    let mut march = holiday_days(&booked);
    march.month = "2027-03".parse().expect("month");
    let draft = compute(&c, &march);
    assert_eq!(summary(&draft)[0].2, LineKind::Booked);
    assert_eq!(draft.total_cents, 3000);
    // A week missing a day is billed day by day.
    let draft = compute(&c, &holiday_days(&week[..4]));
    assert_eq!(draft.total_cents, 4 * 1500);
    // The week of Monday 29 March 2027 ends in April: billed on April's invoice.
    let a = &c.activities["vacances"];
    assert_eq!(billed_in(a, date(2027, 3, 31)).to_string(), "2027-04");
    let (from, to) = days_needed(&c, "2027-04".parse().expect("month"));
    assert_eq!((from, to), (date(2027, 3, 26), date(2027, 4, 30)));
}

#[test]
fn a_period_package_covers_the_holidays_when_every_day_is_booked() {
    let mut c = holiday_centre();
    if let Some(t) = c
        .activities
        .get_mut("vacances")
        .and_then(|a| a.tariff.as_mut())
    {
        t.packages = vec![Package {
            label: "Forfait vacances d'hiver".into(),
            span: PackageSpan::Period {
                from: "2027-02-22".into(),
                to: "2027-03-05".into(),
            },
            price: PriceRule::Flat { cents: 11_000 },
        }];
    }
    let all: Vec<Date> = (22..=26)
        .map(|d| date(2027, 2, d))
        .chain((1..=5).map(|d| date(2027, 3, d)))
        .collect();
    // Billed with the month of the period's last day.
    let feb = compute(&c, &holiday_days(&all));
    assert!(feb.lines.is_empty());
    let mut march = holiday_days(&all);
    march.month = "2027-03".parse().expect("month");
    let draft = compute(&c, &march);
    assert_eq!(draft.lines.len(), 1);
    assert_eq!(draft.total_cents, 11_000);
    assert_eq!(draft.lines[0].days.len(), 10);
    assert_eq!(
        days_needed(&c, "2027-03".parse().expect("month")).0,
        date(2027, 2, 22)
    );
}
