//! Run settings from the environment: which walk to replay, whether to gather final states.

use crate::errors::{SetupError, SetupErrorKind};

/// A walk asked for by id: `CHAOS_WALK=17` (every suite that has a walk 17) or
/// `CHAOS_WALK=suite#17` (that suite only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkSelector {
    /// The suite, when named.
    pub suite: Option<String>,
    /// The walk id.
    pub id: u64,
}

/// Settings read once at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `CHAOS_WALK`.
    pub walk: Option<WalkSelector>,
    /// `CHAOS_GATHER_STATES`: write each walk's final state into the trace.
    pub gather_states: bool,
}

impl Config {
    /// Reads the `CHAOS_*` variables.
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let walk = match lookup("CHAOS_WALK") {
            Some(text) if !text.trim().is_empty() => Some(parse_walk(text.trim())?),
            _ => None,
        };
        let gather_states = match lookup("CHAOS_GATHER_STATES") {
            Some(text) => parse_bool("CHAOS_GATHER_STATES", &text)?,
            None => false,
        };
        Ok(Config { walk, gather_states })
    }
}

fn parse_walk(text: &str) -> Result<WalkSelector, SetupError> {
    let (suite, id) = match text.rsplit_once('#') {
        Some((suite, id)) => (Some(suite.to_string()), id),
        None => (None, text),
    };
    let id = id.parse::<u64>().map_err(|_| {
        SetupError::new(
            SetupErrorKind::Config,
            format!("CHAOS_WALK={text:?} does not parse: expected a walk id `17` or `suite#17`"),
        )
    })?;
    Ok(WalkSelector { suite, id })
}

fn parse_bool(key: &str, text: &str) -> Result<bool, SetupError> {
    match text.trim() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        other => Err(SetupError::new(
            SetupErrorKind::Config,
            format!("{key}={other:?} does not parse: expected one of 1, true, yes, on, 0, false, no, off"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, SetupError> {
        Config::from_lookup(|k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn walk_ids_parse_with_and_without_a_suite() {
        assert_eq!(config(&[("CHAOS_WALK", "17")]).unwrap().walk, Some(WalkSelector { suite: None, id: 17 }));
        let sel = config(&[("CHAOS_WALK", "bank::ledger#3")]).unwrap().walk.unwrap();
        assert_eq!((sel.suite.as_deref(), sel.id), (Some("bank::ledger"), 3));
    }

    #[test]
    fn bad_values_name_the_variable_and_the_accepted_forms() {
        let e = config(&[("CHAOS_WALK", "seven")]).unwrap_err();
        assert!(e.message.contains("CHAOS_WALK=\"seven\"") && e.message.contains("suite#17"), "{e}");
        let e = config(&[("CHAOS_GATHER_STATES", "maybe")]).unwrap_err();
        assert!(e.message.contains("CHAOS_GATHER_STATES") && e.message.contains("true"), "{e}");
    }
}
