//! What a notification shows, built on the phone from its own synced data: the payload only
//! says which event happened and which documents to sync, never a name, an amount or a
//! reason.

use crate::client::Inner;
use crate::error::Result;
use crate::planning::{catalogue, dossier, fr_date, hydrate_doc};
use crate::uploads::{self, DocumentState};
use cartable_domain::ledger::DocumentKind;
use cartable_domain::money::format_eur;
use cartable_domain::planning::{CellKey, Outcome, Planning};
use cartable_domain::pricing::BillingMonth;
use cartable_domain::push::{PushEvent, PushKind, PushPayload};
use cartable_domain::rules::document_label_fr;
use serde::Serialize;

/// Decisions written up to this long before the event count as "what changed" (the server
/// stamps the event just after deciding).
const DECISION_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A notification ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub event: PushEvent,
    pub kind: PushKind,
    /// French, short.
    pub title: String,
    /// French, one or two sentences.
    pub body: String,
    /// A newer notification with the same tag replaces this one on screen.
    pub tag: String,
}

fn note(payload: &PushPayload, title: impl Into<String>, body: impl Into<String>) -> Notification {
    Notification {
        event: payload.event,
        kind: payload.event.kind(),
        title: title.into(),
        body: body.into(),
        tag: payload.event.topic().to_string(),
    }
}

/// Builds the notification of `payload` from the documents on this device.
pub(crate) fn build(inner: &mut Inner, payload: &PushPayload) -> Result<Notification> {
    Ok(match payload.event {
        PushEvent::InformationPublished => information(inner, payload)?,
        PushEvent::BookingRefused | PushEvent::BookingRedecided => bookings(inner, payload)?,
        PushEvent::DocumentAccepted | PushEvent::DocumentRejected | PushEvent::DocumentExpiring => {
            document(inner, payload)?
        }
        PushEvent::DossierApproved => note(
            payload,
            "Dossier validé",
            "La structure a validé votre dossier famille.",
        ),
        PushEvent::DossierRejected => {
            let reason = crate::dossier::review(inner)?.and_then(|r| r.reason);
            let body = match reason {
                Some(r) => format!("Votre dossier est à compléter : {r}"),
                None => "Votre dossier est à compléter : ouvrez « Mon dossier ».".into(),
            };
            note(payload, "Dossier à compléter", body)
        }
        PushEvent::InvoiceIssued => invoice(inner, payload),
    })
}

/// "Facture F2026-000042 de décembre 2026 : 42,00 €, à régler avant le 15/01/2027." from
/// the ledger on this device; a plain sentence if it does not show the document yet.
fn invoice(inner: &mut Inner, payload: &PushPayload) -> Notification {
    let found = payload.subject.as_deref().and_then(|number| {
        let ledger = crate::ledger::ledger(inner).ok()?;
        ledger.documents.into_values().find(|d| d.number == number)
    });
    let Some(d) = found else {
        return note(
            payload,
            "Nouvelle facture",
            "Un nouveau document est disponible dans « Mes factures ».",
        );
    };
    let month = d
        .month
        .parse::<BillingMonth>()
        .map(|m| format!(" de {}", m.label_fr()))
        .unwrap_or_default();
    let due = d
        .due_on
        .parse::<jiff::civil::Date>()
        .map(|day| format!(", à régler avant le {}", fr_date(day)))
        .unwrap_or_default();
    let (title, body) = match d.kind() {
        DocumentKind::Invoice => (
            "Nouvelle facture",
            format!(
                "Facture {}{month} : {}{due}.",
                d.number,
                format_eur(d.total_cents)
            ),
        ),
        DocumentKind::CreditNote => (
            "Nouvel avoir",
            format!(
                "Avoir {} de {} sur la facture {}.",
                d.number,
                format_eur(d.total_cents.abs()),
                d.refers_to
            ),
        ),
        DocumentKind::Statement => (
            "Nouveau relevé",
            format!(
                "Relevé de consommation {}{month} : {}.",
                d.number,
                format_eur(d.total_cents)
            ),
        ),
    };
    note(payload, title, body)
}

