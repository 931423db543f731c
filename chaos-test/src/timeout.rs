//! Per-walk timeouts without a thread per walk.
//!
//! Each test thread keeps one executor thread and hands it walks over a channel, waiting with
//! a deadline. When a walk overruns, the test thread reports the timeout and abandons that
//! executor: its thread stays blocked in the hung action (Rust cannot kill a thread) and ends
//! with the process, or by itself if the action ever returns. The next walk gets a fresh
//! executor, so one hung action costs one parked thread, not the run.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    static EXECUTOR: RefCell<Option<Sender<Job>>> = const { RefCell::new(None) };
}

/// What happened to a job run with a deadline.
#[derive(Debug)]
pub enum Overrun {
    /// The deadline passed; the job is still running on an abandoned thread.
    TimedOut,
    /// The job panicked outside any action (a harness bug, reported rather than hidden).
    Panicked(String),
}

/// Runs `job` on this thread's executor and waits at most `limit` for it.
pub fn run<T: Send + 'static>(
    limit: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Overrun> {
    let (done_tx, done_rx) = mpsc::sync_channel::<Result<T, Box<dyn Any + Send>>>(1);
    let job: Job = Box::new(move || {
        let _ = done_tx.send(panic::catch_unwind(AssertUnwindSafe(job)));
    });
    EXECUTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let job = match slot.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let tx = spawn_executor();
        tx.send(job).expect("a new executor receives");
        *slot = Some(tx);
    });
    match done_rx.recv_timeout(limit) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(Overrun::Panicked(crate::walk::payload_text(&*payload))),
        Err(RecvTimeoutError::Timeout) => {
            EXECUTOR.with(|cell| cell.borrow_mut().take());
            Err(Overrun::TimedOut)
        }
        Err(RecvTimeoutError::Disconnected) => Err(Overrun::Panicked("the walk's thread ended early".into())),
    }
}

fn spawn_executor() -> Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("chaos-walk".into())
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                job();
            }
        })
        .expect("spawn a walk thread");
    tx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_hung_job_times_out_and_the_next_job_still_runs() {
        let started = Instant::now();
        let hung = run(Duration::from_millis(50), || std::thread::sleep(Duration::from_secs(5)));
        assert!(matches!(hung, Err(Overrun::TimedOut)));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(run(Duration::from_secs(5), || 6 * 7).unwrap(), 42);
        assert_eq!(run(Duration::from_secs(5), || 1 + 1).unwrap(), 2);
    }
}
