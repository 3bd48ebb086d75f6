//! What the structure decided since the last sync, for the app to announce: bookings accepted
//! or refused (with the reason), withdrawals, absences billed or not, the dossier's review.
//!
//! Each document remembers in the store (`announced`) the heads up to which its news were
//! reported. At the end of a successful sync, the changes since those heads are diffed; every
//! decision that answers the cell's current request is news. Automerge diffs two heads by
//! scanning the whole document (a school year of requests and decisions), unless the earlier
//! heads are the document's diff cursor: then it reads the patches it logged while applying
//! the changes since. So once a document's news are announced, its cursor is set at the
//! announced heads and Automerge logs what comes after (the parent's own edits and the next
//! sync's changes alike): the next sync's diff costs what arrived, not the year. A document
//! loaded again from the store has no cursor; its first diff scans. A sync that fails half way reports nothing and moves
//! nothing, so its news come with the next successful sync. The first sync of a document (after
//! login) only sets the mark: a whole school year is not news.

use crate::client::Inner;
use crate::dossier::ReviewView;
use crate::error::Result;
use crate::planning::{catalogue, dossier};
use crate::store;
use crate::view::{CellReader, child_name};
use automerge::{AutoCommit, ChangeHash, Patch, PatchAction, Prop};
use cartable_domain::DocKind;
use cartable_domain::calendar::format_date_fr;
use cartable_domain::ids::DocumentId;
use cartable_domain::planning::{CellKey, Outcome};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeSet;

/// A decision of the structure on a booking or a withdrawal, received by a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionNews {
    pub child_id: String,
    /// First name.
    pub child_name: String,
    pub date: Date,
    pub activity_id: String,
    /// Label from the catalogue.
    pub activity_name: String,
    /// True when the request was a booking, false for a withdrawal.
    pub wanted: bool,
    pub outcome: Outcome,
    /// The structure's reason (refused, kept and billed, cancelled by the structure).
    pub reason: Option<String>,
    /// The sentence to announce: "Réservation refusée : Léa, Restauration scolaire, lundi 7
    /// décembre 2026. Complet : les 120 places de ce jour sont prises".
    pub message: String,
}

/// The structure's answer to an absence, received by a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsenceNews {
    pub child_id: String,
    pub child_name: String,
    pub date: Date,
    pub activity_id: String,
    pub activity_name: String,
    pub billed: bool,
    /// The structure's reason, e.g. "Absence signalée avant 10:00 : non facturée".
    pub reason: String,
    /// The sentence to announce.
    pub message: String,
}

/// Everything a sync brought that the app should announce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct News {
    pub decisions: Vec<DecisionNews>,
    pub absences: Vec<AbsenceNews>,
    /// The dossier's review, when the structure answered (or received) it since the last sync.
    pub dossier_review: Option<ReviewView>,
}

