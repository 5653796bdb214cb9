//! `invite bulk` learns who already exists once per tool for the whole run (issue #16): the
//! built binary against a sandbox seeded with 500 users on Webflow site users, Flatfile and
//! awork, every count read from the sandbox's own counters.

#![cfg(test)]

mod support;

use std::time::Duration;

use invite_sandbox::{RateLimit, SandboxConfig, Surface};
use serde_json::{Value, json};
use support::{Env, Run};

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

async fn bulk(env: &Env, csv: &str) -> Run {
    let to = "webflow-site,flatfile,awork";
    env.invite(&["bulk", csv, "--to", to, "--concurrency", "4", "--json"])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_each_directory_once_instead_of_looking_everyone_up() {
    let mut config = SandboxConfig::new().seed(seed());
    for (surface, _) in SURFACES {
        config = config.rate_limit(surface, RateLimit::new(100_000, Duration::from_secs(60)));
    }
    let extra = [("WEBFLOW_RATE_LIMIT_PER_MINUTE", "100000")];
    let env = Env::start("bulk-lookups", "seeded", config, &extra).await;
    let sandbox = &env.sandbox;

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
    let csv = env.path("people.csv");
    std::fs::write(&csv, text).unwrap();
    let csv = csv.display().to_string();

    let run = bulk(&env, &csv).await;
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
    let rerun = bulk(&env, &csv).await;
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    assert_eq!(sandbox.requests().total, before, "the re-run sent requests");
}
