//! One direction of a connection: read from one socket, write to the other.
//!
//! With no fault on the direction the pump is a plain read/write loop over one reused buffer
//! (the fast path: no allocation, no queue, no timer). With faults, chunks go through the
//! chain and wait in a deadline queue: reading goes on while earlier chunks wait, so a 5 ms
//! latency costs 5 ms per request, not 5 ms per chunk. A pump with faults sees a change to the
//! faults at once; an idle pump on the fast path sees it with the next chunk (so a fault added
//! to a live, idle connection starts with its next data).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::Instant;

use super::chain::Chain;
use super::clock;
use super::fault::Direction;
use super::faults::Emit;
use super::state::Shared;

/// How a pump ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The source closed and the close was passed on (a half-close).
    Eof,
    /// A fault closed the whole connection.
    Close,
    /// A fault reset the whole connection.
    Reset,
    /// The proxy is stopping.
    Stopped,
    /// A socket failed.
    Failed,
}

const BUFFER: usize = 64 * 1024;
/// Chunks waiting in the deadline queue before the pump stops reading (backpressure).
const QUEUE_LIMIT: usize = 256;

/// Moves data from `src` to `dst` until one of the [`End`]s.
pub async fn pump(
    src: &mut OwnedReadHalf,
    dst: &mut OwnedWriteHalf,
    flow: Direction,
    connection: u64,
    opened: Instant,
    shared: Arc<Shared>,
) -> End {
    let mut changes = shared.subscribe();
    let counter = if flow == Direction::Upstream { &shared.bytes_up } else { &shared.bytes_down };
    let mut chain = Chain::new(connection, flow, opened);
    let mut queue: VecDeque<Emit> = VecDeque::new();
    let mut emits = Vec::new();
    chain.sync(&shared.faults(), &shared, Instant::now(), &mut emits);
    let mut last_data = opened;
    enqueue(&mut queue, &mut emits, &mut last_data);
    let mut buf = vec![0u8; BUFFER];
    let mut src_open = true;
    loop {
        if shared.stopping() {
            return End::Stopped;
        }
        if chain.is_empty() && queue.is_empty() {
            if !src_open {
                // Passed the close on already; nothing more can come.
                return End::Eof;
            }
            // Fast path: a bare read/write loop. Fault changes are looked at (one atomic load)
            // when data arrives; the stop is watched by the connection, which drops the pumps.
            match src.read(&mut buf).await {
                Ok(0) => {
                    let _ = dst.shutdown().await;
                    return End::Eof;
                }
                Ok(n) => {
                    if changes.has_changed().unwrap_or(true) {
                        changes.borrow_and_update();
                        if shared.stopping() {
                            return End::Stopped;
                        }
                        chain.sync(&shared.faults(), &shared, Instant::now(), &mut emits);
                        if !chain.is_empty() {
                            chain.chunk(Instant::now(), buf[..n].to_vec(), &mut emits);
                            enqueue(&mut queue, &mut emits, &mut last_data);
                            continue;
                        }
                        enqueue(&mut queue, &mut emits, &mut last_data);
                    }
                    if dst.write_all(&buf[..n]).await.is_err() {
                        return End::Failed;
                    }
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(_) => return End::Failed,
            }
            continue;
        }
        let next_at = queue.front().map(Emit::at);
        tokio::select! {
            biased;
            changed = changes.changed() => {
                if changed.is_err() {
                    return End::Stopped;
                }
                chain.sync(&shared.faults(), &shared, Instant::now(), &mut emits);
                enqueue(&mut queue, &mut emits, &mut last_data);
            }
            _ = clock::sleep_until(next_at.unwrap_or_else(far_future).into_std()), if next_at.is_some() => {
                let now = Instant::now();
                while queue.front().is_some_and(|e| e.at() <= now) {
                    match queue.pop_front() {
                        Some(Emit::Data(_, data)) => {
                            if dst.write_all(&data).await.is_err() {
                                return End::Failed;
                            }
                            counter.fetch_add(data.len() as u64, Ordering::Relaxed);
                        }
                        Some(Emit::Eof(_)) => {
                            let _ = dst.shutdown().await;
                        }
                        Some(Emit::Close(_)) => return End::Close,
                        Some(Emit::Reset(_)) => {
                            reset((*src).as_ref(), (*dst).as_ref());
                            return End::Reset;
                        }
                        None => break,
                    }
                }
            }
            read = src.read(&mut buf), if src_open && queue.len() < QUEUE_LIMIT => match read {
                Ok(0) => {
                    src_open = false;
                    chain.eof(Instant::now(), &mut emits);
                    enqueue(&mut queue, &mut emits, &mut last_data);
                }
                Ok(n) => {
                    chain.chunk(Instant::now(), buf[..n].to_vec(), &mut emits);
                    enqueue(&mut queue, &mut emits, &mut last_data);
                }
                Err(_) => return End::Failed,
            },
        }
    }
}

/// Moves emits into the queue in time order. Data never overtakes earlier data (TCP bytes
/// stay in order even when jitter draws a shorter delay for a later chunk).
fn enqueue(queue: &mut VecDeque<Emit>, emits: &mut Vec<Emit>, last_data: &mut Instant) {
    for mut emit in emits.drain(..) {
        if let Emit::Data(at, _) = &mut emit {
            if *at < *last_data {
                *at = *last_data;
            }
            *last_data = *at;
        }
        let at = emit.at();
        let position = queue.iter().rposition(|e| e.at() <= at).map_or(0, |p| p + 1);
        queue.insert(position, emit);
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

/// RST both sockets: SO_LINGER 0, so dropping them sends a reset instead of a FIN.
pub fn reset(a: &TcpStream, b: &TcpStream) {
    for stream in [a, b] {
        let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    }
}
