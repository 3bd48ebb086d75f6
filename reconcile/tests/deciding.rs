//! The core deciding what a phone sent, re-deciding after closures and reviews, and staff
//! overrides: outcomes, causes, counters and events.

mod common;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use cartable_domain::dossier::{Review, ReviewStatus};
use cartable_domain::planning::Outcome;
use cartable_domain::refusal::RefusalCause;
use cartable_domain::rules::OverdueInvoice;
use cartable_reconcile::redecide::{
    StaffDecision, plan_closures, plan_family_file, plan_override, plan_recorded, plan_refusals,
};
use cartable_reconcile::{BookingRow, Counts, Event, Redecision};
use common::{World, catalogue, closure};
use jiff::civil::date;
use std::sync::Arc;

fn locked(world: &World, keys: &[cartable_reconcile::PlaceKey]) -> Counts {
    keys.iter()
        .map(|k| (k.clone(), world.counts.get(k).copied().unwrap_or(0)))
        .collect()
}

#[test]
fn the_last_place_goes_to_the_first_cell_in_key_order_and_the_next_is_refused_as_full() {
    let mut w = World::new(catalogue(1));
    let monday = date(2026, 11, 30);
    w.ask("c1", monday, "cantine", true);
    w.ask("c2", monday, "cantine", true);
    let effects = w.sync();
    assert_eq!(
        w.decision("c1", monday, "cantine").map(|d| d.outcome),
        Some(Outcome::Accepted)
    );
    let refused = w.decision("c2", monday, "cantine").expect("decided");
    assert_eq!(refused.outcome, Outcome::Refused);
    assert_eq!(refused.cause, Some(RefusalCause::Full));
    assert_eq!(w.taken(monday, "cantine"), 1);
    assert_eq!(
        effects.events,
        vec![Event::BookingRefused {
            key: cartable_domain::planning::CellKey::new("c2", monday, "cantine"),
            cause: RefusalCause::Full,
        }]
    );
    assert_eq!(effects.decisions().count(), 2);
    // Withdrawing frees the place for the next request.
    w.ask("c1", monday, "cantine", false);
    w.sync();
    assert_eq!(w.taken(monday, "cantine"), 0);
    w.ask("c2", monday, "cantine", true);
    w.sync();
    assert_eq!(
        w.decision("c2", monday, "cantine").map(|d| d.outcome),
        Some(Outcome::Accepted)
    );
    assert_eq!(w.live_counts(), w.rebuilt_counts());
}

#[test]
fn only_undecided_touched_cells_need_counters_and_a_retry_decides_nothing_again() {
    let mut w = World::new(catalogue(30));
    let (monday, tuesday) = (date(2026, 11, 30), date(2026, 12, 1));
    w.ask("c1", tuesday, "cantine", true);
    w.ask("c1", monday, "cantine", true);
    w.phone.commit();
    let before = w.server.get_heads();
    w.server.merge(&mut w.phone).expect("merge");
    let plan =
        cartable_reconcile::plan_sync(&mut w.server, &before, cartable_domain::DocKind::Planning)
            .expect("plan");
    let keys: Vec<_> = plan.counters().to_vec();
    assert_eq!(
        keys,
        vec![
            cartable_reconcile::PlaceKey::new("cantine", monday),
            cartable_reconcile::PlaceKey::new("cantine", tuesday),
        ],
        "sorted by activity then day"
    );
    // Nothing new: nothing to lock, nothing decided.
    let heads = w.server.get_heads();
    let plan =
        cartable_reconcile::plan_sync(&mut w.server, &heads, cartable_domain::DocKind::Planning)
            .expect("plan");
    assert!(plan.counters().is_empty());
}

#[test]
fn a_forged_decision_is_written_back_and_decides_nothing() {
    let mut w = World::new(catalogue(30));
    let monday = date(2026, 11, 30);
    w.ask("c1", monday, "cantine", true);
    w.sync();
    let decisions = cartable_reconcile::cells::root_map(&w.phone, "decisions").expect("map");
    let key = cartable_domain::planning::CellKey::new("c9", monday, "cantine").encode();
    w.forge(|phone| {
        phone
            .put(
                &decisions,
                key.as_str(),
                r#"{"rev":"x","outcome":"accepted","decided_at_ms":0}"#,
            )
            .expect("forge");
    });
    let effects = w.sync();
    assert_eq!(effects.compensated, vec![format!("decisions/{key}")]);
    assert!(w.decision("c9", monday, "cantine").is_none());
    assert!(
        w.phone
            .get(&decisions, key.as_str())
            .expect("get")
            .is_none()
    );
    assert_eq!(w.live_counts(), w.rebuilt_counts());
}

