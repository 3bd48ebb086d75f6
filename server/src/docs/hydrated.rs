//! Values hydrated from documents (a family's dossier for the rules), kept by storage version
//! after their document left memory.
//!
//! A booking sync decides with the family's dossier. Its hydrated value also lives beside
//! the loaded document ([`super::store::Loaded`]), but at 10,000 families the dossier's
//! document is rarely still in memory when the family books again: loading a whole Automerge
//! document (about 30 KB in memory) to read a value of a few KB cost a load from storage per
//! booking. The value alone is kept here, bounded by memory, and given while the document's
//! stored version is the one it was read at.

use super::bounded::BoundedMap;
use cartable_domain::ids::DocumentId;
use std::any::Any;
use std::sync::Arc;

/// Memory for kept values: about 6,000 dossiers of two children.
pub const DEFAULT_BUDGET_BYTES: usize = 24 * 1024 * 1024;

/// A value and the storage version of the document it was read from.
type Entry = (i64, Arc<dyn Any + Send + Sync>);

/// Hydrated values by document, with the storage version each reflects.
pub struct HydratedValues {
    entries: BoundedMap<Entry>,
}

impl Default for HydratedValues {
    fn default() -> Self {
        Self::new(DEFAULT_BUDGET_BYTES)
    }
}

impl HydratedValues {
    /// Values kept up to about `budget` bytes (their estimates).
    pub fn new(budget: usize) -> Self {
        Self {
            entries: BoundedMap::new(budget),
        }
    }

    /// The `T` kept for `doc_id` at storage `version`, if any.
    pub fn get<T: Send + Sync + 'static>(
        &self,
        doc_id: &DocumentId,
        version: i64,
    ) -> Option<Arc<T>> {
        self.entries.read(doc_id, |(at, value)| {
            (*at == version)
                .then(|| value.clone().downcast::<T>().ok())
                .flatten()
        })
    }

    /// Keeps `value`, read from `doc_id` at storage `version`, estimated at `bytes`.
    pub fn put<T: Send + Sync + 'static>(
        &self,
        doc_id: &DocumentId,
        version: i64,
        value: Arc<T>,
        bytes: usize,
    ) {
        self.entries.insert(doc_id, (version, value), bytes);
    }

    /// Values kept.
    pub fn count(&self) -> usize {
        self.entries.count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DocumentId {
        DocumentId::from(format!("{n:02x}").repeat(16))
    }

    #[test]
    fn a_value_is_given_at_its_version_and_as_its_type_only() {
        let values = HydratedValues::default();
        values.put(&id(1), 3, Arc::new("Léa".to_string()), 100);
        assert_eq!(
            values
                .get::<String>(&id(1), 3)
                .as_deref()
                .map(String::as_str),
            Some("Léa")
        );
        assert!(values.get::<String>(&id(1), 4).is_none(), "another version");
        assert!(values.get::<u32>(&id(1), 3).is_none(), "another type");
        assert!(values.get::<String>(&id(2), 3).is_none());
        values.put(&id(1), 4, Arc::new("Hugo".to_string()), 100);
        assert!(values.get::<String>(&id(1), 3).is_none());
        assert_eq!(values.count(), 1);
    }
}
