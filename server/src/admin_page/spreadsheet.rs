//! The CSV files the admin page serves (the month's invoices, the annual statements, the
//! day's lists), in the form a French spreadsheet opens with a double click: UTF-8 announced
//! by a byte order mark (without it Excel reads "é" as "Ã©"), fields separated by `;` (a
//! French Excel's list separator, the comma being its decimal separator), CRLF line ends,
//! `text/csv; charset=utf-8`, and a file name to save it under.
//!
//! The staff API's export (`/api/v1/staff/invoicing/{month}/export.csv`) is the same text
//! without the byte order mark: programs read it, not spreadsheets.

use crate::routes::files::attachment;
use axum::response::Response;

/// The byte order mark that tells a spreadsheet the file is UTF-8.
pub const BYTE_ORDER_MARK: char = '\u{feff}';

/// A CSV download of `text` (lines already `;`-separated) named `file_name`.
pub fn csv_download(file_name: &str, text: &str) -> Response {
    attachment(
        "text/csv; charset=utf-8",
        file_name,
        format!("{BYTE_ORDER_MARK}{text}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[tokio::test]
    async fn a_download_starts_with_the_byte_order_mark_and_names_its_file() {
        let r = csv_download("factures-2027-03.csv", "type;numero\r\n");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let disposition = r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("factures-2027-03.csv"),
            "{disposition}"
        );
        let body = axum::body::to_bytes(r.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&body[..], "\u{feff}type;numero\r\n".as_bytes());
    }
}
