//! `cartable-fullyear`: the phone's side of a full school year.
//!
//! Starts the real server in this process (SQLite in a temporary folder), seeds one family
//! (two children), books every activity of the default catalogue on every day it runs from
//! 1 September to 4 July with the client core, syncs until every
//! request is decided, then measures with fresh client cores over real HTTP on loopback:
//!
//! - the **first sync** of a new device of that family (login not counted): wall time, round
//!   trips, and the CBOR bytes of the sync requests and answers (HTTP headers not counted);
//! - **open the store and build a planning week** on a device holding that year;
//! - a **booking sync** of the device that booked the year: one cell withdrawn or booked
//!   again, synced, its decision announced (wall time on the phone's side, the in-process
//!   server's work included).
//!
//! The targets (`../shared/DESIGN.md`): first sync < 50 ms and < 100 KB; open + week < 5 ms.

use anyhow::{Context, anyhow, bail};
use cartable_bench::server::{self, Storage};
use cartable_bench::start::Start;
use cartable_core::domain::api::{DeviceSummary, LoginRequest, LoginResponse};
use cartable_core::domain::planning::RequestState;
use cartable_core::domain::protocol::{self, SyncRequest, SyncResponse};
use cartable_core::domain::school_year::SchoolYear;
use cartable_core::{ActivityDays, BulkBooking, Client, HttpTransport, SystemClock, Transport};
use clap::Parser;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The phone's side of a full school year: first sync and planning week.
#[derive(Debug, Parser)]
#[command(name = "cartable-fullyear", version)]
struct Args {
    /// School year to fill, e.g. 2026-2027 (default: the current one).
    #[arg(long)]
    school_year: Option<String>,
    /// First syncs to measure (each with a fresh device).
    #[arg(long, default_value_t = 30)]
    first_syncs: usize,
    /// Store openings + planning weeks to measure.
    #[arg(long, default_value_t = 300)]
    weeks: usize,
    /// Booking syncs of the device holding the year to measure.
    #[arg(long, default_value_t = 100)]
    booking_syncs: usize,
}

/// [`HttpTransport`] counting the CBOR bytes of sync requests and answers.
struct Counting {
    http: HttpTransport,
    up: AtomicU64,
    down: AtomicU64,
}

impl Counting {
    fn take(&self) -> (u64, u64) {
        (
            self.up.swap(0, Ordering::SeqCst),
            self.down.swap(0, Ordering::SeqCst),
        )
    }
}

fn size_of<T: serde::Serialize>(value: &T) -> u64 {
    protocol::encode(value).len() as u64
}

impl Transport for Counting {
    fn login(&self, url: &str, request: &LoginRequest) -> cartable_core::Result<LoginResponse> {
        self.http.login(url, request)
    }
    fn sync(
        &self,
        url: &str,
        token: &str,
        req: &SyncRequest,
    ) -> cartable_core::Result<SyncResponse> {
        self.up.fetch_add(size_of(req), Ordering::SeqCst);
        let resp = self.http.sync(url, token, req)?;
        self.down.fetch_add(size_of(&resp), Ordering::SeqCst);
        Ok(resp)
    }
    fn devices(&self, url: &str, token: &str) -> cartable_core::Result<Vec<DeviceSummary>> {
        self.http.devices(url, token)
    }
    fn revoke_device(&self, url: &str, token: &str, id: &str) -> cartable_core::Result<()> {
        self.http.revoke_device(url, token, id)
    }
    fn logout(&self, url: &str, token: &str) -> cartable_core::Result<()> {
        self.http.logout(url, token)
    }
}

