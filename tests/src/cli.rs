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

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `cartable` binary, built on first use.
pub fn binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        // The workspace's libraries too, so that features resolve as in `cargo test
        // --workspace` and nothing already built is rebuilt.
        let output = Command::new(&cargo)
            .current_dir(workspace_root())
            .args([
                "build",
                "--workspace",
                "--lib",
                "--bin",
                "cartable",
                "--message-format=json-render-diagnostics",
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
        assert!(
            output.status.success(),
            "cargo build failed:\n{}",
            text(&output.stderr)
        );
        text(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "cartable")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo did not report the cartable binary")
    })
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
