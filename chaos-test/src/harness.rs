//! `chaos_test::main!()`: turns every selected walk into one libtest-mimic trial.
//!
//! Start-up resolves the settings, assembles the suites and decides which walks exist: the
//! plan of the strategy (product, covering array, sample) with the regressions first, minus
//! impossible walks, cut to this shard; or one walk replayed by `CHAOS_WALK`; or the one
//! `--exact NAME` names, without planning the rest (nextest starts one process per walk).
//! libtest-mimic then owns filtering, listing, threads and output formats.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::barrier::SuiteRun;
use crate::config::{Config, Settings, WalkSelector};
use crate::constraint::Rules;
use crate::errors::{SetupError, SetupErrorKind};
use crate::plan::{self, Plan, Walk};
use crate::registry::State;
use crate::regressions::Regressions;
use crate::suite::{self, Suite};
use crate::timeout::{self, Overrun};
use crate::trace::{self, Trace};
use crate::walk::{FailureKind, Progress, WalkFailure, track_progress};

/// Runs the harness with default settings; what `main!()` calls.
pub fn main() -> ExitCode {
    main_with(Settings::new())
}

/// Runs the harness with settings from code; what `main!(key = value, ..)` calls.
pub fn main_with(settings: Settings) -> ExitCode {
    #[cfg(feature = "load")]
    if let Some(code) = crate::load::from_env() {
        return code;
    }
    let args = Arguments::from_args();
    match run(args, settings) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(101)
        }
    }
}

/// A suite as run here, with the walks it knows (each marked when it is a regression).
type SuiteWalks = (Arc<SuiteRun>, Vec<(Walk, bool)>);

/// What every trial shares.
struct Shared {
    trace: Option<Trace>,
    regressions: Option<Regressions>,
    timeout: Option<Duration>,
    binary: String,
}

fn run(mut args: Arguments, settings: Settings) -> Result<ExitCode, SetupError> {
    let config = Config::resolve(settings)?;
    if args.test_threads.is_none() {
        args.test_threads = config.threads;
    }
    let threads =
        args.test_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let binary = trace::binary_name();
    let regressions = match &config.regressions {
        Some(dir) => Some(Regressions::load(dir, &binary).map_err(|e| {
            SetupError::new(
                SetupErrorKind::Config,
                format!("cannot read the regressions in {}: {e}", dir.display()),
            )
        })?),
        None => None,
    };
    let mut runs = Vec::new();
    for suite in suite::collect()? {
        let plan = Plan::of(&suite)?;
        let walks = chosen_walks(&suite, &plan, &args, &config, regressions.as_ref())?;
        runs.push((Arc::new(SuiteRun::new(suite, plan, threads)), walks));
    }
    if let Some(selector) = &config.walk {
        check_selector_found(selector, &runs)?;
    }
    let trace = if args.list { None } else { open_trace(&args, &config, &binary) };
    let shared = Arc::new(Shared { trace, regressions, timeout: config.timeout, binary });
    // Regressions run first, across suites.
    let mut first = Vec::new();
    let mut rest = Vec::new();
    for (run, walks) in runs {
        let mut selected = Vec::new();
        for (walk, is_regression) in walks {
            let trial = trial(&run, walk.clone(), &shared);
            if !args.is_filtered_out(&trial) && !args.ignored {
                selected.push(walk);
            }
            if is_regression { first.push(trial) } else { rest.push(trial) }
        }
        run.select(selected);
    }
    first.append(&mut rest);
    #[cfg(feature = "load")]
    first.extend(load_smoke_trials());
    Ok(libtest_mimic::run(&args, first).exit_code())
}

/// Each registered load scenario, run once as a smoke test: `load::NAME`.
#[cfg(feature = "load")]
fn load_smoke_trials() -> Vec<Trial> {
    crate::load::scenario::registered()
        .into_iter()
        .map(|s| {
            Trial::test(format!("load::{}", s.name), move || crate::load::smoke(&s).map_err(Failed::from))
        })
        .collect()
}

fn open_trace(args: &Arguments, config: &Config, binary: &str) -> Option<Trace> {
    let dir = config.trace_dir.clone().unwrap_or_else(trace::default_dir);
    let unfiltered = args.filter.is_none() && args.skip.is_empty() && config.walk.is_none();
    let fresh = unfiltered && std::env::var_os("NEXTEST").is_none();
    match Trace::open(&dir, binary, fresh, config.gather_states) {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("chaos-test: cannot open the trace in {}: {e}; running without it", dir.display());
            None
        }
    }
}