/// Median, 90th percentile and maximum of `samples`, in ms.
fn spread(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (ms(at(0.5)), ms(at(0.9)), ms(at(1.0)))
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cartable-fullyear: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    if args.first_syncs == 0 || args.weeks == 0 || args.booking_syncs == 0 {
        bail!("--first-syncs, --weeks and --booking-syncs must be at least 1");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("server runtime")?;
    let mut srv = server::start(&rt, &Storage::Sqlite { parent: None })?;
    let families = server::seed(&rt, &srv.state, "annee", 1, 1, 1, Start::EMPTY)?;
    let login = &families
        .first()
        .ok_or_else(|| anyhow!("no family seeded"))?
        .login;
    let url = format!("http://{}", srv.addr);
    let stores = tempfile::tempdir().context("stores folder")?;

    // One parent books the whole year.
    let parent = Client::open(stores.path().join("parent"))?;
    parent.login(&url, login, server::PASSWORD, "téléphone")?;
    parent.sync()?;
    let year: SchoolYear = match &args.school_year {
        Some(y) => y.parse().map_err(|e| anyhow!("--school-year: {e}"))?,
        None => parent.current_school_year()?,
    };
    let children: Vec<String> = parent.dossier()?.children.keys().cloned().collect();
    let pattern = parent
        .catalogue()?
        .activities
        .iter()
        .map(|(id, a)| ActivityDays::new(id.clone(), a.weekdays.clone()))
        .collect();
    let booking = BulkBooking {
        children,
        from: year.first_day(),
        // Classes end in the first days of July.
        to: jiff::civil::Date::new(year.last_day().year(), 7, 4)?,
        pattern,
    };
    let started = Instant::now();
    let report = parent.book_pattern(booking)?;
    let mut syncs = 0;
    while parent.status()?.pending_changes > 0 || syncs == 0 {
        parent.sync()?;
        syncs += 1;
        if syncs > 10 {
            bail!("the year's bookings did not reach the server in 10 syncs");
        }
    }
    parent.sync()?;
    let entries = parent.planning(Some(year))?;
    let count = |f: fn(&RequestState) -> bool| entries.iter().filter(|e| f(&e.state)).count();
    let accepted = count(|s| *s == RequestState::Accepted);
    let refused = count(|s| matches!(s, RequestState::Refused { .. }));
    println!(
        "school year {year}: {} requests written ({} skipped on the phone: public holidays, \
         passed deadlines), {accepted} accepted, {refused} refused of {} ({:.1} s to book and \
         sync)",
        report.written,
        report.skipped.len(),
        entries.len(),
        started.elapsed().as_secs_f64()
    );
    if accepted + refused != entries.len() || entries.len() != report.written {
        bail!("not every request was decided: {entries:?}");
    }

    // First syncs of new devices.
    let counting = Arc::new(Counting {
        http: HttpTransport::new(),
        up: AtomicU64::new(0),
        down: AtomicU64::new(0),
    });
    let mut times = Vec::with_capacity(args.first_syncs);
    let mut bytes = (0, 0);
    let mut rounds = 0;
    let mut last_store = None;
    for i in 0..args.first_syncs {
        let dir = stores.path().join(format!("device-{i}"));
        let device = Client::open_with(&dir, counting.clone(), Arc::new(SystemClock))?;
        device.login(&url, login, server::PASSWORD, &format!("appareil {i}"))?;
        counting.take();
        let t = Instant::now();
        let sync = device.sync()?;
        times.push(t.elapsed());
        bytes = counting.take();
        rounds = rounds.max(sync.rounds);
        let seen = device.planning(Some(year))?.len();
        if seen != entries.len() {
            bail!("a new device sees {seen} requests, not {}", entries.len());
        }
        drop(device);
        last_store = Some(dir);
    }
    let (p50, p90, max) = spread(&mut times);
    println!(
        "first sync of a new device ({} runs): p50 {p50:.1} ms, p90 {p90:.1} ms, max {max:.1} ms; \
         {rounds} round trip(s) at most; {} B up, {} B down (CBOR bodies)",
        args.first_syncs, bytes.0, bytes.1
    );

    // Open the store and build a week, as the app does on start.
    let dir = last_store.ok_or_else(|| anyhow!("no device store"))?;
    let day = year.first_day().saturating_add(jiff::Span::new().days(70));
    let mut times = Vec::with_capacity(args.weeks);
    let (mut opens, mut weeks, mut next_weeks) = (Vec::new(), Vec::new(), Vec::new());
    let mut cells = 0;
    for _ in 0..args.weeks {
        let t = Instant::now();
        let client = Client::open(&dir)?;
        let opened = t.elapsed();
        let week = client.planning_week(day)?;
        times.push(t.elapsed());
        opens.push(opened);
        weeks.push(t.elapsed() - opened);
        cells = week.cells().count();
        let t = Instant::now();
        client.planning_week(day.saturating_add(jiff::Span::new().days(7)))?;
        next_weeks.push(t.elapsed());
    }
    let (p50, p90, max) = spread(&mut times);
    println!(
        "open the store + planning week of {day} ({cells} cells, {} runs): p50 {p50:.2} ms, \
         p90 {p90:.2} ms, max {max:.2} ms",
        args.weeks
    );
    for (what, samples) in [
        ("  of which opening the store", &mut opens),
        ("  of which the first week", &mut weeks),
        ("the next week, store open", &mut next_weeks),
    ] {
        let (p50, p90, _) = spread(samples);
        println!("{what}: p50 {p50:.2} ms, p90 {p90:.2} ms");
    }
    booking_syncs(&parent, &entries, args.booking_syncs)?;
    srv.stop(&rt)?;
    Ok(())
}

/// Withdraws and books again, in turn, one accepted cell a few weeks ahead on the device
/// that holds the year, and syncs each time: each sync must announce that one decision.
fn booking_syncs(
    parent: &Client,
    entries: &[cartable_core::PlanningEntry],
    count: usize,
) -> anyhow::Result<()> {
    let from = parent
        .server_now_ms()
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(cartable_core::domain::calendar::paris_date)
        .ok_or_else(|| anyhow!("the device does not know the server's date"))?
        .saturating_add(jiff::Span::new().days(21));
    let cell = entries
        .iter()
        .find(|e| e.date >= from && e.state == RequestState::Accepted)
        .ok_or_else(|| anyhow!("no accepted cell from {from} on"))?;
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        if i % 2 == 0 {
            parent.cancel(&cell.child_id, cell.date, &cell.activity_id)?;
        } else {
            parent.book(&cell.child_id, cell.date, &cell.activity_id)?;
        }
        let t = Instant::now();
        let report = parent.sync()?;
        times.push(t.elapsed());
        if report.decided.len() != 1 {
            bail!(
                "booking sync {i} announced {} decisions, not 1: {:?}",
                report.decided.len(),
                report.decided
            );
        }
    }
    let (p50, p90, max) = spread(&mut times);
    println!(
        "booking sync of the device holding the year ({count} runs, {} {} withdrawn and \
         booked in turn): p50 {p50:.2} ms, p90 {p90:.2} ms, max {max:.2} ms",
        cell.activity_id, cell.date
    );
    Ok(())
}
