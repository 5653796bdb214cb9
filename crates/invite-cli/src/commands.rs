//! The commands: building the orchestrator from the selected providers, running the job and
//! printing its report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use invite_core::onboard::{OffboardOptions, OffboardPolicy, Orchestrator, Person, Report, Target};
use invite_core::{
    Email, EmailDelivery, FileJournal, Grant, InviteLock, Journal, LocalInviteLock, PersonName,
};
use invite_webflow::workspace::{InvitePlan, SiteAccessEntry, WorkspaceRoleGrant};

use crate::codes::{self, CodeRecord, CodeSink};
use crate::config::{ConfigSource, Selection};
use crate::coord::Coordination;
use crate::output::{self, Redactor};
use crate::{CliError, Command, Common, WorkspaceGrants};

/// What every command runs with: the configuration, the redactor every printed line goes
/// through and, with `--redis`, the coordination. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The configuration (environment and `--config` file).
    pub source: &'a ConfigSource,
    /// Scrubs secrets from everything printed.
    pub redactor: &'a Redactor,
    /// The connected Redis, with `--redis`.
    pub coordination: Option<&'a Coordination>,
}

/// Runs one command; returns the exit code (0 or 1), or the error that ends the run. With
/// `coordination` (a connected Redis), every provider draws from its shared rate limiter,
/// onboarding takes its invite lock, and its journal is the one used.
pub async fn execute(ctx: Ctx<'_>, command: Command) -> Result<u8, CliError> {
    let Ctx {
        redactor,
        coordination,
        ..
    } = ctx;
    match command {
        Command::Onboard {
            email,
            name,
            dry_run,
            journal,
            common,
            grants,
            codes,
        } => {
            let person = Person::new(parse_email(&email)?, person_name(name.as_deref()));
            let orch = orchestrator_delivering(ctx, &common, Some(&grants), &codes)?;
            let orch = match run_journal(
                redactor,
                coordination,
                orch.targets(),
                journal,
                None,
                dry_run,
            )? {
                Some((journal, _)) => orch.with_journal(journal),
                None => orch,
            };
            // Last of the checks: it creates the --codes file.
            let sink = CodeSink::open(&codes, orch.targets())?;
            let report = if dry_run {
                orch.plan_onboard(&person).await
            } else {
                orch.onboard(&person).await
            };
            sink.record(&report);
            let printed = codes.print_codes.then(|| sink.printed());
            let code = print_report_and_codes(&report, printed.as_deref(), common.json, redactor);
            Ok(code.max(codes_outcome(&sink, &codes, redactor)))
        }
        Command::Offboard {
            email,
            deactivate,
            delete,
            max_accounts,
            dry_run,
            common,
        } => {
            let email = parse_email(&email)?;
            let policy = if delete {
                OffboardPolicy::Remove
            } else if deactivate {
                OffboardPolicy::Deactivate
            } else {
                OffboardPolicy::DeactivateOrRemove
            };
            let options = OffboardOptions::new(policy).max_accounts(Some(max_accounts));
            let mut orch = orchestrator(ctx, &common, None, false)?;
            if let Some(c) = coordination
                && !dry_run
            {
                let journal = c.journal(orch.targets());
                orch = orch.with_journal(journal);
            }
            let report = if dry_run {
                orch.plan_offboard(&email, options).await
            } else {
                orch.offboard(&email, options).await.map_err(|e| match e {
                    invite_core::Error::InvalidInput { field, reason } if field == "max_accounts" => {
                        CliError::Failed(format!(
                            "{reason}; check with --dry-run, then raise --max-accounts if this is intended"
                        ))
                    }
                    other => CliError::Failed(other.to_string()),
                })?
            };
            Ok(print_report(&report, common.json, redactor))
        }
        Command::Find { email, common } => {
            let email = parse_email(&email)?;
            let orch = orchestrator(ctx, &common, None, false)?;
            let report = orch.find(&email).await;
            Ok(print_report(&report, common.json, redactor))
        }
        Command::Bulk(args) => crate::bulk::bulk(ctx, args).await,
        Command::Desired(c) => crate::desired::execute(ctx, c).await,
        Command::Sandbox { .. } => Err(CliError::Usage(
            "the sandbox command runs on its own".into(),
        )),
    }
}

fn parse_email(input: &str) -> Result<Email, CliError> {
    Email::parse(input)
        .map_err(|e| CliError::Usage(format!("`{input}` is not an email address: {e}")))
}

fn person_name(name: Option<&str>) -> PersonName {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => PersonName::from_display(n),
        None => PersonName::unknown(),
    }
}

