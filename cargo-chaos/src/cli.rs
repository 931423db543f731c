//! Command-line parsing. Cargo runs `cargo-chaos chaos ARGS` for `cargo chaos ARGS`; running
//! `cargo-chaos ARGS` directly works too.
//!
//! Subcommands land here as each part of chaos-test gains one that works end to end.

use std::process::ExitCode;

use clap::Parser;

/// Chaos and resilience testing for Rust.
///
/// Walks run through `cargo test` (see the chaos-test crate); this binary will hold the
/// subcommands that run outside it: mutate, proxy, load, publish and hub.
#[derive(Debug, Parser)]
#[command(name = "cargo chaos", bin_name = "cargo chaos", version, about, long_about = None)]
pub struct Cli {}

/// Exit codes: 0 success, 2 usage error (clap's).
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `cargo chaos ...` arrives as `cargo-chaos chaos ...`.
    if args.get(1).is_some_and(|a| a == "chaos") {
        args.remove(1);
    }
    let _cli = Cli::parse_from(args);
    ExitCode::SUCCESS
}
