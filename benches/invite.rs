//! End-to-end benchmarks against the sandbox. A plain binary (`harness = false`) that prints
//! one labelled line per figure with its target:
//!
//! ```sh
//! cargo bench -p invite --bench invite                 # every figure (about a minute)
//! cargo bench -p invite --bench invite -- rate memory  # only some (rate, onboard, overhead, memory, bulk)
//! ```
//!
//! Figures are ratios (to a floor, to a baseline, between two runs), so they travel between
//! machines better than absolute times. The overhead and memory figures run the sandbox in a
//! child process (this binary re-executed with `INVITE_BENCH_ROLE=sandbox`) so that its CPU
//! time and memory are not counted; the memory figure also lists in child processes
//! (`INVITE_BENCH_ROLE=list`) so that the two runs do not share a high-water mark.

// A measurement harness, not library code: it may stop on the first failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use invite::awork::{AworkConfig, AworkProvider, AworkToken};
use invite::flatfile::{FlatfileConfig, FlatfileProvider, FlatfileToken};
use invite::onboard::{Orchestrator, Person, Target};
use invite::sandbox::{Fault, FaultRule, RateLimit, Sandbox, SandboxConfig, Surface};
use invite::scim::WebflowScimConfig;
use invite::webflow::SiteToken;
use invite::webflow::site::{WebflowSiteConfig, WebflowSiteUsers};
use invite::{
    Describe, DynProvider, Email, Invitation, InviteProvider, ListQuery, PersonName, RateBudget,
    UserDirectory, UserId,
};

const ROLE_VAR: &str = "INVITE_BENCH_ROLE";

fn main() {
    match std::env::var(ROLE_VAR).as_deref() {
        Ok("sandbox") => return child_sandbox(),
        Ok("list") => return child_list(),
        Ok("calls") => return child_calls(),
        _ => {}
    }
    // `cargo bench` passes `--bench`; anything else selects figures by name.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    if run("rate") {
        bench_rate_limited_bulk();
    }
    if run("onboard") {
        bench_onboard_latency();
    }
    if run("overhead") {
        bench_call_overhead();
    }
    if run("memory") {
        bench_list_memory();
    }
    if run("bulk") {
        bench_bulk_lookups();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A current-thread runtime for the measuring clients: their work is all on this thread
/// (reqwest's connection tasks included), and /proc sums every thread anyway.
fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime")
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn lookup(vars: &HashMap<String, String>) -> impl Fn(&str) -> Option<String> + '_ {
    move |k| vars.get(k).cloned()
}

fn person(tag: &str, i: usize) -> Email {
    Email::parse(&format!("bench-{tag}-{i}@example.com")).expect("bench email")
}

/// The sandbox's Webflow site-users provider, its client capped at `per_minute`.
fn site_users(s: &invite::sandbox::Settings, per_minute: u32) -> WebflowSiteUsers {
    WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(
            s.webflow_site_id.clone(),
            SiteToken::new(s.webflow_api_token.clone()),
        )
        .base_url(s.webflow_api_base_url.clone())
        .rate_limit_per_minute(per_minute)
        .build()
        .expect("site config"),
    )
    .expect("site provider")
}

// ---------------------------------------------------------------------------------------
// 1. Bulk invite under a vendor budget
// ---------------------------------------------------------------------------------------

