//! Driving devices: a fixed number of workers, each owning a share of the families and
//! looping over them one sync at a time, until a deadline or a per-family count.

use crate::client::{Device, Failure, Http};
use crate::stats::Recorder;
use jiff::civil::Date;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What each operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A sync with nothing to send (the device is up to date).
    Sync,
    /// Write one booking request, then sync until done.
    Booking,
}

/// How a phase is bounded and paced.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    pub op: Op,
    /// Booking requests written before each booking sync (a Sunday-evening rush books a
    /// whole week at once); each is decided on its own.
    pub cells_per_sync: usize,
    /// Stop starting operations after this long.
    pub duration: Option<Duration>,
    /// Stop once every family has done this many.
    pub per_family: Option<u64>,
    /// Families in flight at once (each worker owns `families / concurrency` families).
    pub concurrency: usize,
    /// Total operations per second to aim for (open loop, random arrivals spread over the
    /// workers); `None`: each worker starts the next operation as soon as the last one ends.
    pub rate: Option<f64>,
    /// New device logins per second during the phase (other parents signing in while the
    /// families sync); only with a duration.
    pub login_churn: Option<f64>,
}

/// Logins available for churn: (login, password).
pub type Logins = Arc<Vec<(String, String)>>;

/// Runs `phase` over `devices`; returns them with what was recorded and the wall time.
pub async fn run(
    devices: Vec<Device>,
    http: &Http,
    cells: &Arc<Vec<(Date, String)>>,
    logins: &Logins,
    phase: Phase,
) -> anyhow::Result<(Vec<Device>, Recorder, Duration)> {
    if phase.duration.is_none() && phase.per_family.is_none() {
        anyhow::bail!("a phase needs a duration or a per-family count");
    }
    let workers = phase.concurrency.clamp(1, devices.len().max(1));
    let mut groups: Vec<Vec<Device>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, mut d) in devices.into_iter().enumerate() {
        d.ops = 0;
        groups[i % workers].push(d);
    }
    let interval = phase
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(workers as f64 / r));
    let start = Instant::now();
    let deadline = phase.duration.map(|d| start + d);
    let mut tasks = tokio::task::JoinSet::new();
    for group in groups {
        let http = http.clone();
        let cells = cells.clone();
        // Paced workers start at random too, so requests do not come in waves.
        let first = interval.map(|iv| start + exponential(iv));
        tasks.spawn(
            async move { worker(group, http, cells, phase, deadline, first, interval).await },
        );
    }
    let churn = match (phase.login_churn.filter(|r| *r > 0.0), deadline) {
        (Some(rate), Some(deadline)) if !logins.is_empty() => Some(tokio::spawn(churn(
            http.clone(),
            logins.clone(),
            rate,
            deadline,
        ))),
        _ => None,
    };
    let mut devices = Vec::new();
    let mut recorder = Recorder::default();
    while let Some(joined) = tasks.join_next().await {
        let (group, rec) = joined.map_err(|e| anyhow::anyhow!("worker task: {e}"))?;
        devices.extend(group);
        recorder.merge(rec);
    }
    if let Some(task) = churn {
        let (ok, failed) = task
            .await
            .map_err(|e| anyhow::anyhow!("login churn task: {e}"))?;
        recorder.churn_logins += ok;
        for f in failed {
            recorder.failed(f);
        }
    }
    let elapsed = start.elapsed();
    devices.sort_by_key(|d| d.family);
    Ok((devices, recorder, elapsed))
}

