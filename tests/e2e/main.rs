//! End-to-end tests: build fixture crates as a user would (a fresh crate depending on
//! chaos-test by path) and drive their test binaries, `cargo test` and `cargo nextest`.

mod example;
mod load;
mod plans;
mod proxy;
mod servers;
mod support;
mod walks;
