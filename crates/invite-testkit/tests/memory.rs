//! The in-memory reference provider passes the whole conformance suite.

#![cfg(test)]

use std::sync::Arc;

use async_trait::async_trait;
use invite_core::{Capabilities, DynProvider, Email, Grant, InMemoryProvider, Invitation, UserId};
use invite_testkit::Fixture;

struct MemoryFixture {
    provider: InMemoryProvider,
}

#[async_trait]
impl Fixture for MemoryFixture {
    fn provider(&self) -> DynProvider {
        Arc::new(self.provider.clone())
    }
    fn invitation(&self, email: Email) -> Invitation {
        Invitation::new(email).with_grant(InMemoryProvider::group("everyone"))
    }
    fn grant_pair(&self) -> Option<(Grant, Grant)> {
        Some((InMemoryProvider::group("a"), InMemoryProvider::group("b")))
    }
    fn unknown_id(&self) -> UserId {
        UserId::new("mem-999999")
    }
    async fn accept(&self, email: &Email) -> Result<(), String> {
        self.provider.accept(email).map_err(|e| e.to_string())
    }
    async fn requests_seen(&self) -> Option<u64> {
        Some(self.provider.calls())
    }
    async fn invitations_for(&self, email: &Email) -> Option<u64> {
        Some(self.provider.invitations_sent(email))
    }
}

invite_testkit::conformance_suite!(async {
    MemoryFixture {
        provider: InMemoryProvider::new("conformance"),
    }
});

/// A provider with almost nothing enabled: every refusal path runs, with zero calls.
mod restricted {
    use super::*;

    fn restricted() -> InMemoryProvider {
        InMemoryProvider::with_capabilities(
            "restricted",
            Capabilities {
                invite: true,
                list: true,
                get: true,
                server_side_email_lookup: true,
                grant_kinds: &[invite_core::memory::MEMORY_GROUP],
                ..Capabilities::NONE
            },
        )
    }

    invite_testkit::conformance_suite!(async {
        MemoryFixture {
            provider: restricted(),
        }
    });
}
