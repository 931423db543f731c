//! Run settings: from code (`main!(strategy = "pairwise", ...)`), from `chaos.toml` at the
//! package root (its `[walks]` table), and from `CHAOS_*` variables, each overriding the one
//! before, so CI can change a plan without touching code.
//!
//! Every bad value is an error naming its source (the variable, the file and line, or the
//! `main!` key) and the accepted forms.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::constraint::{Constraint, Exclusion};
use crate::errors::{SetupError, SetupErrorKind};
use crate::shard::Shard;
use crate::strategy::Strategy;

/// The default per-walk timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A walk asked for by id: `CHAOS_WALK=17` (every suite that has a walk 17) or
/// `CHAOS_WALK=suite#17` (that suite only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkSelector {
    /// The suite, when named.
    pub suite: Option<String>,
    /// The walk id.
    pub id: u128,
}

/// Settings written in code, through `chaos_test::main!(key = value, ...)`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    strategy: Option<String>,
    seed: Option<u64>,
    timeout: Option<String>,
    threads: Option<usize>,
    gather_states: Option<bool>,
    trace_dir: Option<String>,
    regressions: Option<String>,
    exclude: Vec<String>,
    constraints: Vec<Constraint>,
}

impl Settings {
    /// No settings: every default.
    pub fn new() -> Self {
        Self::default()
    }
    /// `strategy = "pairwise"`: product, pairwise, twise:N, random:N.
    pub fn strategy(mut self, strategy: &str) -> Self {
        self.strategy = Some(strategy.to_string());
        self
    }
    /// `seed = 7`: the seed of covering arrays and random sampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// `timeout = "5s"`: the per-walk timeout (`"off"` for none).
    pub fn timeout(mut self, timeout: &str) -> Self {
        self.timeout = Some(timeout.to_string());
        self
    }
    /// `threads = 4`: test threads when `--test-threads` is not given.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }
    /// `gather_states = true`: final states into the trace.
    pub fn gather_states(mut self, on: bool) -> Self {
        self.gather_states = Some(on);
        self
    }
    /// `trace_dir = "path"`.
    pub fn trace_dir(mut self, dir: &str) -> Self {
        self.trace_dir = Some(dir.to_string());
        self
    }
    /// `regressions = "path"` (relative to the package root) or `"off"`.
    pub fn regressions(mut self, path: &str) -> Self {
        self.regressions = Some(path.to_string());
        self
    }
    /// `exclude = ["deposit=-5::freeze=true", ...]`: impossible combinations.
    pub fn exclude<'a>(mut self, exclusions: impl IntoIterator<Item = &'a str>) -> Self {
        self.exclude.extend(exclusions.into_iter().map(str::to_string));
        self
    }
    /// `constraint = allowed_fn`: a predicate over walks (may be given several times).
    pub fn constraint(mut self, rule: Constraint) -> Self {
        self.constraints.push(rule);
        self
    }
    /// `constraints = [f, g]`.
    pub fn constraints(mut self, rules: impl IntoIterator<Item = Constraint>) -> Self {
        self.constraints.extend(rules);
        self
    }
}

/// The settings in force for a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// How walks are chosen.
    pub strategy: Strategy,
    /// The seed of covering arrays and sampling.
    pub seed: u64,
    /// The per-walk timeout; `None` for none.
    pub timeout: Option<Duration>,
    /// This process's shard of the walks.
    pub shard: Option<Shard>,
    /// Test threads when `--test-threads` is not given.
    pub threads: Option<usize>,
    /// Final states into the trace.
    pub gather_states: bool,
    /// Where the trace goes; `None` for the default (`target/chaos`).
    pub trace_dir: Option<PathBuf>,
    /// The regressions file; `None` when switched off.
    pub regressions: Option<PathBuf>,
    /// Impossible combinations.
    pub exclusions: Vec<Exclusion>,
    /// Predicates over walks.
    pub constraints: Vec<Constraint>,
    /// `CHAOS_WALK`.
    pub walk: Option<WalkSelector>,
}