#[test]
fn a_closure_cancels_booked_days_from_today_with_its_label_and_releases_the_places() {
    let mut w = World::new(catalogue(30));
    let (past, monday, friday) = (date(2026, 10, 30), date(2026, 11, 30), date(2026, 12, 4));
    for day in [past, monday, friday] {
        w.ask("c1", day, "cantine", true);
    }
    w.sync();
    assert_eq!(w.taken(monday, "cantine"), 1);
    let mut closed = catalogue(30);
    closed
        .closures
        .push(closure("2026-10-26", "2026-11-30", "Grève"));
    let today = date(2026, 11, 2);
    let plan = plan_closures(&w.server, &closed, today);
    let cells: Vec<_> = plan.cells().cloned().collect();
    assert_eq!(
        cells,
        vec![cartable_domain::planning::CellKey::new(
            "c1", monday, "cantine"
        )],
        "days before today stay as they were"
    );
    let counts = locked(&w, plan.counters());
    let mut inputs = w.inputs.clone();
    inputs.catalogue = Arc::new(closed.clone());
    let effects = plan
        .decide(&mut w.server, &inputs, common::YEAR, &counts)
        .expect("decide");
    w.moved(&effects);
    let cancelled = w.decision("c1", monday, "cantine").expect("decision");
    assert_eq!(cancelled.outcome, Outcome::Cancelled);
    assert_eq!(cancelled.cause, Some(RefusalCause::Closure));
    assert!(
        cancelled
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("Grève"),
        "{cancelled:?}"
    );
    assert_eq!(w.taken(monday, "cantine"), 0);
    assert!(matches!(
        effects.events.as_slice(),
        [Event::BookingRedecided {
            after: Outcome::Cancelled,
            why: Redecision::Closure,
            ..
        }]
    ));
    // Running it again finds nothing; removing the closure re-books nobody.
    assert!(plan_closures(&w.server, &closed, today).is_empty());
    assert!(plan_closures(&w.server, &catalogue(30), today).is_empty());
    assert_eq!(
        w.decision("c1", monday, "cantine").map(|d| d.outcome),
        Some(Outcome::Cancelled)
    );
    assert_eq!(w.live_counts(), w.rebuilt_counts());
    // The family may book again once the closure is gone.
    w.ask("c1", monday, "cantine", true);
    w.sync();
    assert_eq!(
        w.decision("c1", monday, "cantine").map(|d| d.outcome),
        Some(Outcome::Accepted)
    );
}

#[test]
fn an_approval_decides_again_the_bookings_refused_for_the_family_file() {
    let mut w = World::new(catalogue(30));
    let wednesday = date(2026, 12, 2);
    w.ask("c1", wednesday, "mercredi", true);
    w.sync();
    let refused = w.decision("c1", wednesday, "mercredi").expect("decided");
    assert_eq!(refused.cause, Some(RefusalCause::DossierNotApproved));
    std::sync::Arc::make_mut(&mut w.inputs.dossier).review = Some(Review {
        status: ReviewStatus::Approved,
        at_ms: 1,
        ..Default::default()
    });
    w.inputs.now = common::paris("2026-11-20T10:00");
    let plan = plan_family_file(&w.server, date(2026, 11, 20));
    let counts = locked(&w, plan.counters());
    let inputs = w.inputs.clone();
    let effects = plan
        .decide(&mut w.server, &inputs, common::YEAR, &counts)
        .expect("decide");
    w.moved(&effects);
    let accepted = w.decision("c1", wednesday, "mercredi").expect("decided");
    assert_eq!(accepted.outcome, Outcome::Accepted);
    assert_eq!(accepted.cause, None);
    assert_eq!(w.taken(wednesday, "mercredi"), 1);
    assert!(matches!(
        effects.events.as_slice(),
        [Event::BookingRedecided {
            why: Redecision::FamilyFile,
            after: Outcome::Accepted,
            ..
        }]
    ));
}

