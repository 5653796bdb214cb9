//! The rules of plan, apply, diff and report against in-memory tools.

use std::sync::Arc;

use super::*;
use crate::journal::{Journal, JournalEntry, JournalPhase, MemoryJournal};
use crate::lock::LocalInviteLock;
use crate::model::{Email, Invitation, UserStatus};
use crate::onboard::{Outcome, Target};
use crate::provider::InviteProvider;
use crate::{InMemoryProvider, UserDirectory};

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn people(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("person-{i:02}@example.com"))
        .collect()
}

/// A roster naming `emails` in both tools.
fn roster(emails: &[String], extra: &str) -> Roster {
    let mut text = String::from("email,name,tools\n");
    for (i, e) in emails.iter().enumerate() {
        text.push_str(&format!("{e},Person {i},crm;wiki\n"));
    }
    text.push_str(extra);
    Roster::parse_csv("roster.csv", &text).unwrap()
}

fn tools() -> (InMemoryProvider, InMemoryProvider, Vec<Target>) {
    let mut caps = InMemoryProvider::full_capabilities();
    caps.max_page_size = Some(5);
    let crm = InMemoryProvider::with_capabilities("crm", caps.clone());
    let wiki = InMemoryProvider::with_capabilities("wiki", caps);
    let targets = vec![
        Target::new("crm", Arc::new(crm.clone())),
        Target::new("wiki", Arc::new(wiki.clone()))
            .with_grants(vec![InMemoryProvider::group("readers")]),
    ];
    (crm, wiki, targets)
}

fn options() -> ApplyOptions {
    ApplyOptions::new()
        .with_journal(Arc::new(MemoryJournal::new()))
        .with_lock(
            Arc::new(LocalInviteLock::new()),
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs(5),
        )
}

/// The two tools, with `n` people of the roster (also returned) invited into both through
/// the options returned.
async fn invited(
    n: usize,
) -> (
    InMemoryProvider,
    InMemoryProvider,
    Vec<Target>,
    Vec<String>,
    Roster,
    ApplyOptions,
) {
    let (crm, wiki, targets) = tools();
    let all = people(n);
    let options = options();
    let roster = roster(&all, "");
    let plan = Plan::read(&roster, &targets, &PlanOptions::new()).await;
    apply(&plan, &targets, &options).await.unwrap();
    (crm, wiki, targets, all, roster, options)
}

fn actions(plan: &Plan) -> Vec<(String, String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.tool.clone(), c.email.to_string(), c.action))
        .collect()
}

#[tokio::test]
async fn a_plan_reads_each_tool_once_and_apply_converges() {
    let (crm, wiki, targets) = tools();
    // Three people are already in the crm: 13 accounts, pages of 5.
    for e in people(3) {
        crm.invite(&Invitation::new(email(&e))).await.unwrap();
    }
    for e in people(13).iter().skip(12) {
        crm.invite(&Invitation::new(email(e))).await.unwrap();
    }
    let all = people(12);
    let r = roster(&all, "");
    let (c0, w0) = (crm.calls(), wiki.calls());
    let plan = Plan::read(&r, &targets, &PlanOptions::new()).await;
    assert_eq!(crm.calls() - c0, 1, "4 accounts: one page");
    assert_eq!(wiki.calls() - w0, 1, "empty: one page");
    let invites = |tool: &str| {
        plan.changes
            .iter()
            .filter(|c| c.tool == tool && c.action == Action::Invite)
            .count()
    };
    assert_eq!((invites("crm"), invites("wiki")), (9, 12));
    assert_eq!(plan.changes.len(), 21, "{:?}", actions(&plan));
    // The person outside the roster is not touched without --authoritative.
    assert!(
        !plan
            .changes
            .iter()
            .any(|c| c.email.as_str() == "person-12@example.com")
    );

    let options = options();
    let (c0, w0) = (crm.calls(), wiki.calls());
    let report = apply(&plan, &targets, &options).await.unwrap();
    assert!(report.succeeded(), "{report:?}");
    assert!(report.applied.iter().all(|a| a.outcome == Outcome::Invited));
    assert_eq!(
        (crm.calls() - c0, wiki.calls() - w0),
        (9, 12),
        "the plan's read answers the lookups: invitations only"
    );
    for e in &all {
        assert_eq!(crm.invitations_sent(&email(e)), 1, "{e}");
        assert_eq!(wiki.invitations_sent(&email(e)), 1, "{e}");
        let u = wiki.find_by_email(&email(e)).await.unwrap().unwrap();
        assert_eq!(
            u.grants,
            vec![InMemoryProvider::group("readers")],
            "the tool's default"
        );
    }
    // Applying the same plan again sends no invitation (the journal and the lookups say so).
    let again = apply(&plan, &targets, &options).await.unwrap();
    assert!(again.succeeded());
    for e in &all {
        assert_eq!(crm.invitations_sent(&email(e)), 1, "{e}");
    }
    // A fresh plan finds nothing to do, and applying it sends nothing.
    let plan = Plan::read(&r, &targets, &PlanOptions::new()).await;
    assert!(plan.is_empty(), "{:?}", actions(&plan));
    let (c0, w0) = (crm.calls(), wiki.calls());
    let report = apply(&plan, &targets, &options).await.unwrap();
    assert!(report.applied.is_empty());
    assert_eq!((crm.calls(), wiki.calls()), (c0, w0));
}

