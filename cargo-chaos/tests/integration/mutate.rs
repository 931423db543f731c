//! `cargo chaos mutate` on the `weak` fixture: the mutants found, their verdicts, the output
//! files, the filters, and the user's tree left byte-identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name);
    copy(&from, dir.path());
    std::fs::rename(dir.path().join("Cargo_test.toml"), dir.path().join("Cargo.toml")).unwrap();
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Every file under `dir` (but target/ and chaos.out/) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == "target" || name == "chaos.out" {
                continue;
            }
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

fn chaos(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
        .arg("chaos")
        .arg("mutate")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_names_the_mutants_and_skips_tests_and_marked_items() {
    let dir = fixture("weak");
    let (code, stdout, stderr) = chaos(dir.path(), &["--list"]);
    assert_eq!(code, Some(0), "{stderr}");
    let names: Vec<&str> = stdout.lines().collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with("src/lib.rs:")), "{stdout}");
    assert!(names.iter().any(|n| n.contains("replace is_even -> bool with true")), "{stdout}");
    assert!(names.iter().any(|n| n.contains("in clamp_percent")), "{stdout}");
    assert!(!names.iter().any(|n| n.contains("skipped")), "a #[mutants::skip] fn was mutated:\n{stdout}");
    assert!(!names.iter().any(|n| n.contains("even_and_odd") || n.contains("percent_in_range")), "{stdout}");
    insta::assert_snapshot!("weak_mutants", stdout);
    let (_, json, _) = chaos(dir.path(), &["--list", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), names.len());
    assert_eq!(parsed[0]["package"], "weak");
    // Our extra field: the weak fixture has no const context.
    assert!(parsed.as_array().unwrap().iter().all(|m| m["const_context"] == false), "{json}");
}

