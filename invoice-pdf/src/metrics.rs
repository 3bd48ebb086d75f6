//! The embedded fonts and their text widths (from the fonts' own advance widths, read with
//! skrifa once per process).

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::collections::HashMap;
use std::sync::OnceLock;

pub static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
pub static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Advance widths at a size of 1 point, per character.
pub struct Widths {
    by_char: HashMap<char, f32>,
    fallback: f32,
}

impl Widths {
    fn of(bytes: &'static [u8]) -> Option<Widths> {
        let font = FontRef::new(bytes).ok()?;
        let metrics = font.glyph_metrics(Size::new(1.0), LocationRef::default());
        let charmap = font.charmap();
        let mut by_char = HashMap::new();
        let chars = (0x20u32..0x250)
            .chain(0x2000..0x2070)
            .chain([0x20ac, 0x202f, 0x2116]);
        for code in chars {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if let Some(w) = charmap.map(c).and_then(|g| metrics.advance_width(g)) {
                by_char.insert(c, w);
            }
        }
        let fallback = by_char.get(&'M').copied().unwrap_or(0.8);
        Some(Widths { by_char, fallback })
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.by_char.get(&c).copied().unwrap_or(self.fallback))
            .sum::<f32>()
            * size
    }
}

/// The widths of the regular and bold faces.
pub fn widths() -> Option<(&'static Widths, &'static Widths)> {
    static W: OnceLock<Option<(Widths, Widths)>> = OnceLock::new();
    W.get_or_init(|| Some((Widths::of(REGULAR)?, Widths::of(BOLD)?)))
        .as_ref()
        .map(|(r, b)| (r, b))
}
