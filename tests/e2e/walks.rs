//! Walks as test cases: the DESIGN.md example unchanged, libtest's flags, failures, serial
//! barriers, the trace and replay, nextest, and set-up errors.

use std::collections::BTreeSet;

use crate::support::{Ran, walkers};

const BANK_WALKS: [&str; 6] = [
    "bank::deposit=0::freeze=true::migrate=v2",
    "bank::deposit=0::freeze=false::migrate=v2",
    "bank::deposit=10::freeze=true::migrate=v2",
    "bank::deposit=10::freeze=false::migrate=v2",
    "bank::deposit=-5::freeze=true::migrate=v2",
    "bank::deposit=-5::freeze=false::migrate=v2",
];

#[test]
fn design_example_lists_and_runs_exactly_six_walks() {
    let f = walkers();
    let list = Ran::of(f.bin("bank").arg("--list"));
    assert_eq!(list.listed(), BANK_WALKS, "{}", list.stdout);
    let listed_by_cargo = Ran::of(&mut f.cargo(&["test", "-q", "--test", "bank", "--", "--list"]));
    assert_eq!(listed_by_cargo.listed(), BANK_WALKS);
    let ran = Ran::of(&mut f.bin("bank"));
    assert_eq!(ran.counts(), (6, 0), "{}", ran.stdout);
    assert_eq!(ran.code, Some(0));
}

#[test]
fn nextest_lists_runs_and_partitions_the_same_six_walks() {
    let f = walkers();
    let ran = Ran::of(&mut f.cargo(&["nextest", "run", "--test", "bank", "--no-fail-fast"]));
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("6 tests run: 6 passed"), "{}", ran.stderr);
    for name in BANK_WALKS {
        assert!(ran.stderr.contains(name), "nextest did not run {name}:\n{}", ran.stderr);
    }
    let mut union = BTreeSet::new();
    for part in ["count:1/2", "count:2/2"] {
        let listed = Ran::of(&mut f.cargo(&[
            "nextest",
            "list",
            "--test",
            "bank",
            "--partition",
            part,
            "--message-format",
            "oneline",
        ]));
        assert_eq!(listed.code, Some(0), "{}", listed.stderr);
        for line in listed.stdout.lines().filter(|l| !l.trim().is_empty()) {
            let name = line.split_whitespace().last().unwrap().to_string();
            assert!(union.insert(name.clone()), "{name} listed in two partitions");
        }
    }
    assert_eq!(union, BANK_WALKS.iter().map(|s| s.to_string()).collect());
}

#[test]
fn filters_skip_exact_and_ignored_behave_as_in_libtest() {
    let f = walkers();
    let filtered = Ran::of(f.bin("bank").arg("freeze=true"));
    assert_eq!(filtered.counts(), (3, 0));
    assert!(filtered.stdout.contains("3 filtered out"), "{}", filtered.stdout);
    let skipped = Ran::of(f.bin("bank").args(["--skip", "deposit=10", "--skip", "deposit=0"]));
    assert_eq!(skipped.counts(), (2, 0));
    let exact = Ran::of(f.bin("bank").args(["--exact", BANK_WALKS[3]]));
    assert_eq!(exact.counts(), (1, 0));
    assert!(exact.stdout.contains(BANK_WALKS[3]));
    let not_exact = Ran::of(f.bin("bank").args(["--exact", "bank::deposit=10"]));
    assert_eq!(not_exact.counts(), (0, 0));
    let ignored = Ran::of(f.bin("bank").arg("--ignored"));
    assert_eq!(ignored.counts(), (0, 0));
    let included = Ran::of(f.bin("bank").arg("--include-ignored"));
    assert_eq!(included.counts(), (6, 0));
    for threads in ["1", "8"] {
        let ran = Ran::of(f.bin("bank").args(["--test-threads", threads]));
        assert_eq!(ran.counts(), (6, 0), "--test-threads {threads}");
    }
}

#[test]
fn failing_and_panicking_actions_fail_only_their_own_walks() {
    let f = walkers();
    let trace = tempfile::tempdir().unwrap();
    let ran = Ran::of(f.bin("failing").env("CHAOS_TRACE_DIR", trace.path()));
    // add=2 fails by Err (2 walks); mood=boom panics in the other 2 add options (2 walks).
    assert_eq!(ran.counts(), (2, 4), "{}", ran.stdout);
    assert_eq!(ran.code, Some(101));
    assert!(
        ran.stdout.contains(
            "action `add` with option `2` failed in suite `failing`: two is not allowed (value was 0)"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "action `mood` with option `boom` panicked in suite `failing`: panic: exploded at value 3"
        ),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("steps done before it: add=3"), "{}", ran.stdout);
    let failed: BTreeSet<&str> = ran.stdout.lines().filter_map(|l| l.strip_prefix("    ")).collect();
    assert_eq!(
        failed,
        BTreeSet::from([
            "failing::add=1::mood=boom",
            "failing::add=2::mood=calm",
            "failing::add=2::mood=boom",
            "failing::add=3::mood=boom",
        ])
    );
}

