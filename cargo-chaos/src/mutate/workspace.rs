//! The user's workspace as cargo sees it: packages and the Rust sources of their library and
//! binary targets (tests, benches and examples are not mutated).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A package and its source files.
#[derive(Debug, Clone)]
pub struct Package {
    /// The package name.
    pub name: String,
    /// `name@version`: unambiguous when a dependency shares the name (itoa's dev-deps pull
    /// in another itoa).
    pub spec: String,
    /// Source files, relative to the workspace root, with `/` separators.
    pub sources: Vec<String>,
}

/// The workspace root and its packages (members only).
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory holding the root Cargo.toml.
    pub root: PathBuf,
    /// Its member packages.
    pub packages: Vec<Package>,
}

impl Workspace {
    /// Reads `cargo metadata` for the project at `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            bail!("{} is not a cargo project: it has no Cargo.toml", dir.display());
        }
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
            .arg(&manifest)
            .output()
            .context("running cargo metadata")?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed for {}:\n{}",
                manifest.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
        let root =
            PathBuf::from(meta["workspace_root"].as_str().context("cargo metadata has no workspace_root")?);
        let mut packages = Vec::new();
        for package in meta["packages"].as_array().into_iter().flatten() {
            let name = package["name"].as_str().unwrap_or_default().to_string();
            let spec = format!("{name}@{}", package["version"].as_str().unwrap_or_default());
            let mut sources = Vec::new();
            for target in package["targets"].as_array().into_iter().flatten() {
                let kinds: Vec<&str> =
                    target["kind"].as_array().into_iter().flatten().filter_map(|k| k.as_str()).collect();
                let library_or_binary =
                    kinds.iter().any(|k| matches!(*k, "lib" | "rlib" | "bin" | "proc-macro"));
                let Some(src) = target["src_path"].as_str().filter(|_| library_or_binary) else { continue };
                let dir = Path::new(src).parent().map(Path::to_path_buf).unwrap_or_default();
                collect_rs(&dir, &root, &mut sources);
            }
            sources.sort();
            sources.dedup();
            packages.push(Package { name, spec, sources });
        }
        Ok(Workspace { root, packages })
    }
}

fn collect_rs(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                collect_rs(&path, root, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}
