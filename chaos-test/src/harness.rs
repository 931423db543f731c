//! `chaos_test::main!()`: turns every selected walk into one libtest-mimic trial.
//!
//! Start-up assembles the suites, decides which walks exist (all of them, one replayed by
//! `CHAOS_WALK`, or the one `--exact NAME` names, without expanding the rest: nextest starts
//! one process per walk), then hands the trials to libtest-mimic, which owns filtering,
//! listing, threads and output formats.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::barrier::SuiteRun;
use crate::config::Config;
use crate::errors::{SetupError, SetupErrorKind};
use crate::plan::{self, Plan, Walk};
use crate::suite::{self, Suite};
use crate::trace::{self, Trace};

/// Runs the harness with the process's arguments; what `main!()` calls.
pub fn main() -> ExitCode {
    let args = Arguments::from_args();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(101)
        }
    }
}

fn run(args: Arguments) -> Result<ExitCode, SetupError> {
    let config = Config::from_env()?;
    let suites = suite::collect()?;
    let threads =
        args.test_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut runs = Vec::new();
    for suite in suites {
        let plan = Plan::of(&suite)?;
        let walks = chosen_walks(&suite, &plan, &args, &config);
        runs.push((Arc::new(SuiteRun::new(suite, plan, threads)), walks));
    }
    if let Some(selector) = &config.walk {
        check_selector_found(selector, &runs)?;
    }
    let binary = trace::binary_name();
    let trace = if args.list {
        None
    } else {
        let unfiltered = args.filter.is_none() && args.skip.is_empty() && config.walk.is_none();
        let fresh = unfiltered && std::env::var_os("NEXTEST").is_none();
        match Trace::open(&trace::default_dir(), &binary, fresh, config.gather_states) {
            Ok(t) => Some(Arc::new(t)),
            Err(e) => {
                eprintln!(
                    "chaos-test: cannot open the trace in {}: {e}; running without it",
                    trace::default_dir().display()
                );
                None
            }
        }
    };
    let mut trials = Vec::new();
    for (run, walks) in runs {
        let mut selected = Vec::new();
        for walk in walks {
            let trial = trial(&run, walk.clone(), trace.clone(), &binary);
            if !args.is_filtered_out(&trial) && !args.ignored {
                selected.push(walk);
            }
            trials.push(trial);
        }
        run.select(selected);
    }
    Ok(libtest_mimic::run(&args, trials).exit_code())
}

/// The walks of a suite this process knows about.
fn chosen_walks(suite: &Suite, plan: &Plan, args: &Arguments, config: &Config) -> Vec<Walk> {
    if let Some(selector) = &config.walk {
        if selector.suite.as_deref().is_some_and(|s| s != suite.name) {
            return Vec::new();
        }
        return plan.walk(selector.id).into_iter().collect();
    }
    if args.exact
        && let Some(name) = &args.filter
    {
        // nextest's one-process-per-walk path: build only the named trial.
        return plan::parse_name(suite, name)
            .map(|choice| Walk { id: plan.id(&choice), choice })
            .into_iter()
            .collect();
    }
    plan.product().collect()
}

fn check_selector_found(
    selector: &crate::config::WalkSelector,
    runs: &[(Arc<SuiteRun>, Vec<Walk>)],
) -> Result<(), SetupError> {
    if runs.iter().any(|(_, walks)| !walks.is_empty()) {
        return Ok(());
    }
    let known: Vec<String> =
        runs.iter().map(|(r, _)| format!("`{}` has walks 0..{}", r.suite.name, r.plan.total())).collect();
    let which = match &selector.suite {
        Some(s) if !runs.iter().any(|(r, _)| &r.suite.name == s) => {
            format!("no suite is named `{s}`")
        }
        Some(s) => format!("suite `{s}` has no walk {}", selector.id),
        None => format!("no suite has a walk {}", selector.id),
    };
    Err(SetupError::new(
        SetupErrorKind::UnknownWalk,
        format!(
            "CHAOS_WALK: {which}; {}",
            if known.is_empty() { "no suites are registered".into() } else { known.join(", ") }
        ),
    ))
}

fn trial(run: &Arc<SuiteRun>, walk: Walk, trace: Option<Arc<Trace>>, binary: &str) -> Trial {
    let name = plan::name(&run.suite, &walk.choice);
    let run = Arc::clone(run);
    let replay = format!(
        "replay: CHAOS_WALK='{}#{}' cargo test --test {binary}   (or: cargo test --test {binary} -- --exact '{name}')",
        run.suite.name, walk.id
    );
    Trial::test(name, move || {
        let started = Instant::now();
        let result = run.run(&walk);
        if let Some(trace) = &trace {
            trace.record(&run, &walk, &result, started.elapsed());
        }
        match result {
            Ok(_) => Ok(()),
            Err(failure) => Err(Failed::from(format!(
                "{}\nwalk id {}\n{replay}",
                failure.report(&run.suite.name),
                walk.id
            ))),
        }
    })
}
