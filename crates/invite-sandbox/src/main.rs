//! `invite-sandbox [--port N] [--seed FILE]`: runs the local vendor API emulator.

#[tokio::main]
async fn main() {
    if let Err(e) = invite_sandbox::run_cli(std::env::args().skip(1)).await {
        eprintln!("invite-sandbox: {e}");
        if e.kind() == std::io::ErrorKind::InvalidInput {
            eprint!("{}", invite_sandbox::USAGE);
            std::process::exit(2);
        }
        std::process::exit(1);
    }
}
