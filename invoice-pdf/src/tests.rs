use super::*;
use std::io::Write;

fn sample(rows: usize) -> PdfDocument {
    PdfDocument {
        title: "Facture".into(),
        number: "F2026-000042".into(),
        issuer: vec![
            "Mairie de Saint-Aubin-sur-Loire".into(),
            "Régie périscolaire".into(),
            "SIRET 213 600 000 00017".into(),
        ],
        recipient: vec!["Camille Martin".into(), "Famille Martin".into()],
        facts: vec![
            ("Période".into(), "novembre 2026".into()),
            ("Date d'échéance".into(), "mardi 1er décembre 2026".into()),
        ],
        columns: [
            "Enfant".into(),
            "Prestation".into(),
            "Qté".into(),
            "Prix unitaire".into(),
            "Montant".into(),
        ],
        rows: (0..rows)
            .map(|i| TableRow {
                cells: [
                    "Léa Martin".into(),
                    format!("Restauration scolaire — jours réservés n°{i}"),
                    "16".into(),
                    "3,05\u{a0}€".into(),
                    "48,80\u{a0}€".into(),
                ],
                detail: "QF 600 à 999, 2e enfant −10 %".into(),
            })
            .collect(),
        totals: vec![("Total à payer".into(), "1\u{a0}234,56\u{a0}€".into())],
        notes: vec![(
            "Voies et délais de recours".into(),
            "Dans un délai de deux mois suivant la réception de cette facture, vous pouvez \
             contester la somme due en saisissant le tribunal compétent."
                .into(),
        )],
        footer: "Facture émise par la régie ; aucun escompte pour paiement anticipé.".into(),
    }
}

/// The text of a PDF as pdftotext extracts it, or `None` when pdftotext is not installed.
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile_dir();
    let path = dir.join("facture.pdf");
    let mut f = std::fs::File::create(&path).ok()?;
    f.write_all(pdf).ok()?;
    let out = std::process::Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        _ => {
            if std::env::var("CARTABLE_REQUIRE_ALL").is_ok_and(|v| v == "1") {
                panic!("CARTABLE_REQUIRE_ALL=1 but pdftotext (poppler-utils) is missing");
            }
            eprintln!("SKIPPED text extraction: pdftotext is not installed");
            None
        }
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cartable-pdf-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[test]
fn an_invoice_pdf_embeds_its_fonts_and_its_text_is_extractable_with_accents_and_euros() {
    let pdf = render(&sample(3)).expect("render");
    assert!(pdf.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("FontFile2"), "fonts are embedded");
    assert!(raw.contains("DejaVuSans"), "DejaVu is the embedded font");
    // Subset: far smaller than the 750 KB fonts.
    assert!(pdf.len() < 120_000, "{} bytes", pdf.len());
    let Some(text) = pdftotext(&pdf) else { return };
    for expected in [
        "Facture n° F2026-000042",
        "Mairie de Saint-Aubin-sur-Loire",
        "Régie périscolaire",
        "Léa Martin",
        "Restauration scolaire — jours réservés n°2",
        "3,05 €",
        "Total à payer",
        "1 234,56 €",
        "Voies et délais de recours",
        "QF 600 à 999, 2e enfant −10 %",
    ] {
        assert!(
            text.replace('\u{a0}', " ").contains(expected),
            "« {expected} » missing from:\n{text}"
        );
    }
}

#[test]
fn a_long_invoice_breaks_into_numbered_pages() {
    let pdf = render(&sample(80)).expect("render");
    let raw = String::from_utf8_lossy(&pdf);
    let pages = raw.matches("/Type /Page\n").count()
        + raw.matches("/Type /Page ").count()
        + raw.matches("/Type/Page/").count();
    let Some(text) = pdftotext(&pdf) else {
        assert!(pages >= 1);
        return;
    };
    assert!(text.contains("page 1 / "), "{text}");
    assert!(text.contains("n°79"), "the last row is printed");
    // The table header is repeated on the next page.
    assert!(text.matches("Prix unitaire").count() >= 2);
}

#[test]
fn a_document_rendered_again_with_its_texts_already_shaped_is_the_same_pdf() {
    let first = render(&sample(3)).expect("render");
    let other = render(&sample(12)).expect("render");
    let again = render(&sample(3)).expect("render");
    assert_ne!(first, other);
    assert!(
        first == again,
        "the shaping kept by the thread changed the PDF"
    );
}

#[test]
fn the_kept_glyphs_are_those_of_a_fresh_shaping() {
    let shaper = crate::shaping::Shaper::new(crate::metrics::REGULAR).expect("font");
    for text in [
        "Facture n° F2026-000042",
        "Léa — 1 234,56 €",
        "ﬁn « Œuvre »",
        "",
    ] {
        let fresh = shaper.shape(text);
        let kept = shaper.shape(text);
        assert_eq!(fresh.len(), kept.len(), "{text}");
        for (a, b) in fresh.iter().zip(kept.iter()) {
            assert_eq!(a.glyph_id, b.glyph_id, "{text}");
            assert_eq!(a.text_range, b.text_range, "{text}");
            assert_eq!(a.x_advance.to_bits(), b.x_advance.to_bits(), "{text}");
        }
    }
}

#[test]
fn the_embedded_fonts_keep_their_copyright_and_the_address_of_their_license() {
    use skrifa::raw::TableProvider;
    for bytes in [crate::metrics::REGULAR, crate::metrics::BOLD] {
        let font = skrifa::FontRef::new(bytes).expect("font");
        let name = font.name().expect("name table");
        let text_of = |id: u16| {
            name.name_record()
                .iter()
                .filter(|r| r.name_id().to_u16() == id)
                .filter_map(|r| r.string(name.string_data()).ok())
                .map(|s| s.chars().collect::<String>())
                .next()
                .unwrap_or_default()
        };
        assert!(text_of(0).contains("Bitstream"), "copyright notice");
        assert!(text_of(14).contains("dejavu"), "license address");
        // The license's full text (4.7 KB, in every PDF's fonts) is in LICENSE-DejaVu.txt.
        assert!(text_of(13).is_empty());
    }
}