/// N invites into one Webflow site whose sandbox budget is L per window (X-RateLimit headers
/// on), with the client's budget set to the same rate: wall time against the floor of N/L
/// windows, and how many 429 answers the sandbox sent.
fn bench_rate_limited_bulk() {
    const N: usize = 180;
    const L: u32 = 60;
    const WINDOW: Duration = Duration::from_secs(2);
    const CONCURRENCY: usize = 4;
    let floor = WINDOW.mul_f64(N as f64 / f64::from(L));

    runtime().block_on(async {
        let sandbox = Sandbox::start_with(
            SandboxConfig::new().rate_limit(
                Surface::WebflowData,
                RateLimit::new(L, WINDOW).with_headers(true),
            ),
        )
        .await
        .expect("sandbox");
        let s = sandbox.settings().clone();
        // L per WINDOW expressed per minute: the same GCRA interval (WINDOW / L).
        let per_minute = (f64::from(L) * 60.0 / WINDOW.as_secs_f64()).round() as u32;
        let site = site_users(&s, per_minute);

        let started = Instant::now();
        let results: Vec<_> = futures::stream::iter((0..N).map(|i| {
            let site = &site;
            async move { site.invite(&Invitation::new(person("rate", i))).await }
        }))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
        let wall = started.elapsed();

        let failed = results.iter().filter(|r| r.is_err()).count();
        let sent = sandbox
            .requests()
            .route(Surface::WebflowData, "POST /v2/sites/{site_id}/users/invite");
        let invited: u64 = sandbox
            .invitations()
            .get(&Surface::WebflowData)
            .map_or(0, |m| m.values().sum());
        // One request per person when nothing is refused: every extra request was answered
        // 429 (the sandbox injects no other fault here).
        let rejected = sent.saturating_sub(invited);
        let ratio = wall.as_secs_f64() / floor.as_secs_f64();
        println!(
            "rate-limited bulk invite: N={N} L={L}/{}s headers=on client budget {per_minute}/min, concurrency {CONCURRENCY}: \
             wall {:.2}s / floor {:.2}s = ratio {ratio:.3} (target <= 1.05, {}); \
             429 answers {rejected} (target 0, {}); failed calls {failed}",
            WINDOW.as_secs(),
            wall.as_secs_f64(),
            floor.as_secs_f64(),
            verdict(ratio <= 1.05),
            verdict(rejected == 0),
        );
        if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
            println!("  first failure: {e}");
        }
        sandbox.shutdown().await;
    });
}

// ---------------------------------------------------------------------------------------
// 2. Onboarding across four surfaces with injected latency
// ---------------------------------------------------------------------------------------

fn four_targets(sandbox: &Sandbox) -> Vec<Target> {
    let vars: HashMap<String, String> = sandbox
        .settings()
        .env_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let get = lookup(&vars);
    let s = sandbox.settings();
    let site: DynProvider = Arc::new(site_users(s, 100_000));
    let scim: DynProvider = Arc::new(
        WebflowScimConfig::from_lookup(&get)
            .expect("scim config")
            .build()
            .expect("scim provider"),
    );
    let flatfile: DynProvider = Arc::new(
        FlatfileProvider::from_config(FlatfileConfig::from_lookup(&get).expect("flatfile config"))
            .expect("flatfile provider"),
    );
    let awork: DynProvider = Arc::new(
        AworkProvider::from_config(AworkConfig::from_lookup(&get).expect("awork config"))
            .expect("awork provider"),
    );
    vec![
        Target::new("webflow-site", site),
        Target::new("webflow-scim", scim),
        Target::new("flatfile", flatfile),
        Target::new("awork", awork),
    ]
}

