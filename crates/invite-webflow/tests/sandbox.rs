//! Webflow-specific behaviour against the sandbox: retirement switch, scopes, the user
//! limit, user fields and the extras.

#![cfg(test)]

use std::time::Duration;

use invite_core::{
    Email, Error, Invitation, InviteProvider, UserDirectory, UserPatch, UserStatus, ensure_invited,
};
use invite_sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};
use invite_webflow::{AccessGroupGrant, SiteToken, WebflowSiteConfig, WebflowSiteUsers};
use serde_json::json;

fn fast() -> SandboxConfig {
    SandboxConfig::new().rate_limit(
        Surface::WebflowData,
        RateLimit::new(100_000, Duration::from_secs(60)),
    )
}

fn provider(sandbox: &Sandbox) -> WebflowSiteUsers {
    let s = sandbox.settings().clone();
    WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(s.webflow_site_id, SiteToken::new(s.webflow_api_token))
            .base_url(s.webflow_api_base_url)
            .rate_limit_per_minute(100_000)
            .custom_field("company")
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

#[tokio::test]
async fn retire_switch_turns_every_users_call_into_retired() {
    let sandbox = Sandbox::start_with(fast()).await.unwrap();
    let p = provider(&sandbox);
    let user = p
        .invite(&Invitation::new(email("ada@example.com")))
        .await
        .unwrap()
        .user;

    // The admin switch, over HTTP as documented.
    let admin = format!("{}/_sandbox/webflow/retire", sandbox.url());
    let answer = reqwest::Client::new()
        .post(&admin)
        .json(&json!({"retired": true}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());

    let retired = |r: Result<(), Error>, what: &str| match r {
        Err(Error::Retired {
            feature,
            since,
            advice,
            detail,
        }) => {
            assert_eq!(feature, "Webflow User Accounts", "{what}");
            assert_eq!(since.as_deref(), Some("2026-01-29"), "{what}");
            assert!(advice.contains("Workspace Members API"), "{what}");
            assert_eq!(detail.status, Some(403), "{what}");
            assert_eq!(detail.code.as_deref(), Some("users_not_enabled"), "{what}");
        }
        other => panic!("{what}: expected Retired, got {other:?}"),
    };
    retired(
        p.invite(&Invitation::new(email("bob@example.com")))
            .await
            .map(|_| ()),
        "invite",
    );
    retired(p.get(&user.id).await.map(|_| ()), "get");
    retired(
        p.find_by_email(&email("ada@example.com")).await.map(|_| ()),
        "find",
    );
    retired(
        p.update(&user.id, &UserPatch::new().attribute("company", json!("x")))
            .await
            .map(|_| ()),
        "update",
    );
    retired(p.remove(&user.id).await, "remove");
    retired(p.list_access_groups().await.map(|_| ()), "access groups");
    retired(
        ensure_invited(&p, &Invitation::new(email("carol@example.com")))
            .await
            .map(|_| ()),
        "ensure_invited",
    );
    // Not a users route: still answers.
    assert_eq!(p.list_sites().await.unwrap().len(), 1);

    // And back.
    sandbox.set_webflow_retired(false);
    assert_eq!(p.get(&user.id).await.unwrap().id, user.id);
}

#[tokio::test]
async fn missing_write_scope_is_forbidden_with_the_scope() {
    let sandbox = Sandbox::start_with(fast().webflow_token_scopes(["users:read", "sites:read"]))
        .await
        .unwrap();
    let p = provider(&sandbox);
    let err = p
        .invite(&Invitation::new(email("ada@example.com")))
        .await
        .unwrap_err();
    match &err {
        Error::Forbidden {
            missing_scope: Some(scope),
            ..
        } => assert_eq!(scope, "users:write"),
        other => panic!("expected Forbidden(users:write), got {other:?}"),
    }
    assert!(err.to_string().contains("users:write"), "{err}");
    // Reads still work.
    assert!(
        p.find_by_email(&email("ada@example.com"))
            .await
            .unwrap()
            .is_none()
    );
    let err = p.authorized_by().await.unwrap_err();
    assert!(
        matches!(&err, Error::Forbidden { missing_scope: Some(s), .. } if s == "authorized_user:read"),
        "{err:?}"
    );
}

#[tokio::test]
async fn user_limit_is_a_vendor_error_not_a_conflict() {
    let sandbox = Sandbox::start_with(fast().webflow_user_limit(Some(1)))
        .await
        .unwrap();
    let p = provider(&sandbox);
    p.invite(&Invitation::new(email("ada@example.com")))
        .await
        .unwrap();
    let err = ensure_invited(&p, &Invitation::new(email("bob@example.com")))
        .await
        .unwrap_err();
    assert_eq!(err.vendor_code(), Some("user_limit_reached"), "{err:?}");
    assert!(!err.is_conflict());
    // A real duplicate is a conflict.
    let err = p
        .invite(&Invitation::new(email("ADA@example.com")))
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.vendor_code(), Some("duplicate_user_email"));
}

#[tokio::test]
async fn default_groups_fields_and_status_round_trip() {
    let sandbox = Sandbox::start_with(fast()).await.unwrap();
    let s = sandbox.settings().clone();
    let p = from_vars(&s);
    let receipt = p
        .invite(&Invitation::new(email("grace@example.com")))
        .await
        .unwrap();
    assert_eq!(
        receipt.user.grants,
        vec![AccessGroupGrant::grant("premium-members")]
    );
    assert_eq!(receipt.user.status, UserStatus::Invited);
    let updated = p
        .update(
            &receipt.user.id,
            &UserPatch::new().attribute("accept-communications", json!(true)),
        )
        .await
        .unwrap();
    assert_eq!(
        updated.raw["data"]["data"]["accept-communications"],
        json!(true)
    );
    // A declared custom field.
    let updated = provider(&sandbox)
        .update(
            &receipt.user.id,
            &UserPatch::new().attribute("company", json!("Navy")),
        )
        .await
        .unwrap();
    let fields = &updated.raw["data"]["data"];
    assert_eq!(fields["accept-communications"], json!(true));
    assert_eq!(fields["company"], json!("Navy"));
    assert!(updated.has_email(&email("grace@example.com")));
    sandbox
        .accept(Surface::WebflowData, "grace@example.com")
        .unwrap();
    assert_eq!(
        p.get(&receipt.user.id).await.unwrap().status,
        UserStatus::Active
    );
    let groups = p.list_access_groups().await.unwrap();
    let slugs: Vec<_> = groups.iter().filter_map(|g| g.slug.as_deref()).collect();
    assert_eq!(slugs, ["webflowers", "premium-members"]);
    let sites = p.list_sites().await.unwrap();
    assert_eq!(sites[0].id, s.webflow_site_id);
    assert!(p.authorized_by().await.unwrap().email.is_some());
}

/// Builds the provider the way an application does: from environment-style variables.
fn from_vars(s: &invite_sandbox::Settings) -> WebflowSiteUsers {
    let vars: Vec<(&str, String)> = vec![
        ("WEBFLOW_API_TOKEN", s.webflow_api_token.clone()),
        ("WEBFLOW_SITE_ID", s.webflow_site_id.clone()),
        ("WEBFLOW_API_BASE_URL", s.webflow_api_base_url.clone()),
        ("WEBFLOW_RATE_LIMIT_PER_MINUTE", "100000".into()),
        ("WEBFLOW_ACCESS_GROUPS", " premium-members , ".into()),
    ];
    let config = WebflowSiteConfig::from_lookup(|k| {
        vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    })
    .unwrap();
    assert_eq!(config.default_access_groups(), ["premium-members"]);
    assert_eq!(config.rate_limit_per_minute(), 100_000);
    WebflowSiteUsers::from_config(config).unwrap()
}

#[tokio::test]
async fn lost_invite_answer_is_reconciled_without_a_second_invitation() {
    use invite_core::EnsureOutcome;
    use invite_sandbox::{Fault, FaultRule};
    let sandbox = Sandbox::start_with(fast()).await.unwrap();
    let p = provider(&sandbox);
    sandbox.add_fault(
        FaultRule::new(Fault::CommitThenDrop)
            .surface(Surface::WebflowData)
            .method("POST")
            .path("/v2/sites/{}/users/invite"),
    );
    let outcome = ensure_invited(&p, &Invitation::new(email("lost@example.com")))
        .await
        .unwrap();
    match &outcome {
        EnsureOutcome::Reconciled { user, cause } => {
            assert!(cause.is_uncertain(), "{cause:?}");
            assert!(user.has_email(&email("lost@example.com")));
        }
        other => panic!("expected Reconciled, got {other:?}"),
    }
    assert_eq!(
        sandbox.invitation_count(Surface::WebflowData, "lost@example.com"),
        1
    );
    // A 503 on invite is uncertain too (the server may have acted): never retried blindly.
    sandbox.add_fault(
        FaultRule::new(Fault::ServerError {
            status: 503,
            html: true,
        })
        .surface(Surface::WebflowData)
        .method("POST"),
    );
    let err = p
        .invite(&Invitation::new(email("flaky@example.com")))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
}