async fn worker(
    mut group: Vec<Device>,
    http: Http,
    cells: Arc<Vec<(Date, String)>>,
    phase: Phase,
    deadline: Option<Instant>,
    mut next_at: Option<Instant>,
    interval: Option<Duration>,
) -> (Vec<Device>, Recorder) {
    let mut rec = Recorder::default();
    if group.is_empty() {
        return (group, rec);
    }
    let mut i = 0usize;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if let Some(k) = phase.per_family
            && group.iter().all(|d| d.ops >= k)
        {
            break;
        }
        let n = group.len();
        let dev = &mut group[i % n];
        i += 1;
        if phase.per_family.is_some_and(|k| dev.ops >= k) {
            continue;
        }
        // The latency clock starts at the scheduled time when paced, so a slow server is
        // not hidden by the worker starting late (coordinated omission).
        let scheduled = match (next_at, interval) {
            (Some(at), Some(iv)) => {
                if deadline.is_some_and(|d| at >= d) {
                    break;
                }
                let now = Instant::now();
                if at > now {
                    tokio::time::sleep_until(at.into()).await;
                } else if now - at > Duration::from_millis(1) {
                    rec.late_starts += 1;
                }
                next_at = Some(at + exponential(iv));
                at
            }
            _ => Instant::now(),
        };
        dev.ops += 1;
        match phase.op {
            Op::Sync => match dev.sync(&http).await {
                Ok(outcome) => rec.ok(scheduled.elapsed(), &outcome),
                Err(f) => rec.failed(f),
            },
            Op::Booking => {
                let now = jiff::Timestamp::now();
                let written: Result<Vec<_>, _> = (0..phase.cells_per_sync.max(1))
                    .map(|_| dev.write_booking(&cells, now))
                    .collect();
                let pending = match written {
                    Ok(p) => p,
                    Err(e) => {
                        rec.failed(Failure {
                            kind: "local booking write".into(),
                            detail: e.to_string(),
                        });
                        continue;
                    }
                };
                match dev.sync(&http).await {
                    Ok(outcome) => {
                        rec.ok(scheduled.elapsed(), &outcome);
                        let answered = jiff::Timestamp::now();
                        for p in &pending {
                            let (verdict, check) = dev.verdict(p, answered);
                            rec.verdict(verdict);
                            if let Some(check) = check {
                                rec.check(check);
                            }
                        }
                    }
                    Err(f) => rec.failed(f),
                }
            }
        }
    }
    (group, rec)
}

/// A random gap of mean `mean` between arrivals: each worker's operations arrive as a
/// Poisson process, and so do all of them together (random arrivals, as parents' phones).
fn exponential(mean: Duration) -> Duration {
    // 1 - U lies in (0, 1], so its logarithm is finite.
    mean.mul_f64(-(1.0 - rand::random::<f64>()).ln())
}

/// Logs new devices in at `rate` per second until `deadline`, one at a time.
async fn churn(http: Http, logins: Logins, rate: f64, deadline: Instant) -> (u64, Vec<Failure>) {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut next = Instant::now();
    let mut ok = 0;
    let mut failed = Vec::new();
    let mut i = 0usize;
    while next < deadline {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        // The logins are in family order.
        let family = i % logins.len();
        let (login, password) = &logins[family];
        i += 1;
        match http.login(family, login, password).await {
            Ok(_) => ok += 1,
            Err(e) => failed.push(Failure {
                kind: "churn login".into(),
                detail: format!("{e:#}"),
            }),
        }
    }
    (ok, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_gaps_average_the_mean_and_are_spread_like_an_exponential() {
        let mean = Duration::from_millis(100);
        let gaps: Vec<f64> = (0..200_000)
            .map(|_| exponential(mean).as_secs_f64())
            .collect();
        let average = gaps.iter().sum::<f64>() / gaps.len() as f64;
        assert!((average - 0.1).abs() < 0.005, "average gap {average}");
        // An exponential of mean m is below m with probability 1 - 1/e (63 %).
        let below = gaps.iter().filter(|g| **g < 0.1).count() as f64 / gaps.len() as f64;
        assert!((below - 0.632).abs() < 0.01, "share below the mean {below}");
        assert!(gaps.iter().all(|g| g.is_finite() && *g >= 0.0));
    }
}
