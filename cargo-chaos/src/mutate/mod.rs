//! `cargo chaos mutate`: finds code the tests do not check.
//!
//! Flow: `workspace` (cargo metadata, sources) -> `discover` (mutants from syn, per file) ->
//! filters (`--file`/`--exclude` globs, `--package`, `--in-diff`, `--shard`) -> `scratch`
//! copies of the tree -> `lab` (baseline, then each mutant: apply, build, test, restore) ->
//! `outcome`s -> `report` (`chaos.out/mutate/`, the terminal summary). The user's tree is
//! only ever read.

mod config;
mod discover;
mod glob;
mod in_diff;
mod lab;
mod outcome;
mod report;
mod scratch;
mod workspace;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use self::discover::Mutant;
use self::lab::{INTERRUPTED, TestTool};
use self::outcome::{Outcome, Status, Verdict};
use self::report::Output;
use self::scratch::Scratch;
use self::workspace::{Package, Workspace};

/// Exit codes, as cargo-mutants documents them.
pub mod exit {
    /// Every mutant caught (or unviable).
    pub const OK: u8 = 0;
    // 1: a usage error or a failure of the tool itself (returned by `cli` for any `Err`).
    /// Some mutants were missed.
    pub const MISSED: u8 = 2;
    /// Some mutants timed out (and none missed).
    pub const TIMEOUT: u8 = 3;
    /// The unmutated tree does not build or its tests fail.
    pub const BASELINE: u8 = 4;
    /// Interrupted by Ctrl-C or SIGTERM.
    pub const INTERRUPTED: u8 = 130;
}

/// Options of `cargo chaos mutate`.
#[derive(Debug, Args)]
pub struct MutateArgs {
    /// The project to mutate (a directory with Cargo.toml).
    #[arg(long, short = 'd', default_value = ".")]
    dir: PathBuf,
    /// List the mutants instead of testing them.
    #[arg(long)]
    list: bool,
    /// With --list, print JSON.
    #[arg(long)]
    json: bool,
    /// Only mutate files matching this glob (repeatable).
    #[arg(long = "file", short = 'f')]
    files: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long = "exclude", short = 'e')]
    excludes: Vec<String>,
    /// Only mutate this package (repeatable).
    #[arg(long = "package", short = 'p')]
    packages: Vec<String>,
    /// Only mutants on lines this unified diff adds or changes.
    #[arg(long)]
    in_diff: Option<PathBuf>,
    /// Test shard k/n of the mutants (1-based); the n shards together test each once.
    #[arg(long)]
    shard: Option<String>,
    /// Test timeout in seconds (default: 5x the baseline's test time, at least 20 s).
    #[arg(long)]
    timeout: Option<f64>,
    /// Parallel workers, each with its own copy of the tree (default 1).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// The test runner (default cargo).
    #[arg(long, value_enum)]
    test_tool: Option<TestTool>,
    /// Keep the profile's debug info in the mutants' builds (by default they build with
    /// `CARGO_PROFILE_DEV_DEBUG=0`, faster; only a test reading its own debug info would care).
    #[arg(long)]
    debuginfo: bool,
    /// Where `mutate/` is written (default: chaos.out in the project).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

/// A mutant with its package.
#[derive(Debug, Clone)]
struct Planned {
    mutant: Mutant,
    /// Its package (`spec` is for cargo's `--package`).
    package: Arc<Package>,
    source: Arc<String>,
}

