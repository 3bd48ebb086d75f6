//! A ledger's entries as Automerge values, so that a new entry is created in one batch.
//!
//! `autosurgeon` writes a new map entry field by field, each field one insertion into the
//! document's operations: an invoice's entry with six lines takes 200 µs that way on a ledger
//! of one month, against 37 µs as one `batch_create_object` of the same values (245 against
//! 40 µs after ten months; `cargo bench -p cartable-domain --bench ledger_entry`). A monthly
//! run creates one such entry in every family's ledger.
//!
//! The values are the ones `autosurgeon`'s derive writes (strings as `Str`, `u32` as `Uint`,
//! `i64` as `Int`, a `Vec` as a list of maps); the tests compare both writes value for value.
//! Each struct is taken apart whole, so a field added to it does not compile until it is
//! written here too.

use crate::ledger::{LedgerDocument, LedgerLine, LedgerPayment};
use automerge::hydrate::Value;
use std::collections::HashMap;

/// An entry of the ledger's `documents` or `payments` map, as one Automerge value.
pub trait EntryValue {
    fn entry_value(&self) -> Value;
}

fn map(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::from(fields.into_iter().collect::<HashMap<&str, Value>>())
}

impl EntryValue for LedgerDocument {
    fn entry_value(&self) -> Value {
        let LedgerDocument {
            kind,
            number,
            month,
            issued_on,
            due_on,
            total_cents,
            remaining_cents,
            refers_to,
            reason,
            payment_reference,
            pdf_sha256,
            lines,
        } = self;
        map([
            ("kind", kind.as_str().into()),
            ("number", number.as_str().into()),
            ("month", month.as_str().into()),
            ("issued_on", issued_on.as_str().into()),
            ("due_on", due_on.as_str().into()),
            ("total_cents", (*total_cents).into()),
            ("remaining_cents", (*remaining_cents).into()),
            ("refers_to", refers_to.as_str().into()),
            ("reason", reason.as_str().into()),
            ("payment_reference", payment_reference.as_str().into()),
            ("pdf_sha256", pdf_sha256.as_str().into()),
            ("lines", lines.iter().map(line).collect::<Vec<_>>().into()),
        ])
    }
}

fn line(line: &LedgerLine) -> Value {
    let LedgerLine {
        label,
        child_name,
        activity_name,
        basis,
        quantity,
        unit_cents,
        total_cents,
    } = line;
    map([
        ("label", label.as_str().into()),
        ("child_name", child_name.as_str().into()),
        ("activity_name", activity_name.as_str().into()),
        ("basis", basis.as_str().into()),
        ("quantity", (*quantity).into()),
        ("unit_cents", (*unit_cents).into()),
        ("total_cents", (*total_cents).into()),
    ])
}

impl EntryValue for LedgerPayment {
    fn entry_value(&self) -> Value {
        let LedgerPayment {
            received_on,
            method,
            amount_cents,
            invoice_number,
            reference,
        } = self;
        map([
            ("received_on", received_on.as_str().into()),
            ("method", method.as_str().into()),
            ("amount_cents", (*amount_cents).into()),
            ("invoice_number", invoice_number.as_str().into()),
            ("reference", reference.as_str().into()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
    use autosurgeon::Reconcile;

    fn invoice() -> LedgerDocument {
        LedgerDocument {
            kind: "invoice".into(),
            number: "F2026-000042".into(),
            month: "2026-11".into(),
            issued_on: "2026-12-01".into(),
            due_on: "2026-12-31".into(),
            total_cents: 9_455,
            remaining_cents: 4_455,
            refers_to: "F2026-000001".into(),
            reason: "Erreur de pointage".into(),
            payment_reference: "CART-F2026-000042".into(),
            pdf_sha256: "ab12".into(),
            lines: vec![
                LedgerLine {
                    label: "Repas".into(),
                    child_name: "Léa".into(),
                    activity_name: "Restauration scolaire".into(),
                    basis: "QF 600 à 999".into(),
                    quantity: 16,
                    unit_cents: 305,
                    total_cents: 4_880,
                },
                LedgerLine {
                    label: "Remboursement absence justifiée".into(),
                    child_name: "Hugo".into(),
                    activity_name: "Garderie du soir".into(),
                    basis: String::new(),
                    quantity: 2,
                    unit_cents: -150,
                    total_cents: -300,
                },
            ],
        }
    }

    fn payment() -> LedgerPayment {
        LedgerPayment {
            received_on: "2026-12-05".into(),
            method: "cheque".into(),
            amount_cents: 5_000,
            invoice_number: "F2026-000042".into(),
            reference: "n° 1234567".into(),
        }
    }

    /// The entry at `key` of a fresh map, written by autosurgeon and by one batch.
    fn both_ways<T: Reconcile + EntryValue>(value: &T) -> (Value, Value) {
        let mut by_autosurgeon = AutoCommit::new();
        let map = by_autosurgeon
            .put_object(ROOT, "entries", ObjType::Map)
            .expect("map");
        autosurgeon::reconcile_prop(&mut by_autosurgeon, &map, "k", value).expect("reconcile");
        let mut in_one_batch = AutoCommit::new();
        let map2 = in_one_batch
            .put_object(ROOT, "entries", ObjType::Map)
            .expect("map");
        in_one_batch
            .batch_create_object(&map2, "k", &value.entry_value(), false)
            .expect("batch");
        (
            by_autosurgeon.hydrate(&map, None).expect("hydrate"),
            in_one_batch.hydrate(&map2, None).expect("hydrate"),
        )
    }

    #[test]
    fn a_document_entry_holds_the_values_autosurgeon_writes() {
        let (expected, got) = both_ways(&invoice());
        assert_eq!(got, expected);
    }

    #[test]
    fn a_document_without_lines_holds_an_empty_list() {
        let (expected, got) = both_ways(&LedgerDocument {
            lines: Vec::new(),
            ..invoice()
        });
        assert_eq!(got, expected);
    }

    #[test]
    fn a_payment_entry_holds_the_values_autosurgeon_writes() {
        let (expected, got) = both_ways(&payment());
        assert_eq!(got, expected);
    }

    #[test]
    fn an_entry_reads_back_as_the_struct_it_came_from() {
        let mut doc = AutoCommit::new();
        let map = doc
            .put_object(ROOT, "documents", ObjType::Map)
            .expect("map");
        doc.batch_create_object(&map, "F2026-000042", &invoice().entry_value(), false)
            .expect("batch");
        let path = ["documents", "F2026-000042"].map(autosurgeon::Prop::from);
        let back: LedgerDocument = autosurgeon::hydrate_path(&doc, &ROOT, path)
            .expect("hydrate")
            .expect("present");
        assert_eq!(back, invoice());
    }
}
