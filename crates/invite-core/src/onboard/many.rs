//! Onboarding many people in one run: the run owns the lookups.
//!
//! [`Orchestrator::lookups`] decides per target how this run learns who already exists (a
//! [`Directory`] read once, or one lookup per person; see the [directory docs](super::directory))
//! and [`Orchestrator::onboard_with`] / [`Orchestrator::plan_onboard_with`] use that answer
//! instead of asking the tool again. [`Orchestrator::onboard_many`] does both for a list.

use futures::StreamExt;

use super::directory::{Directory, Known};
use super::orchestrator::Answer;
use super::report::{Job, Report};
use super::{Orchestrator, Person, Target};
use crate::journal::JournalPhase;
use crate::provider::Describe;

/// How one run learns who already exists at each target (from [`Orchestrator::lookups`]).
#[derive(Debug, Default)]
pub struct Lookups {
    /// Per target, in configuration order: the directory read, or `None` to ask per person.
    directories: Vec<Option<Directory>>,
}

impl Lookups {
    /// Per-person lookups everywhere (what a single onboarding does).
    pub fn per_person() -> Self {
        Self::default()
    }

    /// The directory read for the target at `index` (configuration order), if one was read.
    pub fn directory(&self, index: usize) -> Option<&Directory> {
        self.directories.get(index).and_then(Option::as_ref)
    }

    fn answer(&self, index: usize, person: &Person) -> Answer<'_> {
        match self.directory(index).map(|d| d.lookup(&person.email)) {
            Some(Known::Present(listed)) => Answer::Listed(Some(listed)),
            Some(Known::Absent) => Answer::Listed(None),
            Some(Known::Unknown) | None => Answer::Ask,
        }
    }
}

impl Orchestrator {
    /// Decides, per target and for these people, how the run learns who already exists, and
    /// reads what that needs (targets concurrently). People the journal already has done at
    /// a target, and people the target cannot take (a capability check fails), are not
    /// looked up there: a re-run of a finished job reads nothing.
    pub async fn lookups(&self, people: &[Person]) -> Lookups {
        let directories = futures::stream::iter(self.targets.iter().map(|t| async move {
            let mut wanted = Vec::with_capacity(people.len());
            for p in people {
                if self.still_to_onboard(t, p).await {
                    wanted.push(&p.email);
                }
            }
            Directory::read_for(t.provider.as_ref(), &wanted).await
        }))
        .buffered(self.concurrency)
        .collect()
        .await;
        Lookups { directories }
    }

    async fn still_to_onboard(&self, t: &Target, p: &Person) -> bool {
        let info = Describe::info(t.provider.as_ref());
        if info
            .capabilities
            .check_invitation(info, &t.invitation(p))
            .is_err()
        {
            return false;
        }
        // A journal that cannot be read here is read again (and reported) per person.
        !matches!(
            self.journal_latest(Job::Onboard, t, &p.email).await,
            Ok(Some(e)) if matches!(e.phase, JournalPhase::Finished { done: true, .. })
        )
    }

    /// [`Orchestrator::onboard`] with the run's `lookups`: where a target's directory was
    /// read, the person is not looked up there again (unless the journal or the invite lock
    /// says the read may be stale).
    pub async fn onboard_with(&self, person: &Person, lookups: &Lookups) -> Report {
        let entries = self
            .each(|i, t| self.onboard_one(t, person, lookups.answer(i, person)))
            .await;
        Report::new(Job::Onboard, person.email.to_string(), false, entries)
    }

    /// [`Orchestrator::plan_onboard`] with the run's `lookups`. Writes nothing.
    pub async fn plan_onboard_with(&self, person: &Person, lookups: &Lookups) -> Report {
        let entries = self
            .each(|i, t| self.plan_onboard_one(t, person, lookups.answer(i, person)))
            .await;
        Report::new(Job::Onboard, person.email.to_string(), true, entries)
    }

    /// Onboards every person (their [`Orchestrator::lookups`] first, then `concurrency`
    /// people at a time); one report per person, in the order given.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use invite_core::onboard::{Orchestrator, Outcome, Person, Target};
    /// use invite_core::{Email, InMemoryProvider, PersonName};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let wiki = InMemoryProvider::new("wiki");
    /// let orchestrator = Orchestrator::new(vec![Target::new("wiki", Arc::new(wiki.clone()))]);
    /// let people: Vec<Person> = ["ada", "grace", "alan"]
    ///     .iter()
    ///     .map(|n| Person::new(Email::parse(&format!("{n}@example.com")).unwrap(), PersonName::default()))
    ///     .collect();
    /// let reports = orchestrator.onboard_many(&people).await;
    /// assert!(reports.iter().all(|r| r.entries[0].outcome == Outcome::Invited));
    /// // One page of the (empty) list and three invitations: no lookup per person.
    /// assert_eq!(wiki.calls(), 4);
    /// # });
    /// ```
    pub async fn onboard_many(&self, people: &[Person]) -> Vec<Report> {
        let lookups = self.lookups(people).await;
        let lookups = &lookups;
        futures::stream::iter(people.iter().map(|p| self.onboard_with(p, lookups)))
            .buffered(self.concurrency)
            .collect()
            .await
    }

    /// Plans the onboarding of every person, as [`Orchestrator::onboard_many`] would look
    /// them up. Writes nothing.
    pub async fn plan_onboard_many(&self, people: &[Person]) -> Vec<Report> {
        let lookups = self.lookups(people).await;
        let lookups = &lookups;
        futures::stream::iter(people.iter().map(|p| self.plan_onboard_with(p, lookups)))
            .buffered(self.concurrency)
            .collect()
            .await
    }
}
