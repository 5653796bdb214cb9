//! Issue #17 through the built binary: inviting without an email (`--no-email`), handing the
//! invitation codes over (`--codes FILE`, `--print-codes`) without leaking them anywhere else,
//! and `invite sandbox`'s printed lines being enough to onboard someone everywhere.

#![cfg(test)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use invite_sandbox::{SandboxConfig, Surface};
use serde_json::Value;
use support::{Env, Run, SURFACES, people};

async fn start(name: &str) -> Env {
    let extra = [("WEBFLOW_RATE_LIMIT_PER_MINUTE", "1000")];
    Env::start("codes", name, SandboxConfig::new(), &extra).await
}

/// `invite COMMAND ARG --to awork --no-email REST…`: awork answers with a code the invitee
/// needs instead of emailing them.
async fn silently(env: &Env, command: &str, arg: &str, rest: &[&str]) -> Run {
    let head = [command, arg, "--to", "awork", "--no-email"];
    env.invite(&[&head[..], rest].concat()).await
}

/// The `--codes` file: its JSON lines.
fn code_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn assert_owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: {mode:o}", path.display());
    }
}

fn assert_not_shown(run: &Run, code: &str) {
    assert!(
        !run.stdout.contains(code) && !run.stderr.contains(code),
        "the code was shown:\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

/// An HTTP client for the sandbox (plain HTTP on loopback).
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

/// Redeems `code` as awork documents it (`POST /invitations/accept`); the status it answers.
async fn accept(env: &Env, code: &str) -> u16 {
    let s = env.sandbox.settings();
    http()
        .post(format!("{}/invitations/accept", s.awork_api_base_url))
        .bearer_auth(&s.awork_api_token)
        .json(&serde_json::json!({ "invitationCode": code }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The awork status `invite find` reports for `email`.
async fn awork_status(env: &Env, email: &str) -> String {
    let doc = env
        .invite(&["find", email, "--to", "awork", "--json"])
        .await
        .ok_json();
    doc["entries"][0]["status"].as_str().unwrap().to_owned()
}

fn awork_emails(env: &Env, email: &str) -> usize {
    env.sandbox
        .emails()
        .iter()
        .filter(|m| m.surface == Surface::Awork && m.to.eq_ignore_ascii_case(email))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_email_invites_silently_and_the_code_goes_to_a_private_file_only() {
    let mut env = start("onboard").await;
    // Every log the binary can write, so the check below covers them too.
    env.set("RUST_LOG", "trace");
    let email = "quiet@example.com";
    let file = env.path("codes.jsonl");
    let file_arg = file.display().to_string();
    let rest = ["--name", "Quinn Quiet", "--codes", &file_arg, "--json"];
    let run = silently(&env, "onboard", email, &rest).await;
    let report = run.ok_json();
    assert_eq!(report["entries"][0]["outcome"], "invited", "{report}");
    assert!(run.stderr.contains("TRACE"), "RUST_LOG=trace logs");
    assert_eq!(env.count(Surface::Awork, email), 1);
    assert_eq!(awork_emails(&env, email), 0, "no invitation email");

    assert_owner_only(&file);
    let lines = code_lines(&file);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["email"], email);
    assert_eq!(lines[0]["provider"], "awork");
    let code = lines[0]["code"].as_str().unwrap().to_owned();
    assert!(code.len() >= 8, "{code}");
    assert_not_shown(&run, &code);

    // The file is never overwritten: the same command again is refused before any request.
    let before = env.sandbox.requests().total;
    let again = silently(&env, "onboard", email, &rest).await;
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    assert_eq!(env.sandbox.requests().total, before);
    assert_eq!(code_lines(&file).len(), 1);

    // The code works: the invitee joins with it.
    assert_eq!(awork_status(&env, email).await, "invited");
    assert_eq!(accept(&env, &code).await, 200);
    assert_eq!(awork_status(&env, email).await, "active");
    assert_eq!(accept(&env, &code).await, 400, "a code is used once");

    // A human table and --verbose show no code either; --print-codes does.
    let email = "loud@example.com";
    let file2 = env.path("codes2.jsonl");
    let file2_arg = file2.display().to_string();
    let run = silently(
        &env,
        "onboard",
        email,
        &["--verbose", "--codes", &file2_arg],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let code2 = code_lines(&file2)[0]["code"].as_str().unwrap().to_owned();
    assert_not_shown(&run, &code2);
    assert_ne!(code, code2);

    let email = "shown@example.com";
    let run = silently(&env, "onboard", email, &["--print-codes"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(email))
        .unwrap_or_else(|| panic!("no code row:\n{}", run.stdout));
    let shown = row.split_whitespace().nth(2).unwrap().to_owned();
    assert!(!run.stderr.contains(&shown));
    assert_eq!(accept(&env, &shown).await, 200);

    // --no-email where a selected tool always emails: refused before any request, naming it.
    let before = env.sandbox.requests().total;
    let rest = ["--to", "flatfile,awork", "--no-email", "--json"];
    let run = env.onboard("x@example.com", "X Y", &rest).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--no-email: flatfile cannot") && run.stderr.contains("--to awork"),
        "{}",
        run.stderr
    );
    assert_eq!(env.sandbox.requests().total, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_dropped_with_a_note_unless_kept_and_never_printed() {
    let env = start("dropped").await;
    // Without --codes or --print-codes, the code the invitee needs goes nowhere (the document
    // has none); the run says it was not kept.
    let email = "nocode@example.com";
    let run = silently(&env, "onboard", email, &["--json"]).await;
    let report = run.ok_json();
    assert_eq!(report["entries"][0]["outcome"], "invited");
    assert!(report.get("invitation_codes").is_none(), "{report}");
    assert!(
        run.stderr
            .contains("note: 1 invitation code(s) were returned and not kept"),
        "{}",
        run.stderr
    );
    // --print-codes with --json: the report's document gains the codes, and the code works.
    let email = "printed@example.com";
    let doc = env
        .invite(&["onboard", email, "--to", "awork", "--print-codes", "--json"])
        .await
        .ok_json();
    assert_eq!(doc["entries"][0]["outcome"], "invited", "{doc}");
    let codes = doc["invitation_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 1, "{doc}");
    assert_eq!(codes[0]["email"], email);
    assert_eq!(codes[0]["provider"], "awork");
    assert_eq!(accept(&env, codes[0]["code"].as_str().unwrap()).await, 200);

    // With an email the code is not needed: no note, and still nothing printed.
    let run = env
        .invite(&["onboard", "mailed@example.com", "--to", "awork", "--json"])
        .await;
    run.ok_json();
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
    assert_eq!(awork_emails(&env, "mailed@example.com"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_no_email_writes_every_code_as_it_goes() {
    let env = start("bulk").await;
    let emails = people(4, "team");
    let csv = env.csv("team.csv", &emails, "");
    let file = env.path("team-codes.jsonl");
    let file_arg = file.display().to_string();
    let rest = ["--codes", &file_arg, "--print-codes", "--json"];
    let run = silently(&env, "bulk", &csv, &rest).await;
    let doc = run.ok_json();
    assert_eq!(doc["summary"]["succeeded"], 4, "{}", doc["summary"]);
    assert_owner_only(&file);
    let lines = Value::Array(code_lines(&file));
    let by_email: BTreeMap<String, String> = support::fields(&lines, ["provider", "email", "code"])
        .into_iter()
        .map(|[provider, email, code]| {
            assert_eq!(provider, "awork");
            (email, code)
        })
        .collect();
    assert_eq!(by_email.keys().cloned().collect::<Vec<_>>(), emails);
    // --print-codes: the same codes in the document, and nowhere else.
    let printed: BTreeMap<String, String> =
        support::fields(&doc["invitation_codes"], ["email", "code"])
            .into_iter()
            .map(|[email, code]| (email, code))
            .collect();
    assert_eq!(printed, by_email);
    for (email, code) in &by_email {
        assert!(!run.stderr.contains(code));
        assert_eq!(awork_emails(&env, email), 0, "{email}");
        assert_eq!(accept(&env, code).await, 200, "{email}");
    }

    // A re-run resumes from the journal: nothing is sent, so no code; without --print-codes
    // the document has none, and a new file is needed.
    let file2 = env.path("team-codes-2.jsonl");
    let file2_arg = file2.display().to_string();
    let doc = silently(&env, "bulk", &csv, &["--codes", &file2_arg, "--json"])
        .await
        .ok_json();
    assert!(doc.get("invitation_codes").is_none());
    assert_eq!(std::fs::read_to_string(&file2).unwrap(), "");
    assert_owner_only(&file2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_command_s_lines_alone_configure_an_onboarding_everywhere() {
    let clean = support::clean_command;
    let mut sandbox = clean(&["sandbox", "--port", "0"]).spawn().unwrap();
    let settings = support::sandbox_settings(&mut sandbox).await;
    let email = "everywhere@example.com";
    // No flag but the address: Flatfile, which requires a name, gets its local part.
    let mut onboard = clean(&["onboard", email, "--json"]);
    onboard.envs(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let out = tokio::time::timeout(Duration::from_secs(120), onboard.output())
        .await
        .expect("onboard within 120 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let outcomes: BTreeMap<&str, &str> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<&str, &str> = SURFACES.iter().map(|(_, n)| (*n, "invited")).collect();
    assert_eq!(outcomes, expected);
    // The sandbox's own count: one invitation on every surface.
    let admin = &settings
        .iter()
        .find(|(k, _)| k == "INVITE_SANDBOX_ADMIN_URL")
        .unwrap()
        .1;
    let counts: Value = http()
        .get(format!("{admin}/invitations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (surface, name) in SURFACES {
        assert_eq!(counts[surface.slug()][email], 1, "{name}: {counts}");
    }
    sandbox.start_kill().unwrap();
    let _ = sandbox.wait().await;
}
