//! Plans beyond the product: covering arrays with constraints, regressions first, timeouts,
//! shards and bad settings, through the fixture's test binaries.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::support::{Ran, walkers};

/// `suite::a=x::b=y` -> {a: x, b: y}.
fn options(name: &str) -> BTreeMap<String, String> {
    name.split("::")
        .skip(1)
        .map(|part| {
            let (a, o) = part.split_once('=').unwrap();
            (a.to_string(), o.to_string())
        })
        .collect()
}

fn allowed(walk: &BTreeMap<String, String>) -> bool {
    let fits = match (walk["transport"].as_str(), walk["port"].as_str()) {
        ("unix", p) => p == "0",
        (_, p) => p != "0",
    };
    fits && !(walk["transport"] == "tls" && walk["compression"] == "zstd")
}

#[test]
fn pairwise_with_constraints_covers_every_valid_pair_and_no_excluded_walk() {
    let f = walkers();
    let listed = Ran::of(f.bin("constrained").arg("--list"));
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let walks: Vec<BTreeMap<String, String>> = listed.listed().iter().map(|n| options(n)).collect();
    let domains: [(&str, &[&str]); 4] = [
        ("transport", &["tcp", "tls", "unix"]),
        ("port", &["0", "1", "443"]),
        ("compression", &["none", "gzip", "zstd"]),
        ("keepalive", &["true", "false"]),
    ];
    // Every walk of the full product that the rules allow, and the pairs they hold.
    let mut product: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
    for (action, values) in domains {
        product = product
            .into_iter()
            .flat_map(|w| {
                values.iter().map(move |v| {
                    let mut w = w.clone();
                    w.insert(action.to_string(), v.to_string());
                    w
                })
            })
            .collect();
    }
    let valid: Vec<_> = product.iter().filter(|w| allowed(w)).collect();
    let pairs = |w: &BTreeMap<String, String>| -> Vec<(String, String, String, String)> {
        let items: Vec<_> = w.iter().collect();
        let mut out = Vec::new();
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                out.push((items[i].0.clone(), items[i].1.clone(), items[j].0.clone(), items[j].1.clone()));
            }
        }
        out
    };
    let valid_pairs: BTreeSet<_> = valid.iter().flat_map(|w| pairs(w)).collect();
    let covered: BTreeSet<_> = walks.iter().flat_map(pairs).collect();
    for walk in &walks {
        assert!(allowed(walk), "an impossible walk was planned: {walk:?}");
    }
    let missing: Vec<_> = valid_pairs.difference(&covered).collect();
    assert!(missing.is_empty(), "valid pairs not covered: {missing:?}");
    assert!(walks.len() < valid.len(), "pairwise planned {} of {} walks", walks.len(), valid.len());
    let ran = Ran::of(&mut f.bin("constrained"));
    assert_eq!(ran.counts(), (walks.len(), 0), "{}", ran.stdout);
    // The same seed gives the same walks; the plan does not depend on the run.
    assert_eq!(Ran::of(f.bin("constrained").arg("--list")).listed(), listed.listed());
}

#[test]
fn a_failing_walk_is_recorded_and_runs_first_next_time_under_pairwise() {
    let f = walkers();
    let home = tempfile::tempdir().unwrap();
    let regressions = home.path().join("chaos-regressions").join("regress.txt");
    let pairwise = Ran::of(f.bin("regress").arg("--list").current_dir(home.path()));
    assert!(pairwise.listed().len() < 27);
    let found = Ran::of(f.bin("regress").current_dir(home.path()).env("CHAOS_STRATEGY", "product"));
    assert_eq!(found.counts(), (26, 1), "{}", found.stdout);
    let text = std::fs::read_to_string(&regressions).unwrap();
    assert!(text.lines().any(|l| l.starts_with("regress::a=2::b=2::c=2  # plan ")), "{text}");
    let again = Ran::of(f.bin("regress").arg("--list").current_dir(home.path()));
    assert_eq!(again.listed().first().map(String::as_str), Some("regress::a=2::b=2::c=2"));
    assert_eq!(
        again.listed().len(),
        pairwise.listed().len()
            + usize::from(!pairwise.listed().contains(&"regress::a=2::b=2::c=2".to_string()))
    );
    let trace = home.path().join("trace");
    let rerun = Ran::of(
        f.bin("regress")
            .args(["--test-threads", "1"])
            .current_dir(home.path())
            .env("CHAOS_TRACE_DIR", &trace),
    );
    assert_eq!(rerun.counts().1, 1, "{}", rerun.stdout);
    let first = std::fs::read_to_string(trace.join("regress.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(first["name"], "regress::a=2::b=2::c=2");
    assert_eq!(first["outcome"], "failed");
    // Recorded once, not once per run.
    let text = std::fs::read_to_string(&regressions).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("regress::")).count(), 1, "{text}");
}

