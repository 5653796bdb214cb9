//! Several workers, one vendor budget: 4 `invite bulk --to webflow-site` OS processes on
//! disjoint CSVs against one sandbox Webflow site whose budget is L requests per window
//! (X-RateLimit headers on), first sharing a Redis (`--redis`), then each on its own.
//!
//! Printed per run: requests the sandbox received, 429 answers, wall time, and the ratio of
//! wall time to the floor (successful requests / L windows). Targets with Redis: 0 429s and
//! ratio <= 1.10.
//!
//! `cargo bench -p invite-cli --bench workers` (needs Redis: `scripts/redis-server.sh`
//! installs and starts it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use invite_sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};

const WORKERS: usize = 4;
const PEOPLE: usize = 40;
const L: u32 = 40;
const WINDOW: Duration = Duration::from_secs(2);
const CONCURRENCY: &str = "4";

struct Redis {
    url: String,
    child: Option<(Child, ChildStdin)>,
}

impl Redis {
    fn start() -> Self {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/redis-server.sh");
        let mut child = Command::new("bash")
            .arg(&script)
            .arg("auto")
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run scripts/redis-server.sh");
        let stdin = child.stdin.take().expect("stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the URL");
        let url = line.trim().to_owned();
        assert!(url.starts_with("redis://"), "Redis did not start: {url:?}");
        Self {
            url,
            child: Some((child, stdin)),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

struct Outcome {
    requests: u64,
    rejected: u64,
    wall: Duration,
    failed_workers: usize,
}

impl Outcome {
    /// Wall time over the floor: the successful requests at L per window.
    fn ratio(&self) -> f64 {
        let useful = self.requests.saturating_sub(self.rejected) as f64;
        let floor = WINDOW.as_secs_f64() * useful / f64::from(L);
        self.wall.as_secs_f64() / floor
    }
}

fn write_csv(path: &Path, worker: usize, tag: &str) {
    let mut text = String::from("email,name\n");
    for i in 0..PEOPLE {
        text.push_str(&format!("{tag}-w{worker}-p{i}@example.com,Person {i}\n"));
    }
    std::fs::write(path, text).expect("write the CSV");
}

/// Runs the 4 workers at once; counts 429s from their `--verbose` logs (one line per HTTP
/// answer) and requests from the sandbox's counters.
fn run(sandbox: &Sandbox, dir: &Path, redis: Option<&str>, tag: &str) -> Outcome {
    sandbox.reset().expect("reset the sandbox");
    let mut vars: Vec<(String, String)> = sandbox
        .settings()
        .env_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    // L per WINDOW as the site plan's per-minute budget (the same GCRA interval).
    let per_minute = (f64::from(L) * 60.0 / WINDOW.as_secs_f64()).round() as u32;
    vars.push((
        "WEBFLOW_RATE_LIMIT_PER_MINUTE".into(),
        per_minute.to_string(),
    ));
    let before = sandbox.requests().surface(Surface::WebflowData);
    let started = Instant::now();
    let children: Vec<Child> = (0..WORKERS)
        .map(|w| {
            let csv = dir.join(format!("{tag}-{w}.csv"));
            write_csv(&csv, w, tag);
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_invite"));
            cmd.arg("bulk")
                .arg(&csv)
                .args([
                    "--to",
                    "webflow-site",
                    "--concurrency",
                    CONCURRENCY,
                    "--json",
                ])
                .arg("--verbose")
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
    let requests = sandbox.requests().surface(Surface::WebflowData) - before;
    Outcome {
        requests,
        rejected,
        wall,
        failed_workers,
    }
}

fn print(label: &str, o: &Outcome) {
    println!(
        "{label}: {WORKERS} processes x {PEOPLE} people, budget L={L}/{}s: requests {} (429s {}), wall {:.2}s, floor {:.2}s, ratio {:.3}, workers exiting non-zero {}",
        WINDOW.as_secs(),
        o.requests,
        o.rejected,
        o.wall.as_secs_f64(),
        o.wall.as_secs_f64() / o.ratio(),
        o.ratio(),
        o.failed_workers
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
    let redis = Redis::start();
    let dir = std::env::temp_dir().join(format!("invite-workers-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    let shared = run(&sandbox, &dir, Some(&redis.url), "shared");
    print("with Redis (shared budget)", &shared);
    let alone = run(&sandbox, &dir, None, "alone");
    print("without Redis (a budget each)", &alone);
    println!(
        "with Redis: 429s {} (target 0: {}), ratio {:.3} (target <= 1.10: {}); without Redis: 429s {}, ratio {:.3} ({:.2}x the wall time with Redis)",
        shared.rejected,
        if shared.rejected == 0 {
            "met"
        } else {
            "MISSED"
        },
        shared.ratio(),
        if shared.ratio() <= 1.10 {
            "met"
        } else {
            "MISSED"
        },
        alone.rejected,
        alone.ratio(),
        alone.wall.as_secs_f64() / shared.wall.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    runtime.block_on(sandbox.shutdown());
}
