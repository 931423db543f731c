//! The trace: one JSON line per walk, written as each walk finishes.
//!
//! A full run (no filter, not under nextest) starts the file afresh; filtered runs and
//! replays append to it, and nextest's processes (one per walk) append to a file of their own
//! run. Each line is one `write` on an `O_APPEND` file, so processes do not interleave lines.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use crate::barrier::SuiteRun;
use crate::plan::Walk;
use crate::registry::State;
use crate::walk::WalkFailure;

/// The trace format's version, the `"v"` of every line.
pub const TRACE_VERSION: u32 = 1;

/// An open trace file.
#[derive(Debug)]
pub struct Trace {
    file: Mutex<Option<File>>,
    path: PathBuf,
    gather_states: bool,
}

impl Trace {
    /// Opens (or starts) the trace of this test binary in `dir`.
    pub fn open(dir: &Path, binary: &str, fresh: bool, gather_states: bool) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let name = match std::env::var("NEXTEST_RUN_ID") {
            Ok(run) if !run.is_empty() => format!("{binary}.nextest-{run}.jsonl"),
            _ => format!("{binary}.jsonl"),
        };
        let path = dir.join(name);
        let file = if fresh {
            OpenOptions::new().create(true).write(true).truncate(true).open(&path)?
        } else {
            OpenOptions::new().create(true).append(true).open(&path)?
        };
        Ok(Trace { file: Mutex::new(Some(file)), path, gather_states })
    }

    /// Where the trace is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the line of a finished walk.
    pub fn record(&self, run: &SuiteRun, walk: &Walk, result: &Result<State, WalkFailure>, took: Duration) {
        let suite = &run.suite;
        // An array, not an object: JSON objects lose the actions' order.
        let options: Vec<Value> = suite
            .actions
            .iter()
            .zip(&walk.choice)
            .filter_map(|(action, &c)| Some(json!({"action": action.name, "option": action.label(c)?})))
            .collect();
        let (outcome, error, failed_action) = match result {
            Ok(_) => ("passed", Value::Null, Value::Null),
            Err(f) => ("failed", Value::String(f.report(&suite.name)), Value::String(f.action.clone())),
        };
        let mut line = json!({
            "v": TRACE_VERSION,
            "suite": suite.name,
            "walk_id": id_json(walk.id),
            "fingerprint": run.fingerprint,
            "name": crate::plan::name(suite, &walk.choice),
            "options": options,
            "outcome": outcome,
            "duration_us": took.as_micros() as u64,
            "failed_action": failed_action,
            "error": error,
        });
        if self.gather_states
            && let Ok(state) = result
            && let Some(snapshot) = suite.state.snapshot(state.as_ref())
        {
            line["state"] = snapshot;
        }
        let mut text = line.to_string();
        text.push('\n');
        let mut guard = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(file) = guard.as_mut()
            && let Err(e) = file.write_all(text.as_bytes())
        {
            eprintln!("chaos-test: cannot write the trace {}: {e}; tracing stops", self.path.display());
            *guard = None;
        }
    }
}

/// The trace directory: `CHAOS_TRACE_DIR`, else `target/chaos` beside this test binary.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHAOS_TRACE_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().ok();
    // target/<profile>/deps/<binary> -> target
    let from_exe = exe.as_deref().and_then(|e| {
        let deps = e.parent()?;
        (deps.file_name()? == "deps").then(|| deps.parent()?.parent().map(Path::to_path_buf)).flatten()
    });
    let target = from_exe
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("target")))
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("chaos")
}

/// The test binary's name without cargo's `-hash` suffix.
pub fn binary_name() -> String {
    let stem = std::env::current_exe()
        .ok()
        .and_then(|e| e.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "walks".to_string());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name.to_string()
        }
        _ => stem,
    }
}

/// A walk id as a JSON number when it fits 64 bits, else as a decimal string.
pub fn id_json(id: u128) -> Value {
    match u64::try_from(id) {
        Ok(small) => Value::from(small),
        Err(_) => Value::String(id.to_string()),
    }
}
