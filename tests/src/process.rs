//! `cartable-server` as a process of its own, on a test server's storage and address, to be
//! killed with SIGKILL (no shutdown, no flush) and started again.

use crate::TestServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `cartable-server` binary, built on first use by the cargo that runs the tests.
pub fn server_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| crate::binaries::build("cartable-server"))
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