/// The `[walks]` table of `chaos.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWalks {
    strategy: Option<toml::Spanned<String>>,
    seed: Option<u64>,
    timeout: Option<toml::Spanned<String>>,
    threads: Option<usize>,
    gather_states: Option<bool>,
    trace_dir: Option<String>,
    regressions: Option<String>,
    exclude: Option<Vec<toml::Spanned<String>>>,
}

/// `chaos.toml`: the walks' table, and the other parts' tables (read by `cargo chaos`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct File {
    walks: Option<FileWalks>,
    mutate: Option<toml::Table>,
    proxy: Option<toml::Table>,
    load: Option<toml::Table>,
    publish: Option<toml::Table>,
    hub: Option<toml::Table>,
}

impl Config {
    /// Resolves code settings, `<package root>/chaos.toml` and the environment.
    pub fn resolve(code: Settings) -> Result<Self, SetupError> {
        let root = package_root();
        Self::resolve_with(code, &root, |key| std::env::var(key).ok())
    }

    /// Resolves with an explicit package root and variable lookup (for tests).
    pub fn resolve_with(
        code: Settings,
        root: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SetupError> {
        let path = root.join("chaos.toml");
        let (text, file) = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: File = toml::from_str(&text)
                    .map_err(|e| config_error(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
                (text, file.walks.unwrap_or_default())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), FileWalks::default()),
            Err(e) => return Err(config_error(format!("cannot read {}: {e}", path.display()))),
        };
        let at = |span: std::ops::Range<usize>| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("{} line {line}", path.display())
        };

        let mut strategy = parse_in("main!(strategy)", code.strategy.as_deref(), |s| s.parse::<Strategy>())?;
        if let Some(s) = &file.strategy {
            strategy = Some(
                s.get_ref()
                    .parse::<Strategy>()
                    .map_err(|e| config_error(format!("{}: `strategy`: {e}", at(s.span()))))?,
            );
        }
        let strategy =
            env_or("CHAOS_STRATEGY", &env, |s| s.parse::<Strategy>())?.or(strategy).unwrap_or_default();

        let seed = env_or("CHAOS_SEED", &env, |s| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("{s:?} is not a seed; accepted: an integer 0 to {}", u64::MAX))
        })?
        .or(file.seed)
        .or(code.seed)
        .unwrap_or(0);

        let mut timeout = parse_in("main!(timeout)", code.timeout.as_deref(), parse_timeout)?;
        if let Some(t) = &file.timeout {
            timeout = Some(
                parse_timeout(t.get_ref())
                    .map_err(|e| config_error(format!("{}: `timeout`: {e}", at(t.span()))))?,
            );
        }
        let timeout =
            env_or("CHAOS_TIMEOUT", &env, parse_timeout)?.or(timeout).unwrap_or(Some(DEFAULT_TIMEOUT));

        let shard = env_or("CHAOS_SHARD", &env, |s| s.parse::<Shard>())?;

        let threads = env_or("CHAOS_THREADS", &env, |s| match s.trim().parse::<usize>() {
            Ok(n @ 1..) => Ok(n),
            _ => Err(format!("{s:?} is not a thread count; accepted: an integer >= 1")),
        })?
        .or(file.threads)
        .or(code.threads);
        if threads == Some(0) {
            return Err(config_error("`threads` must be at least 1".to_string()));
        }

        let gather_states = env_or("CHAOS_GATHER_STATES", &env, parse_bool)?
            .or(file.gather_states)
            .or(code.gather_states)
            .unwrap_or(false);

        let trace_dir = env("CHAOS_TRACE_DIR")
            .filter(|s| !s.is_empty())
            .or(file.trace_dir)
            .or(code.trace_dir)
            .map(|d| root.join(d));

        let regressions = match env("CHAOS_REGRESSIONS")
            .filter(|s| !s.is_empty())
            .or(file.regressions)
            .or(code.regressions)
        {
            Some(off) if off == "off" || off == "false" => None,
            Some(path) => Some(root.join(path)),
            None => Some(root.join("chaos-regressions")),
        };

        let mut exclusions = Vec::new();
        for text in &code.exclude {
            exclusions
                .push(Exclusion::parse(text).map_err(|e| config_error(format!("main!(exclude): {e}")))?);
        }
        for text in file.exclude.iter().flatten() {
            exclusions.push(
                Exclusion::parse(text.get_ref())
                    .map_err(|e| config_error(format!("{}: `exclude`: {e}", at(text.span()))))?,
            );
        }

        let walk = env_or("CHAOS_WALK", &env, parse_walk)?;
        Ok(Config {
            strategy,
            seed,
            timeout,
            shard,
            threads,
            gather_states,
            trace_dir,
            regressions,
            exclusions,
            constraints: code.constraints,
            walk,
        })
    }
}

