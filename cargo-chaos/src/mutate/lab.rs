//! The lab: builds and tests the baseline and each mutant in scratch copies, one copy per
//! worker, with a timeout and process groups so a hung or interrupted test leaves nothing.
//!
//! This is the one-build-per-mutant engine (correct for every mutant); a build-once engine
//! can replace `test_mutant` without touching discovery or the outcome model.

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::discover::{self, Mutant};
use super::outcome::{Phase, Status, Verdict};
use super::workspace::Package;

/// The test runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestTool {
    /// `cargo test`.
    Cargo,
    /// `cargo nextest run`.
    Nextest,
}

/// Set by Ctrl-C or SIGTERM: workers stop taking mutants.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn running() -> &'static Mutex<HashSet<u32>> {
    static RUNNING: OnceLock<Mutex<HashSet<u32>>> = OnceLock::new();
    RUNNING.get_or_init(Mutex::default)
}

/// Kills the process group of every running build or test.
pub fn kill_all() {
    for &pgid in running().lock().unwrap_or_else(PoisonError::into_inner).iter() {
        kill_group(pgid);
    }
}

/// SIGKILL to the process group `pgid`, by the `kill(2)` system call. Not by the `kill`
/// command: procps-ng 4.0.2's `kill -KILL -PGID` was seen here to signal far more than the
/// group. A group id of 0 or 1 is refused: `kill(0)` and `kill(-1)` reach every process.
#[allow(unsafe_code)]
fn kill_group(pgid: u32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGKILL: i32 = 9;
    let Ok(pgid) = i32::try_from(pgid) else { return };
    if pgid > 1 {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            kill(-pgid, SIGKILL);
        }
    }
}

/// Whether builds keep the profile's debug info. Off by default: mutants' builds and tests run
/// with `CARGO_PROFILE_DEV_DEBUG=0` (unless the caller's environment sets it), which takes about
/// 13% off the wall time on `hex` and changes no verdict but of a test that reads its own debug
/// info. `--debuginfo` keeps it.
static KEEP_DEBUGINFO: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Keeps (or drops) the debug info of the builds from now on.
pub fn keep_debuginfo(keep: bool) {
    KEEP_DEBUGINFO.store(keep, std::sync::atomic::Ordering::Relaxed);
}

/// The variable that drops debug info, when it applies.
fn no_debuginfo() -> Option<(&'static str, &'static str)> {
    let keep = KEEP_DEBUGINFO.load(std::sync::atomic::Ordering::Relaxed);
    (!keep && std::env::var_os("CARGO_PROFILE_DEV_DEBUG").is_none())
        .then_some(("CARGO_PROFILE_DEV_DEBUG", "0"))
}

/// A command as the log shows it, with the variable that drops debug info.
fn shown(argv: &[String]) -> String {
    match no_debuginfo() {
        Some((k, v)) => format!("{k}={v} {}", argv.join(" ")),
        None => argv.join(" "),
    }
}

/// Runs one phase in `dir`, appending its output to `log`.
pub fn phase(
    name: &'static str,
    dir: &Path,
    argv: &[String],
    timeout: Option<Duration>,
    log: &mut String,
) -> Phase {
    let started = Instant::now();
    log.push_str(&format!("\n*** {name}: {}\n", shown(argv)));
    let (status, _) = run(dir, argv, &[], timeout, false, log);
    Phase { name, duration: started.elapsed(), status, argv: argv.to_vec() }
}