#[test]
fn a_staff_override_of_a_withdrawal_into_accepted_counts_like_a_rebuild() {
    let mut w = World::new(catalogue(30));
    let monday = date(2026, 11, 30);
    w.ask("c1", monday, "cantine", true);
    w.sync();
    w.ask("c1", monday, "cantine", false);
    w.sync();
    assert_eq!(w.taken(monday, "cantine"), 0);
    let key = cartable_domain::planning::CellKey::new("c1", monday, "cantine");
    let plan = plan_override(
        &w.server,
        &key,
        StaffDecision {
            outcome: Outcome::Accepted,
            reason: "Inscription maintenue".into(),
        },
    )
    .expect("plan");
    let counts = locked(&w, plan.counters());
    let inputs = w.inputs.clone();
    let effects = plan
        .decide(&mut w.server, &inputs, common::YEAR, &counts)
        .expect("decide");
    w.moved(&effects);
    let decision = w.decision("c1", monday, "cantine").expect("decided");
    assert_eq!(decision.outcome, Outcome::Accepted);
    assert_eq!(decision.cause, Some(RefusalCause::StaffDecision));
    assert_eq!(
        decision.reason.as_deref(),
        Some("Inscription maintenue (décision de la structure)")
    );
    assert_eq!(w.taken(monday, "cantine"), 1);
    assert_eq!(w.live_counts(), w.rebuilt_counts());
    assert!(matches!(
        effects.bookings.as_slice(),
        [BookingRow::Upsert { decided: true, .. }]
    ));
    let nobody = cartable_domain::planning::CellKey::new("c4", monday, "cantine");
    assert!(
        plan_override(
            &w.server,
            &nobody,
            StaffDecision {
                outcome: Outcome::Accepted,
                reason: "x".into()
            }
        )
        .is_err()
    );
}

#[test]
fn a_payment_decides_again_the_bookings_refused_for_an_unpaid_invoice_only() {
    let mut billed = catalogue(30);
    if let Some(canteen) = billed.activities.get_mut("cantine") {
        canteen.tariff = Some(Default::default());
    }
    let mut w = World::new(billed);
    w.inputs.overdue = Some(OverdueInvoice {
        number: "F2026-000007".into(),
        due_on: date(2026, 10, 31),
    });
    let monday = date(2026, 11, 30);
    let wednesday = date(2026, 12, 2);
    w.ask("c1", monday, "cantine", true);
    w.ask("c1", wednesday, "mercredi", true);
    w.sync();
    let unpaid = w.decision("c1", monday, "cantine").expect("decided");
    assert_eq!(unpaid.cause, Some(RefusalCause::UnpaidInvoice));
    // The Wednesday centre is free: refused for the dossier, not for the invoice.
    let dossier = w.decision("c1", wednesday, "mercredi").expect("decided");
    assert_eq!(dossier.cause, Some(RefusalCause::DossierNotApproved));
    // A review picks only the refusal for the family's file; a payment only the other.
    let review = plan_refusals(&w.server, Redecision::FamilyFile, date(2026, 11, 20));
    assert_eq!(review.cells().count(), 1);
    assert!(review.cells().all(|k| k.activity_id.as_str() == "mercredi"));
    w.inputs.overdue = None;
    w.inputs.now = common::paris("2026-11-20T10:00");
    let plan = plan_refusals(&w.server, Redecision::Payment, date(2026, 11, 20));
    assert_eq!(plan.cells().count(), 1);
    let counts = locked(&w, plan.counters());
    let inputs = w.inputs.clone();
    let effects = plan
        .decide(&mut w.server, &inputs, common::YEAR, &counts)
        .expect("decide");
    w.moved(&effects);
    let accepted = w.decision("c1", monday, "cantine").expect("decided");
    assert_eq!(accepted.outcome, Outcome::Accepted);
    assert_eq!(w.taken(monday, "cantine"), 1);
    assert_eq!(
        w.decision("c1", wednesday, "mercredi").map(|d| d.outcome),
        Some(Outcome::Refused)
    );
    assert!(matches!(
        effects.events.as_slice(),
        [Event::BookingRedecided {
            why: Redecision::Payment,
            after: Outcome::Accepted,
            ..
        }]
    ));
    assert_eq!(w.live_counts(), w.rebuilt_counts());
}

#[test]
fn recorded_bookings_are_accepted_without_rules_and_counted_without_events() {
    let mut w = World::new(catalogue(1));
    let monday = date(2026, 11, 30);
    // Two children on a day with one place: recording does not check the capacity.
    w.ask("c1", monday, "cantine", true);
    w.ask("c2", monday, "cantine", true);
    w.phone.commit();
    w.server.merge(&mut w.phone).expect("merge");
    let keys = [
        cartable_domain::planning::CellKey::new("c1", monday, "cantine"),
        cartable_domain::planning::CellKey::new("c2", monday, "cantine"),
    ];
    let plan = plan_recorded(&w.server, &keys);
    let counts = locked(&w, plan.counters());
    let inputs = w.inputs.clone();
    let effects = plan
        .decide(&mut w.server, &inputs, common::YEAR, &counts)
        .expect("decide");
    w.moved(&effects);
    assert_eq!(w.taken(monday, "cantine"), 2);
    assert!(effects.events.is_empty());
    assert_eq!(w.live_counts(), w.rebuilt_counts());
    assert_eq!(
        w.decision("c2", monday, "cantine").map(|d| d.outcome),
        Some(Outcome::Accepted)
    );
}
