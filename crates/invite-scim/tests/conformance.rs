//! The conformance suite against the sandbox's Webflow SCIM surface, through the Webflow
//! preset (`ScimProvider` built from `WebflowScimConfig`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{Describe, DynProvider, Email, Grant, Invitation, PersonName, UserId};
use invite_sandbox::{Sandbox, Surface};
use invite_scim::webflow::{WebflowScimConfig, WebflowScimToken};
use invite_scim::{ScimGroup, ScimProvider};
use invite_testkit::Fixture;

struct SandboxFixture {
    sandbox: Sandbox,
    provider: ScimProvider,
    groups: (String, String),
}

impl SandboxFixture {
    async fn start() -> Self {
        let sandbox = Sandbox::start().await.expect("sandbox");
        let s = sandbox.settings();
        let provider = WebflowScimConfig::new(WebflowScimToken::new(s.webflow_scim_token.clone()))
            .base_url(s.webflow_scim_base_url.clone())
            .options(
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
        let groups = (id("Designers"), id("Editors"));
        Self {
            sandbox,
            provider,
            groups,
        }
    }
}

#[async_trait]
impl Fixture for SandboxFixture {
    fn provider(&self) -> DynProvider {
        Arc::new(self.provider.clone())
    }
    fn invitation(&self, email: Email) -> Invitation {
        Invitation::new(email).with_name(PersonName::new("Ada", "Lovelace"))
    }
    fn grant_pair(&self) -> Option<(Grant, Grant)> {
        let (a, b) = &self.groups;
        Some((ScimGroup::grant(a), ScimGroup::grant(b)))
    }
    fn unknown_id(&self) -> UserId {
        // Sandbox SCIM ids are 24-hex object ids.
        UserId::new("0123456789abcdef01234567")
    }
    async fn requests_seen(&self) -> Option<u64> {
        Some(self.sandbox.requests().surface(Surface::WebflowScim))
    }
    async fn invitations_for(&self, email: &Email) -> Option<u64> {
        Some(
            self.sandbox
                .invitation_count(Surface::WebflowScim, email.normalized()),
        )
    }
    fn secrets(&self) -> Vec<String> {
        vec![self.sandbox.settings().webflow_scim_token.clone()]
    }
}

invite_testkit::conformance_suite!(async { SandboxFixture::start().await });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webflow_preset_kind_and_discovery() {
    let f = SandboxFixture::start().await;
    assert_eq!(f.provider.info().kind, "webflow-scim");
    let features = f.provider.discover().await.unwrap();
    assert!(
        features.patch && features.etag && !features.sort,
        "{features:?}"
    );
    assert_eq!(features.max_results, Some(100));
}