fn encode(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn decode(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    bytes
        .chunks(32)
        .map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

/// The cell key a patch of `decisions` / `absence_decisions` touches (a whole value put, or a
/// field of a map-shaped cell), with the root key.
fn touched(p: &Patch) -> Option<(String, String)> {
    let root = match p.path.first() {
        Some((_, Prop::Map(root))) => root.clone(),
        _ => return None,
    };
    let key = match (p.path.get(1), &p.action) {
        (Some((_, Prop::Map(key))), _) => key.clone(),
        (None, PatchAction::PutMap { key, .. }) => key.clone(),
        _ => return None,
    };
    Some((root, key))
}

/// What changed under `decisions`, `absence_decisions` and `review` between `before` and now.
#[derive(Debug, PartialEq, Eq)]
struct Touched {
    decisions: BTreeSet<String>,
    absences: BTreeSet<String>,
    review: bool,
}

fn touched_since(doc: &mut AutoCommit, before: &[ChangeHash]) -> Touched {
    let now = doc.get_heads();
    let mut out = Touched {
        decisions: BTreeSet::new(),
        absences: BTreeSet::new(),
        review: false,
    };
    for p in doc.diff(before, &now) {
        if p.path.is_empty()
            && matches!(&p.action, PatchAction::PutMap { key, .. } if key == "review")
        {
            out.review = true;
            continue;
        }
        match touched(&p) {
            Some((root, key)) if root == "decisions" => {
                out.decisions.insert(key);
            }
            Some((root, key)) if root == "absence_decisions" => {
                out.absences.insert(key);
            }
            Some((root, _)) if root == "review" => out.review = true,
            _ => {}
        }
    }
    out
}

fn decision_message(wanted: bool, outcome: Outcome, what: &str, reason: Option<&str>) -> String {
    let head = match (wanted, outcome) {
        (true, Outcome::Accepted) => "Réservation acceptée",
        (true, Outcome::Refused) => "Réservation refusée",
        (true, Outcome::Cancelled) => "Réservation annulée par la structure",
        (true, Outcome::KeptBillable) => "Réservation maintenue",
        (false, Outcome::Cancelled) => "Annulation acceptée",
        (false, Outcome::KeptBillable) => "Annulation trop tardive : réservation maintenue",
        (false, Outcome::Accepted) => "Annulation refusée : réservation maintenue",
        (false, Outcome::Refused) => "Annulation refusée",
    };
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("{head} : {what}. {reason}"),
        None => format!("{head} : {what}."),
    }
}

/// Collects the news of every document since its mark and moves the marks to now, in one
/// store transaction.
pub(crate) fn collect(inner: &mut Inner) -> Result<News> {
    let mut news = News::default();
    let ids: Vec<(DocumentId, DocKind)> = inner
        .docs
        .ids()
        .into_iter()
        .filter_map(|id| inner.docs.get(&id).map(|d| (id, d.info.kind)))
        .filter(|(_, kind)| matches!(kind, DocKind::Planning | DocKind::Dossier))
        .collect();
    let mut marks: Vec<(DocumentId, Vec<u8>)> = Vec::new();
    let mut work: Vec<(DocumentId, Touched)> = Vec::new();
    for (id, _) in &ids {
        let Inner { store, docs, .. } = &mut *inner;
        let content = docs.content(store, id)?;
        let now = content.doc.get_heads();
        if now.is_empty() {
            continue;
        }
        let before = store
            .read(|c| store::announced_heads(c, id))?
            .and_then(|b| decode(&b));
        marks.push((id.clone(), encode(&now)));
        let Some(before) = before else { continue };
        if before == now {
            continue;
        }
        // Heads the document does not know (a store restored from elsewhere): start again.
        if !before
            .iter()
            .all(|h| content.doc.get_change_by_hash(h).is_some())
        {
            continue;
        }
        work.push((id.clone(), touched_since(&mut content.doc, &before)));
    }

    if work
        .iter()
        .any(|(_, t)| !t.decisions.is_empty() || !t.absences.is_empty())
    {
        let dossier = dossier(inner)?;
        let catalogue = catalogue(inner)?;
        for (id, touched) in &work {
            if touched.decisions.is_empty() && touched.absences.is_empty() {
                continue;
            }
            let Inner { store, docs, .. } = &mut *inner;
            let content = docs.content(store, id)?;
            let reader = CellReader::new(&content.doc)?;
            let names = |cell: &CellKey| {
                (
                    child_name(&cell.child_id, dossier.children.get(cell.child_id.as_str())),
                    catalogue
                        .activities
                        .get(cell.activity_id.as_str())
                        .map_or_else(|| cell.activity_id.to_string(), |a| a.name.clone()),
                )
            };
            for key in &touched.decisions {
                let (Ok(cell), Some(request), Some(decision)) = (
                    CellKey::decode(key),
                    reader.request(key),
                    reader.decision(key),
                ) else {
                    continue;
                };
                if decision.rev != request.rev {
                    continue;
                }
                let (child_name, activity_name) = names(&cell);
                let what = format!(
                    "{child_name}, {activity_name}, {}",
                    format_date_fr(cell.date)
                );
                news.decisions.push(DecisionNews {
                    message: decision_message(
                        request.wanted,
                        decision.outcome,
                        &what,
                        decision.reason.as_deref(),
                    ),
                    child_id: cell.child_id.into_string(),
                    child_name,
                    date: cell.date,
                    activity_id: cell.activity_id.into_string(),
                    activity_name,
                    wanted: request.wanted,
                    outcome: decision.outcome,
                    reason: decision.reason,
                });
            }
            for key in &touched.absences {
                let (Ok(cell), Some(declared), Some(outcome)) = (
                    CellKey::decode(key),
                    reader.absence(key),
                    reader.absence_outcome(key),
                ) else {
                    continue;
                };
                if outcome.rev != declared.rev {
                    continue;
                }
                let (child_name, activity_name) = names(&cell);
                let head = if outcome.billed {
                    "Absence facturée"
                } else {
                    "Absence non facturée"
                };
                news.absences.push(AbsenceNews {
                    message: format!(
                        "{head} : {child_name}, {activity_name}, {}. {}",
                        format_date_fr(cell.date),
                        outcome.reason
                    ),
                    child_id: cell.child_id.into_string(),
                    child_name,
                    date: cell.date,
                    activity_id: cell.activity_id.into_string(),
                    activity_name,
                    billed: outcome.billed,
                    reason: outcome.reason,
                });
            }
        }
    }
    if work.iter().any(|(_, t)| t.review) {
        news.dossier_review = crate::dossier::review(inner)?;
    }
    news.decisions.sort_by(|a, b| {
        (a.date, &a.child_name, &a.activity_name).cmp(&(b.date, &b.child_name, &b.activity_name))
    });
    news.absences.sort_by(|a, b| {
        (a.date, &a.child_name, &a.activity_name).cmp(&(b.date, &b.child_name, &b.activity_name))
    });
    inner.store.write(|tx| {
        for (id, heads) in &marks {
            store::set_announced_heads(tx, id, heads)?;
        }
        Ok(())
    })?;
    // The next diff starts at the heads just announced (the lock is held: nothing changed
    // them since they were read).
    for (id, _) in &marks {
        inner.docs.content_loaded(id)?.doc.update_diff_cursor();
    }
    Ok(news)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_decided_and_why() {
        let what = "Léa, Restauration scolaire, lundi 7 décembre 2026";
        assert_eq!(
            decision_message(true, Outcome::Accepted, what, None),
            "Réservation acceptée : Léa, Restauration scolaire, lundi 7 décembre 2026."
        );
        assert_eq!(
            decision_message(true, Outcome::Refused, what, Some("Complet")),
            "Réservation refusée : Léa, Restauration scolaire, lundi 7 décembre 2026. Complet"
        );
        assert!(
            decision_message(false, Outcome::KeptBillable, what, Some("facturée"))
                .starts_with("Annulation trop tardive")
        );
        assert!(
            decision_message(true, Outcome::Cancelled, what, Some("Fermé : Grève"))
                .starts_with("Réservation annulée par la structure")
        );
    }

    fn sync_both(phone: &mut AutoCommit, server: &mut AutoCommit) {
        use automerge::sync::{State, SyncDoc};
        let (mut at_phone, mut at_server) = (State::new(), State::new());
        for _ in 0..10 {
            let up = phone.sync().generate_sync_message(&mut at_phone);
            if let Some(m) = up.clone() {
                server
                    .sync()
                    .receive_sync_message(&mut at_server, m)
                    .expect("server receives");
            }
            let down = server.sync().generate_sync_message(&mut at_server);
            if let Some(m) = down.clone() {
                phone
                    .sync()
                    .receive_sync_message(&mut at_phone, m)
                    .expect("phone receives");
            }
            if up.is_none() && down.is_none() {
                return;
            }
        }
        panic!("the two copies did not converge");
    }

    #[test]
    fn the_diff_from_the_cursor_finds_what_a_scan_of_the_whole_year_finds() {
        use automerge::transaction::Transactable;
        use automerge::{ObjType, ROOT};
        let mut server = AutoCommit::new();
        let decisions = server
            .put_object(ROOT, "decisions", ObjType::Map)
            .expect("map");
        let absences = server
            .put_object(ROOT, "absence_decisions", ObjType::Map)
            .expect("map");
        let requests = server
            .put_object(ROOT, "requests", ObjType::Map)
            .expect("map");
        for day in 0..200 {
            server
                .put(&decisions, format!("old-{day}"), "accepted")
                .expect("put");
            server.commit();
        }
        // The phone holds the year and announced it: its cursor is there.
        let mut phone = AutoCommit::load(&server.save()).expect("load");
        let announced = phone.get_heads();
        phone.update_diff_cursor();
        // The parent books offline while the server decides other cells, an absence and
        // the dossier's review.
        phone.put(&requests, "new-1", "wanted").expect("put");
        phone.commit();
        let answer = server
            .put_object(&decisions, "new-2", ObjType::Map)
            .expect("map");
        server.put(&answer, "outcome", "refused").expect("put");
        server.put(&decisions, "old-3", "cancelled").expect("put");
        server.put(&absences, "abs-1", "billed").expect("put");
        server.put(ROOT, "review", "accepted").expect("put");
        server.commit();
        sync_both(&mut phone, &mut server);
        // The server also answers the phone's booking, in a second sync.
        server.put(&decisions, "new-1", "accepted").expect("put");
        server.commit();
        sync_both(&mut phone, &mut server);

        assert_eq!(phone.diff_cursor(), announced);
        let from_cursor = touched_since(&mut phone, &announced);
        let mut loaded = AutoCommit::load(&phone.save()).expect("load");
        assert!(loaded.diff_cursor().is_empty());
        let scanned = touched_since(&mut loaded, &announced);
        assert_eq!(from_cursor, scanned);
        assert_eq!(
            scanned,
            Touched {
                decisions: ["new-1", "new-2", "old-3"].map(String::from).into(),
                absences: ["abs-1".to_string()].into(),
                review: true,
            }
        );
    }

    #[test]
    fn heads_round_trip_through_the_store_encoding() {
        let heads = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
        assert_eq!(decode(&encode(&heads)), Some(heads));
        assert_eq!(decode(&[1, 2, 3]), None);
    }
}
