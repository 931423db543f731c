//! The lab: builds and tests the baseline and each mutant in scratch copies, one copy per
//! worker, with a timeout and process groups so a hung or interrupted test leaves nothing.
//!
//! This is the one-build-per-mutant engine (correct for every mutant); a build-once engine
//! can replace `test_mutant` without touching discovery or the outcome model.

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::discover::{self, Mutant};
use super::outcome::{Phase, Status, Verdict};

/// The test runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestTool {
    /// `cargo test`.
    Cargo,
    /// `cargo nextest run`.
    Nextest,
}

/// Set by Ctrl-C or SIGTERM: workers stop taking mutants.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn running() -> &'static Mutex<HashSet<u32>> {
    static RUNNING: OnceLock<Mutex<HashSet<u32>>> = OnceLock::new();
    RUNNING.get_or_init(Mutex::default)
}

/// Kills the process group of every running build or test.
pub fn kill_all() {
    for &pgid in running().lock().unwrap_or_else(PoisonError::into_inner).iter() {
        kill_group(pgid);
    }
}

/// SIGKILL to the process group `pgid`, by the `kill(2)` system call. Not by the `kill`
/// command: procps-ng 4.0.2's `kill -KILL -PGID` was seen here to signal far more than the
/// group. A group id of 0 or 1 is refused: `kill(0)` and `kill(-1)` reach every process.
#[allow(unsafe_code)]
fn kill_group(pgid: u32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGKILL: i32 = 9;
    let Ok(pgid) = i32::try_from(pgid) else { return };
    if pgid > 1 {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            kill(-pgid, SIGKILL);
        }
    }
}

/// Runs one phase in `dir`, appending its output to `log`.
pub fn phase(
    name: &'static str,
    dir: &Path,
    argv: &[String],
    timeout: Option<Duration>,
    log: &mut String,
) -> Phase {
    let started = Instant::now();
    log.push_str(&format!("\n*** {name}: {}\n", argv.join(" ")));
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            log.push_str(&format!("cannot start: {e}\n"));
            return Phase {
                name,
                duration: started.elapsed(),
                status: Status::Failure(None),
                argv: argv.to_vec(),
            };
        }
    };
    let pid = child.id();
    running().lock().unwrap_or_else(PoisonError::into_inner).insert(pid);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let result = match timeout {
        Some(limit) => rx.recv_timeout(limit).ok(),
        None => rx.recv().ok(),
    };
    let status = match result {
        Some(Ok(out)) => {
            log.push_str(&String::from_utf8_lossy(&out.stdout));
            log.push_str(&String::from_utf8_lossy(&out.stderr));
            if out.status.success() { Status::Success } else { Status::Failure(out.status.code()) }
        }
        Some(Err(e)) => {
            log.push_str(&format!("wait failed: {e}\n"));
            Status::Failure(None)
        }
        None => {
            kill_group(pid);
            let _ = rx.recv_timeout(Duration::from_secs(10));
            log.push_str(&format!("*** killed after the {:?} timeout\n", timeout.unwrap_or_default()));
            Status::Timeout
        }
    };
    running().lock().unwrap_or_else(PoisonError::into_inner).remove(&pid);
    Phase { name, duration: started.elapsed(), status, argv: argv.to_vec() }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The build and test commands for a package.
pub fn commands(tool: TestTool, package: &str) -> (Vec<String>, Vec<String>) {
    let p = ["--package".to_string(), package.to_string()];
    let build = [vec![cargo(), "test".into(), "--no-run".into()], p.to_vec()].concat();
    let test = match tool {
        TestTool::Cargo => [vec![cargo(), "test".into()], p.to_vec()].concat(),
        TestTool::Nextest => {
            [vec![cargo(), "nextest".into(), "run".into(), "--no-fail-fast".into()], p.to_vec()].concat()
        }
    };
    (build, test)
}

/// Applies `mutant` in the scratch copy at `dir`, builds, tests, and restores the file.
pub fn test_mutant(
    dir: &Path,
    mutant: &Mutant,
    package: &str,
    tool: TestTool,
    timeout: Duration,
    log: &mut String,
) -> (Verdict, Vec<Phase>) {
    let path = dir.join(&mutant.file);
    let original = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            log.push_str(&format!("cannot read {}: {e}\n", path.display()));
            return (Verdict::Unviable, Vec::new());
        }
    };
    if let Err(e) = std::fs::write(&path, discover::apply(&original, mutant)) {
        log.push_str(&format!("cannot write {}: {e}\n", path.display()));
        return (Verdict::Unviable, Vec::new());
    }
    let (build, test) = commands(tool, package);
    let mut phases = vec![phase("Build", dir, &build, Some(timeout.max(Duration::from_secs(300))), log)];
    let verdict = if phases[0].status != Status::Success {
        Verdict::Unviable
    } else {
        let run = phase("Test", dir, &test, Some(timeout), log);
        let verdict = match run.status {
            Status::Success => Verdict::Missed,
            Status::Failure(_) => Verdict::Caught,
            Status::Timeout => Verdict::Timeout,
        };
        phases.push(run);
        verdict
    };
    if let Err(e) = std::fs::write(&path, original) {
        log.push_str(&format!("cannot restore {}: {e}\n", path.display()));
    }
    (verdict, phases)
}
