//! What a proxy's tasks share: the installed faults (with a change counter every pump
//! watches), the seed, connection counts, the decisions taken and the errors seen.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::{Notify, watch};

use super::fault::{Direction, Fault, FaultKind};

/// A fault as installed in a proxy.
#[derive(Debug, Clone)]
pub struct Installed {
    /// Its id within the proxy.
    pub id: u64,
    /// The fault.
    pub fault: Fault,
    /// The ordinal the next accepted connection had when it was added.
    pub added_at: u64,
}

impl Installed {
    /// Whether it reaches connection `ordinal` at all (applies, first N connections).
    pub fn reaches(&self, ordinal: u64) -> bool {
        let new_enough =
            self.fault.applies == super::fault::Applies::AllConnections || ordinal >= self.added_at;
        let within_first = match self.fault.trigger.first_connections {
            Some(n) => ordinal >= self.added_at && ordinal < self.added_at.saturating_add(n),
            None => true,
        };
        new_enough && within_first
    }
}

/// One decision the proxy drew: whether a fault fires on a connection's direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The connection's ordinal (0 for the first accepted).
    pub connection: u64,
    /// Upstream or downstream (`Both` for faults acting on accept).
    pub flow: Direction,
    /// The fault's id in the proxy.
    pub fault_id: u64,
    /// The fault's name.
    pub fault: &'static str,
    /// Whether it fires.
    pub fired: bool,
}

/// State shared by the listener, the connections and the handle.
#[derive(Debug)]
pub struct Shared {
    /// The upstream address, resolved at each connect.
    pub upstream: String,
    /// The root seed.
    pub seed: u64,
    faults: Mutex<Vec<Installed>>,
    next_fault: AtomicU64,
    next_connection: AtomicU64,
    changes: watch::Sender<u64>,
    stopping: AtomicBool,
    live: AtomicUsize,
    drained: Notify,
    stop_notify: Notify,
    decisions: Mutex<Vec<Decision>>,
    errors: Mutex<Vec<String>>,
    /// Bytes carried client -> server.
    pub bytes_up: AtomicU64,
    /// Bytes carried server -> client.
    pub bytes_down: AtomicU64,
}

impl Shared {
    /// New state with faults installed before any connection.
    pub fn new(upstream: String, seed: u64, faults: Vec<Fault>) -> Self {
        let installed: Vec<Installed> = faults
            .into_iter()
            .enumerate()
            .map(|(i, fault)| Installed { id: i as u64, fault, added_at: 0 })
            .collect();
        let next = installed.len() as u64;
        Shared {
            upstream,
            seed,
            faults: Mutex::new(installed),
            next_fault: AtomicU64::new(next),
            next_connection: AtomicU64::new(0),
            changes: watch::channel(0).0,
            stopping: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            drained: Notify::new(),
            stop_notify: Notify::new(),
            decisions: Mutex::default(),
            errors: Mutex::default(),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
        }
    }

    /// Watches fault changes and the stop.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|g| *g += 1);
    }

    /// A snapshot of the installed faults.
    pub fn faults(&self) -> Vec<Installed> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Installs a fault; returns its id.
    pub fn add(&self, fault: Fault) -> u64 {
        let id = self.next_fault.fetch_add(1, Ordering::Relaxed);
        let added_at = self.next_connection.load(Ordering::SeqCst);
        self.faults.lock().unwrap_or_else(PoisonError::into_inner).push(Installed { id, fault, added_at });
        self.changed();
        id
    }

    /// Removes a fault; whether it was there.
    pub fn remove(&self, id: u64) -> bool {
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        let before = faults.len();
        faults.retain(|f| f.id != id);
        let removed = faults.len() != before;
        drop(faults);
        if removed {
            self.changed();
        }
        removed
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.changed();
    }

    /// Whether a `down` fault that always fires is installed: the listener must close.
    pub fn listener_down(&self) -> bool {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|f| f.fault.kind == FaultKind::Down && f.fault.toxicity >= 1.0)
    }

    /// Takes the next connection ordinal.
    pub fn next_connection(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::SeqCst)
    }

    /// How many connections were accepted.
    pub fn accepted(&self) -> u64 {
        self.next_connection.load(Ordering::SeqCst)
    }

    /// Asks every task to stop.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop_notify.notify_waiters();
        self.changed();
    }

    /// Completes once a stop is asked.
    pub async fn stopped(&self) {
        loop {
            let notified = self.stop_notify.notified();
            if self.stopping() {
                return;
            }
            notified.await;
        }
    }

    /// Whether a stop was asked.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Counts a live connection until the guard drops.
    pub fn live_guard(self: &std::sync::Arc<Self>) -> LiveGuard {
        self.live.fetch_add(1, Ordering::SeqCst);
        LiveGuard(std::sync::Arc::clone(self))
    }

    /// Connections open now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Waits until no connection is open.
    pub async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            if self.live() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Records a decision.
    pub fn decide(&self, decision: Decision) {
        self.decisions.lock().unwrap_or_else(PoisonError::into_inner).push(decision);
    }

    /// The decisions so far.
    pub fn decisions(&self) -> Vec<Decision> {
        self.decisions.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Records an error (an upstream that refused or vanished).
    pub fn error(&self, message: String) {
        self.errors.lock().unwrap_or_else(PoisonError::into_inner).push(message);
    }

    /// The errors so far.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Decrements the live count on drop, waking `drained`.
#[derive(Debug)]
pub struct LiveGuard(std::sync::Arc<Shared>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}
