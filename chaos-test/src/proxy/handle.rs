//! `FaultProxy`: the handle tests hold. The proxy runs on a thread of its own with a
//! single-threaded tokio runtime, so the same handle serves plain `#[test]`s and async tests
//! (whatever their runtime), and a test that blocks cannot starve it.

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::errors::ProxyError;
use super::fault::Fault;
use super::server;
use super::state::{Decision, Shared};

/// How long a stop waits for live connections to close before cutting them.
const DRAIN: Duration = Duration::from_secs(2);

/// Configures a proxy before it starts.
#[derive(Debug, Clone)]
pub struct ProxyBuilder {
    upstream: String,
    listen: String,
    seed: Option<u64>,
    faults: Vec<Fault>,
}

impl ProxyBuilder {
    /// Listens on `addr` instead of `127.0.0.1:0`.
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = addr.into();
        self
    }

    /// Sets the root seed (default: `CHAOS_PROXY_SEED`, else a fresh one, shown in the report).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Installs a fault before the first connection, so none slips past it.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Binds and starts serving.
    pub fn start(self) -> Result<FaultProxy, ProxyError> {
        for fault in &self.faults {
            fault.validate()?;
        }
        let resolves = self.upstream.to_socket_addrs().map(|mut a| a.next().is_some());
        if !matches!(resolves, Ok(true)) {
            return Err(ProxyError::Upstream {
                addr: self.upstream.clone(),
                error: match resolves {
                    Err(e) => e.to_string(),
                    Ok(_) => "resolves to no address".into(),
                },
            });
        }
        let bind_error =
            |e: std::io::Error| ProxyError::Bind { addr: self.listen.clone(), error: e.to_string() };
        let listener = std::net::TcpListener::bind(&self.listen).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let seed = self.seed.or_else(env_seed).unwrap_or_else(fresh_seed);
        let shared = Arc::new(Shared::new(self.upstream, seed, self.faults));
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(bind_error)?;
        let serving = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("chaos-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => server::run(listener, addr, Arc::clone(&serving), DRAIN).await,
                        Err(e) => serving.error(format!("cannot serve on {addr}: {e}")),
                    }
                });
                // Dropping the runtime cancels what is left: no task outlives the proxy.
            })
            .map_err(bind_error)?;
        Ok(FaultProxy { shared, addr, thread: Some(thread) })
    }
}

fn env_seed() -> Option<u64> {
    std::env::var("CHAOS_PROXY_SEED").ok().and_then(|s| s.trim().parse().ok())
}

fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A TCP proxy with faults, in front of a real upstream.
///
/// ```no_run
/// use std::time::Duration;
/// use chaos_test::proxy::{Fault, FaultProxy};
///
/// let redis = FaultProxy::start("127.0.0.1:6379").unwrap(); // listens on 127.0.0.1:0
/// let addr = redis.addr(); // point the client here
/// {
///     let _slow = redis.inject(Fault::latency(Duration::from_millis(200)).jitter(Duration::from_millis(20)));
///     // ... the fault is on in this block
/// }
/// // ... and off again
/// ```
#[derive(Debug)]
pub struct FaultProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` in front of `upstream`.
    pub fn start(upstream: impl Into<String>) -> Result<Self, ProxyError> {
        Self::builder(upstream).start()
    }

    /// Configures a proxy in front of `upstream`.
    pub fn builder(upstream: impl Into<String>) -> ProxyBuilder {
        ProxyBuilder {
            upstream: upstream.into(),
            listen: "127.0.0.1:0".into(),
            seed: None,
            faults: Vec::new(),
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The upstream it forwards to.
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// The root seed of its decisions.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// Installs a fault until the guard drops.
    pub fn inject(&self, fault: Fault) -> Result<FaultGuard, ProxyError> {
        let id = self.add(fault)?;
        Ok(FaultGuard { shared: Arc::clone(&self.shared), id })
    }

    /// Installs a fault until [`remove`](Self::remove) or [`clear`](Self::clear); returns its id.
    pub fn add(&self, fault: Fault) -> Result<u64, ProxyError> {
        fault.validate()?;
        if self.shared.stopping() {
            return Err(ProxyError::Stopped);
        }
        Ok(self.shared.add(fault))
    }

    /// Removes a fault by id.
    pub fn remove(&self, id: u64) -> bool {
        self.shared.remove(id)
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.shared.clear();
    }

    /// Runs `fut` with `fault` on (Vaurien's `with_handler`, for async tests).
    pub async fn with<F: Future>(&self, fault: Fault, fut: F) -> Result<F::Output, ProxyError> {
        let _guard = self.inject(fault)?;
        Ok(fut.await)
    }

    /// Runs `f` with `fault` on (for plain tests).
    pub fn run_with<T>(&self, fault: Fault, f: impl FnOnce() -> T) -> Result<T, ProxyError> {
        let _guard = self.inject(fault)?;
        Ok(f())
    }

    /// Every decision drawn so far: which fault fired on which connection and direction.
    pub fn decisions(&self) -> Vec<Decision> {
        self.shared.decisions()
    }

    /// Errors seen: upstreams that refused or vanished, accept failures.
    pub fn errors(&self) -> Vec<String> {
        self.shared.errors()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.accepted()
    }

    /// Connections open now.
    pub fn live_connections(&self) -> usize {
        self.shared.live()
    }

    /// Bytes carried (client -> server, server -> client).
    pub fn bytes(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.shared.bytes_up.load(Relaxed), self.shared.bytes_down.load(Relaxed))
    }

    /// The seed, the faults, the decisions and the errors, for a failing test's output.
    pub fn report(&self) -> String {
        let mut out = format!(
            "fault proxy {} -> {} (seed {}; replay with CHAOS_PROXY_SEED={})\n",
            self.addr,
            self.shared.upstream,
            self.seed(),
            self.seed()
        );
        for f in self.shared.faults() {
            out.push_str(&format!(
                "  fault #{}: {} {:?} p={} {:?}\n",
                f.id,
                f.fault.kind.name(),
                f.fault.direction,
                f.fault.toxicity,
                f.fault.kind
            ));
        }
        for d in self.decisions() {
            out.push_str(&format!(
                "  connection {} {:?}: {} #{} {}\n",
                d.connection,
                d.flow,
                d.fault,
                d.fault_id,
                if d.fired { "fired" } else { "passed" }
            ));
        }
        for e in self.errors() {
            out.push_str(&format!("  error: {e}\n"));
        }
        out
    }

    /// Stops accepting, closes live connections, and waits for the proxy's thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.report());
        }
        self.shutdown();
    }
}

/// Removes its fault when dropped.
#[derive(Debug)]
#[must_use = "the fault is removed when the guard drops"]
pub struct FaultGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl FaultGuard {
    /// The fault's id.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for FaultGuard {
    fn drop(&mut self) {
        self.shared.remove(self.id);
    }
}