#[test]
fn a_hung_action_times_out_naming_the_action_and_the_other_walks_pass() {
    let f = walkers();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let ran = Ran::of(f.bin("sleepy").current_dir(dir.path()).env("CHAOS_TRACE_DIR", dir.path()));
    assert!(started.elapsed() < Duration::from_secs(15), "the run waited for the hung actions");
    assert_eq!(ran.counts(), (3, 3), "{}", ran.stdout);
    assert!(
        ran.stdout.contains(
            "action `nap` with option `long` timed out in suite `sleepy`: the walk overran its 300ms timeout"
        ),
        "{}",
        ran.stdout
    );
    let quick = Ran::of(f.bin("sleepy").current_dir(dir.path()).env("CHAOS_TIMEOUT", "off").arg("nap=short"));
    assert_eq!(quick.counts(), (3, 0));
}

fn shard_lists(bin: &str, n: u32) -> Vec<Vec<String>> {
    let f = walkers();
    (1..=n)
        .map(|k| {
            let ran = Ran::of(f.bin(bin).arg("--list").env("CHAOS_SHARD", format!("{k}/{n}")));
            assert_eq!(ran.code, Some(0), "{}", ran.stderr);
            ran.listed()
        })
        .collect()
}

#[test]
fn three_shards_run_every_walk_once_and_keep_serial_branches_whole() {
    let f = walkers();
    for bin in ["failing", "serial", "constrained"] {
        let all: BTreeSet<String> = Ran::of(f.bin(bin).arg("--list")).listed().into_iter().collect();
        let shards = shard_lists(bin, 3);
        let mut union = BTreeSet::new();
        for name in shards.iter().flatten() {
            assert!(union.insert(name.clone()), "{bin}: {name} is in two shards");
        }
        assert_eq!(union, all, "{bin}: the shards' union differs from the unsharded run");
    }
    for branch in ["migrate=v1", "migrate=v2"] {
        let holding: Vec<usize> = shard_lists("serial", 3)
            .iter()
            .enumerate()
            .filter(|(_, names)| names.iter().any(|n| n.contains(branch)))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(holding.len(), 1, "branch {branch} is split across shards {holding:?}");
    }
    let sharded = Ran::of(f.bin("failing").env("CHAOS_SHARD", "2/3"));
    assert_eq!(sharded.counts().0 + sharded.counts().1, 2);
}

#[test]
fn bad_settings_name_the_variable_and_the_accepted_forms() {
    let f = walkers();
    let too_strong = Ran::of(f.bin("bank").env("CHAOS_STRATEGY", "twise:4"));
    assert_eq!(too_strong.code, Some(101));
    assert!(
        too_strong
            .stderr
            .contains("suite `bank`: strategy twise:4 needs at least 4 actions with options, and it has 3"),
        "{}",
        too_strong.stderr
    );
    for (key, value, accepted) in [
        ("CHAOS_STRATEGY", "all", "accepted: product, pairwise, twise:N (N = 2 to 4), random:N"),
        ("CHAOS_SEED", "x", "accepted: an integer"),
        ("CHAOS_SHARD", "3/2", "accepted: k/n with 1 <= k <= n"),
        ("CHAOS_TIMEOUT", "soon", "accepted: 500ms, 30s, 2m, 1h"),
    ] {
        let ran = Ran::of(f.bin("bank").env(key, value));
        assert_eq!(ran.code, Some(101), "{key}");
        assert!(
            ran.stderr.contains(&format!("error: {key}: ")) && ran.stderr.contains(accepted),
            "{}",
            ran.stderr
        );
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    }
}

#[test]
fn random_sampling_is_seeded_and_without_duplicates() {
    let f = walkers();
    let list = |seed: &str| {
        Ran::of(f.bin("regress").arg("--list").env("CHAOS_STRATEGY", "random:10").env("CHAOS_SEED", seed))
            .listed()
    };
    let a = list("4");
    assert_eq!(a.len(), 10);
    assert_eq!(a.iter().collect::<BTreeSet<_>>().len(), 10);
    assert_eq!(a, list("4"));
    assert_ne!(a, list("5"));
}
