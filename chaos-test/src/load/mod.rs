//! Load testing (feature `load`): scenarios as async functions over a [`Session`], run by
//! virtual users in a closed model (users) or an open one (arrival rate, measured from each
//! iteration's intended start, so a stalled server shows in the percentiles), with HDR
//! histograms merged across worker threads, thresholds, a terminal table, `results.json` and a
//! self-contained HTML report.
//!
//! ```no_run
//! use chaos_test::load::Session;
//!
//! #[chaos_test::chaos_scenario(base_url = "http://127.0.0.1:8080")]
//! async fn browse(s: &Session) -> chaos_test::Result {
//!     s.get("/").send().await?;                                   // timed as "GET /"
//!     let (a, b) = tokio::join!(s.get("/items/{id}").path("id", 7).send(), s.get("/cart").send());
//!     a?;                                                         // "GET /items/{id}", whatever the id
//!     b?;
//!     s.timed("checkout", s.post("/buy").json(&[1, 2]).send()).await?;
//!     Ok(())
//! }
//! chaos_test::main!();
//! ```
//!
//! Under `cargo test` every scenario runs once as a smoke test (a trial named
//! `load::NAME`); `cargo chaos load --test TARGET --users 64 --duration 30s` runs them as a
//! load test. [`LoadTest`] runs scenarios built in code.

pub mod h1;
pub mod html;
pub mod http;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod session;
pub mod threshold;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use http::Protocol;
pub use report::Report;
pub use runner::{Executor, LoadTest, Profile, parse_duration};
pub use scenario::{Scenario, ScenarioDef, StepFuture};
pub use session::{RequestBuilder, Response, Session, WebSocket};
pub use threshold::Threshold;

/// An error of the load generator: a request that failed, a URL that does not parse, a
/// setting out of range. Its message names the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    message: String,
}

impl LoadError {
    /// An error with a message.
    pub fn new(message: String) -> LoadError {
        LoadError { message }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

/// Exit code of a run whose thresholds failed (as k6).
pub const THRESHOLDS_FAILED: u8 = 99;

/// The settings of a run as `cargo chaos load` passes them (also to a test binary, as JSON in
/// `CHAOS_LOAD`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(default)]
pub struct Options {
    /// Only this scenario (by name).
    pub scenario: Option<String>,
    /// Closed model: users (default 1).
    pub users: Option<u64>,
    /// How long (default 10s): `250ms`, `10s`, `2m`.
    pub duration: Option<String>,
    /// Open model: iterations started per second.
    pub rate: Option<f64>,
    /// Open model: the most iterations in flight (default: max(100, rate)).
    pub max_users: Option<u64>,
    /// Ramps: `DURATION:TARGET,...` of users (or of the rate with `rate`), from 0.
    pub stages: Option<String>,
    /// Worker threads (default: the machine's cores).
    pub threads: Option<usize>,
    /// Thresholds, as `p99 < 200ms`.
    pub thresholds: Vec<String>,
    /// Where results.json and report.html go (default `chaos.out/load`).
    pub out: Option<PathBuf>,
    /// Overrides the scenarios' base URL.
    pub base_url: Option<String>,
    /// How long iterations may finish after the end (default 5s).
    pub grace: Option<String>,
    /// Requests time out after this (default 10s).
    pub request_timeout: Option<String>,
    /// Speak HTTP/2 (h2c prior knowledge).
    pub http2: bool,
    /// Show the live progress line.
    pub progress: bool,
}

impl Options {
    /// The load test these options describe over `scenarios`. Errors name the option.
    pub fn to_test(&self, mut scenarios: Vec<Scenario>) -> Result<LoadTest, LoadError> {
        let opt = |name: &str, e: String| LoadError::new(format!("{name}: {e}"));
        if let Some(name) = &self.scenario {
            let known: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
            scenarios.retain(|s| &s.name == name);
            if scenarios.is_empty() {
                let known = if known.is_empty() { "none are registered".into() } else { known.join(", ") };
                return Err(LoadError::new(format!("no scenario is named `{name}`; known: {known}")));
            }
        }
        let duration = match &self.duration {
            Some(d) => parse_duration(d).map_err(|e| opt("--duration", e))?,
            None => Duration::from_secs(10),
        };
        for s in &mut scenarios {
            if let Some(url) = &self.base_url {
                s.config.base_url = url.clone();
            }
            if self.http2 {
                s.config.protocol = Protocol::Http2;
            }
            if let Some(t) = &self.request_timeout {
                s.config.request_timeout = parse_duration(t).map_err(|e| opt("--request-timeout", e))?;
            }
        }
        let executor = match self.rate {
            Some(rate) => {
                if !(rate.is_finite() && rate >= 0.0) {
                    return Err(LoadError::new(format!("--rate: {rate} is not a rate >= 0")));
                }
                let profile = match &self.stages {
                    Some(s) => Profile::parse(0.0, s).map_err(|e| opt("--stages", e))?,
                    None => Profile::constant(rate, duration),
                };
                let max_users = self.max_users.unwrap_or((profile.peak().ceil() as u64).max(100));
                Executor::Rate { profile, max_users }
            }
            None => match &self.stages {
                Some(s) => Executor::Users(Profile::parse(0.0, s).map_err(|e| opt("--stages", e))?),
                None => Executor::Users(Profile::constant(self.users.unwrap_or(1) as f64, duration)),
            },
        };
        let mut test = LoadTest::new(scenarios, 1, duration);
        test.executor = executor;
        if let Some(t) = self.threads {
            test.threads = t;
        }
        if let Some(g) = &self.grace {
            test.grace = parse_duration(g).map_err(|e| opt("--grace", e))?;
        }
        test.thresholds = self
            .thresholds
            .iter()
            .map(|t| Threshold::parse(t))
            .collect::<Result<_, _>>()
            .map_err(LoadError::new)?;
        test.progress = self.progress;
        test.validate()?;
        Ok(test)
    }

    /// Where the outputs go.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from("chaos.out/load"))
    }
}

/// Runs a load test, prints its table, writes its outputs; the exit code: 0 when every
/// threshold passed, [`THRESHOLDS_FAILED`] otherwise.
pub fn run_and_report(test: &LoadTest, out: &std::path::Path) -> Result<u8, LoadError> {
    let report = test.run()?;
    print!("{}", report.table());
    match report.write(out) {
        Ok(html) => println!("results: {}\nreport:  {}", out.join("results.json").display(), html.display()),
        Err(e) => eprintln!("warning: cannot write the results to {}: {e}", out.display()),
    }
    Ok(if report.passed { 0 } else { THRESHOLDS_FAILED })
}

/// Runs one iteration of a scenario with one user (init, run, cleanup): the smoke test
/// `cargo test` runs. `Err` lists what failed: the steps' errors and every failed request.
pub fn smoke(scenario: &Scenario) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    let recorder =
        std::rc::Rc::new(std::cell::RefCell::new(session::Recorder::new(std::time::Instant::now(), tx)));
    let config = std::rc::Rc::new(scenario.config.clone());
    let session =
        Session::new(&scenario.name, 0, config, std::rc::Rc::clone(&recorder)).map_err(|e| e.to_string())?;
    runtime.block_on(async {
        if runner::run_step(&scenario.init, &session, &recorder, "init").await {
            runner::run_step(&Some(scenario.run.clone()), &session, &recorder, "run").await;
            runner::run_step(&scenario.cleanup, &session, &recorder, "cleanup").await;
        }
    });
    recorder.borrow_mut().flush();
    drop(session);
    drop(recorder);
    // The steps' failures and every failed request, as the recorder counted them.
    let failures: Vec<String> = rx
        .try_iter()
        .flat_map(|interval| interval.errors)
        .map(|(message, n)| if n > 1 { format!("{message} (x{n})") } else { message })
        .collect();
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n")) }
}

