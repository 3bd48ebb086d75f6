//! Recording and summarising: latencies in a plain sorted Vec, counts, CPU time per side.

use crate::client::{Failure, SyncOutcome, Verdict};
use crate::memory::ProcessMemory;
use crate::rules_check::Check;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Most error samples kept per kind.
const SAMPLES_PER_KIND: usize = 3;

/// What one worker (or the whole run, once merged) saw.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Microseconds per successful sync (from the scheduled start when paced).
    pub latencies_us: Vec<u64>,
    pub rounds: BTreeMap<u32, u64>,
    pub requests: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub compensations: u64,
    pub errors: BTreeMap<String, u64>,
    pub error_samples: BTreeMap<String, Vec<String>>,
    pub accepted: u64,
    /// Withdrawals done.
    pub cancelled: u64,
    pub refused: u64,
    pub undecided: u64,
    /// Decisions held to the rules (see [`crate::rules_check`]): as the rules say, refused
    /// for a full day, as the rules say once a deadline passed during the sync.
    pub rules_agree: u64,
    pub rules_full: u64,
    pub rules_at_deadline: u64,
    /// Paced runs: operations that started later than scheduled because the previous one
    /// of the same worker was still running.
    pub late_starts: u64,
    /// A few syncs that needed more than one round, round by round.
    pub multi_round_samples: Vec<String>,
    /// Devices logged in during the phase (login churn), successfully.
    pub churn_logins: u64,
}