fn journal_in_redis_note(redactor: &Redactor, c: &Coordination, path: &Path) {
    output::stderr_line(
        redactor,
        &format!(
            "note: the journal is kept in Redis at {} (shared by every worker); {} is not used",
            c.url(),
            path.display()
        ),
    );
}

/// The invite lock a run takes, how long it is held at most and how long it is waited for:
/// Redis's shared one, else one in this process (5 minutes each).
pub fn run_lock(coordination: Option<&Coordination>) -> (Arc<dyn InviteLock>, Duration, Duration) {
    match coordination {
        Some(c) => {
            let (ttl, wait) = c.lock_times();
            (c.lock(), ttl, wait)
        }
        None => (
            Arc::new(LocalInviteLock::new()),
            Duration::from_secs(300),
            Duration::from_secs(300),
        ),
    }
}

/// A run's journal, and where it is kept (as the summary names it).
pub type RunJournal = (Arc<dyn Journal>, String);

/// The run's journal and where it is kept: with Redis, the shared one (a `--journal` FILE
/// given is then not used, and said so); else the file `given`, or `default`, if any. A dry
/// run keeps none.
pub fn run_journal(
    redactor: &Redactor,
    coordination: Option<&Coordination>,
    targets: &[Target],
    given: Option<PathBuf>,
    default: Option<PathBuf>,
    dry_run: bool,
) -> Result<Option<RunJournal>, CliError> {
    Ok(match (coordination, given, default) {
        _ if dry_run => None,
        (Some(c), given, _) => {
            if let Some(path) = given {
                journal_in_redis_note(redactor, c, &path);
            }
            Some((c.journal(targets), format!("redis {}", c.url())))
        }
        (None, Some(path), _) | (None, None, Some(path)) => {
            Some((Arc::new(open_journal(&path)?), path.display().to_string()))
        }
        (None, None, None) => None,
    })
}

fn open_journal(path: &Path) -> Result<FileJournal, CliError> {
    FileJournal::open(path).map_err(|e| {
        CliError::Usage(match e {
            invite_core::Error::Config(m) => m,
            other => other.to_string(),
        })
    })
}

/// The orchestrator of an onboarding whose invitations are sent as `codes` asks
/// (`--no-email`: refused, naming them, when a selected tool cannot invite without an email).
pub fn orchestrator_delivering(
    ctx: Ctx<'_>,
    common: &Common,
    grants: Option<&WorkspaceGrants>,
    codes: &codes::CodeArgs,
) -> Result<Orchestrator, CliError> {
    let delivery = codes.delivery();
    let orch = build(ctx, common, grants, true, delivery)?;
    codes::check_no_email(orch.targets(), codes)?;
    Ok(orch)
}

/// Builds the orchestrator over the selected providers. `grants` carries the
/// `webflow-workspace` flags (onboarding only); `onboarding` checks that every provider has
/// the grants its vendor requires. With `coordination`, every provider's client draws from
/// the shared rate limiter and the invite lock is the shared one (no journal is set here).
pub fn orchestrator(
    ctx: Ctx<'_>,
    common: &Common,
    grants: Option<&WorkspaceGrants>,
    onboarding: bool,
) -> Result<Orchestrator, CliError> {
    let delivery = EmailDelivery::VendorDefault;
    build(ctx, common, grants, onboarding, delivery)
}

fn build(
    ctx: Ctx<'_>,
    common: &Common,
    grants: Option<&WorkspaceGrants>,
    onboarding: bool,
    delivery: EmailDelivery,
) -> Result<Orchestrator, CliError> {
    let Ctx {
        source,
        redactor,
        coordination,
    } = ctx;
    let options = coordination
        .map(Coordination::client_options)
        .unwrap_or_default();
    let Selection { providers, notes } = source.select_with(&common.to, &options)?;
    for n in &notes {
        output::stderr_line(redactor, n);
    }
    let grants = grants.cloned().unwrap_or_default();
    let has_workspace = providers.iter().any(|(d, _)| d.name == "webflow-workspace");
    if !grants.is_empty() && !has_workspace {
        return Err(CliError::Usage(
            "--workspace-role, --default-site-role and --site configure the webflow-workspace provider, which this run does not use: configure it (WEBFLOW_WORKSPACE_TOKEN, WEBFLOW_WORKSPACE_ID) and include it in --to".into(),
        ));
    }
    let mut targets = Vec::with_capacity(providers.len());
    for (def, built) in providers {
        let mut target = Target::new(def.name, built.provider);
        if def.name == "webflow-workspace" && !grants.is_empty() {
            target = target.with_grants(workspace_grants(
                &grants,
                built.workspace_role_fallback.as_deref(),
            )?);
        } else if onboarding && let Some(problem) = built.missing_grant {
            return Err(CliError::Usage(format!(
                "{problem} (or leave {} out with --to)",
                def.name
            )));
        } else {
            target = target.with_grants(built.default_grants);
        }
        // Webflow grants site access to members only: a site role an invite cannot carry
        // stays pending until acceptance, and a later run gives it (see InvitePlan).
        let converge = target
            .grants
            .iter()
            .any(|g| g.is(invite_webflow::workspace::SITE_ACCESS));
        targets.push(
            target
                .with_grant_convergence(converge)
                .with_delivery(delivery),
        );
    }
    let n = targets.len();
    let orch = Orchestrator::new(targets).with_concurrency(n);
    let (lock, ttl, wait) = run_lock(coordination);
    Ok(orch.with_lock(lock, ttl, wait))
}

