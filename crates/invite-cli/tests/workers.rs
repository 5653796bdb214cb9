//! Several `invite` processes coordinated through one Redis: the real binary as OS
//! processes, a real Redis (`scripts/redis-server.sh`, one throwaway server per test) and the
//! in-process sandbox. Every check reads the sandbox's own counters (invitations per surface
//! and email, requests received), never the workers' say-so.

#![cfg(test)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use invite_sandbox::{RateLimit, SandboxConfig, Surface};
use invite_testkit::TestRedis;
use serde_json::Value;
use support::{Env, Run, SURFACES, people};

/// Small windows: the Webflow site allows 100 requests a second (headers on), and the
/// workers' shared budget for it is the same.
async fn start(name: &str) -> Env {
    let config = SandboxConfig::new().rate_limit(
        Surface::WebflowData,
        RateLimit::new(100, Duration::from_secs(1)).with_headers(true),
    );
    let extra = [
        ("WEBFLOW_RATE_LIMIT_PER_MINUTE", "6000"),
        ("WEBFLOW_WORKSPACE_ROLE", "member"),
        ("WEBFLOW_DEFAULT_SITE_ROLE", "designer"),
        // A killed worker's locks free up after 5 s instead of a minute.
        ("INVITE_REDIS_LOCK_TTL_SECS", "5"),
    ];
    Env::start("workers", name, config, &extra).await
}

/// `bulk CSV [--journal JOURNAL] --concurrency N --json --redis URL`.
fn bulk<'a>(
    csv: &'a str,
    journal: Option<&'a str>,
    concurrency: &'a str,
    redis: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["bulk", csv];
    if let Some(journal) = journal {
        args.extend(["--journal", journal]);
    }
    args.extend(["--concurrency", concurrency, "--json", "--redis", redis]);
    args
}

/// Waits up to a minute for a worker.
async fn finish(env: &Env, child: tokio::process::Child) -> Run {
    env.finish(child, Duration::from_secs(60)).await
}

/// Per person, per provider: the entry of a bulk document.
fn entries(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for report in doc["people"].as_array().unwrap() {
        let email = report["email"].as_str().unwrap().to_owned();
        for e in report["entries"].as_array().unwrap() {
            out.insert(
                (email.clone(), e["provider"].as_str().unwrap().to_owned()),
                e.clone(),
            );
        }
    }
    out
}

