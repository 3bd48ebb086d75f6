//! The demo structure's money side: tariffs from DOMAIN.md's real examples, the Christmas
//! holiday centre its information message announces (bookable until the Friday before the
//! holidays at noon), last month's bookings and attendance, and last month's invoices issued
//! (the Martins paid by card, the Benalis not yet), so "Mes Factures" is filled on the first
//! sync.

use crate::AppState;
use crate::db::attendance;
use crate::docs::apply::FamilyDoc;
use crate::docs::{catalogue, create, redecide};
use crate::error::{AppError, AppResult};
use crate::invoicing::{payments, quotient, run};
use automerge::ROOT;
use autosurgeon::reconcile_prop;
use cartable_domain::calendar::{closure_on, paris_date};
use cartable_domain::catalogue::{Activity, ActivityKind, Catalogue, Closure, DeadlineRule};
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::planning::{BookingRequest, CellKey};
use cartable_domain::pricing::BillingMonth;
use cartable_domain::school_year::SchoolYear;
use cartable_domain::tariffs::{
    Billing, Issuer, Package, PackageSpan, PriceRule, QfBand, SiblingDiscount, Surcharge, Tariff,
};
use cartable_reconcile::DecisionInputs;
use cartable_reconcile::redecide::plan_recorded;
use sqlx::Row;

/// The holiday centre's activity id.
pub const HOLIDAY_CENTRE: &str = "vacances-noel";

fn bands(prices: [i64; 4]) -> PriceRule {
    PriceRule::QfBands {
        bands: [0, 600, 1000, 1500]
            .into_iter()
            .zip(prices)
            .map(|(from_qf, cents)| QfBand { from_qf, cents })
            .collect(),
    }
}

fn tariff(price: PriceRule) -> Tariff {
    Tariff {
        price,
        ..Default::default()
    }
}

/// Tariffs, billing settings and the Christmas holiday centre.
pub fn demo_billing_rules(c: &mut Catalogue) {
    for (id, activity) in c.activities.iter_mut() {
        activity.tariff = match id.as_str() {
            // DOMAIN.md: QF bands 1.00 / 3.05 / 3.10 / 3.15, third child at half price,
            // 0.64 for a PAI meal, 13.00 for a meal without booking.
            "cantine" => Some(Tariff {
                sibling: SiblingDiscount::PercentOff {
                    by_rank: vec![0, 0, 50],
                },
                pai_meal_cents: Some(64),
                unbooked_presence: Surcharge::FixedPrice { cents: 1300 },
                ..tariff(bands([100, 305, 310, 315]))
            }),
            "garderie-matin" => Some(Tariff {
                unbooked_presence: Surcharge::Extra { cents: 375 },
                ..tariff(PriceRule::Flat { cents: 150 })
            }),
            // DOMAIN.md: 0.36 % of QF, at least 2.60, at most 4.50.
            "garderie-soir" => Some(Tariff {
                unbooked_presence: Surcharge::Extra { cents: 375 },
                ..tariff(PriceRule::QfPercentage {
                    rate_millipercent: 360,
                    floor_cents: 260,
                    ceiling_cents: 450,
                })
            }),
            "mercredi" => Some(tariff(bands([500, 800, 1100, 1400]))),
            _ => activity.tariff.take(),
        };
    }
    let mut centre = Activity::simple(
        "Accueil de loisirs — vacances de Noël",
        ActivityKind::HolidayCentre,
        vec![1, 2, 3, 4, 5],
    );
    centre.start_time = "08:30".into();
    centre.first_day = "2026-12-21".into();
    centre.last_day = "2027-01-01".into();
    centre.capacity = Some(40);
    centre.eligibility.min_age_years = Some(3);
    centre.eligibility.max_age_years = Some(12);
    // "Ouvertes jusqu'au vendredi précédant les vacances à midi."
    let deadline = DeadlineRule::ReadOnlyFrom {
        from: "2026-12-18T12:00".into(),
        period_from: "2026-12-21".into(),
        period_to: "2027-01-01".into(),
    };
    centre.booking_rules = vec![deadline.clone()];
    centre.cancel_rules = vec![deadline];
    centre.tariff = Some(Tariff {
        packages: vec![Package {
            label: "Forfait semaine".into(),
            span: PackageSpan::Week,
            price: bands([2500, 4200, 6000, 7500]),
        }],
        ..tariff(bands([600, 1000, 1400, 1800]))
    });
    c.activities.insert(HOLIDAY_CENTRE.into(), centre);
    // School services close for the Christmas holidays; the centre closes on the 24th and
    // 31st (25 December and 1 January are public holidays).
    let school: Vec<String> = ["cantine", "garderie-matin", "garderie-soir", "mercredi"]
        .into_iter()
        .map(String::from)
        .collect();
    for closure in c.closures.iter_mut() {
        closure.activities = school.clone();
    }
    for day in ["2026-12-24", "2026-12-31"] {
        c.closures.push(Closure {
            from: day.into(),
            to: day.into(),
            label: "Centre fermé".into(),
            activities: vec![HOLIDAY_CENTRE.into()],
        });
    }
    c.billing = Billing {
        issuer: Issuer {
            legal_name: "Mairie de Saint-Aubin-sur-Loire — Régie des services périscolaires".into(),
            siret: "21440000000017".into(),
            address: "1 place de la Mairie, 44000 Saint-Aubin-sur-Loire".into(),
            payment_instructions: "Par carte bancaire sur le portail famille, par chèque à \
                                   l'ordre du Trésor public, en espèces ou en CESU à la régie \
                                   (mairie, lundi au vendredi de 8 h 30 à 12 h), par virement \
                                   (IBAN FR76 1007 1440 0000 0010 0000 000)."
                .into(),
            appeal_mentions: String::new(),
        },
        payment_days: 15,
        ..Default::default()
    };
}

