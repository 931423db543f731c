//! The output directory (`chaos.out/mutate/`, the previous run rotated to `mutate.old/`): the
//! outcomes, one list per verdict, and a diff and a log per mutant; and the terminal summary.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;

use super::outcome::{Outcome, Verdict};

/// Where a run writes.
#[derive(Debug)]
pub struct Output {
    dir: PathBuf,
}

impl Output {
    /// Rotates `<base>/mutate` to `<base>/mutate.old` and creates it afresh.
    pub fn create(base: &Path) -> anyhow::Result<Self> {
        let dir = base.join("mutate");
        let old = base.join("mutate.old");
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(&dir, &old)
                .with_context(|| format!("rotating {} to {}", dir.display(), old.display()))?;
        }
        for sub in ["diff", "log"] {
            std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("creating {}", dir.display()))?;
        }
        Ok(Output { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A file name for a mutant: its name, sanitised, with its index for uniqueness.
    pub fn slug(index: usize, name: &str) -> String {
        let clean: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
            .collect();
        let short: String = clean.chars().take(120).collect();
        format!("{index:04}-{short}")
    }

    /// Writes one file under the directory.
    pub fn write(&self, rel: &str, text: &str) -> anyhow::Result<()> {
        let path = self.dir.join(rel);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Writes `outcomes.json` and the per-verdict lists.
    pub fn finish(
        &self,
        outcomes: &[Outcome],
        started: &str,
        ended: &str,
        total: usize,
    ) -> anyhow::Result<()> {
        let count = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
        let doc = json!({
            "tool": "chaos-test",
            "version": env!("CARGO_PKG_VERSION"),
            "total_mutants": total,
            "caught": count(Verdict::Caught),
            "missed": count(Verdict::Missed),
            "timeout": count(Verdict::Timeout),
            "unviable": count(Verdict::Unviable),
            "success": 0,
            "start_time": started,
            "end_time": ended,
            "outcomes": outcomes.iter().map(Outcome::json).collect::<Vec<_>>(),
        });
        self.write("outcomes.json", &serde_json::to_string_pretty(&doc)?)?;
        for verdict in [Verdict::Caught, Verdict::Missed, Verdict::Timeout, Verdict::Unviable] {
            let mut names: Vec<&str> =
                outcomes.iter().filter(|o| o.verdict == verdict).map(|o| o.mutant.name.as_str()).collect();
            names.sort();
            let mut text = names.join("\n");
            if !text.is_empty() {
                text.push('\n');
            }
            self.write(&format!("{}.txt", verdict.word()), &text)?;
        }
        Ok(())
    }
}

/// The terminal summary: counts, then the diff of every missed mutant.
pub fn summary(outcomes: &[Outcome], seconds: f64) -> String {
    let count = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
    let mut out = String::new();
    let mut missed: Vec<&Outcome> = outcomes.iter().filter(|o| o.verdict == Verdict::Missed).collect();
    missed.sort_by(|a, b| a.mutant.name.cmp(&b.mutant.name));
    for o in &missed {
        out.push_str(&format!("MISSED {}\n{}\n", o.mutant.name, o.diff));
    }
    out.push_str(&format!(
        "{} mutants tested in {seconds:.1}s: {} missed, {} caught, {} unviable, {} timeouts\n",
        outcomes.len(),
        count(Verdict::Missed),
        count(Verdict::Caught),
        count(Verdict::Unviable),
        count(Verdict::Timeout)
    ));
    out
}

/// Progress while mutants are tested: a bar with the ETA on a terminal, a plain line per
/// mutant otherwise (CI logs, pipes).
#[derive(Debug)]
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// For `total` mutants.
    pub fn new(total: usize) -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} mutants, {elapsed} elapsed, ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress { bar }
    }

    /// One mutant finished.
    pub fn done(&self, verdict: Verdict, name: &str) {
        match &self.bar {
            Some(bar) => {
                if verdict == Verdict::Missed {
                    bar.println(format!("  missed {name}"));
                }
                bar.inc(1);
            }
            None => eprintln!("{:>8} {name}", verdict.word()),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