/// Waits until at least `n` of `emails` have been invited somewhere.
async fn wait_for_invitations(env: &Env, emails: &[String], n: usize) -> usize {
    let (within, poll) = (Duration::from_secs(30), Duration::from_millis(10));
    env.wait_for_invitations(emails, n, within, poll).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_given_the_same_people_invite_each_once() {
    let redis = TestRedis::own();
    let env = start("same").await;
    let emails = people(50, "same");
    let csv_arg = env.csv("team.csv", &emails, "");
    let args = bulk(&csv_arg, None, "4", &redis.url);
    // Both at once, on the same file.
    let a = env.command(&args).spawn().unwrap();
    let b = env.command(&args).spawn().unwrap();
    let (a, b) = tokio::join!(finish(&env, a), finish(&env, b));
    for run in [&a, &b] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let (da, db) = (entries(&a.json()), entries(&b.json()));
    for email in &emails {
        for (surface, name) in SURFACES {
            assert_eq!(
                env.count(surface, email),
                1,
                "{email} on {name}: exactly one invitation"
            );
            // Exactly one worker sent it; the other found it done (journal, lock, lookup).
            let key = (email.clone(), name.to_owned());
            let sent = [&da, &db]
                .iter()
                .filter(|d| d[&key]["outcome"] == "invited" && d[&key].get("resumed").is_none())
                .count();
            assert_eq!(sent, 1, "{email} {name}: {} / {}", da[&key], db[&key]);
        }
    }
    assert!(
        a.stdout.contains("\"journal\": \"redis redis://127.0.0.1:"),
        "{}",
        a.stdout
    );
    assert!(
        !env.path("team.csv.journal.jsonl").exists(),
        "the journal is in Redis, not in a file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_resumed_by_another_process_without_reinvites_or_skips() {
    let redis = TestRedis::own();
    let env = start("kill").await;
    let emails = people(16, "kill");
    // The two workers see the people in different files, with different journal paths: only
    // Redis connects them.
    let (a_arg, b_arg) = (env.csv("a.csv", &emails, ""), env.csv("b.csv", &emails, ""));
    // Every write is slow, so the first worker is still going when it is killed.
    let delay_ms = 300;
    env.delay_writes(delay_ms);
    let (ja, jb) = (
        env.path("a.jsonl").display().to_string(),
        env.path("b.jsonl").display().to_string(),
    );
    let first = env
        .command(&bulk(&a_arg, Some(&ja), "2", &redis.url))
        .spawn()
        .unwrap();
    let invited = wait_for_invitations(&env, &emails, 3).await;
    assert!(invited < emails.len(), "the run finished before the kill");
    env.kill_mid_run(first, delay_ms, &emails).await;

    let second = env
        .command(&bulk(&b_arg, Some(&jb), "4", &redis.url))
        .spawn()
        .unwrap();
    let run = finish(&env, second).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("is not used"), "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["summary"]["succeeded"], 16, "{}", doc["summary"]);
    let all = entries(&doc);
    // Read from the killed worker's entries in Redis: finished before the kill, or started
    // and reconciled by lookup (killed between the vendor's answer and the journal write).
    let carried = all
        .values()
        .filter(|e| e["resumed"] == true || e["outcome"] == "reconciled")
        .count();
    assert!(carried > 0, "the killed worker's journal in Redis was used");
    env.assert_each_invited_once(&emails, "invited exactly once (no re-invite, no skip)");
    assert!(!env.path("a.jsonl").exists() && !env.path("b.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_redis_mid_run_stops_every_worker_and_reports_everyone() {
    let mut redis = TestRedis::own();
    let env = start("lost").await;
    let emails = people(30, "lost");
    let csv_arg = env.csv("team.csv", &emails, "");
    let delay_ms = 200;
    env.delay_writes(delay_ms);
    let args = bulk(&csv_arg, None, "2", &redis.url);
    let a = env.command(&args).spawn().unwrap();
    let b = env.command(&args).spawn().unwrap();
    wait_for_invitations(&env, &emails, 2).await;
    redis.stop();
    let posts_at_stop = post_count(&env);
    let (a, b) = tokio::join!(finish(&env, a), finish(&env, b));
    // Writes to vendors after the stop: at most those already past the limiter (in flight).
    let late = post_count(&env) - posts_at_stop;
    assert!(
        late <= 2 * 2 * SURFACES.len() as u64,
        "{late} writes after Redis was lost"
    );
    let mut reported_everyone = 0;
    for run in [&a, &b] {
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        let doc = run.json();
        let summary = &doc["summary"];
        let reported = doc["people"].as_array().unwrap().len();
        let skipped = summary["not_attempted"].as_array().map_or(0, Vec::len);
        assert_eq!(reported + skipped, emails.len(), "{summary}");
        assert!(skipped > 0, "the worker stopped starting people: {summary}");
        assert!(
            summary["stopped"]
                .as_str()
                .is_some_and(|s| s.contains("Redis at redis://127.0.0.1:")),
            "{summary}"
        );
        // Where a person looks, too: one line on stderr (with --json) saying why.
        let error = run
            .stderr
            .lines()
            .find(|l| l.starts_with("error: bulk: "))
            .unwrap_or_else(|| panic!("no error line:\n{}", run.stderr));
        assert!(
            error.contains(&format!(
                "{skipped} not attempted: Redis at redis://127.0.0.1:"
            )),
            "{error}"
        );
        // The coordination failures are reported as such.
        let coordination = entries(&doc)
            .values()
            .filter(|e| e["error"]["kind"] == "coordination")
            .count();
        assert!(coordination > 0, "{}", run.stdout);
        reported_everyone += 1;
    }
    assert_eq!(reported_everyone, 2);
    assert!(
        env.invited_anywhere(&emails) < emails.len(),
        "the run stopped early"
    );
    for email in &emails {
        for (surface, name) in SURFACES {
            assert!(
                env.count(surface, email) <= 1,
                "{email} on {name}: invited twice"
            );
        }
    }
}

fn post_count(env: &Env) -> u64 {
    let requests = env.sandbox.requests();
    requests
        .surfaces
        .values()
        .flat_map(|s| s.routes.iter())
        .filter(|(route, _)| route.starts_with("POST "))
        .map(|(_, n)| *n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_redis_at_start_is_exit_2_naming_the_url_without_its_password() {
    let env = start("down").await;
    // A port nothing listens on: a Redis started and stopped again.
    let url = {
        let mut redis = TestRedis::own();
        redis.stop();
        redis.url.replace("redis://", "redis://:hunter2secret@")
    };
    let shown = url.replace("hunter2secret", "****");
    let csv_arg = env.csv("team.csv", &people(3, "down"), "");
    for args in [
        vec!["bulk", csv_arg.as_str(), "--redis", url.as_str()],
        vec!["onboard", "down0@example.com", "--redis", url.as_str()],
    ] {
        let run = finish(&env, env.command(&args).spawn().unwrap()).await;
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(&shown), "{}", run.stderr);
        assert!(!run.stderr.contains("hunter2secret"), "{}", run.stderr);
    }
    // The same from INVITE_REDIS_URL.
    let mut cmd = env.command(&["bulk", &csv_arg]);
    cmd.env("INVITE_REDIS_URL", &url);
    let run = finish(&env, cmd.spawn().unwrap()).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&shown), "{}", run.stderr);
    assert_eq!(env.sandbox.requests().total, 0, "nothing was sent");
}
