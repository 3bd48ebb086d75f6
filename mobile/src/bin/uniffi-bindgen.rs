//! The bindgen of this workspace, pinned to its uniffi (library mode reads metadata that the
//! macros of that very version wrote into the library):
//!
//! ```sh
//! cargo build -p cartable-mobile
//! cargo run -p cartable-mobile --bin uniffi-bindgen -- generate \
//!     --language kotlin --language swift --out-dir out target/debug/libcartable_mobile.so
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
