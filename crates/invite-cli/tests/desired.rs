//! Desired state end to end (issue #18): the built binary plans and applies a roster of a
//! dozen people across flatfile, awork and webflow-workspace on the sandbox, removes two of
//! them authoritatively within a removal limit, and diffs snapshots taken before and after.

#![cfg(test)]

mod support;

use std::collections::BTreeSet;

use invite_sandbox::{SandboxConfig, Surface};
use serde_json::Value;
use support::Env;

const TOOLS: &str = "flatfile,awork,webflow-workspace";
const SURFACES: [(Surface, &str); 3] = [
    (Surface::Flatfile, "flatfile"),
    (Surface::Awork, "awork"),
    (Surface::WebflowWorkspace, "webflow-workspace"),
];

/// The roster: `emails` in the three tools (webflow-workspace with an explicit role), the
/// webflow workspace's owner on the ignore list.
fn roster(emails: &[String]) -> String {
    let mut text = String::from("email,name,tools\n");
    for (i, e) in emails.iter().enumerate() {
        text.push_str(&format!(
            "{e},Person {i},\"flatfile;awork;webflow-workspace:webflow_workspace_role(workspace_role=member, default_site_role=designer)\"\n"
        ));
    }
    text.push_str(&format!(
        "{},,!ignore\n",
        invite_sandbox::workspace::OWNER_EMAIL
    ));
    text
}

/// `[tool, email, action]` of every change of a plan document.
fn changes(doc: &Value) -> BTreeSet<[String; 3]> {
    let list = support::fields(&doc["changes"], ["tool", "email", "action"]);
    let set: BTreeSet<[String; 3]> = list.iter().cloned().collect();
    assert_eq!(set.len(), list.len(), "each change once: {doc}");
    set
}

/// Runs `invite args`, which must succeed; its JSON document and the requests it sent per
/// tool.
async fn counted(env: &Env, args: &[&str]) -> (Value, Vec<u64>) {
    let counts = || {
        let r = env.sandbox.requests();
        SURFACES.map(|(s, _)| r.surface(s))
    };
    let start = counts();
    let doc = env.invite(args).await.ok_json();
    let sent = counts().iter().zip(start).map(|(n, s)| n - s).collect();
    (doc, sent)
}

