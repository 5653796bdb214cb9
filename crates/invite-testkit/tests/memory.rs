//! The in-memory reference provider passes the whole conformance suite.

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
        Invitation::new(email).with_grant(Grant::ScimGroup {
            group_id: "everyone".into(),
        })
    }
    fn grant_pair(&self) -> Option<(Grant, Grant)> {
        Some((
            Grant::ScimGroup {
                group_id: "a".into(),
            },
            Grant::ScimGroup {
                group_id: "b".into(),
            },
        ))
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
        let mut c = Capabilities::default();
        c.invite = true;
        c.list = true;
        c.get = true;
        c.server_side_email_lookup = true;
        c.grant_kinds = vec![invite_core::GrantKind::ScimGroup];
        InMemoryProvider::with_capabilities("restricted", c)
    }

    invite_testkit::conformance_suite!(async {
        MemoryFixture {
            provider: restricted(),
        }
    });
}
