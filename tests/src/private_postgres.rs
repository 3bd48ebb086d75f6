//! A PostgreSQL cluster of the test's own (initdb into a temporary folder, a free port), so
//! that a test may restart it without disturbing anyone else's databases. Run as the
//! `postgres` user when the tests run as root (PostgreSQL refuses root).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running private cluster; stopped (immediately) and deleted when dropped.
pub struct PrivateCluster {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl PrivateCluster {
    /// Why a private cluster cannot be made here, if it cannot.
    pub fn unavailable() -> Option<String> {
        if !Path::new(BIN).join("initdb").exists() {
            return Some(format!("{BIN}/initdb is missing"));
        }
        if is_root()
            && Command::new("id")
                .arg("postgres")
                .output()
                .map_or(true, |o| !o.status.success())
        {
            return Some("running as root without a postgres user".into());
        }
        None
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let path: PathBuf = Path::new(BIN).join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        command.args(args).output().expect("PostgreSQL tool runs")
    }

    fn ok(&self, program: &str, args: &[&str]) {
        let out = self.run(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn options(&self) -> String {
        format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        )
    }

    /// Creates and starts a cluster with a `cartable` superuser (trust authentication on
    /// loopback).
    pub fn start() -> PrivateCluster {
        let dir = tempfile::tempdir().expect("temporary folder");
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown of the cluster's folder");
        }
        let cluster = PrivateCluster {
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = cluster.data();
        cluster.ok(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "cartable",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let log = cluster.dir.path().join("log").display().to_string();
        let options = cluster.options();
        cluster.ok(
            "pg_ctl",
            &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
        );
        cluster
    }

    /// Its `postgres` database as the `cartable` superuser.
    pub fn url(&self) -> String {
        format!("postgres://cartable@127.0.0.1:{}/postgres", self.port)
    }

    /// Restarts it (fast shutdown: open connections are terminated), waiting until it accepts
    /// connections again.
    pub fn restart(&self) {
        let data = self.data();
        let log = self.dir.path().join("log").display().to_string();
        let options = self.options();
        self.ok(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-m", "fast", "-w", "restart",
            ],
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}