/// Onboarding one person everywhere (the Orchestrator, concurrently) against the slowest
/// surface onboarded alone, with 100 ms added to every request by the sandbox.
fn bench_onboard_latency() {
    const DELAY_MS: u64 = 100;
    const REPS: usize = 5;
    runtime().block_on(async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        sandbox.add_fault(FaultRule::new(Fault::Delay { ms: DELAY_MS }).always());
        let targets = four_targets(&sandbox);
        let mut n = 0usize;
        let mut next_person = || {
            n += 1;
            Person::new(person("onboard", n), PersonName::new("Bench", "Person"))
        };

        let mut alone: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
        let mut all = Vec::new();
        for _ in 0..REPS {
            for (i, t) in targets.iter().enumerate() {
                let one = Orchestrator::new(vec![t.clone()]);
                let p = next_person();
                let started = Instant::now();
                let report = one.onboard(&p).await;
                alone[i].push(started.elapsed().as_secs_f64());
                assert!(report.succeeded(), "{} alone: {report:?}", t.name);
            }
            let every = Orchestrator::new(targets.clone());
            let p = next_person();
            let started = Instant::now();
            let report = every.onboard(&p).await;
            all.push(started.elapsed().as_secs_f64());
            assert!(report.succeeded(), "all four: {report:?}");
        }
        let alone_medians: Vec<(String, f64)> = targets
            .iter()
            .zip(alone)
            .map(|(t, xs)| (t.name.clone(), median(xs)))
            .collect();
        let (slowest, slowest_s) = alone_medians
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
            .expect("four targets");
        let all_s = median(all);
        let ratio = all_s / slowest_s;
        let each: Vec<String> = alone_medians
            .iter()
            .map(|(n, s)| format!("{n} {:.0}ms", s * 1000.0))
            .collect();
        println!(
            "onboard 4 surfaces, +{DELAY_MS}ms per request, median of {REPS}: all four {:.0}ms / slowest alone ({slowest}) {:.0}ms \
             = ratio {ratio:.3} (target <= 1.2, {}); alone: {}",
            all_s * 1000.0,
            slowest_s * 1000.0,
            verdict(ratio <= 1.2),
            each.join(", "),
        );
        sandbox.shutdown().await;
    });
}

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/// A sandbox in a child process: prints its settings as KEY=VALUE, then `READY`, and serves
/// until its stdin closes. `INVITE_BENCH_SEED_USERS` seeds that many Webflow site users.
fn child_sandbox() {
    let seeded: usize = std::env::var("INVITE_BENCH_SEED_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    runtime().block_on(async {
        let mut config = SandboxConfig::new();
        for surface in [Surface::WebflowData, Surface::Flatfile] {
            config = config.rate_limit(surface, RateLimit::new(u32::MAX, Duration::from_secs(60)));
        }
        if seeded > 0 {
            let users: Vec<serde_json::Value> = (0..seeded)
                .map(|i| {
                    serde_json::json!({
                        "email": format!("seeded-{i:06}@example.com"),
                        "name": format!("Seeded User {i}"),
                        "status": "verified",
                    })
                })
                .collect();
            config = config.seed(serde_json::json!({"webflow": {"sites": [{"users": users}]}}));
        }
        let sandbox = Sandbox::start_with(config).await.expect("sandbox");
        let mut out = std::io::stdout().lock();
        write!(out, "{}", sandbox.settings().to_env_lines()).expect("stdout");
        writeln!(out, "READY").expect("stdout");
        out.flush().expect("stdout");
        drop(out);
        // Serve until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("stdin watcher");
        sandbox.shutdown().await;
    });
}

struct ChildSandbox {
    child: Child,
    vars: HashMap<String, String>,
    _stdout: BufReader<ChildStdout>,
}

impl ChildSandbox {
    fn start(seed_users: usize) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("current exe"))
            .env(ROLE_VAR, "sandbox")
            .env("INVITE_BENCH_SEED_USERS", seed_users.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn sandbox child");
        let mut stdout = BufReader::new(child.stdout.take().expect("child stdout"));
        let mut vars = HashMap::new();
        let mut line = String::new();
        loop {
            line.clear();
            let n = stdout.read_line(&mut line).expect("read child stdout");
            assert!(n > 0, "the sandbox child exited before READY");
            let l = line.trim();
            if l == "READY" {
                break;
            }
            if let Some((k, v)) = l.split_once('=') {
                vars.insert(k.to_owned(), v.to_owned());
            }
        }
        Self {
            child,
            vars,
            _stdout: stdout,
        }
    }
}

