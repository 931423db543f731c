//! The fault proxy: a tokio TCP proxy between the code under test and a real backend, with
//! faults per direction, probability and trigger, drawn from a seeded stream per connection.
//!
//! Layout: `fault` (the values users build), `faults/` (one transform per data fault, tested
//! without sockets), `chain` (a direction's faults with their draws and triggers), `pump` (one
//! direction: fast path or deadline queue), `conn` (one connection), `server` (the listener),
//! `state` (what the tasks share), `handle` (`FaultProxy`, the test's handle), `errors`.
//!
//! Why the shape: no fault in a direction means a bare read/write loop with TCP_NODELAY on
//! both sockets (no per-chunk allocation); latency is a deadline queue (arrival + delay) so
//! chunks pipeline; each connection and direction draws from a stream derived from (seed,
//! connection, direction, fault) so a seed replays the same faults and connections differ.

mod chain;
mod clock;
mod conn;
mod errors;
mod fault;
mod faults;
mod handle;
mod pump;
mod server;
mod state;
mod walks;

pub use chaos_test_macros::fault_proxy;
pub use errors::ProxyError;
pub use fault::{Applies, Direction, Draw, Fault, FaultKind, Trigger};
pub use handle::{FaultGuard, FaultProxy, ProxyBuilder};
pub use state::Decision;
#[doc(hidden)]
pub use walks::walk_dimension;
pub use walks::{walk_proxy, with_walk_proxy};

/// `Duration::from_millis`, short for fault parameters.
pub fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}
