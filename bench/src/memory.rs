//! A process's memory as the benchmarks report it.
//!
//! VmRSS counts the resident pages of every mapping of the process. On SQLite the server
//! reads its database through a memory map of up to 256 MiB for each pooled connection
//! (`server/src/db/mod.rs`), so a page of the file mapped by ten connections counts ten
//! times in VmRSS and VmHWM, although the kernel keeps it once, in its page cache, and can
//! take it back. Next to them the benchmarks report:
//!
//! - the process's own memory, RssAnon (its heap, its threads' stacks): what only this
//!   process holds, and what an allocator keeps counts in it;
//! - the files it maps counted once, Pss_File of `/proc/PID/smaps_rollup`: a page mapped
//!   n times in all counts 1/n at each mapping (exact while no other process maps the same
//!   files; the program's own code is in it too);
//! - the peak of the own memory, which the kernel does not keep: sampled by a thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Memory of a process (or of several, added up), in MB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessMemory {
    /// Resident now, every mapping's pages (VmRSS).
    pub rss_mb: f64,
    /// The highest VmRSS so far (VmHWM).
    pub peak_mb: f64,
    /// The process's own memory now (RssAnon).
    pub own_mb: f64,
    /// The files it maps, each page counted once (Pss_File); `None` where the kernel does
    /// not say it.
    pub files_once_mb: Option<f64>,
}

/// The value in MB of the `name` line ("VmRSS:", "Pss_File:" ...) of a /proc file whose
/// lines read "Name:   123 kB".
fn kb_field_mb(text: &str, name: &str) -> Option<f64> {
    let rest = text.lines().find_map(|l| l.strip_prefix(name))?;
    let kb: f64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Reads a process's memory from the text of its /proc `status` file and, when there is
/// one, of its `smaps_rollup`.
pub fn parse(status: &str, smaps_rollup: Option<&str>) -> Option<ProcessMemory> {
    Some(ProcessMemory {
        rss_mb: kb_field_mb(status, "VmRSS:")?,
        peak_mb: kb_field_mb(status, "VmHWM:")?,
        own_mb: kb_field_mb(status, "RssAnon:")?,
        files_once_mb: smaps_rollup.and_then(|s| kb_field_mb(s, "Pss_File:")),
    })
}

/// The memory of process `pid` (`None` when it is gone, or outside Linux).
pub fn of_process(pid: u32) -> Option<ProcessMemory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok();
    parse(&status, rollup.as_deref())
}

/// The memory of processes `pids` added up, each one's peak included (`None` when there
/// are none, or one is gone).
pub fn of_processes(pids: &[u32]) -> Option<ProcessMemory> {
    let mut total: Option<ProcessMemory> = None;
    for pid in pids {
        let m = of_process(*pid)?;
        total = Some(match total {
            None => m,
            Some(t) => ProcessMemory {
                rss_mb: t.rss_mb + m.rss_mb,
                peak_mb: t.peak_mb + m.peak_mb,
                own_mb: t.own_mb + m.own_mb,
                files_once_mb: t.files_once_mb.zip(m.files_once_mb).map(|(a, b)| a + b),
            },
        });
    }
    total
}

/// One line of process `pid`'s `status` file ("VmRSS:", "VmHWM:", "RssAnon:" ...), in MB
/// (`None` when the process is gone, or outside Linux).
pub fn status_mb(pid: u32, name: &str) -> Option<f64> {
    kb_field_mb(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        name,
    )
}

/// The own memory of some processes (RssAnon, added up), read from their `status` only.
fn own_mb(pids: &[u32]) -> Option<f64> {
    pids.iter()
        .try_fold(0.0, |sum, pid| Some(sum + status_mb(*pid, "RssAnon:")?))
}

