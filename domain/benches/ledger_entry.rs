//! Creating the month's invoice in a family's ledger document: autosurgeon's insertions field
//! by field against one `batch_create_object` of the entry's values
//! (`cartable_domain::ledger_values`), on ledgers holding one month and a school year.
//!
//! `cargo bench -p cartable-domain --bench ledger_entry`; figures in docs/BENCHMARKS.md.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ROOT, ReadDoc};
use cartable_domain::ledger::{Ledger, LedgerDocument, LedgerLine};
use cartable_domain::ledger_values::EntryValue;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// An invoice of two children: canteen, morning and evening childcare each.
fn invoice(seq: u32) -> LedgerDocument {
    let number = format!("F2026-{seq:06}");
    LedgerDocument {
        kind: "invoice".into(),
        number: number.clone(),
        month: format!("2026-{:02}", seq % 12 + 1),
        issued_on: "2026-12-01".into(),
        due_on: "2026-12-31".into(),
        total_cents: 18_220,
        remaining_cents: 18_220,
        refers_to: String::new(),
        reason: String::new(),
        payment_reference: number,
        pdf_sha256: String::new(),
        lines: ["Léa", "Hugo"]
            .into_iter()
            .flat_map(|child| {
                [
                    "Restauration scolaire",
                    "Accueil du matin",
                    "Accueil du soir",
                ]
                .map(|activity| LedgerLine {
                    label: "Jours réservés".into(),
                    child_name: child.into(),
                    activity_name: activity.into(),
                    basis: "QF de 601 à 900".into(),
                    quantity: 16,
                    unit_cents: 305,
                    total_cents: 4_880,
                })
            })
            .collect(),
    }
}

/// A ledger document holding `months` invoices, and its `documents` map.
fn ledger(months: u32) -> (AutoCommit, ObjId) {
    let mut ledger = Ledger {
        family_id: "f1".into(),
        ..Default::default()
    };
    for seq in 1..=months {
        let entry = invoice(seq);
        ledger.documents.insert(entry.number.clone(), entry);
    }
    let mut doc = AutoCommit::new();
    autosurgeon::reconcile(&mut doc, &ledger).expect("ledger written");
    doc.commit();
    let documents = match doc.get(ROOT, "documents").expect("read") {
        Some((_, id)) => id,
        None => panic!("a ledger has its documents map"),
    };
    (doc, documents)
}

fn bench(c: &mut Criterion) {
    for months in [1, 10] {
        let (doc, documents) = ledger(months);
        let next = invoice(months + 1);
        let mut group = c.benchmark_group(format!("new ledger entry, {months} month(s) before"));
        group.bench_function("autosurgeon, field by field", |b| {
            b.iter_batched(
                || doc.clone(),
                |mut doc| {
                    autosurgeon::reconcile_prop(&mut doc, &documents, next.number.as_str(), &next)
                        .expect("written");
                    black_box(doc.commit())
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function("one batch_create_object", |b| {
            b.iter_batched(
                || doc.clone(),
                |mut doc| {
                    doc.batch_create_object(
                        &documents,
                        next.number.as_str(),
                        &next.entry_value(),
                        false,
                    )
                    .expect("written");
                    black_box(doc.commit())
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
