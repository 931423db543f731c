//! Plans: which walks a suite runs, how they are numbered and named.
//!
//! A walk is one choice per action. Its id is the mixed-radix number of its choices with the
//! last action varying fastest (py-combtest's order), so ids and names are stable for a given
//! suite whatever strategy picked the walk.

use crate::errors::{SetupError, SetupErrorKind};
use crate::suite::Suite;

/// The most walks a full product may have before the harness refuses it.
pub const MAX_WALKS: u64 = 1_000_000;

/// One walk: an id and the chosen option index of each action (0 for steps).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Walk {
    /// Mixed-radix id, last action fastest.
    pub id: u64,
    /// One option index per action of the suite, in suite order.
    pub choice: Vec<usize>,
}

/// Walk numbering and naming for one suite.
#[derive(Debug, Clone)]
pub struct Plan {
    radices: Vec<usize>,
    total: u64,
}

impl Plan {
    /// The plan of a suite; refuses products too large to list.
    pub fn of(suite: &Suite) -> Result<Self, SetupError> {
        let radices: Vec<usize> = suite.actions.iter().map(|a| a.radix()).collect();
        let total = radices.iter().try_fold(1u64, |acc, &r| acc.checked_mul(r as u64));
        match total {
            Some(total) if total <= MAX_WALKS => Ok(Plan { radices, total }),
            _ => Err(SetupError::new(
                SetupErrorKind::Suite,
                format!(
                    "suite `{}`: the full product of its options has more than {MAX_WALKS} walks ({}); \
                     narrow the options",
                    suite.name,
                    radices.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" x ")
                ),
            )),
        }
    }

    /// How many walks the full product has.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The walk with this id, if it exists.
    pub fn walk(&self, id: u64) -> Option<Walk> {
        if id >= self.total {
            return None;
        }
        let mut rest = id;
        let mut choice = vec![0; self.radices.len()];
        for (slot, &radix) in choice.iter_mut().zip(&self.radices).rev() {
            *slot = (rest % radix as u64) as usize;
            rest /= radix as u64;
        }
        Some(Walk { id, choice })
    }

    /// The id of a choice vector.
    pub fn id(&self, choice: &[usize]) -> u64 {
        choice.iter().zip(&self.radices).fold(0, |acc, (&c, &r)| acc * r as u64 + c as u64)
    }

    /// Every walk of the full product, in id order.
    pub fn product(&self) -> impl Iterator<Item = Walk> + '_ {
        (0..self.total).filter_map(|id| self.walk(id))
    }
}

/// `suite::action=option::action=option...`; steps without options are left out of the name
/// since every walk runs them.
pub fn name(suite: &Suite, choice: &[usize]) -> String {
    let mut out = suite.name.clone();
    for (action, &c) in suite.actions.iter().zip(choice) {
        if let Some(label) = action.label(c) {
            out.push_str("::");
            out.push_str(action.name);
            out.push('=');
            out.push_str(label);
        }
    }
    out
}

/// The choices a walk name stands for, if it names a walk of this suite.
pub fn parse_name(suite: &Suite, name: &str) -> Option<Vec<usize>> {
    let rest = name.strip_prefix(suite.name.as_str())?;
    let mut parts = if rest.is_empty() { Vec::new() } else { rest.strip_prefix("::")?.split("::").collect() };
    parts.reverse();
    let mut choice = Vec::with_capacity(suite.actions.len());
    for action in &suite.actions {
        match &action.built.labels {
            None => choice.push(0),
            Some(labels) => {
                let (key, value) = parts.pop()?.split_once('=')?;
                if key != action.name {
                    return None;
                }
                choice.push(labels.iter().position(|l| l == value)?);
            }
        }
    }
    parts.is_empty().then_some(choice)
}

/// A fingerprint of the plan's shape (suite, actions, labels, barriers): FNV-1a, hex. Two
/// runs with the same fingerprint number their walks the same way.
pub fn fingerprint(suite: &Suite) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes.iter().chain([0xffu8].iter()) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(suite.name.as_bytes());
    for action in &suite.actions {
        feed(action.name.as_bytes());
        feed(if action.serial { b"serial" } else { b"parallel" });
        for label in action.built.labels.iter().flatten() {
            feed(label.as_bytes());
        }
    }
    format!("{hash:016x}")
}