fn information(inner: &mut Inner, payload: &PushPayload) -> Result<Notification> {
    let catalogue = catalogue(inner)?;
    let title = payload
        .subject
        .as_deref()
        .and_then(|id| catalogue.information.get(id))
        .map(|m| m.title.clone());
    Ok(match title {
        Some(t) => note(payload, "Nouvelle information", t),
        None => note(
            payload,
            "Nouvelle information",
            "La structure a publié une information : ouvrez « Informations ».",
        ),
    })
}

fn bookings(inner: &mut Inner, payload: &PushPayload) -> Result<Notification> {
    let dossier = dossier(inner)?;
    let catalogue = catalogue(inner)?;
    let since = payload.at_ms - DECISION_WINDOW_MS;
    let mut refused = Vec::new();
    let mut accepted = 0usize;
    for id in &payload.docs {
        if inner.docs.get(id).is_none() {
            continue;
        }
        let planning: Planning = hydrate_doc(inner, Some(id.clone()))?;
        for (key, decision) in &planning.decisions {
            if decision.decided_at_ms < since {
                continue;
            }
            match decision.outcome {
                Outcome::Refused => refused.push((key.clone(), decision.reason.clone())),
                Outcome::Accepted => accepted += 1,
                _ => {}
            }
        }
    }
    let describe = |key: &str| -> Option<String> {
        let cell = CellKey::decode(key).ok()?;
        let child = dossier
            .children
            .get(cell.child_id.as_str())
            .map(|c| c.first_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "votre enfant".into());
        let activity = catalogue
            .activities
            .get(cell.activity_id.as_str())
            .map(|a| a.name.clone())
            .unwrap_or_else(|| cell.activity_id.to_string());
        Some(format!("{activity} de {child} le {}", fr_date(cell.date)))
    };
    let redecided = payload.event == PushEvent::BookingRedecided;
    Ok(match (refused.as_slice(), accepted) {
        ([], n) if n > 0 && redecided => note(
            payload,
            "Réservations acceptées",
            if n == 1 {
                "1 réservation a été acceptée après examen.".to_string()
            } else {
                format!("{n} réservations ont été acceptées après examen.")
            },
        ),
        ([(key, reason)], _) => {
            let what = describe(key).unwrap_or_else(|| "Une réservation".into());
            let why = reason.clone().unwrap_or_else(|| "demande refusée".into());
            note(payload, "Réservation refusée", format!("{what} : {why}"))
        }
        ([(key, _), rest @ ..], _) => {
            let first = describe(key).unwrap_or_else(|| "une réservation".into());
            note(
                payload,
                format!("{} réservations refusées", rest.len() + 1),
                format!("Dont {first} : ouvrez « Mon planning »."),
            )
        }
        _ => note(
            payload,
            if redecided {
                "Réservations revues"
            } else {
                "Réservation refusée"
            },
            "La structure a répondu à vos réservations : ouvrez « Mon planning ».",
        ),
    })
}

fn document(inner: &mut Inner, payload: &PushPayload) -> Result<Notification> {
    let found = payload.subject.as_deref().and_then(|id| {
        uploads::views(inner)
            .ok()?
            .into_iter()
            .find(|d| d.server_id.as_deref() == Some(id))
    });
    let label = found
        .as_ref()
        .map(|d| {
            let kind = document_label_fr(&d.kind);
            let mut chars = kind.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => "Justificatif".to_string(),
            }
        })
        .unwrap_or_else(|| "Un justificatif".into());
    Ok(match payload.event {
        PushEvent::DocumentAccepted => note(
            payload,
            "Justificatif accepté",
            format!("{label} : accepté par la structure."),
        ),
        PushEvent::DocumentRejected => {
            let reason = match found.map(|d| d.state) {
                Some(DocumentState::Rejected { reason }) => reason,
                _ => "ouvrez « Mes documents »".into(),
            };
            note(
                payload,
                "Justificatif refusé",
                format!("{label} : {reason}"),
            )
        }
        _ => {
            let until = found
                .and_then(|d| d.valid_until)
                .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                .map(|d| format!(" jusqu'au {}", fr_date(d)))
                .unwrap_or_default();
            note(
                payload,
                "Justificatif bientôt expiré",
                format!("{label} valable{until} : envoyez-en un nouveau."),
            )
        }
    })
}
