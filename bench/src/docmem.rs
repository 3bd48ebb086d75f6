//! `cartable-docmem`: how much memory a loaded Automerge document takes, to calibrate the
//! server's document cache (`cartable_server::docs::cache`).
//!
//! Builds documents shaped like the server's: plannings of 0 to 1,000 booked cells, each cell
//! a request written by a parent's device and a decision written by the server, either each
//! its own change (a cell booked per sync) or many per change (a month or a year booked at
//! once, and the sync that decides them), and a family's dossier. For each, a fresh child
//! process loads many copies of its saved bytes and divides the growth of its resident
//! memory (VmRSS) by the number of copies, so no shape inherits another's freed memory, and
//! times those loads (`AutoCommit::load` alone: what a sync pays for a document not in the
//! cache). Each shape is measured twice: as loaded, and as the server keeps it, repacked when
//! its slot is let go (`cartable_server::docs::repack`), with the time of that copy. Then fits
//! `memory − saved bytes ≈ a + b × operations + c × changes` over the kept shapes.

use anyhow::{Context, anyhow, bail};
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use autosurgeon::reconcile_prop;
use cartable_bench::memory;
use cartable_domain::dossier::{ChildSheet, Dossier};
use cartable_domain::planning::{BookingRequest, CellKey, Decision, Outcome, Planning};
use cartable_domain::school_year::SchoolYear;
use cartable_server::docs::store::Loaded;
use clap::Parser;
use std::process::Command;

/// Memory of loaded Automerge documents, by shape.
#[derive(Debug, Parser)]
#[command(name = "cartable-docmem", version)]
struct Args {
    /// Booked cells of the plannings measured, one change per request and per decision.
    #[arg(long, value_delimiter = ',', default_value = "0,10,100,300,1000")]
    cells: Vec<usize>,
    /// Plannings whose cells were booked in bulk, as `CELLS/PER`: PER requests per change
    /// (and their decisions in one change), e.g. a year booked at once, or month by month.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100/100,300/300,1000/1000,1000/100"
    )]
    bulk: Vec<String>,
    /// Shapes measured as the server holds them after more syncs merged into the loaded
    /// copy, as `SHAPE+SYNCS` (not used in the fit).
    #[arg(long, value_delimiter = ',', default_value = "1000/1000+50,1000+50")]
    merged: Vec<String>,
    /// Resident memory to fill per shape (more copies of small documents).
    #[arg(long, default_value_t = 256)]
    fill_mb: usize,
    /// Internal: measure one shape in this process and print one line.
    #[arg(long, hide = true)]
    one: Option<String>,
    /// Internal, with `--one`: measure the copies repacked as the server keeps them.
    #[arg(long, hide = true)]
    repacked: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(shape) = &args.one {
        return measure_here(shape, args.fill_mb, args.repacked);
    }
    let mut shapes = vec!["dossier".to_string()];
    shapes.extend(args.cells.iter().map(|c| format!("planning:{c}")));
    shapes.extend(args.bulk.iter().map(|b| format!("planning:{b}")));
    println!(
        "{:<22} {:>8} {:>8} {:>10} {:>7} {:>11} {:>11} {:>9} {:>9} {:>10}",
        "shape",
        "changes",
        "ops",
        "saved B",
        "copies",
        "loaded B",
        "kept B",
        "kept/op",
        "load µs",
        "repack µs"
    );
    let mut points = Vec::new();
    for shape in &shapes {
        let kept = measure_both(shape, args.fill_mb)?;
        points.push(([1.0, kept.ops, kept.changes], kept.memory - kept.saved));
    }
    let [a, b, c] = fit(&points).ok_or_else(|| {
        anyhow!("the shapes do not separate operations from changes: add bulk shapes")
    })?;
    println!(
        "fit of the kept copies: memory ≈ saved bytes + {a:.0} + {b:.0} × operations + {c:.0} × changes"
    );
    let fitted = |x: &[f64; 3]| a + b * x[1] + c * x[2];
    for (x, y) in &points {
        println!(
            "  {:>6.0} ops {:>6.0} changes: measured {:>9.0}, fitted {:>9.0} ({:+.0} %)",
            x[1],
            x[2],
            y,
            fitted(x),
            (fitted(x) - y) / y.max(1.0) * 100.0
        );
    }
    for shape in args.merged.iter().map(|m| format!("planning:{m}")) {
        let kept = measure_both(&shape, args.fill_mb)?;
        let predicted = fitted(&[1.0, kept.ops, kept.changes]) + kept.saved;
        println!(
            "  {shape} (not fitted): kept {:.0}, the fit gives {predicted:.0} ({:+.0} %)",
            kept.memory,
            (predicted - kept.memory) / kept.memory.max(1.0) * 100.0
        );
    }
    Ok(())
}

