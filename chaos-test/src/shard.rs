//! Shards: `CHAOS_SHARD=k/n` runs a deterministic 1/n of the walks.
//!
//! Walks are grouped by their serial branch (the choices of the suite's serial actions) so a
//! branch is never split; groups are dealt round-robin in plan order. The n shards together
//! run every walk exactly once.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, like nextest's `--partition count:k/n`.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not a shard; accepted: k/n with 1 <= k <= n, like 2/3");
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        match (k.trim().parse::<u64>(), n.trim().parse::<u64>()) {
            (Ok(index), Ok(count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Keeps the items of this shard; `group` gives each item's branch key.
    pub fn keep<T, K: Eq + std::hash::Hash>(&self, items: Vec<T>, group: impl Fn(&T) -> K) -> Vec<T> {
        let mut groups: HashMap<K, u64> = HashMap::new();
        items
            .into_iter()
            .filter(|item| {
                let next = groups.len() as u64;
                let ordinal = *groups.entry(group(item)).or_insert(next);
                ordinal % self.count == self.index - 1
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_items_and_keep_groups_whole() {
        let items: Vec<(u32, u32)> = (0..30).map(|i| (i % 4, i)).collect();
        let mut seen = Vec::new();
        for k in 1..=3 {
            let shard: Shard = format!("{k}/3").parse().unwrap();
            let kept = shard.keep(items.clone(), |(g, _)| *g);
            let groups: std::collections::BTreeSet<u32> = kept.iter().map(|(g, _)| *g).collect();
            for g in &groups {
                assert_eq!(
                    kept.iter().filter(|(x, _)| x == g).count(),
                    items.iter().filter(|(x, _)| x == g).count()
                );
            }
            seen.extend(kept);
        }
        seen.sort_by_key(|(_, i)| *i);
        assert_eq!(seen, items);
    }

    #[test]
    fn bad_shards_are_refused() {
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().unwrap_err().contains("accepted: k/n"), "{bad}");
        }
    }
}