/// The harness's hook: when `CHAOS_LOAD` holds options (set by `cargo chaos load --test`),
/// runs the registered scenarios as a load test and returns the exit code.
pub fn from_env() -> Option<std::process::ExitCode> {
    let text = std::env::var("CHAOS_LOAD").ok()?;
    let code = match serde_json::from_str::<Options>(&text) {
        Err(e) => {
            eprintln!("error: CHAOS_LOAD is not the options JSON cargo chaos load writes: {e}");
            1
        }
        Ok(options) => {
            match options.to_test(scenario::registered()).and_then(|t| run_and_report(&t, &options.out_dir()))
            {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
    };
    Some(std::process::ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smoke_of(
        step: impl for<'a> Fn(&'a Session) -> StepFuture<'a> + Send + Sync + 'static,
    ) -> Result<(), String> {
        smoke(&Scenario::new("s", step).base_url("http://127.0.0.1:9"))
    }

    #[test]
    fn smoke_runs_fail_on_errors_panics_and_failed_requests() {
        assert_eq!(smoke_of(|_| Box::pin(async { Ok(()) })), Ok(()));
        let e = smoke_of(|_| Box::pin(async { Err("boom".into()) })).unwrap_err();
        assert!(e.contains("s: run failed: boom"), "{e}");
        let e = smoke_of(|_| Box::pin(async { panic!("scenario bug") })).unwrap_err();
        assert!(e.contains("s: run failed: panic: scenario bug"), "{e}");
        // The step ignores the error, the smoke run does not: port 9 refuses on loopback.
        let e = smoke_of(|s| {
            Box::pin(async move {
                let _ = s.get("/").send().await;
                Ok(())
            })
        })
        .unwrap_err();
        assert!(e.contains("GET /: cannot connect to 127.0.0.1:9"), "{e}");
        let failing_init = Scenario::new("s", |_| Box::pin(async { panic!("run must not start") }))
            .init(|_| Box::pin(async { Err("no login".into()) }));
        let e = smoke(&failing_init).unwrap_err();
        assert!(e.contains("s: init failed: no login") && !e.contains("run must not start"), "{e}");
    }
}
