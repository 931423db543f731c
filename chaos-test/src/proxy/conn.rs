//! One proxied connection: accept-time faults, the upstream connect, the two pumps.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::fault::{Direction, FaultKind};
use super::pump::{End, pump};
use super::state::{Decision, Shared};
use crate::rng::Rng;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one accepted client until both directions end or a fault ends it.
pub async fn serve(client: TcpStream, connection: u64, shared: Arc<Shared>) {
    let _live = shared.live_guard();
    let _ = client.set_nodelay(true);
    let opened = Instant::now();
    match accept_fault(connection, &shared) {
        Some(FaultKind::Blackout) => return, // closes the client with a FIN
        Some(_) => {
            // `down` with a probability below 1: refuse this one connection with a reset.
            let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
            return;
        }
        None => {}
    }
    let upstream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&shared.upstream)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            shared.error(format!("connection {connection}: upstream {} refused: {e}", shared.upstream));
            return;
        }
        Err(_) => {
            shared.error(format!(
                "connection {connection}: upstream {} did not answer in {CONNECT_TIMEOUT:?}",
                shared.upstream
            ));
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let reset = {
        let up = pump(
            &mut client_read,
            &mut upstream_write,
            Direction::Upstream,
            connection,
            opened,
            Arc::clone(&shared),
        );
        let down = pump(
            &mut upstream_read,
            &mut client_write,
            Direction::Downstream,
            connection,
            opened,
            Arc::clone(&shared),
        );
        tokio::pin!(up, down);
        let both = async {
            let (first, other_done) = tokio::select! {
                end = &mut up => (end, false),
                end = &mut down => (end, true),
            };
            if first == End::Eof {
                // A half-close: the other direction may still carry data.
                let second = if other_done { (&mut up).await } else { (&mut down).await };
                if second == End::Failed {
                    shared.error(format!("connection {connection}: a socket failed after a half-close"));
                }
                second == End::Reset
            } else {
                if first == End::Failed && !shared.stopping() {
                    shared.error(format!(
                        "connection {connection}: upstream {} or the client closed abruptly",
                        shared.upstream
                    ));
                }
                first == End::Reset
            }
        };
        // A stop drops both pumps, closing both sockets.
        tokio::select! {
            reset = both => reset,
            () = shared.stopped() => false,
        }
    };
    if reset {
        // The reset set SO_LINGER 0 on both sockets: closing them whole sends an RST and
        // nothing else, where dropping a write half would first shut it down (a FIN, which the
        // peer would read as a clean end of stream).
        drop(client_read.reunite(client_write));
        drop(upstream_read.reunite(upstream_write));
    }
}

/// The accept-time fault that fires on this connection, if any (drawn per connection).
fn accept_fault(connection: u64, shared: &Shared) -> Option<FaultKind> {
    for item in shared.faults() {
        if !item.fault.kind.on_accept() || !item.reaches(connection) {
            continue;
        }
        if item.fault.kind == FaultKind::Down && item.fault.toxicity >= 1.0 {
            continue; // handled by closing the listener
        }
        let mut rng = Rng::derive(shared.seed, &[connection, 2, item.id]);
        let fired = rng.unit() < item.fault.toxicity;
        shared.decide(Decision {
            connection,
            flow: Direction::Both,
            fault_id: item.id,
            fault: item.fault.kind.name(),
            fired,
        });
        if fired {
            return Some(item.fault.kind.clone());
        }
    }
    None
}
