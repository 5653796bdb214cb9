//! Applying a plan through the [`Orchestrator`]: invitations with its journal, invite lock
//! and never-twice lookups, answered by the plan's own read; removals of the accounts the
//! plan names through its offboarding; grants through the tool's `update`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use super::plan::{Action, Change, Plan};
use crate::error::{Error, Result};
use crate::journal::{Journal, JournalEntry, JournalPhase};
use crate::lock::InviteLock;
use crate::model::{Grant, GrantChange, User, UserId, UserPatch};
use crate::onboard::{
    Directory, ErrorInfo, Lookups, OffboardPolicy, Orchestrator, Outcome, Person, Report, Target,
};
use crate::provider::Describe;

/// How a plan is applied.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// The most removals and cancellations one apply may make; a plan with more is refused
    /// before any change. `None`: no limit. Default 5.
    pub max_removals: Option<usize>,
    /// The journal invitations and removals are recorded in (and resumed from).
    pub journal: Option<Arc<dyn Journal>>,
    /// The per-person invite lock, how long it is held at most and how long to wait for it.
    pub lock: Option<(Arc<dyn InviteLock>, Duration, Duration)>,
    /// How many people are worked on at once per tool.
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            max_removals: Some(5),
            journal: None,
            lock: None,
            concurrency: 4,
        }
    }
}

impl ApplyOptions {
    /// Default options: at most 5 removals, no journal, no lock, 4 at a time.
    pub fn new() -> Self {
        Self::default()
    }
    crate::setters! {
        /// Sets the removal limit.
        max_removals(max_removals: Option<usize>);
        /// Records (and resumes) through `journal`.
        with_journal(journal: Arc<dyn Journal>) = Some(journal);
        /// Sets how many people are worked on at once.
        with_concurrency(concurrency: usize) = concurrency.max(1);
    }
    /// Takes `lock` around each lookup-then-invite (see [`Orchestrator::with_lock`]).
    pub fn with_lock(mut self, lock: Arc<dyn InviteLock>, ttl: Duration, wait: Duration) -> Self {
        self.lock = Some((lock, ttl, wait));
        self
    }

    fn orchestrator(&self, target: Target) -> Orchestrator {
        let mut o = Orchestrator::new(vec![target]).with_concurrency(1);
        if let Some(j) = &self.journal {
            o = o.with_journal(j.clone());
        }
        if let Some((lock, ttl, wait)) = &self.lock {
            o = o.with_lock(lock.clone(), *ttl, *wait);
        }
        o
    }
}

/// What applying one change came to.
#[non_exhaustive]
#[derive(Clone, Debug, Serialize)]
pub struct Applied {
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// What happened (`invited`, `already_member`, `removed`, `failed`, …).
    pub outcome: Outcome,
    /// More about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// True when an earlier run's journal said it was done (nothing was sent).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

impl Applied {
    fn from_report(change: Change, report: Report) -> Self {
        match report.entries.into_iter().next() {
            Some(e) => Self {
                change,
                outcome: e.outcome,
                detail: e.reason,
                error: e.error,
                resumed: e.resumed,
            },
            None => Self::failed(change, &Error::invalid_input("tool", "no such tool")),
        }
    }

    fn failed(change: Change, e: &Error) -> Self {
        Self {
            change,
            outcome: Outcome::Failed,
            detail: None,
            error: Some(ErrorInfo::from(e)),
            resumed: false,
        }
    }