/// Runs `argv` in `dir` in its own process group (registered for `kill_all`) with `env` added,
/// killed at `timeout`. Its output goes to `log`, but for `json` runs only the lines of stdout
/// that are not cargo's JSON messages: those are returned.
fn run(
    dir: &Path,
    argv: &[String],
    env: &[(String, String)],
    timeout: Option<Duration>,
    json: bool,
    log: &mut String,
) -> (Status, String) {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .envs(no_debuginfo())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            log.push_str(&format!("cannot start: {e}\n"));
            return (Status::Failure(None), String::new());
        }
    };
    let pid = child.id();
    running().lock().unwrap_or_else(PoisonError::into_inner).insert(pid);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let result = match timeout {
        Some(limit) => rx.recv_timeout(limit).ok(),
        None => rx.recv().ok(),
    };
    let mut messages = String::new();
    let status = match result {
        Some(Ok(out)) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            if json {
                for line in stdout.split_inclusive('\n') {
                    if line.starts_with('{') {
                        messages.push_str(line);
                    } else {
                        log.push_str(line);
                    }
                }
            } else {
                log.push_str(&stdout);
            }
            log.push_str(&String::from_utf8_lossy(&out.stderr));
            if out.status.success() { Status::Success } else { Status::Failure(out.status.code()) }
        }
        Some(Err(e)) => {
            log.push_str(&format!("wait failed: {e}\n"));
            Status::Failure(None)
        }
        None => {
            kill_group(pid);
            let _ = rx.recv_timeout(Duration::from_secs(10));
            log.push_str(&format!("*** killed after the {:?} timeout\n", timeout.unwrap_or_default()));
            Status::Timeout
        }
    };
    running().lock().unwrap_or_else(PoisonError::into_inner).remove(&pid);
    (status, messages)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// A test executable of the build, as `cargo test` would run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestExe {
    /// The command: the executable (or, for the doctests, `cargo test --doc`).
    pub argv: Vec<String>,
    /// The package's directory: the working directory cargo gives it.
    pub dir: PathBuf,
    /// The variables cargo sets for it beyond the package's `CARGO_PKG_*`.
    pub env: Vec<(String, String)>,
    /// cargo's order: target kind (lib, bin, test, bench, example), then name.
    order: (u8, String),
}

/// The test executables in cargo's JSON `messages` (from `--message-format=json-*`), in the
/// order `cargo test` runs them, with the run-time environment cargo gives each: the manifest
/// paths, `OUT_DIR` and `cargo::rustc-env` of the package's build script, and the dynamic
/// library path (the build scripts' native directories in the target dir, then `deps/` and
/// its parent).
pub fn test_exes(messages: &str) -> Vec<TestExe> {
    let parsed: Vec<serde_json::Value> =
        messages.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let scripts: Vec<&serde_json::Value> =
        parsed.iter().filter(|m| m["reason"] == "build-script-executed").collect();
    let mut exes = Vec::new();
    for m in &parsed {
        let (Some(path), Some(manifest)) = (m["executable"].as_str(), m["manifest_path"].as_str()) else {
            continue;
        };
        if m["reason"] != "compiler-artifact" || m["profile"]["test"] != true {
            continue;
        }
        let manifest = Path::new(manifest);
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut env = vec![
            ("CARGO".to_string(), cargo()),
            ("CARGO_MANIFEST_DIR".to_string(), dir.display().to_string()),
            ("CARGO_MANIFEST_PATH".to_string(), manifest.display().to_string()),
        ];
        if let Some(script) = scripts.iter().find(|s| s["package_id"] == m["package_id"]) {
            if let Some(out_dir) = script["out_dir"].as_str() {
                env.push(("OUT_DIR".into(), out_dir.into()));
            }
            for pair in script["env"].as_array().into_iter().flatten() {
                if let (Some(k), Some(v)) = (pair[0].as_str(), pair[1].as_str()) {
                    env.push((k.into(), v.into()));
                }
            }
        }
        // deps/ -> debug/ -> the target dir (or its per-triple dir).
        let deps = Path::new(path).parent().unwrap_or(Path::new(""));
        let profile_dir = deps.parent().unwrap_or(deps);
        let target_dir = profile_dir.parent().unwrap_or(profile_dir);
        let mut lib_path: Vec<PathBuf> = scripts
            .iter()
            .flat_map(|s| s["linked_paths"].as_array().into_iter().flatten())
            .filter_map(|p| p.as_str())
            .map(|p| PathBuf::from(p.split_once('=').map_or(p, |(_, dir)| dir)))
            .filter(|p| p.starts_with(target_dir))
            .collect();
        lib_path.extend([deps.to_path_buf(), profile_dir.to_path_buf()]);
        if let Some(old) = std::env::var_os(LIB_PATH) {
            lib_path.extend(std::env::split_paths(&old));
        }
        if let Ok(joined) = std::env::join_paths(&lib_path) {
            env.push((LIB_PATH.into(), joined.to_string_lossy().into_owned()));
        }
        let kinds: Vec<&str> =
            m["target"]["kind"].as_array().into_iter().flatten().filter_map(|k| k.as_str()).collect();
        let rank = match kinds.first().copied() {
            Some("bin") => 1,
            Some("test") => 2,
            Some("bench") => 3,
            Some("example") => 4,
            _ => 0,
        };
        let order = (rank, m["target"]["name"].as_str().unwrap_or_default().to_string());
        exes.push(TestExe { argv: vec![path.to_string()], dir, env, order });
    }
    exes.sort_by(|a, b| a.order.cmp(&b.order));
    exes
}

