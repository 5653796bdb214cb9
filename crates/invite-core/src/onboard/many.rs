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

    /// Lookups answered by directories the caller has already read: per target, in
    /// configuration order (`None`: ask per person there).
    pub fn from_directories(directories: Vec<Option<Directory>>) -> Self {
        Self { directories }
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
        self.onboard_person(person, lookups, false).await
    }

    /// [`Orchestrator::plan_onboard`] with the run's `lookups`. Writes nothing.
    pub async fn plan_onboard_with(&self, person: &Person, lookups: &Lookups) -> Report {
        self.onboard_person(person, lookups, true).await
    }

    /// One person's onboarding at every target: done, or only planned (`plan`: writes nothing).
    async fn onboard_person(&self, person: &Person, lookups: &Lookups, plan: bool) -> Report {
        let entries = self
            .each(|i, t| async move {
                let answer = lookups.answer(i, person);
                if plan {
                    self.plan_onboard_one(t, person, answer).await
                } else {
                    self.onboard_one(t, person, answer).await
                }
            })
            .await;
        Report::new(Job::Onboard, person.email.to_string(), plan, entries)
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
        self.onboard_people(people, false).await
    }

    /// Plans the onboarding of every person, as [`Orchestrator::onboard_many`] would look
    /// them up. Writes nothing.
    pub async fn plan_onboard_many(&self, people: &[Person]) -> Vec<Report> {
        self.onboard_people(people, true).await
    }

    async fn onboard_people(&self, people: &[Person], plan: bool) -> Vec<Report> {
        let lookups = self.lookups(people).await;
        let lookups = &lookups;
        futures::stream::iter(people.iter().map(|p| self.onboard_person(p, lookups, plan)))
            .buffered(self.concurrency)
            .collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::error::Result;
    use crate::journal::{Journal, JournalEntry, MemoryJournal};
    use crate::lock::{InviteLock, LocalInviteLock};
    use crate::memory::InMemoryProvider;
    use crate::model::{Email, Invitation, PersonName, UserStatus};
    use crate::onboard::Outcome;
    use crate::provider::{InviteProvider, Operation, UserDirectory};

    fn people(prefix: &str, n: usize) -> Vec<Person> {
        (0..n)
            .map(|i| {
                Person::new(
                    Email::parse(&format!("{prefix}-{i:02}@example.com")).unwrap(),
                    PersonName::new("Ada", "Lovelace"),
                )
            })
            .collect()
    }

    fn outcomes(reports: &[Report]) -> Vec<Outcome> {
        reports.iter().map(|r| r.entries[0].outcome).collect()
    }

    /// The same people onboarded into a provider seeded with some of them (in another letter
    /// case): one list read, then only invitations.
    #[tokio::test]
    async fn many_people_cost_the_list_and_the_invitations() {
        let mut caps = InMemoryProvider::full_capabilities();
        caps.server_side_email_lookup = false;
        caps.max_page_size = Some(10);
        let p = InMemoryProvider::with_capabilities("p", caps);
        for i in 0..45 {
            p.invite(&Invitation::new(
                Email::parse(&format!("OLD-{i:02}@Example.com")).unwrap(),
            ))
            .await
            .unwrap();
        }
        let mut all = people("new", 8);
        all.extend(people("old", 3));
        let o = Orchestrator::new(vec![Target::new("p", Arc::new(p.clone()))])
            .with_journal(Arc::new(MemoryJournal::new()))
            .with_lock(
                Arc::new(LocalInviteLock::new()),
                Duration::from_secs(5),
                Duration::from_secs(5),
            );
        let calls = p.calls();
        let reports = o.onboard_many(&all).await;
        assert_eq!(p.calls() - calls, 5 + 8, "five pages, eight invitations");
        let mut want = vec![Outcome::Invited; 8];
        want.extend([Outcome::AlreadyMember; 3]);
        assert_eq!(outcomes(&reports), want);
        assert_eq!(reports[9].email, "old-01@example.com", "in the order given");
        for who in &all {
            let sent = p.invitations_sent(&who.email);
            assert_eq!(sent, 1, "{}", who.email);
        }
        // A re-run is read from the journal: no list, no lookup, no invitation.
        let calls = p.calls();
        let again = o.onboard_many(&all).await;
        assert_eq!(p.calls(), calls);
        assert!(again.iter().all(|r| r.entries[0].resumed));
        // A plan reads the same way and writes nothing.
        let plain = Orchestrator::new(vec![Target::new("p", Arc::new(p.clone()))]);
        let mut fresh = people("fresh", 2);
        fresh.extend(people("old", 1));
        let calls = p.calls();
        let plan = plain.plan_onboard_many(&fresh).await;
        assert_eq!(p.calls() - calls, 6, "the list only (55 users now)");
        assert_eq!(
            outcomes(&plan),
            vec![
                Outcome::WouldInvite,
                Outcome::WouldInvite,
                Outcome::AlreadyMember
            ]
        );
    }

    /// Someone invited by another party after the read is linked through the invite's
    /// conflict answer, not invited twice; a `Started` entry (an interrupted run) makes the
    /// run look the person up afresh instead of trusting its read.
    #[tokio::test]
    async fn a_stale_read_never_invites_twice() {
        let p = InMemoryProvider::new("p");
        let journal = Arc::new(MemoryJournal::new());
        let o = Orchestrator::new(vec![Target::new("p", Arc::new(p.clone()))])
            .with_journal(journal.clone());
        let all = people("late", 3);
        let lookups = o.lookups(&all).await;
        assert!(lookups.directory(0).is_some_and(Directory::is_complete));
        // After the read: one is invited from outside, one by a run that crashed mid-call.
        p.invite(&Invitation::new(all[0].email.clone()))
            .await
            .unwrap();
        p.invite(&Invitation::new(all[1].email.clone()))
            .await
            .unwrap();
        journal
            .record(&JournalEntry::new(
                "onboard",
                "p",
                all[1].email.normalized(),
                JournalPhase::Started,
            ))
            .await
            .unwrap();
        let calls = p.calls();
        let mut reports = Vec::new();
        for who in &all {
            reports.push(o.onboard_with(who, &lookups).await);
        }
        assert_eq!(
            outcomes(&reports),
            vec![
                Outcome::AlreadyMember,
                Outcome::Reconciled,
                Outcome::Invited
            ]
        );
        assert_eq!(
            p.calls() - calls,
            2 + 1 + 1,
            "conflict + lookup, one lookup, one invitation"
        );
        for who in &all {
            assert_eq!(p.invitations_sent(&who.email), 1, "{}", who.email);
        }
    }

    /// A journal whose answers arrive late: what a worker read may be stale by the time it
    /// acts on it, as with a journal across the network.
    #[derive(Debug, Default)]
    struct LateJournal(MemoryJournal);
    #[async_trait]
    impl Journal for LateJournal {
        async fn latest(
            &self,
            job: &str,
            provider: &str,
            email: &str,
        ) -> Result<Option<JournalEntry>> {
            let read = self.0.latest(job, provider, email).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
            read
        }
        async fn record(&self, entry: &JournalEntry) -> Result<()> {
            self.0.record(entry).await
        }
    }

    #[tokio::test]
    async fn two_workers_reading_the_same_directory_invite_each_person_once() {
        // Invitations answer late and are counted as calls (a conflict answer does not hide
        // a second call): only the lock and the journal keep the workers to one each.
        let shared = InMemoryProvider::new("shared");
        shared.answer_late(Operation::Invite, Duration::from_millis(15));
        let lock: Arc<dyn InviteLock> = Arc::new(LocalInviteLock::new());
        let journal: Arc<dyn Journal> = Arc::new(LateJournal::default());
        let worker = || {
            Orchestrator::new(vec![Target::new("shared", Arc::new(shared.clone()))])
                .with_concurrency(3)
                .with_journal(journal.clone())
                .with_lock(
                    lock.clone(),
                    Duration::from_secs(30),
                    Duration::from_secs(30),
                )
        };
        let all = people("race", 12);
        let (w1, w2) = (worker(), worker());
        // Both read the (empty) directory before either invites, then take the same people
        // in the same order: each person is met by both workers at once.
        let (l1, l2) = tokio::join!(w1.lookups(&all), w2.lookups(&all));
        let many = |w: Orchestrator, who: Vec<Person>, l: Lookups| async move {
            let l = &l;
            futures::stream::iter(who.iter().map(|p| w.onboard_with(p, l)))
                .buffer_unordered(3)
                .collect::<Vec<Report>>()
                .await
        };
        let (r1, r2) = tokio::join!(many(w1, all.clone(), l1), many(w2, all.clone(), l2));
        assert_eq!(
            shared.calls_of(Operation::Invite),
            12,
            "one invitation call per person"
        );
        let sent = r1
            .iter()
            .chain(&r2)
            .filter(|r| r.entries[0].outcome == Outcome::Invited && !r.entries[0].resumed)
            .count();
        assert_eq!(sent, 12);
        assert!(r1.iter().chain(&r2).all(Report::succeeded), "{r1:?} {r2:?}");
    }

    /// Grant convergence for someone the directory lists: that one account is read (by email
    /// where the tool filters, else by id) and only the grants it lacks are added.
    #[tokio::test]
    async fn convergence_reads_the_listed_account_first() {
        let group = InMemoryProvider::group("g1");
        let other = InMemoryProvider::group("g0");
        for filter in [true, false] {
            let mut caps = InMemoryProvider::full_capabilities();
            caps.server_side_email_lookup = filter;
            let p = InMemoryProvider::with_capabilities("p", caps);
            let all = people("member", 2);
            for who in &all {
                p.invite(&Invitation::new(who.email.clone()).with_grant(other.clone()))
                    .await
                    .unwrap();
                p.accept(&who.email).unwrap();
            }
            let target = Target::new("p", Arc::new(p.clone()))
                .with_grants(vec![group.clone(), other.clone()])
                .with_grant_convergence(true);
            let o = Orchestrator::new(vec![target]);
            let calls = p.calls();
            let reports = o.onboard_many(&all).await;
            // One page, then per person: one read and one update.
            assert_eq!(p.calls() - calls, 1 + 2 * 2, "filter: {filter}");
            for (r, who) in reports.iter().zip(&all) {
                assert_eq!(r.entries[0].outcome, Outcome::AlreadyMember);
                assert_eq!(
                    r.entries[0].reason.as_deref(),
                    Some("granted group g1"),
                    "{r:?}"
                );
                let user = p.find_by_email(&who.email).await.unwrap().unwrap();
                assert_eq!(user.status, UserStatus::Active);
                assert_eq!(user.grants, vec![other.clone(), group.clone()]);
            }
        }
    }
}