#[tokio::test]
async fn authoritative_removals_spare_the_ignored_and_the_credentials_own_account() {
    let (crm, wiki, targets, all, r, options) = invited(6).await;
    for e in ["root@example.com", "me@example.com"] {
        crm.invite(&Invitation::new(email(e))).await.unwrap();
        crm.accept(&email(e)).unwrap();
    }
    crm.accept(&email(&all[0])).unwrap();
    // Two people leave the roster; root is ignored; me is the credentials' account.
    let smaller = roster(&all[2..], "root@example.com,,!ignore\n");
    assert!(
        Plan::read(&smaller, &targets, &PlanOptions::new())
            .await
            .is_empty()
    );
    let opts = PlanOptions::new()
        .authoritative(true)
        .protect(Some("crm"), email("me@example.com"));
    let plan = Plan::read(&smaller, &targets, &opts).await;
    assert_eq!(
        actions(&plan),
        vec![
            ("crm".into(), all[0].clone(), Action::Remove),
            ("crm".into(), all[1].clone(), Action::CancelInvitation),
            ("wiki".into(), all[0].clone(), Action::CancelInvitation),
            ("wiki".into(), all[1].clone(), Action::CancelInvitation),
        ]
    );
    let kept: Vec<(&str, &str)> = plan
        .kept
        .iter()
        .map(|k| (k.email.as_str(), k.reason.as_str()))
        .collect();
    assert!(
        kept.contains(&("root@example.com", "on the roster's ignore list")),
        "{kept:?}"
    );
    assert!(kept.contains(&("me@example.com", "the account the credentials belong to")));

    // Over the limit: refused before any change.
    let calls = (crm.calls(), wiki.calls());
    let refused = apply(&plan, &targets, &options.clone().max_removals(Some(3))).await;
    assert!(
        matches!(refused, Err(crate::Error::InvalidInput { ref field, .. }) if field == "max_removals")
    );
    assert_eq!((crm.calls(), wiki.calls()), calls, "nothing was sent");
    let calls = (crm.calls(), wiki.calls());
    let report = apply(&plan, &targets, &options.clone().max_removals(Some(4)))
        .await
        .unwrap();
    assert_eq!(
        (crm.calls() - calls.0, wiki.calls() - calls.1),
        (2, 2),
        "the plan names the accounts: one removal each, no lookup"
    );
    assert!(
        report.applied.iter().all(|a| a.outcome == Outcome::Removed),
        "{report:?}"
    );
    for e in &all[..2] {
        assert!(crm.find_by_email(&email(e)).await.unwrap().is_none());
        assert!(wiki.find_by_email(&email(e)).await.unwrap().is_none());
    }
    assert!(
        crm.find_by_email(&email("me@example.com"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(Plan::read(&smaller, &targets, &opts).await.is_empty());

    // Back on the roster: invited again although the journal had them done.
    let plan = Plan::read(&r, &targets, &PlanOptions::new()).await;
    assert_eq!(plan.changes.len(), 4);
    let report = apply(&plan, &targets, &options).await.unwrap();
    assert!(
        report
            .applied
            .iter()
            .all(|a| a.outcome == Outcome::Invited && !a.resumed),
        "{report:?}"
    );
    assert_eq!(crm.invitations_sent(&email(&all[0])), 2);
}

/// The plan's read stands in for the lookups only while nothing says it may be stale: a
/// person the journal has an entry for (an interrupted run) is looked up afresh, and someone
/// invited from outside since the plan is linked through the invite's conflict answer.
#[tokio::test]
async fn apply_trusts_the_plans_read_only_while_no_one_else_wrote() {
    let (crm, _wiki, targets) = tools();
    let targets = &targets[..1];
    let all = people(4);
    let text: String = all.iter().map(|e| format!("{e},,crm\n")).collect();
    let r = Roster::parse_csv("r.csv", &format!("email,name,tools\n{text}")).unwrap();
    let plan = Plan::read(&r, targets, &PlanOptions::new()).await;
    assert_eq!(plan.changes.len(), 4);
    // After the plan: one is invited from outside, one by a run that crashed mid-call.
    for e in &all[..2] {
        crm.invite(&Invitation::new(email(e))).await.unwrap();
    }
    let journal = Arc::new(MemoryJournal::new());
    journal
        .record(&JournalEntry::new(
            "onboard",
            "crm",
            email(&all[1]).normalized(),
            JournalPhase::Started,
        ))
        .await
        .unwrap();
    let options = options().with_journal(journal);
    let calls = crm.calls();
    let report = apply(&plan, targets, &options).await.unwrap();
    let outcomes: Vec<Outcome> = report.applied.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::AlreadyMember,
            Outcome::Reconciled,
            Outcome::Invited,
            Outcome::Invited
        ]
    );
    assert_eq!(
        crm.calls() - calls,
        (1 + 1) + 1 + 2,
        "conflict + lookup, one fresh lookup, two invitations"
    );
    for e in &all {
        assert_eq!(crm.invitations_sent(&email(e)), 1, "{e}");
    }
}

/// A removal of an account gone since the plan's read is reported as gone, not retried and
/// not looked up: one request.
#[tokio::test]
async fn a_removal_of_an_account_gone_since_the_plan_is_reported_as_gone() {
    let (crm, _wiki, targets, all, _r, options) = invited(2).await;
    let targets = &targets[..1];
    let plan = Plan::read(
        &roster(&all[1..], ""),
        targets,
        &PlanOptions::new().authoritative(true),
    )
    .await;
    assert_eq!(
        actions(&plan),
        vec![("crm".into(), all[0].clone(), Action::CancelInvitation)]
    );
    let gone = crm.find_by_email(&email(&all[0])).await.unwrap().unwrap();
    crm.remove(&gone.id).await.unwrap();
    let calls = crm.calls();
    let report = apply(&plan, targets, &options).await.unwrap();
    assert_eq!(
        crm.calls() - calls,
        1,
        "the removal only, answered not found"
    );
    assert_eq!(report.applied[0].outcome, Outcome::NotPresent);
    assert_eq!(
        report.applied[0].detail.as_deref(),
        Some("already gone when the change was applied")
    );
    assert!(report.succeeded());
}

#[tokio::test]
async fn lapsed_invitations_are_sent_again_only_when_asked() {
    let (crm, _wiki, targets, all, r, options) = invited(2).await;
    crm.set_status_by_email(&email(&all[0]), UserStatus::InviteExpired)
        .unwrap();
    crm.set_status_by_email(&email(&all[1]), UserStatus::InviteDeclined)
        .unwrap();
    let plan = Plan::read(&r, &targets, &PlanOptions::new()).await;
    assert!(plan.is_empty());
    assert_eq!(plan.kept.len(), 2);
    assert!(
        plan.kept[0].reason.contains("--reinvite-lapsed"),
        "{:?}",
        plan.kept
    );
    let plan = Plan::read(&r, &targets, &PlanOptions::new().reinvite_lapsed(true)).await;
    assert_eq!(
        actions(&plan),
        vec![
            ("crm".into(), all[0].clone(), Action::Reinvite),
            ("crm".into(), all[1].clone(), Action::Reinvite),
        ]
    );
    let report = apply(&plan, &targets, &options).await.unwrap();
    assert!(
        report.applied.iter().all(|a| a.outcome == Outcome::Invited),
        "{report:?}"
    );
    for e in &all {
        assert_eq!(crm.invitations_sent(&email(e)), 2, "{e}");
        let u = crm.find_by_email(&email(e)).await.unwrap().unwrap();
        assert_eq!(u.status, UserStatus::Invited);
    }
    // A tool that does not re-send: reported, never planned.
    let mut caps = InMemoryProvider::full_capabilities();
    caps.reinvite_lapsed = false;
    let strict = InMemoryProvider::with_capabilities("strict", caps);
    strict
        .invite(&Invitation::new(email(&all[0])))
        .await
        .unwrap();
    strict
        .set_status_by_email(&email(&all[0]), UserStatus::InviteExpired)
        .unwrap();
    let t = vec![Target::new("crm", Arc::new(strict))];
    let plan = Plan::read(
        &roster(&all[..1], ""),
        &t,
        &PlanOptions::new().reinvite_lapsed(true),
    )
    .await;
    assert!(plan.is_empty());
    assert!(plan.kept[0].reason.contains("does not re-send"));
}

#[tokio::test]
async fn grants_are_added_replaced_or_left_for_after_acceptance() {
    let (crm, _wiki, targets) = tools();
    let (ada, bob) = (email("ada@example.com"), email("bob@example.com"));
    for e in [&ada, &bob] {
        crm.invite(&Invitation::new(e.clone()).with_grant(InMemoryProvider::role("viewer")))
            .await
            .unwrap();
    }
    crm.accept(&ada).unwrap();
    let text = "email,name,tools\n\
        ada@example.com,Ada,crm:memory_role(role=editor);crm:memory_group(group=docs)\n\
        bob@example.com,Bob,crm:memory_group(group=docs)\n";
    let r = Roster::parse_csv("r.csv", text).unwrap();
    let plan = Plan::read(&r, &targets, &PlanOptions::new()).await;
    assert_eq!(
        actions(&plan),
        vec![
            ("crm".into(), "ada@example.com".into(), Action::ChangeGrants),
            (
                "crm".into(),
                "bob@example.com".into(),
                Action::GrantAfterAcceptance
            ),
        ]
    );
    let report = apply(&plan, &targets, &options()).await.unwrap();
    assert!(report.succeeded(), "{report:?}");
    let u = crm.find_by_email(&ada).await.unwrap().unwrap();
    assert_eq!(
        u.grants,
        vec![
            InMemoryProvider::role("editor"),
            InMemoryProvider::group("docs")
        ],
        "the role is replaced, the group added"
    );
    let b = crm.find_by_email(&bob).await.unwrap().unwrap();
    assert_eq!(
        b.grants,
        vec![InMemoryProvider::role("viewer")],
        "nothing written yet"
    );
    crm.accept(&bob).unwrap();
    let plan = Plan::read(&r, &targets, &PlanOptions::new()).await;
    assert_eq!(plan.changes[0].action, Action::ChangeGrants);
    apply(&plan, &targets, &options()).await.unwrap();
    assert!(
        Plan::read(&r, &targets, &PlanOptions::new())
            .await
            .is_empty()
    );
}

/// Authoritative mode takes away the grants a member holds that the roster does not list:
/// never a role (an exclusive kind: the roster's replaces it), a kind the tool does not
/// declare, or a pending invitee's. Without it, grants are only added.
#[tokio::test]
async fn authoritative_plans_take_away_unlisted_grants_but_never_a_role() {
    let (crm, _wiki, targets) = tools();
    let targets = &targets[..1];
    let (ada, bob) = (email("ada@example.com"), email("bob@example.com"));
    for e in [&ada, &bob] {
        let inv = Invitation::new(e.clone())
            .with_grant(InMemoryProvider::role("viewer"))
            .with_grant(InMemoryProvider::group("docs"))
            .with_grant(InMemoryProvider::group("ops"));
        crm.invite(&inv).await.unwrap();
    }
    crm.accept(&ada).unwrap();
    let text = "email,name,tools\n\
        ada@example.com,Ada,crm:memory_role(role=editor);crm:memory_group(group=docs)\n\
        bob@example.com,Bob,crm:memory_group(group=docs)\n";
    let r = Roster::parse_csv("r.csv", text).unwrap();
    let mut snapshot = Snapshot::read(targets).await;
    // A kind the tool does not declare is never planned away.
    let foreign = crate::Grant::new(crate::GrantKind::new("elsewhere_team")).with("team", "t");
    for a in &mut snapshot.tools[0].accounts {
        a.grants.push(foreign.clone());
    }
    let adding = Plan::new(&r, &snapshot, targets, &PlanOptions::new());
    assert_eq!(
        actions(&adding),
        vec![("crm".into(), "ada@example.com".into(), Action::ChangeGrants)]
    );
    let plan = Plan::new(
        &r,
        &snapshot,
        targets,
        &PlanOptions::new().authoritative(true),
    );
    assert_eq!(
        actions(&plan),
        vec![
            ("crm".into(), "ada@example.com".into(), Action::ChangeGrants),
            ("crm".into(), "ada@example.com".into(), Action::RevokeGrants),
        ]
    );
    assert_eq!(plan.changes[1].grants, vec![InMemoryProvider::group("ops")]);
    assert_eq!(plan.removals(), 0, "no account is removed");
    let calls = crm.calls();
    let report = apply(&plan, targets, &options()).await.unwrap();
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(
        report.applied[1].detail.as_deref(),
        Some("revoked group ops")
    );
    assert_eq!(
        crm.calls() - calls,
        1 + 1 + 1,
        "the role read and replaced, one removal"
    );
    let u = crm.find_by_email(&ada).await.unwrap().unwrap();
    let mut held = u.grants.clone();
    held.sort_by_key(ToString::to_string);
    assert_eq!(
        held,
        vec![
            InMemoryProvider::group("docs"),
            InMemoryProvider::role("editor")
        ]
    );
    let b = crm.find_by_email(&bob).await.unwrap().unwrap();
    assert_eq!(b.grants.len(), 3, "a pending invitation keeps its grants");
    let again = Plan::read(&r, targets, &PlanOptions::new().authoritative(true)).await;
    assert!(again.is_empty(), "{:?}", actions(&again));

    // A tool that cannot change grants: said so, nothing planned.
    let mut caps = InMemoryProvider::full_capabilities();
    caps.update_grants = false;
    let fixed = InMemoryProvider::with_capabilities("fixed", caps);
    let inv = Invitation::new(bob.clone()).with_grant(InMemoryProvider::group("ops"));
    fixed.invite(&inv).await.unwrap();
    fixed.accept(&bob).unwrap();
    let t = vec![Target::new("crm", Arc::new(fixed))];
    let r = Roster::parse_csv("r.csv", "email,name,tools\nbob@example.com,Bob,crm\n").unwrap();
    let plan = Plan::read(&r, &t, &PlanOptions::new().authoritative(true)).await;
    assert!(plan.is_empty());
    assert!(
        plan.kept[0]
            .reason
            .ends_with("this tool cannot change grants"),
        "{:?}",
        plan.kept
    );
}

#[tokio::test]
async fn the_roster_is_checked_against_the_tools_before_anything_is_sent() {
    let (crm, _, targets) = tools();
    let text = "email,name,tools\n\
        ada@example.com,Ada,crm\n\
        bob@example.com,Bob,billing\n\
        cy@example.com,Cy,crm:awork_role(role_id=x)\n\
        di@example.com,Di,crm:memory_role(role=a);crm:memory_role(role=b)\n";
    let r = Roster::parse_csv("r.csv", text).unwrap();
    let errors = check(&r, &targets).unwrap_err().0;
    let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5], "{errors:?}");
    assert!(errors[0].reason.contains("`billing` is not configured"));
    assert!(errors[1].reason.contains("awork role"), "{}", errors[1]);
    assert!(errors[0].to_string().starts_with("r.csv:3: "));
    assert_eq!(crm.calls(), 0);
}

