//! The orchestrator's behaviour with in-memory providers: one person at a time.

use std::fmt;
use std::sync::Arc;

use super::*;
use crate::error::Result;
use crate::journal::MemoryJournal;
use crate::journal::{Journal, JournalEntry, JournalPhase};
use crate::lock::InviteLock;
use crate::memory::{Fault, InMemoryProvider};
use crate::model::{Invitation, User, UserStatus};
use crate::provider::Describe;
use crate::provider::{Capabilities, InviteProvider, Operation, UserDirectory};

fn person(e: &str) -> Person {
    Person::new(Email::parse(e).unwrap(), PersonName::new("Ada", "Lovelace"))
}

/// The account `email` has at `p` (the test knows there is one).
async fn account(p: &InMemoryProvider, email: &Email) -> User {
    p.find_by_email(email).await.unwrap().unwrap()
}

/// Why the report's first entry ended as it did (the test knows it says).
fn first_reason(r: &Report) -> &str {
    r.entries[0].reason.as_deref().unwrap()
}

/// The outcome of each entry of `r`, in order.
fn outcomes(r: &Report) -> Vec<Outcome> {
    r.entries.iter().map(|e| e.outcome).collect()
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

/// A rate limit that outlasts the call's deadline: the person is reported as not attempted
/// (not failed-and-done), the journal leaves the job open, and the next run invites them.
#[tokio::test]
async fn rate_limited_is_not_attempted_and_the_next_run_sends_it() {
    let (a, _b, o) = two();
    let o = o.with_journal(Arc::new(MemoryJournal::new()));
    let p = person("ada@example.com");
    a.inject(Operation::Invite, Fault::RateLimited);
    let r = o.onboard(&p).await;
    assert_eq!(r.entries[0].outcome, Outcome::RateLimited);
    assert!(first_reason(&r).starts_with("not attempted"));
    assert_eq!(r.entries[0].error.as_ref().unwrap().kind, "rate_limited");
    assert!(!r.succeeded());
    assert_eq!(a.invitations_sent(&p.email), 0);
    let again = o.onboard(&p).await;
    assert_eq!(again.entries[0].outcome, Outcome::Invited);
    assert!(!again.entries[0].resumed);
    assert_eq!(a.invitations_sent(&p.email), 1);
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
    assert!(first_reason(&r).contains("suppressed"));
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

/// Slow lookups (so two workers overlap), a count of invite calls, and an invitation code
/// with every invitation (`code-for-<email>`), as awork returns one.
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
        let receipt = self.inner.invite(inv).await?;
        let code = crate::model::InvitationCode::new(format!("code-for-{}", inv.email));
        Ok(receipt.with_code(code, None))
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
    async fn update(&self, id: &crate::model::UserId, p: &crate::model::UserPatch) -> Result<User> {
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

#[tokio::test]
async fn the_invitation_code_reaches_the_report_entry_and_nothing_prints_it() {
    let p = Arc::new(Slow {
        inner: InMemoryProvider::new("coded"),
        invites: std::sync::atomic::AtomicU32::new(0),
    });
    let o = Orchestrator::new(vec![Target::new("coded", p.clone())]);
    let who = person("code@example.com");
    let r = o.onboard(&who).await;
    let e = &r.entries[0];
    assert_eq!(e.outcome, Outcome::Invited);
    let code = e.invitation_code.as_ref().map(|c| c.expose().to_owned());
    assert_eq!(code.as_deref(), Some("code-for-code@example.com"));
    let shown = format!("{} {:?}", serde_json::to_string(&r).unwrap(), r);
    assert!(!shown.contains("code-for-"), "{shown}");
    // Present already: nothing is sent, so there is no code.
    let again = o.onboard(&who).await;
    assert_eq!(again.entries[0].outcome, Outcome::AlreadyMember);
    assert!(again.entries[0].invitation_code.is_none());
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
    assert!(!account(&p, &member.email).await.grants.contains(&group));

    let o =
        Orchestrator::new(vec![target.with_grant_convergence(true)]).with_journal(journal.clone());
    let r = o.onboard(&member).await;
    assert_eq!(r.entries[0].outcome, Outcome::AlreadyMember);
    assert!(
        first_reason(&r).contains("granted group g1"),
        "{:?}",
        r.entries[0].reason
    );
    let grants = account(&p, &member.email).await.grants;
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
    assert!(account(&p, &pending.email).await.grants.contains(&group));
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
    assert!(account(&a, &p.email).await.status == UserStatus::Active);

    let plan = o.plan_offboard(&p.email, OffboardOptions::default()).await;
    assert_eq!(
        outcomes(&plan),
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
    assert_eq!(
        outcomes(&r),
        vec![Outcome::Deactivated, Outcome::Removed, Outcome::Removed]
    );
    assert!(r.succeeded());
    assert_eq!(account(&a, &p.email).await.status, UserStatus::Deactivated);
    assert!(b.find_by_email(&p.email).await.unwrap().is_none());

    let f = o.find(&p.email).await;
    assert_eq!(
        outcomes(&f),
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
    assert!(first_reason(&r).contains("cannot deactivate"));
    assert!(!r.succeeded());
}
