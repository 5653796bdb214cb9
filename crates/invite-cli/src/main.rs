//! The `invite` binary: everything lives in the `invite_cli` library.

fn main() -> std::process::ExitCode {
    invite_cli::main_with_args(std::env::args_os())
}
