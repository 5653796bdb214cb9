//! Several `invite` processes coordinated through one Redis: the real binary as OS
//! processes, a real Redis (`scripts/redis-server.sh`, one throwaway server per test) and the
//! in-process sandbox. Every check reads the sandbox's own counters (invitations per surface
//! and email, requests received), never the workers' say-so.

#![cfg(test)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::time::Duration;

use invite_sandbox::{Fault, FaultRule, RateLimit, Sandbox, SandboxConfig, Surface};
use serde_json::Value;

const SURFACES: [(Surface, &str); 5] = [
    (Surface::WebflowData, "webflow-site"),
    (Surface::WebflowWorkspace, "webflow-workspace"),
    (Surface::WebflowScim, "webflow-scim"),
    (Surface::Flatfile, "flatfile"),
    (Surface::Awork, "awork"),
];

/// A throwaway Redis; dropping it (or [`TestRedis::stop`]) stops the server.
struct TestRedis {
    url: String,
    child: Option<(Child, ChildStdin)>,
}

impl TestRedis {
    fn start() -> Self {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/redis-server.sh");
        let mut child = std::process::Command::new("bash")
            .arg(&script)
            .arg("auto")
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("redis://"),
            "scripts/redis-server.sh did not start Redis (printed {url:?}; run it by hand to see why)"
        );
        Self {
            url,
            child: Some((child, stdin)),
        }
    }

    /// Stops the server and waits until it is gone.
    fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin); // end of stdin: the script stops the server, then exits
            for _ in 0..400 {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Env {
    sandbox: Sandbox,
    vars: Vec<(String, String)>,
    dir: PathBuf,
}

impl Env {
    async fn start(name: &str) -> Env {
        // Small windows: the Webflow site allows 100 requests a second (headers on), and the
        // workers' shared budget for it is the same.
        let sandbox = Sandbox::start_with(SandboxConfig::new().rate_limit(
            Surface::WebflowData,
            RateLimit::new(100, Duration::from_secs(1)).with_headers(true),
        ))
        .await
        .unwrap();
        let mut vars: Vec<(String, String)> = sandbox
            .settings()
            .env_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        for (k, v) in [
            ("WEBFLOW_RATE_LIMIT_PER_MINUTE", "6000"),
            ("WEBFLOW_WORKSPACE_ROLE", "member"),
            ("WEBFLOW_DEFAULT_SITE_ROLE", "designer"),
            // A killed worker's locks free up after 5 s instead of a minute.
            ("INVITE_REDIS_LOCK_TTL_SECS", "5"),
        ] {
            vars.push((k.into(), v.into()));
        }
        let dir = std::env::temp_dir().join(format!(
            "invite-cli-workers-{name}-{}-{}",
            std::process::id(),
            sandbox.addr().port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Env { sandbox, vars, dir }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_invite"));
        cmd.args(args).env_clear();
        for keep in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(keep) {
                cmd.env(keep, v);
            }
        }
        cmd.envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn count(&self, surface: Surface, email: &str) -> u64 {
        self.sandbox.invitation_count(surface, email)
    }

    fn total_invitations(&self) -> u64 {
        self.sandbox
            .invitations()
            .values()
            .map(|m| m.values().sum::<u64>())
            .sum()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

async fn finish(child: tokio::process::Child) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the invite binary finished within a minute")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn people(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}@example.com")).collect()
}

fn write_csv(path: &Path, emails: &[String]) {
    let mut text = String::from("email,given_name,family_name\n");
    for (i, e) in emails.iter().enumerate() {
        text.push_str(&format!("{e},Person,Number{i}\n"));
    }
    std::fs::write(path, text).unwrap();
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let invited = emails
            .iter()
            .filter(|e| SURFACES.iter().any(|(s, _)| env.count(*s, e) > 0))
            .count();
        if invited >= n {
            return invited;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no invitation within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_given_the_same_people_invite_each_once() {
    let redis = TestRedis::start();
    let env = Env::start("same").await;
    let emails = people(50, "same");
    let csv = env.path("team.csv");
    write_csv(&csv, &emails);
    let csv_arg = csv.display().to_string();
    let args = [
        "bulk",
        csv_arg.as_str(),
        "--concurrency",
        "4",
        "--json",
        "--redis",
        redis.url.as_str(),
    ];
    // Both at once, on the same file.
    let a = env.command(&args).spawn().unwrap();
    let b = env.command(&args).spawn().unwrap();
    let (a, b) = tokio::join!(finish(a), finish(b));
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
    let redis = TestRedis::start();
    let env = Env::start("kill").await;
    let emails = people(16, "kill");
    // The two workers see the people in different files, with different journal paths: only
    // Redis connects them.
    let csv_a = env.path("a.csv");
    let csv_b = env.path("b.csv");
    write_csv(&csv_a, &emails);
    write_csv(&csv_b, &emails);
    // Every write is slow, so the first worker is still going when it is killed.
    let delay_ms = 300;
    env.sandbox.add_fault(FaultRule {
        surface: None,
        method: Some("POST".into()),
        path: None,
        skip: 0,
        times: None,
        fault: Fault::Delay { ms: delay_ms },
    });
    let (a_arg, b_arg) = (csv_a.display().to_string(), csv_b.display().to_string());
    let (ja, jb) = (
        env.path("a.jsonl").display().to_string(),
        env.path("b.jsonl").display().to_string(),
    );
    let mut first = env
        .command(&[
            "bulk",
            &a_arg,
            "--journal",
            &ja,
            "--concurrency",
            "2",
            "--json",
            "--redis",
            &redis.url,
        ])
        .spawn()
        .unwrap();
    let invited = wait_for_invitations(&env, &emails, 3).await;
    assert!(invited < emails.len(), "the run finished before the kill");
    first.start_kill().unwrap(); // SIGKILL
    let out = first.wait_with_output().await.unwrap();
    assert!(!out.status.success());
    // Requests in flight when the process died still land (after their delay): let them.
    tokio::time::sleep(Duration::from_millis(delay_ms * 3)).await;
    env.sandbox.clear_faults();
    let partial = env.total_invitations();
    assert!(
        partial < (emails.len() * SURFACES.len()) as u64,
        "some invitations were still to be sent"
    );

    let second = env
        .command(&[
            "bulk",
            &b_arg,
            "--journal",
            &jb,
            "--concurrency",
            "4",
            "--json",
            "--redis",
            &redis.url,
        ])
        .spawn()
        .unwrap();
    let run = finish(second).await;
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
    for email in &emails {
        for (surface, name) in SURFACES {
            assert_eq!(
                env.count(surface, email),
                1,
                "{email} on {name}: invited exactly once (no re-invite, no skip)"
            );
        }
    }
    assert!(!env.path("a.jsonl").exists() && !env.path("b.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_redis_mid_run_stops_every_worker_and_reports_everyone() {
    let mut redis = TestRedis::start();
    let env = Env::start("lost").await;
    let emails = people(30, "lost");
    let csv = env.path("team.csv");
    write_csv(&csv, &emails);
    let delay_ms = 200;
    env.sandbox.add_fault(FaultRule {
        surface: None,
        method: Some("POST".into()),
        path: None,
        skip: 0,
        times: None,
        fault: Fault::Delay { ms: delay_ms },
    });
    let csv_arg = csv.display().to_string();
    let args = [
        "bulk",
        csv_arg.as_str(),
        "--concurrency",
        "2",
        "--json",
        "--redis",
        redis.url.as_str(),
    ];
    let a = env.command(&args).spawn().unwrap();
    let b = env.command(&args).spawn().unwrap();
    wait_for_invitations(&env, &emails, 2).await;
    redis.stop();
    let posts_at_stop = post_count(&env);
    let (a, b) = tokio::join!(finish(a), finish(b));
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
        // The coordination failures are reported as such.
        let coordination = entries(&doc)
            .values()
            .filter(|e| e["error"]["kind"] == "coordination")
            .count();
        assert!(coordination > 0, "{}", run.stdout);
        reported_everyone += 1;
    }
    assert_eq!(reported_everyone, 2);
    let invited = emails
        .iter()
        .filter(|e| SURFACES.iter().any(|(s, _)| env.count(*s, e) > 0))
        .count();
    assert!(invited < emails.len(), "the run stopped early");
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
    let env = Env::start("down").await;
    // A port nothing listens on: a Redis started and stopped again.
    let url = {
        let mut redis = TestRedis::start();
        redis.stop();
        redis.url.replace("redis://", "redis://:hunter2secret@")
    };
    let shown = url.replace("hunter2secret", "****");
    let csv = env.path("team.csv");
    write_csv(&csv, &people(3, "down"));
    let csv_arg = csv.display().to_string();
    for args in [
        vec!["bulk", csv_arg.as_str(), "--redis", url.as_str()],
        vec!["onboard", "down0@example.com", "--redis", url.as_str()],
    ] {
        let run = finish(env.command(&args).spawn().unwrap()).await;
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(&shown), "{}", run.stderr);
        assert!(!run.stderr.contains("hunter2secret"), "{}", run.stderr);
    }
    // The same from INVITE_REDIS_URL.
    let mut cmd = env.command(&["bulk", &csv_arg]);
    cmd.env("INVITE_REDIS_URL", &url);
    let run = finish(cmd.spawn().unwrap()).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&shown), "{}", run.stderr);
    assert_eq!(env.sandbox.requests().total, 0, "nothing was sent");
}
