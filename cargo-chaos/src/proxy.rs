//! `cargo chaos proxy`: the fault proxy as a standalone process (Vaurien's command line).
//!
//! `cargo chaos proxy --local 127.0.0.1:8000 --upstream 127.0.0.1:5432 --behavior 20:delay`
//! prints `listening on ADDR (seed N)` and serves until killed.

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
    /// The backend to forward to.
    #[arg(long)]
    upstream: String,
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
    let mut builder = FaultProxy::builder(args.upstream.clone()).listen(args.local.clone());
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    for text in &args.behavior {
        let fault = Fault::from_behavior(text).with_context(|| format!("--behavior {text:?}"))?;
        builder = builder.fault(orient(fault));
    }
    if let Some(ms) = args.latency_ms {
        let fault = Fault::latency(Duration::from_millis(ms)).jitter(Duration::from_millis(args.jitter_ms));
        builder = builder.fault(orient(fault));
    }
    let proxy = builder
        .start()
        .with_context(|| format!("starting a proxy on {} for {}", args.local, args.upstream))?;
    println!("listening on {} (seed {})", proxy.addr(), proxy.seed());
    loop {
        std::thread::park();
    }
}
