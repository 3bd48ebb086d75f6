//! Why the server did not do what a parent asked: a typed cause carried by every decision
//! that refuses a booking, keeps a late withdrawal, or cancels a booking on the structure's
//! initiative.
//!
//! Behaviour (re-deciding after a review, after a closure) depends on the cause, never on
//! the French wording shown to parents, which may change. Decisions written before causes
//! existed carry none: [`RefusalCause::from_reason_fr`] derives one from their text, once,
//! when they are read.

use serde::{Deserialize, Serialize};

/// Why a decision is not what the parent asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCause {
    /// The child is not in the family's dossier.
    UnknownChild,
    /// The day is outside the planning's school year.
    OutsideSchoolYear,
    /// No such activity in the catalogue.
    UnknownActivity,
    /// The activity does not run that day (weekday, before its first or after its last day).
    NotRunning,
    /// A closure configured by staff (holidays, strike…).
    Closure,
    /// A French public holiday.
    PublicHoliday,
    /// The child's age or class does not fit the activity.
    NotEligible,
    /// The activity requires an approved dossier and the family's is not.
    DossierNotApproved,
    /// A supporting document the activity requires is missing or expired.
    DocumentsMissing,
    /// The family has an invoice unpaid past its due date (and the grace the structure
    /// allows) and the activity is billed.
    UnpaidInvoice,
    /// The booking deadline passed, the booking window is not open, or the period is
    /// read-only.
    Deadline,
    /// Every place of the day is taken.
    Full,
    /// The structure's configuration cannot be read (a rule or a calendar value).
    Misconfigured,
    /// A withdrawal after the cancellation deadline: the booking stays and is billed.
    LateCancellation,
    /// Staff decided (an override, with their reason).
    StaffDecision,
    /// A cause this build does not know (written by a newer server).
    #[serde(other)]
    Other,
}

impl RefusalCause {
    /// The stable code stored in decisions and sent to clients.
    pub fn code(self) -> &'static str {
        match self {
            RefusalCause::UnknownChild => "unknown_child",
            RefusalCause::OutsideSchoolYear => "outside_school_year",
            RefusalCause::UnknownActivity => "unknown_activity",
            RefusalCause::NotRunning => "not_running",
            RefusalCause::Closure => "closure",
            RefusalCause::PublicHoliday => "public_holiday",
            RefusalCause::NotEligible => "not_eligible",
            RefusalCause::DossierNotApproved => "dossier_not_approved",
            RefusalCause::DocumentsMissing => "documents_missing",
            RefusalCause::UnpaidInvoice => "unpaid_invoice",
            RefusalCause::Deadline => "deadline",
            RefusalCause::Full => "full",
            RefusalCause::Misconfigured => "misconfigured",
            RefusalCause::LateCancellation => "late_cancellation",
            RefusalCause::StaffDecision => "staff_decision",
            RefusalCause::Other => "other",
        }
    }

    /// True when the family's file alone was the reason (a dossier not approved, a document
    /// missing or expired): once staff approve the dossier or accept the document, the
    /// booking is decided again.
    pub fn follows_family_file(self) -> bool {
        matches!(
            self,
            RefusalCause::DossierNotApproved | RefusalCause::DocumentsMissing
        )
    }

    /// True when an unpaid invoice was the reason: once the family has paid (or a credit
    /// note settled the invoice), the booking is decided again.
    pub fn follows_payment(self) -> bool {
        matches!(self, RefusalCause::UnpaidInvoice)
    }

    /// The cause of a decision written before causes were stored, from its French reason.
    /// Only for reading old decisions: new ones carry their cause.
    pub fn from_reason_fr(reason: &str) -> RefusalCause {
        const PREFIXES: &[(&str, RefusalCause)] = &[
            ("Enfant inconnu", RefusalCause::UnknownChild),
            (
                "Cette date n'appartient pas",
                RefusalCause::OutsideSchoolYear,
            ),
            ("Activité inconnue", RefusalCause::UnknownActivity),
            ("Pas d'accueil le", RefusalCause::NotRunning),
            ("Pas encore ouvert : début", RefusalCause::NotRunning),
            ("Terminé depuis", RefusalCause::NotRunning),
            ("Fermé : ", RefusalCause::Closure),
            ("Jour férié", RefusalCause::PublicHoliday),
            ("Réservé aux ", RefusalCause::NotEligible),
            ("Date de naissance", RefusalCause::NotEligible),
            ("Classe non renseignée", RefusalCause::NotEligible),
            ("Dossier non validé", RefusalCause::DossierNotApproved),
            ("Document manquant", RefusalCause::DocumentsMissing),
            ("Documents manquants", RefusalCause::DocumentsMissing),
            ("Facture impayée", RefusalCause::UnpaidInvoice),
            ("Date limite dépassée", RefusalCause::Deadline),
            ("Période en lecture seule", RefusalCause::Deadline),
            ("Période close", RefusalCause::Deadline),
            ("Pas encore ouvert : ouverture", RefusalCause::Deadline),
            ("Complet", RefusalCause::Full),
            ("Annulation ", RefusalCause::LateCancellation),
        ];
        if reason.trim_end().ends_with("(décision de la structure)") {
            return RefusalCause::StaffDecision;
        }
        if reason.contains("mal configuré") {
            return RefusalCause::Misconfigured;
        }
        PREFIXES
            .iter()
            .find(|(prefix, _)| reason.starts_with(prefix))
            .map_or(RefusalCause::Other, |(_, cause)| *cause)
    }
}

