//! `invite bulk` learns who already exists once per tool for the whole run (issue #16): the
//! built binary against a sandbox seeded with 500 users on Webflow site users, Flatfile and
//! awork, every count read from the sandbox's own counters.

#![cfg(test)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use invite_sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};
use serde_json::{Value, json};

const SEEDED: usize = 500;
const NEW: usize = 50;
const EXISTING: usize = 10;
const SURFACES: [(Surface, &str); 3] = [
    (Surface::WebflowData, "webflow-site"),
    (Surface::Flatfile, "flatfile"),
    (Surface::Awork, "awork"),
];

fn seeded(i: usize) -> String {
    format!("seeded-{i:03}@example.com")
}

/// 500 users on each of the three surfaces (awork adds its API key's owner: 501).
fn seed() -> Value {
    let users = |f: &dyn Fn(usize) -> Value| (0..SEEDED).map(f).collect::<Vec<_>>();
    json!({
        "webflow": {"sites": [{"users": users(&|i| json!({
            "email": seeded(i), "name": format!("Seeded {i}"), "status": "verified"
        }))}]},
        "flatfile": {"users": users(&|i| json!({
            "email": seeded(i), "name": format!("Seeded {i}"), "accepted": true
        }))},
        "awork": {"users": users(&|i| json!({
            "email": seeded(i), "firstName": "Seeded", "lastName": format!("{i}")
        }))},
    })
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn bulk(sandbox: &Sandbox, dir: &std::path::Path, csv: &std::path::Path) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_invite"));
    cmd.args([
        "bulk",
        &csv.display().to_string(),
        "--to",
        "webflow-site,flatfile,awork",
        "--concurrency",
        "4",
        "--json",
    ])
    .env_clear();
    for keep in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.envs(sandbox.settings().env_pairs())
        .env("WEBFLOW_RATE_LIMIT_PER_MINUTE", "100000")
        .current_dir(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the invite binary finished within 2 minutes")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_each_directory_once_instead_of_looking_everyone_up() {
    let mut config = SandboxConfig::new().seed(seed());
    for (surface, _) in SURFACES {
        config = config.rate_limit(surface, RateLimit::new(100_000, Duration::from_secs(60)));
    }
    let sandbox = Sandbox::start_with(config).await.unwrap();
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "invite-cli-bulk-lookups-{}-{}",
        std::process::id(),
        sandbox.addr().port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // 50 new people with 10 existing ones among them, the existing ones written in another
    // letter case than the directory holds.
    let new: Vec<String> = (0..NEW)
        .map(|i| format!("new-{i:02}@example.com"))
        .collect();
    let existing: Vec<String> = (0..EXISTING).map(|i| seeded(i * 47 + 3)).collect();
    let mut text = String::from("email,name\n");
    for (i, e) in new.iter().enumerate() {
        text.push_str(&format!("{e},New Person {i}\n"));
        if i % 5 == 4 {
            let old = &existing[i / 5];
            text.push_str(&format!("{},Old Person\n", old.to_uppercase()));
        }
    }
    let csv = dir.join("people.csv");
    std::fs::write(&csv, text).unwrap();

    let run = bulk(&sandbox, &dir, &csv).await;
    let requests = sandbox.requests();
    let counts: Vec<(&str, u64)> = SURFACES
        .iter()
        .map(|(s, name)| (*name, requests.surface(*s)))
        .collect();
    // Printed for the record (`cargo test -p invite-cli --test bulk_lookups -- --nocapture`).
    println!("requests per surface for {NEW} new + {EXISTING} existing into {SEEDED}: {counts:?}");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // The directory's pages (ceil(501 / 100) at most) plus one invite per new person, and a
    // margin of 3.
    let bound = (SEEDED as u64 + 1).div_ceil(100) + NEW as u64 + 3;
    for (name, n) in &counts {
        assert!(*n <= bound, "{name}: {n} requests, more than {bound}");
    }
    for (surface, name) in SURFACES {
        for e in &new {
            assert_eq!(sandbox.invitation_count(surface, e), 1, "{e} on {name}");
        }
        for e in &existing {
            assert_eq!(sandbox.invitation_count(surface, e), 0, "{e} on {name}");
        }
        let invites: u64 = sandbox
            .invitations()
            .get(&surface)
            .map_or(0, |m| m.values().sum());
        assert_eq!(invites, NEW as u64, "{name}: nobody else was invited");
    }
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    for report in doc["people"].as_array().unwrap() {
        let email = report["email"].as_str().unwrap().to_lowercase();
        let want = if email.starts_with("new-") {
            "invited"
        } else {
            "already_member"
        };
        for e in report["entries"].as_array().unwrap() {
            assert_eq!(e["outcome"], want, "{email}: {e}");
        }
    }

    // A second run is read from the journal: nothing is sent at all.
    let before = sandbox.requests().total;
    let rerun = bulk(&sandbox, &dir, &csv).await;
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    assert_eq!(sandbox.requests().total, before, "the re-run sent requests");
    let _ = std::fs::remove_dir_all(&dir);
    sandbox.shutdown().await;
}
