//! Onboarding and offboarding one person across every configured tool.
//!
//! An [`Orchestrator`] holds the configured [`Target`]s (a provider plus the grants and email
//! delivery an onboarding gives there). It can
//! - **plan** an onboarding or offboarding: look the person up everywhere, write nothing, and
//!   report what applying would do;
//! - **onboard**: [`ensure_invited`] on every target concurrently (bounded), one report entry
//!   per target; one target failing never stops or undoes the others;
//! - **offboard**: find the person everywhere, then deactivate or remove per an
//!   [`OffboardPolicy`], refusing the whole run (before any write) when it would touch more
//!   accounts than the blast-radius limit allows;
//! - **find** every account for an email in one call.
//!
//! With a [`Journal`], every target's outcome is recorded (written ahead), so running the
//! same job again after a crash neither re-invites nor skips anyone.
//!
//! ```
//! use std::sync::Arc;
//! use invite_core::onboard::{Orchestrator, Person, Target};
//! use invite_core::{Email, InMemoryProvider, PersonName};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let orchestrator = Orchestrator::new(vec![
//!     Target::new("wiki", Arc::new(InMemoryProvider::new("wiki"))),
//!     Target::new("crm", Arc::new(InMemoryProvider::new("crm"))),
//! ]);
//! let person = Person::new(Email::parse("ada@example.com")?, PersonName::new("Ada", "Lovelace"));
//! let plan = orchestrator.plan_onboard(&person).await;
//! assert!(plan.entries.iter().all(|e| e.outcome == invite_core::onboard::Outcome::WouldInvite));
//! let report = orchestrator.onboard(&person).await;
//! assert!(report.succeeded());
//! # Ok::<(), invite_core::Error>(())
//! # }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::ensure::{EnsureOutcome, ensure_invited};
use crate::error::{Error, Result};
use crate::journal::{Journal, JournalEntry, JournalPhase};
use crate::lock::{InviteLock, acquire_waiting};
use crate::model::{
    Email, EmailDelivery, Grant, GrantChange, Invitation, PersonName, User, UserPatch, UserStatus,
};
use crate::provider::{Describe, DynProvider};

/// One configured tool: a provider and what an onboarding gives there.
#[derive(Clone)]
pub struct Target {
    /// The name used in reports, journals and `--to` (e.g. `flatfile`).
    pub name: String,
    /// The provider.
    pub provider: DynProvider,
    /// Grants every onboarding gives here (e.g. the Flatfile actor role).
    pub grants: Vec<Grant>,
    /// Email delivery for invitations here.
    pub delivery: EmailDelivery,
    /// Vendor profile attributes for invitations here.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Give people who are already present the target's additive grants they lack (see
    /// [`Target::with_grant_convergence`]).
    pub converge_grants: bool,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("provider", &self.provider.to_string())
            .field("grants", &self.grants)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// A target with no default grants and the vendor's default delivery.
    pub fn new(name: impl Into<String>, provider: DynProvider) -> Self {
        Self {
            name: name.into(),
            provider,
            grants: Vec::new(),
            delivery: EmailDelivery::VendorDefault,
            attributes: BTreeMap::new(),
            converge_grants: false,
        }
    }
    /// Grant convergence: when the person is already present (or a re-run finds the member
    /// an earlier run invited), add the target's grants they lack. Only additive kinds are
    /// added — never a kind the provider declares exclusive
    /// ([`crate::Capabilities::exclusive_grant_kinds`], e.g. a workspace role), so re-running
    /// an onboarding never changes an existing member's role. Grants the vendor could not
    /// attach to a pending invitation ([`crate::InviteReceipt::deferred_grants`]) are applied
    /// this way once the invitee has accepted.
    pub fn with_grant_convergence(mut self, yes: bool) -> Self {
        self.converge_grants = yes;
        self
    }
    /// Sets the grants every onboarding gives here.
    pub fn with_grants(mut self, grants: Vec<Grant>) -> Self {
        self.grants = grants;
        self
    }
    /// Sets the email delivery.
    pub fn with_delivery(mut self, delivery: EmailDelivery) -> Self {
        self.delivery = delivery;
        self
    }
    /// Sets a vendor profile attribute.
    pub fn with_attribute(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.attributes.insert(key.into(), value);
        self
    }

    /// The invitation this target sends for `person`.
    pub fn invitation(&self, person: &Person) -> Invitation {
        let mut inv = Invitation::new(person.email.clone())
            .with_name(person.name.clone())
            .with_grants(self.grants.clone())
            .with_delivery(self.delivery);
        inv.attributes = self.attributes.clone();
        inv
    }
}

/// The person being onboarded.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Their address.
    pub email: Email,
    /// Their name.
    #[serde(default)]
    pub name: PersonName,
}

impl Person {
    /// A person.
    pub fn new(email: Email, name: PersonName) -> Self {
        Self { email, name }
    }
}

/// What happened (or would happen) at one target.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Invited now.
    Invited,
    /// Already had an account; nothing sent.
    AlreadyMember,
    /// The invite's answer was lost, and a lookup found the account (or a resumed run found
    /// the account an interrupted run had invited).
    Reconciled,
    /// The invite's outcome is unknown and a lookup did not find the account: check by hand
    /// before trying again.
    Uncertain,
    /// A declined or expired invitation that this target does not re-send.
    Lapsed,
    /// Not attempted: the target cannot do what was asked (the reason says which capability).
    Skipped,
    /// Failed; see the error.
    Failed,
    /// Plan: would invite.
    WouldInvite,
    /// Plan: would deactivate.
    WouldDeactivate,
    /// Plan: would remove.
    WouldRemove,
    /// Deactivated.
    Deactivated,
    /// Removed (or, for a pending invitation, cancelled).
    Removed,
    /// Has no account here.
    NotPresent,
    /// Found (`find`).
    Found,
}

