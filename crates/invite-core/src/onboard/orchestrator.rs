//! The [`Orchestrator`]: onboarding one person across targets, and finding them.

use std::sync::Arc;

use futures::StreamExt;

use super::directory::Listed;
use super::report::{Job, Outcome, Report, ReportEntry, describe_grants};
use super::{Lookups, Person, Target};
use crate::ensure::{EnsureOutcome, ensure_invited, ensure_invited_known};
use crate::error::{Error, Result};
use crate::journal::{Journal, JournalEntry, JournalPhase};
use crate::lock::{InviteLock, LockToken, acquire_waiting};
use crate::model::{Email, Grant, GrantChange, User, UserId, UserPatch, UserStatus};
use crate::provider::{Describe, Provider};

/// Runs jobs across targets. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Orchestrator {
    pub(super) targets: Vec<Target>,
    pub(super) concurrency: usize,
    pub(super) journal: Option<Arc<dyn Journal>>,
    lock: Option<LockSettings>,
}

#[derive(Clone, Debug)]
struct LockSettings {
    lock: Arc<dyn InviteLock>,
    ttl: std::time::Duration,
    wait: std::time::Duration,
}

/// How one person's lookup at one target is answered.
#[derive(Clone, Copy, Debug)]
pub(super) enum Answer<'a> {
    /// Ask the tool ([`crate::UserDirectory::find_by_email`]) under the invite lock.
    Ask,
    /// The run's read of the directory: listed, or known absent.
    Listed(Option<&'a Listed>),
}

/// What happened under the invite lock (a return value, moved once: not boxed).
#[allow(clippy::large_enum_variant)]
enum Locked {
    /// The journal says another run finished this person meanwhile.
    Resumed(ReportEntry),
    /// The lookup and, if needed, the invitation; `true` when the directory's answer was
    /// used (the account, if any, is known by id and status only).
    Ensured(Result<EnsureOutcome>, bool),
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
    crate::setters! {
        /// How many targets are worked on at once (at least 1); also how many people
        /// [`Orchestrator::onboard_many`] works on at once.
        with_concurrency(concurrency: usize) = concurrency.max(1);
        /// Records outcomes in `journal`, and resumes from it.
        with_journal(journal: Arc<dyn Journal>) = Some(journal);
    }
    /// Takes a per-person lock (per target, instance and lower-cased email) around each
    /// lookup-then-invite, held at most `ttl`; a worker that finds it taken waits up to `wait`
    /// and then looks the person up again instead of inviting twice. A lock store that fails
    /// stops the write (fail closed).
    ///
    /// Workers that read directories ([`Orchestrator::lookups`]) and share a lock should
    /// share the journal too: under the lock, the journal tells a worker that another one
    /// has written since its read, and it then looks the person up afresh.
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

