//! A deliberate panic, so app and binding tests can check that a bug in the core reaches them
//! as an error instead of a crash.

use crate::error::Result;
use crate::guard::guarded;

/// FOR TESTS ONLY: panics inside the library and returns what the app would get from any call
/// that hit a bug: always `CartableError.Internal`. Never call it in an app.
#[uniffi::export]
pub fn debug_panic_for_tests() -> Result<()> {
    guarded(|| panic!("panique volontaire (debug_panic_for_tests)"))
}
