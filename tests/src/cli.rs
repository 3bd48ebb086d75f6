//! Runs the parents' command line (`cartable`) as a parent would: the very binary, built once
//! per test run with the cargo that runs the tests (same target folder and toolchain).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What one `cartable` invocation printed.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    /// The exit code (`None` when killed).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `cartable` binary, built on first use.
pub fn binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| crate::binaries::build("cartable"))
}

/// Runs `cartable --store <store> <args>` (no password prompt: stdin is empty).
pub fn run(store: &Path, args: &[&str]) -> Run {
    let output = Command::new(binary())
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("CARTABLE_STORE")
        .env_remove("CARTABLE_PASSWORD")
        .output()
        .expect("cartable runs");
    Run {
        success: output.status.success(),
        code: output.status.code(),
        stdout: text(&output.stdout),
        stderr: text(&output.stderr),
    }
}

/// Runs and expects success; returns what it printed on stdout.
pub fn ok(store: &Path, args: &[&str]) -> String {
    let run = run(store, args);
    assert!(
        run.success,
        "cartable {args:?} failed ({:?}):\n{}\n{}",
        run.code, run.stdout, run.stderr
    );
    run.stdout
}

/// Runs and expects a failure; returns what it printed on stderr.
pub fn fails(store: &Path, args: &[&str]) -> String {
    let run = run(store, args);
    assert!(
        !run.success,
        "cartable {args:?} should fail:\n{}\n{}",
        run.stdout, run.stderr
    );
    run.stderr
}