/// The walks of a suite this process knows about, each marked when it is a regression.
fn chosen_walks(
    suite: &Suite,
    plan: &Plan,
    args: &Arguments,
    config: &Config,
    regressions: Option<&Regressions>,
) -> Result<Vec<(Walk, bool)>, SetupError> {
    if let Some(selector) = &config.walk {
        if selector.suite.as_deref().is_some_and(|s| s != suite.name) {
            return Ok(Vec::new());
        }
        return Ok(plan.walk(selector.id).map(|w| (w, false)).into_iter().collect());
    }
    if args.exact
        && let Some(name) = &args.filter
    {
        // nextest's one-process-per-walk path: build only the named trial.
        return Ok(plan::parse_name(suite, name)
            .map(|choice| (plan.walk_of(choice), false))
            .into_iter()
            .collect());
    }
    let rules = Rules::new(suite, &config.exclusions, &config.constraints);
    let mut walks: Vec<(Walk, bool)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for name in regressions.map(Regressions::names).unwrap_or_default() {
        if let Some(choice) = plan::parse_name(suite, name)
            && rules.allows_full(&choice)
        {
            let walk = plan.walk_of(choice);
            if seen.insert(walk.id) {
                walks.push((walk, true));
            }
        }
    }
    for walk in plan.select(suite, config.strategy, config.seed, &rules)? {
        if seen.insert(walk.id) {
            walks.push((walk, false));
        }
    }
    Ok(match config.shard {
        Some(shard) => {
            let serial: Vec<usize> =
                suite.actions.iter().enumerate().filter(|(_, a)| a.serial).map(|(i, _)| i).collect();
            shard.keep(walks, |(w, _)| {
                if serial.is_empty() {
                    vec![w.id as usize, (w.id >> 64) as usize]
                } else {
                    serial.iter().map(|&i| w.choice[i]).collect()
                }
            })
        }
        None => walks,
    })
}

fn check_selector_found(selector: &WalkSelector, runs: &[SuiteWalks]) -> Result<(), SetupError> {
    if runs.iter().any(|(_, walks)| !walks.is_empty()) {
        return Ok(());
    }
    let known: Vec<String> =
        runs.iter().map(|(r, _)| format!("`{}` has walks 0..{}", r.suite.name, r.plan.total())).collect();
    let which = match &selector.suite {
        Some(s) if !runs.iter().any(|(r, _)| &r.suite.name == s) => format!("no suite is named `{s}`"),
        Some(s) => format!("suite `{s}` has no walk {}", selector.id),
        None => format!("no suite has a walk {}", selector.id),
    };
    let known = if known.is_empty() { "no suites are registered".to_string() } else { known.join(", ") };
    Err(SetupError::new(SetupErrorKind::UnknownWalk, format!("CHAOS_WALK: {which}; {known}")))
}

fn trial(run: &Arc<SuiteRun>, walk: Walk, shared: &Arc<Shared>) -> Trial {
    let name = plan::name(&run.suite, &walk.choice);
    let run = Arc::clone(run);
    let shared = Arc::clone(shared);
    Trial::test(name.clone(), move || {
        let started = Instant::now();
        let result = run_walk(&run, &walk, shared.timeout);
        crate::context::end_walk(&(run.suite.name.clone(), walk.id));
        if let Some(trace) = &shared.trace {
            trace.record(&run, &walk, &result, started.elapsed());
        }
        match result {
            Ok(_) => Ok(()),
            Err(failure) => {
                let report = failure.report(&run.suite.name);
                if let Some(regressions) = &shared.regressions {
                    regressions.record(&name, &run.fingerprint, &report);
                }
                let binary = &shared.binary;
                Err(Failed::from(format!(
                    "{report}\nwalk id {}\nreplay: CHAOS_WALK='{}#{}' cargo test --test {binary}   \
                     (or: cargo test --test {binary} -- --exact '{name}')",
                    walk.id, run.suite.name, walk.id
                )))
            }
        }
    })
}

/// Runs a walk, on this thread's executor when a timeout is set.
fn run_walk(run: &Arc<SuiteRun>, walk: &Walk, limit: Option<Duration>) -> Result<State, WalkFailure> {
    let Some(limit) = limit else { return run.run(walk) };
    let progress: Progress = Arc::new(Mutex::new(None));
    let (job_run, job_walk, job_progress) = (Arc::clone(run), walk.clone(), Arc::clone(&progress));
    let outcome = timeout::run(limit, move || {
        track_progress(Some(job_progress));
        let result = job_run.run(&job_walk);
        track_progress(None);
        result
    });
    match outcome {
        Ok(result) => result,
        Err(overrun) => {
            let position = progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
                .unwrap_or_default();
            let error = match overrun {
                Overrun::TimedOut if position.at_barrier => format!(
                    "the walk overran its {limit:?} timeout waiting at this serial action's barrier \
                     (another walk of the branch hangs before it)"
                ),
                Overrun::TimedOut => format!(
                    "the walk overran its {limit:?} timeout (set it with CHAOS_TIMEOUT, `timeout` in chaos.toml \
                     or main!(timeout = ..)); the action's thread is left running and ends with the process"
                ),
                Overrun::Panicked(message) => format!("internal: the walk's thread panicked: {message}"),
            };
            Err(WalkFailure {
                action: position.action,
                option: position.option,
                error,
                kind: FailureKind::Timeout,
                serial: position.serial,
                steps_done: Vec::new(),
            })
        }
    }
}