impl Drop for ChildSandbox {
    fn drop(&mut self) {
        // Closing stdin asks the child to shut down; wait for it.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// 3. Per-request CPU overhead
// ---------------------------------------------------------------------------------------

/// CPU time consumed so far by every thread of this process, in nanoseconds
/// (`/proc/self/task/*/schedstat`, first field: time on CPU).
fn process_cpu_ns() -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let path = task.expect("task entry").path().join("schedstat");
        if let Ok(s) = std::fs::read_to_string(path) {
            total += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    total
}

/// The three ways of fetching one Flatfile user that the overhead figure compares.
struct OverheadCalls {
    adapter: FlatfileProvider,
    id: UserId,
    raw: reqwest::Client,
    url: String,
    key: String,
    core: invite::http::HttpClient,
}

impl OverheadCalls {
    /// Invites one user into the sandbox and builds the three clients.
    async fn new(sandbox: &ChildSandbox) -> Self {
        let get = lookup(&sandbox.vars);
        let adapter =
            FlatfileProvider::from_config(FlatfileConfig::from_lookup(&get).expect("config"))
                .expect("flatfile provider");
        let user = adapter
            .invite(&Invitation::new(person("overhead", 0)).with_name(PersonName::new("A", "B")))
            .await
            .expect("invite")
            .user;
        let id = UserId::new(user.id.as_str());
        let base = sandbox.vars["FLATFILE_API_URL"].trim_end_matches('/');
        let url = format!("{base}/v1/users/{}", id.as_str());
        let key = sandbox.vars["FLATFILE_API_KEY"].clone();
        let raw = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("raw client");
        // The shared HTTP machinery alone (limiter, span, retries, error mapping), decoding
        // into a Value like the raw call: splits the overhead between core and the adapter.
        let core = invite::http::HttpClient::builder(
            "bench-core",
            invite::http::validate_base_url(&format!("{base}/v1"), "FLATFILE_API_URL")
                .expect("base url"),
        )
        .bearer(invite::SecretString::from(key.clone()))
        .default_header("Accept", "application/json")
        .build()
        .expect("core client");
        Self {
            adapter,
            id,
            raw,
            url,
            key,
            core,
        }
    }

    /// `FlatfileProvider::get`: a typed, normalized `User`.
    async fn adapter(&self) {
        std::hint::black_box(self.adapter.get(&self.id).await.expect("get"));
    }

    /// A raw reqwest GET with the same headers, the body decoded into a `serde_json::Value`.
    async fn raw(&self) {
        let resp = self
            .raw
            .get(&self.url)
            .bearer_auth(&self.key)
            .header("Accept", "application/json")
            .header("X-Disable-Hooks", "true")
            .send()
            .await
            .expect("raw send");
        assert!(resp.status().is_success());
        let body = resp.bytes().await.expect("raw body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("raw json");
        std::hint::black_box(v);
    }

    /// Core's `HttpClient::json::<Value>` with the same request.
    async fn core(&self) {
        let v: serde_json::Value = self
            .core
            .json(
                invite::http::Request::get("/users/{}")
                    .segment(self.id.as_str())
                    .header("X-Disable-Hooks", "true")
                    .operation("get"),
            )
            .await
            .expect("core get");
        std::hint::black_box(v);
    }

    async fn run(&self, variant: &str, calls: usize) {
        for _ in 0..calls {
            match variant {
                "adapter" => self.adapter().await,
                "raw" => self.raw().await,
                "core" => self.core().await,
                other => panic!("unknown variant {other:?} (adapter, raw, core)"),
            }
        }
    }
}

/// One variant alone, for profilers (`valgrind --tool=callgrind`, `strace -c`, `perf`):
/// `INVITE_BENCH_ROLE=calls INVITE_BENCH_VARIANT=adapter|raw|core INVITE_BENCH_CALLS=N`
/// runs 200 warm-up calls, then N calls, against a sandbox child.
fn child_calls() {
    let variant = std::env::var("INVITE_BENCH_VARIANT").unwrap_or_else(|_| "adapter".into());
    let calls: usize = std::env::var("INVITE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let sandbox = ChildSandbox::start(0);
    let rt = client_runtime();
    rt.block_on(async {
        let calls_of = OverheadCalls::new(&sandbox).await;
        calls_of.run(&variant, 200).await;
        let c0 = process_cpu_ns();
        calls_of.run(&variant, calls).await;
        let c1 = process_cpu_ns();
        println!(
            "{variant}: {calls} calls, {:.1}us CPU per call",
            (c1 - c0) as f64 / calls as f64 / 1000.0
        );
    });
    drop(sandbox);
}

/// Blocks of M `get`s through the Flatfile adapter, M raw reqwest GETs of the same URL (same
/// headers, body read and decoded as JSON) and M core calls, process CPU time per call, the
/// sandbox in a child process. The three blocks of a round run back to back, and the order
/// rotates from round to round so that none always follows another; the figure is the
/// median over many short rounds of the adapter-to-raw ratio within the round (this machine's
/// noise drifts over seconds, so short blocks compared within a round cancel most of it).
fn bench_call_overhead() {
    const M: usize = 500;
    const ROUNDS: usize = 72;
    const VARIANTS: [&str; 3] = ["adapter", "raw", "core"];
    let sandbox = ChildSandbox::start(0);
    let rt = client_runtime();
    rt.block_on(async {
        let calls = OverheadCalls::new(&sandbox).await;
        // Warm every path (connection pools, allocator).
        for variant in VARIANTS {
            calls.run(variant, 500).await;
        }
        let mut ratios = Vec::new();
        let mut core_ratios = Vec::new();
        let mut per_variant_us: [Vec<f64>; 3] = Default::default();
        for round in 0..ROUNDS {
            let mut us = [0.0; 3];
            for k in 0..VARIANTS.len() {
                let v = (round + k) % VARIANTS.len();
                let c0 = process_cpu_ns();
                calls.run(VARIANTS[v], M).await;
                us[v] = (process_cpu_ns() - c0) as f64 / M as f64 / 1000.0;
            }
            for (all, one) in per_variant_us.iter_mut().zip(us) {
                all.push(one);
            }
            ratios.push(us[0] / us[1]);
            core_ratios.push(us[2] / us[1]);
        }
        let ratio = median(ratios);
        let [adapter_us, raw_us, core_us] = per_variant_us;
        println!(
            "per-request CPU, flatfile get vs raw reqwest GET+JSON, {ROUNDS} rounds x {M} calls each, rotating order: \
             adapter {:.1}us / raw {:.1}us per call (medians) = ratio {ratio:.3} (median of the rounds' ratios; target <= 1.10, {}); \
             core HttpClient::json::<Value> alone {:.1}us = ratio {:.3}",
            median(adapter_us),
            median(raw_us),
            verdict(ratio <= 1.10),
            median(core_us),
            median(core_ratios),
        );
    });
    drop(sandbox);
}

// ---------------------------------------------------------------------------------------
// 4. Peak memory while listing
// ---------------------------------------------------------------------------------------

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("status field")
}

/// The list child: streams every user of the site named by the environment and prints
/// `LISTED=<n> HWM_KB=<peak> BASE_KB=<peak before listing>`.
fn child_list() {
    let rt = client_runtime();
    rt.block_on(async {
        let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
        let site = WebflowSiteUsers::from_config(
            WebflowSiteConfig::builder(
                env("WEBFLOW_SITE_ID"),
                SiteToken::new(env("WEBFLOW_API_TOKEN")),
            )
            .base_url(env("WEBFLOW_API_BASE_URL"))
            .rate_limit_per_minute(u32::MAX / 2)
            .build()
            .expect("site config"),
        )
        .expect("site provider");
        // Warm the HTTP machinery with one page so the baseline includes it.
        let first = site
            .list(ListQuery::new().page_size(100))
            .next()
            .await
            .expect("one user")
            .expect("first page");
        std::hint::black_box(first);
        let base = status_kb("VmHWM:");
        let mut stream = site.list(ListQuery::new().page_size(100));
        let mut n = 0u64;
        while let Some(user) = stream.next().await {
            std::hint::black_box(user.expect("listed user"));
            n += 1;
        }
        println!("LISTED={n} HWM_KB={} BASE_KB={base}", status_kb("VmHWM:"));
    });
}

fn list_in_child(sandbox: &ChildSandbox) -> (u64, u64, u64) {
    let out = Command::new(std::env::current_exe().expect("current exe"))
        .env(ROLE_VAR, "list")
        .envs(sandbox.vars.iter())
        .output()
        .expect("list child");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "list child failed: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| -> u64 {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {text:?}"))
    };
    (field("LISTED="), field("HWM_KB="), field("BASE_KB="))
}

