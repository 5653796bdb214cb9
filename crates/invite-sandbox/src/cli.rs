//! The `invite-sandbox` binary's command line: options, usage text and [`run_cli`].

use std::io::{self, Write};
use std::path::PathBuf;

use crate::{Sandbox, SandboxConfig, Settings};

/// Command-line options of the `invite-sandbox` binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliOptions {
    /// `--port N` (0 = any free port).
    pub port: u16,
    /// `--seed FILE`.
    pub seed: Option<PathBuf>,
    /// `--help` was given.
    pub help: bool,
}

/// Onboarding defaults printed with the settings, so that the printed lines alone let
/// `invite onboard EMAIL` invite everywhere: the workspace role pairing a Webflow workspace
/// invitation needs (`member` with the `designer` site role, a pairing Webflow and the
/// sandbox accept). Clients read them as optional settings; embedded sandboxes
/// ([`Settings::env_pairs`]) leave them out, so tests choose their own.
pub const ONBOARDING_DEFAULTS: [(&str, &str); 2] = [
    ("WEBFLOW_WORKSPACE_ROLE", "member"),
    ("WEBFLOW_DEFAULT_SITE_ROLE", "designer"),
];

/// What the binary prints: one `KEY=VALUE` line per setting with the
/// [`ONBOARDING_DEFAULTS`] before the last line, `INVITE_SANDBOX_ADMIN_URL` (a reader that
/// has seen that line has every setting).
pub(crate) fn printed_settings(settings: &Settings) -> String {
    let mut out = String::new();
    for (key, value) in settings.env_pairs() {
        if key == "INVITE_SANDBOX_ADMIN_URL" {
            for (k, v) in ONBOARDING_DEFAULTS {
                out.push_str(&format!("{k}={v}\n"));
            }
        }
        out.push_str(&format!("{key}={value}\n"));
    }
    out
}

/// Usage text of the binary.
pub const USAGE: &str = "usage: invite-sandbox [--port N] [--seed FILE]\n\n\
Starts the local vendor API emulator, prints one KEY=VALUE line per setting \
(INVITE_SANDBOX_ADMIN_URL last), and serves until SIGINT/SIGTERM.\n  --port N     port to listen on (0 = any free port, the default)\n  \
--seed FILE  JSON seed document (see the invite-sandbox docs)\n";

/// Parses `[--port N] [--seed FILE]` (also `--port=N`, `--seed=FILE`, `-h`, `--help`).
pub fn parse_args<I, S>(args: I) -> Result<CliOptions, String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut opts = CliOptions::default();
    let mut it = args.into_iter().map(Into::into);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "-h" | "--help" => opts.help = true,
            "--port" | "-p" => {
                let v = inline.or_else(|| it.next()).ok_or("--port needs a value")?;
                opts.port = v
                    .parse()
                    .map_err(|_| format!("--port: `{v}` is not a port number"))?;
            }
            "--seed" => {
                let v = inline
                    .or_else(|| it.next())
                    .ok_or("--seed needs a file name")?;
                opts.seed = Some(PathBuf::from(v));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(opts)
}

/// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the binary: parses `args` (without the program name), starts the sandbox, prints
/// the `KEY=VALUE` settings on stdout, serves until SIGINT/SIGTERM, then shuts down.
pub async fn run_cli<I, S>(args: I) -> io::Result<()>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let opts = parse_args(args).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if opts.help {
        print!("{USAGE}");
        return io::stdout().flush();
    }
    let mut config = SandboxConfig::default().port(opts.port);
    config.seed_file = opts.seed;
    let sandbox = Sandbox::start_with(config).await?;
    {
        let mut out = io::stdout().lock();
        out.write_all(printed_settings(sandbox.settings()).as_bytes())?;
        out.flush()?;
    }
    wait_for_signal().await;
    sandbox.shutdown().await;
    Ok(())
}