/// (child id, first name) of a family, and its first parent's account id.
pub async fn family_people(
    state: &AppState,
    family_id: &str,
) -> AppResult<(Vec<(String, String)>, String)> {
    let rows = sqlx::query(
        "SELECT child_id, first_name FROM children WHERE family_id = $1 ORDER BY first_name",
    )
    .bind(family_id)
    .fetch_all(&state.db.pool)
    .await?;
    let children = rows
        .iter()
        .map(|r| Ok((r.try_get("child_id")?, r.try_get("first_name")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let account: String = sqlx::query(
        "SELECT id FROM accounts WHERE family_id = $1 ORDER BY created_at_ms, login LIMIT 1",
    )
    .bind(family_id)
    .fetch_one(&state.db.pool)
    .await?
    .try_get("id")?;
    Ok((children, account))
}

/// Books `cells` (child, activity, day) for a family as accepted, as if the parents had
/// booked in time: their requests are written, then recorded as accepted by the decision
/// core (places counted like any booking).
pub async fn book(
    state: &AppState,
    structure_id: &StructureId,
    family_id: &FamilyId,
    account_id: &str,
    cells: &[CellKey],
) -> AppResult<()> {
    let now = state.clock.now();
    let mut years: Vec<SchoolYear> = cells.iter().map(|c| SchoolYear::of(c.date)).collect();
    years.sort();
    years.dedup();
    // Recording needs no rule: only the clock.
    let inputs = DecisionInputs {
        catalogue: Default::default(),
        dossier: Default::default(),
        valid_documents: Default::default(),
        overdue: None,
        now,
    };
    for year in years {
        let row = create::ensure_planning(
            &state.db,
            state.docs.actor(),
            structure_id,
            family_id,
            year,
            now.as_millisecond(),
        )
        .await?;
        let at = FamilyDoc {
            structure_id,
            family_id,
            doc_id: &row.id,
        };
        let keys: Vec<CellKey> = cells
            .iter()
            .filter(|c| SchoolYear::of(c.date) == year)
            .cloned()
            .collect();
        redecide::on_planning(state, at, year, &inputs, |doc| {
            let requests = match automerge::ReadDoc::get(doc, ROOT, "requests")? {
                Some((_, id)) => id,
                None => return Err(AppError::internal("planning sans demandes")),
            };
            for cell in &keys {
                let request = BookingRequest {
                    wanted: true,
                    rev: crate::auth::new_id(),
                    by: account_id.to_string(),
                    at_ms: now.as_millisecond(),
                };
                reconcile_prop(&mut *doc, &requests, cell.encode().as_str(), &request).map_err(
                    |e| AppError::internal(format!("réservation de démonstration : {e}")),
                )?;
            }
            Ok(plan_recorded(doc, &keys))
        })
        .await?;
    }
    Ok(())
}

/// QFs, last month's bookings and attendance, its invoices, and one of them paid.
pub async fn fill_last_month(
    state: &AppState,
    structure_id: &StructureId,
    admin_id: &str,
    families: &[(FamilyId, u32)],
) -> AppResult<()> {
    let catalogue = catalogue::read(state, structure_id).await?;
    let now = state.clock.now();
    let month = BillingMonth::of(paris_date(now)).previous();
    let days: Vec<jiff::civil::Date> = month
        .first_day()
        .series(jiff::Span::new().days(1))
        .take_while(|d| month.contains(*d))
        .collect();
    let runs = |activity: &str, d: jiff::civil::Date| closure_on(&catalogue, activity, d).is_none();
    for (index, (family_id, qf)) in families.iter().enumerate() {
        // The QF on file since the start of the school year.
        let september = SchoolYear::of(month.first_day()).first_day();
        let before =
            cartable_domain::calendar::start_of_day(september.yesterday().unwrap_or(september))
                .map_err(|e| AppError::internal(e.to_string()))?;
        let mut tx = state.db.begin_write().await?;
        quotient::record(&mut tx.tx, family_id, Some(*qf), admin_id, before).await?;
        tx.commit().await?;
        let (children, account) = family_people(state, family_id).await?;
        let mut cells = Vec::new();
        for (child_id, _) in &children {
            for d in days.iter().copied() {
                if runs("cantine", d) {
                    cells.push(CellKey::new(child_id.clone(), d, "cantine"));
                }
                let weekday = d.weekday().to_monday_one_offset();
                if index == 0 && [2, 4].contains(&weekday) && runs("garderie-soir", d) {
                    cells.push(CellKey::new(child_id.clone(), d, "garderie-soir"));
                }
                if index == 1 && weekday == 3 && runs("mercredi", d) {
                    cells.push(CellKey::new(child_id.clone(), d, "mercredi"));
                }
            }
        }
        book(state, structure_id, family_id, &account, &cells).await?;
    }
    // Attendance: every booked child present, except one justified absence.
    let mut tx = state.db.begin_write().await?;
    for d in &days {
        for activity in ["cantine", "garderie-soir", "mercredi"] {
            attendance::all_booked_present(
                &mut tx.tx,
                structure_id,
                activity,
                &d.to_string(),
                admin_id,
                now.as_millisecond(),
            )
            .await?;
        }
    }
    tx.commit().await?;
    if let Some((family_id, _)) = families.first() {
        let (children, _) = family_people(state, family_id).await?;
        let sick = days.iter().copied().find(|d| runs("cantine", *d));
        if let (Some((child_id, _)), Some(day)) = (children.first(), sick) {
            let mut tx = state.db.begin_write().await?;
            attendance::put(
                &mut tx.tx,
                &attendance::Mark {
                    structure_id,
                    family_id,
                    child_id,
                    activity_id: "cantine",
                    day: &day.to_string(),
                    status: Some(cartable_domain::invoicing::Attendance::AbsentJustified),
                    note: "certificat médical",
                    recorded_by: admin_id,
                    at_ms: now.as_millisecond(),
                },
            )
            .await?;
            tx.commit().await?;
        }
    }
    let report = run::issue(state, structure_id, month, admin_id).await?;
    // The first family paid by card; the second has not paid yet.
    if let Some((family_id, _)) = families.first() {
        let mut conn = state.db.pool.acquire().await?;
        let theirs = crate::db::invoices::of_family(&mut conn, structure_id, family_id).await?;
        drop(conn);
        if let Some(invoice) = theirs
            .iter()
            .find(|i| report.issued.contains(&i.number) && i.total_cents > 0)
        {
            payments::record(
                state,
                structure_id,
                admin_id,
                payments::NewPayment {
                    family_id: family_id.to_string(),
                    method: "card".into(),
                    amount_cents: invoice.total_cents,
                    received_on: None,
                    invoice_number: Some(invoice.number.clone()),
                    reference: "paiement en ligne".into(),
                },
                None,
            )
            .await?;
        }
    }
    Ok(())
}