/// The `webflow-workspace` grants the flags ask for, checked as one invite plan before any
/// request (a wrong workspace/site role pairing is a usage error). Site roles other than
/// the default site role are accepted: they are given once the invitee is a member.
pub fn workspace_grants(
    flags: &WorkspaceGrants,
    fallback_role: Option<&str>,
) -> Result<Vec<Grant>, CliError> {
    let mut grants = Vec::new();
    match (&flags.workspace_role, &flags.default_site_role) {
        (Some(role), site) => {
            let (site_role, site_role_id) = match site.as_deref().map(str::trim) {
                Some(s) => match s.split_once(':') {
                    Some((r, id)) => (Some(r.trim().to_owned()), Some(id.trim().to_owned())),
                    None => (Some(s.to_owned()), None),
                },
                None => (None, None),
            };
            let mut grant = WorkspaceRoleGrant::new(role.trim(), site_role.as_deref());
            if let Some(id) = site_role_id {
                grant = grant.with_custom_id(id);
            }
            grants.push(grant.into());
        }
        (None, Some(_)) => {
            return Err(CliError::Usage(
                "--default-site-role needs --workspace-role (the pair is one choice: admin/site_manager, member/(site_manager|designer|marketer|content_editor|custom), reviewer/reviewer)".into(),
            ));
        }
        (None, None) => {}
    }
    for pair in &flags.sites {
        let entry = SiteAccessEntry::parse_pair("--site", pair, None)
            .map_err(|e| CliError::Usage(flag_error(&e, flags)))?;
        grants.push(entry.to_grant());
    }
    let plan = InvitePlan::from_grants(&grants, fallback_role).map_err(|e| {
        CliError::Usage(format!(
            "{}{}",
            flag_error(&e, flags),
            if flags.workspace_role.is_none() && fallback_role.is_none() {
                ""
            } else {
                " (nothing was sent)"
            }
        ))
    })?;
    Ok(plan.grants())
}