/// The variable of the dynamic loader's search path.
const LIB_PATH: &str =
    if cfg!(target_os = "macos") { "DYLD_FALLBACK_LIBRARY_PATH" } else { "LD_LIBRARY_PATH" };

/// Whether a cargo config file that `cargo test` in `dir` reads (`.cargo/config.toml` in `dir`
/// and its ancestors, then in `CARGO_HOME`), or the environment, sets `[env]` or a test runner:
/// running the executables directly would miss them, so the Test phase stays `cargo test`.
fn config_changes_the_run(dir: &Path) -> bool {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let mut files: Vec<PathBuf> =
        dir.ancestors().flat_map(|d| [d.join(".cargo/config.toml"), d.join(".cargo/config")]).collect();
    files.extend(home.iter().flat_map(|h| [h.join("config.toml"), h.join("config")]));
    let runner_var = std::env::vars_os()
        .any(|(k, _)| k.to_str().is_some_and(|k| k.starts_with("CARGO_TARGET_") && k.ends_with("_RUNNER")));
    runner_var
        || files.iter().any(|f| {
            let Ok(text) = std::fs::read_to_string(f) else { return false };
            let Ok(config) = text.parse::<toml::Table>() else { return true };
            config.contains_key("env")
                || config
                    .get("target")
                    .and_then(toml::Value::as_table)
                    .is_some_and(|t| t.values().any(|v| v.get("runner").is_some()))
        })
}

/// The build command for a package (with cargo's JSON messages for the cargo test tool: they
/// name the test executables).
pub fn build_command(tool: TestTool, package: &str) -> Vec<String> {
    let mut argv = vec![cargo(), "test".into(), "--no-run".into()];
    if tool == TestTool::Cargo {
        argv.push("--message-format=json-render-diagnostics".into());
    }
    argv.extend(["--package".into(), package.into()]);
    argv
}

