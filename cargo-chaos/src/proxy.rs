//! `cargo chaos proxy`: the fault proxy as a standalone process (Vaurien's command line).
//!
//! `cargo chaos proxy --local 127.0.0.1:8000 --upstream 127.0.0.1:5432 --behavior 20:delay`
//! prints `listening on ADDR (seed N)` and serves until killed.
//!
//! With `--api 127.0.0.1:8474` it also serves Toxiproxy's REST API (see `toxiproxy.rs`) and
//! prints `api listening on ADDR`; `--upstream` is then optional, and when given its proxy is
//! the API's proxy `default`.

use std::time::Duration;

use anyhow::Context;
use chaos_test::proxy::{Fault, FaultProxy};
use clap::Args;

/// Options of `cargo chaos proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on (port 0 picks a free one, printed at start).
    #[arg(long, default_value = "127.0.0.1:0")]
    local: String,
    /// The backend to forward to (optional with `--api`: the proxy `default`).
    #[arg(long, required_unless_present = "api")]
    upstream: Option<String>,
    /// Serve Toxiproxy's REST API on this address (Toxiproxy's port is 8474; port 0 picks a
    /// free one, printed as `api listening on ADDR`).
    #[arg(long)]
    api: Option<String>,
    /// Vaurien behaviours, PERCENT:NAME (delay, hang, blackout, error, reset, down); repeatable
    /// or comma-separated.
    #[arg(long, value_delimiter = ',')]
    behavior: Vec<String>,
    /// Add a latency of this many milliseconds.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Spread the latency by up to this many milliseconds either way.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Which way latency and behaviours act: up, down or both.
    #[arg(long, default_value = "down", value_parser = ["up", "down", "both"])]
    direction: String,
    /// Root seed of the fault decisions.
    #[arg(long)]
    seed: Option<u64>,
}

/// Starts the proxy and blocks until the process is killed.
pub fn run(args: ProxyArgs) -> anyhow::Result<()> {
    let orient = |f: Fault| match args.direction.as_str() {
        "up" => f.upstream(),
        "both" => f.both(),
        _ => f.downstream(),
    };
    let mut faults = Vec::new();
    for text in &args.behavior {
        let fault = Fault::from_behavior(text).with_context(|| format!("--behavior {text:?}"))?;
        faults.push(orient(fault));
    }
    if let Some(ms) = args.latency_ms {
        let fault = Fault::latency(Duration::from_millis(ms)).jitter(Duration::from_millis(args.jitter_ms));
        faults.push(orient(fault));
    }
    if let Some(api) = &args.api {
        return run_api(api, &args, faults);
    }
    let upstream = args.upstream.clone().context("--upstream is required without --api")?;
    let mut builder = FaultProxy::builder(upstream.clone()).listen(args.local.clone());
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    for fault in faults {
        builder = builder.fault(fault);
    }
    let proxy =
        builder.start().with_context(|| format!("starting a proxy on {} for {}", args.local, upstream))?;
    println!("listening on {} (seed {})", proxy.addr(), proxy.seed());
    loop {
        std::thread::park();
    }
}

#[cfg(feature = "toxiproxy")]
fn run_api(api_addr: &str, args: &ProxyArgs, faults: Vec<Fault>) -> anyhow::Result<()> {
    use std::io::Write;
    let api = std::sync::Arc::new(crate::toxiproxy::Api::new(args.seed));
    if let Some(upstream) = &args.upstream {
        let info = api
            .create_with("default", &args.local, upstream, faults)
            .with_context(|| format!("starting a proxy on {} for {}", args.local, upstream))?;
        println!("listening on {} (seed {})", info.addr, info.seed);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("start the API's runtime")?;
    rt.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(api_addr).await.with_context(|| format!("listen on {api_addr}"))?;
        println!("api listening on {}", listener.local_addr()?);
        let _ = std::io::stdout().flush();
        crate::toxiproxy::serve(api, listener).await
    })
}

#[cfg(not(feature = "toxiproxy"))]
fn run_api(_api_addr: &str, _args: &ProxyArgs, _faults: Vec<Fault>) -> anyhow::Result<()> {
    anyhow::bail!("--api needs cargo-chaos built with the feature `toxiproxy`")
}
