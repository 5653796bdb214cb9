//! Desired state: `invite plan`, `apply`, `snapshot`, `diff` and `report` over a roster (see
//! [`invite_core::desired`] for the rules and the file formats). This module only parses
//! flags and prints.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use invite_core::Email;
use invite_core::desired::{
    self, AccessReport, Action, ApplyOptions, Diff, Plan, PlanOptions, Roster, Snapshot,
};
use invite_core::onboard::Target;

use crate::bulk::default_journal;
use crate::commands::{Ctx, orchestrator, run_journal, run_lock};
use crate::coord::Coordination;
use crate::output;
use crate::{CliError, Common};

/// The desired-state commands.
#[derive(Debug, Subcommand)]
pub enum DesiredCommand {
    /// Show what it takes to bring every tool of a roster to it (sends no write).
    Plan(PlanArgs),
    /// Carry a roster's plan out, then report per change.
    Apply(ApplyArgs),
    /// Write every tool's people, statuses and grants to one file.
    Snapshot(SnapshotArgs),
    /// Joiners, leavers, status and grant changes between two snapshots (or `live`).
    Diff(DiffArgs),
    /// People not on the roster, stale invitations and seats per tool.
    Report(ReportArgs),
}

/// How a roster is planned.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// The roster: CSV (`email,name,tools`) or TOML (`.toml`); see the README.
    pub roster: PathBuf,
    /// Also remove people a tool has that the roster does not name there (and cancel their
    /// invitations). The roster's ignore list and the credentials' own account are kept.
    #[arg(long)]
    pub authoritative: bool,
    /// Invite again people whose invitation was declined or expired.
    #[arg(long)]
    pub reinvite_lapsed: bool,
    /// Provider selection (only tools the roster names are read) and output format.
    #[command(flatten)]
    pub common: Common,
}

/// How a roster is applied.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan's options.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Refuse, before any change, a plan that removes or cancels more than this.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_removals: usize,
    /// The journal that makes re-runs resume (default: ROSTER.journal.jsonl beside it; with
    /// Redis, the shared journal).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// People worked on at once per tool.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
}

/// The snapshot file's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON document (what `invite diff` reads).
    #[default]
    Json,
    /// `tool,email,name,status,id,invited_at,grants`.
    Csv,
}

/// Where a snapshot goes.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// json (default) or csv.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Provider selection and output format.
    #[command(flatten)]
    pub common: Common,
}

/// What is compared.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot (a JSON file from `invite snapshot`, or `live`).
    pub old: String,
    /// The newer snapshot (a file, or `live`: read the tools now).
    pub new: String,
    /// Provider selection (for `live`) and output format.
    #[command(flatten)]
    pub common: Common,
}

/// What the report covers.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The roster people are checked against (without it, nobody is "unlisted").
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// A snapshot file to report on instead of reading the tools now.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Report invitations pending, declined or expired for more than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub stale_days: u32,
    /// Provider selection and output format.
    #[command(flatten)]
    pub common: Common,
}

