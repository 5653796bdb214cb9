//! The invite-testkit conformance suite against the sandbox's Webflow Data API surface.

#![cfg(test)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use invite_core::{DynProvider, Email, Grant, Invitation, UserId};
use invite_sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};
use invite_testkit::Fixture;
use invite_webflow::{AccessGroupGrant, SiteToken, WebflowSiteConfig, WebflowSiteUsers};

struct SiteFixture {
    sandbox: Sandbox,
    provider: DynProvider,
}

impl SiteFixture {
    async fn start() -> Self {
        // A generous budget on both sides, so the suite is not slowed by pacing.
        let sandbox = Sandbox::start_with(SandboxConfig::new().rate_limit(
            Surface::WebflowData,
            RateLimit::new(100_000, Duration::from_secs(60)).with_headers(true),
        ))
        .await
        .expect("sandbox");
        let s = sandbox.settings().clone();
        let config =
            WebflowSiteConfig::builder(s.webflow_site_id, SiteToken::new(s.webflow_api_token))
                .base_url(s.webflow_api_base_url)
                .rate_limit_per_minute(100_000)
                .build()
                .expect("config");
        let provider: DynProvider =
            Arc::new(WebflowSiteUsers::from_config(config).expect("provider"));
        SiteFixture { sandbox, provider }
    }
}

#[async_trait]
impl Fixture for SiteFixture {
    fn provider(&self) -> DynProvider {
        self.provider.clone()
    }

    fn invitation(&self, email: Email) -> Invitation {
        Invitation::new(email).with_grant(AccessGroupGrant::grant("webflowers"))
    }

    fn grant_pair(&self) -> Option<(Grant, Grant)> {
        Some((
            AccessGroupGrant::grant("webflowers"),
            AccessGroupGrant::grant("premium-members"),
        ))
    }

    fn unknown_id(&self) -> UserId {
        UserId::new("000000000000000000000000")
    }

    fn sandbox(&self) -> Option<(&Sandbox, Surface)> {
        Some((&self.sandbox, Surface::WebflowData))
    }
}

invite_testkit::conformance_suite!(async { SiteFixture::start().await });
