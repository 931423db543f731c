//! The bundled ledger example: its walks pass, and find the planted bug when it is on.

use std::process::Command;

use crate::support::{Ran, workspace};

fn ledger_walks(features: &[&str]) -> Ran {
    let root = workspace();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["test", "-q", "-p", "ledger-example", "--test", "walks"])
        .args(features)
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", root.join("target").join("e2e").join("target"))
        .env("CHAOS_TRACE_DIR", root.join("target").join("e2e").join("ledger-trace"))
        .env("CHAOS_REGRESSIONS", "off");
    Ran::of(&mut cmd)
}

#[test]
fn ledger_walks_find_the_planted_bug_and_pass_without_it() {
    let clean = ledger_walks(&[]);
    assert_eq!(clean.counts(), (24, 0), "{}\n{}", clean.stdout, clean.stderr);
    let buggy = ledger_walks(&["--features", "planted-bug"]);
    assert_eq!(buggy.counts(), (20, 4), "{}", buggy.stdout);
    // Exactly the funded self-transfers create money.
    for line in buggy.stdout.lines().filter_map(|l| l.strip_prefix("    walks::")) {
        assert!(line.starts_with("fund=100::transfer=AToA::"), "unexpected failure {line}");
    }
    // fund=100, self-transfer of 40 creates 40, then withdraw=1 and no fee: 139 held, 99 net.
    assert!(
        buggy.stdout.contains(
            "action `money_is_conserved` failed in suite `walks`: balances sum to 139 but 99 came in net"
        ),
        "{}",
        buggy.stdout
    );
}
