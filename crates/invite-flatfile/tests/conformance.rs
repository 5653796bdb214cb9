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

    fn sandbox(&self) -> Option<(&Sandbox, Surface)> {
        Some((&self.sandbox, Surface::Flatfile))
    }
}

invite_testkit::conformance_suite!(SandboxFixture::start());
