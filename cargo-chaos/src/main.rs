//! `cargo chaos`: thin entry point; the work is in `cli`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
