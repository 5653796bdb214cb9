//! Faults injected by the sandbox into every adapter's invite flow (`ensure_invited`): 429
//! storms with Retry-After, 5xx, HTML error pages, truncated and malformed JSON, dropped
//! connections, timeouts and commit-then-lose-the-answer. For each: no panic, never two
//! invitations for one person (the sandbox's per-email counter), an outcome that says what
//! happened (Invited / Reconciled / a typed error, Uncertain when the write may have
//! happened), and retries bounded in count (the sandbox's request counters) and in time (the
//! tight RetryConfig of `hardening_support`: 2 retries, 5 s per call, 2 s per attempt).

#![cfg(test)]

mod hardening_support;

use std::time::{Duration, Instant};

use hardening_support::{Subject, sandbox, subjects};
use invite::onboard::{Orchestrator, Outcome, Person, Target};
use invite::sandbox::{Fault, FaultRule, Sandbox, Surface};
use invite::{EnsureOutcome, Error, PersonName, ensure_invited};

/// What a scenario must end in.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Invited on a later attempt; the person exists once.
    Invited,
    /// The invite's answer was lost after the write: reconciled by lookup; exists once.
    Reconciled,
    /// The invite's answer was lost before the write: Uncertain, nobody created.
    UncertainNothingCreated,
    /// Reconciled or Uncertain (a timeout: whether the server acted depends on timing).
    ReconciledOrUncertain,
    /// Gave up on 429s: RateLimited, nobody created.
    RateLimited,
    /// The lookup failed (retried reads): this error kind, nobody created.
    LookupFailed(&'static str),
}

struct Scenario {
    name: &'static str,
    fault: Fault,
    method: &'static str,
    /// `None`: every matching request.
    times: Option<u64>,
    expect: Expect,
    /// Most requests with `method` this one call may send.
    max_requests: u64,
    /// Most wall time the call may take (a bound, not a speed). Loose on purpose: what it
    /// catches is a call that waits out the 120 s retry timeout or never returns, and a
    /// loaded 2-core CI machine adds seconds to the 5 s scenarios.
    max_time: Duration,
}

fn count(sb: &Sandbox, surface: Surface, method: &str) -> u64 {
    sb.requests()
        .surfaces
        .get(&surface)
        .map(|s| {
            s.routes
                .iter()
                .filter(|(r, _)| r.starts_with(&format!("{method} ")))
                .map(|(_, n)| *n)
                .sum()
        })
        .unwrap_or(0)
}

async fn run_one(sc: &Scenario, subject: Subject, sb: &Sandbox) {
    let tag = format!("{}: {}", subject.name, sc.name);
    let email = format!(
        "fault-{}-{}@example.com",
        sc.name.replace(' ', "-"),
        subject.name
    );
    let inv = subject.invitation(&email);
    let mut rule = FaultRule::new(sc.fault.clone())
        .surface(subject.surface)
        .method(sc.method);
    rule = match sc.times {
        Some(n) => rule.times(n),
        None => rule.always(),
    };
    sb.add_fault(rule);
    let before = count(sb, subject.surface, sc.method);
    let started = Instant::now();
    let result = ensure_invited(subject.provider.as_ref(), &inv).await;
    let took = started.elapsed();
    let sent = count(sb, subject.surface, sc.method) - before;
    sb.clear_faults();

    let created = sb.invitation_count(subject.surface, &email);
    assert!(created <= 1, "{tag}: {created} invitations for one person");
    assert!(
        sent <= sc.max_requests,
        "{tag}: {sent} {} requests (bound {})",
        sc.method,
        sc.max_requests
    );
    assert!(
        took <= sc.max_time,
        "{tag}: took {took:?} (bound {:?})",
        sc.max_time
    );
    // After a refused rate limit the client rightly pauses the whole scope (Retry-After),
    // so the sandbox's own counter says whether anyone was created.
    let exists = if matches!(sc.expect, Expect::RateLimited) {
        created > 0
    } else {
        subject
            .provider
            .find_by_email(&inv.email)
            .await
            .unwrap_or_else(|e| panic!("{tag}: lookup after the faults: {e}"))
            .is_some()
    };
    match (sc.expect, &result) {
        (Expect::Invited, Ok(EnsureOutcome::Invited(_))) => {
            assert!(exists && created == 1, "{tag}")
        }
        (Expect::Reconciled, Ok(EnsureOutcome::Reconciled { cause, .. }))
        | (Expect::ReconciledOrUncertain, Ok(EnsureOutcome::Reconciled { cause, .. })) => {
            assert!(cause.is_uncertain(), "{tag}: {cause:?}");
            assert!(exists && created == 1, "{tag}");
        }
        (Expect::UncertainNothingCreated, Err(Error::Uncertain { .. })) => {
            assert!(!exists && created == 0, "{tag}: created {created}")
        }
        (Expect::ReconciledOrUncertain, Err(Error::Uncertain { .. })) => {}
        (Expect::RateLimited, Err(e @ Error::RateLimited { .. })) => {
            assert!(!exists && created == 0, "{tag}");
            if let Fault::RateLimited { retry_after_secs } = sc.fault {
                assert_eq!(e.retry_after(), Some(S(retry_after_secs)), "{tag}: {e:?}");
            }
        }
        (Expect::LookupFailed(kind), Err(e)) if e.kind_name() == kind => {
            assert!(!exists && created == 0, "{tag}")
        }
        (expect, other) => panic!("{tag}: expected {expect:?}, got {other:?}"),
    }
}