impl Recorder {
    pub fn ok(&mut self, latency: Duration, outcome: &SyncOutcome) {
        self.latencies_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        *self.rounds.entry(outcome.rounds).or_default() += 1;
        self.requests += u64::from(outcome.rounds);
        self.bytes_up += outcome.bytes_up;
        self.bytes_down += outcome.bytes_down;
        self.compensations += outcome.compensations;
        if outcome.rounds > 1 && self.multi_round_samples.len() < SAMPLES_PER_KIND {
            let rounds: Vec<String> = outcome
                .trace
                .iter()
                .map(|round| {
                    let show = |docs: &[(usize, usize, usize)]| {
                        docs.iter()
                            .map(|(c, n, h)| format!("{c}c/{n}n/{h}h"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    format!(
                        "sent [{}] got [{}]",
                        show(&round.sent),
                        show(&round.received)
                    )
                })
                .collect();
            self.multi_round_samples.push(rounds.join(" then "));
        }
    }

    pub fn failed(&mut self, failure: Failure) {
        self.requests += 1;
        *self.errors.entry(failure.kind.clone()).or_default() += 1;
        let samples = self.error_samples.entry(failure.kind).or_default();
        if samples.len() < SAMPLES_PER_KIND {
            samples.push(failure.detail);
        }
    }

    /// A decision that differs from the rules counts as an error.
    pub fn check(&mut self, check: Check) {
        match check {
            Check::Agrees => self.rules_agree += 1,
            Check::Full => self.rules_full += 1,
            Check::AtDeadline => self.rules_at_deadline += 1,
            Check::Differs(detail) => {
                let kind = "decision differs from the rules".to_string();
                *self.errors.entry(kind.clone()).or_default() += 1;
                let samples = self.error_samples.entry(kind).or_default();
                if samples.len() < SAMPLES_PER_KIND {
                    samples.push(detail);
                }
            }
        }
    }

    pub fn verdict(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Accepted => self.accepted += 1,
            Verdict::Cancelled => self.cancelled += 1,
            Verdict::Refused => self.refused += 1,
            Verdict::Undecided => self.undecided += 1,
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us.extend(other.latencies_us);
        for (r, n) in other.rounds {
            *self.rounds.entry(r).or_default() += n;
        }
        self.requests += other.requests;
        self.bytes_up += other.bytes_up;
        self.bytes_down += other.bytes_down;
        self.compensations += other.compensations;
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
        for (k, s) in other.error_samples {
            let mine = self.error_samples.entry(k).or_default();
            for x in s {
                if mine.len() < SAMPLES_PER_KIND {
                    mine.push(x);
                }
            }
        }
        self.accepted += other.accepted;
        self.cancelled += other.cancelled;
        self.refused += other.refused;
        self.undecided += other.undecided;
        self.rules_agree += other.rules_agree;
        self.rules_full += other.rules_full;
        self.rules_at_deadline += other.rules_at_deadline;
        self.late_starts += other.late_starts;
        self.churn_logins += other.churn_logins;
        for x in other.multi_round_samples {
            if self.multi_round_samples.len() < SAMPLES_PER_KIND {
                self.multi_round_samples.push(x);
            }
        }
    }
}

/// CPU seconds used during a phase, split by who used them.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuSplit {
    /// Server runtime threads (workers and blocking pool).
    pub server: f64,
    /// SQLite connection threads of sqlx (server side).
    pub sqlite: f64,
    /// Load generator runtime threads.
    pub client: f64,
    /// Other threads of this process.
    pub other: f64,
    /// PostgreSQL processes serving the benchmark's database (backends and shared
    /// background processes).
    pub postgres: f64,
    /// Whole machine, busy CPU seconds (includes PostgreSQL processes).
    pub machine_busy: f64,
    /// Whole machine, total CPU seconds available.
    pub machine_total: f64,
}

impl CpuSplit {
    /// Busy CPU seconds of the machine used by neither this process nor PostgreSQL (other
    /// work on the machine: a benchmark figure is only clean when this is near zero).
    pub fn foreign(&self) -> f64 {
        (self.machine_busy - self.server - self.sqlite - self.client - self.other - self.postgres)
            .max(0.0)
    }
}

/// A snapshot of CPU counters (clock ticks): per thread of this process, and the machine.
#[derive(Debug, Default, Clone)]
pub struct CpuSnapshot {
    /// Thread id → (group, ticks used so far).
    threads: HashMap<u32, (usize, u64)>,
    /// Process id of each `postgres` process → ticks used so far.
    postgres: HashMap<u32, u64>,
    machine_busy: u64,
    machine_total: u64,
}

/// Linux reports CPU time in clock ticks of 1/100 s on every platform we run on.
const TICKS_PER_SEC: f64 = 100.0;

/// (comm, utime + stime) from the text of a /proc `stat` file.
fn parse_stat(stat: &str) -> Option<(&str, u64)> {
    // "pid (comm) state ... utime stime": comm may contain spaces, so split at the last ')'.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let comm = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // After the comm comes field 3 of stat(5) (state); utime is field 14 and stime 15.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some((comm, ticks(11) + ticks(12)))
}

/// Adds the threads listed in `task_dir` (`/proc/PID/task`) to `snap`, each in the group
/// `group_of` gives its name; threads that vanish meanwhile are skipped.
fn read_threads(task_dir: &str, snap: &mut CpuSnapshot, group_of: impl Fn(&str) -> usize) {
    let Ok(tasks) = std::fs::read_dir(task_dir) else {
        return;
    };
    for task in tasks.flatten() {
        let Some(tid) = task
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let Some((comm, used)) = parse_stat(&stat) else {
            continue;
        };
        snap.threads.insert(tid, (group_of(comm), used));
    }
}

/// Reads this process's threads, those of the server processes `server_pids` when the server
/// runs in processes of its own (their SQLite threads apart, the rest as the server), the
/// PostgreSQL processes serving `pg_database` (its backends and the cluster's shared
/// background processes: checkpointer, WAL writer...) and the machine's counters from /proc
/// (zeros elsewhere). Backends of other databases count as foreign work.
pub fn cpu_snapshot(pg_database: Option<&str>, server_pids: &[u32]) -> CpuSnapshot {
    let mut snap = CpuSnapshot::default();
    for pid in server_pids {
        read_threads(&format!("/proc/{pid}/task"), &mut snap, |comm| {
            if comm.starts_with("sqlx-sqlite") {
                1
            } else {
                0
            }
        });
    }
    read_threads("/proc/self/task", &mut snap, |comm| {
        if comm.starts_with("cart-srv") {
            0
        } else if comm.starts_with("sqlx-sqlite") {
            1
        } else if comm.starts_with("cart-cli") {
            2
        } else {
            3
        }
    });
    if let Ok(procs) = std::fs::read_dir("/proc") {
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(p.path().join("stat")) else {
                continue;
            };
            let Some(("postgres", used)) = parse_stat(&stat) else {
                continue;
            };
            // The process title: "postgres: 15/main: user database 127.0.0.1(port) STATE".
            let title = std::fs::read(p.path().join("cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            let shared = [
                "checkpointer",
                "background writer",
                "walwriter",
                "autovacuum launcher",
            ]
            .iter()
            .any(|w| title.contains(w));
            let ours = pg_database.is_some_and(|db| title.contains(&format!(" {db} ")));
            if shared || ours {
                snap.postgres.insert(pid, used);
            }
        }
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/stat")
        && let Some(line) = stat.lines().next()
    {
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        snap.machine_total = total;
        snap.machine_busy = total.saturating_sub(idle);
    }
    snap
}

impl CpuSnapshot {
    /// CPU used between `before` and `self`, per group. Threads that ended in between are
    /// not counted (tokio's idle blocking threads, which did no work in a measured phase).
    pub fn since(&self, before: &CpuSnapshot) -> CpuSplit {
        let mut groups = [0u64; 4];
        for (tid, (group, ticks)) in &self.threads {
            let earlier = before.threads.get(tid).map_or(0, |(_, t)| *t);
            groups[*group] += ticks.saturating_sub(earlier);
        }
        let postgres: u64 = self
            .postgres
            .iter()
            .map(|(pid, t)| t.saturating_sub(before.postgres.get(pid).copied().unwrap_or(0)))
            .sum();
        let secs = |t: u64| t as f64 / TICKS_PER_SEC;
        CpuSplit {
            server: secs(groups[0]),
            sqlite: secs(groups[1]),
            client: secs(groups[2]),
            other: secs(groups[3]),
            postgres: secs(postgres),
            machine_busy: secs(self.machine_busy.saturating_sub(before.machine_busy)),
            machine_total: secs(self.machine_total.saturating_sub(before.machine_total)),
        }
    }
}

/// The figures of one measured phase.
#[derive(Debug, Clone)]
pub struct Summary {
    pub phase: String,
    pub ops: u64,
    pub elapsed: Duration,
    pub per_sec: f64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub mean_rounds: f64,
    pub max_rounds: u32,
    pub bytes_up_per_op: f64,
    pub bytes_down_per_op: f64,
    pub errors: u64,
    pub cpu: CpuSplit,
    /// Resident memory of the whole process (server and load generator) after the phase;
    /// of the load generator alone when the server runs in its own process.
    pub rss_mb: Option<f64>,
    /// A server in its own process: its memory after the phase (see [`crate::memory`]).
    pub server_memory: Option<ProcessMemory>,
    /// A server in its own process: the highest own memory (RssAnon) sampled so far.
    pub server_own_peak_mb: Option<f64>,
    /// A server in this process: documents it loaded from storage during the phase.
    pub doc_loads: Option<u64>,
    pub recorder: Recorder,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

pub fn summarise(phase: &str, mut rec: Recorder, elapsed: Duration, cpu: CpuSplit) -> Summary {
    rec.latencies_us.sort_unstable();
    let ops = rec.latencies_us.len() as u64;
    let secs = elapsed.as_secs_f64().max(1e-9);
    let total_rounds: u64 = rec.rounds.iter().map(|(r, n)| u64::from(*r) * n).sum();
    let per_op = |x: u64| if ops == 0 { 0.0 } else { x as f64 / ops as f64 };
    Summary {
        phase: phase.to_string(),
        ops,
        elapsed,
        per_sec: ops as f64 / secs,
        requests_per_sec: rec.requests as f64 / secs,
        p50_ms: percentile(&rec.latencies_us, 50.0),
        p90_ms: percentile(&rec.latencies_us, 90.0),
        p99_ms: percentile(&rec.latencies_us, 99.0),
        max_ms: rec.latencies_us.last().map_or(0.0, |m| *m as f64 / 1000.0),
        mean_ms: per_op(rec.latencies_us.iter().sum::<u64>()) / 1000.0,
        mean_rounds: per_op(total_rounds),
        max_rounds: rec.rounds.keys().next_back().copied().unwrap_or(0),
        bytes_up_per_op: per_op(rec.bytes_up),
        bytes_down_per_op: per_op(rec.bytes_down),
        errors: rec.errors.values().sum(),
        cpu,
        rss_mb: None,
        server_memory: None,
        server_own_peak_mb: None,
        doc_loads: None,
        recorder: rec,
    }
}

impl Summary {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "phase": self.phase,
            "ops": self.ops,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "per_sec": self.per_sec,
            "requests_per_sec": self.requests_per_sec,
            "latency_ms": {
                "p50": self.p50_ms, "p90": self.p90_ms, "p99": self.p99_ms,
                "max": self.max_ms, "mean": self.mean_ms,
            },
            "rounds": {
                "mean": self.mean_rounds,
                "max": self.max_rounds,
                "histogram": self.recorder.rounds.iter()
                    .map(|(r, n)| (r.to_string(), *n)).collect::<BTreeMap<_, _>>(),
            },
            "bytes_per_op": { "up": self.bytes_up_per_op, "down": self.bytes_down_per_op },
            "errors": self.errors,
            "error_kinds": self.recorder.errors,
            "error_samples": self.recorder.error_samples,
            "bookings": {
                "accepted": self.recorder.accepted,
                "cancelled": self.recorder.cancelled,
                "refused_or_kept": self.recorder.refused,
                "undecided": self.recorder.undecided,
                "as_the_rules_say": self.recorder.rules_agree,
                "refused_full": self.recorder.rules_full,
                "at_a_deadline": self.recorder.rules_at_deadline,
            },
            "compensated_paths": self.recorder.compensations,
            "process_rss_mb_after": self.rss_mb,
            "server_rss_mb_after": self.server_memory.map(|m| m.rss_mb),
            "server_peak_rss_mb": self.server_memory.map(|m| m.peak_mb),
            "server_own_mb_after": self.server_memory.map(|m| m.own_mb),
            "server_own_peak_mb": self.server_own_peak_mb,
            "server_files_once_mb_after": self.server_memory.and_then(|m| m.files_once_mb),
            "server_doc_loads": self.doc_loads,
            "late_starts": self.recorder.late_starts,
            "churn_logins": self.recorder.churn_logins,
            "multi_round_samples": self.recorder.multi_round_samples,
            "cpu_s": {
                "server": self.cpu.server, "sqlite_threads": self.cpu.sqlite,
                "client": self.cpu.client, "other": self.cpu.other,
                "postgres": self.cpu.postgres, "foreign": self.cpu.foreign(),
                "machine_busy": self.cpu.machine_busy, "machine_total": self.cpu.machine_total,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&[7000], 99.0), 7.0);
    }
}