/// Runs a desired-state command; returns the exit code.
pub async fn execute(ctx: Ctx<'_>, command: DesiredCommand) -> Result<u8, CliError> {
    let Ctx { redactor, .. } = ctx;
    match command {
        DesiredCommand::Plan(args) => {
            let (roster, targets) = roster_and_targets(ctx, &args)?;
            let options = plan_options(ctx, &args, &targets).await?;
            let plan = Plan::read(&roster, &targets, &options).await;
            if args.common.json {
                output::stdout(redactor, &output::json(&plan));
            } else {
                output::stdout(redactor, &plan_text(&plan));
            }
            Ok(if plan.errors.is_empty() { 0 } else { 1 })
        }
        DesiredCommand::Apply(args) => apply(ctx, args).await,
        DesiredCommand::Snapshot(args) => {
            let targets = targets(ctx, &args.common, None)?;
            let snapshot = Snapshot::read(&targets).await;
            let text = match args.format {
                Format::Json => output::json(&snapshot),
                Format::Csv => snapshot.to_csv(),
            };
            std::fs::write(&args.out, redactor.scrub(&text)).map_err(|e| {
                CliError::Failed(format!(
                    "--out {}: cannot write it: {e}",
                    args.out.display()
                ))
            })?;
            let accounts: usize = snapshot.tools.iter().map(|t| t.accounts.len()).sum();
            let failed: Vec<&str> = snapshot
                .tools
                .iter()
                .filter(|t| t.error.is_some())
                .map(|t| t.tool.as_str())
                .collect();
            let mut line = format!(
                "{} accounts from {} tools written to {}\n",
                accounts,
                snapshot.tools.len(),
                args.out.display()
            );
            if !failed.is_empty() {
                line.push_str(&format!("could not read: {}\n", failed.join(", ")));
            }
            output::stdout(redactor, &line);
            Ok(if failed.is_empty() { 0 } else { 1 })
        }
        DesiredCommand::Diff(args) => {
            let old = snapshot_arg(ctx, &args.old, &args.common).await?;
            let new = snapshot_arg(ctx, &args.new, &args.common).await?;
            let diff = Diff::between(&old, &new);
            if args.common.json {
                output::stdout(redactor, &output::json(&diff));
            } else {
                output::stdout(redactor, &diff_text(&diff));
            }
            Ok(0)
        }
        DesiredCommand::Report(args) => {
            let roster = args.roster.as_deref().map(read_roster).transpose()?;
            let snapshot = match &args.snapshot {
                Some(path) => read_snapshot(path)?,
                None => {
                    let targets = targets(ctx, &args.common, None)?;
                    Snapshot::read(&targets).await
                }
            };
            let report = AccessReport::new(&snapshot, roster.as_ref(), args.stale_days);
            if args.common.json {
                output::stdout(redactor, &output::json(&report));
            } else {
                output::stdout(redactor, &report_text(&report, args.stale_days));
            }
            Ok(0)
        }
    }
}

/// The plan's options; in authoritative mode, with the accounts the credentials belong to
/// protected from removal where the tool can tell whose they are.
async fn plan_options(
    ctx: Ctx<'_>,
    args: &PlanArgs,
    targets: &[Target],
) -> Result<PlanOptions, CliError> {
    let mut options = PlanOptions::new()
        .authoritative(args.authoritative)
        .reinvite_lapsed(args.reinvite_lapsed);
    if args.authoritative {
        for (tool, email) in own_accounts(ctx, targets).await? {
            options = options.protect(Some(&tool), email);
        }
    }
    Ok(options)
}

/// The account each tool's credentials belong to, where the tool says: awork (`GET /me`).
/// Flatfile's key belongs to an account, not a user, and Webflow's workspace token names no
/// member: put such accounts on the roster's ignore list. A tool that cannot answer stops the
/// run (an authoritative plan never guesses who it may remove).
async fn own_accounts(ctx: Ctx<'_>, targets: &[Target]) -> Result<Vec<(String, Email)>, CliError> {
    let Ctx {
        source,
        redactor,
        coordination,
    } = ctx;
    let mut out = Vec::new();
    if !targets.iter().any(|t| t.name == "awork") {
        return Ok(out);
    }
    let Some(settings) = source.settings_of("awork")? else {
        return Ok(out);
    };
    let options = coordination
        .map(Coordination::client_options)
        .unwrap_or_default();
    let me = async {
        let config = invite_awork::AworkConfig::from_settings(&settings)?.client_options(options);
        invite_awork::AworkProvider::from_config(config)?.me().await
    };
    match me.await {
        Ok(me) => {
            if let Some(email) = me.user.email {
                out.push(("awork".to_owned(), email));
            }
        }
        Err(e) => {
            return Err(CliError::Failed(redactor.scrub(&format!(
                "awork: could not learn the account the credentials belong to (GET /me), which an authoritative plan never removes: {e}"
            ))));
        }
    }
    Ok(out)
}

/// The roster (every invalid line is a usage error, nothing sent).
fn read_roster(path: &Path) -> Result<Roster, CliError> {
    Roster::read(path)
        .map_err(|e| CliError::Usage(format!("invalid roster; nothing was sent:\n{e}")))
}

fn read_snapshot(path: &Path) -> Result<Snapshot, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("{}: cannot read it: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{}: not a snapshot written by `invite snapshot` (JSON): {e}",
            path.display()
        ))
    })
}