/// Runs `sc` against every adapter, each on its own sandbox (rate-limit pauses a fault
/// causes stay with that sandbox's scopes).
async fn run(sc: Scenario) {
    let probe = sandbox().await;
    let n = subjects(&probe).len();
    probe.shutdown().await;
    let sc = &sc;
    futures::future::join_all((0..n).map(|i| async move {
        let sb = sandbox().await;
        let subject = subjects(&sb).swap_remove(i);
        run_one(sc, subject, &sb).await;
        sb.shutdown().await;
    }))
    .await;
}

const S: fn(u64) -> Duration = Duration::from_secs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_storm_that_ends_is_absorbed() {
    run(Scenario {
        name: "429 twice",
        fault: Fault::RateLimited {
            retry_after_secs: 1,
        },
        method: "POST",
        times: Some(2),
        expect: Expect::Invited,
        max_requests: 3,
        max_time: S(10),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_429_storm_gives_up_as_rate_limited() {
    run(Scenario {
        name: "429 storm",
        fault: Fault::RateLimited {
            retry_after_secs: 1,
        },
        method: "POST",
        times: None,
        expect: Expect::RateLimited,
        // 429s are waited out without using up the 2 retries meant for errors: the call's
        // 5 s deadline bounds them (sent at 0, 1, 2, 3 and 4 s; the next would end past it).
        max_requests: 5,
        max_time: S(10),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_beyond_the_budget_is_returned_at_once() {
    run(Scenario {
        name: "429 retry after 30s",
        fault: Fault::RateLimited {
            retry_after_secs: 30,
        },
        method: "POST",
        times: Some(1),
        expect: Expect::RateLimited,
        max_requests: 1,
        max_time: S(3),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_on_invite_is_uncertain_and_never_resent() {
    run(Scenario {
        name: "503 json on invite",
        fault: Fault::ServerError {
            status: 503,
            html: false,
        },
        method: "POST",
        times: Some(1),
        expect: Expect::UncertainNothingCreated,
        max_requests: 1,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_error_page_on_invite_is_uncertain() {
    run(Scenario {
        name: "500 html on invite",
        fault: Fault::ServerError {
            status: 500,
            html: true,
        },
        method: "POST",
        times: Some(1),
        expect: Expect::UncertainNothingCreated,
        max_requests: 1,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_error_page_on_a_read_is_retried() {
    run(Scenario {
        name: "502 html on read",
        fault: Fault::ServerError {
            status: 502,
            html: true,
        },
        method: "GET",
        times: Some(1),
        expect: Expect::Invited,
        max_requests: 4,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_on_every_read_fail_bounded() {
    run(Scenario {
        name: "503 storm on reads",
        fault: Fault::ServerError {
            status: 503,
            html: false,
        },
        method: "GET",
        times: None,
        expect: Expect::LookupFailed("vendor"),
        max_requests: 3,
        max_time: S(10),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_invite_answer_is_reconciled() {
    run(Scenario {
        name: "truncated json on invite",
        fault: Fault::TruncatedJson,
        method: "POST",
        times: Some(1),
        expect: Expect::Reconciled,
        max_requests: 1,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_read_answer_is_retried() {
    run(Scenario {
        name: "truncated json on read",
        fault: Fault::TruncatedJson,
        method: "GET",
        times: Some(1),
        expect: Expect::Invited,
        max_requests: 4,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_invite_answer_is_uncertain() {
    run(Scenario {
        name: "malformed json on invite",
        fault: Fault::MalformedJson,
        method: "POST",
        times: Some(1),
        expect: Expect::UncertainNothingCreated,
        max_requests: 1,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_on_invite_is_uncertain() {
    run(Scenario {
        name: "drop on invite",
        fault: Fault::DropConnection,
        method: "POST",
        times: Some(1),
        expect: Expect::UncertainNothingCreated,
        max_requests: 1,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_on_reads_are_retried() {
    run(Scenario {
        name: "drop on reads",
        fault: Fault::DropConnection,
        method: "GET",
        times: Some(2),
        expect: Expect::Invited,
        max_requests: 5,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_then_drop_on_invite_is_reconciled_without_a_second_invitation() {
    run(Scenario {
        name: "commit then drop",
        fault: Fault::CommitThenDrop,
        method: "POST",
        times: Some(1),
        expect: Expect::Reconciled,
        max_requests: 1,
        max_time: S(4),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_timeout_is_reconciled_or_uncertain() {
    run(Scenario {
        name: "slow invite",
        fault: Fault::Delay { ms: 3_000 },
        method: "POST",
        times: Some(1),
        expect: Expect::ReconciledOrUncertain,
        max_requests: 1,
        max_time: S(10),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeouts_fail_bounded() {
    run(Scenario {
        name: "slow reads",
        fault: Fault::Delay { ms: 3_000 },
        method: "GET",
        times: None,
        expect: Expect::LookupFailed("timeout"),
        max_requests: 3,
        max_time: S(9),
    })
    .await;
}

/// Through the Orchestrator: every target's entry says what happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_reports_every_outcome_under_faults() {
    for (fault, expected) in [
        (Fault::CommitThenDrop, Outcome::Reconciled),
        (Fault::MalformedJson, Outcome::Uncertain),
        (
            Fault::ServerError {
                status: 400,
                html: true,
            },
            Outcome::Failed,
        ),
    ] {
        let sb = sandbox().await;
        let subs = subjects(&sb);
        sb.add_fault(FaultRule::new(fault.clone()).method("POST").always());
        let orchestrator = Orchestrator::new(
            subs.iter()
                .map(|s| Target::new(s.name, s.provider.clone()).with_grants(s.grants.clone()))
                .collect(),
        );
        let person = Person::new(
            invite::Email::parse("faulty.person@example.com").unwrap(),
            PersonName::new("Faulty", "Person"),
        );
        let report = orchestrator.onboard(&person).await;
        assert_eq!(report.entries.len(), subs.len());
        for (entry, s) in report.entries.iter().zip(&subs) {
            assert_eq!(entry.outcome, expected, "{fault:?} {}: {entry:?}", s.name);
            match expected {
                Outcome::Reconciled => assert!(entry.user_id.is_some(), "{entry:?}"),
                _ => assert!(entry.error.is_some(), "{entry:?}"),
            }
            assert!(
                sb.invitation_count(s.surface, "faulty.person@example.com") <= 1,
                "{}",
                s.name
            );
        }
        sb.shutdown().await;
    }
}
