//! `cartable-invoicing`: the monthly run with PDFs for many families.
//!
//! Opens the real server state in this process (SQLite in a temporary folder, or PostgreSQL
//! with `--database-url`), seeds a structure with `--families` families of two children,
//! each booked at the canteen every day it runs in November 2026 and at evening childcare
//! twice a week, with QFs spread over the tariff's bands (rows written straight into the
//! projections invoicing reads: seeding is not what is measured). As in a town's database
//! after its first month, the months before November (`--months-before`, October by default)
//! are booked the same way and issued first, unmeasured, so the families have their ledger
//! documents and the tables their planner's statistics. Then it issues November: inputs
//! loaded, every invoice computed, numbered and stored, every PDF rendered and stored, every
//! family's ledger document published. Prints invoices per second, the time of each phase,
//! the CPU the issue used per invoice (PostgreSQL's processes apart) and the process's peak
//! memory.
//!
//! Target (`../shared/DESIGN.md`): ≥ 1,000 invoices per second with PDFs on 2 cores.

use anyhow::Context;
use cartable_bench::memory::{self, OwnPeak};
use cartable_bench::server::{self, Storage};
use cartable_bench::stats::cpu_snapshot;
use cartable_domain::pricing::BillingMonth;
use cartable_server::AppState;
use cartable_server::invoicing::{pdf, run};
use clap::Parser;
use std::time::{Duration, Instant};

/// The monthly invoice run with PDFs, for many families.
#[derive(Debug, Parser)]
#[command(name = "cartable-invoicing", version)]
struct Args {
    /// Families to invoice.
    #[arg(long, default_value_t = 10_000)]
    families: usize,
    /// PostgreSQL URL (its `public` schema is dropped first); SQLite when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Months issued before the measured one (0: November is the structure's first run,
    /// which also creates every family's ledger document).
    #[arg(long, default_value_t = 1)]
    months_before: u32,
    /// A `perf record --control fifo:PATH -D -1` control FIFO: the measured issue alone is
    /// profiled ("enable" is written to it before, "disable" after).
    #[arg(long)]
    perf_control: Option<std::path::PathBuf>,
}

/// Writes `command` to perf's control FIFO, if one was given.
fn perf_control(fifo: Option<&std::path::Path>, command: &str) -> anyhow::Result<()> {
    if let Some(path) = fifo {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("opening perf's control FIFO {}", path.display()))?;
        writeln!(f, "{command}").context("writing to perf's control FIFO")?;
    }
    Ok(())
}

/// This process's CPU time so far, user and system, in seconds (`/proc/self/stat`, which
/// counts the threads that ended too; zeros elsewhere than Linux).
fn process_cpu() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // After "pid (comm)" comes field 3 (state); utime is field 14, stime 15, in 1/100 s.
    let fields: Vec<&str> = stat
        .rfind(')')
        .and_then(|close| stat.get(close + 1..))
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let secs = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .map_or(0.0, |t| t as f64 / 100.0)
    };
    (secs(11), secs(12))
}

/// The database name at the end of a PostgreSQL URL.
fn database_name(url: &str) -> Option<&str> {
    let path = url.split('?').next()?;
    path.rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && !n.contains('@'))
}