fn config_error(message: String) -> SetupError {
    SetupError::new(SetupErrorKind::Config, message)
}

fn parse_in<T>(
    source: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, SetupError> {
    value.map(|v| parse(v).map_err(|e| config_error(format!("{source}: {e}")))).transpose()
}

fn env_or<T>(
    key: &str,
    env: &impl Fn(&str) -> Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, SetupError> {
    match env(key) {
        Some(v) if !v.trim().is_empty() => {
            parse(v.trim()).map(Some).map_err(|e| config_error(format!("{key}: {e}")))
        }
        _ => Ok(None),
    }
}

/// `500ms`, `30s`, `2m`, `1h`, a bare number of seconds, or `off`/`0` for no timeout.
pub fn parse_timeout(text: &str) -> Result<Option<Duration>, String> {
    let t = text.trim();
    if t == "off" || t == "0" {
        return Ok(None);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    match number.parse::<f64>() {
        Ok(n) if scale.is_finite() && n.is_finite() && n > 0.0 => {
            Ok(Some(Duration::from_secs_f64(n * scale)))
        }
        _ => Err(format!(
            "{text:?} is not a timeout; accepted: 500ms, 30s, 2m, 1h, a number of seconds, or off"
        )),
    }
}

fn parse_walk(text: &str) -> Result<WalkSelector, String> {
    let (suite, id) = match text.rsplit_once('#') {
        Some((suite, id)) => (Some(suite.to_string()), id),
        None => (None, text),
    };
    let id = id
        .parse::<u128>()
        .map_err(|_| format!("{text:?} does not parse: expected a walk id `17` or `suite#17`"))?;
    Ok(WalkSelector { suite, id })
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => {
            Err(format!("{other:?} does not parse: expected one of 1, true, yes, on, 0, false, no, off"))
        }
    }
}

/// The package whose tests run: `CARGO_MANIFEST_DIR` (cargo and nextest set it), else the
/// working directory (cargo runs test binaries there).
pub fn package_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(code: Settings, file: Option<&str>, vars: &[(&str, &str)]) -> Result<Config, SetupError> {
        let dir = std::env::temp_dir().join(format!(
            "chaos-config-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        match file {
            Some(text) => std::fs::write(dir.join("chaos.toml"), text).unwrap(),
            None => {
                let _ = std::fs::remove_file(dir.join("chaos.toml"));
            }
        }
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let result = Config::resolve_with(code, &dir, |k| {
            vars.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        });
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    #[test]
    fn environment_overrides_file_which_overrides_code() {
        let code = Settings::new().strategy("random:5").seed(3).timeout("2s");
        let c = resolve(code.clone(), None, &[]).unwrap();
        assert_eq!((c.strategy, c.seed, c.timeout), (Strategy::Random(5), 3, Some(Duration::from_secs(2))));
        let file = "[walks]\nstrategy = \"pairwise\"\nseed = 9\n";
        let c = resolve(code.clone(), Some(file), &[]).unwrap();
        assert_eq!((c.strategy, c.seed), (Strategy::TWise(2), 9));
        let c = resolve(code, Some(file), &[("CHAOS_STRATEGY", "twise:3"), ("CHAOS_SEED", "11")]).unwrap();
        assert_eq!((c.strategy, c.seed), (Strategy::TWise(3), 11));
        let c = resolve(Settings::new(), None, &[]).unwrap();
        assert_eq!((c.strategy, c.seed, c.timeout), (Strategy::Product, 0, Some(DEFAULT_TIMEOUT)));
    }

    #[test]
    fn walk_ids_parse_with_and_without_a_suite() {
        let c = resolve(Settings::new(), None, &[("CHAOS_WALK", "17")]).unwrap();
        assert_eq!(c.walk, Some(WalkSelector { suite: None, id: 17 }));
        let c = resolve(Settings::new(), None, &[("CHAOS_WALK", "bank::ledger#3")]).unwrap();
        let sel = c.walk.unwrap();
        assert_eq!((sel.suite.as_deref(), sel.id), (Some("bank::ledger"), 3));
    }

    #[test]
    fn bad_variables_name_the_variable_and_the_accepted_forms() {
        let cases = [
            ("CHAOS_WALK", "seven", "suite#17"),
            ("CHAOS_GATHER_STATES", "maybe", "expected one of 1, true"),
            ("CHAOS_STRATEGY", "twise:7", "accepted: product, pairwise, twise:N"),
            ("CHAOS_SEED", "-1", "accepted: an integer"),
            ("CHAOS_TIMEOUT", "soon", "accepted: 500ms, 30s"),
            ("CHAOS_SHARD", "4/3", "accepted: k/n"),
            ("CHAOS_THREADS", "0", "accepted: an integer >= 1"),
        ];
        for (key, value, accepted) in cases {
            let e = resolve(Settings::new(), None, &[(key, value)]).unwrap_err();
            assert!(e.message.starts_with(&format!("{key}: ")), "{e}");
            assert!(e.message.contains(accepted), "{key}: {e}");
        }
    }

    #[test]
    fn file_errors_name_the_file_the_line_and_the_accepted_values() {
        let e = resolve(Settings::new(), Some("[walks]\nseed = 1\nstrategy = \"all\"\n"), &[]).unwrap_err();
        assert!(e.message.contains("chaos.toml line 3: `strategy`: \"all\" is not a strategy"), "{e}");
        let e = resolve(Settings::new(), Some("[walks]\nstrategi = \"pairwise\"\n"), &[]).unwrap_err();
        assert!(e.message.contains("chaos.toml") && e.message.contains("line 2"), "{e}");
        assert!(e.message.contains("unknown field `strategi`") && e.message.contains("`strategy`"), "{e}");
        let e = resolve(Settings::new(), Some("[walk]\n"), &[]).unwrap_err();
        assert!(e.message.contains("unknown field `walk`") && e.message.contains("`walks`"), "{e}");
        let e = resolve(Settings::new(), Some("[walks]\n\ntimeout = \"fast\"\n"), &[]).unwrap_err();
        assert!(e.message.contains("line 3: `timeout`"), "{e}");
        let e = resolve(Settings::new(), Some("[walks]\nexclude = [\"deposit\"]\n"), &[]).unwrap_err();
        assert!(e.message.contains("line 2: `exclude`: exclusion \"deposit\""), "{e}");
        let e = resolve(Settings::new(), Some("[walks]\nthreads = \"many\"\n"), &[]).unwrap_err();
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn timeouts_parse_units_and_off() {
        assert_eq!(parse_timeout("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse_timeout("2m"), Ok(Some(Duration::from_secs(120))));
        assert_eq!(parse_timeout("1.5"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(parse_timeout("off"), Ok(None));
        assert!(parse_timeout("-3s").is_err() && parse_timeout("3 days").is_err());
    }
}
