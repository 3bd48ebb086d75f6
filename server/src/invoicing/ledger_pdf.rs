//! The PDFs' hashes in a family's ledger document: written alone, after the PDFs are
//! stored, into a ledger that shows their documents already (created by the issuing
//! transaction), instead of rebuilding the whole ledger from the tables.

use crate::error::{AppError, AppResult};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};

/// Writes the hashes of newly stored PDFs, `(number, sha256)`, into a current ledger
/// document, touching nothing else. Returns false, having written nothing, when a document
/// is not in the ledger (then the whole ledger must be rebuilt from the tables).
pub fn put_pdf_hashes(doc: &mut AutoCommit, hashes: &[(&str, &str)]) -> AppResult<bool> {
    let am = |e: automerge::AutomergeError| {
        AppError::internal(format!("écriture du relevé de compte : {e}"))
    };
    let Some((Value::Object(ObjType::Map), documents)) = doc.get(ROOT, "documents").map_err(am)?
    else {
        return Ok(false);
    };
    let mut entries = Vec::with_capacity(hashes.len());
    for (number, sha256) in hashes {
        match doc.get(&documents, *number).map_err(am)? {
            Some((Value::Object(ObjType::Map), entry)) => entries.push((entry, *sha256)),
            _ => return Ok(false),
        }
    }
    for (entry, sha256) in entries {
        let same = matches!(
            doc.get(&entry, "pdf_sha256").map_err(am)?,
            Some((Value::Scalar(s), _)) if s.as_str() == Some(sha256)
        );
        if !same {
            doc.put(&entry, "pdf_sha256", sha256).map_err(am)?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::ledger::{Ledger, LedgerDocument};

    fn document(number: &str) -> LedgerDocument {
        LedgerDocument {
            kind: "invoice".into(),
            number: number.into(),
            month: "2026-11".into(),
            issued_on: "2026-12-01".into(),
            due_on: "2026-12-31".into(),
            total_cents: 9130,
            remaining_cents: 9130,
            refers_to: String::new(),
            reason: String::new(),
            payment_reference: number.into(),
            pdf_sha256: String::new(),
            lines: Vec::new(),
        }
    }

    fn ledger_doc(numbers: &[&str]) -> (AutoCommit, Ledger) {
        let mut ledger = Ledger {
            family_id: "f1".into(),
            ..Default::default()
        };
        for n in numbers {
            ledger.documents.insert((*n).to_string(), document(n));
        }
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &ledger).expect("reconcile");
        (doc, ledger)
    }

    #[test]
    fn the_hashes_of_the_documents_named_are_written_and_nothing_else() {
        let (mut doc, mut expected) = ledger_doc(&["F2026-000001", "F2026-000002"]);
        let written = put_pdf_hashes(&mut doc, &[("F2026-000002", "ab12")]).expect("put");
        assert!(written);
        if let Some(d) = expected.documents.get_mut("F2026-000002") {
            d.pdf_sha256 = "ab12".into();
        }
        let read: Ledger = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(read, expected);
    }

    #[test]
    fn a_document_missing_from_the_ledger_writes_nothing() {
        let (mut doc, expected) = ledger_doc(&["F2026-000001"]);
        let heads = doc.get_heads();
        let written = put_pdf_hashes(
            &mut doc,
            &[("F2026-000001", "ab12"), ("F2026-000009", "cd34")],
        )
        .expect("put");
        assert!(!written);
        assert_eq!(doc.get_heads(), heads);
        let read: Ledger = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(read, expected);
    }

    #[test]
    fn a_hash_already_there_is_not_written_again() {
        let (mut doc, _) = ledger_doc(&["F2026-000001"]);
        assert!(put_pdf_hashes(&mut doc, &[("F2026-000001", "ab12")]).expect("put"));
        let heads = doc.get_heads();
        assert!(put_pdf_hashes(&mut doc, &[("F2026-000001", "ab12")]).expect("put"));
        assert_eq!(doc.get_heads(), heads);
    }
}
