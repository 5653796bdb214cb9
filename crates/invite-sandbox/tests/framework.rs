//! Framework: fault injection, rate limiting, admin API, shutdown, seed file, binary.

#![cfg(test)]

mod support;

use std::time::{Duration, Instant};

use invite_sandbox::{Fault, FaultRule, RateLimit, SandboxConfig, Surface};
use reqwest::Method;
use serde_json::json;
use support::{Api, Fetch, assert_scim_error, client, header, parts, start, start_with};

/// `GET /sites/{site}/users?limit=10` on the Webflow Data API.
fn users(w: &Api) -> reqwest::RequestBuilder {
    let site = &w.s.webflow_site_id;
    w.req(Method::GET, &format!("/sites/{site}/users?limit=10"))
}

/// `POST /sites/{site}/users/invite` for `email`.
fn invite(w: &Api, email: &str) -> reqwest::RequestBuilder {
    let site = &w.s.webflow_site_id;
    w.req(Method::POST, &format!("/sites/{site}/users/invite"))
        .json(&json!({ "email": email }))
}

#[tokio::test]
async fn fault_rate_limited_and_server_errors() {
    let sb = start().await;
    let w = Api::webflow(&sb);
    sb.add_fault(
        FaultRule::new(Fault::RateLimited {
            retry_after_secs: 7,
        })
        .surface(Surface::WebflowData)
        .method("POST")
        .path("/v2/sites/{}/users/invite"),
    );
    // a GET does not match the rule
    assert_eq!(users(&w).status().await, Some(200));
    let (status, h, body, _) = invite(&w, "a@example.com").reply().await;
    assert_eq!(status, 429);
    assert_eq!(header(&h, "retry-after"), "7");
    assert_eq!(body["code"], "too_many_requests");
    // applied once (times defaults to 1): the next invite goes through
    assert_eq!(invite(&w, "a@example.com").status().await, Some(200));

    // JSON server error, then an HTML one, via the admin API; skip lets one request pass
    let r = w
        .c
        .post(format!("{}/faults", w.admin))
        .json(&json!([
            {"surface": "webflow", "path": "/v2/sites/*", "skip": 1, "times": 1, "fault": {"kind": "server_error", "status": 503}},
            {"surface": "webflow", "path": "/v2/sites/*", "skip": 2, "times": 1, "fault": {"kind": "server_error", "status": 502, "html": true}}
        ]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(users(&w).status().await, Some(200));
    let (status, _, body, _) = users(&w).reply().await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "internal_error");
    let (status, h, _, text) = users(&w).reply().await;
    assert_eq!(status, 502);
    assert!(header(&h, "content-type").starts_with("text/html"));
    assert!(text.contains("502 Bad Gateway"));
    assert_eq!(users(&w).status().await, Some(200));

    // SCIM renders the fault in its own shape
    sb.add_fault(
        FaultRule::new(Fault::ServerError {
            status: 500,
            html: false,
        })
        .surface(Surface::WebflowScim),
    );
    let (status, h, body, _) = Api::scim(&sb).req(Method::GET, "/Users").reply().await;
    assert_scim_error(status, &h, &body, 500);
}

#[tokio::test]
async fn fault_delay_drop_truncate_malformed() {
    let sb = start().await;
    let w = Api::webflow(&sb);

    sb.add_fault(FaultRule::new(Fault::Delay { ms: 300 }).path("/v2/sites/{site_id}/users"));
    let t = Instant::now();
    assert_eq!(users(&w).status().await, Some(200));
    assert!(t.elapsed() >= Duration::from_millis(300));
    // client timeout shorter than the delay
    sb.add_fault(FaultRule::new(Fault::Delay { ms: 2000 }).path("/v2/sites/{site_id}/users"));
    let err = users(&w).timeout(Duration::from_millis(200)).send().await;
    assert!(err.is_err_and(|e| e.is_timeout()));

    // drop: no response at all, and no state change
    sb.add_fault(FaultRule::new(Fault::DropConnection).method("POST"));
    let err = invite(&w, "dropped@example.com").send().await;
    assert!(err.is_err(), "{err:?}");
    assert_eq!(
        sb.invitation_count(Surface::WebflowData, "dropped@example.com"),
        0
    );

    // commit then drop: no response, but the user exists
    sb.add_fault(FaultRule::new(Fault::CommitThenDrop).method("POST"));
    let err = invite(&w, "committed@example.com").send().await;
    assert!(err.is_err(), "{err:?}");
    assert_eq!(
        sb.invitation_count(Surface::WebflowData, "committed@example.com"),
        1
    );
    let (status, _, body, _) = invite(&w, "committed@example.com").reply().await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("duplicate_user_email"))
    );

    // truncated: 200 with half a JSON body
    sb.add_fault(FaultRule::new(Fault::TruncatedJson).method("GET"));
    let r = users(&w).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap_or_default();
    assert!(!text.is_empty());
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );

    // malformed: 200 with invalid JSON, json() fails
    sb.add_fault(FaultRule::new(Fault::MalformedJson).method("GET"));
    let r = users(&w).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.json::<serde_json::Value>().await.is_err());

    // every rule was used up; the server still answers normally
    assert_eq!(users(&w).status().await, Some(200));

    // `always` keeps applying; clearing removes it
    sb.add_fault(
        FaultRule::new(Fault::MalformedJson)
            .surface(Surface::WebflowData)
            .always(),
    );
    for _ in 0..3 {
        let r = users(&w).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(r.json::<serde_json::Value>().await.is_err());
    }
    let r =
        w.c.delete(format!("{}/faults", w.admin))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        users(&w)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json::<serde_json::Value>()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let sb = start_with(SandboxConfig::default().rate_limit(
        Surface::WebflowData,
        RateLimit::new(3, Duration::from_millis(1500)).with_headers(true),
    ))
    .await;
    let w = Api::webflow(&sb);
    for remaining in ["2", "1", "0"] {
        let r = users(&w).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(header(r.headers(), "x-ratelimit-limit"), "3");
        assert_eq!(header(r.headers(), "x-ratelimit-remaining"), remaining);
        let reset: u64 = header(r.headers(), "x-ratelimit-reset")
            .parse()
            .unwrap_or(99);
        assert!((1..=2).contains(&reset));
    }
    let (status, h, body, _) = users(&w).reply().await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], "too_many_requests");
    let retry: u64 = header(&h, "retry-after").parse().unwrap_or(99);
    assert!((1..=2).contains(&retry));
    assert_eq!(header(&h, "x-ratelimit-remaining"), "0");
    // a 401 does not consume the budget; the window resets
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(users(&w).status().await, Some(200));

    // the budget is per site: SCIM is unaffected and sends no headers by default
    let s = sb.settings();
    let r =
        w.c.get(format!("{}/Users", s.webflow_scim_base_url))
            .bearer_auth(&s.webflow_scim_token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().get("x-ratelimit-limit").is_none());

    // set through the admin API: SCIM 1 request per minute with headers
    let r =
        w.c.post(format!("{}/rate-limits", w.admin))
            .json(&json!({"surface": "scim", "limit": 1, "window_ms": 60000, "headers": true}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    let get = || {
        w.c.get(format!("{}/Users", s.webflow_scim_base_url))
            .bearer_auth(&s.webflow_scim_token)
            .send()
    };
    let r = get().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), "1");
    let (status, h, body, _) = parts(get().await.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(status, 429);
    assert_eq!(body["status"], "429");
    assert!(
        header(&h, "retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s > 50)
    );
}

#[tokio::test]
async fn admin_api() {
    let sb = start().await;
    let w = Api::webflow(&sb);
    let admin = |p: &str| format!("{}/{p}", w.admin);
    assert_eq!(invite(&w, "x@example.com").status().await, Some(200));
    assert_eq!(users(&w).status().await, Some(200));
    let unauth =
        w.c.get(format!("{}/sites/{}/users", w.base, w.s.webflow_site_id))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unauth.status().as_u16(), 401);

    let (_, _, req, _) = w.c.get(admin("requests")).reply().await;
    assert_eq!(req["total"], 3);
    assert_eq!(req["surfaces"]["webflow"]["total"], 3);
    assert_eq!(
        req["surfaces"]["webflow"]["routes"]["GET /v2/sites/{site_id}/users"],
        2
    );
    assert_eq!(
        req["surfaces"]["webflow"]["routes"]["POST /v2/sites/{site_id}/users/invite"],
        1
    );
    assert_eq!(
        sb.requests()
            .route(Surface::WebflowData, "GET /v2/sites/{site_id}/users"),
        2
    );
    assert_eq!(sb.requests().surface(Surface::WebflowScim), 0);

    let (_, _, inv, _) = w.c.get(admin("invitations")).reply().await;
    assert_eq!(inv, json!({"webflow": {"x@example.com": 1}}));
    let (_, _, emails, _) = w.c.get(admin("emails")).reply().await;
    assert_eq!(
        emails,
        json!([{"surface": "webflow", "to": "x@example.com", "kind": "invitation"}])
    );
    let (_, _, state, _) = w.c.get(admin("state")).reply().await;
    assert_eq!(
        state["webflow"]["sites"][0]["users"][0]["data"]["data"]["email"],
        "x@example.com"
    );
    assert_eq!(state["scim"]["groups"][0]["displayName"], "Designers");

    // unknown surface, unsupported action, nobody to accept, bad fault JSON
    for (path, body, status) in [
        ("nope/accept", r#"{"email": "a@b.c"}"#, 404),
        ("scim/accept", r#"{"email": "a@b.c"}"#, 400),
        ("webflow/accept", r#"{"email": "nobody@b.c"}"#, 404),
        ("faults", r#"{"fault":{"kind":"explode"}}"#, 400),
    ] {
        let answer = w.c.post(admin(path)).body(body).status().await;
        assert_eq!(answer, Some(status), "{path}");
    }

    // reset: back to the seed, logs cleared
    assert_eq!(w.c.post(admin("reset")).status().await, Some(200));
    assert_eq!(sb.requests().total, 0);
    assert!(sb.invitations().is_empty());
    assert_eq!(sb.state()["webflow"]["sites"][0]["users"], json!([]));
}

#[tokio::test]
async fn seed_file_shutdown_and_drop() {
    let dir = std::env::temp_dir().join(format!("invite-sandbox-seed-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("seed.json");
    std::fs::write(
        &file,
        json!({"webflow": {"sites": [{"users": [{"email": "seeded@example.com", "status": "invited"}]}]},
               "scim": {"users": [{"userName": "s@example.com"}], "groups": [{"displayName": "Ops", "members": ["s@example.com"]}]}})
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sb = start_with(SandboxConfig::default().seed_file(&file)).await;
    let state = sb.state();
    assert_eq!(
        state["webflow"]["sites"][0]["users"][0]["status"],
        "invited"
    );
    assert_eq!(state["scim"]["groups"][0]["displayName"], "Ops");
    assert_eq!(
        state["scim"]["groups"][0]["members"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let accepted = sb
        .accept(Surface::WebflowData, "SEEDED@example.com")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(accepted["accepted"][0]["status"], "verified");

    let addr = sb.addr();
    sb.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let sb = start().await;
    let addr = sb.addr();
    drop(sb);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    // a broken seed fails the start
    std::fs::write(&file, "{not json").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        invite_sandbox::Sandbox::start_with(SandboxConfig::default().seed_file(&file))
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn binary_prints_settings_and_stops_on_sigterm() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_invite-sandbox"))
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let mut settings = std::collections::BTreeMap::new();
    // The admin URL is the last line printed: every setting has been read once it has.
    while !settings.contains_key("INVITE_SANDBOX_ADMIN_URL") {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("stdout closed"));
        let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("{line}"));
        settings.insert(k.to_owned(), v.to_owned());
    }
    for key in [
        "WEBFLOW_API_BASE_URL",
        "WEBFLOW_API_TOKEN",
        "WEBFLOW_SITE_ID",
        "WEBFLOW_SCIM_BASE_URL",
        "WEBFLOW_SCIM_TOKEN",
        "WEBFLOW_WORKSPACE_ID",
        "WEBFLOW_WORKSPACE_TOKEN",
        "FLATFILE_API_URL",
        "FLATFILE_API_KEY",
        "FLATFILE_ROLE_ID",
        "FLATFILE_ACCOUNT_ID",
        "AWORK_API_BASE_URL",
        "AWORK_API_TOKEN",
        "AWORK_WORKSPACE_ID",
        "AWORK_ROLE_ID",
        "INVITE_SANDBOX_ADMIN_URL",
    ] {
        assert!(settings.contains_key(key), "{key}");
    }
    // The workspace role pairing, so the printed lines alone configure an onboarding.
    assert_eq!(settings["WEBFLOW_WORKSPACE_ROLE"], "member");
    assert_eq!(settings["WEBFLOW_DEFAULT_SITE_ROLE"], "designer");
    let base = &settings["WEBFLOW_API_BASE_URL"];
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/v2"));
    assert!(!settings["FLATFILE_API_URL"].ends_with("/v1"));
    let r = client()
        .get(format!(
            "{base}/sites/{}/users",
            settings["WEBFLOW_SITE_ID"]
        ))
        .bearer_auth(&settings["WEBFLOW_API_TOKEN"])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);

    let pid = child.id().unwrap_or_else(|| panic!("no pid"));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "{status:?}");
}

#[test]
fn cli_args() {
    let o = invite_sandbox::parse_args(["--port", "8080", "--seed=seed.json"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.port, 8080);
    assert_eq!(o.seed.as_deref(), Some(std::path::Path::new("seed.json")));
    assert!(invite_sandbox::parse_args(["--port", "x"]).is_err());
    assert!(invite_sandbox::parse_args(["--bogus"]).is_err());
}
