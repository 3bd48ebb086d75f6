//! The sync wire format.
//!
//! `POST /api/v1/sync` carries one CBOR map (RFC 8949, `application/cbor`) holding an
//! Automerge sync message per document, and answers with one CBOR map holding the server's
//! reply per document, the list of documents the family may see and the server clock. Field
//! names are the serde names below; byte strings are CBOR byte strings (major type 2).

use crate::documents::DocKind;
use crate::ids::DocumentId;
use serde::{Deserialize, Serialize};

/// Version spoken by this build.
pub const PROTOCOL_VERSION: u32 = 1;
/// Oldest client version the server still serves.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// MIME type of sync bodies.
pub const CONTENT_TYPE: &str = "application/cbor";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub protocol: u32,
    pub docs: Vec<DocMessage>,
}

/// One document's Automerge sync message (absent when the sender has nothing to say).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocMessage {
    pub doc_id: DocumentId,
    #[serde(with = "serde_bytes", default)]
    pub message: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub protocol: u32,
    /// Server clock when the response was built, ms since the Unix epoch.
    pub server_time_ms: i64,
    /// Replies, one per document of the request that the family may see.
    pub docs: Vec<DocMessage>,
    /// Every document the family may see, including ones the device does not have yet.
    pub available: Vec<DocumentInfo>,
    /// Writes by this device that the server undid (values only the server may write).
    #[serde(default)]
    pub compensations: Vec<Compensation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub doc_id: DocumentId,
    pub kind: DocKind,
    /// For plannings, e.g. "2026-2027".
    #[serde(default)]
    pub school_year: Option<String>,
    pub read_only: bool,
}

/// Paths a device wrote that the server wrote back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compensation {
    pub doc_id: DocumentId,
    pub paths: Vec<String>,
}

/// A body that is not the CBOR this module describes.
#[derive(Debug, thiserror::Error)]
#[error("corps de synchronisation illisible : {0}")]
pub struct DecodeError(pub String);

/// Encodes a request or response as CBOR.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Writing into a Vec cannot fail for these plain types.
    if let Err(e) = ciborium::into_writer(value, &mut out) {
        debug_assert!(false, "CBOR encoding failed: {e}");
    }
    out
}

/// Decodes a request or response from CBOR.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, DecodeError> {
    ciborium::from_reader(bytes).map_err(|e| DecodeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_with_byte_strings() {
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            docs: vec![
                DocMessage {
                    doc_id: DocumentId::new("d1"),
                    message: Some(vec![0x42, 1, 2]),
                },
                DocMessage {
                    doc_id: DocumentId::new("d2"),
                    message: None,
                },
            ],
        };
        let bytes = encode(&req);
        // 0x43 0x42 0x01 0x02: a CBOR byte string of length 3, not an array of integers.
        assert!(bytes.windows(4).any(|w| w == [0x43, 0x42, 1, 2]));
        let back: SyncRequest = decode(&bytes).expect("decodes");
        assert_eq!(back, req);
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        assert!(decode::<SyncRequest>(b"\xff\x00garbage").is_err());
        assert!(decode::<SyncRequest>(&[]).is_err());
    }
}
