//! The regressions file: walks that failed once, run first in every later plan.
//!
//! Like proptest's `proptest-regressions/`, the file lives in the package
//! (`chaos-regressions/<test binary>.txt` by default) so it can be committed: one walk name per
//! line, then a comment with the plan fingerprint and the failure's first line. Only this
//! file is ever written; nothing else in the user's tree is touched.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const HEADER: &str = "# chaos-test regressions: walks that failed; they run first whatever the strategy.\n\
                      # Commit this file. One walk name per line; text after `#` is a comment.\n";

/// The regressions of one test binary.
#[derive(Debug)]
pub struct Regressions {
    path: PathBuf,
    names: Vec<String>,
    known: Mutex<HashSet<String>>,
}

impl Regressions {
    /// Reads `<dir>/<binary>.txt`; a missing file is an empty list.
    pub fn load(dir: &Path, binary: &str) -> std::io::Result<Self> {
        let path = dir.join(format!("{binary}.txt"));
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let names: Vec<String> = text
            .lines()
            .filter_map(|line| line.split('#').next())
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        let known = Mutex::new(names.iter().cloned().collect());
        Ok(Regressions { path, names, known })
    }

    /// The walk names listed, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a failed walk unless it is listed already.
    pub fn record(&self, name: &str, fingerprint: &str, error: &str) {
        let mut known = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !known.insert(name.to_string()) {
            return;
        }
        let first_line = error.lines().next().unwrap_or_default();
        let result = (|| {
            if let Some(dir) = self.path.parent() {
                fs::create_dir_all(dir)?;
            }
            let mut file = OpenOptions::new().create(true).append(true).open(&self.path)?;
            let mut text = String::new();
            if file.metadata()?.len() == 0 {
                text.push_str(HEADER);
            }
            text.push_str(&format!("{name}  # plan {fingerprint}: {first_line}\n"));
            file.write_all(text.as_bytes())
        })();
        if let Err(e) = result {
            eprintln!("chaos-test: cannot record the regression in {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_walks_are_read_back_once_each_in_order() {
        let dir = std::env::temp_dir().join(format!("chaos-regressions-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let r = Regressions::load(&dir, "bank").unwrap();
        assert!(r.names().is_empty());
        r.record("bank::a=1::b=2", "00ff", "action `b` failed\nsteps done: a=1");
        r.record("bank::a=0::b=1", "00ff", "boom");
        r.record("bank::a=1::b=2", "00ff", "again");
        let again = Regressions::load(&dir, "bank").unwrap();
        assert_eq!(again.names(), ["bank::a=1::b=2", "bank::a=0::b=1"]);
        let text = fs::read_to_string(again.path()).unwrap();
        assert!(text.starts_with("# chaos-test regressions"), "{text}");
        assert!(text.contains("bank::a=1::b=2  # plan 00ff: action `b` failed\n"), "{text}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
