//! Serial actions: barriers between the phases of the walks of one process.
//!
//! A suite with serial actions is cut into segments. Walks whose serial choices agree up to a
//! barrier form a branch. The first walk of a branch to reach the barrier runs, for every
//! selected walk of that branch, the segment before it (in parallel, each walk on its own
//! state), then runs the serial action once on the branch's world: a clone of the initial
//! state passed through the branch's earlier serial actions. The walks then go on from their
//! parked states. Waiting happens inside a `OnceLock` initialiser, so no test thread ever waits
//! for a walk that is not running yet: this cannot deadlock whatever `--test-threads` is.
//!
//! When a process selects a single walk (nextest, `--exact`), its branch has one member and the
//! serial action runs inline in that walk, once per process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::plan::{Plan, Walk};
use crate::registry::State;
use crate::suite::Suite;
use crate::walk::{WalkFailure, run_action, run_range, step_text};

type Parked = Result<(State, Vec<String>), WalkFailure>;
type Branch = Arc<OnceLock<Result<Mutex<State>, WalkFailure>>>;

/// A suite as run in this process: its plan, the walks selected, and the barrier state.
pub struct SuiteRun {
    /// The suite.
    pub suite: Suite,
    /// Its numbering.
    pub plan: Plan,
    /// The plan's fingerprint, for the trace.
    pub fingerprint: String,
    serial_at: Vec<usize>,
    selected: OnceLock<Vec<Walk>>,
    threads: usize,
    branches: Mutex<HashMap<Vec<usize>, Branch>>,
    parked: Mutex<HashMap<(u128, usize), Parked>>,
}

impl std::fmt::Debug for SuiteRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteRun")
            .field("suite", &self.suite.name)
            .field("serial_at", &self.serial_at)
            .finish()
    }
}

impl SuiteRun {
    /// Prepares a suite; `threads` bounds the parallelism of a barrier's catch-up.
    pub fn new(suite: Suite, plan: Plan, threads: usize) -> Self {
        let serial_at = suite.actions.iter().enumerate().filter(|(_, a)| a.serial).map(|(i, _)| i).collect();
        let fingerprint = crate::plan::fingerprint(&suite);
        SuiteRun {
            suite,
            plan,
            fingerprint,
            serial_at,
            selected: OnceLock::new(),
            threads: threads.max(1),
            branches: Mutex::default(),
            parked: Mutex::default(),
        }
    }

    /// Records which walks this process runs (after filters): the members of the branches.
    pub fn select(&self, walks: Vec<Walk>) {
        let _ = self.selected.set(walks);
    }

    /// Runs one walk to the end; returns its final state.
    pub fn run(&self, walk: &Walk) -> Result<State, WalkFailure> {
        let _walk = crate::context::enter((self.suite.name.clone(), walk.id));
        let Some(&last_serial) = self.serial_at.last() else {
            let mut state = (self.suite.make_initial)();
            let mut done = Vec::new();
            run_range(&self.suite, &walk.choice, 0..self.suite.actions.len(), &mut state, &mut done)?;
            return Ok(state);
        };
        let key = self.key(walk);
        let stages = self.serial_at.len();
        let parked = match self.barrier(stages - 1, &key) {
            Ok(()) => self.unpark(walk.id, stages),
            Err(failure) => {
                let mine = self.unpark(walk.id, stages);
                return Err(match mine {
                    Some(Err(own)) => own,
                    Some(Ok((_, done))) => WalkFailure { steps_done: done, ..failure },
                    None => failure,
                });
            }
        };
        let (mut state, mut done) = match parked {
            Some(parked) => parked?,
            // Not a member of its branch (selection and the runner disagreed): run it alone.
            None => return self.run_inline(walk),
        };
        run_range(
            &self.suite,
            &walk.choice,
            last_serial + 1..self.suite.actions.len(),
            &mut state,
            &mut done,
        )?;
        Ok(state)
    }

    /// The walk's choices of the serial actions, in order.
    fn key(&self, walk: &Walk) -> Vec<usize> {
        self.serial_at.iter().map(|&i| walk.choice[i]).collect()
    }

    fn unpark(&self, id: u128, stage: usize) -> Option<Parked> {
        self.parked.lock().unwrap_or_else(PoisonError::into_inner).remove(&(id, stage))
    }

