//! One PDF as the monthly run renders it: a November invoice for two children (canteen,
//! evening childcare, a justified absence refunded), with the demo town hall's identity and
//! legal mentions. `cargo bench -p cartable-invoice-pdf`.

use cartable_invoice_pdf::{PdfDocument, TableRow, render};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn row(
    child: &str,
    what: &str,
    quantity: &str,
    unit: &str,
    amount: &str,
    detail: &str,
) -> TableRow {
    TableRow {
        cells: [child, what, quantity, unit, amount].map(String::from),
        detail: detail.into(),
    }
}

fn november_invoice() -> PdfDocument {
    PdfDocument {
        title: "Facture".into(),
        number: "F2026-004217".into(),
        issuer: [
            "Mairie de Saint-Aubin-sur-Loire",
            "Régie des services périscolaires",
            "1 place de la Mairie, 44000 Saint-Aubin-sur-Loire",
            "SIRET 214 900 000 00012",
            "regie@saint-aubin.example · 02 41 00 00 00",
        ]
        .map(String::from)
        .to_vec(),
        recipient: ["Camille Moreau", "Famille Moreau", "12 rue des Écoles", "44000 Saint-Aubin-sur-Loire"]
            .map(String::from)
            .to_vec(),
        facts: [
            ("Période", "novembre 2026"),
            ("Date d'émission", "1er décembre 2026"),
            ("Date d'échéance", "31 décembre 2026"),
            ("Référence de paiement", "F2026-004217-MOREAU"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .to_vec(),
        columns: ["Enfant", "Prestation", "Qté", "Prix unitaire", "Montant"].map(String::from),
        rows: vec![
            row("Léa Moreau", "Restauration scolaire", "16", "3,05\u{a0}€", "48,80\u{a0}€", "QF 600 à 999"),
            row("Léa Moreau", "Accueil du soir", "8", "2,40\u{a0}€", "19,20\u{a0}€", "QF 600 à 999"),
            row("Léa Moreau", "Absence justifiée (certificat médical)", "1", "−3,05\u{a0}€", "−3,05\u{a0}€", "mardi 17 novembre 2026"),
            row("Hugo Moreau", "Restauration scolaire", "16", "2,75\u{a0}€", "44,00\u{a0}€", "QF 600 à 999, 2e enfant −10\u{a0}%"),
            row("Hugo Moreau", "Présence sans réservation", "1", "4,00\u{a0}€", "4,00\u{a0}€", "jeudi 26 novembre 2026"),
        ],
        totals: [("Total du mois", "112,95\u{a0}€"), ("Déjà payé", "0,00\u{a0}€"), ("Total à payer", "112,95\u{a0}€")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .to_vec(),
        notes: [
            ("Comment payer", "En ligne sur le portail (carte bancaire), par prélèvement, chèque à l'ordre du Trésor public, espèces ou CESU à la régie, en rappelant la référence de paiement."),
            ("Voies et délais de recours", "Dans un délai de deux mois suivant la réception de ce titre, vous pouvez contester la somme due en saisissant le tribunal judiciaire ou le tribunal administratif selon la nature de la créance."),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .to_vec(),
        footer: "Régie des services périscolaires de Saint-Aubin-sur-Loire ; TVA non applicable, article 256 B du CGI ; aucun escompte pour paiement anticipé.".into(),
    }
}

fn bench(c: &mut Criterion) {
    let invoice = november_invoice();
    // The first call reads the fonts; the run renders thousands per thread after that.
    if let Err(e) = render(&invoice) {
        panic!("the sample invoice does not render: {e}");
    }
    c.bench_function("render one invoice", |b| {
        b.iter(|| render(black_box(&invoice)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