/// A refusal: its cause and the sentence a parent reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub cause: RefusalCause,
    pub reason_fr: String,
}

impl Refusal {
    pub fn new(cause: RefusalCause, reason_fr: impl Into<String>) -> Self {
        Self {
            cause,
            reason_fr: reason_fr.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_unknown_codes_read_as_other() {
        for cause in [
            RefusalCause::UnknownChild,
            RefusalCause::Closure,
            RefusalCause::DossierNotApproved,
            RefusalCause::LateCancellation,
            RefusalCause::StaffDecision,
            RefusalCause::UnpaidInvoice,
        ] {
            let json = serde_json::to_string(&cause).expect("json");
            assert_eq!(json, format!("\"{}\"", cause.code()));
            assert_eq!(
                serde_json::from_str::<RefusalCause>(&json).ok(),
                Some(cause)
            );
        }
        let newer: RefusalCause = serde_json::from_str("\"waiting_list\"").expect("lenient");
        assert_eq!(newer, RefusalCause::Other);
    }

    #[test]
    fn old_decisions_get_their_cause_from_their_text() {
        let cases = [
            (
                "Enfant inconnu dans le dossier de la famille",
                RefusalCause::UnknownChild,
            ),
            ("Fermé : Vacances de Noël", RefusalCause::Closure),
            ("Jour férié (Armistice 1918)", RefusalCause::PublicHoliday),
            ("Pas d'accueil le mercredi", RefusalCause::NotRunning),
            (
                "Dossier non validé par la mairie (en cours d'examen)",
                RefusalCause::DossierNotApproved,
            ),
            (
                "Document manquant ou expiré : attestation d'assurance",
                RefusalCause::DocumentsMissing,
            ),
            (
                "Date limite dépassée : dimanche 29 novembre 2026 à 15:00",
                RefusalCause::Deadline,
            ),
            (
                "Complet : les 30 places de ce jour sont prises",
                RefusalCause::Full,
            ),
            (
                "Annulation après la date limite (jeudi 26 novembre 2026 à 12:00) : facturée",
                RefusalCause::LateCancellation,
            ),
            (
                "Trop tard (décision de la structure)",
                RefusalCause::StaffDecision,
            ),
            (
                "Modification impossible : règle mal configurée (x), contactez la structure",
                RefusalCause::Misconfigured,
            ),
            (
                "Réservé aux enfants de 3 ans et plus",
                RefusalCause::NotEligible,
            ),
            (
                "Facture impayée (F2026-000012, échue le dimanche 15 novembre 2026) : réglez-la pour réserver à nouveau",
                RefusalCause::UnpaidInvoice,
            ),
            ("Un motif inconnu", RefusalCause::Other),
        ];
        for (reason, cause) in cases {
            assert_eq!(RefusalCause::from_reason_fr(reason), cause, "{reason}");
        }
        assert!(RefusalCause::DossierNotApproved.follows_family_file());
        assert!(RefusalCause::DocumentsMissing.follows_family_file());
        assert!(!RefusalCause::Full.follows_family_file());
        assert!(!RefusalCause::UnpaidInvoice.follows_family_file());
        assert!(RefusalCause::UnpaidInvoice.follows_payment());
        assert!(!RefusalCause::DocumentsMissing.follows_payment());
    }
}
