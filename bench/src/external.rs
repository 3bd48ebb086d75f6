//! A `cartable-server` running in a process of its own: families seeded through its admin
//! command (`cartable-server admin ...`, run against the same data folder or database), each
//! parent's first login over HTTP replacing the one-time password the command printed (as a
//! parent does with the letter from the town hall), and the server process found in /proc so
//! its CPU and memory are measured alone.

use crate::client::{Device, Http};
use crate::server::{PASSWORD, SeededFamily};
use anyhow::{Context, anyhow, bail};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::Semaphore;

/// How to run `cartable-server admin` against the running server's storage.
#[derive(Debug, Clone)]
pub struct AdminCommand {
    /// The `cartable-server` executable.
    pub bin: PathBuf,
    /// The server's data folder (SQLite), passed as `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// The server's PostgreSQL, passed as `CARTABLE_DATABASE_URL`.
    pub database_url: Option<String>,
}

impl AdminCommand {
    /// Runs `cartable-server [--data-dir D] admin ARGS`; returns its standard output.
    pub async fn run(&self, args: &[String]) -> anyhow::Result<String> {
        let mut cmd = tokio::process::Command::new(&self.bin);
        if let Some(dir) = &self.data_dir {
            cmd.arg("--data-dir").arg(dir);
        }
        if let Some(url) = &self.database_url {
            cmd.env("CARTABLE_DATABASE_URL", url);
        }
        cmd.env("CARTABLE_LOG", "warn").arg("admin").args(args);
        let out = cmd
            .output()
            .await
            .with_context(|| format!("running {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "`cartable-server admin {}` failed: {}",
                args.first().map_or("", String::as_str),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The id in the admin command's "structure créée : ID".
fn structure_id(output: &str) -> Option<String> {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix("structure créée :"))
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
}

/// The one-time password the admin command printed for `login`
/// ("  LOGIN (NAME) / mot de passe (à usage unique) : PASSWORD").
fn one_time_password(output: &str, login: &str) -> Option<String> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| l.split_whitespace().next() == Some(login))
        .find_map(|l| l.rsplit_once(" : "))
        .map(|(_, password)| password.trim().to_string())
        .filter(|p| !p.is_empty())
}

/// Creates `structures` structures and `families` families over them with the admin command,
/// `parallel` at a time; each parent then logs in over HTTP with the one-time password and
/// chooses [`PASSWORD`]. Returns each family with its logged-in device.
pub async fn seed(
    admin: &AdminCommand,
    http: &Http,
    run_id: &str,
    structures: usize,
    families: usize,
    parallel: usize,
) -> anyhow::Result<Vec<(SeededFamily, Device)>> {
    let mut structure_ids = Vec::with_capacity(structures.max(1));
    for s in 0..structures.max(1) {
        let out = admin
            .run(&[
                "create-structure".into(),
                format!("Mairie de Banc-d'Essai {run_id} n°{s}"),
                "--phone".into(),
                "02 40 00 00 00".into(),
                "--email".into(),
                "periscolaire@banc-essai.example".into(),
            ])
            .await?;
        structure_ids.push(
            structure_id(&out)
                .ok_or_else(|| anyhow!("no structure id in the admin command's output: {out}"))?,
        );
    }
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..families {
        let admin = admin.clone();
        let http = http.clone();
        let structure_id = structure_ids[i % structure_ids.len()].clone();
        let login = format!("bench-{run_id}-{i}");
        let (gate, done) = (gate.clone(), done.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let last = format!("Famille{i}");
            let out = admin
                .run(&[
                    "create-family".into(),
                    "--structure".into(),
                    structure_id,
                    format!("Famille {last}"),
                    "--parent".into(),
                    format!("Camille:{last}:{login}"),
                    "--child".into(),
                    format!("Léa:{last}:2017-03-14"),
                    "--child".into(),
                    format!("Hugo:{last}:2019-10-02"),
                ])
                .await?;
            let otp = one_time_password(&out, &login)
                .ok_or_else(|| anyhow!("no one-time password for {login} in: {out}"))?;
            let first = http.login(i, &login, &otp).await?;
            http.change_password(i, &first.token, &otp, PASSWORD)
                .await
                .with_context(|| format!("{login} choosing a password"))?;
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of((families / 10).max(1)) || n == families {
                eprintln!(
                    "  seeded {n}/{families} families ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
            let family = SeededFamily { index: i, login };
            anyhow::Ok((family, Device::new(i, first)))
        });
    }
    let mut seeded = Vec::with_capacity(families);
    while let Some(joined) = tasks.join_next().await {
        seeded.push(joined.map_err(|e| anyhow!("seeding task: {e}"))??);
    }
    seeded.sort_by_key(|(f, _)| f.index);
    Ok(seeded)
}

/// The process ids of the `expected` running servers: `given`, or the `cartable-server`
/// processes serving (not running an admin command) when there are exactly `expected`.
pub fn server_pids(given: &[u32], expected: usize) -> anyhow::Result<Vec<u32>> {
    if !given.is_empty() {
        if given.len() != expected {
            bail!(
                "{} process ids (--server-pid) for {expected} server addresses (--server)",
                given.len()
            );
        }
        if let Some(pid) = given
            .iter()
            .find(|pid| !std::path::Path::new(&format!("/proc/{pid}/stat")).exists())
        {
            bail!("no process {pid} (--server-pid)");
        }
        return Ok(given.to_vec());
    }
    let mut found = Vec::new();
    for p in std::fs::read_dir("/proc")
        .context("reading /proc")?
        .flatten()
    {
        let Some(pid) = p.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
        if comm.trim() != "cartable-server" {
            continue;
        }
        let args = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
        let admin = args.split(|b| *b == 0).any(|a| a == b"admin");
        if !admin {
            found.push(pid);
        }
    }
    found.sort_unstable();
    if found.len() == expected {
        return Ok(found);
    }
    match found.len() {
        0 => bail!("no cartable-server process found: give their ids with --server-pid"),
        n => bail!(
            "{n} cartable-server processes ({found:?}) for {expected} server addresses: \
             give their ids with --server-pid"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_commands_output_gives_the_structure_and_the_one_time_password() {
        assert_eq!(
            structure_id("structure créée : 0123abcd\n").as_deref(),
            Some("0123abcd")
        );
        assert_eq!(structure_id("rien\n"), None);
        let out = "famille créée : f00d\n  bench-x-1 (Camille Famille1) / mot de passe \
                   (à usage unique) : abc-def-ghi\n  bench-x-10 (Camille) / mot de passe \
                   (à usage unique) : zzz\n";
        assert_eq!(
            one_time_password(out, "bench-x-1").as_deref(),
            Some("abc-def-ghi")
        );
        assert_eq!(one_time_password(out, "bench-x-10").as_deref(), Some("zzz"));
        assert_eq!(one_time_password(out, "bench-x-2"), None);
    }
}
