//! `cargo chaos`: thin entry point; the work is in `cli`.

mod cli;
#[cfg(feature = "hub")]
mod hub;
mod load;
mod mutate;
mod proxy;
#[cfg(feature = "toxiproxy")]
mod toxiproxy;

fn main() -> std::process::ExitCode {
    cli::main()
}
