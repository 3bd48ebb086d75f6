//! Typed identifiers.
//!
//! Every id is an opaque string of 32 lowercase hex digits (128 random bits) generated at the
//! edge (server or client core); ids inside documents (children, adults, activities) are the
//! same shape. Typed wrappers keep a family id from being passed where a document id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id that came from storage or the wire; see [`is_valid_id`].
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// Builds an id from 16 random bytes supplied by the caller.
            pub fn from_random(bytes: [u8; 16]) -> Self {
                Self(hex_id(bytes))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_string())
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self(value.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        /// An id reads as the string it is (e.g. to bind it in a query), while functions
        /// that take a typed id accept only that kind of id.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Maps keyed by the id can be searched with a `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

typed_id!(
    /// A structure: a town hall or association running the services.
    StructureId
);
typed_id!(
    /// A family (a "dossier famille"): children, adults, documents, ledger.
    FamilyId
);
typed_id!(
    /// A parent or staff login.
    AccountId
);
typed_id!(
    /// A device signed in with a parent's login (one token each).
    DeviceId
);
typed_id!(
    /// An Automerge document held by the server and synced to the family's devices.
    DocumentId
);
typed_id!(
    /// A child of a family: the key of its sheet in the dossier.
    ChildId
);
typed_id!(
    /// An activity of the structure's catalogue (canteen, evening childcare…).
    ActivityId
);

/// Formats 16 random bytes as an id.
pub fn hex_id(bytes: [u8; 16]) -> String {
    let mut out = String::with_capacity(32);
    for b in bytes {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// True when `s` looks like an id this system generates (1 to 64 characters of
/// `[0-9a-z_-]`). Used to reject odd input before it reaches storage.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_32_hex_digits_and_valid() {
        let id = FamilyId::from_random([0xab; 16]);
        assert_eq!(id.as_str(), "abababababababababababababababab");
        assert!(is_valid_id(id.as_str()));
    }

    #[test]
    fn odd_ids_are_rejected() {
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("../etc/passwd"));
        assert!(!is_valid_id("ABC"));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
