//! Attribute macros of [chaos-test](https://docs.rs/chaos-test).
//!
//! The macros only parse, validate and register: they re-emit the user's function unchanged
//! and add an `inventory` registration under `::chaos_test::__private`. Combinations are
//! expanded at run time by `chaos_test::main!()`, never here, so a plan of 10^4 walks costs
//! the compiler one function per action instead of one test function per walk.
//!
//! Each entry point is one line; the work happens on `proc_macro2` types in the modules, so it
//! can be unit-tested without a compiler session.
#![warn(missing_docs)]

mod action;
mod args;
mod emit;
mod fault_proxy;
mod init;
mod scenario;

use proc_macro::TokenStream;

/// Registers a function as an action of the walks of its module.
///
/// Forms: `#[chaos_action]` (a step run in every walk), `#[chaos_action(options = [a, b])]`,
/// `#[chaos_action(options = EXPR)]` (any `IntoIterator`, evaluated at run time),
/// plus `serial` (a barrier between phases), `name = "..."` and `crate = path`.
#[proc_macro_attribute]
pub fn chaos_action(args: TokenStream, item: TokenStream) -> TokenStream {
    action::expand(args.into(), item.into()).into()
}

/// Registers a constructor of the initial state of its module's walks, for state types that do
/// not implement `Default`: `#[chaos_init] fn start() -> Bank { ... }`.
#[proc_macro_attribute]
pub fn chaos_init(args: TokenStream, item: TokenStream) -> TokenStream {
    init::expand(args.into(), item.into()).into()
}

/// Starts a fault proxy for a test (`#[fault_proxy(upstream = "127.0.0.1:6379")]` on a test
/// taking one `FaultProxy` parameter), or registers one as a dimension of the module's walks
/// (`#[fault_proxy(faults = [Fault::none(), Fault::reset()])]` on `fn name() -> String`
/// returning the upstream). Needs chaos-test's `proxy` feature.
#[proc_macro_attribute]
pub fn fault_proxy(args: TokenStream, item: TokenStream) -> TokenStream {
    fault_proxy::expand(args.into(), item.into()).into()
}

/// Registers a load-test scenario: `#[chaos_scenario(base_url = "http://127.0.0.1:8080")]` on
/// `async fn name(s: &Session) -> chaos_test::Result`. Optional keys: `init = async_fn`,
/// `cleanup = async_fn` (each over `&Session`), `weight = N`, `base_url` as a string or a
/// `fn() -> String`. Needs chaos-test's `load` feature.
#[proc_macro_attribute]
pub fn chaos_scenario(args: TokenStream, item: TokenStream) -> TokenStream {
    scenario::expand(args.into(), item.into()).into()
}

/// Marks an item that `cargo chaos mutate` must not mutate (like `#[mutants::skip]`). It
/// changes nothing in the compiled code.
#[proc_macro_attribute]
pub fn skip(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
