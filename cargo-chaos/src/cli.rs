//! Command-line parsing. Cargo runs `cargo-chaos chaos ARGS` for `cargo chaos ARGS`; running
//! `cargo-chaos ARGS` directly works too.
//!
//! Subcommands land here as each part of chaos-test gains one that works end to end.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::proxy::ProxyArgs;

/// Chaos and resilience testing for Rust.
///
/// Walks run through `cargo test` (see the chaos-test crate); this binary holds what runs
/// outside it.
#[derive(Debug, Parser)]
#[command(name = "cargo chaos", bin_name = "cargo chaos", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a TCP fault proxy in front of an upstream until interrupted.
    Proxy(ProxyArgs),
    /// Find code the tests do not check: mutate it and see whether a test fails.
    Mutate(crate::mutate::MutateArgs),
    /// Load-test a URL with no code, or the `#[chaos_scenario]`s of a test target.
    Load(Box<crate::load::LoadArgs>),
    /// Merge the load results of shards (histograms add exactly) and judge the thresholds.
    Merge(crate::load::MergeArgs),
    /// Serve the hub: receives published experiments and executions, shows them on web pages.
    #[cfg(feature = "hub")]
    Hub(crate::hub::HubArgs),
}

/// Exit codes: 0 success; 1 a usage error or a runtime failure (a port in use, an upstream
/// that does not resolve, a path that is not a cargo project). `mutate` adds its own: see
/// `mutate::exit`; `load` exits 99 when a threshold fails.
const FAILED: u8 = 1;

/// Parses the arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `cargo chaos ...` arrives as `cargo-chaos chaos ...`.
    if args.get(1).is_some_and(|a| a == "chaos") {
        args.remove(1);
    }
    // Usage errors exit 1, not clap's 2: `mutate` uses 2 for missed mutants (as cargo-mutants).
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { FAILED } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Proxy(args) => crate::proxy::run(args).map(|()| 0),
        Command::Mutate(args) => crate::mutate::run(args),
        Command::Load(args) => crate::load::run(*args),
        Command::Merge(args) => crate::load::merge(args),
        #[cfg(feature = "hub")]
        Command::Hub(args) => crate::hub::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(FAILED)
        }
    }
}