/// Listing 1 000 and 100 000 seeded users through the lazy stream, each in its own child
/// process: the peak RSS (VmHWM) of the two runs and its growth during the listing.
fn bench_list_memory() {
    let mut results = Vec::new();
    for n in [1_000usize, 100_000] {
        let sandbox = ChildSandbox::start(n);
        let started = Instant::now();
        let (listed, hwm, base) = list_in_child(&sandbox);
        let took = started.elapsed();
        assert_eq!(listed as usize, n, "listed count");
        results.push((n, hwm, base, took));
        drop(sandbox);
    }
    let (small, big) = (results[0], results[1]);
    let peak_ratio = big.1 as f64 / small.1 as f64;
    let growth = |r: (usize, u64, u64, Duration)| r.1.saturating_sub(r.2);
    println!(
        "list memory, webflow site users, page size 100: peak RSS {}kB for {} users vs {}kB for {} users = ratio {peak_ratio:.3} \
         (target <= 2, {}); growth during the listing {}kB vs {}kB; listing took {:.1}s vs {:.1}s",
        big.1,
        big.0,
        small.1,
        small.0,
        verdict(peak_ratio <= 2.0),
        growth(big),
        growth(small),
        big.3.as_secs_f64(),
        small.3.as_secs_f64(),
    );
}

