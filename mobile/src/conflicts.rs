//! Conflicts in "Mon dossier": a field two parents set differently while offline, with both
//! values and who wrote each, until a parent keeps one (or edits the field again).

use crate::client::CartableClient;
use crate::error::Result;
use crate::guard::core;

/// Whose sheet a conflict is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SheetKind {
    /// A child sheet.
    Child,
    /// An adult sheet.
    Adult,
}

/// One of the values parents wrote for a field in conflict.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConflictingValue {
    /// Pass it to `keepDossierValue` to keep this value.
    pub id: String,
    /// The value in words, to show as is: "Sans porc", "oui", "06 12 34 56 78".
    pub label: String,
    /// Who wrote it: "Camille Martin" ("auteur inconnu" until the server names them).
    pub author_name: String,
    /// The author's account id, when known.
    pub author_account_id: Option<String>,
    /// True when written on this very phone.
    pub by_this_device: bool,
    /// When it was written (ms since the Unix epoch), when known.
    pub at_ms: Option<i64>,
    /// The value the dossier shows until a parent chooses.
    pub current: bool,
}

/// A field of the dossier that parents set differently offline.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DossierConflict {
    /// Where it is; pass it to `keepDossierValue`.
    pub path: String,
    /// Whose sheet.
    pub sheet_kind: SheetKind,
    /// The child's or adult's id (as in `dossier()`).
    pub sheet_id: String,
    /// "Léa Martin".
    pub sheet_name: String,
    /// The field's code (`diet`, `mobile_phone`, `billing`...).
    pub field: String,
    /// French label of the field ("régime alimentaire").
    pub field_label: String,
    /// Every value, oldest first; exactly one is `current`.
    pub values: Vec<ConflictingValue>,
}

impl From<cartable_core::DossierConflict> for DossierConflict {
    fn from(c: cartable_core::DossierConflict) -> Self {
        Self {
            path: c.path,
            sheet_kind: match c.sheet_kind {
                cartable_core::SheetKind::Child => SheetKind::Child,
                cartable_core::SheetKind::Adult => SheetKind::Adult,
            },
            sheet_id: c.sheet_id,
            sheet_name: c.sheet_name,
            field: c.field,
            field_label: c.field_label,
            values: c
                .values
                .into_iter()
                .map(|v| ConflictingValue {
                    id: v.id,
                    label: v.label,
                    author_name: v.author_name,
                    author_account_id: v.author_account_id,
                    by_this_device: v.by_this_device,
                    at_ms: v.at_ms,
                    current: v.current,
                })
                .collect(),
        }
    }
}

#[uniffi::export]
impl CartableClient {
    /// Fields of the dossier that parents set differently while offline, each with every value
    /// and who wrote it (readable offline). Show them on "Mon dossier" until a parent chooses:
    /// `keepDossierValue`, or editing the field again, settles it on every phone once synced.
    ///
    /// Fails with `NotLoggedIn`.
    pub fn dossier_conflicts(&self) -> Result<Vec<DossierConflict>> {
        core(|| self.core.dossier_conflicts())
            .map(|list| list.into_iter().map(DossierConflict::from).collect())
    }

    /// "Garder cette valeur": keeps the value `value_id` (a `ConflictingValue.id`) of the
    /// field at `path` (a `DossierConflict.path`). Durable on return; sent at the next `sync`.
    /// Does nothing when the conflict was settled meanwhile.
    ///
    /// Fails with `InvalidInput` (unknown path or value), `NotDownloaded`, `NotLoggedIn`.
    pub fn keep_dossier_value(&self, path: String, value_id: String) -> Result<()> {
        core(|| self.core.keep_dossier_value(&path, &value_id))
    }
}
