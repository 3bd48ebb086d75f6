//! Shared by the integration tests: builds the mobile library, its bindgen and the server with
//! the workspace's own cargo and target directory, and runs the bindgen in library mode.

#![allow(dead_code)] // Each test binary uses part of it.

pub mod maven;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Paths of the mobile library, its bindgen and the server, as built for the tests.
#[derive(Debug)]
pub struct Artifacts {
    /// `libcartable_mobile.so` (`.dylib` on macOS).
    pub library: PathBuf,
    /// The `uniffi-bindgen` binary of this crate (same uniffi as the library).
    pub bindgen: PathBuf,
    /// The `cartable-server` binary.
    pub server: PathBuf,
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `mobile/` folder.
pub fn mobile_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds the library, the bindgen and the server (debug profile), once per test binary, and
/// returns their paths as cargo reports them. Runs the cargo that runs this test, so
/// `CARGO_TARGET_DIR` and the toolchain are the same.
pub fn build() -> &'static Artifacts {
    static BUILT: OnceLock<Artifacts> = OnceLock::new();
    BUILT.get_or_init(build_now)
}

fn build_now() -> Artifacts {
    let messages = cartable_tests::binaries::cargo_build(&[
        "--bin",
        "cartable-server",
        "--bin",
        "uniffi-bindgen",
    ]);
    let (mut library, mut bindgen, mut server) = (None, None, None);
    for message in &messages {
        let name = message["target"]["name"].as_str().unwrap_or_default();
        let executable = message["executable"].as_str().map(PathBuf::from);
        match name {
            "cartable_mobile" => {
                let suffix = std::env::consts::DLL_SUFFIX;
                library = message["filenames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str())
                    .find(|f| f.ends_with(suffix))
                    .map(PathBuf::from);
            }
            "uniffi-bindgen" => bindgen = executable.or(bindgen),
            "cartable-server" => server = executable.or(server),
            _ => {}
        }
    }
    let found = |what: &str, p: Option<PathBuf>| {
        p.unwrap_or_else(|| panic!("cargo did not report the {what}"))
    };
    Artifacts {
        library: found("cdylib", library),
        bindgen: found("uniffi-bindgen binary", bindgen),
        server: found("cartable-server binary", server),
    }
}

/// Runs the bindgen in library mode: `language` bindings of `library` into `out_dir` (emptied
/// first).
pub fn generate(artifacts: &Artifacts, language: &str, out_dir: &Path) {
    if out_dir.exists() {
        std::fs::remove_dir_all(out_dir)
            .unwrap_or_else(|e| panic!("cannot empty {}: {e}", out_dir.display()));
    }
    let output = Command::new(&artifacts.bindgen)
        // The bindgen reads mobile/uniffi.toml through `cargo metadata`.
        .current_dir(mobile_dir())
        .args([
            "generate",
            "--no-format",
            "--language",
            language,
            "--out-dir",
        ])
        .arg(out_dir)
        .arg(&artifacts.library)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", artifacts.bindgen.display()));
    assert!(
        output.status.success(),
        "uniffi-bindgen failed for {language}:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
