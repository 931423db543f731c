//! Fixture crates: copied from `tests/fixtures/` into `target/e2e/`, built once per test
//! process with a target dir of their own, and their test binaries run directly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The chaos-test workspace.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// A built fixture crate.
pub struct Fixture {
    pub dir: PathBuf,
    pub target: PathBuf,
    bins: HashMap<String, PathBuf>,
}

impl Fixture {
    /// A command for the test binary `name`, with the environment of an outer runner removed.
    pub fn bin(&self, name: &str) -> Command {
        let path = self.bins.get(name).unwrap_or_else(|| panic!("fixture has no test binary `{name}`"));
        let mut cmd = Command::new(path);
        scrub(&mut cmd);
        // Run where cargo would: the package root (regressions and chaos.toml live there).
        cmd.current_dir(&self.dir);
        cmd
    }

    /// `cargo ARGS` in the fixture's directory and target dir.
    pub fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO"));
        scrub(&mut cmd);
        cmd.args(args).current_dir(&self.dir).env("CARGO_TARGET_DIR", &self.target);
        cmd
    }
}

/// Drops the variables that an outer cargo or nextest sets, so the inner run behaves as a
/// user's would.
fn scrub(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("NEXTEST")
            || key.starts_with("CHAOS_")
            || key == "RUST_TEST_THREADS"
            || key == "CARGO_MANIFEST_DIR"
        {
            cmd.env_remove(key);
        }
    }
}

/// The `walkers` fixture, built once.
pub fn walkers() -> &'static Fixture {
    static WALKERS: OnceLock<Fixture> = OnceLock::new();
    WALKERS.get_or_init(|| build("walkers"))
}

fn build(name: &str) -> Fixture {
    let root = workspace();
    let e2e = root.join("target").join("e2e");
    let dir = e2e.join("fixtures").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root.join("tests").join("fixtures").join(name), &dir);
    let manifest = std::fs::read_to_string(dir.join("Cargo_test.toml")).expect("Cargo_test.toml");
    let chaos_test = root.join("chaos-test");
    std::fs::write(
        dir.join("Cargo.toml"),
        manifest.replace("@CHAOS_TEST_PATH@", &chaos_test.to_string_lossy()),
    )
    .expect("write Cargo.toml");
    std::fs::remove_file(dir.join("Cargo_test.toml")).expect("remove Cargo_test.toml");
    // Same versions as the workspace, and no resolution on every run.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    let target = e2e.join("target");
    let mut fixture = Fixture { dir, target, bins: HashMap::new() };
    let out =
        fixture.cargo(&["test", "--no-run", "--tests", "--message-format=json"]).output().expect("run cargo");
    assert!(
        out.status.success(),
        "building fixture `{name}` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if msg["reason"] == "compiler-artifact"
            && msg["profile"]["test"] == true
            && let Some(exe) = msg["executable"].as_str()
        {
            let target = msg["target"]["name"].as_str().unwrap_or_default().to_string();
            fixture.bins.insert(target, PathBuf::from(exe));
        }
    }
    fixture
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create fixture dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).expect("copy fixture file");
        }
    }
}

/// Standard output and error of a finished command, as text.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Runs the command to completion.
    pub fn of(cmd: &mut Command) -> Ran {
        let Output { status, stdout, stderr } = cmd.output().expect("spawn");
        Ran {
            code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// The test names of a `--list` output (`name: test` lines).
    pub fn listed(&self) -> Vec<String> {
        self.stdout.lines().filter_map(|l| l.strip_suffix(": test")).map(str::to_string).collect()
    }

    /// `(passed, failed)` from libtest's closing line.
    pub fn counts(&self) -> (usize, usize) {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("test result:"))
            .unwrap_or_else(|| panic!("no result line in:\n{}\n{}", self.stdout, self.stderr));
        let number = |word: &str| -> usize {
            line.split(';')
                .find_map(|part| {
                    part.trim()
                        .trim_start_matches("test result: ok. ")
                        .trim_start_matches("test result: FAILED. ")
                        .strip_suffix(word)
                })
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("no `{word}` count in `{line}`"))
        };
        (number("passed"), number("failed"))
    }
}
