//! Lays a [`PdfDocument`] out on A4 pages (positions, line and page breaks), then draws it.

use crate::metrics::{self, BOLD, REGULAR, Widths};
use crate::shaping::Shaper;
use crate::{PdfDocument, PdfError};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::Font;
use std::sync::OnceLock;

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 48.0;
const RIGHT: f32 = PAGE_W - 48.0;
const BOTTOM: f32 = PAGE_H - 64.0;
/// Rows are grouped under their first cell (the child) in bold; the description starts a
/// little to the right; the three number columns are right-aligned.
const COL_WHAT: f32 = LEFT + 10.0;
const COL_QTY_RIGHT: f32 = 420.0;
const WHAT_WIDTH: f32 = COL_QTY_RIGHT - 36.0 - COL_WHAT;
const COL_UNIT_RIGHT: f32 = 486.0;
const COL_AMOUNT_RIGHT: f32 = RIGHT;

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        grey: bool,
        text: String,
    },
    Rule {
        y: f32,
    },
}

struct Pages<'a> {
    regular: &'a Widths,
    bold: &'a Widths,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pages<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        if bold {
            self.bold.width(text, size)
        } else {
            self.regular.width(text, size)
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, grey: bool, text: &str) {
        let y = self.y;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            bold,
            grey,
            text: text.to_string(),
        });
    }

    fn right(&mut self, right: f32, size: f32, bold: bool, text: &str) {
        let x = right - self.width(text, size, bold);
        self.text(x, size, bold, false, text);
    }

    fn rule(&mut self) {
        let y = self.y;
        self.ops().push(Op::Rule { y });
    }

    /// Starts a new page when fewer than `needed` points are left.
    fn ensure(&mut self, needed: f32) -> bool {
        if self.y + needed > BOTTOM {
            self.pages.push(Vec::new());
            self.y = 64.0;
            return true;
        }
        false
    }

    /// Splits `text` into lines no wider than `max` points.
    fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if !line.is_empty() && self.width(&candidate, size, bold) > max {
                    lines.push(std::mem::take(&mut line));
                    line = word.to_string();
                } else {
                    line = candidate;
                }
            }
            lines.push(line);
        }
        lines
    }

    fn paragraph(&mut self, x: f32, max: f32, size: f32, bold: bool, grey: bool, text: &str) {
        let leading = size * 1.35;
        for line in self.wrap(text, size, bold, max) {
            self.ensure(leading);
            self.y += leading;
            self.text(x, size, bold, grey, &line);
        }
    }
}

fn table_header(p: &mut Pages<'_>, doc: &PdfDocument) {
    p.y += 14.0;
    let [_, what, qty, unit, amount] = &doc.columns;
    p.text(LEFT, 8.5, true, false, what);
    p.right(COL_QTY_RIGHT, 8.5, true, qty);
    p.right(COL_UNIT_RIGHT, 8.5, true, unit);
    p.right(COL_AMOUNT_RIGHT, 8.5, true, amount);
    p.y += 5.0;
    p.rule();
}

fn lay_out(doc: &PdfDocument, regular: &Widths, bold: &Widths) -> Vec<Vec<Op>> {
    let mut p = Pages {
        regular,
        bold,
        pages: vec![Vec::new()],
        y: 48.0,
    };
    // Issuer (left) and recipient (right, where a window envelope shows it).
    for (i, line) in doc.issuer.iter().enumerate() {
        p.y += 12.0;
        p.text(LEFT, 9.0, i == 0, i > 0, line);
    }
    let issuer_end = p.y;
    p.y = 130.0;
    for (i, line) in doc.recipient.iter().enumerate() {
        p.y += 13.0;
        p.text(330.0, 10.0, i == 0, false, line);
    }
    p.y = p.y.max(issuer_end) + 36.0;
    let title = if doc.number.is_empty() {
        doc.title.clone()
    } else {
        format!("{} n° {}", doc.title, doc.number)
    };
    p.text(LEFT, 16.0, true, false, &title);
    p.y += 6.0;
    for (label, value) in &doc.facts {
        p.y += 13.0;
        p.text(LEFT, 9.5, false, true, &format!("{label} :"));
        p.text(170.0, 9.5, true, false, value);
    }
    p.y += 12.0;
    table_header(&mut p, doc);
    let mut group = String::new();
    for row in &doc.rows {
        let what = p.wrap(&row.cells[1], 9.0, false, WHAT_WIDTH);
        let detail = if row.detail.is_empty() {
            Vec::new()
        } else {
            p.wrap(&row.detail, 7.5, false, WHAT_WIDTH)
        };
        let starts_group = row.cells[0] != group && !row.cells[0].is_empty();
        let heading = if starts_group { 17.0 } else { 0.0 };
        let height = heading + 13.0 * what.len() as f32 + 10.0 * detail.len() as f32 + 4.0;
        if p.ensure(height) {
            table_header(&mut p, doc);
            if !starts_group && !group.is_empty() {
                p.y += 15.0;
                let continued = format!("{} (suite)", group);
                p.text(LEFT, 9.5, true, false, &continued);
            }
        }
        if starts_group {
            p.y += 17.0;
            p.text(LEFT, 9.5, true, false, &row.cells[0]);
        }
        group = row.cells[0].clone();
        p.y += 13.0;
        p.right(COL_QTY_RIGHT, 9.0, false, &row.cells[2]);
        p.right(COL_UNIT_RIGHT, 9.0, false, &row.cells[3]);
        p.right(COL_AMOUNT_RIGHT, 9.0, false, &row.cells[4]);
        for (i, line) in what.iter().enumerate() {
            if i > 0 {
                p.y += 13.0;
            }
            p.text(COL_WHAT, 9.0, false, false, line);
        }
        for line in &detail {
            p.y += 10.0;
            p.text(COL_WHAT, 7.5, false, true, line);
        }
        p.y += 2.0;
    }
    p.y += 6.0;
    p.rule();
    let last = doc.totals.len().saturating_sub(1);
    for (i, (label, value)) in doc.totals.iter().enumerate() {
        p.ensure(16.0);
        p.y += 15.0;
        let strong = i == last;
        let size = if strong { 11.0 } else { 9.5 };
        p.right(COL_UNIT_RIGHT, size, strong, label);
        p.right(COL_AMOUNT_RIGHT, size, strong, value);
    }
    p.y += 10.0;
    for (heading, text) in &doc.notes {
        p.ensure(40.0);
        p.y += 18.0;
        p.text(LEFT, 9.5, true, false, heading);
        p.paragraph(LEFT, RIGHT - LEFT, 8.5, false, false, text);
    }
    p.pages
}

