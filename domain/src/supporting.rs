//! Supporting documents ("Mes Documents"): the files a family uploads (QF certificate,
//! insurance, PAI, ...), what the server accepts, and how it shows them.
//!
//! Files are checked by content, never by name: [`check_content`] accepts PDF, JPEG and PNG
//! whose magic bytes and basic structure are right, and refuses everything else (HTML, SVG or
//! text renamed `.pdf`, truncated files). The client checks before queuing and the server checks
//! again on arrival.

use serde::{Deserialize, Serialize};

/// Kinds of supporting document a family may send.
pub const KINDS: &[&str] = &[
    "qf_certificate",
    "insurance",
    "medical_note",
    "vaccinations",
    "pai",
    "custody_ruling",
    "other",
];

/// Kinds holding health data: staff downloads of these are written to the audit log.
pub const SENSITIVE_KINDS: &[&str] = &["medical_note", "pai", "vaccinations"];

/// True for a kind of [`KINDS`].
pub fn is_kind(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// French label of a kind, for people.
pub fn kind_label_fr(kind: &str) -> &'static str {
    match kind {
        "qf_certificate" => "attestation de quotient familial",
        "insurance" => "attestation d'assurance",
        "medical_note" => "certificat médical",
        "vaccinations" => "carnet de vaccination",
        "pai" => "PAI",
        "custody_ruling" => "jugement de garde",
        _ => "autre document",
    }
}

/// Longest kept file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 100;

/// A file name safe to store and to show: no folder part, no control characters, no quotes or
/// characters that mean something to a shell or a header, at most
/// [`MAX_FILE_NAME_CHARS`] characters; `document` when nothing is left.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '"' | '\'' | '<' | '>' | ':' | '*' | '?' | '|' | ';' | '`' | '$' | '%' => '_',
            other => other,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let kept: String = trimmed.chars().take(MAX_FILE_NAME_CHARS).collect();
    let kept = kept.trim().to_string();
    if kept.is_empty() {
        "document".to_string()
    } else {
        kept
    }
}

/// An accepted file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// The extension a stored file of this type carries.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
        }
    }

    fn accepts_extension(self, ext: &str) -> bool {
        match self {
            FileType::Pdf => ext == "pdf",
            FileType::Jpeg => ext == "jpg" || ext == "jpeg",
            FileType::Png => ext == "png",
        }
    }
}

/// The name a file is stored and offered under: [`sanitize_file_name`], whose extension follows
/// the type found in its content. A fitting extension is kept (`photo.JPEG` for a JPEG); any
/// other (`ordonnance.html`, `scan.exe`, `photo.jpg` holding a PNG) is replaced, and a name
/// without one gets it, so that a downloaded file opens as what it really is.
pub fn stored_file_name(name: &str, file_type: FileType) -> String {
    let clean = sanitize_file_name(name);
    let stem = match clean.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            if file_type.accepts_extension(&ext.to_ascii_lowercase()) {
                return clean;
            }
            stem
        }
        _ => clean.as_str(),
    };
    // Room for the extension within the longest kept name.
    let room = MAX_FILE_NAME_CHARS - 1 - file_type.extension().len();
    let stem: String = stem.chars().take(room).collect();
    format!("{}.{}", stem.trim_end(), file_type.extension())
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("le fichier est vide")]
    Empty,
    #[error("le fichier PDF est incomplet ou abîmé (fin de fichier absente)")]
    TruncatedPdf,
    #[error("l'image JPEG est incomplète ou abîmée")]
    BrokenJpeg,
    #[error("l'image PNG est incomplète ou abîmée")]
    BrokenPng,
    #[error("type de fichier refusé : seuls les PDF, JPEG et PNG sont acceptés")]
    Unsupported,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_IEND: &[u8] = b"\x00\x00\x00\x00IEND\xaeB`\x82";

/// Checks `bytes` by content; returns the file's type or why it is refused.
pub fn check_content(bytes: &[u8]) -> Result<FileType, ContentError> {
    if bytes.is_empty() {
        return Err(ContentError::Empty);
    }
    if bytes.starts_with(b"%PDF-") {
        // `%%EOF` must close the file (trailing whitespace or a few bytes of padding allowed).
        let tail_start = bytes.len().saturating_sub(1024);
        let tail = &bytes[tail_start..];
        let has_eof = tail.windows(5).any(|w| w == b"%%EOF");
        return if has_eof && bytes.len() > 16 {
            Ok(FileType::Pdf)
        } else {
            Err(ContentError::TruncatedPdf)
        };
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let end = trim_trailing_zeros(bytes);
        return if end.len() >= 6 && end.ends_with(&[0xFF, 0xD9]) {
            Ok(FileType::Jpeg)
        } else {
            Err(ContentError::BrokenJpeg)
        };
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        let ihdr_first = bytes.get(12..16) == Some(b"IHDR".as_slice());
        return if ihdr_first && bytes.len() >= 8 + 25 + 12 && bytes.ends_with(PNG_IEND) {
            Ok(FileType::Png)
        } else {
            Err(ContentError::BrokenPng)
        };
    }
    Err(ContentError::Unsupported)
}

