//! `cargo chaos load`: a load test of one URL with no code (`cargo chaos load URL -c 64 -z
//! 10s`, `--rate N` for the open model), or of the `#[chaos_scenario]`s of a test target
//! (`cargo chaos load --test TARGET --users 64 --duration 30s`).
//!
//! Exit codes: 0 every threshold passed; 99 a threshold failed (as k6); 1 bad input or a run
//! that could not start.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, bail};
use chaos_test::load::{LoadError, Options, Scenario, Session, StepFuture};
use clap::Args;

/// Options of `cargo chaos load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The URL to load (no-code mode). Omit it with `--test`.
    url: Option<String>,
    /// Run the `#[chaos_scenario]`s of this test target instead of a URL.
    #[arg(long)]
    test: Option<String>,
    /// The package of the test target.
    #[arg(short, long)]
    package: Option<String>,
    /// Only this scenario of the test target.
    #[arg(long)]
    scenario: Option<String>,
    /// Closed model: users (connections), each sending requests back to back.
    #[arg(short = 'c', long = "users", visible_alias = "connections", default_value_t = 1)]
    users: u64,
    /// How long: 250ms, 10s, 2m.
    #[arg(short = 'z', long, default_value = "10s")]
    duration: String,
    /// Open model: iterations (requests) started per second, whatever the answers.
    #[arg(long)]
    rate: Option<f64>,
    /// Open model: the most iterations in flight (default max(100, rate)).
    #[arg(long)]
    max_users: Option<u64>,
    /// Ramps from 0: DURATION:TARGET,... of users (or of the rate with --rate).
    #[arg(long)]
    stages: Option<String>,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// HTTP method of the URL mode.
    #[arg(short = 'm', long, default_value = "GET")]
    method: String,
    /// A header, NAME:VALUE (repeatable).
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// A request body (URL mode).
    #[arg(short = 'd', long)]
    body: Option<String>,
    /// The metric name of the URL mode's request (default `METHOD /path`).
    #[arg(long)]
    name: Option<String>,
    /// A threshold, as `p99 < 200ms`, `errors < 1%`, `GET /: p95 < 50ms` (repeatable).
    #[arg(long = "threshold")]
    thresholds: Vec<String>,
    /// Overrides the scenarios' base URL (test mode).
    #[arg(long)]
    base_url: Option<String>,
    /// Speak HTTP/2 (cleartext, prior knowledge).
    #[arg(long)]
    http2: bool,
    /// A request taking longer fails: 10s by default.
    #[arg(long)]
    timeout: Option<String>,
    /// How long iterations may finish after the end: 5s by default.
    #[arg(long)]
    grace: Option<String>,
    /// Where results.json and report.html go.
    #[arg(long, default_value = "chaos.out/load")]
    out: PathBuf,
    /// No live progress line.
    #[arg(short, long)]
    quiet: bool,
}

impl LoadArgs {
    fn options(&self) -> anyhow::Result<Options> {
        let out = if self.out.is_absolute() {
            self.out.clone()
        } else {
            std::env::current_dir().context("reading the current directory")?.join(&self.out)
        };
        Ok(Options {
            scenario: self.scenario.clone(),
            users: Some(self.users),
            duration: Some(self.duration.clone()),
            rate: self.rate,
            max_users: self.max_users,
            stages: self.stages.clone(),
            threads: self.threads,
            thresholds: self.thresholds.clone(),
            out: Some(out),
            base_url: self.base_url.clone(),
            grace: self.grace.clone(),
            request_timeout: self.timeout.clone(),
            http2: self.http2,
            progress: !self.quiet,
        })
    }
}

/// Runs `cargo chaos load`; returns the exit code.
pub fn run(args: LoadArgs) -> anyhow::Result<u8> {
    if args.users == 0 {
        bail!("--users: 0 users would send nothing; give 1 or more");
    }
    let options = args.options()?;
    match (&args.url, &args.test) {
        (Some(_), Some(_)) => bail!("give a URL or --test TARGET, not both"),
        (None, None) => {
            bail!("nothing to load: give a URL (cargo chaos load http://127.0.0.1:8080/) or --test TARGET")
        }
        (Some(url), None) => {
            let scenario = url_scenario(url, &args)?;
            let test = options.to_test(vec![scenario])?;
            Ok(chaos_test::load::run_and_report(&test, &options.out_dir())?)
        }
        (None, Some(target)) => run_test_target(target, args.package.as_deref(), &options),
    }
}

