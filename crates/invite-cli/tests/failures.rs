//! Every non-zero exit says why on stderr, in one `error: …` line, with `--json` too (issue
//! #17): usage and configuration errors, runs with failed, uncertain, skipped or
//! rate-limited outcomes, plans whose lookups fail, and bulk runs with people in trouble or
//! invalid rows. (A bulk run stopped by a lost Redis: `tests/workers.rs`.) The built binary
//! against an in-process sandbox.

#![cfg(test)]

mod support;

use invite_sandbox::{Fault, SandboxConfig, Surface};
use support::{Env, Run, people};

async fn start(name: &str) -> Env {
    let extra = [
        ("WEBFLOW_RATE_LIMIT_PER_MINUTE", "1000"),
        ("WEBFLOW_WORKSPACE_ROLE", "member"),
        ("WEBFLOW_DEFAULT_SITE_ROLE", "designer"),
    ];
    Env::start("failures", name, SandboxConfig::new(), &extra).await
}

/// The one `error: …` line on stderr (other lines may be notes or logs); it must contain
/// every one of `words`.
fn reason<'a>(run: &'a Run, words: &[&str]) -> &'a str {
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line:\n{}", run.stderr);
    let line = errors[0];
    for w in words {
        assert!(line.contains(w), "`{w}` missing from: {line}");
    }
    line
}

