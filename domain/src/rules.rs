//! Booking decisions: the server's answer to a parent's request.
//!
//! The same functions preview on the phone and decide on the server. Pure: the same inputs
//! give the same decision; time is an argument and every rule is read in Europe/Paris.
//!
//! A booking is checked in this order, and the first failing check gives the reason: a known
//! child, a day of the planning's school year, a day the activity runs (calendar, closures,
//! public holidays), the child's eligibility, an approved dossier when required, valid
//! supporting documents, the booking deadlines, then capacity. A withdrawal is checked against
//! the cancellation deadlines only: on time it is cancelled, late it is kept and billed.

use crate::calendar::{ClosedReason, closure_on, format_instant_fr, parse_date, parse_hhmm};
use crate::catalogue::{Activity, Catalogue, DeadlineRule};
use crate::deadlines::{self, Locked};
use crate::dossier::{Dossier, ReviewStatus};
use crate::eligibility::check_eligibility;
use crate::planning::{BookingRequest, CellKey, Decision, Outcome};
use crate::refusal::{Refusal, RefusalCause};
use crate::school_year::SchoolYear;
use jiff::Timestamp;
use std::collections::BTreeSet;

static NO_DOCUMENTS: BTreeSet<String> = BTreeSet::new();

/// What the server knows when deciding one request.
#[derive(Debug, Clone, Copy)]
pub struct DecisionContext<'a> {
    pub catalogue: &'a Catalogue,
    pub dossier: &'a Dossier,
    /// Kinds of supporting document currently valid for this family (e.g. "insurance").
    pub valid_documents: &'a BTreeSet<String>,
    pub school_year: SchoolYear,
    /// Server time.
    pub now: Timestamp,
    /// The family's unpaid invoice that blocks new bookings, when the structure blocks them
    /// ([`crate::tariffs::Billing::block_bookings_when_overdue`]).
    pub overdue: Option<&'a OverdueInvoice>,
}

/// An invoice not paid in time, as the booking rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueInvoice {
    pub number: String,
    pub due_on: jiff::civil::Date,
}

impl OverdueInvoice {
    /// The invoice that blocks new bookings on `today` under the structure's rule, if any.
    pub fn blocking(
        catalogue: &Catalogue,
        ledger: &crate::ledger::Ledger,
        today: jiff::civil::Date,
    ) -> Option<OverdueInvoice> {
        let rule = catalogue.billing.block_bookings_when_overdue.as_ref()?;
        let invoice = ledger.overdue_beyond(today, rule.grace_days)?;
        Some(OverdueInvoice {
            number: invoice.number.clone(),
            due_on: invoice.due_on.parse().ok()?,
        })
    }
}

impl<'a> DecisionContext<'a> {
    /// A context with no valid supporting document.
    pub fn new(
        catalogue: &'a Catalogue,
        dossier: &'a Dossier,
        school_year: SchoolYear,
        now: Timestamp,
    ) -> Self {
        Self {
            catalogue,
            dossier,
            valid_documents: &NO_DOCUMENTS,
            school_year,
            now,
            overdue: None,
        }
    }

    /// The same context with the family's blocking unpaid invoice, if any.
    pub fn with_overdue(self, overdue: Option<&'a OverdueInvoice>) -> Self {
        Self { overdue, ..self }
    }

    /// The same context with the family's valid document kinds.
    pub fn with_documents(self, valid_documents: &'a BTreeSet<String>) -> Self {
        Self {
            valid_documents,
            ..self
        }
    }

    /// The same context at another instant (deadlines judged then).
    pub fn at(self, now: Timestamp) -> Self {
        Self { now, ..self }
    }

    /// True when staff approved the family's dossier.
    pub fn dossier_approved(&self) -> bool {
        dossier_approved(self.dossier)
    }
}

/// True when staff approved the dossier (`review.status` approved), or approved an earlier
/// version that stays in force while a newer submission is pending or rejected.
pub fn dossier_approved(dossier: &Dossier) -> bool {
    dossier
        .review
        .as_ref()
        .is_some_and(|r| r.approval_in_force())
}

/// How the count of places taken on a cell's day changes when its decision goes from
/// `before` (none if the cell had no decision) to `after`: +1, 0 or -1.
pub fn place_delta(before: Option<Outcome>, after: Outcome) -> i32 {
    i32::from(after.holds_place()) - i32::from(before.is_some_and(Outcome::holds_place))
}