// ---------------------------------------------------------------------------------------
// 5. Bulk onboarding against a directory: requests and wall time against the floor
// ---------------------------------------------------------------------------------------

/// The client budget of every surface in the bulk figure, requests per minute.
const BULK_BUDGET_PER_MINUTE: u32 = 3000;

fn seeded_email(i: usize) -> String {
    format!("seeded-{i:05}@example.com")
}

/// A sandbox with `users` users on Webflow site users, Flatfile and awork (awork adds its
/// API key's owner). The sandbox itself does not limit: the client's budget paces.
async fn bulk_sandbox(users: usize) -> Sandbox {
    let list = |f: &dyn Fn(usize) -> serde_json::Value| (0..users).map(f).collect::<Vec<_>>();
    let seed = serde_json::json!({
        "webflow": {"sites": [{"users": list(&|i| serde_json::json!({
            "email": seeded_email(i), "name": format!("Seeded {i}"), "status": "verified"
        }))}]},
        "flatfile": {"users": list(&|i| serde_json::json!({
            "email": seeded_email(i), "name": format!("Seeded {i}"), "accepted": true
        }))},
        "awork": {"users": list(&|i| serde_json::json!({
            "email": seeded_email(i), "firstName": "Seeded", "lastName": format!("{i}")
        }))},
    });
    let mut config = SandboxConfig::new().seed(seed);
    for surface in [Surface::WebflowData, Surface::Flatfile, Surface::Awork] {
        config = config.rate_limit(surface, RateLimit::new(u32::MAX, Duration::from_secs(60)));
    }
    Sandbox::start_with(config).await.expect("sandbox")
}

