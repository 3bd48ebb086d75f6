//! `cartable-loadgen`: starts the real server in this process (its own Tokio runtime), or
//! drives one already running in its own process (`--server URL`), seeds N families, logs
//! each in once, warms every device up with its first full sync, then measures up-to-date
//! syncs and/or syncs carrying one booking each over real HTTP on loopback. See
//! `bench/README.md`.

use anyhow::{Context, anyhow, bail};
use cartable_bench::client::{self, Device, Http};
use cartable_bench::external::{self, AdminCommand};
use cartable_bench::load::{self, Op, Phase};
use cartable_bench::memory::{self, OwnPeak};
use cartable_bench::server::{self, Storage};
use cartable_bench::start::Start;
use cartable_bench::stats::{self, Summary};
use clap::{Parser, ValueEnum};
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Syncs of up-to-date devices.
    Uptodate,
    /// Syncs carrying one booking change each.
    Booking,
    /// Both, up-to-date first.
    Both,
}

/// Many families syncing concurrently against the real Cartable server over HTTP.
#[derive(Debug, Parser)]
#[command(name = "cartable-loadgen", version)]
struct Args {
    /// Families to seed (one parent device each, two children).
    #[arg(long, default_value_t = 100)]
    families: usize,
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// postgres://user:password@127.0.0.1/db (with --backend postgres).
    #[arg(long)]
    database_url: Option<String>,
    /// Drop and recreate the `public` schema of --database-url before starting.
    #[arg(long)]
    reset_postgres: bool,
    /// Folder in which the SQLite data folder is created (default: the system temp folder).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Length of each measured scenario.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Families in flight at once (default: all of them).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Aim for this many operations per second in total (open loop) instead of as many as
    /// possible (closed loop). Latency is then counted from the scheduled start. Several
    /// rates, comma-separated, run each scenario once per rate, in order, on the same
    /// families.
    #[arg(long, value_delimiter = ',')]
    rate: Vec<f64>,
    #[arg(long, value_enum, default_value = "both")]
    scenario: Scenario,
    /// Stop the booking scenario once every family has made this many bookings (or at
    /// the deadline, whichever comes first).
    #[arg(long)]
    bookings_per_family: Option<u64>,
    /// Booking requests each booking sync carries (e.g. 8 for two children's canteen over a
    /// week: a Sunday-evening rush); decisions per second = syncs per second × this.
    #[arg(long, default_value_t = 1)]
    cells_per_sync: usize,
    /// Every family books the same cells in the same order (all queue on the same day's place
    /// counter) instead of starting at a random cell.
    #[arg(long)]
    same_cells: bool,
    /// Structures without booking rules (no deadline, closure, capacity or eligibility)
    /// instead of the demo's rules with places for the families.
    #[arg(long)]
    no_rules: bool,
    /// Families start with an empty planning instead of a school year already booked
    /// (about 1,000 accepted requests each).
    #[arg(long)]
    empty_plannings: bool,
    /// Spread the families over this many structures (each has its own catalogue).
    #[arg(long, default_value_t = 1)]
    structures: usize,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Families created (and logged in) at once while seeding (default: 1 on SQLite, whose
    /// server currently fails concurrent family creation with "database is locked"; 4 on
    /// PostgreSQL).
    #[arg(long)]
    seed_parallel: Option<usize>,
    /// During each measured scenario, log this many new devices in per second (parents
    /// signing in on a new phone while the others sync). Default 0.
    #[arg(long)]
    login_churn: Option<f64>,
    /// Drive a `cartable-server` already running in its own process at this address
    /// (http://127.0.0.1:PORT) instead of starting one in this process. Families are seeded
    /// with `cartable-server admin` against --server-data-dir (SQLite) or --database-url
    /// (with --backend postgres). Several addresses, comma-separated, for several server
    /// processes on one PostgreSQL: each family talks to one of them, in turn.
    #[arg(long, value_delimiter = ',')]
    server: Vec<String>,
    /// With --server: the servers' process ids, whose CPU and memory are reported per phase
    /// (default: the `cartable-server` processes serving, when there are as many as
    /// addresses).
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// With --server on SQLite: the server's data folder (its --data-dir).
    #[arg(long)]
    server_data_dir: Option<PathBuf>,
    /// With --server: the `cartable-server` executable to run admin commands with (default:
    /// the one next to this executable).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Also print one JSON line with every figure.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// What the seeded structures and families start with. Through `--server` they are
    /// seeded by the admin command, which gives no rules and empty plannings.
    fn start(&self) -> Start {
        if !self.server.is_empty() {
            return Start::EMPTY;
        }
        Start {
            rules: !self.no_rules,
            booked_year: !self.empty_plannings,
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Server and simulated phones share this process: two descriptors per connection.
    cartable_server::open_files::raise_and_log();
    match run(args) {
        Ok(0) => std::process::ExitCode::SUCCESS,
        Ok(errors) => {
            eprintln!("{errors} operations failed: see above");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("cartable-loadgen: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn runtime(name: &str, threads: usize) -> anyhow::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(name)
        .enable_all()
        .build()
        .with_context(|| format!("building the {name} runtime"))
}

fn run(args: Args) -> anyhow::Result<u64> {
    if args.families == 0 {
        bail!("--families must be at least 1");
    }
    if !args.server.is_empty() {
        return run_external(&args);
    }
    let storage = match args.backend {
        Backend::Sqlite => {
            if args.database_url.is_some() || args.reset_postgres {
                bail!("--database-url and --reset-postgres go with --backend postgres");
            }
            Storage::Sqlite {
                parent: args.data_dir.clone(),
            }
        }
        Backend::Postgres => Storage::Postgres {
            url: args
                .database_url
                .clone()
                .ok_or_else(|| anyhow!("--backend postgres needs --database-url"))?,
            reset: args.reset_postgres,
        },
    };
    let concurrency = args.concurrency.unwrap_or(args.families).max(1);
    let duration = Duration::from_secs(args.duration_secs.max(1));

    // Two runtimes in one process: the server's and the load generator's. They share the
    // machine's cores; the CPU split is reported per phase.
    let server_rt = runtime("cart-srv", args.server_threads)?;
    let client_rt = runtime("cart-cli", args.client_threads)?;

    let mut srv = server::start(&server_rt, &storage)?;
    let backend_name = srv.state.db.backend.name();
    eprintln!(
        "server on http://{} ({backend_name}{}), {} server + {} client worker threads, {} CPUs",
        srv.addr,
        srv.data_path()
            .map(|p| format!(" in {}", p.display()))
            .unwrap_or_default(),
        args.server_threads,
        args.client_threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let target = Target::InProcess {
        rt: &server_rt,
        srv: &srv,
    };
    let result = measure(&args, &target, &client_rt, concurrency, duration);
    let stopped = srv.stop(&server_rt);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    server_rt.shutdown_timeout(Duration::from_secs(5));
    let errors = result?;
    stopped.context("stopping the server")?;
    Ok(errors)
}

/// Servers in processes of their own: the addresses they serve, their process ids, and how
/// to run the admin command against their storage.
fn run_external(args: &Args) -> anyhow::Result<u64> {
    if args.reset_postgres {
        bail!("--reset-postgres does not go with --server: reset the database before starting it");
    }
    if !args.no_rules || !args.empty_plannings {
        eprintln!(
            "note: families seeded through the admin command start in a catalogue without \
             rules, with empty plannings (as --no-rules --empty-plannings)"
        );
    }
    let addrs = args
        .server
        .iter()
        .map(|url| parse_server_url(url))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if addrs.len() > 1 && args.backend != Backend::Postgres {
        bail!("several server processes share one PostgreSQL: add --backend postgres");
    }
    let pids = external::server_pids(&args.server_pid, addrs.len())?;
    let (data_dir, database_url) =
        match args.backend {
            Backend::Sqlite => (
                Some(args.server_data_dir.clone().ok_or_else(|| {
                    anyhow!("--server on SQLite needs --server-data-dir (the server's --data-dir)")
                })?),
                None,
            ),
            Backend::Postgres => (
                None,
                Some(args.database_url.clone().ok_or_else(|| {
                    anyhow!("--server with --backend postgres needs --database-url")
                })?),
            ),
        };
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|dir| dir.join("cartable-server"))
            .ok_or_else(|| anyhow!("no folder for this executable: give --server-bin"))?,
    };
    let admin = AdminCommand {
        bin,
        data_dir,
        database_url,
    };
    let client_rt = runtime("cart-cli", args.client_threads)?;
    // Found processes are listed in the order of their ids, not of the addresses.
    let list = |items: Vec<String>| items.join(", ");
    eprintln!(
        "driving the server at {} (process {}), {} client worker threads, {} CPUs",
        list(addrs.iter().map(|a| format!("http://{a}")).collect()),
        list(pids.iter().map(u32::to_string).collect()),
        args.client_threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let concurrency = args.concurrency.unwrap_or(args.families).max(1);
    let duration = Duration::from_secs(args.duration_secs.max(1));
    let target = Target::External { addrs, pids, admin };
    let result = measure(args, &target, &client_rt, concurrency, duration);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    result
}

/// `http://127.0.0.1:PORT` (or `127.0.0.1:PORT`) as a socket address.
fn parse_server_url(url: &str) -> anyhow::Result<SocketAddr> {
    let host = url
        .strip_prefix("http://")
        .unwrap_or(url)
        .trim_end_matches('/');
    host.parse()
        .with_context(|| format!("--server {url}: expected http://127.0.0.1:PORT"))
}

/// The server the load runs against.
enum Target<'a> {
    /// Started by this process on `rt`.
    InProcess {
        rt: &'a Runtime,
        srv: &'a server::Server,
    },
    /// Running in processes of their own.
    External {
        addrs: Vec<SocketAddr>,
        pids: Vec<u32>,
        admin: AdminCommand,
    },
}

impl Target<'_> {
    fn addrs(&self) -> Vec<SocketAddr> {
        match self {
            Target::InProcess { srv, .. } => vec![srv.addr],
            Target::External { addrs, .. } => addrs.clone(),
        }
    }

    /// The server processes measured apart from this one (none when the server runs here).
    fn pids(&self) -> &[u32] {
        match self {
            Target::InProcess { .. } => &[],
            Target::External { pids, .. } => pids,
        }
    }
}

fn measure(
    args: &Args,
    target: &Target<'_>,
    client_rt: &Runtime,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<u64> {
    let run_id = cartable_domain::ids::hex_id(rand::random())[..8].to_string();
    let t = Instant::now();
    eprintln!(
        "seeding {} families over {} structure(s) (argon2 per parent login; {})...",
        args.families,
        args.structures,
        args.start().describe()
    );
    let seed_parallel = args.seed_parallel.unwrap_or(match args.backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 4,
    });
    let http = Http::new(&target.addrs())?;
    let (seeded, devices, seed_secs, login_secs) = match target {
        Target::InProcess { rt, srv } => {
            let seeded = server::seed(
                rt,
                &srv.state,
                &run_id,
                args.structures,
                args.families,
                seed_parallel,
                args.start(),
            )?;
            let seed_secs = t.elapsed().as_secs_f64();
            let t = Instant::now();
            eprintln!("logging {} parents in...", seeded.len());
            let devices = client_rt.block_on(login_all(&http, &seeded, seed_parallel.max(4)))?;
            (seeded, devices, seed_secs, t.elapsed().as_secs_f64())
        }
        Target::External { admin, .. } => {
            // The admin command, then each parent's first login replacing the one-time
            // password: the logins are part of seeding here.
            let pairs = client_rt.block_on(external::seed(
                admin,
                &http,
                &run_id,
                args.structures,
                args.families,
                seed_parallel,
            ))?;
            let (seeded, devices): (Vec<server::SeededFamily>, Vec<Device>) =
                pairs.into_iter().unzip();
            (seeded, devices, t.elapsed().as_secs_f64(), 0.0)
        }
    };
    let logins: load::Logins = Arc::new(
        seeded
            .iter()
            .map(|f| (f.login.clone(), server::PASSWORD.to_string()))
            .collect(),
    );

    let pg_name = pg_database_name(args);
    let pg_db = pg_name.as_deref();
    let mut summaries: Vec<Summary> = Vec::new();
    let no_cells = Arc::new(Vec::new());

    let server_own_peak = (!target.pids().is_empty())
        .then(|| OwnPeak::start(target.pids().to_vec(), Duration::from_millis(200)));
    // Warm-up 1: every device's first full sync, from empty documents.
    let warm = Phase {
        op: Op::Sync,
        cells_per_sync: 1,
        duration: None,
        per_family: Some(1),
        concurrency,
        rate: None,
        login_churn: None,
    };
    let harness = Harness {
        rt: client_rt,
        http: &http,
        logins: &logins,
        pg_database: pg_db,
        server_pids: target.pids(),
        server_own_peak: server_own_peak.as_ref(),
        docs: match &target {
            Target::InProcess { srv, .. } => Some(&srv.state.docs),
            Target::External { .. } => None,
        },
    };
    let (mut devices, summary) = phase(&harness, "first sync (warm-up)", devices, &no_cells, warm)?;
    if summary.errors > 0 {
        let r = &summary.recorder;
        let kinds: Vec<String> = r
            .errors
            .iter()
            .map(|(kind, n)| {
                let sample = r.error_samples.get(kind).and_then(|s| s.first());
                format!("{n} × {kind} (e.g. {})", sample.map_or("-", |s| s.as_str()))
            })
            .collect();
        bail!(
            "{} of {} first syncs failed, so the devices are not all ready: {}",
            summary.errors,
            devices.len(),
            kinds.join("; ")
        );
    }
    summaries.push(summary);
    let mut cells = None;
    for d in &mut devices {
        let (catalogue, year) = d.inspect()?;
        if args.same_cells {
            d.next_cell = 0;
        }
        if cells.is_none() {
            let today = jiff::Zoned::now()
                .in_tz("Europe/Paris")
                .map(|z| z.date())
                .unwrap_or_else(|_| jiff::Zoned::now().date());
            cells = Some(client::bookable_cells(&catalogue, &year, today)?);
        }
    }
    let cells = Arc::new(cells.unwrap_or_default());
    // Warm-up 2: a second sync settles the server's persisted sync states.
    let (devices, summary) = phase(&harness, "second sync (warm-up)", devices, &cells, warm)?;
    summaries.push(summary);

    let mut devices = devices;
    let paces: Vec<Option<f64>> = if args.rate.is_empty() {
        vec![None]
    } else {
        args.rate.iter().map(|r| Some(*r)).collect()
    };
    // (name, operation, booking requests per sync, operations per family at most)
    let mut scenarios: Vec<(&str, Op, usize, Option<u64>)> = Vec::new();
    if matches!(args.scenario, Scenario::Uptodate | Scenario::Both) {
        scenarios.push(("uptodate", Op::Sync, 1, None));
    }
    if matches!(args.scenario, Scenario::Booking | Scenario::Both) {
        let per_family = args.bookings_per_family;
        scenarios.push(("booking", Op::Booking, args.cells_per_sync, per_family));
    }
    for rate in paces {
        for &(scenario, op, cells_per_sync, per_family) in &scenarios {
            let name = match rate {
                Some(r) if args.rate.len() > 1 => format!("{scenario} {r}/s"),
                _ => scenario.to_string(),
            };
            let p = Phase {
                op,
                cells_per_sync,
                duration: Some(duration),
                per_family,
                concurrency,
                rate,
                login_churn: args.login_churn,
            };
            let (d, summary) = phase(&harness, &name, devices, &cells, p)?;
            devices = d;
            summaries.push(summary);
        }
    }

    let (over_capacity, full_days) = client::places_held(&devices);
    let loaded_docs = match target {
        Target::InProcess { srv, .. } => {
            let docs = &srv.state.docs;
            Some((
                docs.loaded_count(),
                docs.loaded_bytes(),
                docs.writes().peak(),
            ))
        }
        Target::External { .. } => None,
    };
    let rss_mb = rss_mb();
    print_table(
        args,
        concurrency,
        &summaries,
        seed_secs,
        login_secs,
        loaded_docs,
        rss_mb,
    );
    if args.json {
        let line = json!({
            "config": {
                "families": args.families,
                "structures": args.structures,
                "backend": backend_name(args),
                "server": if target.pids().is_empty() { "in process" } else { "own process" },
                "server_processes": target.pids().len().max(1),
                "concurrency": concurrency,
                "rate": args.rate,
                "duration_s": duration.as_secs(),
                "bookings_per_family": args.bookings_per_family,
                "server_threads": args.server_threads,
                "client_threads": args.client_threads,
                "login_churn": args.login_churn,
                "seed_parallel": seed_parallel,
                "same_cells": args.same_cells,
                "start": args.start().describe(),
                "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
            },
            "seed_s": seed_secs,
            "login_s": login_secs,
            "phases": summaries.iter().map(Summary::to_json).collect::<Vec<_>>(),
            "server_loaded_docs": loaded_docs.map(|(n, _, _)| n),
            "server_loaded_docs_estimated_bytes": loaded_docs.map(|(_, b, _)| b),
            "server_writes_holding_a_document_peak": loaded_docs.map(|(_, _, w)| w),
            "process_rss_mb": rss_mb,
            "days_full": full_days,
            "days_over_capacity": over_capacity,
        });
        println!("{line}");
    }
    println!(
        "  places at the end: {full_days} days full, {} over capacity",
        over_capacity.len()
    );
    for day in over_capacity.iter().take(5) {
        println!("    over capacity: {day}");
    }
    drop(devices);
    let errors = over_capacity.len() as u64
        + summaries.iter().map(|s| s.errors).sum::<u64>()
        + summaries
            .iter()
            .map(|s| s.recorder.undecided + s.recorder.compensations)
            .sum::<u64>();
    Ok(errors)
}

/// What every phase runs with.
struct Harness<'a> {
    rt: &'a Runtime,
    http: &'a Http,
    logins: &'a load::Logins,
    pg_database: Option<&'a str>,
    /// The server processes when the server runs in processes of its own.
    server_pids: &'a [u32],
    /// Their highest own memory, sampled while the phases run.
    server_own_peak: Option<&'a OwnPeak>,
    /// The server's documents when it runs in this process.
    docs: Option<&'a cartable_server::docs::store::DocStore>,
}

fn phase(
    h: &Harness<'_>,
    name: &str,
    devices: Vec<Device>,
    cells: &Arc<Vec<(jiff::civil::Date, String)>>,
    p: Phase,
) -> anyhow::Result<(Vec<Device>, Summary)> {
    let (rt, http, logins, pg_database) = (h.rt, h.http, h.logins, h.pg_database);
    eprintln!(
        "{name}: {} families, {} in flight...",
        devices.len(),
        p.concurrency
    );
    let before = stats::cpu_snapshot(pg_database, h.server_pids);
    let loads_before = h.docs.map(|d| d.loads());
    let (devices, rec, elapsed) = rt.block_on(load::run(devices, http, cells, logins, p))?;
    let cpu = stats::cpu_snapshot(pg_database, h.server_pids).since(&before);
    let mut summary = stats::summarise(name, rec, elapsed, cpu);
    summary.doc_loads = h
        .docs
        .zip(loads_before)
        .map(|(d, before)| d.loads() - before);
    summary.rss_mb = rss_mb();
    summary.server_memory = memory::of_processes(h.server_pids);
    if let (Some(peak), Some(m)) = (h.server_own_peak, summary.server_memory) {
        peak.note(m.own_mb);
    }
    summary.server_own_peak_mb = h.server_own_peak.map(|p| p.mb());
    Ok((devices, summary))
}

async fn login_all(
    http: &Http,
    seeded: &[server::SeededFamily],
    parallel: usize,
) -> anyhow::Result<Vec<Device>> {
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for f in seeded {
        let http = http.clone();
        let gate = gate.clone();
        let f = f.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let login = http.login(f.index, &f.login, server::PASSWORD).await?;
            anyhow::Ok(Device::new(f.index, login))
        });
    }
    let mut devices = Vec::with_capacity(seeded.len());
    while let Some(joined) = tasks.join_next().await {
        devices.push(joined.map_err(|e| anyhow!("login task: {e}"))??);
        if devices.len().is_multiple_of((seeded.len() / 10).max(1)) {
            eprintln!("  logged in {}/{}", devices.len(), seeded.len());
        }
    }
    devices.sort_by_key(|d| d.family);
    Ok(devices)
}

fn backend_name(args: &Args) -> &'static str {
    match args.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// The database named by `--database-url` (to count its PostgreSQL backends' CPU).
fn pg_database_name(args: &Args) -> Option<String> {
    let url = args.database_url.as_deref()?;
    let path = url.split('?').next()?;
    let name = path.rsplit('/').next()?;
    (!name.is_empty() && !name.contains('@')).then(|| name.to_string())
}

/// Resident memory of this process (server and load generator together), in MB.
fn rss_mb() -> Option<f64> {
    memory::status_mb(std::process::id(), "VmRSS:")
}

fn print_table(
    args: &Args,
    concurrency: usize,
    summaries: &[Summary],
    seed_secs: f64,
    login_secs: f64,
    loaded_docs: Option<(usize, usize, usize)>,
    rss_mb: Option<f64>,
) {
    println!();
    println!(
        "cartable-loadgen: {} families, {:?} backend, server {}, {} in flight, {}, {} s per scenario",
        args.families,
        args.backend,
        match args.server.len() {
            0 => "in this process".to_string(),
            1 => "in its own process".to_string(),
            n => format!("in {n} processes of its own"),
        },
        concurrency,
        match &args.rate[..] {
            [] => "closed loop".to_string(),
            [r] => format!("paced at {r} ops/s"),
            rates => format!(
                "paced at {} ops/s in turn",
                rates
                    .iter()
                    .map(f64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        args.duration_secs
    );
    println!(
        "seeding {seed_secs:.1} s, logins {login_secs:.1} s, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<22} {:>7} {:>6} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7} {:>9} {:>7} {:>7} {:>6}",
        "phase",
        "ops",
        "secs",
        "ops/s",
        "req/s",
        "p50ms",
        "p90ms",
        "p99ms",
        "maxms",
        "rounds",
        "B up",
        "B down",
        "errors"
    );
    for s in summaries {
        println!(
            "{:<22} {:>7} {:>6.1} {:>8.0} {:>8.0} {:>7.2} {:>7.2} {:>7.2} {:>7.1} {:>5.2}/{:<3} {:>7.0} {:>7.0} {:>6}",
            s.phase,
            s.ops,
            s.elapsed.as_secs_f64(),
            s.per_sec,
            s.requests_per_sec,
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.max_ms,
            s.mean_rounds,
            s.max_rounds,
            s.bytes_up_per_op,
            s.bytes_down_per_op,
            s.errors
        );
    }
    println!(
        "CPU seconds per phase (server runtime, sqlx SQLite threads, load generator, PostgreSQL, \
         anything else on the machine):"
    );
    for s in summaries {
        let c = &s.cpu;
        let busy = if c.machine_total > 0.0 {
            100.0 * c.machine_busy / c.machine_total
        } else {
            0.0
        };
        println!(
            "  {:<22} server {:>6.2}  sqlite {:>6.2}  client {:>6.2}  postgres {:>6.2}  foreign {:>5.2}  machine {:>3.0}% busy  RSS after {}",
            s.phase,
            c.server,
            c.sqlite,
            c.client + c.other,
            c.postgres,
            c.foreign(),
            busy,
            s.rss_mb.map_or("?".to_string(), |m| format!("{m:.0} MB"))
        );
    }
    println!("server CPU per operation (server + its SQLite threads):");
    for s in summaries {
        let server_ms = if s.ops > 0 {
            1000.0 * (s.cpu.server + s.cpu.sqlite) / s.ops as f64
        } else {
            0.0
        };
        print!("  {:<22} {server_ms:>7.3} ms", s.phase);
        if let Some(loads) = s.doc_loads
            && s.ops > 0
        {
            print!(
                "  documents loaded from storage per operation {:.2}",
                loads as f64 / s.ops as f64
            );
        }
        match s.server_memory {
            Some(m) => {
                let (whose, added) = if args.server.len() > 1 {
                    ("processes'", " (added up)")
                } else {
                    ("process", "")
                };
                println!(
                    "  server {whose} RSS after {:.0} MB, peak so far {:.0} MB{added}; own memory \
                     (RssAnon) after {:.0} MB, peak so far {}; files mapped, counted once, {}",
                    m.rss_mb,
                    m.peak_mb,
                    m.own_mb,
                    s.server_own_peak_mb
                        .map_or("?".to_string(), |p| format!("{p:.0} MB")),
                    m.files_once_mb
                        .map_or("?".to_string(), |f| format!("{f:.0} MB")),
                )
            }
            None => println!(),
        }
    }
    for s in summaries {
        let r = &s.recorder;
        if r.accepted + r.cancelled + r.refused + r.undecided > 0 {
            println!(
                "  {}: requests accepted {}, withdrawn {}, refused or kept billed {}, undecided \
                 after sync {}; held to the rules: {} as they say, {} refused for a full day, \
                 {} at a deadline passing",
                s.phase,
                r.accepted,
                r.cancelled,
                r.refused,
                r.undecided,
                r.rules_agree,
                r.rules_full,
                r.rules_at_deadline
            );
        }
        if r.compensations > 0 {
            println!(
                "  {}: {} paths compensated by the server (unexpected)",
                s.phase, r.compensations
            );
        }
        if r.churn_logins > 0 {
            println!(
                "  {}: {} new devices logged in meanwhile",
                s.phase, r.churn_logins
            );
        }
        if r.late_starts > 0 {
            println!(
                "  {}: {} operations started late (the pace was not held)",
                s.phase, r.late_starts
            );
        }
        if s.max_rounds > 1 {
            for sample in &r.multi_round_samples {
                println!(
                    "  {}: a multi-round sync (changes c, needed n, heads h per doc): {sample}",
                    s.phase
                );
            }
        }
        for (kind, n) in &r.errors {
            println!("  {}: {n} × {kind}", s.phase);
            for sample in r.error_samples.get(kind).into_iter().flatten() {
                println!("      e.g. {sample}");
            }
        }
    }
    match loaded_docs {
        Some((count, bytes, writes)) => println!(
            "server documents in memory: {count} (estimated {:.1} MB), at most {writes} held \
             by writes at once; process RSS (server + load generator): {}",
            bytes as f64 / 1_048_576.0,
            rss_mb.map_or("?".to_string(), |m| format!("{m:.0} MB"))
        ),
        None => println!(
            "load generator RSS: {}",
            rss_mb.map_or("?".to_string(), |m| format!("{m:.0} MB"))
        ),
    }
}
