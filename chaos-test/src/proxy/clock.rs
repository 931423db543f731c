//! A sub-millisecond sleep for the deadline queue.
//!
//! tokio's timer wheel ticks every millisecond and rounds deadlines up to the next tick, which
//! adds about 0.5-1 ms to every delayed chunk: a 5 ms latency fault would cost 6 ms. This
//! clock keeps deadlines in a heap served by one thread that sleeps on a condition variable
//! (an hrtimer under the hood, about 50 µs of slack) and wakes the waiting tasks on time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

struct Entry {
    at: Instant,
    seq: u64,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct Timers {
    heap: Mutex<(BinaryHeap<Reverse<Entry>>, u64)>,
    changed: Condvar,
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<&'static Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let timers: &'static Timers = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("chaos-proxy-clock".into())
            .spawn(move || serve(timers))
            .expect("spawn the proxy clock thread");
        timers
    })
}

fn serve(timers: &'static Timers) {
    let mut due = Vec::new();
    loop {
        {
            let mut guard = timers.heap.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                let now = Instant::now();
                match guard.0.peek() {
                    Some(Reverse(head)) if head.at <= now => {
                        if let Some(Reverse(entry)) = guard.0.pop() {
                            due.push(entry.waker);
                        }
                    }
                    Some(Reverse(head)) if !due.is_empty() => {
                        let _ = head;
                        break;
                    }
                    Some(Reverse(head)) => {
                        let wait = head.at - now;
                        guard = timers
                            .changed
                            .wait_timeout(guard, wait)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                    None if !due.is_empty() => break,
                    None => guard = timers.changed.wait(guard).unwrap_or_else(PoisonError::into_inner),
                }
            }
        }
        for waker in due.drain(..) {
            waker.wake();
        }
    }
}

/// Completes at `at`, give or take the OS timer slack.
pub fn sleep_until(at: Instant) -> Sleep {
    Sleep { at, registered: false }
}

/// See [`sleep_until`].
pub struct Sleep {
    at: Instant,
    registered: bool,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.at {
            return Poll::Ready(());
        }
        if !self.registered {
            let timers = timers();
            let mut guard = timers.heap.lock().unwrap_or_else(PoisonError::into_inner);
            guard.1 += 1;
            let seq = guard.1;
            let earliest = guard.0.peek().is_none_or(|Reverse(head)| self.at < head.at);
            guard.0.push(Reverse(Entry { at: self.at, seq, waker: cx.waker().clone() }));
            drop(guard);
            if earliest {
                timers.changed.notify_one();
            }
            self.registered = true;
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn sleeps_end_on_time_within_half_a_millisecond() {
        let mut late = Vec::new();
        for _ in 0..20 {
            let at = Instant::now() + Duration::from_millis(3);
            sleep_until(at).await;
            let now = Instant::now();
            assert!(now >= at, "woke early");
            late.push(now - at);
        }
        late.sort();
        assert!(late[10] < Duration::from_micros(500), "median lateness {:?}", late[10]);
    }
}
