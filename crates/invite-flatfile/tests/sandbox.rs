//! Flatfile-specific behaviour against the sandbox: default role, resend, roles, account.

#![cfg(test)]

mod support;

use invite_core::ensure::ensure_invited_known;
use invite_core::{
    Email, EnsureOutcome, Error, Invitation, InviteProvider, PersonName, UserDirectory, UserStatus,
    ensure_invited,
};
use invite_flatfile::{FlatfileConfig, FlatfileConfigBuilder, FlatfileProvider};
use invite_sandbox::{Sandbox, Surface, flatfile::GUEST_ROLE_ID};
use serde_json::json;
use support::start;

fn provider(builder: FlatfileConfigBuilder) -> FlatfileProvider {
    FlatfileProvider::from_config(builder.build().unwrap()).unwrap()
}

/// A provider for `sandbox`'s account and default role that sends no `X-Disable-Hooks`.
fn without_hooks(sandbox: &Sandbox) -> FlatfileProvider {
    let s = sandbox.settings();
    provider(
        FlatfileConfig::builder(s.flatfile_api_key.as_str())
            .api_url(s.flatfile_api_url.as_str())
            .default_actor_role(s.flatfile_role_id.as_str(), s.flatfile_account_id.as_str())
            .disable_hooks(false),
    )
}

/// Sets the sandbox's `duplicate-status` mode: a second invitation of an address is
/// refused with `status`.
fn refuse_duplicates_with(sandbox: &Sandbox, status: u16) {
    sandbox
        .admin_action(
            Surface::Flatfile,
            "duplicate-status",
            &json!({ "status": status }),
        )
        .unwrap();
}

/// How many invitations the sandbox has sent to grace@example.com.
fn invitations_of_grace(sandbox: &Sandbox) -> u64 {
    sandbox.invitation_count(Surface::Flatfile, "grace@example.com")
}

fn grace() -> Invitation {
    Invitation::new(Email::parse("grace@example.com").unwrap())
        .with_name(PersonName::new("Grace", "Hopper"))
}

#[tokio::test]
async fn default_role_resend_and_role_calls() {
    let (sandbox, ff) = start().await;
    let s = sandbox.settings().clone();
    assert_eq!(
        ff.to_string(),
        format!("flatfile({})", s.flatfile_account_id)
    );

    // No grant in the invitation: the configured default role (FLATFILE_ROLE_ID on
    // FLATFILE_ACCOUNT_ID) is sent.
    let user = ff.invite(&grace()).await.unwrap().user;
    assert_eq!(
        user.grants,
        vec![support::role(&sandbox, &s.flatfile_role_id).into()]
    );
    assert_eq!(invitations_of_grace(&sandbox), 1);
    ff.resend(&user.id).await.unwrap();
    assert_eq!(invitations_of_grace(&sandbox), 2);

    let roles = ff.list_roles().await.unwrap();
    assert!(roles.iter().any(|r| r.id == s.flatfile_role_id));
    assert!(roles.iter().any(|r| r.id == GUEST_ROLE_ID));
    let account = ff.current_account().await.unwrap();
    assert_eq!(account.id, s.flatfile_account_id);

    let role = |id: &str| support::role(&sandbox, id);
    let assigned = ff
        .assign_role(&user.id, &role(GUEST_ROLE_ID))
        .await
        .unwrap();
    assert!(assigned.id.starts_with("us_acr_"));
    assert_eq!(ff.user_roles(&user.id).await.unwrap().len(), 2);
    assert_eq!(
        ff.remove_role(&user.id, &role(&s.flatfile_role_id))
            .await
            .unwrap(),
        1
    );
    let left = ff.user_roles(&user.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].role_id, GUEST_ROLE_ID);
    ff.remove_actor_role(&user.id, &left[0].id).await.unwrap();
    assert!(ff.user_roles(&user.id).await.unwrap().is_empty());

    // A vendor 404 on a role id the account does not have.
    let e = ff
        .assign_role(&user.id, &role("us_rol_missing"))
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");

    ff.remove(&user.id).await.unwrap();
    assert!(ff.resend(&user.id).await.unwrap_err().is_not_found());
    assert!(
        ff.find_by_email(&Email::parse("GRACE@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn hooks_header_is_what_the_sandbox_requires() {
    let sandbox = Sandbox::start().await.unwrap();
    let ff = without_hooks(&sandbox);
    // Without `X-Disable-Hooks: true` the invite is refused with a 400 naming the header.
    match ff.invite(&grace()).await {
        Err(invite_core::Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "X-Disable-Hooks", "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wrong_key_is_unauthorized() {
    let sandbox = Sandbox::start().await.unwrap();
    let s = sandbox.settings();
    let ff = provider(FlatfileConfig::builder("sk_wrong").api_url(s.flatfile_api_url.as_str()));
    let e = ff.list_roles().await.unwrap_err();
    assert!(matches!(e, invite_core::Error::Unauthorized(_)), "{e:?}");
}

/// The sandbox answers a new invitee with `lastSeenAt` equal to `createdAt`, as Flatfile's
/// invite page shows: the adapter reports an invitee until they are seen later.
#[tokio::test]
async fn an_invitee_is_invited_until_seen_after_the_invitation() {
    let (sandbox, ff) = start().await;
    let user = ff.invite(&grace()).await.unwrap().user;
    assert_eq!(user.status, UserStatus::Invited);
    assert!(user.raw["lastSeenAt"].is_string(), "{}", user.raw);
    assert_eq!(ff.get(&user.id).await.unwrap().status, UserStatus::Invited);
    match ensure_invited(&ff, &grace()).await.unwrap() {
        EnsureOutcome::AlreadyMember(u) => assert_eq!(u.status, UserStatus::Invited),
        other => panic!("{other:?}"),
    }
    sandbox
        .accept(Surface::Flatfile, "grace@example.com")
        .unwrap();
    let seen = ff.get(&user.id).await.unwrap();
    assert_eq!(seen.status, UserStatus::Active);
    assert!(seen.last_login_at > seen.created_at, "{seen:?}");
}

/// Whichever status the duplicate comes back with (the sandbox's `duplicate-status` mode),
/// `ensure_invited` links the existing account and sends no second invitation.
#[tokio::test]
async fn duplicate_invites_are_linked_whatever_the_refusal() {
    for status in [400, 409, 422] {
        let (sandbox, ff) = start().await;
        refuse_duplicates_with(&sandbox, status);
        let first = ff.invite(&grace()).await.unwrap().user;
        // Stale knowledge ("not there"), so the invite is sent and refused.
        match ensure_invited_known(&ff, &grace(), None).await {
            Ok(EnsureOutcome::AlreadyMember(u)) => assert_eq!(u.id, first.id, "{status}"),
            other => panic!("{status}: {other:?}"),
        }
        let again = ff.invite(&grace()).await.unwrap();
        assert!(again.already_member, "{status}");
        assert_eq!(again.user.id, first.id);
        assert_eq!(invitations_of_grace(&sandbox), 1, "{status}");
    }
}

/// A 400 that is not a duplicate is never linked, even for an address that has an account:
/// here the sandbox refuses an invite without `X-Disable-Hooks` (a 400 naming the header).
#[tokio::test]
async fn a_refusal_about_something_else_is_not_a_link() {
    let (sandbox, ff) = start().await;
    refuse_duplicates_with(&sandbox, 400);
    ff.invite(&grace()).await.unwrap();
    let no_hooks = without_hooks(&sandbox);
    match ensure_invited_known(&no_hooks, &grace(), None).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "X-Disable-Hooks"),
        other => panic!("{other:?}"),
    }
}
