//! End-to-end tests: the built `invite` binary, run as a child process against an in-process
//! sandbox. The child's environment is cleared first (only PATH and HOME are kept) and
//! filled with the sandbox's settings, so a developer's real variables never leak in.

#![cfg(test)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use invite_sandbox::{SandboxConfig, Surface};
use serde_json::Value;
use support::{Env, SURFACES, people};

/// A sandbox with its default limits; the client's Webflow budget raised to match them.
async fn start(name: &str) -> Env {
    // The sandbox allows 1000 requests a minute; the client's default Webflow budget is
    // the smallest plan's.
    let extra = [("WEBFLOW_RATE_LIMIT_PER_MINUTE", "1000")];
    Env::start("e2e", name, SandboxConfig::new(), &extra).await
}

fn entries(report: &Value) -> BTreeMap<String, Value> {
    report["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries in {report}"))
        .iter()
        .map(|e| (e["provider"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

fn outcome(report: &Value, provider: &str) -> String {
    entries(report)
        .get(provider)
        .unwrap_or_else(|| panic!("no {provider} in {report}"))["outcome"]
        .as_str()
        .unwrap()
        .to_owned()
}

const WS_FLAGS: [&str; 4] = [
    "--workspace-role",
    "member",
    "--default-site-role",
    "designer",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboard_find_offboard_across_every_configured_provider() {
    let env = start("lifecycle").await;
    let email = "ada@example.com";
    // --verbose logs every request to stderr; the tokens must not be among them.
    let mut args = vec![
        "--verbose",
        "onboard",
        email,
        "--name",
        "Ada Lovelace",
        "--json",
    ];
    args.extend(WS_FLAGS);
    let run = env.invite(&args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["job"], "onboard");
    let by = entries(&report);
    assert_eq!(by.len(), SURFACES.len(), "{report}");
    for (surface, name) in SURFACES {
        let e = &by[name];
        assert_eq!(e["outcome"], "invited", "{name}: {e}");
        assert!(
            e["user_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{name}: {e}"
        );
        assert_eq!(env.count(surface, email), 1, "{name}");
    }

    // The human table names every provider.
    let run = env.invite(&["find", email]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (_, name) in SURFACES {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(name) && l.contains("found")),
            "{name}:\n{}",
            run.stdout
        );
    }
    let found = env.invite(&["find", email, "--json"]).await.json();
    for (_, name) in SURFACES {
        assert_eq!(outcome(&found, name), "found", "{found}");
    }

    // awork: the invitee accepts, so offboarding deactivates there (deactivate-or-remove).
    env.sandbox.accept(Surface::Awork, email).unwrap();

    let before = env.sandbox.state();
    let plan = env
        .invite(&["offboard", email, "--dry-run", "--json"])
        .await
        .ok_json();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(outcome(&plan, "awork"), "would_deactivate");
    assert_eq!(outcome(&plan, "webflow-scim"), "would_deactivate");
    for name in ["webflow-site", "webflow-workspace", "flatfile"] {
        assert_eq!(outcome(&plan, name), "would_remove", "{plan}");
    }
    assert_eq!(env.sandbox.state(), before, "a dry run changes nothing");

    let done = env.invite(&["offboard", email, "--json"]).await.ok_json();
    assert_eq!(outcome(&done, "awork"), "deactivated");
    // SCIM deprovisioning deactivates the collaborator; the site user is removed separately.
    assert_eq!(outcome(&done, "webflow-scim"), "deactivated");
    for name in ["webflow-site", "webflow-workspace", "flatfile"] {
        assert_eq!(outcome(&done, name), "removed", "{done}");
    }

    let after = env.invite(&["find", email, "--json"]).await.json();
    for name in ["webflow-site", "webflow-workspace", "flatfile"] {
        assert_eq!(outcome(&after, name), "not_present", "{after}");
    }
    for name in ["awork", "webflow-scim"] {
        let e = &entries(&after)[name];
        assert_eq!(e["outcome"], "found", "{e}");
        assert_eq!(e["status"], "deactivated", "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn to_selects_providers_and_dry_run_sends_no_invitation() {
    let env = start("select").await;
    let email = "grace@example.com";
    let plan = env
        .onboard(
            email,
            "Grace Hopper",
            &["--to", "flatfile,awork", "--dry-run", "--json"],
        )
        .await
        .ok_json();
    assert_eq!(entries(&plan).len(), 2, "{plan}");
    assert_eq!(outcome(&plan, "flatfile"), "would_invite");
    for (surface, _) in SURFACES {
        assert_eq!(env.count(surface, email), 0);
    }

    let report = env
        .onboard(
            email,
            "Grace Hopper",
            &["--to", "flatfile", "--to", "awork", "--json"],
        )
        .await
        .ok_json();
    let names: Vec<String> = entries(&report).into_keys().collect();
    assert_eq!(names, vec!["awork", "flatfile"]);
    assert_eq!(env.count(Surface::Flatfile, email), 1);
    assert_eq!(env.count(Surface::Awork, email), 1);
    assert_eq!(env.count(Surface::WebflowData, email), 0);
    assert_eq!(env.count(Surface::WebflowWorkspace, email), 0);

    // Again: already there, nothing sent, still success.
    let again = env
        .onboard(email, "Grace Hopper", &["--to", "flatfile", "--json"])
        .await
        .ok_json();
    assert_eq!(outcome(&again, "flatfile"), "already_member");
    assert_eq!(env.count(Surface::Flatfile, email), 1);

    // --to webflow-workspace: a member (the invite was accepted) is removed there only.
    let run = env
        .invite(
            &["onboard", email, "--to", "webflow-workspace", "--json"]
                .into_iter()
                .chain(WS_FLAGS)
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.sandbox
        .accept(Surface::WebflowWorkspace, email)
        .unwrap();
    let found = env
        .invite(&["find", email, "--to", "webflow-workspace", "--json"])
        .await
        .json();
    assert_eq!(entries(&found)["webflow-workspace"]["status"], "active");
    let done = env
        .invite(&["offboard", email, "--to", "webflow-workspace", "--json"])
        .await
        .ok_json();
    assert_eq!(entries(&done).len(), 1);
    assert_eq!(outcome(&done, "webflow-workspace"), "removed");
    let after = env.invite(&["find", email, "--json"]).await.json();
    assert_eq!(outcome(&after, "webflow-workspace"), "not_present");
    assert_eq!(outcome(&after, "flatfile"), "found");
    assert_eq!(outcome(&after, "awork"), "found");

    let bad = env.invite(&["find", email, "--to", "slack"]).await;
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown provider `slack`"),
        "{}",
        bad.stderr
    );

    // The generic SCIM provider, pointed at the sandbox's SCIM service.
    let mut env = env;
    let s = env.sandbox.settings().clone();
    env.set("SCIM_BASE_URL", &s.webflow_scim_base_url);
    env.set("SCIM_TOKEN", &s.webflow_scim_token);
    let report = env
        .onboard("lin@example.com", "Lin Scim", &["--to", "scim", "--json"])
        .await
        .ok_json();
    assert_eq!(entries(&report).len(), 1);
    assert_eq!(outcome(&report, "scim"), "invited", "{report}");
    assert_eq!(env.count(Surface::WebflowScim, "lin@example.com"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_variables_are_named_and_nothing_is_sent() {
    let mut env = start("missing").await;
    env.unset("FLATFILE_API_KEY");
    let run = env
        .invite(&["find", "x@example.com", "--to", "flatfile"])
        .await;
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("flatfile is not configured")
            && run.stderr.contains("FLATFILE_API_KEY"),
        "{}",
        run.stderr
    );

    // A vendor that requires a grant: Flatfile's actor role.
    let mut env2 = start("norole").await;
    env2.unset("FLATFILE_ROLE_ID");
    env2.unset("FLATFILE_ACCOUNT_ID");
    let run = env2
        .onboard("x@example.com", "X Y", &["--to", "flatfile"])
        .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("FLATFILE_ROLE_ID") && run.stderr.contains("FLATFILE_ACCOUNT_ID"),
        "{}",
        run.stderr
    );

    // Nothing configured at all.
    let mut bare = start("bare").await;
    bare.vars.retain(|(k, _)| k == "INVITE_SANDBOX_ADMIN_URL");
    let run = bare.invite(&["find", "x@example.com"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no provider is configured"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("AWORK_WORKSPACE_ID"), "{}", run.stderr);

    for e in [&env, &env2, &bare] {
        assert_eq!(e.sandbox.requests().total, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_workspace_role_pairing_is_refused_before_any_request() {
    let env = start("pairing").await;
    let site = env.sandbox.settings().webflow_site_id.clone();
    let site_flag = format!("{site}=designer");
    let other_role_flag = format!("{site}=content_editor");
    let (site_flag, other_role_flag) = (site_flag.as_str(), other_role_flag.as_str());
    let p = ["onboard", "p@example.com", "--name", "P Q"];
    let role = |role| ["--workspace-role", role];
    for args in [
        [
            &p[..],
            &role("reviewer"),
            &["--default-site-role", "designer"],
        ]
        .concat(),
        [&p[..], &role("member")].concat(),
        [&p[..], &role("admin"), &["--site", site_flag]].concat(),
        [
            &p[..],
            &role("member"),
            &[
                "--default-site-role",
                "marketer",
                "--site",
                site_flag,
                "--site",
                other_role_flag,
            ],
        ]
        .concat(),
        [
            &["onboard", "p@example.com", "--to", "flatfile"][..],
            &WS_FLAGS,
        ]
        .concat(),
    ] {
        let run = env.invite(&args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr.contains("--default-site-role")
                || run.stderr.contains("--site")
                || run.stderr.contains("--workspace-role"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        env.sandbox.requests().total,
        0,
        "{:?}",
        env.sandbox.requests()
    );

    // A valid site-list shape goes through.
    let run = env
        .onboard(
            "p@example.com",
            "P Q",
            &[
                "--to",
                "webflow-workspace",
                "--workspace-role",
                "member",
                "--site",
                site_flag,
                "--json",
            ],
        )
        .await
        .ok_json();
    assert_eq!(outcome(&run, "webflow-workspace"), "invited");
}

/// The role `email` has on `site`, as the sandbox's site-access API lists it.
async fn site_role(env: &Env, site: &str, email: &str) -> Option<String> {
    use futures::StreamExt;
    let vars = invite_testkit::lookup(env.sandbox.settings().env_pairs());
    let config = invite_webflow::workspace::WebflowWorkspaceConfig::from_lookup(vars).unwrap();
    let p = invite_webflow::workspace::WebflowWorkspace::from_config(config).unwrap();
    let site = invite_webflow::workspace::SiteId::new(site).unwrap();
    let members: Vec<_> = p.list_site_members(&site).collect().await;
    members
        .into_iter()
        .map(Result::unwrap)
        .find(|m| m.email.as_ref().is_some_and(|e| e.as_str() == email))
        .and_then(|m| m.site_role)
        .map(|r| r.as_str().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_role_other_than_the_default_is_given_after_acceptance() {
    let mut env = start("deferred").await;
    let site = env.sandbox.settings().webflow_site_id.clone();
    let site_flag = format!("{site}=content_editor");
    let pending = serde_json::json!([
        {"kind": "webflow_site_access", "site_id": site, "site_role": "content_editor"}
    ]);
    let email = "dee@example.com";
    let args = [
        "onboard",
        email,
        "--to",
        "webflow-workspace",
        "--workspace-role",
        "member",
        "--default-site-role",
        "designer",
        "--site",
        &site_flag,
    ];
    let json_args = [&args[..], &["--json"]].concat();

    // Invited as member/designer; the site role waits for acceptance.
    let run = env.invite(&json_args).await.ok_json();
    let e = entries(&run)["webflow-workspace"].clone();
    assert_eq!(e["outcome"], "invited", "{e}");
    assert_eq!(e["pending_grants"], pending, "{e}");
    // Not accepted yet: the table says what is pending.
    let run = env.invite(&args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already_member"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("pending: site {site} as content_editor")),
        "{}",
        run.stdout
    );

    env.sandbox
        .accept(Surface::WebflowWorkspace, email)
        .unwrap();
    assert_eq!(
        site_role(&env, &site, email).await.as_deref(),
        Some("designer")
    );
    let run = env.invite(&json_args).await.ok_json();
    let e = entries(&run)["webflow-workspace"].clone();
    assert_eq!(e["outcome"], "already_member", "{e}");
    assert_eq!(
        e["reason"],
        format!("granted site {site} as content_editor"),
        "{e}"
    );
    assert!(e.get("pending_grants").is_none(), "{e}");
    assert_eq!(
        site_role(&env, &site, email).await.as_deref(),
        Some("content_editor")
    );
    assert_eq!(env.count(Surface::WebflowWorkspace, email), 1);

    // The same plan from the environment instead of flags.
    env.set("WEBFLOW_WORKSPACE_ROLE", "member");
    env.set("WEBFLOW_DEFAULT_SITE_ROLE", "designer");
    env.set("WEBFLOW_SITE_GRANTS", &site_flag);
    let email = "eve@example.com";
    let args = ["onboard", email, "--to", "webflow-workspace", "--json"];
    let run = env.invite(&args).await.ok_json();
    assert_eq!(
        entries(&run)["webflow-workspace"]["pending_grants"],
        pending
    );
    env.sandbox
        .accept(Surface::WebflowWorkspace, email)
        .unwrap();
    let run = env.invite(&args).await.ok_json();
    let e = entries(&run)["webflow-workspace"].clone();
    assert_eq!(
        e["reason"],
        format!("granted site {site} as content_editor"),
        "{e}"
    );
    assert_eq!(
        site_role(&env, &site, email).await.as_deref(),
        Some("content_editor")
    );
}

/// A sandbox for `bulk` runs: workspace invitees become member/designer.
async fn start_bulk(name: &str) -> Env {
    let mut env = start(name).await;
    env.set("WEBFLOW_WORKSPACE_ROLE", "member");
    env.set("WEBFLOW_DEFAULT_SITE_ROLE", "designer");
    env
}

fn summary_count(doc: &Value, provider: &str, outcome: &str) -> u64 {
    doc["summary"]["providers"][provider][outcome]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_partial_failure_then_rerun_without_reinvites() {
    let env = start_bulk("bulk").await;
    let emails = people(10, "bulk");
    let csv_arg = env.csv("people.csv", &emails, "not-an-email,Bad,Row\n");
    // awork refuses the fourth invitation it receives (a 403, which no retry fixes).
    env.awork_invite_fault(3, support::FORBIDDEN);
    let run = env
        .invite(&["bulk", &csv_arg, "--concurrency", "3", "--json"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["people"].as_array().unwrap().len(), 10);
    assert_eq!(
        doc["summary"]["invalid_rows"][0]["line"], 12,
        "{}",
        doc["summary"]
    );
    assert_eq!(
        summary_count(&doc, "awork", "failed"),
        1,
        "{}",
        doc["summary"]
    );
    assert_eq!(summary_count(&doc, "awork", "invited"), 9);
    for name in [
        "webflow-site",
        "webflow-workspace",
        "webflow-scim",
        "flatfile",
    ] {
        assert_eq!(
            summary_count(&doc, name, "invited"),
            10,
            "{name}: {}",
            doc["summary"]
        );
    }
    let failed: Vec<&Value> = doc["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| outcome(r, "awork") == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    let failed_email = failed[0]["email"].as_str().unwrap().to_owned();
    assert_eq!(env.count(Surface::Awork, &failed_email), 0);
    assert!(env.path("people.csv.journal.jsonl").exists());

    // The human output of the same state names the problem and the bad line.
    let run = env.invite(&["bulk", &csv_arg, "--dry-run"]).await;
    assert!(run.stdout.contains("line 12"), "{}", run.stdout);

    let rerun = env.invite(&["bulk", &csv_arg, "--json"]).await;
    // Still exit 1: the invalid row is reported again. Every person succeeded.
    assert_eq!(rerun.code, 1, "{}", rerun.stderr);
    let doc = rerun.json();
    assert_eq!(doc["summary"]["failed"], 0, "{}", doc["summary"]);
    assert_eq!(doc["summary"]["succeeded"], 10);
    for report in doc["people"].as_array().unwrap() {
        let email = report["email"].as_str().unwrap();
        for (_, name) in SURFACES {
            let e = &entries(report)[name];
            if email == failed_email && name == "awork" {
                assert_eq!(e["outcome"], "invited", "{e}");
                assert!(e.get("resumed").is_none());
            } else {
                assert_eq!(e["resumed"], true, "{email} {name}: {e}");
            }
        }
    }
    env.assert_each_invited_once(&emails, "invited once");

    // Without the invalid row, a clean run exits 0.
    env.csv("people.csv", &emails, "");
    let run = env.invite(&["bulk", &csv_arg]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("10 people"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_resumes_after_a_crash_without_reinviting_or_skipping() {
    let env = start_bulk("crash").await;
    let emails = people(10, "crash");
    let csv_arg = env.csv("team.csv", &emails, "");
    // Every write is slow, so the run is still going when it is killed.
    let delay_ms = 400;
    env.delay_writes(delay_ms);
    let child = env
        .command(&["bulk", &csv_arg, "--concurrency", "2", "--json"])
        .spawn()
        .unwrap();
    // Wait until some, but not all, people have been invited somewhere.
    let (within, poll) = (Duration::from_secs(60), Duration::from_millis(20));
    let invited = env.wait_for_invitations(&emails, 2, within, poll).await;
    assert!(invited < emails.len(), "the run finished before the kill");
    env.kill_mid_run(child, delay_ms, &emails).await;
    let journal = std::fs::read_to_string(env.path("team.csv.journal.jsonl")).unwrap();
    assert!(journal.contains("\"started\""), "{journal}");

    let doc = env
        .invite(&["bulk", &csv_arg, "--concurrency", "2", "--json"])
        .await
        .ok_json();
    assert_eq!(doc["summary"]["succeeded"], 10, "{}", doc["summary"]);
    let resumed = doc["people"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["entries"].as_array().unwrap().iter())
        // Read from the journal (finished before the kill), or reconciled by lookup from
        // its `started` entries (killed between the vendor's answer and the journal write).
        .filter(|e| e["resumed"] == true || e["outcome"] == "reconciled")
        .count();
    assert!(resumed > 0, "the journal of the killed run was used");
    env.assert_each_invited_once(&emails, "invited exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_configures_providers() {
    let mut env = start("file").await;
    let s = env.sandbox.settings().clone();
    // Tokens stay in the environment; everything else comes from the file.
    env.vars
        .retain(|(k, _)| k == "FLATFILE_API_KEY" || k == "WEBFLOW_WORKSPACE_TOKEN");
    let file = env.path("invite.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[flatfile]
api_url = "{}"
role_id = "{}"
account_id = "{}"

[webflow-workspace]
workspace_id = "{}"
api_base_url = "{}"
workspace_role = "admin"
"#,
            s.flatfile_api_url,
            s.flatfile_role_id,
            s.flatfile_account_id,
            s.webflow_workspace_id,
            s.webflow_api_base_url
        ),
    )
    .unwrap();
    let file_arg = file.display().to_string();
    let report = env
        .invite(&[
            "--config",
            &file_arg,
            "onboard",
            "cfg@example.com",
            "--name",
            "C F",
            "--json",
        ])
        .await
        .ok_json();
    let names: Vec<String> = entries(&report).into_keys().collect();
    assert_eq!(names, vec!["flatfile", "webflow-workspace"]);
    assert_eq!(outcome(&report, "webflow-workspace"), "invited");

    let run = env
        .invite(&[
            "find",
            "cfg@example.com",
            "--config",
            &file_arg,
            "--to",
            "awork",
        ])
        .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("[awork]"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_command_prints_its_settings() {
    let env = start("sandboxcmd").await;
    let mut child = env.command(&["sandbox", "--port", "0"]).spawn().unwrap();
    // The admin URL is the last line printed: every setting has been read once it has.
    let settings: BTreeMap<String, String> = support::sandbox_settings(&mut child)
        .await
        .into_iter()
        .collect();
    child.start_kill().unwrap();
    let _ = child.wait().await;
    assert!(settings["WEBFLOW_API_BASE_URL"].starts_with("http://127.0.0.1:"));
    assert!(settings.contains_key("AWORK_WORKSPACE_ID"));
    assert!(settings.contains_key("INVITE_SANDBOX_ADMIN_URL"));
    assert!(settings.contains_key("AWORK_ROLE_ID"));
    assert!(settings.contains_key("FLATFILE_ROLE_ID"));
    assert_eq!(settings["WEBFLOW_WORKSPACE_ROLE"], "member");
    assert_eq!(settings["WEBFLOW_DEFAULT_SITE_ROLE"], "designer");
}
