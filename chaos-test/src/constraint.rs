//! Constraints: which walks are impossible.
//!
//! Two forms. A predicate `fn(&WalkView) -> bool` returns whether a walk is allowed; an
//! exclusion `"deposit=-5::freeze=true"` forbids every walk that takes all the listed options.
//! Covering-array generation asks about partial walks; a [`WalkView`] records which actions a
//! predicate read, and a verdict that read an action not chosen yet counts as "allowed for
//! now", so predicates are written over whole walks and still work on partial ones.

use std::cell::Cell;

use crate::suite::Suite;

/// A walk's options as a constraint sees them, by action name and option label.
#[derive(Debug)]
pub struct WalkView<'a> {
    suite: &'a Suite,
    choice: &'a [Option<usize>],
    read_unset: Cell<bool>,
}

impl<'a> WalkView<'a> {
    /// The label of the option `action` takes in this walk; `None` if the suite has no such
    /// action (or it takes no options).
    pub fn get(&self, action: &str) -> Option<&'a str> {
        let index = self.suite.actions.iter().position(|a| a.name == action)?;
        match self.choice.get(index).copied().flatten() {
            Some(c) => self.suite.actions[index].label(c),
            None => {
                self.read_unset.set(true);
                None
            }
        }
    }

    /// Whether `action` takes the option labelled `label` in this walk.
    pub fn is(&self, action: &str, label: &str) -> bool {
        self.get(action) == Some(label)
    }

    /// The suite's name, for constraints shared across suites.
    pub fn suite(&self) -> &str {
        &self.suite.name
    }
}

/// A predicate over walks: `true` when the walk is allowed.
pub type Constraint = fn(&WalkView<'_>) -> bool;

/// A declarative exclusion: the walks taking every listed `action=option` are impossible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pairs: Vec<(String, String)>,
}

impl Exclusion {
    /// Parses `action=option::action=option`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let pairs: Option<Vec<(String, String)>> = text
            .split("::")
            .map(|part| {
                let (a, o) = part.trim().split_once('=')?;
                (!a.is_empty() && !o.is_empty()).then(|| (a.to_string(), o.to_string()))
            })
            .collect();
        match pairs {
            Some(pairs) if !pairs.is_empty() => Ok(Exclusion { pairs }),
            _ => Err(format!(
                "exclusion {text:?} does not parse: expected `action=option` pairs joined by `::`, \
                 like \"deposit=-5::freeze=true\""
            )),
        }
    }

    /// Whether this exclusion names an action the suite has (it ignores other suites).
    fn applies_to(&self, suite: &Suite) -> bool {
        self.pairs.iter().all(|(a, _)| suite.actions.iter().any(|x| x.name == a))
    }
}

/// The constraints of one suite, ready to judge full and partial walks.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    suite: &'a Suite,
    exclusions: Vec<&'a Exclusion>,
    constraints: &'a [Constraint],
}

impl<'a> Rules<'a> {
    /// The rules that apply to `suite`.
    pub fn new(suite: &'a Suite, exclusions: &'a [Exclusion], constraints: &'a [Constraint]) -> Self {
        Rules { suite, exclusions: exclusions.iter().filter(|e| e.applies_to(suite)).collect(), constraints }
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.exclusions.is_empty() && self.constraints.is_empty()
    }

    /// Whether a (possibly partial) walk may still be allowed: `false` only when a rule that
    /// reads assigned actions only forbids it.
    pub fn allows(&self, choice: &[Option<usize>]) -> bool {
        for exclusion in &self.exclusions {
            let all_match = exclusion.pairs.iter().all(|(action, label)| {
                let view = WalkView { suite: self.suite, choice, read_unset: Cell::new(false) };
                view.is(action, label)
            });
            if all_match {
                return false;
            }
        }
        self.constraints.iter().all(|rule| {
            let view = WalkView { suite: self.suite, choice, read_unset: Cell::new(false) };
            rule(&view) || view.read_unset.get()
        })
    }

    /// Whether a complete walk is allowed.
    pub fn allows_full(&self, choice: &[usize]) -> bool {
        if self.is_empty() {
            return true;
        }
        let partial: Vec<Option<usize>> = choice.iter().copied().map(Some).collect();
        self.allows(&partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_parse_pairs_and_refuse_anything_else() {
        let e = Exclusion::parse("deposit=-5::freeze=true").unwrap();
        assert_eq!(e.pairs, [("deposit".into(), "-5".into()), ("freeze".into(), "true".into())]);
        for bad in ["", "deposit", "deposit=", "=5", "a=1::b"] {
            assert!(Exclusion::parse(bad).unwrap_err().contains("action=option"), "{bad}");
        }
    }
}
