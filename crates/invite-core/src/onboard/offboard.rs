//! Offboarding: find the person everywhere, then deactivate or remove per an
//! [`OffboardPolicy`], within a blast-radius limit.

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::report::{Job, Outcome, Report, ReportEntry};
use super::{Orchestrator, Target};
use crate::error::{Error, Result};
use crate::journal::JournalPhase;
use crate::model::{Email, User, UserStatus};
use crate::provider::Describe;

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
    crate::setters! {
        /// Sets the blast-radius limit.
        max_accounts(max_accounts: Option<usize>);
    }
}

impl Orchestrator {
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
            .each(|_, t| async move {
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

    /// Offboards an account already known (e.g. from a snapshot) without looking it up:
    /// deactivated or removed per `policy` at every target, journalled and reported as
    /// [`Orchestrator::offboard`] does. Ids belong to one tool: use an orchestrator over the
    /// tool `user` was read from.
    pub async fn offboard_known(
        &self,
        email: &Email,
        user: &User,
        policy: OffboardPolicy,
    ) -> Report {
        let entries = self
            .each(|_, t| async move {
                match Self::offboard_action(t, policy, user) {
                    Ok(action) => self.offboard_one(t, email, action, user).await,
                    Err(reason) => ReportEntry::new(&t.name, Outcome::Skipped)
                        .with_user(user)
                        .with_reason(reason),
                }
            })
            .await;
        Report::new(Job::Offboard, email.to_string(), false, entries)
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
