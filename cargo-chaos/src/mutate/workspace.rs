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
    /// Whether `cargo test` runs doctests: a `lib`, `rlib` or `proc-macro` target with
    /// `doctest` on.
    pub doctests: bool,
    /// The `CARGO_PKG_*` variables cargo sets for the package's test binaries.
    pub env: Vec<(String, String)>,
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
            let mut doctests = false;
            for target in package["targets"].as_array().into_iter().flatten() {
                let kinds: Vec<&str> =
                    target["kind"].as_array().into_iter().flatten().filter_map(|k| k.as_str()).collect();
                doctests |= target["doctest"].as_bool() == Some(true)
                    && kinds.iter().any(|k| matches!(*k, "lib" | "rlib" | "proc-macro"));
                let library_or_binary =
                    kinds.iter().any(|k| matches!(*k, "lib" | "rlib" | "bin" | "proc-macro"));
                let Some(src) = target["src_path"].as_str().filter(|_| library_or_binary) else { continue };
                let dir = Path::new(src).parent().map(Path::to_path_buf).unwrap_or_default();
                collect_rs(&dir, &root, &mut sources);
            }
            sources.sort();
            sources.dedup();
            let env = package_env(package);
            packages.push(Package { name, spec, sources, doctests, env });
        }
        Ok(Workspace { root, packages })
    }
}

/// The `CARGO_PKG_*` variables of a `cargo metadata` package, as cargo sets them when it runs
/// a test binary (`CARGO_MANIFEST_DIR` and `CARGO_MANIFEST_PATH` depend on the copy: the lab
/// adds them).
fn package_env(package: &serde_json::Value) -> Vec<(String, String)> {
    let text = |key: &str| package[key].as_str().unwrap_or_default().to_string();
    let version = text("version");
    let core = version.split('+').next().unwrap_or_default();
    let (numbers, pre) = core.split_once('-').unwrap_or((core, ""));
    let mut parts = numbers.splitn(3, '.').map(str::to_string);
    let authors: Vec<&str> =
        package["authors"].as_array().into_iter().flatten().filter_map(|a| a.as_str()).collect();
    let mut env = vec![
        ("CARGO_PKG_NAME", text("name")),
        ("CARGO_PKG_VERSION", version.clone()),
        ("CARGO_PKG_VERSION_MAJOR", parts.next().unwrap_or_default()),
        ("CARGO_PKG_VERSION_MINOR", parts.next().unwrap_or_default()),
        ("CARGO_PKG_VERSION_PATCH", parts.next().unwrap_or_default()),
        ("CARGO_PKG_VERSION_PRE", pre.to_string()),
        ("CARGO_PKG_AUTHORS", authors.join(":")),
    ];
    for (var, key) in [
        ("CARGO_PKG_DESCRIPTION", "description"),
        ("CARGO_PKG_HOMEPAGE", "homepage"),
        ("CARGO_PKG_REPOSITORY", "repository"),
        ("CARGO_PKG_LICENSE", "license"),
        ("CARGO_PKG_LICENSE_FILE", "license_file"),
        ("CARGO_PKG_RUST_VERSION", "rust_version"),
        ("CARGO_PKG_README", "readme"),
    ] {
        env.push((var, text(key)));
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_env_is_what_cargo_sets_for_test_binaries() {
        let package = serde_json::json!({
            "name": "p", "version": "1.22.3-beta.1+build.5", "authors": ["A <a@x>", "B"],
            "description": "d", "homepage": null, "license_file": "LIC", "readme": "README.md",
        });
        let env = package_env(&package);
        let var = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(var("CARGO_PKG_NAME"), Some("p"));
        assert_eq!(var("CARGO_PKG_VERSION"), Some("1.22.3-beta.1+build.5"));
        assert_eq!(var("CARGO_PKG_VERSION_MAJOR"), Some("1"));
        assert_eq!(var("CARGO_PKG_VERSION_MINOR"), Some("22"));
        assert_eq!(var("CARGO_PKG_VERSION_PATCH"), Some("3"));
        assert_eq!(var("CARGO_PKG_VERSION_PRE"), Some("beta.1"));
        assert_eq!(var("CARGO_PKG_AUTHORS"), Some("A <a@x>:B"));
        assert_eq!(var("CARGO_PKG_HOMEPAGE"), Some(""));
        assert_eq!(var("CARGO_PKG_LICENSE_FILE"), Some("LIC"));
        assert_eq!(var("CARGO_PKG_README"), Some("README.md"));
    }
}
