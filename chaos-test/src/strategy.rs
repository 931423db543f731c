//! Strategies: which walks of the full product a plan keeps.

use std::fmt;
use std::str::FromStr;

/// How a suite's walks are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Every combination (the default).
    #[default]
    Product,
    /// A covering array of strength `n` (2 to 4): every valid `n`-tuple of options appears in
    /// at least one walk. `pairwise` is `TWise(2)`.
    TWise(usize),
    /// `n` distinct walks sampled with the seed.
    Random(u64),
}

/// The accepted spellings, for error messages.
pub const ACCEPTED: &str = "product, pairwise, twise:N (N = 2 to 4), random:N (N >= 1)";

impl FromStr for Strategy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let bad = || format!("{text:?} is not a strategy; accepted: {ACCEPTED}");
        match text.split_once(':') {
            None if text == "product" => Ok(Strategy::Product),
            None if text == "pairwise" => Ok(Strategy::TWise(2)),
            Some(("twise", n)) => match n.parse::<usize>() {
                Ok(n @ 2..=4) => Ok(Strategy::TWise(n)),
                _ => Err(bad()),
            },
            Some(("random", n)) => match n.parse::<u64>() {
                Ok(n @ 1..) => Ok(Strategy::Random(n)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Product => f.write_str("product"),
            Strategy::TWise(2) => f.write_str("pairwise"),
            Strategy::TWise(n) => write!(f, "twise:{n}"),
            Strategy::Random(n) => write!(f, "random:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_spelling_parses_and_prints_back() {
        for text in ["product", "pairwise", "twise:3", "twise:4", "random:20"] {
            assert_eq!(text.parse::<Strategy>().unwrap().to_string(), text);
        }
        assert_eq!("twise:2".parse::<Strategy>(), Ok(Strategy::TWise(2)));
    }

    #[test]
    fn bad_strategies_list_the_accepted_forms() {
        for text in ["twise:5", "twise:1", "twise:x", "random:0", "random", "all", ""] {
            let e = text.parse::<Strategy>().unwrap_err();
            assert!(e.contains("accepted: product, pairwise"), "{text}: {e}");
        }
    }
}