    /// Runs one walk by itself, serial actions on a world of its own.
    fn run_inline(&self, walk: &Walk) -> Result<State, WalkFailure> {
        let mut state = (self.suite.make_initial)();
        let mut world = (self.suite.make_initial)();
        let mut done = Vec::new();
        for (index, action) in self.suite.actions.iter().enumerate() {
            let target = if action.serial { &mut world } else { &mut state };
            run_action(&self.suite, index, walk.choice[index], target, &mut done)?;
        }
        Ok(state)
    }

    /// Makes sure barrier `stage` of the branch `key[..=stage]` has run.
    fn barrier(&self, stage: usize, key: &[usize]) -> Result<(), WalkFailure> {
        let branch_key = key[..=stage].to_vec();
        let serial = &self.suite.actions[self.serial_at[stage]];
        crate::walk::set_progress(|| crate::walk::Position {
            action: serial.name.to_string(),
            option: serial.label(key[stage]).map(str::to_string),
            at_barrier: true,
            serial: true,
        });
        let cell = {
            let mut branches = self.branches.lock().unwrap_or_else(PoisonError::into_inner);
            branches.entry(branch_key.clone()).or_default().clone()
        };
        let outcome = cell.get_or_init(|| self.catch_up(stage, &branch_key));
        match outcome {
            Ok(_) => Ok(()),
            Err(failure) => Err(failure.clone()),
        }
    }

    /// Runs the segment before barrier `stage` for every member of the branch, then the serial
    /// action once on the branch's world.
    fn catch_up(&self, stage: usize, branch: &[usize]) -> Result<Mutex<State>, WalkFailure> {
        let parent = if stage > 0 {
            self.barrier(stage - 1, branch)?;
            Some(self.world(&branch[..stage]))
        } else {
            None
        };
        let members: Vec<&Walk> = self
            .selected
            .get()
            .map(|walks| walks.iter().filter(|w| self.key(w)[..=stage] == *branch).collect())
            .unwrap_or_default();
        let start = if stage == 0 { 0 } else { self.serial_at[stage - 1] + 1 };
        let end = self.serial_at[stage];
        let next = AtomicUsize::new(0);
        let workers = self.threads.min(members.len()).max(1);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some(walk) = members.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let parked = self.advance(walk, stage, start..end);
                        self.parked
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert((walk.id, stage + 1), parked);
                    }
                });
            }
        });
        let mut world = match parent {
            Some(world) => world,
            None => (self.suite.make_initial)(),
        };
        // The serial action serves the branch, not one walk: it sees no walk's resources.
        let _no_walk = crate::context::leave();
        let mut done = Vec::new();
        run_action(&self.suite, end, branch[stage], &mut world, &mut done)?;
        let step = format!("{} (serial)", step_text(&self.suite, end, branch[stage]));
        let mut parked = self.parked.lock().unwrap_or_else(PoisonError::into_inner);
        for walk in &members {
            if let Some(Ok((_, done))) = parked.get_mut(&(walk.id, stage + 1)) {
                done.push(step.clone());
            }
        }
        Ok(Mutex::new(world))
    }

    /// Takes a walk from its parked state (or a new one) through one segment.
    fn advance(&self, walk: &Walk, stage: usize, segment: std::ops::Range<usize>) -> Parked {
        let _walk = crate::context::enter((self.suite.name.clone(), walk.id));
        let (mut state, mut done) = if stage == 0 {
            ((self.suite.make_initial)(), Vec::new())
        } else {
            match self.unpark(walk.id, stage) {
                Some(parked) => parked?,
                None => ((self.suite.make_initial)(), Vec::new()),
            }
        };
        run_range(&self.suite, &walk.choice, segment, &mut state, &mut done)?;
        Ok((state, done))
    }

    /// A clone of the world of a branch whose barrier has run.
    fn world(&self, branch: &[usize]) -> State {
        let cell = self.branches.lock().unwrap_or_else(PoisonError::into_inner).get(branch).cloned();
        match cell.as_deref().and_then(OnceLock::get) {
            Some(Ok(world)) => {
                (self.suite.state.clone)(world.lock().unwrap_or_else(PoisonError::into_inner).as_ref())
            }
            _ => (self.suite.make_initial)(),
        }
    }
}