/// The highest own memory of some processes, sampled by a thread of its own until dropped.
pub struct OwnPeak {
    /// f64 bits of the highest sum seen, in MB.
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl OwnPeak {
    /// Samples `pids` every `every` (their `status` files only: cheap to read).
    pub fn start(pids: Vec<u32>, every: Duration) -> OwnPeak {
        let peak = Arc::new(AtomicU64::new(0f64.to_bits()));
        let stop = Arc::new(AtomicBool::new(false));
        let sample = move |peak: &AtomicU64| {
            if let Some(now) = own_mb(&pids) {
                raise(peak, now);
            }
        };
        sample(&peak);
        let (thread_peak, thread_stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                sample(&thread_peak);
            }
        });
        OwnPeak { peak, stop }
    }

    /// Counts `mb`, read elsewhere (after a phase), as seen: a reading between two samples
    /// is not above the peak.
    pub fn note(&self, mb: f64) {
        raise(&self.peak, mb);
    }

    /// The highest own memory seen so far, in MB (0 when no sample could be read).
    pub fn mb(&self) -> f64 {
        f64::from_bits(self.peak.load(Ordering::Relaxed))
    }
}

/// Raises the f64 in `peak` to `mb` if `mb` is higher.
fn raise(peak: &AtomicU64, mb: f64) {
    let _ = peak.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
        (mb > f64::from_bits(bits)).then_some(mb.to_bits())
    });
}

impl Drop for OwnPeak {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tcartable-server\nVmPeak:\t 900000 kB\nVmHWM:\t  204800 kB\n\
                          VmRSS:\t  102400 kB\nRssAnon:\t   51200 kB\nRssFile:\t   51200 kB\n\
                          Threads:\t7\n";
    const ROLLUP: &str = "00400000-7ffd0000 ---p 00000000 00:00 0 [rollup]\nRss:  102400 kB\n\
                          Pss:   61440 kB\nPss_Anon:  51200 kB\nPss_File:  10240 kB\n";

    #[test]
    fn memory_is_read_from_status_and_smaps_rollup() {
        let m = parse(STATUS, Some(ROLLUP)).expect("every field present");
        assert_eq!(m.rss_mb, 100.0);
        assert_eq!(m.peak_mb, 200.0);
        assert_eq!(m.own_mb, 50.0);
        assert_eq!(m.files_once_mb, Some(10.0));
        assert_eq!(parse(STATUS, None).and_then(|m| m.files_once_mb), None);
        assert!(parse("Name:\tx\nVmRSS:\t1 kB\nVmHWM:\t1 kB\n", None).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_memory_of_several_processes_is_added_up() {
        let me = std::process::id();
        assert!(of_processes(&[]).is_none());
        // The peak only grows, so twice this process lies between twice its peak before
        // and twice its peak after.
        let before = of_processes(&[me]).expect("this process");
        let twice = of_processes(&[me, me]).expect("this process twice");
        let after = of_processes(&[me]).expect("this process");
        assert!(
            twice.peak_mb >= 2.0 * before.peak_mb,
            "{twice:?} {before:?}"
        );
        assert!(twice.peak_mb <= 2.0 * after.peak_mb, "{twice:?} {after:?}");
        assert!(twice.own_mb > 0.0, "{twice:?}");
        assert!(of_processes(&[me, u32::MAX]).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_own_peak_keeps_memory_that_was_freed_between_two_reads() {
        let me = std::process::id();
        let peak = OwnPeak::start(vec![me], Duration::from_millis(2));
        let before = own_mb(&[me]).expect("this process's RssAnon");
        let held: Vec<u8> = vec![1; 64 << 20];
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            held.iter()
                .step_by(4096)
                .map(|b| u64::from(*b))
                .sum::<u64>(),
            16_384
        );
        drop(held);
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            peak.mb() >= before + 48.0,
            "peak {:.1} MB, {before:.1} MB before 64 MB were held",
            peak.mb()
        );
        // A reading noted from elsewhere raises it, a lower one does not lower it.
        let seen = peak.mb();
        peak.note(seen + 1000.0);
        assert_eq!(peak.mb(), seen + 1000.0);
        peak.note(1.0);
        assert_eq!(peak.mb(), seen + 1000.0);
    }
}
