//! How a document's chunks are stored. An incremental chunk is Automerge's bytes as
//! `save_after` gives them. A snapshot written by compaction is Automerge's bytes without
//! its own column compression (`save_nocompress`), compressed whole with zstd: for a school
//! year of bookings (1,100 changes) 1.3 ms and 53 KB, against 6.2 ms and 85 KB for
//! Automerge's `save`, whose deflate at a fixed level was most of a compaction's cost; the
//! load costs the same. Snapshots stored before, and the small ones of new documents, are
//! Automerge's compressed bytes: a chunk is told apart by its first four bytes (zstd's frame
//! magic number is never the start of an Automerge chunk, whose magic is `85 6f 4a 83`).

use automerge::AutoCommit;
use std::borrow::Cow;

/// zstd's frame magic number, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// zstd's level: its default, 3 (a booked planning: 53.4 KB in about 0.3 ms beside the save;
/// level 1 gave 53.7 KB).
const LEVEL: i32 = 3;

/// The bytes to store for a snapshot of `doc`.
pub fn snapshot(doc: &mut AutoCommit) -> Vec<u8> {
    let raw = doc.save_nocompress();
    // Compressing a buffer in memory fails only for an invalid level: keep Automerge's own
    // compression then rather than fail a write.
    zstd::bulk::compress(&raw, LEVEL).unwrap_or_else(|_| doc.save())
}

/// A stored chunk as Automerge reads it.
pub fn decode(stored: &[u8]) -> std::io::Result<Cow<'_, [u8]>> {
    if stored.starts_with(&ZSTD_MAGIC) {
        let mut out = Vec::new();
        decode_onto(stored, &mut out)?;
        Ok(Cow::Owned(out))
    } else {
        Ok(Cow::Borrowed(stored))
    }
}

thread_local! {
    /// A decompression context per thread, kept between loads (zstd's is about 95 KB).
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// How many times its stored size a frame's recorded content size may be before it is
/// doubted (a booked year's snapshot decompresses to about 4.5 times its size).
const MAX_RATIO: usize = 64;

/// The size of `stored` once decoded, when its header says (an Automerge chunk, or a zstd
/// frame that records its content's size, as [`snapshot`]'s do).
fn decoded_len(stored: &[u8]) -> Option<usize> {
    if stored.starts_with(&ZSTD_MAGIC) {
        let size = zstd::zstd_safe::get_frame_content_size(stored).ok()??;
        usize::try_from(size).ok()
    } else {
        Some(stored.len())
    }
}

/// [`decoded_len`] when it can be trusted to size a buffer: a damaged header could claim any
/// size, so past [`MAX_RATIO`] the frame is streamed instead, and its content grows the
/// buffer only as far as it really goes.
fn trusted_len(stored: &[u8]) -> Option<usize> {
    let plausible = stored.len().saturating_mul(MAX_RATIO).max(1 << 20);
    decoded_len(stored).filter(|size| *size <= plausible)
}

/// Appends `stored`, decoded, to `out`. A snapshot's frame records its content's size: it is
/// decompressed in one call straight after what `out` holds, into room reserved once (a
/// streaming decoder copied a booked year's 230 KB through an 8 KB buffer into a growing
/// vector: about 8 % of the server's CPU when most booking syncs load their planning).
fn decode_onto(stored: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
    if !stored.starts_with(&ZSTD_MAGIC) {
        out.extend_from_slice(stored);
        return Ok(());
    }
    match trusted_len(stored) {
        Some(size) => {
            out.reserve_exact(size);
            let start = out.len();
            let mut tail = std::io::Cursor::new(&mut *out);
            tail.set_position(start as u64);
            let written = DECOMPRESSOR.with_borrow_mut(|kept| {
                let d = match kept {
                    Some(d) => d,
                    None => kept.insert(zstd::bulk::Decompressor::new()?),
                };
                d.decompress_to_buffer(stored, &mut tail)
            })?;
            if written != size {
                out.truncate(start);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "zstd frame shorter than its recorded size",
                ));
            }
            Ok(())
        }
        None => {
            let start = out.len();
            let streamed = zstd::stream::read::Decoder::new(stored)
                .and_then(|mut decoder| std::io::copy(&mut decoder, out));
            if streamed.is_err() {
                out.truncate(start);
            }
            streamed.map(|_| ())
        }
    }
}

/// A document's chunks as stored, joined in order as Automerge loads them.
#[derive(Debug, Default, Clone)]
pub struct StoredDoc {
    /// The chunks as Automerge reads them (decompressed).
    pub bytes: Vec<u8>,
    pub chunks: i64,
    /// Their size in storage, which the document cache's memory estimate counts (it was
    /// fitted on Automerge's compressed snapshots, not on the decompressed bytes).
    pub stored_len: usize,
}