fn trim_trailing_zeros(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len();
    while end > 0 && bytes[end - 1] == 0 {
        end -= 1;
    }
    &bytes[..end]
}

/// Where a document stands with the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Waiting,
    Accepted,
    Rejected,
}

impl DocumentStatus {
    pub fn code(self) -> &'static str {
        match self {
            DocumentStatus::Waiting => "waiting",
            DocumentStatus::Accepted => "accepted",
            DocumentStatus::Rejected => "rejected",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "waiting" => Some(DocumentStatus::Waiting),
            "accepted" => Some(DocumentStatus::Accepted),
            "rejected" => Some(DocumentStatus::Rejected),
            _ => None,
        }
    }
}

/// A supporting document as the API shows it (to the family and to staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportingDocument {
    pub id: String,
    pub family_id: String,
    pub child_id: Option<String>,
    /// One of [`KINDS`].
    pub kind: String,
    /// Sanitised original name.
    pub file_name: String,
    /// `application/pdf`, `image/jpeg` or `image/png`, from the content.
    pub content_type: String,
    pub size_bytes: i64,
    pub valid_until: Option<jiff::civil::Date>,
    pub status: DocumentStatus,
    /// Why staff rejected it.
    pub reason: Option<String>,
    pub uploaded_at_ms: i64,
    pub reviewed_at_ms: Option<i64>,
}

/// Header carrying the kind of an upload (`POST /api/v1/documents`, or `?kind=`).
pub const HEADER_KIND: &str = "x-document-kind";
/// Header carrying the (percent-encoded) original file name, or `?file_name=`.
pub const HEADER_FILE_NAME: &str = "x-file-name";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_control_characters_and_length() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_file_name("a\u{0}b\r\nc\".pdf"), "abc_.pdf");
        assert_eq!(sanitize_file_name("../"), "document");
        assert_eq!(sanitize_file_name(".htaccess"), "htaccess");
        assert_eq!(sanitize_file_name(&"é".repeat(300)).chars().count(), 100);
    }

    #[test]
    fn the_stored_name_carries_the_extension_of_the_checked_type() {
        assert_eq!(stored_file_name("photo.JPEG", FileType::Jpeg), "photo.JPEG");
        assert_eq!(stored_file_name("photo.jpg", FileType::Png), "photo.png");
        assert_eq!(
            stored_file_name("ordonnance.html", FileType::Pdf),
            "ordonnance.pdf"
        );
        assert_eq!(stored_file_name("scan.exe", FileType::Pdf), "scan.pdf");
        assert_eq!(
            stored_file_name("Certificat Dr. Martin", FileType::Pdf),
            "Certificat Dr. Martin.pdf"
        );
        assert_eq!(stored_file_name("", FileType::Png), "document.png");
        assert_eq!(stored_file_name(".pdf", FileType::Pdf), "pdf.pdf");
        let long = stored_file_name(&format!("{}.exe", "é".repeat(300)), FileType::Pdf);
        assert_eq!(long.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(long.ends_with("é.pdf"), "{long}");
    }

    #[test]
    fn content_decides_the_type() {
        assert_eq!(
            check_content(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
            Ok(FileType::Pdf)
        );
        assert_eq!(
            check_content(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"),
            Err(ContentError::TruncatedPdf)
        );
        assert_eq!(
            check_content(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0xFF, 0xD9]),
            Ok(FileType::Jpeg)
        );
        assert_eq!(
            check_content(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Err(ContentError::BrokenJpeg)
        );
        assert_eq!(check_content(b""), Err(ContentError::Empty));
        assert_eq!(
            check_content(b"<html><body>hi</body></html>"),
            Err(ContentError::Unsupported)
        );
        assert_eq!(
            check_content(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(ContentError::Unsupported)
        );
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&[0; 17]);
        png.extend_from_slice(PNG_IEND);
        assert_eq!(check_content(&png), Ok(FileType::Png));
        assert_eq!(
            check_content(&png[..png.len() - 4]),
            Err(ContentError::BrokenPng)
        );
    }
}