impl Outcome {
    /// True when this outcome counts as success for the job.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Invited
                | Outcome::AlreadyMember
                | Outcome::Reconciled
                | Outcome::WouldInvite
                | Outcome::WouldDeactivate
                | Outcome::WouldRemove
                | Outcome::Deactivated
                | Outcome::Removed
                | Outcome::NotPresent
                | Outcome::Found
        )
    }

    /// The outcome's name (`invited`, `already_member`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Invited => "invited",
            Outcome::AlreadyMember => "already_member",
            Outcome::Reconciled => "reconciled",
            Outcome::Uncertain => "uncertain",
            Outcome::Lapsed => "lapsed",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::WouldInvite => "would_invite",
            Outcome::WouldDeactivate => "would_deactivate",
            Outcome::WouldRemove => "would_remove",
            Outcome::Deactivated => "deactivated",
            Outcome::Removed => "removed",
            Outcome::NotPresent => "not_present",
            Outcome::Found => "found",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A serializable summary of an [`Error`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The variant (`not_found`, `rate_limited`, …).
    pub kind: String,
    /// The full message.
    pub message: String,
    /// The HTTP status, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The vendor's code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Whether trying again later may succeed.
    pub retryable: bool,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        Self {
            kind: e.kind_name().to_owned(),
            message: e.to_string(),
            status: e.status(),
            code: e.vendor_code().map(str::to_owned),
            retryable: e.is_retryable(),
        }
    }
}

/// One target's line in a [`Report`].
#[non_exhaustive]
#[derive(Debug, Serialize)]
pub struct ReportEntry {
    /// The target's name.
    pub provider: String,
    /// What happened.
    pub outcome: Outcome,
    /// The account id, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The account's status, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Why (for skipped, lapsed, uncertain and reconciled outcomes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error, for failed and uncertain outcomes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// True when the outcome was read from the journal of an earlier run (nothing was sent).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
    /// Grants still to be given (e.g. a Webflow site role that applies once the invitee is a
    /// member); a journal keeps the job open until they are given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_grants: Vec<Grant>,
    /// The account found or changed, for callers that want more than the id.
    #[serde(skip)]
    pub user: Option<User>,
    /// The error itself, for callers that match on it.
    #[serde(skip)]
    pub source: Option<Error>,
}

impl ReportEntry {
    fn new(provider: &str, outcome: Outcome) -> Self {
        Self {
            provider: provider.to_owned(),
            outcome,
            user_id: None,
            status: None,
            reason: None,
            error: None,
            resumed: false,
            pending_grants: Vec::new(),
            user: None,
            source: None,
        }
    }
    fn with_user(mut self, user: &User) -> Self {
        self.user_id = Some(user.id.to_string());
        self.status = Some(user.status.clone());
        self.user = Some(user.clone());
        self
    }
    fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    fn with_error(mut self, e: Error) -> Self {
        self.error = Some(ErrorInfo::from(&e));
        self.source = Some(e);
        self
    }
    fn failed(provider: &str, e: Error) -> Self {
        let outcome = match &e {
            Error::Unsupported { .. } => Outcome::Skipped,
            Error::Uncertain { .. } => Outcome::Uncertain,
            _ => Outcome::Failed,
        };
        let entry = Self::new(provider, outcome);
        match outcome {
            Outcome::Skipped => entry.with_reason(e.to_string()).with_error(e),
            _ => entry.with_error(e),
        }
    }
}

/// The job a report is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// Onboarding.
    Onboard,
    /// Offboarding.
    Offboard,
    /// Finding.
    Find,
}

impl Job {
    fn as_str(self) -> &'static str {
        match self {
            Job::Onboard => "onboard",
            Job::Offboard => "offboard",
            Job::Find => "find",
        }
    }
}

/// The result of a job: one entry per target, in configuration order.
#[non_exhaustive]
#[derive(Debug, Serialize)]
pub struct Report {
    /// The job.
    pub job: Job,
    /// The person's address.
    pub email: String,
    /// True for a plan (nothing was written).
    pub dry_run: bool,
    /// One entry per target.
    pub entries: Vec<ReportEntry>,
}

impl Report {
    /// True when every target succeeded or already had the person.
    pub fn succeeded(&self) -> bool {
        self.entries.iter().all(|e| e.outcome.is_success())
    }

    /// The entry for a target.
    pub fn entry(&self, provider: &str) -> Option<&ReportEntry> {
        self.entries.iter().find(|e| e.provider == provider)
    }
}

fn describe_grants(grants: &[Grant]) -> String {
    let parts: Vec<String> = grants.iter().map(Grant::to_string).collect();
    parts.join(", ")
}

/// What offboarding does with each account found.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffboardPolicy {
    /// Deactivate where the vendor can, remove elsewhere.
    #[default]
    DeactivateOrRemove,
    /// Only deactivate; targets that cannot are skipped (reported).
    Deactivate,
    /// Remove everywhere (pending invitations are cancelled).
    Remove,
}

