//! Option labels: the text that stands for an option in a walk's name.
//!
//! Labels must be stable across runs and machines (names are how nextest and `--exact` find a
//! walk), so they come from the value's `Debug` text, never from addresses or hash order, and
//! are sanitised to `[A-Za-z0-9_.-]`, which filters cleanly in libtest and nextest.

use std::fmt::Debug;

/// The label of one option: its `Debug` text, with a string's quotes dropped, sanitised.
pub fn of<T: Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    let inner = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(&text);
    sanitize(inner)
}

/// Replaces every character outside `[A-Za-z0-9_.-]` with `_`; an empty text becomes `_`.
pub fn sanitize(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .collect();
    if out.is_empty() { "_".to_string() } else { out }
}

/// Makes labels unique within one action by suffixing repeats with `_2`, `_3`, ... in order.
pub fn unique(labels: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    labels
        .into_iter()
        .map(|label| {
            let mut candidate = label.clone();
            let mut n = 1;
            while !seen.insert(candidate.clone()) {
                n += 1;
                candidate = format!("{label}_{n}");
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_lose_their_quotes_and_numbers_keep_their_sign() {
        assert_eq!(of(&"v2"), "v2");
        assert_eq!(of(&String::from("fast path")), "fast_path");
        assert_eq!(of(&-5i64), "-5");
        assert_eq!(of(&1.5f64), "1.5");
        assert_eq!(of(&Some(3)), "Some_3_");
        assert_eq!(of(&""), "_");
    }

    #[test]
    fn repeated_labels_get_numbered_suffixes() {
        let labels = unique(
            vec!["a b".into(), "a_b".into(), "a?b".into()]
                .into_iter()
                .map(|s: String| sanitize(&s))
                .collect(),
        );
        assert_eq!(labels, ["a_b", "a_b_2", "a_b_3"]);
    }
}