    fn done(change: Change, outcome: Outcome, detail: String) -> Self {
        Self {
            change,
            outcome,
            detail: Some(detail),
            error: None,
            resumed: false,
        }
    }
}

/// What an apply did: one entry per change of the plan, in its order.
#[non_exhaustive]
#[derive(Clone, Debug, Default, Serialize)]
pub struct ApplyReport {
    /// One entry per change.
    pub applied: Vec<Applied>,
}

impl ApplyReport {
    /// True when every change succeeded (or was found already done).
    pub fn succeeded(&self) -> bool {
        self.applied.iter().all(|a| a.outcome.is_success())
    }
}

/// Applies `plan` to `targets` (the tools it was made for, by name).
///
/// Refuses, before any change, a plan with more removals than
/// [`ApplyOptions::max_removals`] ([`Error::InvalidInput`] on field `max_removals`).
/// Nothing is read again: the plan's read answers every lookup. Invitations go through
/// [`Orchestrator::onboard_with`] (the journal, the invite lock, never two invitations: a
/// person the journal or another worker's lock says may have changed since the plan's read
/// is looked up afresh); removals of the account the plan names through
/// [`Orchestrator::offboard_known`] with [`OffboardPolicy::Remove`]; missing grants through the tool's `update` (adding additive
/// grants, replacing a held grant of an exclusive kind). A removal also reopens the
/// person's onboarding in the journal, so that putting them back on the roster invites them
/// again.
///
/// ```
/// use std::sync::Arc;
/// use invite_core::desired::{apply, ApplyOptions, Plan, PlanOptions, Roster};
/// use invite_core::onboard::Target;
/// use invite_core::InMemoryProvider;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let targets = vec![Target::new("crm", Arc::new(InMemoryProvider::new("crm")))];
/// let roster = Roster::parse_csv("r.csv", "email,name,tools\nada@example.com,Ada,crm\n").unwrap();
/// let plan = Plan::read(&roster, &targets, &PlanOptions::new()).await;
/// let report = apply(&plan, &targets, &ApplyOptions::new()).await?;
/// assert!(report.succeeded());
/// assert!(Plan::read(&roster, &targets, &PlanOptions::new()).await.is_empty());
/// # Ok::<(), invite_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn apply(plan: &Plan, targets: &[Target], options: &ApplyOptions) -> Result<ApplyReport> {
    let removals = plan.removals();
    if let Some(limit) = options.max_removals
        && removals > limit
    {
        return Err(Error::invalid_input(
            "max_removals",
            format!(
                "the plan would remove {removals} accounts or invitations, more than the limit of {limit}; nothing was changed"
            ),
        ));
    }
    let mut done: Vec<(usize, Applied)> = Vec::with_capacity(plan.changes.len());
    // Invitations, grouped by tool and grant set: one orchestrator target each.
    type Group<'a> = Vec<(usize, &'a Change)>;
    let mut groups: BTreeMap<(&str, Vec<Grant>), Group<'_>> = BTreeMap::new();
    let mut others = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        match c.action {
            Action::Invite | Action::Reinvite => groups
                .entry((c.tool.as_str(), c.grants.clone()))
                .or_default()
                .push((i, c)),
            _ => others.push((i, c)),
        }
    }
    for ((tool, grants), changes) in groups {
        let Some(t) = targets.iter().find(|t| t.name == tool) else {
            for (i, c) in changes {
                done.push((i, unknown_tool(c)));
            }
            continue;
        };
        let mut target = t.clone().with_grant_convergence(true);
        if !grants.is_empty() {
            target = target.with_grants(grants);
        }
        let orch = options.orchestrator(target);
        let people: Vec<Person> = changes
            .iter()
            .map(|(_, c)| Person::new(c.email.clone(), c.name.clone()))
            .collect();
        for (_, c) in &changes {
            reopen(options, plan, &c.tool, c).await;
        }
        // The plan read the whole list: whoever it invites was absent, whoever it invites
        // again was listed with a lapsed invitation. Its read answers the lookups (a journal
        // entry or a held lock still sends a fresh one).
        let listed: Vec<User> = changes.iter().filter_map(|(_, c)| c.account()).collect();
        let lookups = Lookups::from_directories(vec![Some(Directory::from_users(&listed))]);
        let (orch, lookups) = (&orch, &lookups);
        let applied: Vec<(usize, Applied)> = futures::stream::iter(changes.into_iter().zip(people))
            .map(|((i, c), p)| async move {
                let report = orch.onboard_with(&p, lookups).await;
                (i, Applied::from_report(c.clone(), report))
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        done.extend(applied);
    }
    // One person's changes at one tool in the plan's order (grants given, then taken), so
    // that no two writes to one account race; different people concurrently.
    let mut accounts: BTreeMap<(&str, &str), Group<'_>> = BTreeMap::new();
    for (i, c) in others {
        accounts
            .entry((c.tool.as_str(), c.email.normalized()))
            .or_default()
            .push((i, c));
    }
    let rest: Vec<Vec<(usize, Applied)>> = futures::stream::iter(accounts.into_values())
        .map(|changes| async move {
            let mut out = Vec::with_capacity(changes.len());
            for (i, c) in changes {
                let applied = match targets.iter().find(|t| t.name == c.tool) {
                    None => unknown_tool(c),
                    Some(t) => one(t, c, options).await,
                };
                out.push((i, applied));
            }
            out
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    done.extend(rest.into_iter().flatten());
    done.sort_by_key(|(i, _)| *i);
    Ok(ApplyReport {
        applied: done.into_iter().map(|(_, a)| a).collect(),
    })
}

fn unknown_tool(c: &Change) -> Applied {
    Applied::failed(
        c.clone(),
        &Error::invalid_input(
            "tool",
            format!("`{}` is not configured for this run", c.tool),
        ),
    )
}

/// A journal entry saying an onboarding was done, written before the plan's snapshot that
/// found the person absent (or lapsed), is stale: reopened, so that the invitation is sent.
async fn reopen(options: &ApplyOptions, plan: &Plan, tool: &str, c: &Change) {
    let Some(j) = &options.journal else { return };
    let email = c.email.normalized();
    if let Ok(Some(e)) = j.latest("onboard", tool, email).await
        && matches!(e.phase, JournalPhase::Finished { done: true, .. })
        && e.at < plan.taken_at
    {
        let phase = JournalPhase::Finished {
            outcome: Outcome::NotPresent.as_str().to_owned(),
            done: false,
            user_id: None,
        };
        if let Err(err) = j
            .record(&JournalEntry::new("onboard", tool, email, phase))
            .await
        {
            tracing::warn!(target: "invite::desired", tool, error = %err, "could not reopen a stale journal entry");
        }
    }
}

/// A grant change, a pending grant, or a removal.
async fn one(t: &Target, c: &Change, options: &ApplyOptions) -> Applied {
    if c.action == Action::GrantAfterAcceptance {
        return Applied::done(
            c.clone(),
            Outcome::AlreadyMember,
            "pending invitation: the grants apply once it is accepted (apply again then)".into(),
        );
    }
    let Some(user) = c.account() else {
        return Applied::failed(
            c.clone(),
            &Error::invalid_input("user_id", "the change names no account"),
        );
    };
    match c.action {
        Action::ChangeGrants | Action::RevokeGrants => grants(t, c, &user.id).await,
        _ => remove(t, c, &user, options).await,
    }
}

/// Gives the grants a member lacks (an exclusive kind replaces the one held), or takes
/// away those the roster does not list.
async fn grants(t: &Target, c: &Change, id: &UserId) -> Applied {
    let (change, done) = match c.action {
        Action::RevokeGrants => (Ok(GrantChange::Remove(c.grants.clone())), "revoked"),
        _ => (additions(t, c, id).await, "granted"),
    };
    let written = match change {
        Ok(change) => {
            t.provider
                .update(id, &UserPatch::new().grants(change))
                .await
        }
        Err(e) => Err(e),
    };
    match written {
        Ok(_) => {
            let shown: Vec<String> = c.grants.iter().map(ToString::to_string).collect();
            Applied::done(
                c.clone(),
                Outcome::AlreadyMember,
                format!("{done} {}", shown.join(", ")),
            )
        }
        Err(e) => Applied::failed(c.clone(), &e),
    }
}

/// The change that adds `c`'s grants: a held grant of an exclusive kind is replaced (read
/// first), the others are kept.
async fn additions(t: &Target, c: &Change, id: &UserId) -> Result<GrantChange> {
    let caps = &Describe::info(t.provider.as_ref()).capabilities;
    let exclusive: Vec<&Grant> = c
        .grants
        .iter()
        .filter(|g| caps.is_exclusive(g.kind()))
        .collect();
    if exclusive.is_empty() {
        return Ok(GrantChange::Add(c.grants.clone()));
    }
    let mut all: Vec<Grant> = t
        .provider
        .get(id)
        .await?
        .grants
        .into_iter()
        .filter(|h| !exclusive.iter().any(|g| g.kind() == h.kind()))
        .collect();
    all.extend(c.grants.iter().cloned());
    Ok(GrantChange::Replace(all))
}

async fn remove(t: &Target, c: &Change, user: &User, options: &ApplyOptions) -> Applied {
    // The plan knows the account: removed by id, without looking it up again.
    let report = options
        .orchestrator(t.clone())
        .offboard_known(&c.email, user, OffboardPolicy::Remove)
        .await;
    let applied = Applied::from_report(c.clone(), report);
    if let (Some(j), Outcome::Removed | Outcome::NotPresent) = (&options.journal, applied.outcome) {
        let phase = JournalPhase::Finished {
            outcome: Outcome::Removed.as_str().to_owned(),
            done: false,
            user_id: c.user_id.as_ref().map(ToString::to_string),
        };
        let entry = JournalEntry::new("onboard", &t.name, c.email.normalized(), phase);
        if let Err(e) = j.record(&entry).await {
            tracing::warn!(target: "invite::desired", tool = %t.name, error = %e, "could not reopen the onboarding in the journal");
        }
    }
    applied
}
