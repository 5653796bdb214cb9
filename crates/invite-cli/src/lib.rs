//! # invite-cli
//!
//! The `invite` command: onboard, offboard, find and bulk-invite one person across SaaS
//! tools (Webflow site users, workspace members and SCIM, Flatfile, awork, any SCIM 2.0 service) through `invite-core`'s
//! [`Orchestrator`](invite_core::onboard::Orchestrator).
//!
//! ```text
//! invite onboard EMAIL [--name "Ada Lovelace"] [--to p1,p2] [--dry-run] [--json] [--journal FILE]
//!                      [--workspace-role ROLE] [--default-site-role ROLE] [--site SITE_ID=ROLE]...
//!                      [--no-email] [--codes FILE] [--print-codes]
//! invite offboard EMAIL [--deactivate|--delete] [--max-accounts N] [--to ..] [--dry-run] [--json]
//! invite find EMAIL [--to ..] [--json]
//! invite bulk FILE.csv [--to ..] [--concurrency N] [--journal FILE] [--json] [--dry-run]
//!                      [--no-email] [--codes FILE] [--print-codes]
//! invite plan ROSTER [--authoritative] [--reinvite-lapsed] [--to ..] [--json]
//! invite apply ROSTER [--authoritative] [--reinvite-lapsed] [--max-removals N] [--journal FILE]
//! invite snapshot --out FILE [--format json|csv]
//! invite diff OLD NEW|live [--json]
//! invite report [--roster FILE] [--snapshot FILE] [--stale-days N] [--json]
//! invite sandbox [--port N] [--seed FILE]
//! global: --config FILE, --verbose, --redis URL
//! ```
//!
//! With `--redis URL` (or `INVITE_REDIS_URL`, or `redis_url` at the top of the config file)
//! several `invite` processes, on one machine or many, share one rate budget per vendor
//! scope, never invite one person twice, and resume each other's runs: see [`coord`].
//!
//! Providers are configured from their adapters' environment variables or from a TOML file
//! (`--config`): see [`config`] for the format and `invite --help` for every variable.
//!
//! Exit codes: 0 when every provider succeeded or already had the person, 1 when any
//! failed, was uncertain or was skipped (or a bulk row was invalid), 2 for usage and
//! configuration errors (nothing was sent). `--json` prints exactly one JSON document on
//! stdout; every non-zero exit also prints a one-line reason (`error: …`) on stderr, with or
//! without `--json`. Secrets are never printed: every line the CLI writes, including
//! `--verbose` (or `RUST_LOG`) logs, is scrubbed of the configured tokens, and invitation
//! codes go only where `--codes FILE` or `--print-codes` sends them (see [`codes`]).
#![warn(missing_docs)]

pub mod bulk;
pub mod codes;
pub mod commands;
pub mod config;
pub mod coord;
pub mod desired;
pub mod output;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// An error that ends a run.
#[derive(Debug)]
pub enum CliError {
    /// Usage or configuration: nothing was sent (exit 2).
    Usage(String),
    /// The run was refused or could not finish (exit 1).
    Failed(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
    fn message(&self) -> &str {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => m,
        }
    }
}

const AFTER_HELP: &str = "\
Exit codes: 0 every provider succeeded or already had the person; 1 any failed, uncertain or \
skipped (or an invalid bulk row); 2 usage or configuration error (nothing was sent). Every \
non-zero exit prints a one-line reason (error: ...) on stderr, with --json too.

Invitation codes (--codes FILE, --print-codes): FILE is created new (an existing path is \
refused before any request), readable by its owner only (mode 0600), one JSON object per \
line: email, provider, code, expires_at. Codes are printed only with --print-codes.