async fn snapshot_arg(ctx: Ctx<'_>, which: &str, common: &Common) -> Result<Snapshot, CliError> {
    if which == "live" {
        let targets = targets(ctx, common, None)?;
        Ok(Snapshot::read(&targets).await)
    } else {
        read_snapshot(Path::new(which))
    }
}

/// The configured tools (those in `--to`, else every configured one), with their default
/// grants; with `only`, the tools a roster names (each of which must be configured).
fn targets(ctx: Ctx<'_>, common: &Common, only: Option<&[&str]>) -> Result<Vec<Target>, CliError> {
    let Ctx { source, .. } = ctx;
    let mut common = common.clone();
    if let Some(only) = only
        && common.to.is_empty()
    {
        // Names no provider has are left to the roster check, which names their lines.
        common.to = only
            .iter()
            .filter(|s| source.providers().iter().any(|p| p.name == **s))
            .map(|s| (*s).to_owned())
            .collect();
    }
    let orch = orchestrator(ctx, &common, None, false)?;
    Ok(orch.targets().to_vec())
}

fn roster_and_targets(ctx: Ctx<'_>, args: &PlanArgs) -> Result<(Roster, Vec<Target>), CliError> {
    let roster = read_roster(&args.roster)?;
    let names = roster.tools();
    let mut targets = targets(ctx, &args.common, Some(&names))?;
    // Only the tools the roster names are in scope (an authoritative plan never empties a
    // tool the roster does not mention).
    targets.retain(|t| names.contains(&t.name.as_str()));
    desired::check(&roster, &targets)
        .map_err(|e| CliError::Usage(format!("invalid roster; nothing was sent:\n{e}")))?;
    Ok((roster, targets))
}

async fn apply(ctx: Ctx<'_>, args: ApplyArgs) -> Result<u8, CliError> {
    let Ctx {
        redactor,
        coordination,
        ..
    } = ctx;
    let (roster, targets) = roster_and_targets(ctx, &args.plan)?;
    let mut options = ApplyOptions::new()
        .max_removals(Some(args.max_removals))
        .with_concurrency(args.concurrency);
    let (lock, ttl, wait) = run_lock(coordination);
    options = options.with_lock(lock, ttl, wait);
    if let Some((journal, _)) = run_journal(
        redactor,
        coordination,
        &targets,
        args.journal.clone(),
        Some(default_journal(&args.plan.roster)),
        false,
    )? {
        options = options.with_journal(journal);
    }
    let plan_options = plan_options(ctx, &args.plan, &targets).await?;
    let plan = Plan::read(&roster, &targets, &plan_options).await;
    let report = desired::apply(&plan, &targets, &options)
        .await
        .map_err(|e| match e {
            invite_core::Error::InvalidInput { field, reason } if field == "max_removals" => {
                CliError::Failed(format!(
                    "{reason}; check with `invite plan`, then raise --max-removals if this is intended"
                ))
            }
            other => CliError::Failed(other.to_string()),
        })?;
    if args.plan.common.json {
        #[derive(serde::Serialize)]
        struct Document<'a> {
            changes: &'a [desired::Applied],
            kept: &'a [desired::Kept],
            errors: &'a [desired::ToolError],
        }
        output::stdout(
            redactor,
            &output::json(&Document {
                changes: &report.applied,
                kept: &plan.kept,
                errors: &plan.errors,
            }),
        );
    } else {
        let rows: Vec<Vec<String>> = report
            .applied
            .iter()
            .map(|a| {
                let mut detail: Vec<String> = a.detail.iter().cloned().collect();
                if let Some(e) = &a.error {
                    detail.push(e.message.clone());
                }
                if a.resumed {
                    detail.push("from the journal of an earlier run".into());
                }
                vec![
                    a.change.tool.clone(),
                    a.change.email.to_string(),
                    a.change.action.to_string(),
                    a.outcome.to_string(),
                    detail.join("; "),
                ]
            })
            .collect();
        let mut out = if rows.is_empty() {
            "No changes: every tool matches the roster.\n".to_owned()
        } else {
            output::table(&["TOOL", "EMAIL", "ACTION", "OUTCOME", "DETAIL"], &rows)
        };
        out.push_str(&notes(&plan));
        output::stdout(redactor, &out);
    }
    Ok(if report.succeeded() && plan.errors.is_empty() {
        0
    } else {
        1
    })
}

