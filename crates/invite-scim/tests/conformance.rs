//! The conformance suite against the sandbox's Webflow SCIM surface, through the Webflow
//! preset (a `ScimProvider` built from `WebflowScimConfig`).

#![cfg(test)]

mod support;

use std::time::Duration;

use futures::StreamExt;
use invite_core::Describe;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_sandbox::Sandbox;
use invite_scim::webflow::{WebflowScimConfig, WebflowScimToken};
use support::ScimFixture;

async fn start() -> ScimFixture {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let s = sandbox.settings();
    let token = s.webflow_scim_token.clone();
    let provider = WebflowScimConfig::new(WebflowScimToken::new(token.clone()))
        .base_url(s.webflow_scim_base_url.clone())
        .client_options(
            ClientOptions::default().with_retry(
                RetryConfig::default()
                    .with_backoff(Duration::from_millis(20), Duration::from_millis(200)),
            ),
        )
        .build()
        .expect("provider");
    // The sandbox seeds the groups "Designers" and "Editors" with random ids.
    let groups: Vec<_> = provider
        .list_groups()
        .map(|g| g.expect("list groups"))
        .collect()
        .await;
    let id = |name: &str| {
        groups
            .iter()
            .find(|g| g.display_name.as_deref() == Some(name))
            .and_then(|g| g.id.clone())
            .unwrap_or_else(|| panic!("sandbox group {name} missing"))
    };
    ScimFixture {
        groups: (id("Designers"), id("Editors")),
        provider,
        // Sandbox SCIM ids are 24-hex object ids.
        unknown_id: "0123456789abcdef01234567",
        token,
        sandbox: Some(sandbox),
    }
}

invite_testkit::conformance_suite!(async { start().await });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webflow_preset_kind_and_discovery() {
    let f = start().await;
    assert_eq!(f.provider.info().kind, "webflow-scim");
    let features = f.provider.discover().await.unwrap();
    assert!(
        features.patch && features.etag && !features.sort,
        "{features:?}"
    );
    assert_eq!(features.max_results, Some(100));
}
