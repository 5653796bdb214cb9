//! Configuration from the environment, validation, and the per-site shared rate budget.

#![cfg(test)]

use std::time::{Duration, Instant};

use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{Error, UserDirectory, UserId};
use invite_webflow::{SiteToken, WebflowSiteConfig, WebflowSiteUsers};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "wf_site_config_test_secret_77";

fn lookup(vars: &[(&str, &str)]) -> invite_testkit::Lookup {
    invite_testkit::lookup(vars.iter().copied())
}

fn config_error(vars: &[(&str, &str)]) -> String {
    match WebflowSiteConfig::from_lookup(lookup(vars)) {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn from_env_reads_every_variable_with_defaults() {
    let c = WebflowSiteConfig::from_lookup(lookup(&[
        ("WEBFLOW_API_TOKEN", TOKEN),
        ("WEBFLOW_SITE_ID", " 5f0c8c9e1c9d440000e8d8c3 "),
    ]))
    .unwrap();
    assert_eq!(c.site_id(), "5f0c8c9e1c9d440000e8d8c3");
    assert_eq!(c.base_url().as_str(), "https://api.webflow.com/v2");
    assert_eq!(c.rate_limit_per_minute(), 60);
    assert!(c.default_access_groups().is_empty());

    let c = WebflowSiteConfig::from_lookup(lookup(&[
        ("WEBFLOW_API_TOKEN", TOKEN),
        ("WEBFLOW_SITE_ID", "site1"),
        ("WEBFLOW_API_BASE_URL", "http://127.0.0.1:8080/v2"),
        ("WEBFLOW_RATE_LIMIT_PER_MINUTE", "240"),
        ("WEBFLOW_ACCESS_GROUPS", "webflowers, premium-members,,"),
    ]))
    .unwrap();
    assert_eq!(c.base_url().as_str(), "http://127.0.0.1:8080/v2");
    assert_eq!(c.rate_limit_per_minute(), 240);
    assert_eq!(c.default_access_groups(), ["webflowers", "premium-members"]);
    assert!(!format!("{c:?}").contains(TOKEN));
}

#[test]
fn bad_configuration_is_a_config_error_naming_the_variable() {
    assert!(config_error(&[("WEBFLOW_SITE_ID", "s")]).contains("WEBFLOW_API_TOKEN"));
    assert!(
        config_error(&[("WEBFLOW_API_TOKEN", " "), ("WEBFLOW_SITE_ID", "s")])
            .contains("WEBFLOW_API_TOKEN")
    );
    assert!(config_error(&[("WEBFLOW_API_TOKEN", TOKEN)]).contains("WEBFLOW_SITE_ID"));
    let base = [("WEBFLOW_API_TOKEN", TOKEN), ("WEBFLOW_SITE_ID", "s")];
    let with = |k: &'static str, v: &'static str| {
        let mut vars = base.to_vec();
        vars.push((k, v));
        config_error(&vars)
    };
    assert!(with("WEBFLOW_API_BASE_URL", "http://api.webflow.com/v2").contains("https"));
    assert!(with("WEBFLOW_API_BASE_URL", "not a url").contains("WEBFLOW_API_BASE_URL"));
    assert!(
        with("WEBFLOW_API_BASE_URL", "https://user:pw@api.webflow.com/v2")
            .contains("WEBFLOW_API_BASE_URL")
    );
    assert!(
        with("WEBFLOW_RATE_LIMIT_PER_MINUTE", "fast").contains("WEBFLOW_RATE_LIMIT_PER_MINUTE")
    );
    assert!(with("WEBFLOW_RATE_LIMIT_PER_MINUTE", "0").contains("WEBFLOW_RATE_LIMIT_PER_MINUTE"));
    assert!(with("WEBFLOW_RATE_LIMIT_PER_MINUTE", "-60").contains("WEBFLOW_RATE_LIMIT_PER_MINUTE"));
    for (k, v) in [("WEBFLOW_SITE_ID", ".."), ("WEBFLOW_SITE_ID", "a\u{7}b")] {
        let msg = config_error(&[("WEBFLOW_API_TOKEN", TOKEN), (k, v)]);
        assert!(msg.contains("WEBFLOW_SITE_ID"), "{msg}");
    }
    let err = WebflowSiteConfig::builder("s", SiteToken::new(TOKEN))
        .default_access_groups(["ok", "has space"])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("has space"), "{err}");
    let err = WebflowSiteConfig::builder("s", SiteToken::new(TOKEN))
        .custom_field("email")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let builder =
        WebflowSiteConfig::builder("s", SiteToken::new(TOKEN)).base_url("ftp://x.example.com");
    assert!(!format!("{builder:?}").contains(TOKEN));
    assert!(matches!(builder.build(), Err(Error::Config(_))));
}

fn provider(server: &MockServer, site: &str, per_minute: u32) -> WebflowSiteUsers {
    WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(site, SiteToken::new(TOKEN))
            .base_url(format!("{}/v2", server.uri()))
            .rate_limit_per_minute(per_minute)
            // The process-wide limiter (no limiter set), as in production.
            .client_options(ClientOptions::default().with_retry(RetryConfig::none()))
            .build()
            .unwrap(),
    )
    .unwrap()
}

async fn alternate(a: &WebflowSiteUsers, b: &WebflowSiteUsers, n: usize) -> Duration {
    let started = Instant::now();
    for i in 0..n {
        let p = if i % 2 == 0 { a } else { b };
        p.get(&UserId::new("u1")).await.unwrap();
    }
    started.elapsed()
}

#[tokio::test]
async fn providers_for_one_site_share_its_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "u1", "status": "verified"})),
        )
        .mount(&server)
        .await;
    // Unique site ids so other tests in this process do not draw from these budgets.
    let site = format!("rate-shared-{}", std::process::id());
    let other = format!("rate-other-{}", std::process::id());
    // 300 per minute = one request every 200 ms per site.
    let a = provider(&server, &site, 300);
    let b = provider(&server, &site, 300);
    let c = provider(&server, &other, 300);
    assert_eq!(a.limit_key().as_str(), format!("webflow-site:{site}"));
    assert_eq!(a.limit_key(), b.limit_key());
    assert_ne!(a.limit_key(), c.limit_key());

    // Six requests through two providers of one site: paced as one budget (5 intervals).
    let shared = alternate(&a, &b, 6).await;
    assert!(shared >= Duration::from_millis(900), "{shared:?}");

    // Two sites have two budgets: each sees three requests.
    let d = provider(&server, &format!("rate-third-{}", std::process::id()), 300);
    let separate = alternate(&c, &d, 6).await;
    assert!(separate < Duration::from_millis(900), "{separate:?}");
}

#[test]
fn token_types_are_distinct_and_redacted() {
    // These paths resolve (so the `compile_fail` doctests on `SiteToken` fail only on the
    // type mismatch), and none of the tokens shows its value.
    let scim = invite_webflow::scim::WebflowScimToken::new("wf_scim_secret_1");
    let ws = invite_webflow::WorkspaceToken::new("wf_ws_secret_2").unwrap();
    let site = SiteToken::new("wf_site_secret_3");
    let shown = format!("{scim:?} {ws:?} {site:?}");
    for s in ["secret_1", "secret_2", "secret_3"] {
        assert!(!shown.contains(s), "{shown}");
    }
}