/// One shape's measure in one process.
struct Measured {
    changes: f64,
    ops: f64,
    saved: f64,
    copies: f64,
    /// Memory per copy.
    memory: f64,
    load_us: f64,
    repack_us: f64,
}

/// Measures `shape` as loaded and as kept, each in a fresh process, prints its line and
/// returns the kept measure.
fn measure_both(shape: &str, fill_mb: usize) -> anyhow::Result<Measured> {
    let loaded = measure(shape, fill_mb, false)?;
    let kept = measure(shape, fill_mb, true)?;
    let per_op = if kept.ops > 0.0 {
        (kept.memory - kept.saved) / kept.ops
    } else {
        0.0
    };
    println!(
        "{shape:<22} {:>8.0} {:>8.0} {:>10.0} {:>7.0} {:>11.0} {:>11.0} {per_op:>9.0} {:>9.0} {:>10.1}",
        kept.changes,
        kept.ops,
        kept.saved,
        kept.copies,
        loaded.memory,
        kept.memory,
        loaded.load_us,
        kept.repack_us
    );
    Ok(kept)
}

/// Measures one shape in a fresh process (its copies repacked or not).
fn measure(shape: &str, fill_mb: usize, repacked: bool) -> anyhow::Result<Measured> {
    let mut args = vec!["--one", shape, "--fill-mb"];
    let fill = fill_mb.to_string();
    args.push(&fill);
    if repacked {
        args.push("--repacked");
    }
    let out = Command::new(std::env::current_exe()?)
        .args(&args)
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
    let [changes, ops, saved, copies, memory, load_us, repack_us] = f[..] else {
        bail!("unexpected line `{line}`");
    };
    Ok(Measured {
        changes,
        ops,
        saved,
        copies,
        memory,
        load_us,
        repack_us,
    })
}

/// Least squares of `y = a + b x1 + c x2` (each point's `x` is `[1, x1, x2]`), solved from
/// the normal equations; `None` when they are singular.
fn fit(points: &[([f64; 3], f64)]) -> Option<[f64; 3]> {
    let mut m = [[0.0f64; 4]; 3];
    for (x, y) in points {
        for (row, xi) in m.iter_mut().zip(x) {
            for (cell, xj) in row.iter_mut().zip(x) {
                *cell += xi * xj;
            }
            row[3] += xi * y;
        }
    }
    // Gauss-Jordan elimination with partial pivoting.
    for col in 0..3 {
        let pivot = (col..3).max_by(|&r, &s| m[r][col].abs().total_cmp(&m[s][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col];
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (cell, p) in row.iter_mut().zip(pivot_row).skip(col) {
                    *cell -= f * p;
                }
            }
        }
    }
    Some([m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]])
}

