//! # chaos-test
//!
//! Chaos and resilience testing for Rust. This crate holds the runtime: the walk harness (and,
//! behind features, the fault proxy and the load generator as they land).
//!
//! ## Combinatorial walks
//!
//! An **action** is a function over `&mut State` and one option value. A **walk** takes one
//! option per action and runs the actions in source order on a fresh clone of the initial
//! state. `chaos_test::main!()` makes every walk one test case of `cargo test`, so filters,
//! `--list`, `--exact` and `cargo nextest run` work as usual.
//!
//! ```no_run
//! // tests/bank.rs, with [[test]] name = "bank", harness = false
//! use chaos_test::prelude::*;
//!
//! #[derive(Clone, Debug, Default)]
//! struct Bank { balance: i64 }
//!
//! #[chaos_action(options = [0, 10, -5])]
//! fn deposit(bank: &mut Bank, amount: i64) -> chaos_test::Result {
//!     bank.balance += amount;
//!     Ok(())
//! }
//!
//! #[chaos_action] // no options: runs in every walk
//! fn invariants(bank: &mut Bank) -> chaos_test::Result {
//!     chaos_test::ensure!(bank.balance >= -5, "balance {} below the overdraft", bank.balance);
//!     Ok(())
//! }
//!
//! chaos_test::main!();
//! ```
//!
//! Walk names are `suite::action=option::...` where the suite is the module path. Serial
//! actions (`#[chaos_action(serial, options = [..])]`) are barriers: see [`barrier`].
//!
//! Environment: `CHAOS_WALK=ID` or `CHAOS_WALK=suite#ID` replays one walk by id;
//! `CHAOS_TRACE_DIR` moves the trace (default `target/chaos/`); `CHAOS_GATHER_STATES=1` writes
//! each walk's final state (its `Serialize` JSON, else its `Debug` text) into the trace.
#![warn(missing_docs)]

pub mod barrier;
pub mod config;
pub mod constraint;
pub mod context;
pub mod covering;
pub mod errors;
pub mod harness;
pub mod label;
#[cfg(feature = "load")]
pub mod load;
pub mod plan;
#[cfg(feature = "proxy")]
pub mod proxy;
pub mod registry;
pub mod regressions;
pub mod rng;
pub mod shard;
pub mod strategy;
pub mod suite;
pub mod timeout;
pub mod trace;
pub mod walk;

#[cfg(feature = "load")]
pub use chaos_test_macros::chaos_scenario;
pub use chaos_test_macros::{chaos_action, chaos_init, skip};
pub use constraint::WalkView;
pub use errors::{Error, Failure, Result, SetupError, SetupErrorKind};
pub use strategy::Strategy;

/// Everything a walk file needs: `use chaos_test::prelude::*;`.
pub mod prelude {
    pub use crate::{chaos_action, chaos_init};
}

/// Fails the action with a message unless the condition holds.
///
/// `ensure!(cond)` reports the condition's source text; `ensure!(cond, "fmt", args..)` a
/// message of your own.
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        if !$cond {
            return ::core::result::Result::Err(::core::convert::From::from($crate::Failure(
                ::std::format!("condition failed: `{}`", ::core::stringify!($cond)),
            )));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return ::core::result::Result::Err(::core::convert::From::from($crate::Failure(
                ::std::format!($($arg)+),
            )));
        }
    };
}

/// Fails the action at once with a formatted message.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)+) => {
        return ::core::result::Result::Err(::core::convert::From::from($crate::Failure(::std::format!($($arg)+))))
    };
}

/// The `main` of a `harness = false` test target: runs every registered walk.
///
/// Settings may be given as `key = value` pairs, each a method of
/// [`config::Settings`]: `strategy`, `seed`, `timeout`, `threads`, `gather_states`,
/// `trace_dir`, `regressions`, `exclude`, `constraint`, `constraints`. `chaos.toml` and
/// `CHAOS_*` variables override them.
///
/// ```no_run
/// fn frozen_accounts_take_no_deposits(w: &chaos_test::constraint::WalkView) -> bool {
///     !(w.is("freeze", "true") && w.is("deposit", "10"))
/// }
/// chaos_test::main!(strategy = "pairwise", seed = 7, timeout = "10s", constraint = frozen_accounts_take_no_deposits);
/// ```
#[macro_export]
macro_rules! main {
    () => {
        fn main() -> ::std::process::ExitCode {
            $crate::harness::main()
        }
    };
    ($($key:ident = $value:expr),+ $(,)?) => {
        fn main() -> ::std::process::ExitCode {
            $crate::harness::main_with($crate::config::Settings::new()$(.$key($value))+)
        }
    };
}

/// Hidden paths for the macros' generated code. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__state_fns as state_fns;
    #[cfg(feature = "load")]
    pub use crate::load::scenario::{ScenarioDef, StepFuture};
    pub use crate::registry::{
        ActionDef, BuiltAction, BuiltInit, InitDef, StateFns, init, probe, step, with_options,
    };
    pub use inventory;
}
