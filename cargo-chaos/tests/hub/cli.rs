//! `cargo chaos hub` on the command line: mistakes are messages and exit 1, never panics.

use std::process::Command;

use crate::support::BIN;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().expect("run cargo-chaos");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn token_commands_name_their_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/hub.db").display().to_string();
    let (code, err) = run(&["hub", "token", "create", "--db", &db, "--org", "my org", "--team", "t"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("organization \"my org\" must be 1 to 64 of"), "{err}");
    assert!(!err.contains("panicked"));
    // The store was created on first use, in a directory made for it.
    let (code, err) = run(&["hub", "token", "revoke", "--db", &db, "chs_unknown"]);
    assert_eq!(code, 1);
    assert!(err.contains("no live token \"chs_unknown\""), "{err}");
    let (code, _) =
        run(&["hub", "token", "create", "--db", &db, "--org", "o", "--team", "t", "--label", "ci"]);
    assert_eq!(code, 0);
    let out = Command::new(BIN).args(["hub", "token", "list", "--db", &db, "--org", "o"]).output().unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(list.contains("\tt\tmember\tlive\tci"), "{list}");
    assert!(!list.contains("chs_"), "secrets are never listed");
}

#[test]
fn an_unreachable_postgres_is_an_error_not_a_panic() {
    let port = crate::support::free_port();
    let url = format!("postgres://u:secret@127.0.0.1:{port}/db?connect_timeout=5");
    let (code, err) = run(&["hub", "--listen", "127.0.0.1:0", "--db", &url]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("connect to PostgreSQL"), "{err}");
    assert!(!err.contains("secret"), "the password is left out: {err}");
}
