//! `cartable-docmem`: how much memory a loaded Automerge document takes, to calibrate the
//! server's document cache (`cartable_server::docs::cache`).
//!
//! Builds documents shaped like the server's: plannings of 0 to 1,000 booked cells (each cell
//! a request written by a parent's device and a decision written by the server, each its own
//! change, as syncs write them) and a family's dossier. For each, a fresh child process loads
//! many copies of its saved bytes and divides the growth of its resident memory (VmRSS) by
//! the number of copies, so no shape inherits another's freed memory. Then fits
//! `memory − saved bytes ≈ a + b × operations` over the shapes.

use anyhow::{Context, anyhow, bail};
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use autosurgeon::reconcile_prop;
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::{BookingRequest, CellKey, Decision, Outcome, Planning};
use cartable_domain::school_year::SchoolYear;
use clap::Parser;
use std::process::Command;

/// Memory of loaded Automerge documents, by shape.
#[derive(Debug, Parser)]
#[command(name = "cartable-docmem", version)]
struct Args {
    /// Booked cells of the plannings measured.
    #[arg(long, value_delimiter = ',', default_value = "0,10,100,300,1000")]
    cells: Vec<usize>,
    /// Resident memory to fill per shape (more copies of small documents).
    #[arg(long, default_value_t = 256)]
    fill_mb: usize,
    /// Internal: measure one shape in this process and print one line.
    #[arg(long, hide = true)]
    one: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(shape) = &args.one {
        return measure_here(shape, args.fill_mb);
    }
    let mut shapes = vec!["dossier".to_string()];
    shapes.extend(args.cells.iter().map(|c| format!("planning:{c}")));
    println!(
        "{:<16} {:>8} {:>8} {:>10} {:>7} {:>12} {:>10}",
        "shape", "changes", "ops", "saved B", "copies", "memory B", "B per op"
    );
    let mut points = Vec::new();
    for shape in &shapes {
        let out = Command::new(std::env::current_exe()?)
            .args(["--one", shape, "--fill-mb", &args.fill_mb.to_string()])
            .output()
            .context("running a measuring process")?;
        if !out.status.success() {
            bail!("{shape}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let line = String::from_utf8(out.stdout)?;
        let f: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading `{line}`"))?;
        let [changes, ops, saved, copies, memory] = f[..] else {
            bail!("unexpected line `{line}`");
        };
        let per_op = if ops > 0.0 {
            (memory - saved) / ops
        } else {
            0.0
        };
        println!(
            "{shape:<16} {changes:>8.0} {ops:>8.0} {saved:>10.0} {copies:>7.0} {memory:>12.0} {per_op:>10.0}"
        );
        points.push((ops, memory - saved));
    }
    let (a, b) = fit(&points);
    println!("fit: memory ≈ saved bytes + {a:.0} + {b:.0} × operations");
    Ok(())
}

/// Least squares of `y = a + b x`.
fn fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

fn measure_here(shape: &str, fill_mb: usize) -> anyhow::Result<()> {
    let mut doc = build(shape)?;
    let bytes = doc.save();
    let stats = AutoCommit::load(&bytes)?.stats();
    // Rough guess of the memory of one copy, only to pick how many copies to load.
    let guess = 16 * 1024 + bytes.len() * 16;
    let copies = (fill_mb * 1024 * 1024 / guess).clamp(100, 20_000);
    let before = rss_bytes()?;
    let mut loaded = Vec::with_capacity(copies);
    for _ in 0..copies {
        loaded.push(AutoCommit::load(&bytes)?);
    }
    let after = rss_bytes()?;
    let per_doc = after.saturating_sub(before) as f64 / copies as f64;
    println!(
        "{} {} {} {} {per_doc:.0}",
        stats.num_changes,
        stats.num_ops,
        bytes.len(),
        loaded.len()
    );
    Ok(())
}

fn build(shape: &str) -> anyhow::Result<AutoCommit> {
    let server = ActorId::random();
    let mut doc = AutoCommit::new().with_actor(server.clone());
    match shape.split_once(':') {
        None if shape == "dossier" => {
            let mut dossier = Dossier {
                family_id: "f".repeat(32),
                ..Default::default()
            };
            for (i, first) in ["Léa", "Hugo"].into_iter().enumerate() {
                dossier.children.insert(
                    format!("{i:032x}"),
                    ChildSheet {
                        first_name: first.into(),
                        last_name: "Martin".into(),
                        birth_date: "2017-03-14".into(),
                        school: "École élémentaire Jules-Ferry".into(),
                        class: "CM1".into(),
                        ..Default::default()
                    },
                );
            }
            autosurgeon::reconcile(&mut doc, &dossier)?;
            doc.commit();
        }
        Some(("planning", cells)) => {
            let cells: usize = cells.parse()?;
            let year: SchoolYear = "2026-2027".parse().map_err(|e| anyhow!("{e:?}"))?;
            autosurgeon::reconcile(&mut doc, Planning::new(&"f".repeat(32), year))?;
            doc.commit();
            let device = ActorId::random();
            let start = jiff::civil::date(2026, 9, 1);
            for i in 0..cells {
                let child = format!("{:032x}", i % 2);
                let date = start.checked_add(jiff::Span::new().days((i / 4) as i64))?;
                let activity = ["cantine", "matin", "soir", "mercredi"][(i / 2) % 4];
                let key = CellKey::new(child, date, activity.to_string()).encode();
                let rev = format!("{i:016x}");
                let at_ms = 1_788_000_000_000 + i as i64 * 60_000;
                doc.set_actor(device.clone());
                let request = BookingRequest {
                    wanted: true,
                    rev: rev.clone(),
                    by: "a".repeat(32),
                    at_ms,
                };
                let requests = map(&doc, "requests")?;
                reconcile_prop(&mut doc, &requests, key.as_str(), &request)?;
                doc.commit();
                doc.set_actor(server.clone());
                let decision = Decision {
                    rev,
                    outcome: Outcome::Accepted,
                    reason: None,
                    cause: None,
                    decided_at_ms: at_ms + 50,
                };
                let decisions = map(&doc, "decisions")?;
                reconcile_prop(&mut doc, &decisions, key.as_str(), &decision)?;
                doc.commit();
            }
        }
        _ => bail!("unknown shape {shape}: dossier or planning:CELLS"),
    }
    Ok(doc)
}

fn map(doc: &AutoCommit, name: &str) -> anyhow::Result<automerge::ObjId> {
    match doc.get(ROOT, name)? {
        Some((_, id)) => Ok(id),
        None => bail!("the planning has no {name} map"),
    }
}

fn rss_bytes() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| anyhow!("no VmRSS in /proc/self/status"))?
        .parse()?;
    Ok(kb * 1024)
}
