//! The boundary every exported call goes through: a panic inside the core becomes
//! [`CartableError::Internal`] instead of aborting the app.
//!
//! Unwinding out of a panic is safe here: the client core keeps its state behind a mutex that
//! it takes over when poisoned, and every write to the local store is one SQLite transaction,
//! so a panic leaves nothing half-written. (uniffi has its own backstop that turns a panic into
//! an untyped `InternalException`; this layer makes it the typed error apps already handle.)
//! The release profile must keep `panic = "unwind"` for this to work.
//!
//! Every exported function and method goes through [`guarded`] or [`core`], except the two
//! accessors of [`CartableError`] itself (a `match` and a `to_string` of a `String`).

use crate::error::{CartableError, Result, from_core};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into [`CartableError::Internal`].
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(CartableError::from_panic(payload.as_ref())),
    }
}

/// Runs a client-core call: its error goes through [`from_core`], a panic becomes
/// [`CartableError::Internal`].
pub(crate) fn core<T>(f: impl FnOnce() -> cartable_core::Result<T>) -> Result<T> {
    guarded(|| f().map_err(from_core))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_and_a_value_passes_through() {
        let r: Result<()> = guarded(|| panic!("boum"));
        assert!(matches!(r, Err(CartableError::Internal { .. })), "{r:?}");
        assert_eq!(guarded(|| Ok(7)), Ok(7));
        let r: Result<()> = core(|| Err(cartable_core::Error::NotLoggedIn));
        assert!(matches!(r, Err(CartableError::NotLoggedIn { .. })), "{r:?}");
    }
}
