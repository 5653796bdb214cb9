//! The conformance fixture both SCIM backends share: the sandbox's Webflow SCIM surface
//! (`tests/conformance.rs`) and the real scim2-server (`tests/scim2_server.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use invite_core::{DynProvider, Email, Grant, Invitation, PersonName, UserId};
use invite_sandbox::{Sandbox, Surface};
use invite_scim::{ScimGroup, ScimProvider};
use invite_testkit::Fixture;

/// A SCIM provider, two groups it may assign, and what its backend can tell.
pub struct ScimFixture {
    pub provider: ScimProvider,
    /// Two distinct group ids.
    pub groups: (String, String),
    /// An id in the backend's format that names no user.
    pub unknown_id: &'static str,
    /// The bearer token, which must never show.
    pub token: String,
    /// The sandbox, which counts requests and invitations (scim2-server counts neither).
    pub sandbox: Option<Sandbox>,
}

#[async_trait]
impl Fixture for ScimFixture {
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
        UserId::new(self.unknown_id)
    }
    fn sandbox(&self) -> Option<(&Sandbox, Surface)> {
        Some((self.sandbox.as_ref()?, Surface::WebflowScim))
    }
    fn secrets(&self) -> Vec<String> {
        vec![self.token.clone()]
    }
}
