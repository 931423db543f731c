//! The `[mutate]` table of `chaos.toml` (or `.cargo/chaos.toml`) in the project: defaults
//! for options not given on the command line. An unknown key or a bad value is an error
//! naming the file, the line and the accepted keys.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// The `[mutate]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutateConfig {
    /// Test timeout in seconds.
    pub timeout: Option<f64>,
    /// Parallel workers.
    pub jobs: Option<usize>,
    /// Globs of files to mutate.
    #[serde(default)]
    pub file: Vec<String>,
    /// Globs of files to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Packages to mutate.
    #[serde(default)]
    pub package: Vec<String>,
    /// `cargo` or `nextest`.
    pub test_tool: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct File {
    mutate: Option<MutateConfig>,
}

impl MutateConfig {
    /// Reads `chaos.toml`, else `.cargo/chaos.toml`, under `root`; none is the defaults.
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        for rel in ["chaos.toml", ".cargo/chaos.toml"] {
            let path = root.join(rel);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            };
            let file: File = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
            let config = file.mutate.unwrap_or_default();
            if let Some(tool) = &config.test_tool
                && tool != "cargo"
                && tool != "nextest"
            {
                anyhow::bail!(
                    "{}: [mutate] test_tool = {tool:?}; accepted: \"cargo\", \"nextest\"",
                    path.display()
                );
            }
            return Ok(config);
        }
        Ok(MutateConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mutate_table_is_read_and_unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(MutateConfig::load(dir.path()).unwrap().timeout.is_none());
        std::fs::write(
            dir.path().join("chaos.toml"),
            "[walks]\nseed = 1\n[mutate]\ntimeout = 30\nexclude = [\"src/gen/*\"]\n",
        )
        .unwrap();
        let c = MutateConfig::load(dir.path()).unwrap();
        assert_eq!((c.timeout, c.exclude.as_slice()), (Some(30.0), ["src/gen/*".to_string()].as_slice()));
        std::fs::write(dir.path().join("chaos.toml"), "[mutate]\n\ntimeuot = 30\n").unwrap();
        let e = MutateConfig::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("chaos.toml") && e.contains("line 3") && e.contains("unknown field `timeuot`"),
            "{e}"
        );
        std::fs::write(dir.path().join("chaos.toml"), "[mutate]\ntest_tool = \"make\"\n").unwrap();
        assert!(
            MutateConfig::load(dir.path())
                .unwrap_err()
                .to_string()
                .contains("accepted: \"cargo\", \"nextest\"")
        );
    }
}
