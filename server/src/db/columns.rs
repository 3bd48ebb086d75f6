//! A row's columns read the same way from sqlx's `Any` rows and from the direct SQLite reads
//! ([`super::direct`]), so that one function decodes a session or a document from either.

use sqlx::Row;
use sqlx::any::AnyRow;

/// The column types the decoders read.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
}

impl Columns for AnyRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }

    fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.try_get(column)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        super::direct::get(self, column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        super::direct::get(self, column)
    }

    fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        super::direct::get(self, column)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        super::direct::get(self, column)
    }

    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        super::direct::get(self, column)
    }
}
