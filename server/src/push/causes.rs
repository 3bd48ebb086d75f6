//! The events each cause queues, written on the cause's own transaction. One function per
//! cause, so the places that commit a cause stay one line away from their notification.

use super::outbox::{self, Outgoing};
use crate::db::Conn;
use crate::db::documents;
use crate::db::multi_row::{self, ROWS_PER_INSERT};
use cartable_domain::DocKind;
use cartable_domain::DocumentId;
use cartable_domain::calendar::start_of_day;
use cartable_domain::ids::StructureId;
use cartable_domain::push::PushEvent;
use sqlx::AnyConnection;

async fn catalogue_doc(
    conn: &mut AnyConnection,
    structure_id: &str,
) -> Result<Vec<DocumentId>, sqlx::Error> {
    Ok(
        documents::structure_document(conn, &StructureId::new(structure_id), DocKind::Catalogue)
            .await?
            .map(|row| row.id)
            .into_iter()
            .collect(),
    )
}

/// Information message `info_id` published from `published_from` (ISO date): every family
/// of the structure, from the start of that day (Europe/Paris), when it is shown.
pub async fn information_published(
    conn: &mut AnyConnection,
    structure_id: &str,
    info_id: &str,
    published_from: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let due = published_from
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| start_of_day(d).ok())
        .map_or(now_ms, |t| t.as_millisecond());
    let docs = catalogue_doc(conn, structure_id).await?;
    let event = Outgoing::to_structure(structure_id, PushEvent::InformationPublished, docs, now_ms)
        .with_subject(info_id)
        .due_at(due);
    outbox::enqueue(&mut Conn::Any(&mut *conn), &event).await
}

/// Information message `info_id` changed: a notification not sent yet follows the new start
/// day; one already sent is not sent again.
pub async fn information_changed(
    conn: &mut AnyConnection,
    structure_id: &str,
    info_id: &str,
    published_from: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    if outbox::cancel_subject(conn, structure_id, info_id, now_ms).await? > 0 {
        information_published(conn, structure_id, info_id, published_from, now_ms).await?;
    }
    Ok(())
}

/// Information message `info_id` withdrawn: nothing more is sent about it.
pub async fn information_withdrawn(
    conn: &mut AnyConnection,
    structure_id: &str,
    info_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    outbox::cancel_subject(conn, structure_id, info_id, now_ms).await?;
    Ok(())
}

/// Bookings of planning `doc_id` refused (`redecided`: decided again after a review). The
/// device whose sync was answered with the decision already shows it.
pub async fn bookings_decided(
    conn: &mut Conn<'_>,
    structure_id: &str,
    family_id: &str,
    doc_id: &str,
    redecided: bool,
    exclude_device: Option<&str>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let event = if redecided {
        PushEvent::BookingRedecided
    } else {
        PushEvent::BookingRefused
    };
    let mut out = Outgoing::to_family(
        structure_id,
        family_id,
        event,
        vec![DocumentId::new(doc_id)],
        now_ms,
    );
    if let Some(device) = exclude_device {
        out = out.excluding(device);
    }
    outbox::enqueue(conn, &out).await
}

/// Supporting document `document_id` accepted or rejected.
pub async fn document_reviewed(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
    document_id: &str,
    accepted: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let event = if accepted {
        PushEvent::DocumentAccepted
    } else {
        PushEvent::DocumentRejected
    };
    let out = Outgoing::to_family(structure_id, family_id, event, Vec::new(), now_ms)
        .with_subject(document_id);
    outbox::enqueue(&mut Conn::Any(&mut *conn), &out).await
}

/// The family's dossier (document `dossier_doc_id`) approved or rejected.
pub async fn dossier_reviewed(
    conn: &mut Conn<'_>,
    structure_id: &str,
    family_id: &str,
    dossier_doc_id: &str,
    approved: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let event = if approved {
        PushEvent::DossierApproved
    } else {
        PushEvent::DossierRejected
    };
    let out = Outgoing::to_family(
        structure_id,
        family_id,
        event,
        vec![DocumentId::new(dossier_doc_id)],
        now_ms,
    );
    outbox::enqueue(conn, &out).await
}

/// An issued invoice, credit note or prepaid statement waits this long at most for the
/// family's ledger to be republished after the commit (see [`invoice_ready`]).
pub const INVOICE_HOLD_MS: i64 = 2 * 60 * 1000;

/// An "invoice issued" notification waiting for its family's ledger (see [`invoice_ready`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEvent {
    pub family_id: String,
    pub event_id: i64,
}

/// Document `number` (invoice, credit note, statement) issued to `family_id`; the phone syncs
/// the ledger `ledger_doc_id` and writes the notification from it. Called by
/// `invoicing::issued::on_issued`, in the issuing transaction. The ledger is republished
/// after the commit, so the event is held until [`invoice_ready`] (or [`INVOICE_HOLD_MS`]
/// if that never comes, e.g. after a crash: the ledger is then caught up at the first sync).
pub async fn invoice_issued(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
    number: &str,
    ledger_doc_id: &str,
    now_ms: i64,
) -> Result<Vec<HeldEvent>, sqlx::Error> {
    invoices_issued(
        conn,
        structure_id,
        &[(family_id, number, ledger_doc_id, now_ms)],
    )
    .await
}

/// [`invoice_issued`] for many documents, `(family, number, ledger document, issued at)`,
/// at once.
pub async fn invoices_issued(
    conn: &mut AnyConnection,
    structure_id: &str,
    issued: &[(&str, &str, &str, i64)],
) -> Result<Vec<HeldEvent>, sqlx::Error> {
    let events: Vec<Outgoing> = issued
        .iter()
        .map(|&(family_id, number, ledger_doc_id, now_ms)| {
            Outgoing::to_family(
                structure_id,
                family_id,
                PushEvent::InvoiceIssued,
                vec![DocumentId::new(ledger_doc_id)],
                now_ms,
            )
            .with_subject(number)
            .due_at(now_ms + INVOICE_HOLD_MS)
        })
        .collect();
    let ids = outbox::enqueue_many(conn, &events).await?;
    Ok(ids
        .into_iter()
        .filter_map(|(family_id, event_id)| {
            family_id.map(|family_id| HeldEvent {
                family_id,
                event_id,
            })
        })
        .collect())
}

/// The ledgers of the families of the `held` events now show their newly issued documents:
/// the events are due now. Released by id, so that another event of the family, held for a
/// document whose ledger is not written yet (a credit note issued meanwhile), stays held,
/// and so that the statement's plan does not hang on PostgreSQL's statistics of pending
/// events, which a monthly run outdates.
pub async fn invoice_ready<'a>(
    conn: &mut AnyConnection,
    held: impl IntoIterator<Item = &'a HeldEvent>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = held.into_iter().map(|h| h.event_id).collect();
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "UPDATE push_events SET due_at_ms = $1 WHERE id IN ({}) \
             AND state = 'pending' AND due_at_ms > $1",
            multi_row::list(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now_ms);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
