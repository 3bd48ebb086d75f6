//! Text shaped into glyphs with the embedded fonts. Each font's shaping tables are read once
//! per thread: krilla's `draw_text` reads them from the font again for every piece of text,
//! which was a fifth of an invoice's rendering time. The shaping itself is krilla's (rustybuzz
//! with the default features, each glyph mapped back to its characters), so the glyphs, their
//! positions and the extractable text are the same.
//!
//! Most of an invoice's text is the same on every invoice of a run (the issuer, headings,
//! activities, the paragraphs on how to pay and appeal), so each thread also keeps the glyphs
//! of the texts it shaped last: shaping depends only on the font and the text.

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Face, UnicodeBuffer};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// How many shaped texts a thread keeps per font before starting afresh (a few hundred
/// distinct lines make a run's invoices; names and amounts come and go).
const CACHED_TEXTS: usize = 4096;

/// One font ready to shape.
pub struct Shaper {
    face: Face<'static>,
    units_per_em: f32,
    shaped: RefCell<HashMap<Box<str>, Rc<[KrillaGlyph]>>>,
}

impl Shaper {
    pub fn new(data: &'static [u8]) -> Option<Shaper> {
        let face = Face::from_slice(data, 0)?;
        let units_per_em = face.units_per_em() as f32;
        Some(Shaper {
            face,
            units_per_em,
            shaped: RefCell::new(HashMap::new()),
        })
    }

    /// The glyphs of `text`, advances and offsets in units of the font size, shaped once
    /// per thread while the text stays among the recently shaped ones.
    pub fn shape(&self, text: &str) -> Rc<[KrillaGlyph]> {
        if let Some(glyphs) = self.shaped.borrow().get(text) {
            return glyphs.clone();
        }
        let glyphs: Rc<[KrillaGlyph]> = self.shape_now(text).into();
        let mut shaped = self.shaped.borrow_mut();
        if shaped.len() >= CACHED_TEXTS {
            shaped.clear();
        }
        shaped.insert(text.into(), glyphs.clone());
        glyphs
    }

    fn shape_now(&self, text: &str) -> Vec<KrillaGlyph> {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let forward = matches!(
            buffer.direction(),
            Direction::LeftToRight | Direction::TopToBottom
        );
        let output = rustybuzz::shape(&self.face, &[], buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let em = self.units_per_em;
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // The cluster ends where the next cluster (in text order) starts.
            let next = if forward {
                infos[i..].iter().find(|n| n.cluster != info.cluster)
            } else {
                infos[..i].iter().rev().find(|n| n.cluster != info.cluster)
            };
            let end = next.map_or(text.len(), |n| n.cluster as usize);
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / em,
                pos.x_offset as f32 / em,
                pos.y_offset as f32 / em,
                pos.y_advance as f32 / em,
                start..end,
                None,
            ));
        }
        glyphs
    }
}
