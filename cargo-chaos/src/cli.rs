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
}

/// Exit codes: 0 success; 1 a runtime failure (a port in use, an upstream that does not
/// resolve); 2 a usage error (clap exits with it before anything runs).
const FAILED: u8 = 1;

/// Parses the arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `cargo chaos ...` arrives as `cargo-chaos chaos ...`.
    if args.get(1).is_some_and(|a| a == "chaos") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Proxy(args) => crate::proxy::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(FAILED)
        }
    }
}
