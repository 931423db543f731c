//! The listener: accepts clients and spawns a task per connection; closes while a `down`
//! fault is installed (new clients are refused) and binds the same address again after.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::conn;
use super::state::Shared;

/// Accepts until the proxy stops, then waits (at most `drain`) for every connection to close.
pub async fn run(listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>, drain: Duration) {
    let mut changes = shared.subscribe();
    let mut listener = Some(listener);
    while !shared.stopping() {
        let down = shared.listener_down();
        match (&listener, down) {
            (Some(_), true) => listener = None,
            (None, false) => match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    shared.error(format!("cannot listen on {addr} again after `down`: {e}; retrying"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            (None, true) => {
                if changes.changed().await.is_err() {
                    break;
                }
            }
            (Some(l), false) => {
                tokio::select! {
                    accepted = l.accept() => match accepted {
                        Ok((client, _)) => {
                            let connection = shared.next_connection();
                            tokio::spawn(conn::serve(client, connection, Arc::clone(&shared)));
                        }
                        Err(e) => {
                            // Out of descriptors or similar: say so, back off, keep serving.
                            shared.error(format!("accept on {addr} failed: {e}"));
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    },
                    changed = changes.changed() => {
                        if changed.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(drain, shared.drained()).await;
}