#[tokio::test]
async fn diff_and_report_name_leavers_joiners_and_stale_invitations() {
    let (crm, _wiki, targets) = tools();
    for e in ["ada@example.com", "bob@example.com", "cy@example.com"] {
        crm.invite(&Invitation::new(email(e))).await.unwrap();
    }
    let before = Snapshot::read(&targets).await;
    crm.accept(&email("ada@example.com")).unwrap();
    let bob = crm
        .find_by_email(&email("bob@example.com"))
        .await
        .unwrap()
        .unwrap();
    crm.remove(&bob.id).await.unwrap();
    crm.invite(&Invitation::new(email("dee@example.com")))
        .await
        .unwrap();
    let after = Snapshot::read(&targets).await;
    let diff = Diff::between(&before, &after);
    let kinds: Vec<(&str, DiffKind)> = diff
        .entries
        .iter()
        .map(|e| (e.email.as_str(), e.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("ada@example.com", DiffKind::StatusChanged),
            ("bob@example.com", DiffKind::Leaver),
            ("dee@example.com", DiffKind::Joiner),
        ]
    );
    assert_eq!(diff.leavers().collect::<Vec<_>>(), ["bob@example.com"]);
    // A snapshot survives JSON, and CSV names every account.
    let json = serde_json::to_string(&after).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert!(Diff::between(&after, &back).entries.is_empty());
    let csv = after.to_csv();
    assert_eq!(csv.lines().count(), 1 + 3);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("crm,ada@example.com,") && l.contains(",active,"))
    );

    // The report: cy's invitation is old; dee is not on the roster.
    let mut aged = after.clone();
    aged.taken_at += time::Duration::days(40);
    if let Some(a) = aged.tools[0]
        .accounts
        .iter_mut()
        .find(|a| a.email == Some(email("dee@example.com")))
    {
        a.invited_at = Some(aged.taken_at - time::Duration::days(2));
    }
    let r = Roster::parse_csv(
        "r.csv",
        "email,name,tools\nada@example.com,,crm\ncy@example.com,,crm\n",
    )
    .unwrap();
    let report = AccessReport::new(&aged, Some(&r), 30);
    let stale: Vec<&str> = report
        .stale_invitations
        .iter()
        .map(|s| s.email.as_str())
        .collect();
    assert_eq!(stale, ["cy@example.com"]);
    assert_eq!(report.stale_invitations[0].days, 40);
    let unlisted: Vec<&str> = report.unlisted.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(unlisted, ["dee@example.com"]);
    assert_eq!(
        (
            report.seats[0].active,
            report.seats[0].invited,
            report.seats[0].total
        ),
        (1, 2, 3)
    );
}