fn every(emails: &[String], action: &str) -> BTreeSet<[String; 3]> {
    SURFACES
        .iter()
        .flat_map(|(_, tool)| {
            emails
                .iter()
                .map(move |e| [(*tool).to_owned(), e.clone(), action.to_owned()])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_is_planned_applied_pruned_and_diffed() {
    let env = Env::start("desired", "roster", SandboxConfig::new(), &[]).await;
    let sandbox = &env.sandbox;
    let all = support::people(12, "member");
    let full = env.path("roster.csv");
    std::fs::write(&full, roster(&all)).unwrap();
    let full = full.display().to_string();

    // An invalid row is reported with file and line before anything is sent.
    let bad = env.path("bad.csv");
    std::fs::write(
        &bad,
        format!("{}not-an-email,X,flatfile\n", roster(&all[..1])),
    )
    .unwrap();
    let bad = bad.display().to_string();
    let before = sandbox.requests().total;
    let run = env.invite(&["plan", &bad, "--to", TOOLS]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("{bad}:4: `not-an-email`")),
        "{}",
        run.stderr
    );
    let unknown = env.path("unknown.csv");
    std::fs::write(
        &unknown,
        "email,name,tools\na@example.com,A,flatfile;billing\n",
    )
    .unwrap();
    let run = env.invite(&["plan", &unknown.display().to_string()]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(":2: a@example.com: the tool `billing`"),
        "{}",
        run.stderr
    );
    assert_eq!(sandbox.requests().total, before, "nothing was sent");

    // The plan: exactly one invite per person and tool, one directory read per tool.
    let (plan, reads) = counted(&env, &["plan", &full, "--json"]).await;
    // Printed for the record (`cargo test -p invite-cli --test desired -- --nocapture`).
    println!(
        "requests per tool (flatfile, awork, webflow-workspace) for a plan of 12 people: {reads:?}"
    );
    assert_eq!(reads, vec![1, 1, 1], "one list read per tool");
    assert_eq!(changes(&plan), every(&all, "invite"));
    assert_eq!(
        sandbox.requests().total - before,
        3,
        "and nothing else: no write"
    );
    // The same roster in TOML plans the same; the table ends with a count per action.
    let toml = env.path("roster.toml");
    let mut text = format!(
        "ignore = [\"{}\"]\n",
        invite_sandbox::workspace::OWNER_EMAIL
    );
    for (i, e) in all.iter().enumerate() {
        text.push_str(&format!(
            "[[people]]\nemail = \"{e}\"\nname = \"Person {i}\"\ntools = [\"flatfile\", \"awork\"]\ngrants.webflow-workspace = [{{ kind = \"webflow_workspace_role\", workspace_role = \"member\", default_site_role = \"designer\" }}]\n"
        ));
    }
    std::fs::write(&toml, text).unwrap();
    let toml = toml.display().to_string();
    let from_toml = env.invite(&["plan", &toml, "--json"]).await.ok_json();
    assert_eq!(changes(&from_toml), changes(&plan));
    let table = env.invite(&["plan", &toml]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .contains("Plan: 36 invite (nothing was changed)"),
        "{}",
        table.stdout
    );

    // Apply invites each person once per tool; a second plan finds nothing to do.
    let (applied, sent) = counted(&env, &["apply", &full, "--json"]).await;
    println!("requests per tool for applying it: {sent:?}");
    // The plan's read, then one invitation per person: the read answers every lookup.
    assert_eq!(sent, vec![1 + 12; 3]);
    assert_eq!(changes(&applied), every(&all, "invite"));
    for c in applied["changes"].as_array().unwrap() {
        assert_eq!(c["outcome"], "invited", "{c}");
    }
    for (surface, tool) in SURFACES {
        for e in &all {
            assert_eq!(sandbox.invitation_count(surface, e), 1, "{e} on {tool}");
        }
    }
    let again = env.invite(&["plan", &full, "--json"]).await.ok_json();
    assert!(changes(&again).is_empty(), "{again}");
    // Applying again changes nothing: the plan's read is all it sends.
    let (twice, sent) = counted(&env, &["apply", &full, "--json"]).await;
    assert!(changes(&twice).is_empty(), "{twice}");
    assert_eq!(sent, vec![1, 1, 1]);
    let mid = env.path("mid.json").display().to_string();
    let run = env
        .invite(&["snapshot", "--out", &mid, "--to", TOOLS])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // Two people leave the roster: nothing changes unless authoritative.
    let (gone, kept) = all.split_at(2);
    let smaller = env.path("smaller.csv");
    std::fs::write(&smaller, roster(kept)).unwrap();
    let smaller = smaller.display().to_string();
    let plan = env.invite(&["plan", &smaller, "--json"]).await.ok_json();
    assert!(changes(&plan).is_empty(), "{plan}");
    let plan = env
        .invite(&["plan", &smaller, "--authoritative", "--json"])
        .await
        .ok_json();
    assert_eq!(changes(&plan), every(gone, "cancel_invitation"));
    // The ignored owner and the credentials' own awork account are kept, and said so.
    let kept_reasons = support::fields(&plan["kept"], ["email", "reason"]);
    assert!(
        kept_reasons.contains(&[
            invite_sandbox::workspace::OWNER_EMAIL.to_owned(),
            "on the roster's ignore list".to_owned()
        ]),
        "{kept_reasons:?}"
    );
    assert!(
        kept_reasons.contains(&[
            invite_sandbox::awork::ADMIN_EMAIL.to_owned(),
            "the account the credentials belong to".to_owned()
        ]),
        "{kept_reasons:?}"
    );

    // Over the limit: refused, nothing removed.
    let run = env
        .invite(&["apply", &smaller, "--authoritative", "--max-removals", "1"])
        .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("more than the limit of 1"),
        "{}",
        run.stderr
    );
    let still = env
        .invite(&["plan", &smaller, "--authoritative", "--json"])
        .await
        .ok_json();
    assert_eq!(changes(&still), every(gone, "cancel_invitation"));

    // Within it: applied, and `find` shows neither person anywhere.
    let (applied, sent) = counted(
        &env,
        &[
            "apply",
            &smaller,
            "--authoritative",
            "--max-removals",
            "6",
            "--json",
        ],
    )
    .await;
    assert_eq!(changes(&applied), every(gone, "cancel_invitation"));
    for c in applied["changes"].as_array().unwrap() {
        assert_eq!(c["outcome"], "removed", "{c}");
    }
    println!("requests per tool for removing two authoritatively: {sent:?}");
    // The plan's read and one write per removal (the plan names the accounts, no lookup);
    // awork also answers whose the credentials are (`GET /me`); the webflow workspace
    // adapter checks an invite was not accepted meanwhile before it cancels it (its remove).
    assert_eq!(sent, vec![1 + 2, 1 + 1 + 2, 1 + 2 * 2]);
    for e in gone {
        let found = env
            .invite(&["find", e, "--to", TOOLS, "--json"])
            .await
            .ok_json();
        for entry in found["entries"].as_array().unwrap() {
            assert_eq!(entry["outcome"], "not_present", "{e}: {entry}");
        }
    }
    let after = env
        .invite(&["plan", &smaller, "--authoritative", "--json"])
        .await
        .ok_json();
    assert!(changes(&after).is_empty(), "{after}");

    // The diff between the snapshots names both as leavers, and nothing else.
    let late = env.path("after.json").display().to_string();
    let run = env
        .invite(&["snapshot", "--out", &late, "--to", TOOLS])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for new in [late.as_str(), "live"] {
        let diff = env
            .invite(&["diff", &mid, new, "--to", TOOLS, "--json"])
            .await
            .ok_json();
        let entries: BTreeSet<[String; 3]> =
            support::fields(&diff["entries"], ["tool", "email", "kind"])
                .into_iter()
                .collect();
        assert_eq!(entries, every(gone, "leaver"), "{new}");
    }

    // The report: seats per tool, and nobody unlisted but the kept accounts.
    let report = env
        .invite(&["report", "--roster", &smaller, "--to", TOOLS, "--json"])
        .await
        .ok_json();
    for seats in report["seats"].as_array().unwrap() {
        assert_eq!(seats["invited"], 10, "{seats}");
    }
    let unlisted: BTreeSet<&str> = report["unlisted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        unlisted,
        BTreeSet::from([
            invite_sandbox::workspace::OWNER_EMAIL,
            invite_sandbox::awork::ADMIN_EMAIL
        ])
    );
    // A CSV snapshot has one line per account and a header.
    let csv = env.path("after.csv").display().to_string();
    let run = env
        .invite(&["snapshot", "--out", &csv, "--format", "csv", "--to", TOOLS])
        .await;
    assert_eq!(run.code, 0);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("tool,email,name,status,id,invited_at,grants\n"));
    assert_eq!(text.lines().count(), 1 + 10 * 3 + 2, "{text}");
}
