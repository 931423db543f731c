//! `cargo chaos`: thin entry point; the work is in `cli`.

mod cli;
mod load;
mod mutate;
mod proxy;

fn main() -> std::process::ExitCode {
    cli::main()
}