fn measure_here(shape: &str, fill_mb: usize, repacked: bool) -> anyhow::Result<()> {
    // `SHAPE+K`: the document as the server holds it after K more one-cell syncs merged into
    // the loaded copy (a request and its decision each), rather than freshly loaded.
    let (base, merged) = match shape.split_once('+') {
        Some((base, k)) => (base, k.parse::<usize>()?),
        None => (shape, 0),
    };
    let mut doc = build(base)?;
    let bytes = doc.save();
    let later = later_syncs(&mut doc, merged)?;
    let stats = doc.stats();
    // Rough guess of the memory of one copy, only to pick how many copies to load.
    let guess = 16 * 1024 + bytes.len() * 16;
    let copies = (fill_mb * 1024 * 1024 / guess).clamp(100, 20_000);
    let before = rss_bytes()?;
    let mut loaded = Vec::with_capacity(copies);
    let mut loading = std::time::Duration::ZERO;
    let mut repacking = std::time::Duration::ZERO;
    // As a slot lets go of its document: after the load, then after each sync; the time of
    // the last repack (one copy of the document as it is kept).
    let let_go = |copy: &mut Loaded| -> std::time::Duration {
        let started = std::time::Instant::now();
        if repacked {
            copy.repack();
        }
        started.elapsed()
    };
    for _ in 0..copies {
        let started = std::time::Instant::now();
        let doc = AutoCommit::load(&bytes)?;
        loading += started.elapsed();
        let mut copy = Loaded::new(doc, 1, 1, bytes.len());
        let mut last = let_go(&mut copy);
        for change in &later {
            merge_as_the_server_does(&mut copy.doc, change)?;
            last = let_go(&mut copy);
        }
        repacking += last;
        loaded.push(copy);
    }
    let after = rss_bytes()?;
    let per_doc = after.saturating_sub(before) as f64 / copies as f64;
    let load_us = loading.as_secs_f64() * 1e6 / copies as f64;
    let repack_us = repacking.as_secs_f64() * 1e6 / copies as f64;
    println!(
        "{} {} {} {} {per_doc:.0} {load_us:.1} {repack_us:.1}",
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
        Some(("planning", spec)) => {
            let (cells, per_change) = match spec.split_once('/') {
                Some((cells, per)) => (cells.parse::<usize>()?, per.parse::<usize>()?.max(1)),
                None => (spec.parse()?, 1),
            };
            let year: SchoolYear = "2026-2027".parse().map_err(|e| anyhow!("{e:?}"))?;
            autosurgeon::reconcile(&mut doc, Planning::new(&"f".repeat(32), year))?;
            doc.commit();
            let device = ActorId::random();
            let start = jiff::civil::date(2026, 9, 1);
            let cell = |i: usize| -> anyhow::Result<(String, String, i64)> {
                let child = format!("{:032x}", i % 2);
                let date = start.checked_add(jiff::Span::new().days((i / 4) as i64))?;
                let activity = ["cantine", "matin", "soir", "mercredi"][(i / 2) % 4];
                let key = CellKey::new(child, date, activity.to_string()).encode();
                Ok((
                    key,
                    format!("{i:016x}"),
                    1_788_000_000_000 + i as i64 * 60_000,
                ))
            };
            let batches: Vec<usize> = (0..cells).step_by(per_change).collect();
            for first in batches {
                let batch = (first..(first + per_change).min(cells))
                    .map(cell)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                book_and_decide(&mut doc, &device, &server, &batch)?;
            }
        }
        _ => bail!("unknown shape {shape}: dossier, planning:CELLS or planning:CELLS/PER"),
    }
    Ok(doc)
}

/// Writes `cells` (key, rev, time) into `doc` as one sync does: the requests in one change
/// by `device`, then their decisions (accepted) in one change by `server`.
fn book_and_decide(
    doc: &mut AutoCommit,
    device: &ActorId,
    server: &ActorId,
    cells: &[(String, String, i64)],
) -> anyhow::Result<()> {
    doc.set_actor(device.clone());
    let requests = map(doc, "requests")?;
    for (key, rev, at_ms) in cells {
        let request = BookingRequest {
            wanted: true,
            rev: rev.clone(),
            by: "a".repeat(32),
            at_ms: *at_ms,
        };
        reconcile_prop(&mut *doc, &requests, key.as_str(), &request)?;
    }
    doc.commit();
    doc.set_actor(server.clone());
    let decisions = map(doc, "decisions")?;
    for (key, rev, at_ms) in cells {
        let decision = Decision {
            rev: rev.clone(),
            outcome: Outcome::Accepted,
            reason: None,
            cause: None,
            decided_at_ms: at_ms + 50,
        };
        reconcile_prop(&mut *doc, &decisions, key.as_str(), &decision)?;
    }
    doc.commit();
    Ok(())
}

