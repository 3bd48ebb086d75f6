//! The workspace's binaries as the tests run them, built on demand by the cargo that runs
//! the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Variables that cargo sets for the test process to describe the package under test. A build
/// script may read one of them (ring's reads `CARGO_PKG_NAME`): left in a nested build, they
/// run it again, and rebuild everything above it, each time a test of another package builds.
fn describes_the_package_under_test(name: &str) -> bool {
    ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || [
            "CARGO_CRATE_NAME",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
            "OUT_DIR",
        ]
        .contains(&name)
}

/// Runs `cargo build --workspace --lib --examples <targets>` with the cargo that runs the
/// tests (same target folder and toolchain) and returns cargo's `compiler-artifact` messages.
///
/// What is built must be exactly what `cargo test --workspace` built for nothing to build
/// twice: the same features (the workspace's libraries, and `--examples`, of which there are
/// none, to count the dev-dependencies as `cargo test` does) and the same environment (the
/// variables cargo sets for the test process are removed).
pub fn cargo_build(targets: &[&str]) -> Vec<serde_json::Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(describes_the_package_under_test) {
            command.env_remove(name);
        }
    }
    let output = command
        .current_dir(workspace_root())
        .args(["build", "--workspace", "--lib", "--examples"])
        .args(targets)
        .arg("--message-format=json-render-diagnostics")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        output.status.success(),
        "cargo build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .collect()
}

/// Builds the workspace binary `name` and returns its path. Callers keep the path in a
/// `OnceLock` to build once per test process.
pub fn build(name: &str) -> PathBuf {
    cargo_build(&["--bin", name])
        .iter()
        .filter(|m| m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo did not report the {name} binary"))
}

#[cfg(test)]
mod tests {
    use super::describes_the_package_under_test;

    #[test]
    fn only_what_describes_the_package_under_test_is_left_out() {
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
            "CARGO_BIN_EXE_cartable-server",
            "CARGO_CRATE_NAME",
            "OUT_DIR",
        ] {
            assert!(describes_the_package_under_test(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_INCREMENTAL",
            "CARGO_TERM_COLOR",
            "PATH",
        ] {
            assert!(!describes_the_package_under_test(name), "{name}");
        }
    }
}