/// A failed job with `--json`: exit 1, stdout is still its one JSON document, and stderr
/// names what went wrong.
fn failed_json<'a>(run: &'a Run, words: &[&str]) -> &'a str {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let _ = run.json();
    reason(run, words)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_configuration_errors_name_the_problem_on_stderr() {
    let mut env = start("usage").await;
    let existing = env.path("exists.jsonl");
    std::fs::write(&existing, "").unwrap();
    let existing = existing.display().to_string();
    let missing_csv = env.path("nobody.csv").display().to_string();
    let csv = env.csv("team.csv", &people(2, "usage"), "");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["onboard", "not-an-email", "--json"], "not an email"),
        (vec!["offboard", "not-an-email", "--json"], "not an email"),
        (
            vec!["find", "x@example.com", "--to", "slack", "--json"],
            "slack",
        ),
        (vec!["bulk", &missing_csv, "--json"], "nobody.csv"),
        (
            vec!["bulk", &csv, "--concurrency", "0", "--json"],
            "--concurrency",
        ),
        (
            vec!["onboard", "x@example.com", "--bogus", "--json"],
            "--bogus",
        ),
        (
            vec![
                "--config",
                "missing.toml",
                "find",
                "x@example.com",
                "--json",
            ],
            "missing.toml",
        ),
        (
            vec![
                "onboard",
                "x@example.com",
                "--name",
                "X Y",
                "--no-email",
                "--json",
            ],
            "--no-email",
        ),
        (
            vec![
                "onboard",
                "x@example.com",
                "--to",
                "flatfile",
                "--codes",
                "new.jsonl",
                "--json",
            ],
            "--codes",
        ),
        (
            vec![
                "onboard",
                "x@example.com",
                "--to",
                "awork",
                "--codes",
                &existing,
                "--json",
            ],
            "exists",
        ),
        (
            vec![
                "bulk", &csv, "--to", "awork", "--codes", &existing, "--json",
            ],
            "exists",
        ),
        (
            vec![
                "onboard",
                "x@example.com",
                "--codes",
                "c.jsonl",
                "--dry-run",
            ],
            "--dry-run",
        ),
    ];
    for (args, word) in &cases {
        let run = env.invite(args).await;
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        reason(&run, &[word]);
    }
    assert!(!env.path("new.jsonl").exists() && !env.path("c.jsonl").exists());
    // The sandbox command's own errors.
    for (args, word) in [
        (["sandbox", "--port", "99999"], "99999"),
        (["sandbox", "--seed", "missing.json"], "missing.json"),
    ] {
        let run = env.invite(&args).await;
        assert_ne!(run.code, 0, "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        reason(&run, &[word]);
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "");

    // A configuration missing a required grant.
    env.unset("FLATFILE_ROLE_ID");
    env.unset("FLATFILE_ACCOUNT_ID");
    let run = env
        .invite(&["onboard", "x@example.com", "--to", "flatfile", "--json"])
        .await;
    assert_eq!(run.code, 2);
    reason(&run, &["FLATFILE_ROLE_ID"]);
    assert_eq!(env.sandbox.requests().total, 0, "nothing was sent");

    // The blast-radius refusal (exit 1, nothing changed).
    let email = "many@example.com";
    let run = env
        .onboard(email, "M Y", &["--to", "awork,webflow-site"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = env
        .invite(&["offboard", email, "--max-accounts", "1", "--json"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    reason(&run, &["--max-accounts"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_uncertain_skipped_and_rate_limited_outcomes_are_named_on_stderr() {
    let env = start("outcomes").await;
    let onboard = |email: &'static str| {
        let env = &env;
        async move {
            env.invite(&[
                "onboard",
                email,
                "--name",
                "A B",
                "--to",
                "awork,flatfile",
                "--json",
            ])
            .await
        }
    };

    // Failed: awork refuses (403); flatfile's success is not the error.
    env.awork_invite_fault(0, support::FORBIDDEN);
    let run = onboard("failed@example.com").await;
    let line = failed_json(&run, &["onboard failed@example.com", "awork failed", "403"]);
    assert!(!line.contains("flatfile"), "{line}");

    // Uncertain: the connection drops before awork answers, and no lookup finds the person.
    env.awork_invite_fault(0, Fault::DropConnection);
    let run = onboard("lost@example.com").await;
    failed_json(&run, &["awork uncertain"]);

    // Rate limited: awork asks to wait longer than the call's deadline.
    env.awork_invite_fault(
        0,
        Fault::RateLimited {
            retry_after_secs: 3600,
        },
    );
    let run = onboard("busy@example.com").await;
    failed_json(&run, &["awork rate_limited"]);

    // Skipped: deactivating a member where the tool can only remove (a pending invitation
    // would be cancelled instead).
    let email = "stays@example.com";
    let run = env
        .invite(&["onboard", email, "--name", "S T", "--to", "webflow-site"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.sandbox.accept(Surface::WebflowData, email).unwrap();
    let run = env
        .invite(&[
            "offboard",
            email,
            "--deactivate",
            "--to",
            "webflow-site",
            "--json",
        ])
        .await;
    failed_json(
        &run,
        &["offboard stays@example.com", "webflow-site skipped"],
    );

    // A human table exits 1 the same way and says so on stderr too.
    let run = env
        .invite(&["offboard", email, "--deactivate", "--to", "webflow-site"])
        .await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("skipped"), "{}", run.stdout);
    reason(&run, &["webflow-site skipped"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_lookups_fail_find_and_plans_with_a_reason() {
    let mut env = start("lookups").await;
    env.set("FLATFILE_API_KEY", "sk_not_the_sandbox_key");
    let run = env
        .invite(&["find", "x@example.com", "--to", "flatfile,awork", "--json"])
        .await;
    failed_json(&run, &["find x@example.com", "flatfile failed"]);
    let rest = ["--to", "flatfile,awork", "--dry-run", "--json"];
    let run = env.onboard("x@example.com", "X Y", &rest).await;
    let line = failed_json(&run, &["onboard x@example.com", "flatfile failed"]);
    assert!(!line.contains("awork"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_runs_with_problems_or_invalid_rows_say_so_on_stderr() {
    let env = start("bulk").await;
    let emails = people(3, "bulk");
    let csv = env.csv("team.csv", &emails, "");
    env.awork_invite_fault(0, support::FORBIDDEN);
    let run = env
        .invite(&["bulk", &csv, "--to", "awork,flatfile", "--json"])
        .await;
    let line = failed_json(
        &run,
        &["bulk: 1 of 3 people with problems", "awork failed: 1"],
    );
    assert!(!line.contains("invalid"), "{line}");

    // Every person fine (resumed), but a row is invalid.
    let csv = env.csv("team.csv", &emails, "not-an-email,Bad,Row\n");
    let run = env
        .invite(&["bulk", &csv, "--to", "awork,flatfile", "--json"])
        .await;
    let line = failed_json(&run, &["1 invalid row(s)", "line 5"]);
    assert!(!line.contains("people with problems"), "{line}");
    let run = env
        .invite(&[
            "bulk",
            &csv,
            "--to",
            "awork,flatfile",
            "--dry-run",
            "--json",
        ])
        .await;
    failed_json(&run, &["line 5"]);
}
