//! The threads that render the PDFs of newly issued documents (a monthly run's batches, a
//! credit note), one per core, at a lower scheduling priority than the rest of the server
//! (10 more in nice value, on Linux). Jobs are taken in the order they come: a credit note
//! issued during a run waits for the run's jobs queued before it.
//!
//! A run of 10,000 families is mostly PDFs, and they can wait: what cannot is the work that
//! holds the write gate (numbering a batch, publishing ledgers) and the families' own syncs.
//! On Tokio's blocking threads, at the same priority, the renderers took their share of both
//! cores from whatever held the gate, so the gate was held longer and the whole run (and any
//! parent syncing during it) waited on it: numbering a batch of 200 took 200 ms of wall time
//! for a few tens of ms of work. At a lower priority they use what the rest leaves of the
//! cores.
//!
//! A PDF asked for by a parent is not rendered here: it goes on Tokio's blocking threads,
//! like any request's work.

use crate::error::{AppError, AppResult};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

/// How much lower than the server the renderers run (added to its nice value, at most 19).
const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// The pool's queue of jobs; its threads live as long as the process.
struct Pool {
    jobs: Sender<Job>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for i in 0..threads {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name(format!("cartable-pdf-{i}"))
                .spawn(move || work(&queue));
            if let Err(e) = started {
                tracing::error!(error = %e, "PDF rendering thread not started");
            }
        }
        Pool { jobs }
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held while waiting for a job only: the job runs without it.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            // A job that panics loses its own result (its caller is told); the thread goes on.
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value belongs to each thread: `None` is the calling thread.
    let lowered = rustix::process::getpriority_process(None)
        .and_then(|ours| rustix::process::setpriority_process(None, (ours + NICENESS).min(19)));
    if let Err(e) = lowered {
        tracing::warn!(error = %e, "PDF rendering thread kept the server's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {
    // Elsewhere the nice value is the whole process's: the renderers keep the server's.
}

/// Hands `render` to the rendering threads at once (jobs start in the order given) and
/// returns what waits for its result.
pub fn run<T: Send + 'static>(
    render: impl FnOnce() -> T + Send + 'static,
) -> impl Future<Output = AppResult<T>> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(render());
    });
    let queued = pool().jobs.send(job).is_ok();
    async move {
        if !queued {
            return Err(AppError::internal("rendu PDF indisponible"));
        }
        result
            .await
            .map_err(|_| AppError::internal("rendu PDF interrompu"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_runs_on_a_rendering_thread_and_a_panic_loses_only_its_own_result() {
        let name = run(|| std::thread::current().name().map(str::to_string))
            .await
            .expect("ran");
        assert!(name.is_some_and(|n| n.starts_with("cartable-pdf-")));
        let failed = run(|| -> u32 { panic!("a broken document") }).await;
        assert!(failed.is_err());
        // The threads are still there for the next jobs.
        let jobs: Vec<_> = (0..8).map(|i| run(move || i * 2)).collect();
        let mut all = Vec::new();
        for job in jobs {
            all.push(job.await.expect("ran"));
        }
        assert_eq!(all, (0..8).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_rendering_threads_run_at_a_lower_priority() {
        let nice = run(|| rustix::process::getpriority_process(None))
            .await
            .expect("ran")
            .expect("read");
        let ours = rustix::process::getpriority_process(None).expect("read");
        assert_eq!(nice, (ours + NICENESS).min(19));
    }
}
