//! The embedded fonts and their text widths (from the fonts' own advance widths, read with
//! skrifa once per process).

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::collections::HashMap;
use std::sync::OnceLock;

pub static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
pub static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Characters below this code point (Latin, with French's accents) are looked up in an
/// array; the others (typographic spaces and signs, the euro) in a map.
const DIRECT: u32 = 0x250;

/// Advance widths at a size of 1 point, per character.
pub struct Widths {
    /// Indexed by code point, below [`DIRECT`]; `None` when the font has no glyph.
    direct: Vec<Option<f32>>,
    others: HashMap<char, f32>,
    fallback: f32,
}

impl Widths {
    fn of(bytes: &'static [u8]) -> Option<Widths> {
        let font = FontRef::new(bytes).ok()?;
        let metrics = font.glyph_metrics(Size::new(1.0), LocationRef::default());
        let charmap = font.charmap();
        let mut direct = vec![None; DIRECT as usize];
        let mut others = HashMap::new();
        let chars = (0x20u32..DIRECT)
            .chain(0x2000..0x2070)
            .chain([0x20ac, 0x202f, 0x2116]);
        for code in chars {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if let Some(w) = charmap.map(c).and_then(|g| metrics.advance_width(g)) {
                match direct.get_mut(code as usize) {
                    Some(slot) => *slot = Some(w),
                    None => {
                        others.insert(c, w);
                    }
                }
            }
        }
        let fallback = direct.get('M' as usize).copied().flatten().unwrap_or(0.8);
        Some(Widths {
            direct,
            others,
            fallback,
        })
    }

    fn of_char(&self, c: char) -> f32 {
        match self.direct.get(c as usize) {
            Some(w) => w.unwrap_or(self.fallback),
            None => self.others.get(&c).copied().unwrap_or(self.fallback),
        }
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.of_char(c)).sum::<f32>() * size
    }
}

/// The widths of the regular and bold faces.
pub fn widths() -> Option<(&'static Widths, &'static Widths)> {
    static W: OnceLock<Option<(Widths, Widths)>> = OnceLock::new();
    W.get_or_init(|| Some((Widths::of(REGULAR)?, Widths::of(BOLD)?)))
        .as_ref()
        .map(|(r, b)| (r, b))
}
