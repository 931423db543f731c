//! `--in-diff PATCH`: the lines a unified diff adds or changes, by file, so only mutants on
//! those lines are tested (cargo-mutants' `--in-diff`).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;

/// Changed line numbers (in the new file) by path.
pub type Changed = BTreeMap<String, BTreeSet<usize>>;

/// Parses a unified diff (`git diff` output). `name` is for messages.
pub fn parse(name: &str, text: &str) -> anyhow::Result<Changed> {
    let mut changed = Changed::new();
    let mut file: Option<String> = None;
    let mut line = 0usize;
    let mut in_hunk = false;
    for (index, row) in text.lines().enumerate() {
        let at = index + 1;
        if let Some(path) = row.strip_prefix("+++ ") {
            let path = path.split('\t').next().unwrap_or(path).trim();
            file = match path {
                "/dev/null" => None,
                p => Some(p.strip_prefix("b/").unwrap_or(p).to_string()),
            };
            in_hunk = false;
        } else if row.starts_with("--- ") && !in_hunk {
            continue;
        } else if let Some(header) = row.strip_prefix("@@ ") {
            let new = header.split_whitespace().find(|p| p.starts_with('+'));
            let start = new.and_then(|p| p[1..].split(',').next()).and_then(|n| n.parse::<usize>().ok());
            match (start, &file) {
                (Some(start), _) => {
                    line = start;
                    in_hunk = true;
                }
                (None, _) => {
                    bail!("{name} line {at}: malformed hunk header {row:?}; expected `@@ -a,b +c,d @@`")
                }
            }
        } else if in_hunk {
            match row.chars().next() {
                Some('+') => {
                    if let Some(f) = &file {
                        changed.entry(f.clone()).or_default().insert(line);
                    }
                    line += 1;
                }
                Some('-') => {}
                Some(' ') | None => line += 1,
                Some('\\') => {}
                _ => in_hunk = false,
            }
        }
    }
    if changed.is_empty() && !text.lines().any(|l| l.starts_with("@@ ")) && !text.trim().is_empty() {
        bail!("{name} is not a unified diff: no `+++` file headers with `@@` hunks");
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_numbered_in_the_new_file() {
        let patch = "diff --git a/src/lib.rs b/src/lib.rs\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,4 @@\n fn a() {}\n-fn b() {}\n+fn b() { 1 }\n+fn c() {}\n fn d() {}\n";
        let changed = parse("p", patch).unwrap();
        assert_eq!(changed["src/lib.rs"], BTreeSet::from([2, 3]));
    }

    #[test]
    fn malformed_patches_are_named_errors() {
        let e = parse("my.patch", "+++ b/x.rs\n@@ nonsense @@\n").unwrap_err().to_string();
        assert!(e.contains("my.patch line 2: malformed hunk header"), "{e}");
        let e = parse("notes.txt", "hello\nworld\n").unwrap_err().to_string();
        assert!(e.contains("notes.txt is not a unified diff"), "{e}");
    }
}