/// Fills options not given on the command line from the `[mutate]` table.
fn merge(mut args: MutateArgs, config: config::MutateConfig) -> MutateArgs {
    args.timeout = args.timeout.or(config.timeout);
    args.jobs = args.jobs.or(config.jobs);
    if args.files.is_empty() {
        args.files = config.file;
    }
    args.excludes.extend(config.exclude);
    if args.packages.is_empty() {
        args.packages = config.package;
    }
    args.test_tool = args.test_tool.or(match config.test_tool.as_deref() {
        Some("nextest") => Some(TestTool::Nextest),
        Some(_) => Some(TestTool::Cargo),
        None => None,
    });
    args
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: MutateArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(&args.dir)?;
    let args = merge(args, config::MutateConfig::load(&workspace.root)?);
    let tool = args.test_tool.unwrap_or(TestTool::Cargo);
    let jobs = args.jobs.unwrap_or(1).max(1);
    lab::keep_debuginfo(args.debuginfo);
    let planned = plan(&workspace, &args)?;
    if args.list {
        list(&planned, args.json);
        return Ok(exit::OK);
    }
    if planned.is_empty() {
        println!("no mutants to test");
        return Ok(exit::OK);
    }
    let output = Output::create(&args.output.clone().unwrap_or_else(|| workspace.root.join("chaos.out")))?;
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        lab::kill_all();
    })
    .context("installing the Ctrl-C handler")?;
    let started_at = now_text();
    let started = Instant::now();

    eprintln!("copying {} to a scratch dir", workspace.root.display());
    let first = Scratch::copy(&workspace.root)?;
    let packages: Vec<Arc<Package>> = {
        let mut p: Vec<Arc<Package>> = planned.iter().map(|m| Arc::clone(&m.package)).collect();
        p.sort_by(|a, b| a.spec.cmp(&b.spec));
        p.dedup_by(|a, b| a.spec == b.spec);
        p
    };
    let mut baseline_log = String::new();
    let mut slowest = Duration::ZERO;
    for package in &packages {
        eprintln!("baseline: building and testing {}", package.spec);
        // The same path as a mutant's, so the timeout derived from it fits.
        let tested =
            lab::build_and_test(first.path(), package, tool, None, None, &mut baseline_log).get(1).cloned();
        output.write("baseline.log", &baseline_log)?;
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Ok(exit::INTERRUPTED);
        }
        match tested {
            Some(t) if t.status == Status::Success => slowest = slowest.max(t.duration),
            _ => {
                eprintln!(
                    "error: the unmutated tree of `{}` does not build or its tests fail; see {}",
                    package.spec,
                    output.dir().join("baseline.log").display()
                );
                return Ok(exit::BASELINE);
            }
        }
    }
    let timeout = match args.timeout {
        Some(t) if t > 0.0 => Duration::from_secs_f64(t),
        Some(t) => bail!("--timeout {t}: expected a positive number of seconds"),
        None => (slowest * 5).max(Duration::from_secs(20)),
    };
    eprintln!(
        "testing {} mutants with {} worker(s), timeout {:.1}s",
        planned.len(),
        jobs,
        timeout.as_secs_f64()
    );

    let progress = report::Progress::new(planned.len());
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Outcome>> = Mutex::default();
    let first = Mutex::new(Some(first));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| -> anyhow::Result<()> {
                let taken = first.lock().unwrap_or_else(PoisonError::into_inner).take();
                let scratch = match taken {
                    Some(s) => s,
                    None => Scratch::copy(&workspace.root)?,
                };
                while !INTERRUPTED.load(Ordering::SeqCst) {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = planned.get(index) else { break };
                    let mut log = String::new();
                    let (verdict, phases) =
                        lab::test_mutant(scratch.path(), &p.mutant, &p.package, tool, timeout, &mut log);
                    if INTERRUPTED.load(Ordering::SeqCst) {
                        break; // killed mid-run: not a verdict
                    }
                    let slug = Output::slug(index, &p.mutant.name);
                    let diff = discover::diff(&p.source, &p.mutant);
                    let (log_path, diff_path) = (format!("log/{slug}.log"), format!("diff/{slug}.diff"));
                    let _ = output.write(&log_path, &log);
                    let _ = output.write(&diff_path, &diff);
                    progress.done(verdict, &p.mutant.name);
                    outcomes.lock().unwrap_or_else(PoisonError::into_inner).push(Outcome {
                        mutant: p.mutant.clone(),
                        package: p.package.name.clone(),
                        verdict,
                        phases,
                        log_path,
                        diff_path,
                        diff,
                    });
                }
                Ok(())
            });
        }
    });
    progress.finish();
    let mut outcomes = outcomes.into_inner().unwrap_or_else(PoisonError::into_inner);
    outcomes.sort_by(|a, b| {
        (&a.mutant.file, a.mutant.start, &a.mutant.name).cmp(&(
            &b.mutant.file,
            b.mutant.start,
            &b.mutant.name,
        ))
    });
    output.finish(&outcomes, &started_at, &now_text(), planned.len())?;
    print!("{}", report::summary(&outcomes, started.elapsed().as_secs_f64()));
    println!("outcomes in {}", output.dir().display());
    let any = |v: Verdict| outcomes.iter().any(|o| o.verdict == v);
    Ok(if INTERRUPTED.load(Ordering::SeqCst) {
        exit::INTERRUPTED
    } else if any(Verdict::Missed) {
        exit::MISSED
    } else if any(Verdict::Timeout) {
        exit::TIMEOUT
    } else {
        exit::OK
    })
}