Configuration file (--config FILE): TOML, one table per provider named as in --to; keys are \
the config-file keys below (FLATFILE_ROLE_ID -> role_id; the variable's name works too). \
With --config only providers with a table are used, and a key missing from a table is read \
from its environment variable (so tokens can stay in the environment). Lists may be arrays or \
comma-separated strings; site_grants may be an inline table { SITE_ID = \"ROLE\" }.

  [flatfile]
  role_id = \"us_rol_member\"
  account_id = \"us_acc_main\"

  [webflow-workspace]
  workspace_id = \"65f0c8c9e1c9d440000e8d8c\"
  workspace_role = \"member\"
  default_site_role = \"designer\"
";

/// Invite, find and remove one person across SaaS tools.
#[derive(Debug, Parser)]
#[command(name = "invite", version, about, after_long_help = long_help())]
pub struct Cli {
    /// TOML file configuring the providers (one table per provider; see --help).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log requests and decisions to stderr (tokens are never shown). RUST_LOG, when set,
    /// chooses the log levels instead.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Redis shared by several workers (`redis://[:password@]host:port[/db]`): one rate budget
    /// per vendor scope, one invitation per person, one journal. Default: INVITE_REDIS_URL,
    /// or `redis_url` in the config file.
    #[arg(long, global = true, value_name = "URL")]
    pub redis: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

fn long_help() -> String {
    format!("{AFTER_HELP}\n{}", config::providers_help())
}

/// Options shared by the commands that talk to providers.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// Only these providers (comma-separated; the list comes from the registry). Default:
    /// every configured provider.
    #[arg(long, value_delimiter = ',', value_name = "PROVIDERS", help = config::to_help())]
    pub to: Vec<String>,
    /// Print exactly one JSON document on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The grants of the `webflow-workspace` provider for this run.
#[derive(Debug, Args, Clone, Default)]
pub struct WorkspaceGrants {
    /// webflow-workspace: the workspace role (admin, member, reviewer, client).
    #[arg(long, value_name = "ROLE")]
    pub workspace_role: Option<String>,
    /// webflow-workspace: the default site role paired with it (site_manager, designer,
    /// marketer, content_editor, reviewer, custom:ID).
    #[arg(long, value_name = "ROLE")]
    pub default_site_role: Option<String>,
    /// webflow-workspace: invite to this site with this site role instead of all sites
    /// (repeatable; ROLE may be custom:ID). With --default-site-role, a site with another
    /// role is granted on the first onboard run after the invitee has accepted.
    #[arg(long = "site", value_name = "SITE_ID=ROLE")]
    pub sites: Vec<String>,
}

impl WorkspaceGrants {
    /// Whether any flag was given.
    pub fn is_empty(&self) -> bool {
        self.workspace_role.is_none() && self.default_site_role.is_none() && self.sites.is_empty()
    }
}

/// The arguments of `invite bulk`.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// The CSV file, with a header row.
    pub file: PathBuf,
    /// People processed at once (each person's providers run concurrently).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// The journal that makes re-runs resume (default: FILE.journal.jsonl beside the CSV).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Look everyone up and report what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Provider selection and output format.
    #[command(flatten)]
    pub common: Common,
    /// The webflow-workspace grants.
    #[command(flatten)]
    pub grants: WorkspaceGrants,
    /// Email delivery and invitation codes.
    #[command(flatten)]
    pub codes: codes::CodeArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Invite someone into every configured tool (never twice).
    Onboard {
        /// Their email address.
        email: String,
        /// Their name ("Ada Lovelace"); without it Flatfile, which requires one, gets the
        /// address's local part.
        #[arg(long)]
        name: Option<String>,
        /// Look them up and report what would be done; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Record outcomes in this JSON-lines journal and resume from it.
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        /// Provider selection and output format.
        #[command(flatten)]
        common: Common,
        /// The webflow-workspace grants.
        #[command(flatten)]
        grants: WorkspaceGrants,
        /// Email delivery and invitation codes.
        #[command(flatten)]
        codes: codes::CodeArgs,
    },
    /// Deactivate or remove someone everywhere.
    Offboard {
        /// Their email address.
        email: String,
        /// Only deactivate; tools that cannot are reported as skipped.
        #[arg(long, conflicts_with = "delete")]
        deactivate: bool,
        /// Remove everywhere (pending invitations are cancelled).
        #[arg(long)]
        delete: bool,
        /// Refuse (before any change) to touch more accounts than this (default 10).
        #[arg(long, value_name = "N", default_value_t = 10)]
        max_accounts: usize,
        /// Report what would be done; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Provider selection and output format.
        #[command(flatten)]
        common: Common,
    },
    /// Show every account someone has.
    Find {
        /// Their email address.
        email: String,
        /// Provider selection and output format.
        #[command(flatten)]
        common: Common,
    },
    /// Onboard everyone in a CSV file (columns: email, and name or given_name,family_name).
    Bulk(BulkArgs),
    /// Desired state: plan, apply, snapshot, diff and report over a roster.
    #[command(flatten)]
    Desired(desired::DesiredCommand),
    /// Run the local vendor API emulator and print its KEY=VALUE settings.
    Sandbox {
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// JSON seed document.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
    },
}

/// Runs the CLI with `args` (including the program name) and returns the exit code.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(cli))
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    if let Command::Sandbox { port, seed } = &cli.command {
        let mut args = vec!["--port".to_owned(), port.to_string()];
        if let Some(seed) = seed {
            args.push("--seed".to_owned());
            args.push(seed.display().to_string());
        }
        return match invite_sandbox::run_cli(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("error: the sandbox stopped: {e}");
                ExitCode::from(1)
            }
        };
    }
    let source = match config::ConfigSource::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", e.message());
            return ExitCode::from(e.code());
        }
    };
    let redis_url = source.redis_url(cli.redis.as_deref());
    let mut secrets = source.secrets();
    secrets.extend(redis_url.as_deref().and_then(config::url_password));
    let redactor = output::Redactor::new(secrets);
    init_logging(cli.verbose, redactor.clone());
    let coordination = match &redis_url {
        Some(url) => match coord::Coordination::connect(url).await {
            Ok(c) => Some(c),
            Err(e) => {
                output::stderr_line(&redactor, &format!("error: {}", e.message()));
                return ExitCode::from(e.code());
            }
        },
        None => None,
    };
    match commands::execute(
        commands::Ctx {
            source: &source,
            redactor: &redactor,
            coordination: coordination.as_ref(),
        },
        cli.command,
    )
    .await
    {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::stderr_line(&redactor, &format!("error: {}", e.message()));
            ExitCode::from(e.code())
        }
    }
}

/// A stderr writer that scrubs secrets from each log line.
struct ScrubbingStderr(output::Redactor);

impl std::io::Write for ScrubbingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(self.0.scrub(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Log levels: RUST_LOG when set (e.g. `RUST_LOG=trace`), else `--verbose`'s or errors only.
fn init_logging(verbose: bool, redactor: output::Redactor) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(f) if !f.trim().is_empty() => f,
        _ if verbose => "warn,invite=debug,invite_core=debug,invite_cli=debug,invite_webflow=debug,invite_flatfile=debug,invite_awork=debug,invite_scim=debug".to_owned(),
        _ => "error".to_owned(),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(move || ScrubbingStderr(redactor.clone()))
        .with_ansi(false)
        .try_init();
}
