//! The shared conformance suite, plus awork-specific checks, against the sandbox's awork
//! surface (`invite_sandbox::awork`).

#![cfg(test)]

use std::sync::Arc;

use async_trait::async_trait;
use invite_awork::{AworkConfig, AworkGrant, AworkProvider};
use invite_core::{
    DynProvider, Email, EmailDelivery, Error, Invitation, InviteProvider, InviteReceipt,
    PersonName, UserDirectory, UserId, UserPatch, UserStatus,
};
use invite_sandbox::{Sandbox, Surface};
use invite_testkit::{Fixture, unique_email};

struct AworkFixture {
    sandbox: Sandbox,
    provider: AworkProvider,
}

impl AworkFixture {
    async fn start() -> Self {
        let sandbox = Sandbox::start().await.expect("sandbox starts");
        // Only the variables the adapter documents, read the way `from_env` reads them.
        let documented = [
            "AWORK_API_BASE_URL",
            "AWORK_API_TOKEN",
            "AWORK_WORKSPACE_ID",
            "AWORK_ROLE_ID",
        ];
        let vars = sandbox.settings().env_pairs().into_iter();
        let vars = vars.filter(|(k, _)| documented.contains(k));
        let config = AworkConfig::from_lookup(invite_testkit::lookup(vars))
            .expect("config from sandbox settings");
        let provider = AworkProvider::from_config(config).expect("provider");
        Self { sandbox, provider }
    }
}

/// No `grant_pair`: the sandbox does not emulate `POST /roles/moveuser` or
/// `/teams/{id}/addusers` (its route table ends at `GET /teams`), so the grant round trip is
/// covered by the wiremock tests in `tests/wire.rs` instead.
#[async_trait]
impl Fixture for AworkFixture {
    fn provider(&self) -> DynProvider {
        Arc::new(self.provider.clone())
    }

    fn invitation(&self, email: Email) -> Invitation {
        // AWORK_ROLE_ID supplies the role; a name keeps the profile realistic.
        Invitation::new(email).with_name(PersonName::new("Test", "Invitee"))
    }

    fn unknown_id(&self) -> UserId {
        UserId::new("0f0f0f0f-dead-4bee-8f00-123456789abc")
    }

    fn sandbox(&self) -> Option<(&Sandbox, Surface)> {
        Some((&self.sandbox, Surface::Awork))
    }
}

invite_testkit::conformance_suite!(async { AworkFixture::start().await });

impl AworkFixture {
    /// Invites a new person with `delivery` and checks the receipt's and the sandbox's word
    /// on whether an email went out.
    async fn invite_with(&self, label: &str, delivery: EmailDelivery) -> (Email, InviteReceipt) {
        let email = unique_email(label);
        let inv = self.invitation(email.clone()).with_delivery(delivery);
        let receipt = self.provider.invite(&inv).await.unwrap();
        let sent = delivery != EmailDelivery::Suppress;
        assert_eq!(receipt.email_sent, Some(sent));
        let mailed = self
            .sandbox
            .emails()
            .iter()
            .any(|m| m.to.eq_ignore_ascii_case(email.as_str()));
        assert_eq!(mailed, sent, "an email is sent unless suppressed");
        (email, receipt)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_invite_then_accept_with_the_code() {
    let f = AworkFixture::start().await;
    let p = &f.provider;
    let (_, receipt) = f.invite_with("awcode", EmailDelivery::Suppress).await;
    let code = receipt.invitation_code.clone().expect("an invitation code");
    assert!(!format!("{receipt:?}").contains(code.expose()));
    let status = || async { p.get(&receipt.user.id).await.unwrap().status };
    assert_eq!(status().await, UserStatus::Invited);
    p.accept_invitation(&code).await.unwrap();
    assert_eq!(status().await, UserStatus::Active);
    // A used code is refused; the error does not show it.
    let err = p.accept_invitation(&code).await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains(code.expose()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_with_email_is_sent_and_duplicate_is_conflict() {
    let f = AworkFixture::start().await;
    let (email, _) = f.invite_with("awmail", EmailDelivery::Send).await;
    let err = f.provider.invite(&f.invitation(email)).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(err.request_id().is_some(), "traceId becomes the request id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_roles_teams_and_attributes() {
    let f = AworkFixture::start().await;
    let p = &f.provider;
    let s = f.sandbox.settings();
    let me = p.me().await.unwrap();
    assert_eq!(
        me.workspace.id.as_deref().map(str::to_lowercase),
        Some(s.awork_workspace_id.to_lowercase())
    );
    let roles = p.list_roles(false).await.unwrap();
    assert!(roles.iter().any(|r| {
        r.id.as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(&s.awork_role_id))
    }));
    let teams = p.list_teams().await.unwrap();
    assert!(teams.len() >= 2);

    // Invite into a team with attributes; the team shows as a grant on the user.
    let team_id = teams[0].id.clone().unwrap();
    let email = unique_email("awattr");
    let r = p
        .invite(
            &f.invitation(email)
                .with_grant(AworkGrant::team(&team_id))
                .with_attribute("title", "Dr.".into())
                .with_attribute("position", "Engineer".into())
                .with_attribute("gender", "female".into()),
        )
        .await
        .unwrap();
    let got = p.get(&r.user.id).await.unwrap();
    assert!(
        got.grants
            .contains(&AworkGrant::team(team_id.to_lowercase()))
    );
    assert_eq!(got.raw["title"], "Dr.");
    // Updating one attribute keeps the others (PUT replaces the whole UserForm).
    let updated = p
        .update(
            &r.user.id,
            &UserPatch::new().attribute("position", "Architect".into()),
        )
        .await
        .unwrap();
    assert_eq!(updated.raw["position"], "Architect");
    assert_eq!(updated.raw["title"], "Dr.");
    assert_eq!(updated.raw["gender"], "female");
    assert_eq!(updated.name.full().as_deref(), Some("Test Invitee"));
}