/// Decides one request. `places_taken` counts the places already held on that day for that
/// activity by other cells (counted under the server's lock, excluding this request).
///
/// A withdrawal is decided as if the cell held a booking; use [`decide_cell`] when the
/// previous decision is known, so that withdrawing a refused request is never billed.
pub fn decide(
    ctx: &DecisionContext<'_>,
    key: &CellKey,
    request: &BookingRequest,
    places_taken: u32,
) -> Decision {
    let (outcome, refusal) = if request.wanted {
        match booking_refusal(ctx, key, places_taken) {
            Some(refusal) => (Outcome::Refused, Some(refusal)),
            None => (Outcome::Accepted, None),
        }
    } else {
        withdrawal(ctx, key)
    };
    let (reason, cause) = match refusal {
        Some(r) => (Some(r.reason_fr), Some(r.cause)),
        None => (None, None),
    };
    Decision {
        rev: request.rev.clone(),
        outcome,
        reason,
        cause,
        decided_at_ms: ctx.now.as_millisecond(),
    }
}

/// Decides one request knowing the cell's previous decision (for an earlier `rev`):
///
/// - withdrawing a cell that holds no place (never booked, refused, already cancelled) is
///   cancelled at once, never billed;
/// - asking again for a cell that holds a place (e.g. withdrawn then re-booked offline before
///   any sync) keeps the booking, whatever the deadlines now say;
/// - otherwise as [`decide`]. A decision for this very `rev` is returned unchanged.
pub fn decide_cell(
    ctx: &DecisionContext<'_>,
    key: &CellKey,
    request: &BookingRequest,
    previous: Option<&Decision>,
    places_taken: u32,
) -> Decision {
    if let Some(p) = previous
        && p.rev == request.rev
    {
        return p.clone();
    }
    let held = previous.is_some_and(Decision::holds_place);
    let shortcut = match (request.wanted, held) {
        (false, false) => Some(Outcome::Cancelled),
        (true, true) => Some(Outcome::Accepted),
        _ => None,
    };
    match shortcut {
        Some(outcome) => Decision {
            rev: request.rev.clone(),
            outcome,
            reason: None,
            cause: None,
            decided_at_ms: ctx.now.as_millisecond(),
        },
        None => decide(ctx, key, request, places_taken),
    }
}

fn withdrawal(ctx: &DecisionContext<'_>, key: &CellKey) -> (Outcome, Option<Refusal>) {
    let Some(activity) = ctx.catalogue.activities.get(key.activity_id.as_str()) else {
        return (Outcome::Cancelled, None);
    };
    // Nothing is served on a closed day, so nothing is billed.
    if let Some(reason) = closure_on(ctx.catalogue, key.activity_id.as_str(), key.date)
        && !matches!(reason, ClosedReason::Misconfigured { .. })
    {
        return (Outcome::Cancelled, None);
    }
    match deadlines::check(&activity.cancel_rules, activity, key.date, ctx.now) {
        Ok(()) => (Outcome::Cancelled, None),
        Err(locked) => (
            Outcome::KeptBillable,
            Some(Refusal::new(
                RefusalCause::LateCancellation,
                late_cancellation_reason(&locked),
            )),
        ),
    }
}