impl StoredDoc {
    /// `chunks`, in order, decoded into one buffer sized for all of them beforehand.
    pub fn join(chunks: &[&[u8]]) -> Result<Self, sqlx::Error> {
        let size = chunks.iter().map(|c| trusted_len(c).unwrap_or(0)).sum();
        let mut joined = StoredDoc {
            bytes: Vec::with_capacity(size),
            ..Default::default()
        };
        for chunk in chunks {
            joined.push(chunk)?;
        }
        Ok(joined)
    }

    /// Appends the next stored chunk; one that does not decompress is a storage error.
    pub fn push(&mut self, stored: &[u8]) -> Result<(), sqlx::Error> {
        decode_onto(stored, &mut self.bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        self.chunks += 1;
        self.stored_len += stored.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    fn booked(cells: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        for i in 0..cells {
            doc.put(
                ROOT,
                format!("2026-09-{:02}/cantine/{i}", i % 30 + 1),
                "booked",
            )
            .expect("put");
            doc.commit();
        }
        doc
    }

    #[test]
    fn a_snapshot_is_compressed_whole_and_loads_as_the_same_document() {
        let mut doc = booked(300);
        let stored = snapshot(&mut doc);
        assert!(stored.starts_with(&ZSTD_MAGIC));
        assert!(
            stored.len() < doc.save_nocompress().len() / 2,
            "{}",
            stored.len()
        );
        let mut loaded = AutoCommit::load(&decode(&stored).expect("decode")).expect("load");
        assert_eq!(loaded.get_heads(), doc.get_heads());
        assert_eq!(loaded.length(ROOT), 300);
    }

    #[test]
    fn automerge_bytes_stored_before_are_read_as_they_are() {
        let mut doc = booked(3);
        let saved = doc.save();
        assert!(matches!(decode(&saved), Ok(Cow::Borrowed(b)) if b == saved.as_slice()));
    }

    #[test]
    fn a_snapshot_then_incremental_chunks_load_together() {
        let mut doc = booked(20);
        let mut stored = vec![snapshot(&mut doc)];
        let heads = doc.get_heads();
        doc.put(ROOT, "later", 1).expect("put");
        stored.push(doc.save_after(&heads));
        let mut joined = StoredDoc::default();
        for chunk in &stored {
            joined.push(chunk).expect("append");
        }
        assert_eq!(joined.chunks, 2);
        assert_eq!(joined.stored_len, stored[0].len() + stored[1].len());
        assert!(joined.bytes.len() > joined.stored_len);
        let mut loaded = AutoCommit::load(&joined.bytes).expect("load");
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }

    #[test]
    fn joined_chunks_are_decoded_into_one_buffer_sized_beforehand() {
        let mut doc = booked(200);
        let first = snapshot(&mut doc);
        let heads = doc.get_heads();
        doc.put(ROOT, "later", 1).expect("put");
        let later = doc.save_after(&heads);
        let joined = StoredDoc::join(&[&first, &later]).expect("join");
        let expected = [decode(&first).expect("decode").as_ref(), &later].concat();
        assert_eq!(joined.bytes, expected);
        assert_eq!(joined.bytes.capacity(), expected.len());
        assert_eq!(joined.chunks, 2);
        assert_eq!(joined.stored_len, first.len() + later.len());
    }

    #[test]
    fn a_frame_without_its_size_or_claiming_too_much_is_still_read_as_far_as_it_goes() {
        let doc = booked(100).save_nocompress();
        // A frame written by a stream records no content size.
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), LEVEL).expect("encoder");
        std::io::Write::write_all(&mut encoder, &doc).expect("write");
        let unsized_frame = encoder.finish().expect("finish");
        assert_eq!(decoded_len(&unsized_frame), None);
        assert_eq!(
            decode(&unsized_frame).expect("decode").as_ref(),
            doc.as_slice()
        );
        // A header claiming far more than the frame holds is not trusted for the buffer.
        let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut lying = zstd::bulk::compress(&content, LEVEL).expect("compress");
        assert_eq!(decoded_len(&lying), Some(content.len()));
        // Frame header: magic (4 bytes), descriptor (1), the window (1, unless single
        // segment), no dictionary here, then the content size: 4 bytes for this size.
        let descriptor = lying[4];
        assert_eq!(
            (descriptor >> 6, descriptor & 3),
            (2, 0),
            "{descriptor:#010b}"
        );
        let at = 5 + usize::from(descriptor & 0x20 == 0);
        lying[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decoded_len(&lying), Some(u32::MAX as usize));
        assert_eq!(trusted_len(&lying), None);
        assert!(StoredDoc::join(&[&lying]).is_err());
        let mut damaged = StoredDoc::default();
        assert!(damaged.push(&lying).is_err());
        assert!(
            damaged.bytes.capacity() < 1 << 24,
            "{}",
            damaged.bytes.capacity()
        );
        assert!(damaged.bytes.is_empty());
    }

    #[test]
    fn a_damaged_compressed_chunk_is_an_error_not_a_document() {
        let mut doc = booked(50);
        let mut stored = snapshot(&mut doc);
        stored.truncate(stored.len() / 2);
        assert!(decode(&stored).is_err());
        assert!(StoredDoc::default().push(&stored).is_err());
    }
}
