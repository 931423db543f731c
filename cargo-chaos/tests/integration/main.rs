//! Integration tests of the `cargo chaos` binary, on fixture crates from `testdata/` copied to
//! temp dirs (the user's tree in these tests).

mod load;
mod mutate;
#[cfg(feature = "toxiproxy")]
mod toxiproxy;