/// "Annulation après la date limite (jeudi 26 novembre 2026 à 12:00) : facturée".
fn late_cancellation_reason(locked: &Locked) -> String {
    match locked.until {
        Some(until) if !locked.misconfigured && locked.opens.is_none() => format!(
            "Annulation après la date limite ({}) : facturée",
            format_instant_fr(until)
        ),
        _ => format!(
            "Annulation impossible ({}) : facturée",
            lowercase_first(&locked.reason_fr)
        ),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why a booking would be refused, or `None` when it would be accepted: the checks in the
/// order the module describes, the first failing one giving the cause and the reason.
pub fn booking_refusal(
    ctx: &DecisionContext<'_>,
    key: &CellKey,
    places_taken: u32,
) -> Option<Refusal> {
    refusal(ctx, key, Checks::All { places_taken })
}

/// The refusal the server is certain to give a booking of `key`, judged on a device from what
/// it synced (catalogue, dossier) at its idea of the server's time; `previous` is the cell's
/// last decision, if any. `None` when the server may accept it.
///
/// Only what cannot change between now and the next sync without staff editing the
/// catalogue or the dossier counts: an unknown child, a day outside the school year, a day
/// the activity does not run (weekday, period, closure, public holiday), a child who is not
/// eligible, a booking deadline that passed or a read-only period. Not counted: the approval
/// of the dossier, supporting documents and unpaid invoices (settled on the server, possibly
/// before the sync), capacity (places change), a booking window that opens later (it may be
/// open when the request arrives), and a configuration the server cannot read.
///
/// The checks are those of [`booking_refusal`], in the same order, so that a refusal found
/// here has the server's cause and wording. A cell that holds a place is never refused (see
/// [`decide_cell`]).
pub fn certain_refusal(
    ctx: &DecisionContext<'_>,
    key: &CellKey,
    previous: Option<&Decision>,
) -> Option<Refusal> {
    if previous.is_some_and(Decision::holds_place) {
        return None;
    }
    refusal(ctx, key, Checks::Certain)
}

/// Which checks [`refusal`] makes.
#[derive(Debug, Clone, Copy)]
enum Checks {
    /// Every check, as the server decides, with the places taken on that day.
    All { places_taken: u32 },
    /// Only those a device can be certain of (see [`certain_refusal`]).
    Certain,
}

impl Checks {
    fn all(self) -> bool {
        matches!(self, Checks::All { .. })
    }
}

fn refusal(ctx: &DecisionContext<'_>, key: &CellKey, checks: Checks) -> Option<Refusal> {
    let Some(child) = ctx.dossier.children.get(key.child_id.as_str()) else {
        return Some(Refusal::new(
            RefusalCause::UnknownChild,
            "Enfant inconnu dans le dossier de la famille",
        ));
    };
    if !ctx.school_year.contains(key.date) {
        return Some(Refusal::new(
            RefusalCause::OutsideSchoolYear,
            format!(
                "Cette date n'appartient pas à l'année scolaire {}",
                ctx.school_year
            ),
        ));
    }
    if let Some(closed) = closure_on(ctx.catalogue, key.activity_id.as_str(), key.date) {
        let cause = closed_cause(&closed);
        if checks.all() || cause != RefusalCause::Misconfigured {
            return Some(Refusal::new(cause, closed.label_fr()));
        }
    }
    let activity = ctx.catalogue.activities.get(key.activity_id.as_str())?;
    if let Err(e) = check_eligibility(&activity.eligibility, child, key.date) {
        return Some(Refusal::new(RefusalCause::NotEligible, e.reason_fr()));
    }
    if checks.all() && activity.requires_approved_dossier && !ctx.dossier_approved() {
        return Some(Refusal::new(
            RefusalCause::DossierNotApproved,
            dossier_refusal(ctx.dossier),
        ));
    }
    if checks.all()
        && let Some(missing) = missing_documents(activity, ctx.valid_documents)
    {
        return Some(Refusal::new(RefusalCause::DocumentsMissing, missing));
    }
    if checks.all()
        && let Some(invoice) = ctx.overdue
        && activity.tariff.is_some()
    {
        return Some(unpaid_invoice_refusal(invoice));
    }
    if let Err(locked) = deadlines::check(&activity.booking_rules, activity, key.date, ctx.now) {
        let cause = if locked.misconfigured {
            RefusalCause::Misconfigured
        } else {
            RefusalCause::Deadline
        };
        let certain = cause == RefusalCause::Deadline && locked.opens.is_none();
        if checks.all() || certain {
            return Some(Refusal::new(cause, locked.reason_fr));
        }
    }
    if let Checks::All { places_taken } = checks
        && let Some(capacity) = activity.capacity
        && places_taken >= capacity
    {
        return Some(Refusal::new(
            RefusalCause::Full,
            format!("Complet : les {capacity} places de ce jour sont prises"),
        ));
    }
    None
}

/// The cause of a closed day.
pub fn closed_cause(closed: &ClosedReason) -> RefusalCause {
    match closed {
        ClosedReason::UnknownActivity => RefusalCause::UnknownActivity,
        ClosedReason::NotThatWeekday { .. }
        | ClosedReason::NotYetOpen { .. }
        | ClosedReason::Ended { .. } => RefusalCause::NotRunning,
        ClosedReason::Closure { .. } => RefusalCause::Closure,
        ClosedReason::PublicHoliday { .. } => RefusalCause::PublicHoliday,
        ClosedReason::Misconfigured { .. } => RefusalCause::Misconfigured,
    }
}

/// How every refusal for an unpaid invoice starts.
pub const UNPAID_INVOICE_REFUSAL: &str = "Facture impayée";

/// "Facture impayée (F2026-000012, échue le jeudi 31 décembre 2026) : réglez-la pour réserver
/// à nouveau".
fn unpaid_invoice_refusal(invoice: &OverdueInvoice) -> Refusal {
    Refusal::new(
        RefusalCause::UnpaidInvoice,
        format!(
            "{UNPAID_INVOICE_REFUSAL} ({}, échue le {}) : réglez-la pour réserver à nouveau",
            invoice.number,
            crate::calendar::format_date_fr(invoice.due_on)
        ),
    )
}

/// How every refusal for an unapproved dossier starts.
pub const DOSSIER_REFUSAL: &str = "Dossier non validé par la mairie";
const MISSING_DOCUMENT: &str = "Document manquant ou expiré";
const MISSING_DOCUMENTS: &str = "Documents manquants ou expirés";

fn dossier_refusal(dossier: &Dossier) -> String {
    match &dossier.review {
        Some(r) if r.status == ReviewStatus::Rejected => match r.reason.as_deref().map(str::trim) {
            Some(reason) if !reason.is_empty() => {
                format!("{DOSSIER_REFUSAL} (à corriger : {reason})")
            }
            _ => format!("{DOSSIER_REFUSAL} (à corriger)"),
        },
        Some(_) => format!("{DOSSIER_REFUSAL} (en cours d'examen)"),
        None => format!("{DOSSIER_REFUSAL} : envoyez-le avec « Je valide mes modifications »"),
    }
}

/// "Document manquant ou expiré : attestation d'assurance, fiche sanitaire".
fn missing_documents(activity: &Activity, valid: &BTreeSet<String>) -> Option<String> {
    let missing: Vec<&str> = activity
        .required_documents
        .iter()
        .filter(|kind| !kind.trim().is_empty() && !valid.contains(kind.as_str()))
        .map(|kind| document_label_fr(kind))
        .collect();
    match missing.len() {
        0 => None,
        1 => Some(format!("{MISSING_DOCUMENT} : {}", missing.join(""))),
        _ => Some(format!("{MISSING_DOCUMENTS} : {}", missing.join(", "))),
    }
}

/// The French name of a supporting document kind (the code itself when unknown).
pub fn document_label_fr(kind: &str) -> &str {
    match kind {
        "insurance" => "attestation d'assurance",
        "qf_certificate" | "quotient_familial" | "qf" => "attestation de quotient familial",
        "tax_notice" => "avis d'imposition",
        "health_sheet" => "fiche sanitaire",
        "vaccinations" => "carnet de vaccination",
        "pai" => "PAI (projet d'accueil individualisé)",
        "proof_of_address" => "justificatif de domicile",
        "custody_ruling" => "jugement de garde",
        "medical_note" => "certificat médical",
        other => other,
    }
}

/// Unreadable or inconsistent values in a catalogue, in French, for the staff page (an empty
/// list means every rule can be evaluated). Rules with such values decide conservatively.
pub fn catalogue_problems(catalogue: &Catalogue) -> Vec<String> {
    let mut out = Vec::new();
    for (id, a) in &catalogue.activities {
        let mut say = |what: String| out.push(format!("Activité « {} » ({id}) : {what}", a.name));
        if a.weekdays.iter().any(|d| !(1..=7).contains(d)) {
            say("jours de la semaine attendus de 1 (lundi) à 7 (dimanche)".into());
        }
        if !a.start_time.trim().is_empty()
            && let Err(e) = parse_hhmm(&a.start_time)
        {
            say(format!("heure de début : {e}"));
        }
        match a.running_period() {
            Err(e) => say(format!("période : {e}")),
            Ok((Some(first), Some(last))) if last < first => {
                say("le dernier jour précède le premier".into());
            }
            Ok(_) => {}
        }
        let rules = |kind: &str, rules: &[DeadlineRule], say: &mut dyn FnMut(String)| {
            for (i, rule) in rules.iter().enumerate() {
                if let Err(e) = deadlines::validate(rule) {
                    say(format!("règle {kind} n°{} : {e}", i + 1));
                }
            }
        };
        rules("de réservation", &a.booking_rules, &mut say);
        rules("d'annulation", &a.cancel_rules, &mut say);
        if !a.absence.free_before.trim().is_empty()
            && let Err(e) = parse_hhmm(&a.absence.free_before)
        {
            say(format!("règle d'absence : {e}"));
        }
        if let (Some(min), Some(max)) = (a.eligibility.min_age_years, a.eligibility.max_age_years)
            && min > max
        {
            say("âge minimum supérieur à l'âge maximum".into());
        }
        if a.start_time.trim().is_empty()
            && a.booking_rules
                .iter()
                .chain(&a.cancel_rules)
                .any(|r| matches!(r, DeadlineRule::HoursBefore { .. }))
        {
            say("délai en heures sans heure de début : compté depuis 00:00".into());
        }
    }
    for c in &catalogue.closures {
        match (parse_date(&c.from), parse_date(&c.to)) {
            (Ok(from), Ok(to)) if to < from => out.push(format!(
                "Fermeture « {} » : la fin précède le début",
                c.label
            )),
            (Ok(_), Ok(_)) => {}
            (Err(e), _) | (_, Err(e)) => out.push(format!("Fermeture « {} » : {e}", c.label)),
        }
        for a in &c.activities {
            if !catalogue.activities.contains_key(a) {
                out.push(format!(
                    "Fermeture « {} » : activité inconnue « {a} »",
                    c.label
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_local_instant;
    use crate::catalogue::{ActivityKind, Closure, Eligibility};
    use crate::dossier::{ChildSheet, Review};
    use jiff::civil::date;

    fn paris(s: &str) -> Timestamp {
        parse_local_instant(s).expect("test instant")
    }

    /// A canteen booked the day before at 15:00, cancelled until Thursday 12:00 of the week
    /// before, with 30 places; a Wednesday centre for 3–11 year olds needing an approved
    /// dossier and an insurance certificate.
    fn fixture() -> (Catalogue, Dossier) {
        let mut c = Catalogue::default();
        let mut canteen = Activity::simple(
            "Restauration scolaire",
            ActivityKind::Canteen,
            vec![1, 2, 4, 5],
        );
        canteen.start_time = "11:30".into();
        canteen.capacity = Some(30);
        canteen.booking_rules = vec![DeadlineRule::DaysBefore {
            days: 1,
            at: "15:00".into(),
            skip_weekends: false,
            skip_public_holidays: false,
            skip_weekdays: vec![],
        }];
        canteen.cancel_rules = vec![DeadlineRule::WeekdayOfPreviousWeek {
            weekday: 4,
            at: "12:00".into(),
            weeks_before: 0,
        }];
        c.activities.insert("cantine".into(), canteen);
        let mut centre = Activity::simple(
            "Accueil du mercredi",
            ActivityKind::WednesdayCentre,
            vec![3],
        );
        centre.eligibility = Eligibility {
            min_age_years: Some(3),
            max_age_years: Some(11),
            classes: vec![],
        };
        centre.requires_approved_dossier = true;
        centre.required_documents = vec!["insurance".into()];
        c.activities.insert("mercredi".into(), centre);
        c.closures.push(Closure {
            from: "2026-12-19".into(),
            to: "2027-01-03".into(),
            label: "Vacances de Noël".into(),
            activities: vec![],
        });
        let mut d = Dossier::default();
        d.children.insert(
            "c1".into(),
            ChildSheet {
                first_name: "Léa".into(),
                birth_date: "2018-04-12".into(),
                class: "CE2".into(),
                ..Default::default()
            },
        );
        d.children.insert(
            "c2".into(),
            ChildSheet {
                first_name: "Tom".into(),
                birth_date: "2024-02-01".into(),
                ..Default::default()
            },
        );
        (c, d)
    }

    fn request(wanted: bool) -> BookingRequest {
        BookingRequest {
            wanted,
            rev: "r".into(),
            by: "a".into(),
            at_ms: 0,
        }
    }

    fn reason(d: &Decision) -> &str {
        d.reason.as_deref().unwrap_or_default()
    }

    #[test]
    fn an_on_time_booking_of_a_known_child_is_accepted() {
        let (c, d) = fixture();
        let now = paris("2026-11-29T14:59");
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now);
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        let decision = decide(&ctx, &monday, &request(true), 29);
        assert_eq!(decision.outcome, Outcome::Accepted);
        assert_eq!(decision.reason, None);
        assert_eq!(decision.rev, "r");
        assert_eq!(decision.decided_at_ms, now.as_millisecond());
    }

    #[test]
    fn bookings_are_refused_with_the_first_failing_reason() {
        let (c, d) = fixture();
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-20T10:00"));
        let refused = |child: &str, day, activity: &str| {
            let dec = decide(&ctx, &CellKey::new(child, day, activity), &request(true), 0);
            assert_eq!(dec.outcome, Outcome::Refused, "{dec:?}");
            reason(&dec).to_string()
        };
        assert_eq!(
            refused("c9", date(2026, 11, 30), "cantine"),
            "Enfant inconnu dans le dossier de la famille"
        );
        assert_eq!(
            refused("c1", date(2027, 9, 6), "cantine"),
            "Cette date n'appartient pas à l'année scolaire 2026-2027"
        );
        assert_eq!(
            refused("c1", date(2026, 12, 2), "cantine"),
            "Pas d'accueil le mercredi"
        );
        assert_eq!(
            refused("c1", date(2026, 12, 21), "cantine"),
            "Fermé : Vacances de Noël"
        );
        assert_eq!(
            refused("c1", date(2026, 11, 11), "mercredi"),
            "Jour férié (Armistice 1918)"
        );
        assert_eq!(
            refused("c1", date(2026, 11, 30), "piscine"),
            "Activité inconnue"
        );
        // Tom is 2 on Wednesday 25 November 2026.
        assert!(
            refused("c2", date(2026, 11, 25), "mercredi")
                .starts_with("Réservé aux enfants de 3 ans")
        );
        assert_eq!(
            refused("c1", date(2026, 11, 25), "mercredi"),
            "Dossier non validé par la mairie : envoyez-le avec « Je valide mes modifications »"
        );
    }

    #[test]
    fn an_approved_dossier_and_valid_documents_are_required_when_configured() {
        let (c, mut d) = fixture();
        let day = CellKey::new("c1", date(2026, 11, 25), "mercredi");
        let now = paris("2026-11-20T10:00");
        d.review = Some(Review {
            status: ReviewStatus::Pending,
            at_ms: 1,
            ..Default::default()
        });
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now);
        assert_eq!(
            reason(&decide(&ctx, &day, &request(true), 0)),
            "Dossier non validé par la mairie (en cours d'examen)"
        );
        d.review = Some(Review {
            status: ReviewStatus::Approved,
            at_ms: 2,
            ..Default::default()
        });
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now);
        assert_eq!(
            reason(&decide(&ctx, &day, &request(true), 0)),
            "Document manquant ou expiré : attestation d'assurance"
        );
        let refused = decide(&ctx, &day, &request(true), 0);
        assert_eq!(refused.cause, Some(RefusalCause::DocumentsMissing));
        assert!(refused.cause.is_some_and(RefusalCause::follows_family_file));
        let docs: BTreeSet<String> = ["insurance".to_string()].into();
        let ctx = ctx.with_documents(&docs);
        assert_eq!(
            decide(&ctx, &day, &request(true), 0).outcome,
            Outcome::Accepted
        );
        let never_sent = Dossier {
            review: None,
            ..d.clone()
        };
        let ctx = DecisionContext::new(&c, &never_sent, SchoolYear(2026), now);
        let no_dossier = decide(&ctx, &day, &request(true), 0);
        assert_eq!(no_dossier.cause, Some(RefusalCause::DossierNotApproved));
    }

    #[test]
    fn an_earlier_approval_stays_in_force_while_a_resubmission_is_reviewed() {
        let (c, mut d) = fixture();
        let day = CellKey::new("c1", date(2026, 11, 25), "mercredi");
        let now = paris("2026-11-20T10:00");
        let docs: BTreeSet<String> = ["insurance".to_string()].into();
        for status in [ReviewStatus::Pending, ReviewStatus::Rejected] {
            d.review = Some(Review {
                status,
                at_ms: 3,
                approved_at_ms: Some(2),
                reason: Some("Téléphone manquant".into()),
                ..Default::default()
            });
            let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now).with_documents(&docs);
            assert_eq!(
                decide(&ctx, &day, &request(true), 0).outcome,
                Outcome::Accepted,
                "{status}"
            );
        }
        d.review = Some(Review {
            status: ReviewStatus::Rejected,
            at_ms: 3,
            reason: Some("Téléphone manquant".into()),
            ..Default::default()
        });
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now).with_documents(&docs);
        assert_eq!(
            reason(&decide(&ctx, &day, &request(true), 0)),
            "Dossier non validé par la mairie (à corriger : Téléphone manquant)"
        );
    }

    #[test]
    fn a_late_booking_is_refused_with_the_deadline_shown() {
        let (c, d) = fixture();
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-29T15:01"));
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        let dec = decide(&ctx, &monday, &request(true), 0);
        assert_eq!(dec.outcome, Outcome::Refused);
        assert_eq!(
            reason(&dec),
            "Date limite dépassée : dimanche 29 novembre 2026 à 15:00"
        );
    }

    #[test]
    fn the_last_place_goes_to_the_first_and_a_full_day_is_refused() {
        let (c, d) = fixture();
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-20T10:00"));
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        assert_eq!(
            decide(&ctx, &monday, &request(true), 29).outcome,
            Outcome::Accepted
        );
        let full = decide(&ctx, &monday, &request(true), 30);
        assert_eq!(full.outcome, Outcome::Refused);
        assert!(reason(&full).starts_with("Complet"), "{full:?}");
        assert_eq!(
            decide(&ctx, &monday, &request(true), 31).outcome,
            Outcome::Refused
        );
    }

    #[test]
    fn a_cancellation_after_the_deadline_is_kept_and_billed() {
        let (c, d) = fixture();
        let friday = CellKey::new("c1", date(2026, 12, 4), "cantine");
        let on_time = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-26T11:59"));
        let dec = decide(&on_time, &friday, &request(false), 0);
        assert_eq!(dec.outcome, Outcome::Cancelled);
        assert_eq!(dec.reason, None);
        let late = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-26T12:01"));
        let dec = decide(&late, &friday, &request(false), 0);
        assert_eq!(dec.outcome, Outcome::KeptBillable);
        assert_eq!(
            reason(&dec),
            "Annulation après la date limite (jeudi 26 novembre 2026 à 12:00) : facturée"
        );
        // Withdrawing from a day that turned out to be closed is never billed.
        let christmas = CellKey::new("c1", date(2026, 12, 21), "cantine");
        let dec = decide(&late, &christmas, &request(false), 0);
        assert_eq!(dec.outcome, Outcome::Cancelled);
    }

    #[test]
    fn withdrawing_a_refused_request_is_never_billed_and_rebooking_keeps_the_place() {
        let (c, d) = fixture();
        let friday = CellKey::new("c1", date(2026, 12, 4), "cantine");
        let late = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-12-03T20:00"));
        let prior = |outcome| Decision {
            rev: "r0".into(),
            outcome,
            reason: None,
            cause: None,
            decided_at_ms: 0,
        };
        let refused = prior(Outcome::Refused);
        let dec = decide_cell(&late, &friday, &request(false), Some(&refused), 0);
        assert_eq!(dec.outcome, Outcome::Cancelled);
        let dec = decide_cell(&late, &friday, &request(false), None, 0);
        assert_eq!(dec.outcome, Outcome::Cancelled);
        let accepted = prior(Outcome::Accepted);
        let dec = decide_cell(&late, &friday, &request(false), Some(&accepted), 0);
        assert_eq!(dec.outcome, Outcome::KeptBillable);
        // Withdrawn then re-booked offline after the booking deadline: still booked.
        let dec = decide_cell(&late, &friday, &request(true), Some(&accepted), 30);
        assert_eq!(dec.outcome, Outcome::Accepted);
        // The decision for this very revision is kept as it is.
        let same = Decision {
            rev: "r".into(),
            ..prior(Outcome::Refused)
        };
        assert_eq!(
            decide_cell(&late, &friday, &request(true), Some(&same), 0),
            same
        );
    }

    #[test]
    fn an_unpaid_invoice_refuses_new_bookings_of_billed_activities_only() {
        let (mut c, d) = fixture();
        let ctx_now = paris("2026-11-20T10:00");
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        let overdue = OverdueInvoice {
            number: "F2026-000012".into(),
            due_on: date(2026, 11, 15),
        };
        let ctx =
            DecisionContext::new(&c, &d, SchoolYear(2026), ctx_now).with_overdue(Some(&overdue));
        // A free activity is not blocked.
        assert_eq!(
            decide(&ctx, &monday, &request(true), 0).outcome,
            Outcome::Accepted
        );
        if let Some(a) = c.activities.get_mut("cantine") {
            a.tariff = Some(crate::tariffs::Tariff::default());
        }
        let ctx =
            DecisionContext::new(&c, &d, SchoolYear(2026), ctx_now).with_overdue(Some(&overdue));
        let refused = decide(&ctx, &monday, &request(true), 0);
        assert_eq!(
            reason(&refused),
            "Facture impayée (F2026-000012, échue le dimanche 15 novembre 2026) : réglez-la pour réserver à nouveau"
        );
        assert_eq!(refused.cause, Some(RefusalCause::UnpaidInvoice));
        assert!(refused.cause.is_some_and(RefusalCause::follows_payment));
        assert!(!refused.cause.is_some_and(RefusalCause::follows_family_file));
        // Withdrawals are never blocked; once paid, the booking goes through.
        let friday = CellKey::new("c1", date(2026, 12, 4), "cantine");
        let ctx_early = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-20T10:00"))
            .with_overdue(Some(&overdue));
        assert_eq!(
            decide(&ctx_early, &friday, &request(false), 0).outcome,
            Outcome::Cancelled
        );
        let paid = DecisionContext::new(&c, &d, SchoolYear(2026), ctx_now);
        assert_eq!(
            decide(&paid, &monday, &request(true), 0).outcome,
            Outcome::Accepted
        );
    }

    #[test]
    fn place_counters_follow_outcomes() {
        assert!(Outcome::Accepted.holds_place());
        assert!(Outcome::KeptBillable.holds_place());
        assert!(!Outcome::Refused.holds_place());
        assert!(!Outcome::Cancelled.holds_place());
        assert_eq!(place_delta(None, Outcome::Accepted), 1);
        assert_eq!(place_delta(Some(Outcome::Accepted), Outcome::Cancelled), -1);
        assert_eq!(
            place_delta(Some(Outcome::Accepted), Outcome::KeptBillable),
            0
        );
        assert_eq!(place_delta(Some(Outcome::Refused), Outcome::Refused), 0);
    }

    #[test]
    fn a_misconfigured_booking_rule_refuses_with_a_clear_reason() {
        let (mut c, d) = fixture();
        if let Some(a) = c.activities.get_mut("cantine") {
            a.booking_rules = vec![DeadlineRule::DaysBefore {
                days: 1,
                at: "15h".into(),
                skip_weekends: false,
                skip_public_holidays: false,
                skip_weekdays: vec![],
            }];
        }
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), paris("2026-11-20T10:00"));
        let dec = decide(
            &ctx,
            &CellKey::new("c1", date(2026, 11, 30), "cantine"),
            &request(true),
            0,
        );
        assert_eq!(dec.outcome, Outcome::Refused);
        assert!(reason(&dec).contains("règle mal configurée"), "{dec:?}");
        let problems = catalogue_problems(&c);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("règle de réservation n°1"),
            "{problems:?}"
        );
        assert!(catalogue_problems(&fixture().0).is_empty());
    }

    #[test]
    fn a_device_refuses_what_the_server_would_with_the_same_cause_and_wording() {
        let (c, d) = fixture();
        let now = paris("2026-11-29T15:01");
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now);
        let cells = [
            CellKey::new("c9", date(2026, 11, 30), "cantine"),
            CellKey::new("c1", date(2027, 9, 6), "cantine"),
            CellKey::new("c1", date(2026, 12, 2), "cantine"),
            CellKey::new("c1", date(2026, 12, 21), "cantine"),
            CellKey::new("c1", date(2026, 11, 11), "mercredi"),
            CellKey::new("c2", date(2026, 12, 2), "mercredi"),
            CellKey::new("c1", date(2026, 11, 30), "cantine"),
        ];
        for key in &cells {
            let certain = certain_refusal(&ctx, key, None).expect("refused offline");
            let server = decide(&ctx, key, &request(true), 0);
            assert_eq!(Some(certain.cause), server.cause, "{key:?}");
            assert_eq!(Some(certain.reason_fr), server.reason, "{key:?}");
        }
        assert_eq!(
            certain_refusal(&ctx, &cells[6], None).map(|r| r.cause),
            Some(RefusalCause::Deadline)
        );
        // A cell that holds a place is asked again, never refused.
        let accepted = Decision {
            rev: "r0".into(),
            outcome: Outcome::Accepted,
            reason: None,
            cause: None,
            decided_at_ms: 0,
        };
        assert_eq!(certain_refusal(&ctx, &cells[6], Some(&accepted)), None);
    }

    #[test]
    fn a_device_does_not_refuse_what_the_server_may_still_accept() {
        let (mut c, d) = fixture();
        let now = paris("2026-11-20T10:00");
        // The dossier is not approved and the insurance is missing: settled on the server.
        let wednesday = CellKey::new("c1", date(2026, 11, 25), "mercredi");
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now);
        assert!(booking_refusal(&ctx, &wednesday, 0).is_some());
        assert_eq!(certain_refusal(&ctx, &wednesday, None), None);
        // Places change.
        let monday = CellKey::new("c1", date(2026, 11, 30), "cantine");
        assert!(booking_refusal(&ctx, &monday, 30).is_some());
        assert_eq!(certain_refusal(&ctx, &monday, None), None);
        // A configuration the server cannot read may be fixed before the sync.
        if let Some(a) = c.activities.get_mut("cantine") {
            a.booking_rules = vec![DeadlineRule::DaysBefore {
                days: 1,
                at: "15h".into(),
                skip_weekends: false,
                skip_public_holidays: false,
                skip_weekdays: vec![],
            }];
        }
        let ctx = DecisionContext::new(&c, &d, SchoolYear(2026), now);
        assert!(booking_refusal(&ctx, &monday, 0).is_some());
        assert_eq!(certain_refusal(&ctx, &monday, None), None);
    }
}
