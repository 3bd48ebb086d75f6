//! Writing a family's [`Ledger`] into its document, touching only what differs.
//!
//! `autosurgeon::reconcile` of the whole ledger reads back every field of every document the
//! family was ever sent (each invoice's lines compared element by element) to find the one
//! new invoice of the month: in a monthly run where every family already had a ledger, that
//! was a quarter of the run's CPU. An issued document never changes (corrections are credit
//! notes, which are documents of their own) and neither does a recorded payment: of an entry
//! already in the document only what follows from later rows is compared, the remaining
//! amount and the PDF's hash. New entries are written whole in one batch of operations
//! (five times cheaper than field by field, see `ledger_values`), entries gone from the tables
//! are deleted, and the few fields at the top (balance, billing mode, QF history) are
//! reconciled as before.
//!
//! When [`LedgerDocument`] or [`LedgerPayment`] gains a field, entries written before it
//! keep the field's default until the ledger is written again whole
//! ([`write_whole`]).

use crate::error::{AppError, AppResult};
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value, transaction::Transactable};
use autosurgeon::reconcile_prop;
use cartable_domain::ledger::{Ledger, LedgerDocument};
use cartable_domain::ledger_values::EntryValue;
use std::collections::BTreeMap;

fn am(e: automerge::AutomergeError) -> AppError {
    AppError::internal(format!("écriture du relevé de compte : {e}"))
}

fn rc(e: autosurgeon::ReconcileError) -> AppError {
    AppError::internal(format!("écriture du relevé de compte : {e}"))
}

/// Writes `ledger` into `doc`, whole (a new document, or one written by an older layout).
pub fn write_whole(doc: &mut AutoCommit, ledger: &Ledger) -> AppResult<()> {
    autosurgeon::reconcile(doc, ledger).map_err(rc)
}

/// Writes `ledger` into `doc`: the same document as [`write_whole`] gives, reading back only
/// what can have changed.
pub fn write(doc: &mut AutoCommit, ledger: &Ledger) -> AppResult<()> {
    let (Some(documents), Some(payments)) = (map_at(doc, "documents")?, map_at(doc, "payments")?)
    else {
        return write_whole(doc, ledger);
    };
    put_if_changed(doc, &ROOT, "family_id", Scalar::Str(&ledger.family_id))?;
    put_if_changed(doc, &ROOT, "prepaid", Scalar::Bool(ledger.prepaid))?;
    put_if_changed(
        doc,
        &ROOT,
        "balance_cents",
        Scalar::Int(ledger.balance_cents),
    )?;
    reconcile_prop(&mut *doc, ROOT, "quotient", &ledger.quotient).map_err(rc)?;
    write_entries(doc, &documents, &ledger.documents, |doc, entry, d| {
        update_document(doc, entry, d)
    })?;
    write_entries(doc, &payments, &ledger.payments, |_, _, _| Ok(()))
}