#[test]
fn trace_has_one_line_per_walk_and_replays_reproduce_failures() {
    let f = walkers();
    let trace = tempfile::tempdir().unwrap();
    let ran = Ran::of(f.bin("failing").env("CHAOS_TRACE_DIR", trace.path()).env("CHAOS_GATHER_STATES", "1"));
    assert_eq!(ran.counts(), (2, 4));
    let text = std::fs::read_to_string(trace.path().join("failing.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "{text}");
    let ids: BTreeSet<u64> = lines.iter().map(|l| l["walk_id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (0..6).collect());
    let passed = lines.iter().find(|l| l["name"] == "failing::add=1::mood=calm").unwrap();
    assert_eq!(passed["outcome"], "passed");
    assert_eq!(passed["walk_id"], 0, "add=1 (first), mood=calm (first)");
    assert_eq!(passed["state"], serde_json::json!({"value": 10}));
    assert_eq!(
        passed["options"],
        serde_json::json!([{"action": "add", "option": "1"}, {"action": "mood", "option": "calm"}])
    );
    let failed = lines.iter().find(|l| l["name"] == "failing::add=3::mood=boom").unwrap();
    assert_eq!((failed["outcome"].as_str(), failed["walk_id"].as_u64()), (Some("failed"), Some(5)));
    assert_eq!(failed["failed_action"], "mood");
    let fingerprints: BTreeSet<&str> = lines.iter().map(|l| l["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fingerprints.len(), 1);

    let by_name = Ran::of(
        f.bin("failing").args(["--exact", "failing::add=3::mood=boom"]).env("CHAOS_TRACE_DIR", trace.path()),
    );
    assert_eq!(by_name.counts(), (0, 1));
    assert!(by_name.stdout.contains("panic: exploded at value 3"), "{}", by_name.stdout);
    let by_id = Ran::of(f.bin("failing").env("CHAOS_WALK", "5").env("CHAOS_TRACE_DIR", trace.path()));
    assert_eq!(by_id.counts(), (0, 1));
    assert!(by_id.stdout.contains("failing::add=3::mood=boom"), "{}", by_id.stdout);
    assert!(by_id.stdout.contains("panic: exploded at value 3"));
    let by_suite_id =
        Ran::of(f.bin("failing").env("CHAOS_WALK", "failing#3").env("CHAOS_TRACE_DIR", trace.path()));
    assert_eq!(by_suite_id.counts(), (0, 1));
    assert!(by_suite_id.stdout.contains("failing::add=2::mood=boom"), "{}", by_suite_id.stdout);
    // Replays append to the trace instead of wiping the full run's lines.
    let appended = std::fs::read_to_string(trace.path().join("failing.jsonl")).unwrap();
    assert_eq!(appended.lines().count(), 9);
}

#[test]
fn serial_action_runs_once_per_option_after_every_walk_reached_it() {
    let f = walkers();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serial.log");
    let ran = Ran::of(
        f.bin("serial")
            .args(["--test-threads", "8"])
            .env("SERIAL_LOG", &log)
            .env("CHAOS_TRACE_DIR", dir.path()),
    );
    assert_eq!(ran.counts(), (60, 0), "{}", ran.stdout);
    let text = std::fs::read_to_string(&log).unwrap();
    let mut runs: Vec<(String, usize)> = text
        .lines()
        .map(|l| {
            let (option, reached) = l.split_once(' ').unwrap();
            (option.to_string(), reached.parse().unwrap())
        })
        .collect();
    runs.sort();
    assert_eq!(runs.len(), 2, "the serial action ran {} times:\n{text}", runs.len());
    assert_eq!(runs.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["v1", "v2"]);
    // Each branch's 30 walks all reached the barrier before its serial action ran.
    let mut reached: Vec<usize> = runs.iter().map(|r| r.1).collect();
    reached.sort();
    assert_eq!(reached, [30, 60], "{text}");
}

#[test]
fn one_walk_alone_runs_its_serial_action_inline() {
    let f = walkers();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serial.log");
    let ran = Ran::of(
        f.bin("serial")
            .args(["--exact", "serial::before=2::migrate=v2::after=7"])
            .env("SERIAL_LOG", &log)
            .env("CHAOS_TRACE_DIR", dir.path()),
    );
    assert_eq!(ran.counts(), (1, 0), "{}", ran.stdout);
    assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), "v2 1");
}

#[test]
fn set_up_errors_name_the_suite_and_action_without_a_panic() {
    let f = walkers();
    let empty = Ran::of(&mut f.bin("empty_options"));
    assert_eq!(empty.code, Some(101));
    assert!(
        empty.stderr.contains("suite `empty_options`: action `size`")
            && empty.stderr.contains("empty option list"),
        "{}",
        empty.stderr
    );
    let mixed = Ran::of(&mut f.bin("mixed_states"));
    assert_eq!(mixed.code, Some(101));
    assert!(mixed.stderr.contains("actions disagree on the state type"), "{}", mixed.stderr);
    assert!(
        mixed.stderr.contains("mixed_states::Apples") && mixed.stderr.contains("mixed_states::Pears"),
        "{}",
        mixed.stderr
    );
    let unknown = Ran::of(f.bin("bank").env("CHAOS_WALK", "bank#99"));
    assert_eq!(unknown.code, Some(101));
    assert!(
        unknown.stderr.contains("CHAOS_WALK: suite `bank` has no walk 99; `bank` has walks 0..6"),
        "{}",
        unknown.stderr
    );
    let garbage = Ran::of(f.bin("bank").env("CHAOS_WALK", "seven"));
    assert!(garbage.stderr.contains("expected a walk id `17` or `suite#17`"), "{}", garbage.stderr);
    for ran in [&empty, &mixed, &unknown, &garbage] {
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    }
}
