//! Workers against a vendor that says how much it allows, with **default settings** (no
//! budget configured: the pace comes from the `X-RateLimit-*` headers). `invite bulk --to
//! webflow-site` OS processes on disjoint CSVs against one sandbox Webflow site that allows
//! L = 30 requests per 10 s window and says so in its headers:
//! - one process;
//! - four processes sharing a Redis (`--redis`);
//! - four processes each on its own, for comparison (each spends what the headers say
//!   remains, unaware of the others).
//!
//! Printed per run: requests the sandbox received (directory reads and invites), 429 answers,
//! wall time, and the floor = requests / the server's rate (3 per second), both for the
//! requests sent and for the requests the job needs (each worker reads the directory once,
//! plus one invite per new person), with wall / floor for each. Target (issue #16): 0 answers
//! 429 and wall within 1.10 x floor + 1 s, for one process and for four sharing Redis.
//!
//! `cargo bench -p invite-cli --bench workers` (needs Redis: `scripts/redis-server.sh`
//! installs and starts it). About three minutes.

// A measurement harness, not library code: it may stop on the first failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use invite_sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};
use invite_testkit::TestRedis;

/// The sandbox site's limit per window.
const L: u32 = 30;
/// The sandbox site's window.
const WINDOW: Duration = Duration::from_secs(10);
/// People per run, split evenly between its workers.
const PEOPLE: usize = 60;
/// Webflow's largest page of users.
const PAGE: usize = 100;
const LIST: &str = "GET /v2/sites/{site_id}/users";
const INVITE: &str = "POST /v2/sites/{site_id}/users/invite";

struct Outcome {
    workers: usize,
    /// Every request the site received, then the directory reads and the invites among them.
    requests: u64,
    lists: u64,
    invites: u64,
    /// What the job needs: each worker reads the directory once, and one invite per person.
    needed: u64,
    rejected: u64,
    wall: Duration,
    failed_workers: usize,
}

/// `n` requests at the server's rate.
fn floor(n: u64) -> Duration {
    WINDOW.mul_f64(n as f64 / f64::from(L))
}

impl Outcome {
    fn ratio(&self, n: u64) -> f64 {
        self.wall.as_secs_f64() / floor(n).as_secs_f64()
    }

    /// 0 answers 429, wall within 1.10 x floor + 1 s (of the requests sent), every worker
    /// done.
    fn met(&self) -> bool {
        self.rejected == 0
            && self.failed_workers == 0
            && self.wall <= floor(self.requests).mul_f64(1.10) + Duration::from_secs(1)
    }
}

fn write_csv(path: &Path, worker: usize, people: usize, tag: &str) {
    let mut text = String::from("email,name\n");
    for i in 0..people {
        text.push_str(&format!("{tag}-w{worker}-p{i}@example.com,Person {i}\n"));
    }
    std::fs::write(path, text).expect("write the CSV");
}

/// Users of the sandbox site now.
fn directory_size(sandbox: &Sandbox) -> usize {
    let site = &sandbox.settings().webflow_site_id;
    sandbox.state()[Surface::WebflowData.slug()]["sites"]
        .as_array()
        .and_then(|sites| sites.iter().find(|s| s["id"] == site.as_str()))
        .and_then(|s| s["users"].as_array())
        .map_or(0, Vec::len)
}

/// Runs `workers` processes at once on `PEOPLE` people between them, with the default
/// settings; counts 429s from their `--verbose` logs (one line per HTTP answer) and requests
/// from the sandbox's counters.
fn run(sandbox: &Sandbox, dir: &Path, workers: usize, redis: Option<&str>, tag: &str) -> Outcome {
    sandbox.reset().expect("reset the sandbox");
    let vars: Vec<(String, String)> = sandbox
        .settings()
        .env_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .filter(|(k, _)| k != "WEBFLOW_RATE_LIMIT_PER_MINUTE")
        .collect();
    let pages = directory_size(sandbox).max(1).div_ceil(PAGE) as u64;
    let counts = sandbox.requests();
    let before = (
        counts.surface(Surface::WebflowData),
        counts.route(Surface::WebflowData, LIST),
        counts.route(Surface::WebflowData, INVITE),
    );
    let each = PEOPLE / workers;
    let started = Instant::now();
    let children: Vec<Child> = (0..workers)
        .map(|w| {
            let csv = dir.join(format!("{tag}-{w}.csv"));
            write_csv(&csv, w, each, tag);
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_invite"));
            cmd.arg("bulk")
                .arg(&csv)
                .args(["--to", "webflow-site", "--json", "--verbose"])
                .arg("--journal")
                .arg(dir.join(format!("{tag}-{w}.jsonl")))
                .env_clear()
                .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            if let Some(url) = redis {
                cmd.args(["--redis", url]);
            }
            cmd.spawn().expect("spawn invite")
        })
        .collect();
    let mut rejected = 0;
    let mut failed_workers = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait for invite");
        if !out.status.success() {
            failed_workers += 1;
        }
        rejected += String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("status=429"))
            .count() as u64;
    }
    let wall = started.elapsed();
    let counts = sandbox.requests();
    Outcome {
        workers,
        requests: counts.surface(Surface::WebflowData) - before.0,
        lists: counts.route(Surface::WebflowData, LIST) - before.1,
        invites: counts.route(Surface::WebflowData, INVITE) - before.2,
        needed: workers as u64 * pages + (each * workers) as u64,
        rejected,
        wall,
        failed_workers,
    }
}

fn print(label: &str, o: &Outcome) {
    println!(
        "{label}: {} process(es), {PEOPLE} people, site L={L}/{}s, default settings: \
         requests {} ({} directory pages, {} invites; the job needs {}), 429s {}, wall {:.2}s, \
         floor {:.2}s for the requests sent (ratio {:.3}) and {:.2}s for the requests needed \
         (ratio {:.3}), workers exiting non-zero {}: {}",
        o.workers,
        WINDOW.as_secs(),
        o.requests,
        o.lists,
        o.invites,
        o.needed,
        o.rejected,
        o.wall.as_secs_f64(),
        floor(o.requests).as_secs_f64(),
        o.ratio(o.requests),
        floor(o.needed).as_secs_f64(),
        o.ratio(o.needed),
        o.failed_workers,
        if o.met() {
            "target met"
        } else {
            "target MISSED"
        }
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it without: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("workers bench: run with `cargo bench -p invite-cli --bench workers`");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = runtime
        .block_on(Sandbox::start_with(SandboxConfig::new().rate_limit(
            Surface::WebflowData,
            RateLimit::new(L, WINDOW).with_headers(true),
        )))
        .expect("sandbox");
    let redis = TestRedis::own();
    let dir = std::env::temp_dir().join(format!("invite-workers-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    let one = run(&sandbox, &dir, 1, None, "one");
    print("one process", &one);
    let shared = run(&sandbox, &dir, 4, Some(&redis.url), "shared");
    print("with Redis (one budget)", &shared);
    let alone = run(&sandbox, &dir, 4, None, "alone");
    print("without Redis (each on its own)", &alone);
    let _ = std::fs::remove_dir_all(&dir);
    runtime.block_on(sandbox.shutdown());
}
