//! Invoices, credit notes, statements and payment certificates as PDF.
//!
//! Plain data in ([`PdfDocument`]: every text already written in French by the caller), PDF
//! bytes out. The DejaVu Sans fonts are compiled into the binary (no font needed at run time),
//! embedded and subset by `krilla`; its ToUnicode maps keep the text extractable (accents and
//! the euro sign included). Layout (columns, line breaks, page breaks) is done here with text
//! widths measured from the font.

mod layout;
mod metrics;
mod shaping;

pub use layout::render;

/// Everything a document shows, top to bottom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfDocument {
    /// "Facture", "Avoir", "Relevé de consommation", "Attestation de paiement".
    pub title: String,
    /// "F2026-000042" (may be empty).
    pub number: String,
    /// The issuer's block, first line in bold: name, legal name, address, SIRET, contact.
    pub issuer: Vec<String>,
    /// The recipient's block: billing adult, family, address.
    pub recipient: Vec<String>,
    /// Key facts under the title: ("Date d'émission", "16 novembre 2026"), …
    pub facts: Vec<(String, String)>,
    /// Column headings of the table (5 columns: who, what, quantity, unit price, amount).
    pub columns: [String; 5],
    pub rows: Vec<TableRow>,
    /// Totals under the table, the last one in bold: ("Total à payer", "91,30 €").
    pub totals: Vec<(String, String)>,
    /// Paragraphs after the table: ("Comment payer", "…"), ("Voies et délais de recours", "…").
    pub notes: Vec<(String, String)>,
    /// Small print at the bottom of every page.
    pub footer: String,
}

/// One row of the table, with an optional detail line in small print under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRow {
    pub cells: [String; 5],
    pub detail: String,
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("police embarquée illisible")]
    Font,
    #[error("PDF : {0}")]
    Krilla(String),
}

#[cfg(test)]
mod tests;
