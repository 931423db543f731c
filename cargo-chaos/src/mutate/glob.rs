//! Glob patterns for `--file` and `--exclude`: `*` (within a path segment), `**` (any number
//! of segments), `?` (one character). A pattern without `/` matches the file name anywhere,
//! as in cargo-mutants and .gitignore.

/// Whether `path` (with `/` separators, relative to the workspace) matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('/') {
        return path.rsplit('/').next().is_some_and(|name| segment(pattern.as_bytes(), name.as_bytes()))
            || whole(pattern, path);
    }
    whole(pattern.trim_start_matches("./"), path)
}

fn whole(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments(&pattern, &path)
}

fn segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((head, tail)) => segment(first.as_bytes(), head.as_bytes()) && segments(rest, tail),
            None => false,
        },
    }
}

fn segment(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| segment(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && segment(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && segment(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_names_anywhere_and_paths_by_segment() {
        assert!(matches("*.rs", "src/lib.rs"));
        assert!(matches("lib.rs", "src/lib.rs"));
        assert!(!matches("lib.rs", "src/calib.rs"));
        assert!(matches("src/**/*.rs", "src/a/b/c.rs"));
        assert!(matches("src/**/*.rs", "src/c.rs"));
        assert!(!matches("src/*.rs", "src/a/c.rs"));
        assert!(matches("src/pars?r.rs", "src/parser.rs"));
        assert!(matches("**/format*", "src/fmt/formatter.rs"));
    }
}