fn notes(plan: &Plan) -> String {
    let mut out = String::new();
    for k in &plan.kept {
        out.push_str(&format!(
            "kept: {} {} ({}): {}\n",
            k.tool, k.email, k.status, k.reason
        ));
    }
    for e in &plan.errors {
        out.push_str(&format!("not read: {}: {}\n", e.tool, e.error.message));
    }
    out
}

/// A plan as a table, then what is kept and why, then a count per action.
pub fn plan_text(plan: &Plan) -> String {
    let rows: Vec<Vec<String>> = plan
        .changes
        .iter()
        .map(|c| {
            let grants: Vec<String> = c.grants.iter().map(ToString::to_string).collect();
            // The reason names what a member lacks; an invitation shows what it gives.
            let detail = c.reason.clone().unwrap_or_else(|| grants.join(", "));
            vec![
                c.tool.clone(),
                c.email.to_string(),
                c.action.to_string(),
                detail,
            ]
        })
        .collect();
    let mut out = if rows.is_empty() {
        "No changes: every tool matches the roster.\n".to_owned()
    } else {
        output::table(&["TOOL", "EMAIL", "ACTION", "DETAIL"], &rows)
    };
    out.push_str(&notes(plan));
    let mut counts: Vec<(Action, usize)> = Vec::new();
    for c in &plan.changes {
        match counts.iter_mut().find(|(a, _)| *a == c.action) {
            Some((_, n)) => *n += 1,
            None => counts.push((c.action, 1)),
        }
    }
    if !counts.is_empty() {
        let parts: Vec<String> = counts.iter().map(|(a, n)| format!("{n} {a}")).collect();
        out.push_str(&format!(
            "Plan: {} ({}nothing was changed)\n",
            parts.join(", "),
            if plan.authoritative {
                "authoritative; "
            } else {
                ""
            }
        ));
    }
    out
}

fn diff_text(diff: &Diff) -> String {
    if diff.entries.is_empty() {
        return "No differences.\n".into();
    }
    let rows: Vec<Vec<String>> = diff
        .entries
        .iter()
        .map(|e| {
            let kind = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let mut detail = Vec::new();
            match (&e.before, &e.after) {
                (Some(b), Some(a)) => detail.push(format!("{b} -> {a}")),
                (Some(s), None) | (None, Some(s)) => detail.push(s.to_string()),
                (None, None) => {}
            }
            for g in &e.granted {
                detail.push(format!("+{g}"));
            }
            for g in &e.revoked {
                detail.push(format!("-{g}"));
            }
            vec![e.tool.clone(), e.email.clone(), kind, detail.join(", ")]
        })
        .collect();
    output::table(&["TOOL", "EMAIL", "CHANGE", "DETAIL"], &rows)
}

fn report_text(report: &AccessReport, days: u32) -> String {
    let seats: Vec<Vec<String>> = report
        .seats
        .iter()
        .map(|s| {
            [s.active, s.invited, s.lapsed, s.deactivated, s.total]
                .iter()
                .map(ToString::to_string)
                .fold(vec![s.tool.clone()], |mut row, n| {
                    row.push(n);
                    row
                })
        })
        .collect();
    let mut out = output::table(
        &[
            "TOOL",
            "ACTIVE",
            "INVITED",
            "LAPSED",
            "DEACTIVATED",
            "TOTAL",
        ],
        &seats,
    );
    out.push_str(&format!("\nInvitations older than {days} days:\n"));
    if report.stale_invitations.is_empty() {
        out.push_str("  none\n");
    }
    for s in &report.stale_invitations {
        out.push_str(&format!(
            "  {} {} ({}, {} days)\n",
            s.tool, s.email, s.status, s.days
        ));
    }
    out.push_str("\nIn a tool but not on the roster:\n");
    if report.unlisted.is_empty() {
        out.push_str("  none\n");
    }
    for u in &report.unlisted {
        out.push_str(&format!(
            "  {} {} ({}){}\n",
            u.tool,
            u.email,
            u.status,
            if u.ignored {
                ", on the ignore list"
            } else {
                ""
            }
        ));
    }
    out
}