/// Writes `count` one-cell syncs into `doc` (a request from a device, then its decision from
/// the server, on cells of the year's last days) and returns their changes in order.
fn later_syncs(doc: &mut AutoCommit, count: usize) -> anyhow::Result<Vec<automerge::Change>> {
    let device = ActorId::random();
    let server = ActorId::random();
    let start = jiff::civil::date(2027, 6, 1);
    let mut changes = Vec::with_capacity(2 * count);
    for i in 0..count {
        let key = CellKey::new(
            format!("{:032x}", i % 2),
            start.checked_add(jiff::Span::new().days((i / 2) as i64))?,
            "cantine".to_string(),
        )
        .encode();
        let rev = format!("{:032x}", 0xfeed_0000_u64 + i as u64);
        let at_ms = 1_790_000_000_000 + i as i64 * 60_000;
        let heads = doc.get_heads();
        book_and_decide(doc, &device, &server, &[(key, rev, at_ms)])?;
        changes.extend(doc.get_changes(&heads));
    }
    Ok(changes)
}

/// Applies one change the way the server merges a device's message: with Automerge's diff
/// cursor logging what arrives, the diff taken, then the log stopped (`docs/merge.rs`).
fn merge_as_the_server_does(
    doc: &mut AutoCommit,
    change: &automerge::Change,
) -> anyhow::Result<()> {
    let before = doc.get_heads();
    doc.update_diff_cursor();
    doc.apply_changes([change.clone()])?;
    let after = doc.get_heads();
    let _patches = doc.diff(&before, &after);
    doc.reset_diff_cursor();
    Ok(())
}

fn map(doc: &AutoCommit, name: &str) -> anyhow::Result<automerge::ObjId> {
    match doc.get(ROOT, name)? {
        Some((_, id)) => Ok(id),
        None => bail!("the planning has no {name} map"),
    }
}

fn rss_bytes() -> anyhow::Result<u64> {
    let mb = memory::status_mb(std::process::id(), "VmRSS:")
        .ok_or_else(|| anyhow!("no VmRSS in /proc/self/status"))?;
    // The kernel counts kB: MB × 2^20 is an exact number of bytes.
    Ok((mb * 1024.0 * 1024.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn the_fit_finds_the_coefficients_of_exact_points() {
        let points: Vec<([f64; 3], f64)> =
            [(6.0, 1.0), (2006.0, 2001.0), (2006.0, 3.0), (606.0, 3.0)]
                .into_iter()
                .map(|(ops, changes)| {
                    (
                        [1.0, ops, changes],
                        25_000.0 + 140.0 * ops + 180.0 * changes,
                    )
                })
                .collect();
        let [a, b, c] = fit(&points).expect("the shapes separate operations from changes");
        assert!((a - 25_000.0).abs() < 1e-3, "{a}");
        assert!((b - 140.0).abs() < 1e-6, "{b}");
        assert!((c - 180.0).abs() < 1e-6, "{c}");
    }

    #[test]
    fn the_fit_refuses_shapes_whose_changes_follow_their_operations() {
        // One change per operation in every shape: operations and changes cannot be told apart.
        let points: Vec<([f64; 3], f64)> = [10.0, 100.0, 1000.0]
            .into_iter()
            .map(|n| ([1.0, n, n], 1.0 + 320.0 * n))
            .collect();
        assert_eq!(fit(&points), None);
    }
}