/// Builds `package` in the scratch copy at `dir` and, if it builds, tests it: the phases run.
///
/// With the cargo tool the Test phase runs the test executables the build reported, one after
/// the other in cargo's order, each in its own process group, then (if all passed) the
/// doctests with `cargo test --doc`: what `cargo test` would run, stopping like it at the first
/// failure, without its start-up and fingerprint check. `timeout` covers the whole phase. A
/// cargo config with `[env]` or a runner keeps `cargo test` (see `config_changes_the_run`).
pub fn build_and_test(
    dir: &Path,
    package: &Package,
    tool: TestTool,
    build_timeout: Option<Duration>,
    timeout: Option<Duration>,
    log: &mut String,
) -> Vec<Phase> {
    let p = ["--package".to_string(), package.spec.clone()];
    let build = build_command(tool, &package.spec);
    let started = Instant::now();
    log.push_str(&format!("\n*** Build: {}\n", shown(&build)));
    let (status, messages) = run(dir, &build, &[], build_timeout, tool == TestTool::Cargo, log);
    let built = Phase { name: "Build", duration: started.elapsed(), status, argv: build };
    if built.status != Status::Success {
        return vec![built];
    }
    let cargo_test = [vec![cargo(), "test".into()], p.to_vec()].concat();
    let tested = match tool {
        TestTool::Nextest => phase(
            "Test",
            dir,
            &[vec![cargo(), "nextest".into(), "run".into(), "--no-fail-fast".into()], p.to_vec()].concat(),
            timeout,
            log,
        ),
        TestTool::Cargo if config_changes_the_run(dir) => phase("Test", dir, &cargo_test, timeout, log),
        TestTool::Cargo => {
            let started = Instant::now();
            let left = |timeout: Option<Duration>| timeout.map(|t| t.saturating_sub(started.elapsed()));
            let mut argv: Vec<String> = Vec::new();
            let mut status = Status::Success;
            let mut steps = test_exes(&messages);
            for exe in &mut steps {
                exe.env.splice(0..0, package.env.iter().cloned());
            }
            if package.doctests {
                let argv = [vec![cargo(), "test".into(), "--doc".into()], p.to_vec()].concat();
                steps.push(TestExe {
                    argv,
                    dir: dir.to_path_buf(),
                    env: Vec::new(),
                    order: (0, String::new()),
                });
            }
            for TestExe { argv: step, dir: cwd, env, .. } in steps {
                if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
                    status = Status::Failure(None); // kill_all ran between two steps: not a pass
                    break;
                }
                if !argv.is_empty() {
                    argv.push("&&".into());
                }
                argv.extend(step.iter().cloned());
                log.push_str(&format!("\n*** Test: {}\n", shown(&step)));
                status = match left(timeout) {
                    Some(Duration::ZERO) => {
                        log.push_str(&format!(
                            "*** killed after the {:?} timeout\n",
                            timeout.unwrap_or_default()
                        ));
                        Status::Timeout
                    }
                    limit => run(&cwd, &step, &env, limit, false, log).0,
                };
                if status != Status::Success {
                    break;
                }
            }
            Phase { name: "Test", duration: started.elapsed(), status, argv }
        }
    };
    vec![built, tested]
}