#[test]
fn weak_tests_leave_missed_mutants_and_the_tree_untouched() {
    let dir = fixture("weak");
    let before = snapshot(dir.path());
    let (code, stdout, stderr) = chaos(dir.path(), &["--timeout", "60"]);
    assert_eq!(code, Some(2), "missed mutants exit 2\n{stdout}\n{stderr}");
    assert_eq!(snapshot(dir.path()), before, "the user's tree changed");
    let out = dir.path().join("chaos.out").join("mutate");
    let outcomes: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("outcomes.json")).unwrap()).unwrap();
    let verdict = |needle: &str| -> Vec<String> {
        outcomes["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["scenario"]["Mutant"]["name"].as_str().unwrap().contains(needle))
            .map(|o| o["summary"].as_str().unwrap().to_string())
            .collect()
    };
    let even = verdict("is_even");
    assert!(!even.is_empty() && even.iter().all(|v| v == "CaughtMutant"), "is_even: {even:?}");
    let greeting = verdict("greeting");
    assert!(!greeting.is_empty() && greeting.iter().all(|v| v == "MissedMutant"), "greeting: {greeting:?}");
    assert!(verdict("clamp_percent").iter().any(|v| v == "MissedMutant"));
    assert_eq!(verdict("token"), ["Unviable"], "a mutant that does not build is unviable, not caught");
    let double = verdict("double");
    assert!(
        double.len() >= 2 && double.iter().all(|v| v == "CaughtMutant"),
        "only a doctest checks double: its mutants are caught only if doctests run: {double:?}"
    );
    assert!(
        outcomes["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["scenario"]["Mutant"]["const_context"] == false)
    );
    let verdicts: Vec<String> = outcomes["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{:<9} {}",
                o["verdict"].as_str().unwrap(),
                o["scenario"]["Mutant"]["name"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!("weak_outcomes", verdicts.join("\n"));
    let missed = std::fs::read_to_string(out.join("missed.txt")).unwrap();
    assert!(missed.lines().any(|l| l.contains("greeting")), "{missed}");
    // Mutants build without debug info (faster), and the logs say so.
    let log = std::fs::read_dir(out.join("log")).unwrap().next().unwrap().unwrap().path();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("*** Build: CARGO_PROFILE_DEV_DEBUG=0 "), "{log}");
    assert!(stdout.contains("MISSED") && stdout.contains("mutants tested in"), "{stdout}");
    assert!(std::fs::read_dir(out.join("diff")).unwrap().count() > 0);
    assert_eq!(
        outcomes["total_mutants"].as_u64().unwrap() as usize,
        outcomes["outcomes"].as_array().unwrap().len()
    );
    // A second run rotates the first to mutate.old.
    let (code, _, _) = chaos(dir.path(), &["--file", "nothing-matches.rs"]);
    assert_eq!(code, Some(0));
}

#[test]
fn shards_split_the_mutants_and_in_diff_keeps_changed_lines() {
    let dir = fixture("weak");
    let (_, all, _) = chaos(dir.path(), &["--list"]);
    let all: Vec<&str> = all.lines().collect();
    let mut union = Vec::new();
    for k in 1..=3 {
        let (code, shard, stderr) = chaos(dir.path(), &["--list", "--shard", &format!("{k}/3")]);
        assert_eq!(code, Some(0), "{stderr}");
        union.extend(shard.lines().map(str::to_string));
    }
    union.sort();
    let mut sorted: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(union, sorted, "the 3 shards together list each mutant once");
    let patch = dir.path().join("change.patch");
    std::fs::write(&patch, "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -20,3 +20,3 @@\n pub fn greeting(name: &str) -> String {\n-    format!(\"hi {name}\")\n+    format!(\"hello {name}\")\n }\n").unwrap();
    let (code, listed, stderr) = chaos(dir.path(), &["--list", "--in-diff", patch.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!listed.is_empty() && listed.lines().all(|l| l.contains("greeting")), "{listed}");
    let (code, _, stderr) = chaos(dir.path(), &["--list", "--file", "src/lib.rs", "--exclude", "lib.rs"]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = chaos(dir.path(), &["--list"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not a cargo project"), "{stderr}");
    let weak = fixture("weak");
    let (code, _, stderr) = chaos(weak.path(), &["--list", "--shard", "4/3"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--shard \"4/3\": expected k/n"), "{stderr}");
    let patch = weak.path().join("bad.patch");
    std::fs::write(&patch, "hello\n").unwrap();
    let (code, _, stderr) = chaos(weak.path(), &["--list", "--in-diff", patch.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not a unified diff"), "{stderr}");
    let (code, _, stderr) = chaos(weak.path(), &["--list", "--package", "nope"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--package nope: no such package"), "{stderr}");
}

#[test]
fn killed_runs_leave_the_tree_byte_identical_and_a_rerun_works() {
    let dir = fixture("weak");
    let before = snapshot(dir.path());
    for delay_ms in [20, 300, 1500, 3000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
            .args(["chaos", "mutate", "--dir"])
            .arg(dir.path())
            .env_remove("CARGO_TARGET_DIR")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL: no handler runs
        child.wait().unwrap();
        assert_eq!(snapshot(dir.path()), before, "the tree changed after a kill at {delay_ms} ms");
    }
    let (code, stdout, stderr) = chaos(dir.path(), &["--file", "lib.rs", "--timeout", "60"]);
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn sigterm_stops_the_workers_writes_the_outcomes_so_far_and_removes_scratch_dirs() {
    let dir = fixture("weak");
    let before = snapshot(dir.path());
    let tmp = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
        .args(["chaos", "mutate", "--dir"])
        .arg(dir.path())
        .env_remove("CARGO_TARGET_DIR")
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it is testing mutants, then ask it to stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let log = dir.path().join("chaos.out").join("mutate").join("log");
    while std::fs::read_dir(&log).map(|d| d.count()).unwrap_or(0) < 2 && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let outcomes =
        std::fs::read_to_string(dir.path().join("chaos.out").join("mutate").join("outcomes.json")).unwrap();
    let outcomes: serde_json::Value = serde_json::from_str(&outcomes).unwrap();
    let done = outcomes["outcomes"].as_array().unwrap().len();
    assert!(
        done >= 2 && done < outcomes["total_mutants"].as_u64().unwrap() as usize,
        "{done} outcomes written"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "scratch dirs left behind: {left:?}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn the_mutate_table_of_chaos_toml_sets_defaults_and_bad_keys_are_named() {
    let dir = fixture("weak");
    std::fs::write(dir.path().join("chaos.toml"), "[mutate]\nexclude = [\"lib.rs\"]\n").unwrap();
    let (code, listed, stderr) = chaos(dir.path(), &["--list"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(listed.trim().is_empty(), "excluded by chaos.toml: {listed}");
    std::fs::write(dir.path().join("chaos.toml"), "[mutate]\njobz = 2\n").unwrap();
    let (code, _, stderr) = chaos(dir.path(), &["--list"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("chaos.toml") && stderr.contains("unknown field `jobz`"), "{stderr}");
}