/// The three surfaces of the bulk figure, each with the client budget
/// [`BULK_BUDGET_PER_MINUTE`]: (target, surface, has a server-side email filter).
fn bulk_targets(sandbox: &Sandbox) -> Vec<(Target, Surface, bool)> {
    let s = sandbox.settings();
    let options = invite::http::ClientOptions::default()
        .with_rate_budget(Some(RateBudget::per_minute(BULK_BUDGET_PER_MINUTE)));
    let site: DynProvider = Arc::new(site_users(s, BULK_BUDGET_PER_MINUTE));
    let flatfile: DynProvider = Arc::new(
        FlatfileProvider::from_config(
            FlatfileConfig::builder(FlatfileToken::new(s.flatfile_api_key.clone()))
                .api_url(s.flatfile_api_url.clone())
                .default_actor_role(s.flatfile_role_id.clone(), s.flatfile_account_id.clone())
                .client_options(options.clone())
                .build()
                .expect("flatfile config"),
        )
        .expect("flatfile provider"),
    );
    let awork: DynProvider = Arc::new(
        AworkProvider::from_config(
            AworkConfig::builder(
                AworkToken::new(s.awork_api_token.clone()),
                s.awork_workspace_id.clone(),
            )
            .base_url(s.awork_api_base_url.clone())
            .default_role_id(s.awork_role_id.clone())
            .options(options)
            .build()
            .expect("awork config"),
        )
        .expect("awork provider"),
    );
    [
        ("webflow-site", site, Surface::WebflowData),
        ("flatfile", flatfile, Surface::Flatfile),
        ("awork", awork, Surface::Awork),
    ]
    .into_iter()
    .map(|(name, p, surface)| {
        let filter = p.info().capabilities.server_side_email_lookup;
        (Target::new(name, p), surface, filter)
    })
    .collect()
}

/// `new` new people and `existing` seeded ones (their addresses upper-cased) onboarded with
/// `Orchestrator::onboard_many` into a directory of `users`, one surface at a time. Per
/// surface: the requests the sandbox counted, against the floor (the fewer of the directory's
/// pages and one filtered lookup per person where the tool filters, else the pages; plus one
/// invitation per new person), and the wall time against that floor at the budget.
fn bench_bulk_lookups() {
    const PAGE: u64 = 100;
    for (users, new, existing) in [
        (500usize, 50usize, 10usize),
        (10_000, 50, 10),
        (10_000, 5, 0),
    ] {
        runtime().block_on(async {
            let sandbox = bulk_sandbox(users).await;
            let mut people: Vec<Person> = (0..new)
                .map(|i| Person::new(person("bulk", i), PersonName::new("Bench", "Person")))
                .collect();
            people.extend((0..existing).map(|i| {
                let email = seeded_email(i * (users / existing.max(1)) + 3).to_uppercase();
                Person::new(
                    Email::parse(&email).expect("seeded email"),
                    PersonName::new("Seeded", "Person"),
                )
            }));
            for (target, surface, filter) in bulk_targets(&sandbox) {
                let name = target.name.clone();
                // awork lists its API key's owner too.
                let listed = users as u64 + u64::from(surface == Surface::Awork);
                let pages = listed.div_ceil(PAGE);
                let lookups = if filter {
                    pages.min(people.len() as u64)
                } else {
                    pages
                };
                let floor = lookups + new as u64;
                let orchestrator = Orchestrator::new(vec![target]).with_concurrency(4);
                let before = sandbox.requests().surface(surface);
                let started = Instant::now();
                let reports = orchestrator.onboard_many(&people).await;
                let wall = started.elapsed().as_secs_f64();
                let sent = sandbox.requests().surface(surface) - before;
                assert!(
                    reports.iter().all(|r| r.succeeded()),
                    "{name}: {reports:?}"
                );
                let invited: u64 = sandbox
                    .invitations()
                    .get(&surface)
                    .map_or(0, |m| m.values().sum());
                assert_eq!(invited, new as u64, "{name}: one invitation per new person");
                // The budget allows one request at once, then one per interval.
                let floor_s = (floor - 1) as f64 * 60.0 / f64::from(BULK_BUDGET_PER_MINUTE);
                let ratio = wall / floor_s;
                let request_ratio = sent as f64 / floor as f64;
                println!(
                    "bulk {new} new + {existing} existing into {users} users, {name} ({}), budget {BULK_BUDGET_PER_MINUTE}/min: \
                     requests {sent} / floor {floor} = {request_ratio:.2} (target <= {}, {}), {:.2} per new person; \
                     wall {wall:.2}s / floor {floor_s:.2}s = ratio {ratio:.3}",
                    if filter { "email filter" } else { "no email filter" },
                    floor + 3,
                    verdict(sent <= floor + 3),
                    sent as f64 / new as f64,
                );
            }
            sandbox.shutdown().await;
        });
    }
}