/// The built-in scenario of the URL mode: one request per iteration.
fn url_scenario(url: &str, args: &LoadArgs) -> anyhow::Result<Scenario> {
    chaos_test::load::http::Origin::parse(url)?;
    let method: hyper::Method = args
        .method
        .parse()
        .map_err(|_| anyhow::anyhow!("--method {:?} is not an HTTP method", args.method))?;
    let mut headers = Vec::new();
    for h in &args.headers {
        let (k, v) = h.split_once(':').with_context(|| format!("--header {h:?}: accepted: NAME:VALUE"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let target = Arc::new(Target {
        method,
        url: url.to_string(),
        body: args.body.clone().unwrap_or_default(),
        name: args.name.clone(),
    });
    let mut scenario = Scenario::new("url", move |s| request(s, Arc::clone(&target)));
    scenario.config.headers = headers;
    Ok(scenario)
}

struct Target {
    method: hyper::Method,
    url: String,
    body: String,
    name: Option<String>,
}

fn request(s: &Session, target: Arc<Target>) -> StepFuture<'_> {
    Box::pin(async move {
        let mut r = s.request(target.method.clone(), &target.url);
        if !target.body.is_empty() {
            r = r.body(target.body.clone());
        }
        if let Some(name) = &target.name {
            r = r.name(name);
        }
        r.send().await.map_err(|e: LoadError| -> chaos_test::Error { Box::new(e) })?;
        Ok(())
    })
}

/// Builds the test target and runs its binary with the options in `CHAOS_LOAD`.
fn run_test_target(target: &str, package: Option<&str>, options: &Options) -> anyhow::Result<u8> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(&cargo);
    build.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--test", target]);
    if let Some(p) = package {
        build.args(["-p", p]);
    }
    build.stderr(std::process::Stdio::inherit());
    let output = build.output().context("running cargo test --no-run")?;
    if !output.status.success() {
        bail!("building the test target `{target}` failed (cargo test --no-run --test {target})");
    }
    let exe = executable(&String::from_utf8_lossy(&output.stdout), target)
        .with_context(|| format!("cargo built no test executable named `{target}`"))?;
    let json = serde_json::to_string(options)?;
    let status = Command::new(&exe)
        .env("CHAOS_LOAD", json)
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// The executable of the test target named `target` in cargo's JSON messages.
fn executable(messages: &str, target: &str) -> Option<PathBuf> {
    messages.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).find_map(|m| {
        let is_it = m["reason"] == "compiler-artifact"
            && m["target"]["name"] == target
            && m["profile"]["test"] == true;
        is_it.then(|| m["executable"].as_str().map(|p| Path::new(p).to_path_buf())).flatten()
    })
}

/// Options of `cargo chaos merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The `results.json` of each shard (of `cargo chaos load`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// A threshold evaluated on the merged histograms (repeatable).
    #[arg(long = "threshold")]
    thresholds: Vec<String>,
    /// Where the merged results.json and report.html go.
    #[arg(long, default_value = "chaos.out/load-merged")]
    out: PathBuf,
}

/// Runs `cargo chaos merge`: the load results of shards, merged exactly; returns the exit code
/// (99 when a threshold fails).
pub fn merge(args: MergeArgs) -> anyhow::Result<u8> {
    let mut parts = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let report: chaos_test::load::Report = serde_json::from_str(&text)
            .with_context(|| format!("{}: not the results.json of cargo chaos load", file.display()))?;
        parts.push((file.display().to_string(), report));
    }
    let thresholds = args
        .thresholds
        .iter()
        .map(|t| chaos_test::load::Threshold::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let merged = chaos_test::load::report::merge(&parts, &thresholds).map_err(anyhow::Error::msg)?;
    print!("{}", merged.table());
    let html = merged.write(&args.out).with_context(|| format!("writing {}", args.out.display()))?;
    println!("results: {}\nreport:  {}", args.out.join("results.json").display(), html.display());
    Ok(if merged.passed { 0 } else { chaos_test::load::THRESHOLDS_FAILED })
}
