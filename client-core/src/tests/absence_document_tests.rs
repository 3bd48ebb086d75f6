//! An absence declared offline with a medical note still queued: the link between them is kept
//! in the store, survives a restart, and the send that delivers the note joins it.

use super::fake_server::{CANTINE, LEA};
use super::{Family, MONDAY};
use crate::domain::school_year::SchoolYear;
use crate::{AbsenceLink, Client, DocumentState, Error};
use jiff::civil::date;

const NOTE: &[u8] =
    b"%PDF-1.4\n% certificat\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

fn monday_absence(client: &Client) -> Option<crate::CellAbsence> {
    client
        .planning_view(None, MONDAY, MONDAY)
        .expect("view")
        .cell(LEA, MONDAY, CANTINE)
        .expect("cell")
        .absence
        .clone()
}

#[test]
fn a_note_queued_offline_is_joined_to_its_absence_after_a_restart_once_sent() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.sync().expect("accepted");

    family.server.set_offline(true);
    let note = client
        .queue_document("certificat.pdf", NOTE, "medical_note", Some(LEA), None)
        .expect("queued offline");
    let report = client
        .declare_absence_with_queued_document(LEA, MONDAY, MONDAY, " malade ", &note)
        .expect("declared offline");
    assert_eq!(report.written, 1);
    let absence = monday_absence(&client).expect("declared at once");
    assert_eq!(
        (absence.reason.as_str(), absence.document_id),
        ("malade", None)
    );
    let sent = client.send_documents().expect("offline is no error");
    assert_eq!((sent.sent, sent.absences_joined), (0, 0));

    // The app is closed before the note could leave, then opened again on the same folder.
    drop(client);
    let client = family.open(dir.path());
    let queued = client.documents().expect("documents");
    assert_eq!(queued.len(), 1);
    assert!(matches!(
        queued[0].state,
        DocumentState::WaitingToSend { .. }
    ));
    assert_eq!(
        queued[0].absence,
        Some(AbsenceLink {
            child_id: LEA.into(),
            from: MONDAY,
            to: MONDAY,
            reason: "malade".into(),
        }),
        "the pending note still shows with its absence"
    );

    // Back online, one sync sends the note, joins it and sends the absence with it.
    family.server.set_offline(false);
    client.sync().expect("sync");
    let docs = client.documents().expect("documents");
    let server_id = docs[0].server_id.clone().expect("the note was sent");
    assert_eq!(docs[0].absence, None, "joined: the link is gone");
    let absence = monday_absence(&client).expect("absence");
    assert_eq!(absence.document_id.as_deref(), Some(server_id.as_str()));
    assert_eq!(client.status().expect("status").pending_changes, 0);
    let on_server = family.server.planning(SchoolYear(2026));
    let declared: Vec<_> = on_server.absences.values().collect();
    assert_eq!(declared.len(), 1);
    assert_eq!(
        declared[0].document_id.as_deref(),
        Some(server_id.as_str()),
        "the server has the absence with its note"
    );
    assert!(
        absence.outcome.is_some_and(|o| !o.billed),
        "decided by the server: not billed"
    );
}

#[test]
fn a_note_the_server_has_is_joined_at_once_and_an_unknown_one_is_refused() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    client.book(LEA, MONDAY, CANTINE).expect("book");
    client.sync().expect("accepted");

    let err = client
        .declare_absence_with_queued_document(LEA, MONDAY, MONDAY, "malade", "inconnu")
        .expect_err("not in the queue");
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert_eq!(monday_absence(&client), None, "nothing declared");

    let note = client
        .queue_document("certificat.pdf", NOTE, "medical_note", Some(LEA), None)
        .expect("queued");
    client.send_documents().expect("sent");
    let server_id = client.documents().expect("documents")[0]
        .server_id
        .clone()
        .expect("sent");
    client
        .declare_absence_with_queued_document(LEA, MONDAY, MONDAY, "malade", &note)
        .expect("declared");
    let absence = monday_absence(&client).expect("absence");
    assert_eq!(absence.document_id.as_deref(), Some(server_id.as_str()));
    assert_eq!(client.documents().expect("documents")[0].absence, None);
}

#[test]
fn an_absence_that_cannot_be_declared_keeps_no_link_to_its_note() {
    let family = Family::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = family.device(dir.path(), "Pixel");
    family.server.set_offline(true);
    let note = client
        .queue_document("certificat.pdf", NOTE, "medical_note", Some(LEA), None)
        .expect("queued");
    let friday = date(2026, 12, 4);
    let err = client
        .declare_absence_with_queued_document(LEA, friday, friday, "malade", &note)
        .expect_err("nothing booked that day");
    assert!(err.to_string().contains("aucune réservation"), "{err}");
    assert_eq!(
        client.documents().expect("documents")[0].absence,
        None,
        "no link kept for an absence that was not declared"
    );
}