/// The map at `key` of the root, if the document has one.
fn map_at(doc: &AutoCommit, key: &str) -> AppResult<Option<ObjId>> {
    Ok(match doc.get(ROOT, key).map_err(am)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

/// Entries of `wanted` missing from the map `obj` are written whole, each in one batch of
/// operations ([`EntryValue`]), entries there are brought up to date by `update`, entries no
/// longer wanted are deleted.
fn write_entries<T: EntryValue>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    wanted: &BTreeMap<String, T>,
    update: impl Fn(&mut AutoCommit, &ObjId, &T) -> AppResult<()>,
) -> AppResult<()> {
    let present: Vec<String> = doc.keys(obj).collect();
    for key in &present {
        if !wanted.contains_key(key) {
            doc.delete(obj, key.as_str()).map_err(am)?;
        }
    }
    for (key, value) in wanted {
        match doc.get(obj, key.as_str()).map_err(am)? {
            Some((Value::Object(ObjType::Map), entry)) => update(doc, &entry, value)?,
            _ => {
                doc.batch_create_object(obj, key.as_str(), &value.entry_value(), false)
                    .map_err(am)?;
            }
        }
    }
    Ok(())
}

/// What of an issued document's entry follows from later rows: the amount left to pay
/// (payments, credit notes) and the PDF's hash (stored after the commit).
fn update_document(doc: &mut AutoCommit, entry: &ObjId, d: &LedgerDocument) -> AppResult<()> {
    put_if_changed(
        doc,
        entry,
        "remaining_cents",
        Scalar::Int(d.remaining_cents),
    )?;
    put_if_changed(doc, entry, "pdf_sha256", Scalar::Str(&d.pdf_sha256))
}

enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

fn put_if_changed(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: Scalar) -> AppResult<()> {
    let current = match doc.get(obj, key).map_err(am)? {
        Some((Value::Scalar(s), _)) => Some(s.into_owned()),
        _ => None,
    };
    let same = current.as_ref().is_some_and(|s| match value {
        Scalar::Str(v) => s.as_str() == Some(v),
        Scalar::Int(v) => s.as_i64() == Some(v),
        Scalar::Bool(v) => s.as_bool() == Some(v),
    });
    if same {
        return Ok(());
    }
    match value {
        Scalar::Str(v) => doc.put(obj, key, v),
        Scalar::Int(v) => doc.put(obj, key, v),
        Scalar::Bool(v) => doc.put(obj, key, v),
    }
    .map_err(am)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::ledger::{LedgerLine, LedgerPayment};
    use cartable_domain::pricing::QuotientPeriod;

    fn invoice(number: &str, month: &str, total_cents: i64) -> LedgerDocument {
        LedgerDocument {
            kind: "invoice".into(),
            number: number.into(),
            month: month.into(),
            issued_on: "2026-12-01".into(),
            due_on: "2026-12-31".into(),
            total_cents,
            remaining_cents: total_cents,
            refers_to: String::new(),
            reason: String::new(),
            payment_reference: number.into(),
            pdf_sha256: String::new(),
            lines: (0..6)
                .map(|i| LedgerLine {
                    label: format!("Restauration scolaire {i}"),
                    child_name: "Léa".into(),
                    activity_name: "Restauration scolaire".into(),
                    basis: "QF 600 à 999".into(),
                    quantity: 16,
                    unit_cents: 305,
                    total_cents: 4880,
                })
                .collect(),
        }
    }

    fn a_year(months: u32) -> Ledger {
        let mut ledger = Ledger {
            family_id: "f1".into(),
            quotient: vec![QuotientPeriod {
                from_month: "2026-09".into(),
                qf: Some(800),
            }],
            ..Default::default()
        };
        for m in 0..months {
            let number = format!("F2026-{:06}", m + 1);
            ledger
                .documents
                .insert(number.clone(), invoice(&number, "2026-10", 10_000));
            ledger.balance_cents -= 10_000;
        }
        ledger
    }

    fn hydrated(doc: &AutoCommit) -> Ledger {
        autosurgeon::hydrate(doc).expect("hydrate")
    }

    fn ops_of_last_change(doc: &mut AutoCommit) -> usize {
        doc.commit();
        let heads = doc.get_heads();
        doc.get_change_by_hash(&heads[0]).map_or(0, |c| c.len())
    }

    #[test]
    fn a_new_document_is_written_whole() {
        let ledger = a_year(2);
        let mut doc = AutoCommit::new();
        write(&mut doc, &ledger).expect("write");
        assert_eq!(hydrated(&doc), ledger);
    }

    #[test]
    fn every_later_change_reads_back_as_the_tables_say() {
        let mut ledger = a_year(3);
        let mut doc = AutoCommit::new();
        write(&mut doc, &ledger).expect("write");

        // A month later: a new invoice, a payment settling the first, its PDF stored, a
        // credit note on the second, a new QF, the third invoice gone (retention).
        let new = invoice("F2026-000004", "2026-11", 12_345);
        ledger.documents.insert(new.number.clone(), new);
        ledger.payments.insert(
            "p1".into(),
            LedgerPayment {
                received_on: "2026-12-05".into(),
                method: "card".into(),
                amount_cents: 10_000,
                invoice_number: "F2026-000001".into(),
                reference: "PAYFIP-1".into(),
            },
        );
        if let Some(first) = ledger.documents.get_mut("F2026-000001") {
            first.remaining_cents = 0;
            first.pdf_sha256 = "ab".repeat(32);
        }
        let mut credit = invoice("A2026-000001", "", -2_000);
        credit.kind = "credit_note".into();
        credit.refers_to = "F2026-000002".into();
        credit.remaining_cents = 0;
        ledger.documents.insert(credit.number.clone(), credit);
        if let Some(second) = ledger.documents.get_mut("F2026-000002") {
            second.remaining_cents = 8_000;
        }
        ledger.documents.remove("F2026-000003");
        ledger.quotient.push(QuotientPeriod {
            from_month: "2027-01".into(),
            qf: Some(650),
        });
        ledger.balance_cents = -24_345;
        ledger.prepaid = true;
        write(&mut doc, &ledger).expect("write again");
        assert_eq!(hydrated(&doc), ledger);

        // Written again unchanged: nothing.
        doc.commit();
        let before = doc.get_heads();
        write(&mut doc, &ledger).expect("write unchanged");
        doc.commit();
        assert_eq!(doc.get_heads(), before);
    }

    #[test]
    fn a_new_month_on_a_long_ledger_writes_what_the_whole_reconcile_writes() {
        let mut ledger = a_year(24);
        let mut doc = AutoCommit::new();
        write(&mut doc, &ledger).expect("write");
        doc.commit();
        let new = invoice("F2028-000001", "2028-08", 9_999);
        ledger.documents.insert(new.number.clone(), new.clone());
        ledger.balance_cents -= 9_999;

        let mut fast = doc.fork();
        write(&mut fast, &ledger).expect("write");
        let mut whole = doc.fork();
        write_whole(&mut whole, &ledger).expect("reconcile");
        assert_eq!(hydrated(&fast), hydrated(&whole));
        // The new entry and the balance, nothing else.
        assert_eq!(
            ops_of_last_change(&mut fast),
            ops_of_last_change(&mut whole)
        );
    }
}