/// An invite plan's error, its field named as the flag or setting that gave it: the grants
/// are the role grant of `--workspace-role`/`--default-site-role` (when given), then one per
/// `--site`, so `grants[i]` is that flag; a setting's name (the configured fallback role) is
/// that setting, with its config-file key.
fn flag_error(e: &invite_core::Error, flags: &WorkspaceGrants) -> String {
    let invite_core::Error::InvalidInput { field, reason } = e else {
        return e.to_string();
    };
    let shown = |flag: &str, value: &Option<String>| match value {
        Some(v) => format!("{flag} {v}"),
        None => flag.to_owned(),
    };
    let grant = field
        .strip_prefix("grants[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)));
    let sites_from = usize::from(flags.workspace_role.is_some());
    let named = match grant {
        Some((0, rest)) if sites_from == 1 => {
            if rest.starts_with(".default_site_role") {
                shown("--default-site-role", &flags.default_site_role)
            } else {
                shown("--workspace-role", &flags.workspace_role)
            }
        }
        Some((i, _)) => match i.checked_sub(sites_from).and_then(|i| flags.sites.get(i)) {
            Some(pair) => format!("--site {pair}"),
            None => field.clone(),
        },
        None if field == "--site" => "--site".to_owned(),
        None => match field.parse::<invite_webflow::WebflowWorkspaceConfigKey>() {
            Ok(key) => {
                let s = invite_core::ConfigKey::setting(key);
                format!("{} (`{}` in [webflow-workspace])", s.env, s.file_key)
            }
            Err(_) => "--workspace-role/--default-site-role/--site".to_owned(),
        },
    };
    format!("{named}: {reason}")
}

fn print_report(report: &Report, json: bool, redactor: &Redactor) -> u8 {
    print_report_and_codes(report, None, json, redactor)
}

/// Prints the report (with the codes `--print-codes` asked for: `Some`, even if empty); a
/// report that is not a success is also named on stderr in one line.
fn print_report_and_codes(
    report: &Report,
    printed: Option<&[CodeRecord]>,
    json: bool,
    redactor: &Redactor,
) -> u8 {
    if json {
        let doc = match printed {
            Some(codes) => output::json(&output::WithCodes {
                report,
                invitation_codes: codes,
            }),
            None => output::json(report),
        };
        output::stdout(redactor, &doc);
    } else {
        let codes = printed.map(codes::codes_text).unwrap_or_default();
        output::stdout(redactor, &(output::report_table(report) + &codes));
    }
    if report.succeeded() {
        0
    } else {
        output::stderr_line(
            redactor,
            &format!("error: {}", output::report_problems(report)),
        );
        1
    }
}

/// What became of the codes, said on stderr: a failed write of the --codes file fails the
/// run (exit 1); codes nobody keeps after --no-email get a note.
pub(crate) fn codes_outcome(sink: &CodeSink, args: &codes::CodeArgs, redactor: &Redactor) -> u8 {
    if let Some(e) = sink.write_error() {
        output::stderr_line(
            redactor,
            &format!("error: --codes: writing the invitation codes failed: {e}"),
        );
        return 1;
    }
    let dropped = sink.dropped();
    if args.no_email && dropped > 0 {
        output::stderr_line(
            redactor,
            &format!(
                "note: {dropped} invitation code(s) were returned and not kept, and no email was sent: --codes FILE keeps them, --print-codes prints them"
            ),
        );
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use invite_webflow::workspace::SiteAccessGrant;

    fn flags(role: Option<&str>, site: Option<&str>, sites: &[&str]) -> WorkspaceGrants {
        WorkspaceGrants {
            workspace_role: role.map(str::to_owned),
            default_site_role: site.map(str::to_owned),
            sites: sites.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn workspace_flags_become_one_checked_invite_shape() {
        let g = workspace_grants(&flags(Some("member"), Some("designer"), &[]), None).unwrap();
        assert_eq!(
            g,
            vec![WorkspaceRoleGrant::new("member", Some("designer")).into()]
        );
        let site = "65f0c8c9e1c9d440000e8d8d";
        let g = workspace_grants(
            &flags(Some("member"), None, &[&format!("{site}=designer")]),
            None,
        )
        .unwrap();
        assert!(g.contains(&SiteAccessGrant::new(site, "designer").into()));
        // A site role other than the default: kept, given after acceptance.
        let g = workspace_grants(
            &flags(
                Some("member"),
                Some("designer"),
                &[&format!("{site}=content_editor")],
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            g,
            vec![
                WorkspaceRoleGrant::new("member", Some("designer")).into(),
                SiteAccessGrant::new(site, "content_editor").into(),
            ]
        );
        // Sites with the env's fallback role.
        assert!(
            workspace_grants(
                &flags(None, None, &[&format!("{site}=designer")]),
                Some("member")
            )
            .is_ok()
        );
    }

    #[test]
    fn wrong_pairings_are_usage_errors_naming_the_flag() {
        let site = "65f0c8c9e1c9d440000e8d8d";
        for (f, want) in [
            (
                flags(Some("reviewer"), Some("designer"), &[]),
                "--default-site-role",
            ),
            (flags(Some("member"), None, &[]), "--default-site-role"),
            (flags(Some("owner"), None, &[]), "--workspace-role"),
            (flags(None, Some("designer"), &[]), "--workspace-role"),
            (
                flags(Some("admin"), None, &[&format!("{site}=site_manager")]),
                "admin",
            ),
            (
                flags(
                    Some("admin"),
                    Some("site_manager"),
                    &[&format!("{site}=content_editor")],
                ),
                "admin",
            ),
            (flags(Some("member"), None, &["nonsense"]), "--site"),
            (
                flags(
                    Some("member"),
                    None,
                    &[&format!("{site}=marketer"), &format!("{site}=designer")],
                ),
                &format!("--site {site}=designer: site {site} is granted twice"),
            ),
            (flags(Some("owner"), None, &[]), "--workspace-role owner:"),
            (
                flags(Some("reviewer"), Some("designer"), &[]),
                "--default-site-role designer:",
            ),
            (
                flags(None, None, &[&format!("{site}=designer")]),
                "WEBFLOW_WORKSPACE_ROLE",
            ),
        ] {
            match workspace_grants(&f, None) {
                Err(CliError::Usage(m)) => assert!(m.contains(want), "{f:?}: {m}"),
                other => panic!("{f:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_configured_fallback_role_is_named_as_its_setting() {
        let site = "65f0c8c9e1c9d440000e8d8d";
        match workspace_grants(
            &flags(None, None, &[&format!("{site}=designer")]),
            Some("owner"),
        ) {
            Err(CliError::Usage(m)) => assert!(
                m.starts_with("WEBFLOW_WORKSPACE_ROLE (`workspace_role` in [webflow-workspace]): "),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
