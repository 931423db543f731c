//! Running the actions of a walk: one state, actions in order, the first failure stops it.
//!
//! Panics are caught per action and reported like errors. While an action runs, a panic hook
//! keeps the panic's message for the failure report instead of printing it, since
//! libtest-mimic does not capture output.

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, Once};

use crate::registry::State;
use crate::suite::Suite;

/// Why a walk failed: which action, with which option, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkFailure {
    /// The failing action.
    pub action: String,
    /// Its option label, `None` for a step without options.
    pub option: Option<String>,
    /// The error's text, or the panic's message and location.
    pub error: String,
    /// How it failed.
    pub kind: FailureKind,
    /// Whether it is a serial action (a barrier shared by many walks).
    pub serial: bool,
    /// The steps that completed before it, as `action=option`.
    pub steps_done: Vec<String>,
}

/// How an action failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// It returned `Err`.
    Error,
    /// It panicked.
    Panic,
    /// The walk overran its timeout while in it.
    Timeout,
}

impl WalkFailure {
    /// The failure report: suite, action, option, error, steps done.
    pub fn report(&self, suite: &str) -> String {
        let option = match &self.option {
            Some(o) => format!(" with option `{o}`"),
            None => String::new(),
        };
        let how = match self.kind {
            FailureKind::Error => "failed",
            FailureKind::Panic => "panicked",
            FailureKind::Timeout => "timed out",
        };
        let serial = if self.serial { "serial " } else { "" };
        let done = if self.steps_done.is_empty() { "(none)".to_string() } else { self.steps_done.join(", ") };
        format!(
            "{serial}action `{}`{option} {how} in suite `{suite}`: {}\nsteps done before it: {done}",
            self.action, self.error
        )
    }
}

/// `action=option`, or `action` for a step without options.
pub fn step_text(suite: &Suite, action: usize, choice: usize) -> String {
    let a = &suite.actions[action];
    match a.label(choice) {
        Some(label) => format!("{}={label}", a.name),
        None => a.name.to_string(),
    }
}

/// Runs actions `range` of the walk `choice` on `state`, appending each completed step to
/// `done`. Stops at the first failure.
pub fn run_range(
    suite: &Suite,
    choice: &[usize],
    range: Range<usize>,
    state: &mut State,
    done: &mut Vec<String>,
) -> Result<(), WalkFailure> {
    for index in range {
        run_action(suite, index, choice[index], state, done)?;
    }
    Ok(())
}

/// Runs one action, catching its panic.
pub fn run_action(
    suite: &Suite,
    index: usize,
    option: usize,
    state: &mut State,
    done: &mut Vec<String>,
) -> Result<(), WalkFailure> {
    install_hook();
    let action = &suite.actions[index];
    set_progress(|| Position {
        action: action.name.to_string(),
        option: action.label(option).map(str::to_string),
        at_barrier: false,
        serial: action.serial,
    });
    IN_ACTION.with(|f| f.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| (action.built.invoke)(state.as_mut(), option)));
    IN_ACTION.with(|f| f.set(false));
    let (error, kind) = match result {
        Ok(Ok(())) => {
            done.push(step_text(suite, index, option));
            return Ok(());
        }
        Ok(Err(e)) => (error_chain(&*e), FailureKind::Error),
        Err(payload) => {
            let message =
                LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| payload_text(&*payload));
            (message, FailureKind::Panic)
        }
    };
    Err(WalkFailure {
        action: action.name.to_string(),
        option: action.label(option).map(str::to_string),
        error,
        kind,
        serial: action.serial,
        steps_done: done.clone(),
    })
}

/// An error and its sources: `outer: inner: root`.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A panic payload as text (`panic: message`).
pub(crate) fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Where a walk is now, readable from another thread: the timeout report names it.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// The action running (or the serial action waited for).
    pub action: String,
    /// Its option label.
    pub option: Option<String>,
    /// Whether the walk waits at that serial action's barrier rather than running an action.
    pub at_barrier: bool,
    /// Whether that action is serial.
    pub serial: bool,
}

/// A walk's [`Position`], shared with the thread that waits for it.
pub type Progress = Arc<Mutex<Option<Position>>>;

/// Makes `slot` this thread's progress slot; actions run on this thread write into it.
pub fn track_progress(slot: Option<Progress>) {
    PROGRESS.with(|p| *p.borrow_mut() = slot);
}

/// Writes into this thread's progress slot, if it has one.
pub fn set_progress(position: impl FnOnce() -> Position) {
    PROGRESS.with(|p| {
        if let Some(slot) = p.borrow().as_ref() {
            *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(position());
        }
    });
}

thread_local! {
    static PROGRESS: RefCell<Option<Progress>> = const { RefCell::new(None) };
    static IN_ACTION: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_ACTION.with(Cell::get) {
                let message = payload_text(info.payload());
                let text = match info.location() {
                    Some(l) => format!("{message} (at {}:{}:{})", l.file(), l.line(), l.column()),
                    None => message,
                };
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}