    /// Runs `f` on every target, `concurrency` at a time; the entries in target order.
    pub(super) async fn each<'a, F, Fut>(&'a self, f: F) -> Vec<ReportEntry>
    where
        F: Fn(usize, &'a Target) -> Fut,
        Fut: std::future::Future<Output = ReportEntry> + 'a,
    {
        let mut done: Vec<(usize, ReportEntry)> =
            futures::stream::iter(self.targets.iter().enumerate().map(|(i, t)| {
                let fut = f(i, t);
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
        self.plan_onboard_with(person, &Lookups::per_person()).await
    }

    pub(super) async fn plan_onboard_one(
        &self,
        t: &Target,
        person: &Person,
        answer: Answer<'_>,
    ) -> ReportEntry {
        let inv = t.invitation(person);
        let info = Describe::info(t.provider.as_ref());
        if let Err(e) = info.capabilities.check_invitation(info, &inv) {
            return ReportEntry::failed(&t.name, e);
        }
        let found = match answer {
            Answer::Ask => t.provider.find_by_email(&person.email).await,
            Answer::Listed(listed) => Ok(listed.map(|l| l.to_user(&person.email))),
        };
        match found {
            Ok(Some(u)) if u.status.is_lapsed_invite() && !info.capabilities.reinvite_lapsed => {
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
    }

    /// Onboards the person into every target concurrently through [`ensure_invited`].
    pub async fn onboard(&self, person: &Person) -> Report {
        self.onboard_with(person, &Lookups::per_person()).await
    }

    pub(super) async fn journal_latest(
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

    pub(super) async fn journal_record(
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

    pub(super) async fn finish(
        &self,
        job: Job,
        t: &Target,
        email: &Email,
        entry: ReportEntry,
    ) -> ReportEntry {
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
    pub(super) fn resumed(t: &Target, prior: &JournalEntry) -> Option<ReportEntry> {
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

    /// Onboards `person` at `t`. With an answer from the run's directory read, the lookup is
    /// not sent again, unless something says the answer may be stale: a journal entry for
    /// this person (an earlier or concurrent run wrote), or another worker holding the lock.
    /// Someone invited from outside since the read is met by the invite's conflict answer,
    /// which `ensure_invited_known` resolves by looking up and linking the account.
    pub(super) async fn onboard_one(
        &self,
        t: &Target,
        person: &Person,
        answer: Answer<'_>,
    ) -> ReportEntry {
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
        let mut interrupted = matches!(
            prior.as_ref().map(|p| &p.phase),
            Some(JournalPhase::Started)
        );
        // A listed account is there; "not listed" stands only while no run has written.
        let mut listed = match answer {
            Answer::Listed(Some(l)) => Some(Some(l)),
            Answer::Listed(None) if prior.is_none() => Some(None),
            _ => None,
        };
        let held = match &self.lock {
            Some(l) => {
                let key = format!("{}:{}:{}", t.name, info.instance, email.normalized());
                let token = match l.lock.try_acquire(&key, l.ttl).await {
                    Ok(Some(token)) => Ok(token),
                    // Another worker is at this person now: whatever was read before is stale.
                    Ok(None) => {
                        listed = None;
                        acquire_waiting(l.lock.as_ref(), &key, l.ttl, l.wait).await
                    }
                    Err(e) => Err(e),
                };
                match token {
                    Ok(token) => Some((l, key, token)),
                    Err(e) => return ReportEntry::failed(&t.name, e),
                }
            }
            None => None,
        };
        let locked = self
            .under_lock(
                t,
                person,
                listed,
                held.is_some(),
                known_id(prior.as_ref()),
                &mut interrupted,
            )
            .await;
        if let Some((l, key, token)) = held {
            release(l, &key, &token).await;
        }
        let ensured = match locked {
            Ok(Locked::Resumed(entry)) => return entry,
            Ok(Locked::Ensured(ensured, from_list)) => (ensured, from_list),
            Err(e) => return ReportEntry::failed(&t.name, e),
        };
        let (ensured, from_list) = ensured;
        let entry = match ensured {
            Ok(EnsureOutcome::Invited(r)) if !r.deferred_grants.is_empty() => {
                let mut e = ReportEntry::new(&t.name, Outcome::Invited)
                    .with_receipt(&r)
                    .with_reason(format!(
                        "{} apply once the invitation is accepted: run the onboarding again then",
                        describe_grants(&r.deferred_grants)
                    ));
                e.pending_grants = r.deferred_grants.clone();
                e
            }
            Ok(EnsureOutcome::Invited(r)) => {
                ReportEntry::new(&t.name, Outcome::Invited).with_receipt(&r)
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
            self.converge(t, email, entry, from_list).await
        } else {
            entry
        };
        self.finish(job, t, email, entry).await
    }

    /// The lookup-then-invite, under the lock when there is one. The `Started` entry is
    /// written here, so that a worker holding the lock and reading the journal sees every
    /// write another worker began. `known` is the account id an earlier run's journal entry
    /// names: it is checked by id before anything else (see [`known_account`]).
    async fn under_lock(
        &self,
        t: &Target,
        person: &Person,
        mut listed: Option<Option<&Listed>>,
        locked: bool,
        mut known: Option<UserId>,
        interrupted: &mut bool,
    ) -> Result<Locked> {
        let (job, email) = (Job::Onboard, &person.email);
        if locked
            && matches!(listed, Some(None))
            && let Some(now) = self.journal_latest(job, t, email).await?
        {
            if let Some(done) = Self::resumed(t, &now) {
                return Ok(Locked::Resumed(done));
            }
            *interrupted |= now.phase == JournalPhase::Started;
            known = known.or_else(|| known_id(Some(&now)));
            listed = None;
        }
        let provider = t.provider.as_ref();
        let known = match (&listed, known) {
            (Some(Some(_)), _) | (_, None) => None,
            (_, Some(id)) => known_account(provider, &id).await?,
        };
        // Written ahead: a crash from here on leaves `Started`, which the next run reconciles.
        self.journal_record(job, t, email, JournalPhase::Started)
            .await?;
        let inv = t.invitation(person);
        if let Some(user) = known {
            return Ok(Locked::Ensured(
                ensure_invited_known(provider, &inv, Some(user)).await,
                false,
            ));
        }
        Ok(match listed {
            Some(l) => Locked::Ensured(
                ensure_invited_known(provider, &inv, l.map(|l| l.to_user(email))).await,
                true,
            ),
            None => Locked::Ensured(ensure_invited(provider, &inv).await, false),
        })
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
    /// pending (they cannot be attached to an invitation the vendor still holds). An account
    /// known from the directory's index (id and status only) is read first: by email where
    /// the tool filters on the server, else by id.
    async fn converge(
        &self,
        t: &Target,
        email: &Email,
        mut entry: ReportEntry,
        from_list: bool,
    ) -> ReportEntry {
        let Some(mut user) = entry.user.clone() else {
            return entry;
        };
        let caps = &Describe::info(t.provider.as_ref()).capabilities;
        if Self::missing_grants(t, &user).is_empty() || !caps.update_grants {
            return entry;
        }
        if from_list {
            let read = if caps.server_side_email_lookup || !caps.get {
                t.provider.find_by_email(email).await
            } else {
                t.provider.get(&user.id).await.map(Some)
            };
            match read {
                Ok(Some(fresh)) => {
                    user = fresh;
                    entry = entry.with_user(&user);
                }
                Ok(None) => {}
                Err(e) => {
                    let mut failed = ReportEntry::failed(&t.name, e).with_user(&user);
                    failed.reason =
                        Some("already a member, but their grants could not be read".into());
                    return failed;
                }
            }
        }
        let missing = Self::missing_grants(t, &user);
        if missing.is_empty() {
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
            .each(|_, t| async move {
                match t.provider.find_by_email(email).await {
                    Ok(Some(u)) => ReportEntry::new(&t.name, Outcome::Found).with_user(&u),
                    Ok(None) => ReportEntry::new(&t.name, Outcome::NotPresent),
                    Err(e) => ReportEntry::failed(&t.name, e),
                }
            })
            .await;
        Report::new(Job::Find, email.to_string(), true, entries)
    }
}

/// The account id a journal entry names (an earlier run's outcome: an invite answers it).
fn known_id(entry: Option<&JournalEntry>) -> Option<UserId> {
    match &entry?.phase {
        JournalPhase::Finished {
            user_id: Some(id), ..
        } => Some(UserId::new(id.as_str())),
        _ => None,
    }
}

/// The account an earlier run recorded by id, read by id: a tool whose lookup by email
/// cannot see every pending invitee (awork lists a user's address only in their contact
/// entries) must not invite them a second time. `None` when the tool cannot read by id or
/// the account is gone.
async fn known_account(provider: &dyn Provider, id: &UserId) -> Result<Option<User>> {
    if !Describe::info(provider).capabilities.get {
        return Ok(None);
    }
    match provider.get(id).await {
        Ok(user) => Ok(Some(user)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

async fn release(l: &LockSettings, key: &str, token: &LockToken) {
    if let Err(e) = l.lock.release(key, token).await {
        tracing::warn!(target: "invite::onboard", key, error = %e, "could not release the invite lock; it expires by itself");
    }
}