/// Options of an offboarding.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffboardOptions {
    /// What to do with each account.
    pub policy: OffboardPolicy,
    /// The most accounts one run may deactivate or remove; a run that would touch more is
    /// refused before any write. `None`: no limit.
    pub max_accounts: Option<usize>,
}

impl Default for OffboardOptions {
    fn default() -> Self {
        Self {
            policy: OffboardPolicy::default(),
            max_accounts: Some(10),
        }
    }
}

impl OffboardOptions {
    /// Options with `policy` and the default blast radius (10 accounts).
    pub fn new(policy: OffboardPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }
    /// Sets the blast-radius limit.
    pub fn max_accounts(mut self, limit: Option<usize>) -> Self {
        self.max_accounts = limit;
        self
    }
}

/// Runs jobs across targets. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Orchestrator {
    targets: Vec<Target>,
    concurrency: usize,
    journal: Option<Arc<dyn Journal>>,
    lock: Option<LockSettings>,
}

#[derive(Clone, Debug)]
struct LockSettings {
    lock: Arc<dyn InviteLock>,
    ttl: std::time::Duration,
    wait: std::time::Duration,
}

impl Orchestrator {
    /// An orchestrator over `targets`, 8 at a time, without a journal.
    pub fn new(targets: Vec<Target>) -> Self {
        Self {
            targets,
            concurrency: 8,
            journal: None,
            lock: None,
        }
    }
    /// How many targets are worked on at once (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// Records outcomes in `journal`, and resumes from it.
    pub fn with_journal(mut self, journal: Arc<dyn Journal>) -> Self {
        self.journal = Some(journal);
        self
    }
    /// Takes a per-person lock (per target, instance and lower-cased email) around each
    /// lookup-then-invite, held at most `ttl`; a worker that finds it taken waits up to `wait`
    /// and then looks the person up again instead of inviting twice. A lock store that fails
    /// stops the write (fail closed).
    pub fn with_lock(
        mut self,
        lock: Arc<dyn InviteLock>,
        ttl: std::time::Duration,
        wait: std::time::Duration,
    ) -> Self {
        self.lock = Some(LockSettings { lock, ttl, wait });
        self
    }
    /// The targets.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    async fn each<'a, F, Fut>(&'a self, f: F) -> Vec<ReportEntry>
    where
        F: Fn(&'a Target) -> Fut,
        Fut: std::future::Future<Output = ReportEntry> + 'a,
    {
        let mut done: Vec<(usize, ReportEntry)> =
            futures::stream::iter(self.targets.iter().enumerate().map(|(i, t)| {
                let fut = f(t);
                async move { (i, fut.await) }
            }))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, e)| e).collect()
    }

    /// Looks the person up everywhere and reports what [`Orchestrator::onboard`] would do.
    /// Writes nothing (not even the journal).
    pub async fn plan_onboard(&self, person: &Person) -> Report {
        let entries = self
            .each(|t| async move {
                let inv = t.invitation(person);
                let info = Describe::info(t.provider.as_ref());
                if let Err(e) = info.capabilities.check_invitation(info, &inv) {
                    return ReportEntry::failed(&t.name, e);
                }
                match t.provider.find_by_email(&person.email).await {
                    Ok(Some(u))
                        if u.status.is_lapsed_invite() && !info.capabilities.reinvite_lapsed =>
                    {
                        ReportEntry::new(&t.name, Outcome::Lapsed)
                            .with_user(&u)
                            .with_reason(format!(
                                "invitation {}; this tool does not re-send it",
                                u.status
                            ))
                    }
                    Ok(Some(u)) if u.status.is_lapsed_invite() => {
                        ReportEntry::new(&t.name, Outcome::WouldInvite)
                            .with_user(&u)
                            .with_reason(format!("invitation {}; would invite again", u.status))
                    }
                    Ok(Some(u)) => ReportEntry::new(&t.name, Outcome::AlreadyMember).with_user(&u),
                    Ok(None) => ReportEntry::new(&t.name, Outcome::WouldInvite),
                    Err(e) => ReportEntry::failed(&t.name, e),
                }
            })
            .await;
        Report {
            job: Job::Onboard,
            email: person.email.to_string(),
            dry_run: true,
            entries,
        }
    }

    /// Onboards the person into every target concurrently through [`ensure_invited`].
    pub async fn onboard(&self, person: &Person) -> Report {
        let entries = self.each(|t| self.onboard_one(t, person)).await;
        Report {
            job: Job::Onboard,
            email: person.email.to_string(),
            dry_run: false,
            entries,
        }
    }

    async fn journal_latest(
        &self,
        job: Job,
        t: &Target,
        email: &Email,
    ) -> Result<Option<JournalEntry>> {
        match &self.journal {
            Some(j) => j.latest(job.as_str(), &t.name, email.normalized()).await,
            None => Ok(None),
        }
    }

    async fn journal_record(
        &self,
        job: Job,
        t: &Target,
        email: &Email,
        phase: JournalPhase,
    ) -> Result<()> {
        match &self.journal {
            Some(j) => {
                j.record(&JournalEntry::new(
                    job.as_str(),
                    &t.name,
                    email.normalized(),
                    phase,
                ))
                .await
            }
            None => Ok(()),
        }
    }

    async fn finish(&self, job: Job, t: &Target, email: &Email, entry: ReportEntry) -> ReportEntry {
        let phase = JournalPhase::Finished {
            outcome: entry.outcome.as_str().to_owned(),
            done: entry.outcome.is_success() && entry.pending_grants.is_empty(),
            user_id: entry.user_id.clone(),
        };
        match self.journal_record(job, t, email, phase).await {
            Ok(()) => entry,
            Err(e) => {
                let mut entry = entry;
                entry.reason = Some(format!(
                    "{} (the journal could not record it: {e})",
                    entry.reason.as_deref().unwrap_or("done")
                ));
                entry
            }
        }
    }

    /// A finished, successful journal entry becomes the report entry; nothing is sent.
    fn resumed(t: &Target, prior: &JournalEntry) -> Option<ReportEntry> {
        let JournalPhase::Finished {
            outcome,
            done: true,
            user_id,
        } = &prior.phase
        else {
            return None;
        };
        let mut e = ReportEntry::new(&t.name, Outcome::parse(outcome)?);
        e.user_id = user_id.clone();
        e.resumed = true;
        Some(e)
    }

    async fn onboard_one(&self, t: &Target, person: &Person) -> ReportEntry {
        let job = Job::Onboard;
        let email = &person.email;
        let inv = t.invitation(person);
        let info = Describe::info(t.provider.as_ref());
        if let Err(e) = info.capabilities.check_invitation(info, &inv) {
            return ReportEntry::failed(&t.name, e);
        }
        let prior = match self.journal_latest(job, t, email).await {
            Ok(p) => p,
            Err(e) => return ReportEntry::failed(&t.name, e),
        };
        if let Some(done) = prior.as_ref().and_then(|p| Self::resumed(t, p)) {
            return done;
        }
        let interrupted = matches!(
            prior.as_ref().map(|p| &p.phase),
            Some(JournalPhase::Started)
        );
        // Written ahead: a crash from here on leaves `Started`, which the next run reconciles.
        if let Err(e) = self
            .journal_record(job, t, email, JournalPhase::Started)
            .await
        {
            return ReportEntry::failed(&t.name, e);
        }
        let held = match &self.lock {
            Some(l) => {
                let key = format!("{}:{}:{}", t.name, info.instance, email.normalized());
                match acquire_waiting(l.lock.as_ref(), &key, l.ttl, l.wait).await {
                    Ok(token) => Some((l, key, token)),
                    Err(e) => return ReportEntry::failed(&t.name, e),
                }
            }
            None => None,
        };
        let ensured = ensure_invited(t.provider.as_ref(), &inv).await;
        if let Some((l, key, token)) = held
            && let Err(e) = l.lock.release(&key, &token).await
        {
            tracing::warn!(target: "invite::onboard", key, error = %e, "could not release the invite lock; it expires by itself");
        }
        let entry = match ensured {
            Ok(EnsureOutcome::Invited(r)) if !r.deferred_grants.is_empty() => {
                let mut e = ReportEntry::new(&t.name, Outcome::Invited)
                    .with_user(&r.user)
                    .with_reason(format!(
                        "{} apply once the invitation is accepted: run the onboarding again then",
                        describe_grants(&r.deferred_grants)
                    ));
                e.pending_grants = r.deferred_grants.clone();
                e
            }
            Ok(EnsureOutcome::Invited(r)) => {
                ReportEntry::new(&t.name, Outcome::Invited).with_user(&r.user)
            }
            Ok(EnsureOutcome::AlreadyMember(u)) if interrupted => {
                ReportEntry::new(&t.name, Outcome::Reconciled)
                    .with_user(&u)
                    .with_reason("an interrupted earlier run had invited this person")
            }
            Ok(EnsureOutcome::AlreadyMember(u)) => {
                ReportEntry::new(&t.name, Outcome::AlreadyMember).with_user(&u)
            }
            Ok(EnsureOutcome::Reconciled { user, cause }) => {
                ReportEntry::new(&t.name, Outcome::Reconciled)
                    .with_user(&user)
                    .with_reason(format!(
                        "the invite's answer was lost ({}); a lookup found the account",
                        cause.kind_name()
                    ))
            }
            Ok(EnsureOutcome::Lapsed(u)) => ReportEntry::new(&t.name, Outcome::Lapsed)
                .with_user(&u)
                .with_reason(format!(
                    "invitation {}; this tool does not re-send it",
                    u.status
                )),
            Err(e) => ReportEntry::failed(&t.name, e),
        };
        let entry = if t.converge_grants
            && matches!(entry.outcome, Outcome::AlreadyMember | Outcome::Reconciled)
        {
            self.converge(t, entry).await
        } else {
            entry
        };
        self.finish(job, t, email, entry).await
    }

    /// The target's additive grants that `user` lacks (see [`Target::with_grant_convergence`]).
    fn missing_grants(t: &Target, user: &User) -> Vec<Grant> {
        let c = &Describe::info(t.provider.as_ref()).capabilities;
        t.grants
            .iter()
            .filter(|g| {
                c.understands(g.kind()) && !c.is_exclusive(g.kind()) && !user.grants.contains(g)
            })
            .cloned()
            .collect()
    }

    /// Gives a present member the additive grants they lack; a pending invitee keeps them
    /// pending (they cannot be attached to an invitation the vendor still holds).
    async fn converge(&self, t: &Target, mut entry: ReportEntry) -> ReportEntry {
        let Some(user) = entry.user.clone() else {
            return entry;
        };
        let missing = Self::missing_grants(t, &user);
        if missing.is_empty()
            || !Describe::info(t.provider.as_ref())
                .capabilities
                .update_grants
        {
            return entry;
        }
        if user.status == UserStatus::Invited {
            entry.reason = Some(format!(
                "{} apply once the invitation is accepted",
                describe_grants(&missing)
            ));
            entry.pending_grants = missing;
            return entry;
        }
        let patch = UserPatch::new().grants(GrantChange::Add(missing.clone()));
        match t.provider.update(&user.id, &patch).await {
            Ok(updated) => {
                let reason = format!("granted {}", describe_grants(&missing));
                entry.with_user(&updated).with_reason(reason)
            }
            // The tool refuses the grant because of the member's state (e.g. a Webflow admin
            // already opens every site; a SCIM-managed member): reported, not retried, and
            // the person stays onboarded.
            Err(e @ Error::Conflict(_)) => {
                entry.reason = Some(format!("{} not given: {e}", describe_grants(&missing)));
                entry.with_error(e)
            }
            Err(e) => {
                let mut failed = ReportEntry::failed(&t.name, e).with_user(&user);
                failed.reason = Some(format!(
                    "already a member, but {} could not be granted",
                    describe_grants(&missing)
                ));
                failed.pending_grants = missing;
                failed
            }
        }
    }

    /// Every account for `email`, across targets, in one call.
    pub async fn find(&self, email: &Email) -> Report {
        let entries = self
            .each(|t| async move {
                match t.provider.find_by_email(email).await {
                    Ok(Some(u)) => ReportEntry::new(&t.name, Outcome::Found).with_user(&u),
                    Ok(None) => ReportEntry::new(&t.name, Outcome::NotPresent),
                    Err(e) => ReportEntry::failed(&t.name, e),
                }
            })
            .await;
        Report {
            job: Job::Find,
            email: email.to_string(),
            dry_run: true,
            entries,
        }
    }

    fn offboard_action(
        t: &Target,
        policy: OffboardPolicy,
        user: &User,
    ) -> std::result::Result<Outcome, String> {
        let c = &Describe::info(t.provider.as_ref()).capabilities;
        let pending = matches!(
            user.status,
            UserStatus::Invited | UserStatus::InviteDeclined | UserStatus::InviteExpired
        );
        match policy {
            OffboardPolicy::Deactivate if c.deactivate && !pending => Ok(Outcome::WouldDeactivate),
            OffboardPolicy::Deactivate if pending && c.remove => Ok(Outcome::WouldRemove),
            OffboardPolicy::Deactivate => {
                Err("this tool cannot deactivate accounts; offboard with removal instead".into())
            }
            OffboardPolicy::DeactivateOrRemove if c.deactivate && !pending => {
                Ok(Outcome::WouldDeactivate)
            }
            OffboardPolicy::DeactivateOrRemove | OffboardPolicy::Remove if c.remove => {
                Ok(Outcome::WouldRemove)
            }
            OffboardPolicy::DeactivateOrRemove | OffboardPolicy::Remove => {
                Err("this tool cannot remove accounts".into())
            }
        }
    }

    /// Plans an offboarding: finds the person everywhere and reports what would be done.
    pub async fn plan_offboard(&self, email: &Email, options: OffboardOptions) -> Report {
        let entries = self
            .each(|t| async move {
                match t.provider.find_by_email(email).await {
                    Ok(None) => ReportEntry::new(&t.name, Outcome::NotPresent),
                    Ok(Some(u))
                        if u.status == UserStatus::Deactivated
                            && options.policy != OffboardPolicy::Remove =>
                    {
                        ReportEntry::new(&t.name, Outcome::Deactivated)
                            .with_user(&u)
                            .with_reason("already deactivated")
                    }
                    Ok(Some(u)) => match Self::offboard_action(t, options.policy, &u) {
                        Ok(action) => ReportEntry::new(&t.name, action).with_user(&u),
                        Err(reason) => ReportEntry::new(&t.name, Outcome::Skipped)
                            .with_user(&u)
                            .with_reason(reason),
                    },
                    Err(e) => ReportEntry::failed(&t.name, e),
                }
            })
            .await;
        Report {
            job: Job::Offboard,
            email: email.to_string(),
            dry_run: true,
            entries,
        }
    }

    /// Offboards the person: plans first, refuses the whole run when it would deactivate or
    /// remove more accounts than `options.max_accounts`, then applies the plan concurrently.
    pub async fn offboard(&self, email: &Email, options: OffboardOptions) -> Result<Report> {
        let plan = self.plan_offboard(email, options).await;
        let writes = plan
            .entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::WouldDeactivate | Outcome::WouldRemove))
            .count();
        if let Some(limit) = options.max_accounts
            && writes > limit
        {
            return Err(Error::invalid_input(
                "max_accounts",
                format!(
                    "offboarding {email} would deactivate or remove {writes} accounts, more than the limit of {limit}; nothing was changed"
                ),
            ));
        }
        let planned: Vec<ReportEntry> = plan.entries;
        let mut entries = Vec::with_capacity(planned.len());
        let mut work = Vec::new();
        for (i, entry) in planned.into_iter().enumerate() {
            match (entry.outcome, entry.user.clone(), self.targets.get(i)) {
                (Outcome::WouldDeactivate | Outcome::WouldRemove, Some(user), Some(t)) => {
                    work.push((i, t, entry.outcome, user));
                    entries.push(None);
                }
                _ => entries.push(Some(entry)),
            }
        }
        let done: Vec<(usize, ReportEntry)> =
            futures::stream::iter(work.into_iter().map(|(i, t, action, user)| async move {
                (i, self.offboard_one(t, email, action, &user).await)
            }))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for (i, e) in done {
            if let Some(slot) = entries.get_mut(i) {
                *slot = Some(e);
            }
        }
        Ok(Report {
            job: Job::Offboard,
            email: email.to_string(),
            dry_run: false,
            entries: entries.into_iter().flatten().collect(),
        })
    }

    async fn offboard_one(
        &self,
        t: &Target,
        email: &Email,
        action: Outcome,
        user: &User,
    ) -> ReportEntry {
        let job = Job::Offboard;
        if let Err(e) = self
            .journal_record(job, t, email, JournalPhase::Started)
            .await
        {
            return ReportEntry::failed(&t.name, e);
        }
        let result = if action == Outcome::WouldDeactivate {
            t.provider
                .deactivate(&user.id)
                .await
                .map(|()| Outcome::Deactivated)
        } else {
            t.provider.remove(&user.id).await.map(|()| Outcome::Removed)
        };
        let entry = match result {
            Ok(outcome) => ReportEntry::new(&t.name, outcome).with_user(user),
            Err(Error::NotFound(_)) => ReportEntry::new(&t.name, Outcome::NotPresent)
                .with_user(user)
                .with_reason("already gone when the change was applied"),
            Err(e) => ReportEntry::failed(&t.name, e).with_user(user),
        };
        self.finish(job, t, email, entry).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::MemoryJournal;
    use crate::memory::{Fault, InMemoryProvider};
    use crate::provider::{Capabilities, InviteProvider, Operation, UserDirectory};

    fn person(e: &str) -> Person {
        Person::new(Email::parse(e).unwrap(), PersonName::new("Ada", "Lovelace"))
    }

    fn two() -> (InMemoryProvider, InMemoryProvider, Orchestrator) {
        let a = InMemoryProvider::new("a");
        let b = InMemoryProvider::new("b");
        let o = Orchestrator::new(vec![
            Target::new("a", Arc::new(a.clone())),
            Target::new("b", Arc::new(b.clone())),
        ]);
        (a, b, o)
    }

    #[tokio::test]
    async fn onboard_reports_each_and_one_failure_does_not_stop_others() {
        let (a, b, o) = two();
        let p = person("ada@example.com");
        b.accept(&p.email).unwrap_err(); // not there yet
        a.inject(Operation::FindByEmail, Fault::Unavailable);
        let r = o.onboard(&p).await;
        assert_eq!(r.entries[0].outcome, Outcome::Failed);
        assert_eq!(r.entries[0].error.as_ref().unwrap().status, Some(503));
        assert_eq!(r.entries[1].outcome, Outcome::Invited);
        assert!(!r.succeeded());
        assert_eq!(a.invitations_sent(&p.email), 0);
        let again = o.onboard(&p).await;
        assert_eq!(again.entries[0].outcome, Outcome::Invited);
        assert_eq!(again.entries[1].outcome, Outcome::AlreadyMember);
        assert!(again.succeeded());
        assert_eq!(b.invitations_sent(&p.email), 1);
    }

    #[tokio::test]
    async fn plan_writes_nothing() {
        let (a, b, o) = two();
        let p = person("plan@example.com");
        let plan = o.plan_onboard(&p).await;
        assert!(plan.dry_run);
        assert!(
            plan.entries
                .iter()
                .all(|e| e.outcome == Outcome::WouldInvite)
        );
        assert_eq!(
            a.invitations_sent(&p.email) + b.invitations_sent(&p.email),
            0
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["entries"][0]["outcome"], "would_invite");
    }

    #[tokio::test]
    async fn skipped_with_capability_named() {
        let mut c = InMemoryProvider::full_capabilities();
        c.silent_invite = false;
        let p = InMemoryProvider::with_capabilities("loud", c);
        let o = Orchestrator::new(vec![
            Target::new("loud", Arc::new(p.clone())).with_delivery(EmailDelivery::Suppress),
        ]);
        let r = o.onboard(&person("s@example.com")).await;
        assert_eq!(r.entries[0].outcome, Outcome::Skipped);
        assert!(r.entries[0].reason.as_ref().unwrap().contains("suppressed"));
        assert_eq!(p.calls(), 0);
    }

    #[tokio::test]
    async fn uncertain_invite_is_reconciled_not_repeated() {
        let (a, _b, o) = two();
        a.inject(Operation::Invite, Fault::CommitThenLoseAnswer);
        let p = person("lost@example.com");
        let r = o.onboard(&p).await;
        assert_eq!(r.entries[0].outcome, Outcome::Reconciled);
        assert_eq!(a.invitations_sent(&p.email), 1);
        assert!(r.succeeded());
    }

    #[tokio::test]
    async fn journal_resumes_without_reinviting_or_skipping() {
        let (a, b, _) = two();
        let journal = Arc::new(MemoryJournal::new());
        let o = Orchestrator::new(vec![
            Target::new("a", Arc::new(a.clone())),
            Target::new("b", Arc::new(b.clone())),
        ])
        .with_journal(journal.clone());
        let p = person("crash@example.com");
        b.inject(Operation::FindByEmail, Fault::Unavailable);
        let first = o.onboard(&p).await;
        assert_eq!(first.entries[1].outcome, Outcome::Failed);
        let calls_a = a.calls();
        let second = o.onboard(&p).await;
        assert!(second.entries[0].resumed, "a is read from the journal");
        assert_eq!(second.entries[0].outcome, Outcome::Invited);
        assert_eq!(a.calls(), calls_a, "nothing sent to a again");
        assert_eq!(
            second.entries[1].outcome,
            Outcome::Invited,
            "b is not skipped"
        );
        assert_eq!(a.invitations_sent(&p.email), 1);
        // A crash between `Started` and the answer: the next run reconciles by lookup.
        let c = InMemoryProvider::new("c");
        let oc = Orchestrator::new(vec![Target::new("c", Arc::new(c.clone()))])
            .with_journal(journal.clone());
        journal
            .record(&JournalEntry::new(
                "onboard",
                "c",
                p.email.normalized(),
                JournalPhase::Started,
            ))
            .await
            .unwrap();
        c.invite(&Invitation::new(p.email.clone())).await.unwrap();
        let r = oc.onboard(&p).await;
        assert_eq!(r.entries[0].outcome, Outcome::Reconciled);
        assert_eq!(c.invitations_sent(&p.email), 1);
    }

    /// Slow lookups (so two workers overlap) and a count of invite calls.
    #[derive(Debug)]
    struct Slow {
        inner: InMemoryProvider,
        invites: std::sync::atomic::AtomicU32,
    }
    impl fmt::Display for Slow {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Display::fmt(&self.inner, f)
        }
    }
    impl Describe for Slow {
        fn info(&self) -> &crate::provider::ProviderInfo {
            self.inner.info()
        }
    }
    #[async_trait::async_trait]
    impl InviteProvider for Slow {
        async fn invite(&self, inv: &Invitation) -> Result<crate::model::InviteReceipt> {
            self.invites
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.invite(inv).await
        }
        async fn resend(&self, id: &crate::model::UserId) -> Result<()> {
            self.inner.resend(id).await
        }
    }
    #[async_trait::async_trait]
    impl UserDirectory for Slow {
        fn list(
            &self,
            q: crate::model::ListQuery,
        ) -> futures::stream::BoxStream<'static, Result<User>> {
            self.inner.list(q)
        }
        async fn get(&self, id: &crate::model::UserId) -> Result<User> {
            self.inner.get(id).await
        }
        async fn find_by_email(&self, e: &Email) -> Result<Option<User>> {
            // Read, then answer late: a racing worker reads the same (stale) state.
            let found = self.inner.find_by_email(e).await;
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            found
        }
        async fn update(
            &self,
            id: &crate::model::UserId,
            p: &crate::model::UserPatch,
        ) -> Result<User> {
            self.inner.update(id, p).await
        }
        async fn deactivate(&self, id: &crate::model::UserId) -> Result<()> {
            self.inner.deactivate(id).await
        }
        async fn reactivate(&self, id: &crate::model::UserId) -> Result<()> {
            self.inner.reactivate(id).await
        }
        async fn remove(&self, id: &crate::model::UserId) -> Result<()> {
            self.inner.remove(id).await
        }
    }

    async fn race(with_lock: bool) -> (u32, Vec<Outcome>) {
        let shared = Arc::new(Slow {
            inner: InMemoryProvider::new("shared"),
            invites: std::sync::atomic::AtomicU32::new(0),
        });
        let lock: Arc<dyn InviteLock> = Arc::new(crate::lock::LocalInviteLock::new());
        let worker = || {
            let o = Orchestrator::new(vec![Target::new("shared", shared.clone())]);
            if with_lock {
                o.with_lock(
                    lock.clone(),
                    std::time::Duration::from_secs(30),
                    std::time::Duration::from_secs(30),
                )
            } else {
                o
            }
        };
        let (w1, w2) = (worker(), worker());
        let p = person("race@example.com");
        let (r1, r2) = tokio::join!(w1.onboard(&p), w2.onboard(&p));
        let mut outcomes = vec![r1.entries[0].outcome, r2.entries[0].outcome];
        outcomes.sort_by_key(|o| o.as_str());
        (
            shared.invites.load(std::sync::atomic::Ordering::SeqCst),
            outcomes,
        )
    }

    #[tokio::test]
    async fn two_workers_same_person_one_invite_call() {
        let (calls, outcomes) = race(true).await;
        assert_eq!(
            calls, 1,
            "the second worker waited for the lock and found the person"
        );
        assert_eq!(outcomes, vec![Outcome::AlreadyMember, Outcome::Invited]);
        // Without the lock both workers reach the vendor (the second is saved only by the
        // vendor's own conflict answer, which not every vendor gives).
        let (calls, _) = race(false).await;
        assert_eq!(calls, 2);
    }

    #[tokio::test]
    async fn grant_convergence_adds_missing_additive_grants_only() {
        // The in-memory tool's role is exclusive, its groups additive.
        let p = InMemoryProvider::new("p");
        let journal = Arc::new(MemoryJournal::new());
        let group = InMemoryProvider::group("g1");
        let role = InMemoryProvider::role("r-new");
        let old_role = InMemoryProvider::role("r-old");
        let member = person("member@example.com");
        let pending = person("pending@example.com");
        for who in [&member, &pending] {
            p.invite(&Invitation::new(who.email.clone()).with_grant(old_role.clone()))
                .await
                .unwrap();
        }
        p.accept(&member.email).unwrap();
        let target =
            Target::new("p", Arc::new(p.clone())).with_grants(vec![group.clone(), role.clone()]);

        // Without convergence an existing member is left as is.
        let plain = Orchestrator::new(vec![target.clone()]);
        let r = plain.onboard(&member).await;
        assert_eq!(r.entries[0].outcome, Outcome::AlreadyMember);
        assert!(
            !p.find_by_email(&member.email)
                .await
                .unwrap()
                .unwrap()
                .grants
                .contains(&group)
        );

        let o = Orchestrator::new(vec![target.with_grant_convergence(true)])
            .with_journal(journal.clone());
        let r = o.onboard(&member).await;
        assert_eq!(r.entries[0].outcome, Outcome::AlreadyMember);
        assert!(
            r.entries[0]
                .reason
                .as_ref()
                .unwrap()
                .contains("granted group g1"),
            "{:?}",
            r.entries[0].reason
        );
        let grants = p
            .find_by_email(&member.email)
            .await
            .unwrap()
            .unwrap()
            .grants;
        assert!(grants.contains(&group), "additive grant added");
        assert!(
            grants.contains(&old_role) && !grants.contains(&role),
            "exclusive role untouched: {grants:?}"
        );

        // A pending invitee keeps the grant pending, and the journal keeps the job open.
        let calls = p.calls();
        let r = o.onboard(&pending).await;
        assert_eq!(r.entries[0].outcome, Outcome::AlreadyMember);
        assert_eq!(r.entries[0].pending_grants, vec![group.clone()]);
        assert!(r.succeeded());
        assert_eq!(
            p.calls(),
            calls + 1,
            "only the lookup: no update of a pending invitee"
        );
        p.accept(&pending.email).unwrap();
        let r = o.onboard(&pending).await;
        assert!(!r.entries[0].resumed, "an open job is not skipped");
        assert!(r.entries[0].pending_grants.is_empty());
        assert!(
            p.find_by_email(&pending.email)
                .await
                .unwrap()
                .unwrap()
                .grants
                .contains(&group)
        );
        let r = o.onboard(&pending).await;
        assert!(r.entries[0].resumed, "done now: read from the journal");
    }

    #[tokio::test]
    async fn offboard_policy_and_blast_radius() {
        let mut no_deact = InMemoryProvider::full_capabilities();
        no_deact.deactivate = false;
        let a = InMemoryProvider::new("a");
        let b = InMemoryProvider::with_capabilities("b", no_deact);
        let c = InMemoryProvider::new("c");
        let o = Orchestrator::new(vec![
            Target::new("a", Arc::new(a.clone())),
            Target::new("b", Arc::new(b.clone())),
            Target::new("c", Arc::new(c.clone())),
        ]);
        let p = person("bye@example.com");
        o.onboard(&Person::new(p.email.clone(), PersonName::default()))
            .await;
        a.accept(&p.email).unwrap();
        b.accept(&p.email).unwrap();
        // c keeps a pending invitation.
        let refused = o
            .offboard(
                &p.email,
                OffboardOptions::new(OffboardPolicy::DeactivateOrRemove).max_accounts(Some(2)),
            )
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("3 accounts"), "{refused}");
        assert!(a.find_by_email(&p.email).await.unwrap().unwrap().status == UserStatus::Active);

        let plan = o.plan_offboard(&p.email, OffboardOptions::default()).await;
        let outcomes: Vec<Outcome> = plan.entries.iter().map(|e| e.outcome).collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::WouldDeactivate,
                Outcome::WouldRemove,
                Outcome::WouldRemove
            ]
        );

        let r = o
            .offboard(&p.email, OffboardOptions::default())
            .await
            .unwrap();
        let outcomes: Vec<Outcome> = r.entries.iter().map(|e| e.outcome).collect();
        assert_eq!(
            outcomes,
            vec![Outcome::Deactivated, Outcome::Removed, Outcome::Removed]
        );
        assert!(r.succeeded());
        assert_eq!(
            a.find_by_email(&p.email).await.unwrap().unwrap().status,
            UserStatus::Deactivated
        );
        assert!(b.find_by_email(&p.email).await.unwrap().is_none());

        let f = o.find(&p.email).await;
        let outcomes: Vec<Outcome> = f.entries.iter().map(|e| e.outcome).collect();
        assert_eq!(
            outcomes,
            vec![Outcome::Found, Outcome::NotPresent, Outcome::NotPresent]
        );
    }

    #[tokio::test]
    async fn deactivate_only_policy_skips_tools_that_cannot() {
        let caps = Capabilities {
            invite: true,
            list: true,
            get: true,
            remove: true,
            ..Capabilities::default()
        };
        let b = InMemoryProvider::with_capabilities("b", caps);
        let o = Orchestrator::new(vec![Target::new("b", Arc::new(b.clone()))]);
        let p = person("keep@example.com");
        o.onboard(&p).await;
        b.accept(&p.email).unwrap();
        let r = o
            .offboard(&p.email, OffboardOptions::new(OffboardPolicy::Deactivate))
            .await
            .unwrap();
        assert_eq!(r.entries[0].outcome, Outcome::Skipped);
        assert!(
            r.entries[0]
                .reason
                .as_ref()
                .unwrap()
                .contains("cannot deactivate")
        );
        assert!(!r.succeeded());
    }
}
