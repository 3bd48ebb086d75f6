//! `cartable-server` as a process of its own, on a test server's storage and address, to be
//! killed with SIGKILL (no shutdown, no flush) and started again.

use crate::TestServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `cartable-server` binary, built on first use by the cargo that runs the tests.
pub fn server_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let output = Command::new(&cargo)
            .current_dir(workspace_root())
            .args([
                "build",
                "--workspace",
                "--lib",
                "--bin",
                "cartable-server",
                "--message-format=json-render-diagnostics",
            ])
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
            .filter(|m| {
                m["reason"] == "compiler-artifact" && m["target"]["name"] == "cartable-server"
            })
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo did not report the cartable-server binary")
    })
}

/// A running `cartable-server serve` process.
pub struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// Starts the binary on `server`'s storage and address (stop `server` first) and waits
    /// until it answers `/healthz`.
    pub fn start(server: &TestServer) -> ServerProcess {
        let settings = server.settings();
        let listen = server.url.trim_start_matches("http://").to_string();
        let mut command = Command::new(server_binary());
        command
            .arg("--data-dir")
            .arg(&settings.data_dir)
            .arg("--listen")
            .arg(&listen)
            .arg("serve")
            .env_remove("CARTABLE_CONFIG")
            .env("CARTABLE_LOG", "error")
            .env(
                "CARTABLE_COMPACTION_THRESHOLD",
                settings.compaction_threshold.to_string(),
            )
            .env("CARTABLE_RETENTION_DAILY", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        match &settings.database_url {
            Some(url) => command.env("CARTABLE_DATABASE_URL", url),
            None => command.env_remove("CARTABLE_DATABASE_URL"),
        };
        let child = command.spawn().expect("cartable-server starts");
        let process = ServerProcess {
            child,
            url: server.url.clone(),
        };
        process.wait_ready();
        process
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let agent = crate::raw::agent();
        while Instant::now() < deadline {
            if agent
                .get(&format!("{}/healthz", self.url))
                .call()
                .is_ok_and(|r| r.status().as_u16() == 200)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("cartable-server did not answer /healthz within a minute");
    }

    /// SIGKILL: the process ends at once, whatever it was doing.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
