//! Scratch copies of the workspace: mutants are applied there, never in the user's tree.
//!
//! A copy holds what git would (tracked and untracked files that `.gitignore` does not
//! exclude) or, outside git, everything but `target/` and `chaos.out/`. The directory is
//! removed when the copy drops; a kill leaves it in the system temp dir, never in the tree.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// A copy of the workspace in a temporary directory.
#[derive(Debug)]
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// Copies the workspace at `root`.
    pub fn copy(root: &Path) -> anyhow::Result<Self> {
        let dir =
            tempfile::Builder::new().prefix("chaos-mutate-").tempdir().context("creating a scratch dir")?;
        for rel in files(root)? {
            let from = root.join(&rel);
            let to = dir.path().join(&rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            if from.is_file() {
                std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
            }
        }
        Ok(Scratch { dir })
    }

    /// The copy's root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The files to copy, relative to `root`.
fn files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let git = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root)
        .output();
    if let Ok(out) = git
        && out.status.success()
        && !out.stdout.is_empty()
    {
        return Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .filter(|p| !p.starts_with("target") && !p.starts_with("chaos.out"))
            .collect());
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "chaos.out" || name == ".git" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, root, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}
