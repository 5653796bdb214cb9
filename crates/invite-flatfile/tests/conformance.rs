//! The shared conformance suite against the sandbox's Flatfile surface.

#![cfg(test)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use invite_core::{DynProvider, Email, Grant, Invitation, PersonName, UserId};
use invite_sandbox::{Sandbox, Surface, flatfile::GUEST_ROLE_ID};
use invite_testkit::Fixture;

struct SandboxFixture {
    sandbox: Sandbox,
    provider: DynProvider,
}

impl SandboxFixture {
    async fn start() -> Self {
        let (sandbox, provider) = support::start().await;
        let provider = Arc::new(provider);
        Self { sandbox, provider }
    }

    fn role(&self, role_id: &str) -> Grant {
        support::role(&self.sandbox, role_id).into()
    }
}

#[async_trait]
impl Fixture for SandboxFixture {
    fn provider(&self) -> DynProvider {
        self.provider.clone()
    }

    fn invitation(&self, email: Email) -> Invitation {
        Invitation::new(email)
            .with_name(PersonName::new("Test", "Person"))
            .with_grant(self.role(&self.sandbox.settings().flatfile_role_id))
    }

    fn grant_pair(&self) -> Option<(Grant, Grant)> {
        Some((
            self.role(&self.sandbox.settings().flatfile_role_id),
            self.role(GUEST_ROLE_ID),
        ))
    }

    fn unknown_id(&self) -> UserId {
        UserId::new("us_usr_nobody00")
    }

    async fn accept(&self, email: &Email) -> Result<(), String> {
        self.sandbox
            .accept(Surface::Flatfile, email.as_str())
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    async fn requests_seen(&self) -> Option<u64> {
        Some(self.sandbox.requests().surface(Surface::Flatfile))
    }

    async fn invitations_for(&self, email: &Email) -> Option<u64> {
        Some(
            self.sandbox
                .invitation_count(Surface::Flatfile, email.as_str()),
        )
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.sandbox.settings().flatfile_api_key.clone()]
    }
}

invite_testkit::conformance_suite!(SandboxFixture::start());
