//! The sandbox's SCIM surface through an independent RFC 7643/7644 compliance checker:
//! python-scim's scim2-tester 0.5.2 (`scim test` of scim2-cli 0.6.0), run by
//! `scripts/scim-compliance.sh`. Every check must answer SUCCESS.
//!
//! The script installs the checker from PyPI into a virtualenv on first use. Without python3
//! (with venv and pip) and PyPI access this test FAILS with the script's message: it never
//! skips silently (the same policy as invite-scim's scim2-server peer tests).

#![cfg(test)]

mod support;

use std::path::PathBuf;

use support::start;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/scim-compliance.sh")
}

/// The number of report lines `STATUS check` whose status is `status` (`None`: any status).
fn count(report: &str, status: Option<&str>, check: Option<&str>) -> usize {
    report
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(s, c)| {
            s.len() > 1
                && s.chars().all(|ch| ch.is_ascii_uppercase())
                && status.is_none_or(|want| *s == want)
                && check.is_none_or(|want| *c == want)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_tester_finds_nothing_to_report() {
    let sb = start().await;
    let s = sb.settings();
    let out = tokio::process::Command::new("bash")
        .arg(script())
        .arg(&s.webflow_scim_base_url)
        .env("SCIM_TOKEN", &s.webflow_scim_token)
        .output()
        .await
        .unwrap_or_else(|e| panic!("could not run {}: {e}", script().display()));
    let report = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/scim-compliance.sh failed ({}). It needs python3 with venv+pip and PyPI \
         access on first use. Report:\n{report}\nstderr:\n{stderr}",
        out.status
    );
    let total = count(&report, None, None);
    let ok = count(&report, Some("SUCCESS"), None);
    assert_eq!(ok, total, "every check must be a SUCCESS:\n{report}");
    // Discovery ran once, and the CRUD checks ran for both resource types.
    for (check, times) in [
        ("service_provider_config_endpoint", 1),
        ("query_all_resource_types", 1),
        ("query_all_schemas", 1),
        ("random_url", 1),
        ("object_creation", 2),
        ("object_replacement", 2),
        ("object_deletion", 2),
        ("object_query_without_id", 2),
    ] {
        let ran = count(&report, Some("SUCCESS"), Some(check));
        assert_eq!(ran, times, "{check}");
    }
    let summary = report.lines().last().unwrap_or_default();
    assert_eq!(
        summary,
        format!("summary: {total} results, {total} SUCCESS, 0 other")
    );
    eprintln!("scim2-tester against the sandbox: {summary}");
}