async fn seed(
    state: &AppState,
    families: usize,
    months: &[BillingMonth],
) -> anyhow::Result<String> {
    let structure_id = cartable_server::admin::create_structure(
        state,
        "Mairie de Banc-d'Essai",
        Default::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    cartable_server::docs::catalogue::update(state, &structure_id, |c| {
        cartable_server::demo_billing::demo_billing_rules(c);
        Ok(())
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let days: Vec<jiff::civil::Date> = months
        .iter()
        .flat_map(|month| {
            month
                .first_day()
                .series(jiff::Span::new().days(1))
                .take_while(|d| month.contains(*d))
        })
        .collect();
    let now = jiff::Timestamp::now().as_millisecond();
    for chunk in (0..families).collect::<Vec<_>>().chunks(250) {
        let mut tx = state.db.begin_write().await?;
        for i in chunk {
            let family_id = format!("{:032x}", i + 1);
            sqlx::query(
                "INSERT INTO families (id, structure_id, name, created_at_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(&family_id)
            .bind(structure_id.as_str())
            .bind(format!("Famille {i}"))
            .bind(now)
            .execute(&mut *tx.tx)
            .await?;
            sqlx::query(
                "INSERT INTO adults (family_id, adult_id, first_name, last_name, mobile_phone, \
                 home_phone, work_phone, email, address, legal_guardian, may_pick_up, billing, \
                 emergency_contact, quotient_familial, caf_number, account_id) VALUES \
                 ($1, $2, 'Camille', $3, '', '', '', '', '1 rue de la Gare, 44000 Nantes', 1, 1, 1, 0, $4, '', NULL)",
            )
            .bind(&family_id)
            .bind(format!("a{:031x}", i + 1))
            .bind(format!("Famille{i}"))
            .bind(i64::try_from(300 + (i * 97) % 1600).unwrap_or(800))
            .execute(&mut *tx.tx)
            .await?;
            for (c, (first, birth)) in [("Léa", "2017-03-14"), ("Hugo", "2019-10-02")]
                .iter()
                .enumerate()
            {
                let child_id = format!("c{c}{:030x}", i + 1);
                sqlx::query(
                    "INSERT INTO children (family_id, child_id, first_name, last_name, birth_date, \
                     school, class, diet, allergies, pai, medical_treatments, doctor, \
                     vaccinations_up_to_date, image_authorisation, may_leave_alone) VALUES \
                     ($1, $2, $3, $4, $5, '', 'CE1', 'standard', '[]', 0, '', '', 1, 1, 0)",
                )
                .bind(&family_id)
                .bind(&child_id)
                .bind(*first)
                .bind(format!("Famille{i}"))
                .bind(*birth)
                .execute(&mut *tx.tx)
                .await?;
                for d in &days {
                    let weekday = d.weekday().to_monday_one_offset();
                    let mut activities = Vec::new();
                    if [1, 2, 4, 5].contains(&weekday) && *d != jiff::civil::date(2026, 11, 11) {
                        activities.push("cantine");
                    }
                    if [2, 4].contains(&weekday) {
                        activities.push("garderie-soir");
                    }
                    for activity in activities {
                        sqlx::query(
                            "INSERT INTO booking_requests (doc_id, family_id, child_id, day, \
                             activity_id, wanted, rev, requested_by, requested_at_ms, outcome, \
                             reason, decided_at_ms) VALUES ($1, $2, $3, $4, $5, 1, 'r', 'p', $6, \
                             'accepted', NULL, $6)",
                        )
                        .bind(&family_id)
                        .bind(&family_id)
                        .bind(&child_id)
                        .bind(d.to_string())
                        .bind(activity)
                        .bind(now)
                        .execute(&mut *tx.tx)
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
    }
    Ok(structure_id.into_string())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let own_peak = OwnPeak::start(vec![std::process::id()], Duration::from_millis(100));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let storage = match &args.database_url {
        Some(url) => Storage::Postgres {
            url: url.clone(),
            reset: true,
        },
        None => Storage::Sqlite { parent: None },
    };
    let mut server = server::start(&rt, &storage)?;
    let state = server.state.clone();
    let started = Instant::now();
    let month: BillingMonth = "2026-11".parse()?;
    let mut months = vec![month];
    for _ in 0..args.months_before {
        let earlier = months[0].previous();
        months.insert(0, earlier);
    }
    let structure_id = rt.block_on(seed(&state, args.families, &months))?;
    eprintln!(
        "seeded {} families in {:.1} s",
        args.families,
        started.elapsed().as_secs_f64()
    );
    for earlier in &months[..months.len() - 1] {
        let t = Instant::now();
        let report = rt
            .block_on(run::issue(&state, &structure_id, *earlier, "banc-d-essai"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "issued {} first (not measured): {} invoices in {:.1} s",
            earlier.label_fr(),
            report.issued.len(),
            t.elapsed().as_secs_f64()
        );
    }
    // A database in service has its planner's statistics (PostgreSQL's autovacuum, the
    // server's `PRAGMA optimize` on SQLite); tables filled a second ago do not yet.
    rt.block_on(sqlx::query("ANALYZE").execute(&state.db.pool))
        .context("gathering the planner's statistics (ANALYZE)")?;
    let pg_database = args.database_url.as_deref().and_then(database_name);
    // Phase by phase, as `run::issue` does them, to see where the time goes.
    let report = rt.block_on(async {
        let catalogue =
            cartable_server::docs::catalogue::read(&state, &structure_id.as_str().into())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let t0 = Instant::now();
        let drafts = run::drafts(&state, &structure_id, &catalogue, month)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let computed = t0.elapsed();
        drop(drafts);
        let cpu_before = (process_cpu(), cpu_snapshot(pg_database, &[]));
        perf_control(args.perf_control.as_deref(), "enable")?;
        let t1 = Instant::now();
        let report = run::issue(&state, &structure_id, month, "banc-d-essai")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let issued = t1.elapsed();
        perf_control(args.perf_control.as_deref(), "disable")?;
        let cpu_after = (process_cpu(), cpu_snapshot(pg_database, &[]));
        anyhow::Ok((report, computed, issued, cpu_before, cpu_after))
    })?;
    let (report, computed, issued, cpu_before, cpu_after) = report;
    let n = report.issued.len();
    println!(
        "monthly run of {}, {} families, {} invoices, {} month(s) issued before",
        month.label_fr(),
        args.families,
        n,
        args.months_before
    );
    println!(
        "  load + compute only: {:.2} s ({:.0} families/s)",
        computed.as_secs_f64(),
        args.families as f64 / computed.as_secs_f64()
    );
    println!(
        "  issue (load, compute, number, store, PDFs, ledgers): {:.2} s → {:.0} invoices/s",
        issued.as_secs_f64(),
        n as f64 / issued.as_secs_f64()
    );
    let (user, sys) = (
        cpu_after.0.0 - cpu_before.0.0,
        cpu_after.0.1 - cpu_before.0.1,
    );
    let per_invoice = |secs: f64| secs * 1000.0 / n.max(1) as f64;
    println!(
        "  issue CPU of this process: {user:.2} s user + {sys:.2} s system = {:.2} ms per invoice",
        per_invoice(user + sys)
    );
    if pg_database.is_some() {
        let postgres = cpu_after.1.since(&cpu_before.1).postgres;
        println!(
            "  issue CPU of PostgreSQL's processes: {postgres:.2} s = {:.2} ms per invoice",
            per_invoice(postgres)
        );
    }
    println!(
        "  total invoiced: {}",
        cartable_domain::money::format_eur(report.total_cents)
    );
    // One PDF alone, for scale.
    let one = rt.block_on(async {
        let mut conn = state.db.pool.acquire().await?;
        let first = report.issued.first().cloned().unwrap_or_default();
        let row = cartable_server::db::invoices::by_number(&mut conn, &structure_id, &first)
            .await?
            .context("first invoice")?;
        anyhow::Ok(row)
    })?;
    let t = Instant::now();
    let rounds = 50;
    let mut size = 0;
    for _ in 0..rounds {
        size = pdf::render_row(&one)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len();
    }
    println!(
        "  one PDF: {:.2} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1000.0 / rounds as f64,
        size
    );
    // VmHWM counts each connection's map of the SQLite file apart (`cartable_bench::memory`).
    if let Some(m) = memory::of_process(std::process::id()) {
        own_peak.note(m.own_mb);
        println!(
            "  peak memory (VmHWM): {:.0} MB; own memory (RssAnon) at its peak {:.0} MB, now \
             {:.0} MB; files mapped, counted once, now {}",
            m.peak_mb,
            own_peak.mb(),
            m.own_mb,
            m.files_once_mb
                .map_or("?".to_string(), |f| format!("{f:.0} MB"))
        );
    }
    server.stop(&rt)?;
    Ok(())
}
