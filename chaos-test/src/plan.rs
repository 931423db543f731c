//! Plans: which walks a suite runs, how they are numbered and named.
//!
//! A walk is one choice per action. Its id is the mixed-radix number of its choices with the
//! last action varying fastest (py-combtest's order), so ids and names are stable for a given
//! suite whatever strategy picked the walk.

use std::collections::HashSet;

use crate::constraint::Rules;
use crate::covering;
use crate::errors::{SetupError, SetupErrorKind};
use crate::strategy::Strategy;
use crate::suite::Suite;

/// The most walks a full product may have before the harness refuses to list it (a covering
/// array or a sample of a larger plan is fine).
pub const MAX_WALKS: u128 = 1_000_000;

/// One walk: an id and the chosen option index of each action (0 for steps).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Walk {
    /// Mixed-radix id, last action fastest.
    pub id: u128,
    /// One option index per action of the suite, in suite order.
    pub choice: Vec<usize>,
}

/// Walk numbering and naming for one suite.
#[derive(Debug, Clone)]
pub struct Plan {
    radices: Vec<usize>,
    total: u128,
}

impl Plan {
    /// The plan of a suite; refuses products whose ids would not fit 128 bits.
    pub fn of(suite: &Suite) -> Result<Self, SetupError> {
        let radices: Vec<usize> = suite.actions.iter().map(|a| a.radix()).collect();
        match radices.iter().try_fold(1u128, |acc, &r| acc.checked_mul(r as u128)) {
            Some(total) => Ok(Plan { radices, total }),
            None => Err(SetupError::new(
                SetupErrorKind::Suite,
                format!(
                    "suite `{}`: its full product has more than 2^128 walks ({}); narrow the options",
                    suite.name,
                    shape(&radices)
                ),
            )),
        }
    }

    /// How many walks the full product has.
    pub fn total(&self) -> u128 {
        self.total
    }

    /// The walk with this id, if it exists.
    pub fn walk(&self, id: u128) -> Option<Walk> {
        if id >= self.total {
            return None;
        }
        let mut rest = id;
        let mut choice = vec![0; self.radices.len()];
        for (slot, &radix) in choice.iter_mut().zip(&self.radices).rev() {
            *slot = (rest % radix as u128) as usize;
            rest /= radix as u128;
        }
        Some(Walk { id, choice })
    }

    /// The walk of a choice vector.
    pub fn walk_of(&self, choice: Vec<usize>) -> Walk {
        let id = choice.iter().zip(&self.radices).fold(0u128, |acc, (&c, &r)| acc * r as u128 + c as u128);
        Walk { id, choice }
    }

    /// Every walk of the full product, in id order.
    pub fn product(&self) -> impl Iterator<Item = Walk> + '_ {
        (0..self.total).filter_map(|id| self.walk(id))
    }

    /// The walks `strategy` keeps, every one allowed by `rules`, in a deterministic order.
    pub fn select(
        &self,
        suite: &Suite,
        strategy: Strategy,
        seed: u64,
        rules: &Rules<'_>,
    ) -> Result<Vec<Walk>, SetupError> {
        match strategy {
            Strategy::Product => {
                if self.total > MAX_WALKS {
                    return Err(SetupError::new(
                        SetupErrorKind::Suite,
                        format!(
                            "suite `{}`: the full product has {} walks ({}), more than {MAX_WALKS}; choose \
                             `strategy = \"pairwise\"` (or CHAOS_STRATEGY=pairwise) or narrow the options",
                            suite.name,
                            self.total,
                            shape(&self.radices)
                        ),
                    ));
                }
                Ok(self.product().filter(|w| rules.allows_full(&w.choice)).collect())
            }
            Strategy::TWise(strength) => self.covering(suite, strength, seed, rules),
            Strategy::Random(n) => Ok(self.sample(n, seed, rules)),
        }
    }

    /// A covering array over the actions that take options (steps have one choice).
    fn covering(
        &self,
        suite: &Suite,
        strength: usize,
        seed: u64,
        rules: &Rules<'_>,
    ) -> Result<Vec<Walk>, SetupError> {
        let columns: Vec<usize> = suite
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| a.built.labels.is_some())
            .map(|(i, _)| i)
            .collect();
        if strength > columns.len() {
            return Err(SetupError::new(
                SetupErrorKind::Config,
                format!(
                    "suite `{}`: strategy twise:{strength} needs at least {strength} actions with options, and it has {}; \
                     use a lower strength or `product`",
                    suite.name,
                    columns.len()
                ),
            ));
        }
        let radices: Vec<usize> = columns.iter().map(|&i| self.radices[i]).collect();
        let width = self.radices.len();
        let expand = |row: &[Option<usize>]| -> Vec<Option<usize>> {
            let mut full = vec![Some(0); width];
            for (&column, &value) in columns.iter().zip(row) {
                full[column] = value;
            }
            full
        };
        let allowed = |row: &[Option<usize>]| rules.allows(&expand(row));
        let rows = covering::generate(&radices, strength, seed, &allowed);
        let mut seen = HashSet::new();
        Ok(rows
            .into_iter()
            .map(|row| {
                self.walk_of(
                    expand(&row.into_iter().map(Some).collect::<Vec<_>>())
                        .into_iter()
                        .map(|c| c.unwrap_or(0))
                        .collect(),
                )
            })
            .filter(|w| seen.insert(w.id))
            .collect())
    }

    /// `n` distinct allowed walks drawn with the seed, in id order.
    fn sample(&self, n: u64, seed: u64, rules: &Rules<'_>) -> Vec<Walk> {
        let mut rng = crate::rng::Rng(seed ^ 0x5eed_5a3d_1e5c_0de5);
        let mut chosen = std::collections::BTreeMap::new();
        let wanted = (n as u128).min(self.total);
        let mut attempts = 0u64;
        let budget = 64 * n + 10_000;
        while (chosen.len() as u128) < wanted && attempts < budget {
            attempts += 1;
            let id = ((u128::from(rng.next()) << 64) | u128::from(rng.next())) % self.total;
            if chosen.contains_key(&id) {
                continue;
            }
            if let Some(walk) = self.walk(id).filter(|w| rules.allows_full(&w.choice)) {
                chosen.insert(id, walk);
            }
        }
        if (chosen.len() as u128) < wanted && self.total <= MAX_WALKS {
            // Few allowed walks, or n close to the total: enumerate instead of drawing.
            for walk in self.product().filter(|w| rules.allows_full(&w.choice)) {
                if chosen.len() as u128 >= wanted {
                    break;
                }
                chosen.entry(walk.id).or_insert(walk);
            }
        }
        chosen.into_values().collect()
    }
}

fn shape(radices: &[usize]) -> String {
    radices.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" x ")
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
