//! Outcomes: what happened to each mutant, in a model that a build-once engine can fill too,
//! and serialised with cargo-mutants' field names where they overlap so tools reading its
//! `outcomes.json` can read ours.

use std::time::Duration;

use serde_json::{Value, json};

use super::discover::Mutant;

/// The verdict on one mutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// A test failed: the tests notice this change.
    Caught,
    /// Every test passed: nothing checks this code.
    Missed,
    /// The mutant does not build.
    Unviable,
    /// The tests ran past the timeout.
    Timeout,
}

impl Verdict {
    /// cargo-mutants' `summary` spelling.
    pub fn summary(self) -> &'static str {
        match self {
            Verdict::Caught => "CaughtMutant",
            Verdict::Missed => "MissedMutant",
            Verdict::Unviable => "Unviable",
            Verdict::Timeout => "Timeout",
        }
    }

    /// Our short spelling (file names, the terminal).
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Caught => "caught",
            Verdict::Missed => "missed",
            Verdict::Unviable => "unviable",
            Verdict::Timeout => "timeout",
        }
    }
}

/// How a build or test phase ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0.
    Success,
    /// Another exit code (or a signal: `None`).
    Failure(Option<i32>),
    /// Killed at the timeout.
    Timeout,
}

/// One phase (build or test) of a scenario.
#[derive(Debug, Clone)]
pub struct Phase {
    /// `Build` or `Test`.
    pub name: &'static str,
    /// How long it took.
    pub duration: Duration,
    /// How it ended.
    pub status: Status,
    /// The command.
    pub argv: Vec<String>,
}

impl Phase {
    fn json(&self) -> Value {
        let status = match &self.status {
            Status::Success => json!("Success"),
            Status::Failure(code) => json!({"Failure": code.unwrap_or(-1)}),
            Status::Timeout => json!("Timeout"),
        };
        json!({"phase": self.name, "duration": self.duration.as_secs_f64(), "process_status": status, "argv": self.argv})
    }
}

/// A mutant's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The mutant.
    pub mutant: Mutant,
    /// Its package.
    pub package: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The phases run.
    pub phases: Vec<Phase>,
    /// Its log, relative to the output dir.
    pub log_path: String,
    /// Its diff, relative to the output dir.
    pub diff_path: String,
    /// The diff itself.
    pub diff: String,
}

impl Outcome {
    /// The cargo-mutants-compatible JSON, plus ours (`verdict`).
    pub fn json(&self) -> Value {
        json!({
            "scenario": {"Mutant": mutant_json(&self.mutant, &self.package)},
            "summary": self.verdict.summary(),
            "verdict": self.verdict.word(),
            "log_path": self.log_path,
            "diff_path": self.diff_path,
            "phase_results": self.phases.iter().map(Phase::json).collect::<Vec<_>>(),
        })
    }
}

/// A mutant as cargo-mutants' `mutants.json` describes it (`genre` spelled alike), plus ours:
/// `const_context`, true for a mutant in code evaluated at compile time.
pub fn mutant_json(m: &Mutant, package: &str) -> Value {
    let span = json!({
        "start": {"line": m.line, "column": m.column},
        "end": {"line": m.end_line, "column": m.end_column},
    });
    json!({
        "name": m.name,
        "package": package,
        "file": m.file,
        "function": m.function.as_ref().map(|f| json!({
            "function_name": f,
            "return_type": m.return_type.clone().unwrap_or_default(),
        })),
        "span": span,
        "replacement": m.replacement,
        "genre": m.genre.as_str(),
        "const_context": m.const_context,
    })
}
