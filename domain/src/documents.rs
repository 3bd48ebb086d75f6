//! The kinds of synced document and who may write what in each.

use serde::{Deserialize, Serialize};

/// A kind of synced document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// Per family: child and adult sheets. Parents write it.
    Dossier,
    /// Per family and school year: requests by parents, decisions by the server.
    Planning,
    /// Per structure: activities and contact details. Read-only for families.
    Catalogue,
    /// Per family: invoices, credit notes, payments, balance ("Mes Factures"). Read-only
    /// for families.
    Ledger,
}

impl DocKind {
    pub fn code(self) -> &'static str {
        match self {
            DocKind::Dossier => "dossier",
            DocKind::Planning => "planning",
            DocKind::Catalogue => "catalogue",
            DocKind::Ledger => "ledger",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "dossier" => Some(DocKind::Dossier),
            "planning" => Some(DocKind::Planning),
            "catalogue" => Some(DocKind::Catalogue),
            "ledger" => Some(DocKind::Ledger),
            _ => None,
        }
    }

    /// True when families may not write any of it.
    pub fn read_only_for_families(self) -> bool {
        matches!(self, DocKind::Catalogue | DocKind::Ledger)
    }

    /// Root keys a family may not write (the whole document when read-only).
    pub fn server_only_keys(self) -> &'static [&'static str] {
        match self {
            DocKind::Dossier => crate::dossier::SERVER_ONLY_KEYS,
            DocKind::Planning => crate::planning::SERVER_ONLY_KEYS,
            DocKind::Catalogue => &[],
            DocKind::Ledger => crate::ledger::SERVER_ONLY_KEYS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_their_codes() {
        for k in [
            DocKind::Dossier,
            DocKind::Planning,
            DocKind::Catalogue,
            DocKind::Ledger,
        ] {
            assert_eq!(DocKind::from_code(k.code()), Some(k));
        }
        assert!(DocKind::Catalogue.read_only_for_families());
        assert!(DocKind::Ledger.read_only_for_families());
        assert!(DocKind::Planning.server_only_keys().contains(&"decisions"));
    }
}