thread_local! {
    /// The regular and bold fonts ready to shape, once per rendering thread.
    static SHAPERS: Option<(Shaper, Shaper)> = Shaper::new(REGULAR).zip(Shaper::new(BOLD));
}

fn fonts() -> Option<(Font, Font)> {
    static FONTS: OnceLock<Option<(Font, Font)>> = OnceLock::new();
    FONTS
        .get_or_init(|| Some((Font::new(REGULAR.into(), 0)?, Font::new(BOLD.into(), 0)?)))
        .clone()
}

fn fill(grey: bool) -> Fill {
    let shade = if grey { 90 } else { 20 };
    Fill {
        paint: rgb::Color::new(shade, shade, shade).into(),
        ..Default::default()
    }
}

/// Renders `doc` to PDF bytes.
pub fn render(doc: &PdfDocument) -> Result<Vec<u8>, PdfError> {
    SHAPERS.with(|shapers| {
        let (regular_s, bold_s) = shapers.as_ref().ok_or(PdfError::Font)?;
        render_with(doc, regular_s, bold_s)
    })
}

fn render_with(
    doc: &PdfDocument,
    regular_s: &Shaper,
    bold_s: &Shaper,
) -> Result<Vec<u8>, PdfError> {
    let (regular_w, bold_w) = metrics::widths().ok_or(PdfError::Font)?;
    let (regular, bold) = fonts().ok_or(PdfError::Font)?;
    let pages = lay_out(doc, regular_w, bold_w);
    let count = pages.len();
    let mut document = Document::new();
    let title = if doc.number.is_empty() {
        doc.title.clone()
    } else {
        format!("{} {}", doc.title, doc.number)
    };
    document.set_metadata(
        Metadata::new()
            .title(title)
            .language("fr-FR".to_string())
            .creator("Cartable".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(PdfError::Krilla("page".into()))?;
    for (index, ops) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: is_bold,
                    grey,
                    text,
                } => {
                    surface.set_fill(Some(fill(*grey)));
                    let (font, shaper) = if *is_bold {
                        (bold.clone(), bold_s)
                    } else {
                        (regular.clone(), regular_s)
                    };
                    surface.draw_glyphs(
                        Point::from_xy(*x, *y),
                        &shaper.shape(text),
                        font,
                        text,
                        *size,
                        false,
                    );
                }
                Op::Rule { y } => {
                    let mut builder = PathBuilder::new();
                    builder.move_to(LEFT, *y);
                    builder.line_to(RIGHT, *y);
                    if let Some(path) = builder.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: 0.6,
                            paint: rgb::Color::new(120, 120, 120).into(),
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
            }
        }
        let footer = if count > 1 {
            format!("{} — page {} / {count}", doc.footer, index + 1)
        } else {
            doc.footer.clone()
        };
        surface.set_fill(Some(fill(true)));
        let mut y = PAGE_H - 40.0;
        let measure = Pages {
            regular: regular_w,
            bold: bold_w,
            pages: Vec::new(),
            y: 0.0,
        };
        for line in measure.wrap(&footer, 7.0, false, RIGHT - LEFT) {
            surface.draw_glyphs(
                Point::from_xy(LEFT, y),
                &regular_s.shape(&line),
                regular.clone(),
                &line,
                7.0,
                false,
            );
            y += 9.0;
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Krilla(format!("{e:?}")))
}