/// Applies `mutant` in the scratch copy at `dir`, builds, tests, and restores the file.
pub fn test_mutant(
    dir: &Path,
    mutant: &Mutant,
    package: &Package,
    tool: TestTool,
    timeout: Duration,
    log: &mut String,
) -> (Verdict, Vec<Phase>) {
    let path = dir.join(&mutant.file);
    let original = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            log.push_str(&format!("cannot read {}: {e}\n", path.display()));
            return (Verdict::Unviable, Vec::new());
        }
    };
    if let Err(e) = std::fs::write(&path, discover::apply(&original, mutant)) {
        log.push_str(&format!("cannot write {}: {e}\n", path.display()));
        return (Verdict::Unviable, Vec::new());
    }
    let phases =
        build_and_test(dir, package, tool, Some(timeout.max(Duration::from_secs(300))), Some(timeout), log);
    let verdict = match phases.get(1).map(|p| &p.status) {
        None => Verdict::Unviable,
        Some(Status::Success) => Verdict::Missed,
        Some(Status::Failure(_)) => Verdict::Caught,
        Some(Status::Timeout) => Verdict::Timeout,
    };
    if let Err(e) = std::fs::write(&path, original) {
        log.push_str(&format!("cannot restore {}: {e}\n", path.display()));
    }
    (verdict, phases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_exes_come_in_cargos_order_with_cargos_run_time_environment() {
        let messages = [
            r#"{"reason":"build-script-executed","package_id":"p#0.1.0","linked_paths":["native=/t/debug/build/p-1/out/lib","/usr/lib"],"env":[["FROM_BUILD","yes"]],"out_dir":"/t/debug/build/p-1/out"}"#,
            r#"{"reason":"compiler-artifact","package_id":"p#0.1.0","manifest_path":"/w/p/Cargo.toml","target":{"kind":["test"],"name":"it"},"profile":{"test":true},"executable":"/t/debug/deps/it-1"}"#,
            r#"{"reason":"compiler-artifact","package_id":"p#0.1.0","manifest_path":"/w/p/Cargo.toml","target":{"kind":["lib"],"name":"p"},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","package_id":"p#0.1.0","manifest_path":"/w/p/Cargo.toml","target":{"kind":["example"],"name":"ex"},"profile":{"test":false},"executable":"/t/debug/examples/ex"}"#,
            r#"{"reason":"compiler-artifact","package_id":"p#0.1.0","manifest_path":"/w/p/Cargo.toml","target":{"kind":["bin"],"name":"tool"},"profile":{"test":true},"executable":"/t/debug/deps/tool-3"}"#,
            r#"{"reason":"compiler-artifact","package_id":"p#0.1.0","manifest_path":"/w/p/Cargo.toml","target":{"kind":["cdylib","rlib"],"name":"p"},"profile":{"test":true},"executable":"/t/debug/deps/p-2"}"#,
            r#"{"reason":"compiler-artifact","package_id":"p#0.1.0","manifest_path":"/w/p/Cargo.toml","target":{"kind":["test"],"name":"an"},"profile":{"test":true},"executable":"/t/debug/deps/an-4"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        let exes = test_exes(&messages);
        let paths: Vec<&str> = exes.iter().map(|e| e.argv[0].as_str()).collect();
        assert_eq!(
            paths,
            ["/t/debug/deps/p-2", "/t/debug/deps/tool-3", "/t/debug/deps/an-4", "/t/debug/deps/it-1"]
        );
        assert_eq!(exes[0].dir, Path::new("/w/p"));
        let var = |k: &str| exes[0].env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(var("CARGO_MANIFEST_DIR").as_deref(), Some("/w/p"));
        assert_eq!(var("CARGO_MANIFEST_PATH").as_deref(), Some("/w/p/Cargo.toml"));
        assert_eq!(var("CARGO"), Some(cargo()));
        assert_eq!(var("OUT_DIR").as_deref(), Some("/t/debug/build/p-1/out"));
        assert_eq!(var("FROM_BUILD").as_deref(), Some("yes"));
        let lib_path = var(LIB_PATH).unwrap();
        assert!(lib_path.starts_with("/t/debug/build/p-1/out/lib:/t/debug/deps:/t/debug"), "{lib_path}");
        assert!(!lib_path.contains("/usr/lib:/t"), "only native dirs in the target dir: {lib_path}");
        assert!(test_exes("error: could not compile\n").is_empty());
    }

    #[test]
    fn env_or_a_runner_in_a_cargo_config_keeps_cargo_test() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(dir.path().join(".cargo/config.toml"), "[env]\nA = \"1\"\n").unwrap();
        assert!(config_changes_the_run(&pkg), "[env] in an ancestor's config");
        std::fs::write(dir.path().join(".cargo/config.toml"), "[target.'cfg(unix)']\nrunner = \"x\"\n")
            .unwrap();
        assert!(config_changes_the_run(&pkg), "a runner");
    }

    #[test]
    fn the_cargo_tool_builds_with_json_messages_and_nextest_as_before() {
        let build = build_command(TestTool::Cargo, "p@0.1.0");
        assert_eq!(
            build[1..],
            ["test", "--no-run", "--message-format=json-render-diagnostics", "--package", "p@0.1.0"]
        );
        assert_eq!(
            build_command(TestTool::Nextest, "p@0.1.0")[1..],
            ["test", "--no-run", "--package", "p@0.1.0"]
        );
    }
}