/// Discovers and filters the mutants, in a stable order.
fn plan(workspace: &Workspace, args: &MutateArgs) -> anyhow::Result<Vec<Planned>> {
    for p in &args.packages {
        if !workspace.packages.iter().any(|w| &w.name == p) {
            let known: Vec<&str> = workspace.packages.iter().map(|w| w.name.as_str()).collect();
            bail!("--package {p}: no such package in the workspace; packages: {}", known.join(", "));
        }
    }
    let changed = match &args.in_diff {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --in-diff {}", path.display()))?;
            Some(in_diff::parse(&path.display().to_string(), &text)?)
        }
        None => None,
    };
    let shard = match &args.shard {
        Some(text) => Some(parse_shard(text)?),
        None => None,
    };
    let mut planned = Vec::new();
    for package in &workspace.packages {
        if !args.packages.is_empty() && !args.packages.contains(&package.name) {
            continue;
        }
        let shared = Arc::new(package.clone());
        for file in &package.sources {
            if !args.files.is_empty() && !args.files.iter().any(|g| glob::matches(g, file)) {
                continue;
            }
            if args.excludes.iter().any(|g| glob::matches(g, file)) {
                continue;
            }
            let path = workspace.root.join(file);
            let source = Arc::new(
                std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
            );
            let mutants = match discover::discover(file, &source) {
                Ok(m) => m,
                Err(e) => {
                    let at = e.span().start();
                    eprintln!(
                        "warning: skipping {file}:{}:{}: syn cannot parse it: {e}",
                        at.line,
                        at.column + 1
                    );
                    continue;
                }
            };
            for mutant in mutants {
                if let Some(changed) = &changed {
                    let lines = changed.get(file);
                    if lines.is_none_or(|l| l.range(mutant.line..=mutant.end_line).next().is_none()) {
                        continue;
                    }
                }
                planned.push(Planned { mutant, package: Arc::clone(&shared), source: Arc::clone(&source) });
            }
        }
    }
    if let Some((k, n)) = shard {
        planned = planned.into_iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, p)| p).collect();
    }
    Ok(planned)
}

fn parse_shard(text: &str) -> anyhow::Result<(usize, usize)> {
    let bad = || anyhow::anyhow!("--shard {text:?}: expected k/n with 1 <= k <= n, like 2/3");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

fn list(planned: &[Planned], json: bool) {
    if json {
        let all: Vec<serde_json::Value> =
            planned.iter().map(|p| outcome::mutant_json(&p.mutant, &p.package.name)).collect();
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
    } else {
        for p in planned {
            println!("{}", p.mutant.name);
        }
    }
}

fn now_text() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("{secs}")
}