#[tokio::test]
async fn a_tool_that_cannot_be_read_is_reported_and_planned_nothing() {
    let (crm, wiki, targets) = tools();
    wiki.inject(crate::Operation::List, crate::Fault::Unavailable);
    let all = people(2);
    let r = roster(&all, "");
    let plan = Plan::read(&r, &targets, &PlanOptions::new().authoritative(true)).await;
    assert_eq!(plan.errors.len(), 1);
    assert_eq!(plan.errors[0].tool, "wiki");
    assert!(
        plan.changes.iter().all(|c| c.tool == "crm"),
        "{:?}",
        actions(&plan)
    );
    assert_eq!(plan.changes.len(), 2);
    let report = apply(&plan, &targets, &options()).await.unwrap();
    assert!(report.succeeded());
    assert_eq!(crm.invitations_sent(&email(&all[0])), 1);
    assert_eq!(wiki.invitations_sent(&email(&all[0])), 0);
    // A snapshot keeps the error, and a diff leaves the unread tool out.
    wiki.inject(crate::Operation::List, crate::Fault::Unavailable);
    let broken = Snapshot::read(&targets).await;
    assert!(broken.tool("wiki").unwrap().error.is_some());
    let fine = Snapshot::read(&targets).await;
    assert!(Diff::between(&broken, &fine).entries.is_empty());
}
