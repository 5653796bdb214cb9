//! Hostile input, per adapter, against the sandbox: every call gives a typed error (never a
//! panic, never a transport or decode error), input errors are refused before any request
//! leaves the process (the sandbox's request counters do not move), and ids that do reach the
//! vendor stay inside the one route they were meant for.

#![cfg(test)]

mod hardening_support;

use hardening_support::{Subject, requests, sandbox, subjects};
use invite::awork::AworkGrant;
use invite::flatfile::ActorRole;
use invite::sandbox::{Sandbox, Surface};
use invite::scim::ScimGroup;
use invite::webflow::SiteToken;
use invite::webflow::site::{AccessGroupGrant, WebflowSiteConfig, WebflowSiteUsers};
use invite::webflow::workspace::WorkspaceRoleGrant;
use invite::{
    Email, Error, Grant, Invitation, InviteProvider, PersonName, UserDirectory, UserId, UserPatch,
};

const HOSTILE_IDS: &[&str] = &[
    "a/b",
    "../../sites",
    "..",
    ".",
    "u1?x=y",
    "a#b",
    "%2F",
    "%2e%2e",
    "a\nb",
    "a\rb",
    "\u{0}",
    "tab\there",
    "",
    "   ",
];

/// Routes of `surface` the sandbox saw, with counts.
fn routes(sb: &Sandbox, surface: Surface) -> std::collections::BTreeMap<String, u64> {
    sb.requests()
        .surfaces
        .get(&surface)
        .map(|s| s.routes.clone())
        .unwrap_or_default()
}

/// Runs `call` and checks the rules: a typed error; `InvalidInput`/`Unsupported` send
/// nothing; anything that was sent matched a route of the surface (never `<unmatched>`)
/// and reached at most `max_requests` requests.
async fn check<T: std::fmt::Debug>(
    sb: &Sandbox,
    subject: &Subject,
    what: &str,
    max_requests: u64,
    call: impl std::future::Future<Output = invite::Result<T>>,
) -> Option<Error> {
    let before = routes(sb, subject.surface);
    let before_total = requests(sb, subject.surface);
    let result = call.await;
    let sent = requests(sb, subject.surface) - before_total;
    let after = routes(sb, subject.surface);
    let err = match result {
        Ok(v) => panic!("{} {what}: expected an error, got {v:?}", subject.name),
        Err(e) => e,
    };
    match &err {
        Error::InvalidInput { .. } | Error::Unsupported { .. } => assert_eq!(
            sent, 0,
            "{} {what}: refused as {err:?} but {sent} request(s) were sent",
            subject.name
        ),
        Error::NotFound(_) | Error::Vendor(_) | Error::Unauthorized(_) => {
            assert!(
                sent >= 1 && sent <= max_requests,
                "{} {what}: {sent} requests for {err:?}",
                subject.name
            );
        }
        other => panic!("{} {what}: unexpected error kind: {other:?}", subject.name),
    }
    for (route, n) in &after {
        if before.get(route) != Some(n) {
            assert!(
                !route.contains("<unmatched>"),
                "{} {what}: a request left the API's routes: {route}",
                subject.name
            );
        }
    }
    Some(err)
}

#[test]
fn invalid_emails_are_refused_by_the_type() {
    for bad in [
        "",
        " ",
        "plainaddress",
        "@example.com",
        "a@",
        "a@@example.com",
        "a b@example.com",
        "a@exa mple.com",
        "a@example.com\r\nBcc: x@evil.test",
        "a\u{0}@example.com",
        "a@example.com/../../x",
        "a@example.com?x=y",
        "<a@example.com>",
        &format!("{}@example.com", "a".repeat(300)),
        &format!("a@{}.com", "b".repeat(300)),
    ] {
        match Email::parse(bad) {
            Err(Error::InvalidInput { field, .. }) => assert!(field.contains("email"), "{field}"),
            other => panic!("Email::parse({bad:?}) = {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_are_refused_or_contained() {
    let sb = sandbox().await;
    for subject in subjects(&sb) {
        let p = subject.provider.clone();
        for raw in HOSTILE_IDS {
            let id = UserId::new(*raw);
            let must_refuse = raw.trim().is_empty()
                || *raw == "."
                || *raw == ".."
                || raw.chars().any(char::is_control);
            let e = check(&sb, &subject, &format!("get({raw:?})"), 1, p.get(&id)).await;
            if must_refuse {
                assert!(
                    matches!(e, Some(Error::InvalidInput { .. })),
                    "{} get({raw:?}): {e:?}",
                    subject.name
                );
            }
            let patch = UserPatch::new().name(PersonName::new("X", "Y"));
            check(
                &sb,
                &subject,
                &format!("update({raw:?})"),
                2,
                p.update(&id, &patch),
            )
            .await;
            check(&sb, &subject, &format!("remove({raw:?})"), 2, p.remove(&id)).await;
            check(
                &sb,
                &subject,
                &format!("deactivate({raw:?})"),
                2,
                p.deactivate(&id),
            )
            .await;
            check(&sb, &subject, &format!("resend({raw:?})"), 2, p.resend(&id)).await;
        }
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_huge_names_give_typed_outcomes() {
    let sb = sandbox().await;
    let huge = "N".repeat(100 * 1024);
    for subject in subjects(&sb) {
        for (tag, name) in [
            ("empty", PersonName::new("", "")),
            ("huge", PersonName::new(huge.clone(), huge.clone())),
            ("control", PersonName::new("A\u{0}\r\n", "B\u{1b}[31m")),
        ] {
            let email = format!("name-{tag}-{}@example.com", subject.name);
            let inv = subject.invitation(&email).with_name(name);
            let before = requests(&sb, subject.surface);
            match subject.provider.invite(&inv).await {
                Ok(receipt) => {
                    // Accepted: exactly one invitation exists, and it can be read back.
                    assert_eq!(
                        sb.invitation_count(subject.surface, &email),
                        1,
                        "{}",
                        subject.name
                    );
                    subject
                        .provider
                        .get(&receipt.user.id)
                        .await
                        .unwrap_or_else(|e| {
                            panic!("{} {tag}: invited but cannot be read: {e}", subject.name)
                        });
                }
                Err(Error::InvalidInput { .. }) => assert_eq!(
                    requests(&sb, subject.surface),
                    before,
                    "{} {tag}: refused as input but sent",
                    subject.name
                ),
                Err(e @ (Error::Vendor(_) | Error::Conflict(_))) => {
                    assert_eq!(
                        e.status().map(|s| s / 100),
                        Some(4),
                        "{} {tag}: {e}",
                        subject.name
                    );
                    assert_eq!(
                        sb.invitation_count(subject.surface, &email),
                        0,
                        "{}",
                        subject.name
                    );
                }
                Err(e) => panic!("{} {tag} name: unexpected {e:?}", subject.name),
            }
        }
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_role_ids_are_typed_errors_and_invite_nobody() {
    let sb = sandbox().await;
    let account = sb.settings().flatfile_account_id.clone();
    let by_name = |n: &str| {
        subjects(&sb)
            .into_iter()
            .find(|s| s.name == n)
            .expect("subject")
    };
    let cases: Vec<(&str, Grant)> = vec![
        ("webflow-site", AccessGroupGrant::grant("no-such-group")),
        ("webflow-site", AccessGroupGrant::grant("../../x")),
        (
            "webflow-workspace",
            WorkspaceRoleGrant::new("superuser", Some("designer")).into(),
        ),
        (
            "webflow-workspace",
            WorkspaceRoleGrant {
                workspace_role: "member".into(),
                default_site_role: None,
                default_site_role_id: Some("000000000000000000000000".into()),
            }
            .into(),
        ),
        ("webflow-scim", ScimGroup::grant("no-such-group")),
        (
            "flatfile",
            ActorRole::new("us_rol_nosuchrl", account.clone()).into(),
        ),
        (
            "flatfile",
            ActorRole::new("not-a-role", account.clone()).into(),
        ),
        (
            "awork",
            AworkGrant::role("00000000-0000-4000-8000-0000000000aa"),
        ),
        ("awork", AworkGrant::role("../../admin")),
    ];
    for (i, (name, grant)) in cases.into_iter().enumerate() {
        let subject = by_name(name);
        let email = format!("role-{i}@example.com");
        let inv = Invitation::new(Email::parse(&email).unwrap()).with_grant(grant.clone());
        let before = requests(&sb, subject.surface);
        let result = subject.provider.invite(&inv).await;
        let sent = requests(&sb, subject.surface) - before;
        match &result {
            Err(Error::InvalidInput { .. } | Error::Unsupported { .. }) => {
                assert_eq!(
                    sent, 0,
                    "{name} {grant:?}: refused as input but {sent} sent"
                )
            }
            Err(Error::NotFound(_) | Error::Vendor(_) | Error::Conflict(_)) => {
                assert!(sent >= 1, "{name} {grant:?}: {result:?}")
            }
            other => panic!("{name} {grant:?}: expected a typed refusal, got {other:?}"),
        }
        // Nobody is left behind. The SCIM adapter creates the user before joining groups and
        // deletes it again when a group is refused (all-or-nothing; SCIM sends no email), so
        // its creation counter may show the rolled-back attempt.
        let left = subject.provider.find_by_email(&inv.email).await.unwrap();
        assert!(
            left.is_none(),
            "{name} {grant:?}: {left:?} remains after {result:?}"
        );
        let created = sb.invitation_count(subject.surface, &email);
        if subject.surface == Surface::WebflowScim {
            assert!(created <= 1, "{name}: {created} creations");
        } else {
            assert_eq!(created, 0, "{name} {grant:?}: {result:?}");
        }
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_another_surface_is_unauthorized() {
    let sb = sandbox().await;
    let s = sb.settings().clone();
    // The SCIM token given to the site client.
    let site = WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(
            s.webflow_site_id.clone(),
            SiteToken::new(s.webflow_scim_token.clone()),
        )
        .base_url(s.webflow_api_base_url.clone())
        .rate_limit_per_minute(1_000_000)
        .build()
        .unwrap(),
    )
    .unwrap();
    let before = requests(&sb, Surface::WebflowData);
    match site.get(&UserId::new("5f0c8c9e1c9d440000e8d8ff")).await {
        Err(Error::Unauthorized(d)) => assert_eq!(d.status, Some(401)),
        other => panic!("site client with the SCIM token: {other:?}"),
    }
    match site
        .invite(&Invitation::new(
            Email::parse("wrong-token@example.com").unwrap(),
        ))
        .await
    {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("site invite with the SCIM token: {other:?}"),
    }
    // A 401 is not retried.
    assert_eq!(requests(&sb, Surface::WebflowData) - before, 2);
    assert_eq!(
        sb.invitation_count(Surface::WebflowData, "wrong-token@example.com"),
        0
    );

    // Every other surface, each with the next surface's token.
    let mut vars = hardening_support::vars(&sb);
    let tokens = [
        "WEBFLOW_API_TOKEN",
        "WEBFLOW_SCIM_TOKEN",
        "WEBFLOW_WORKSPACE_TOKEN",
        "FLATFILE_API_KEY",
        "AWORK_API_TOKEN",
    ];
    let originals: Vec<String> = tokens.iter().map(|t| vars[*t].clone()).collect();
    for (i, t) in tokens.iter().enumerate() {
        vars.insert((*t).to_owned(), originals[(i + 1) % tokens.len()].clone());
    }
    let get = |k: &str| vars.get(k).cloned();
    let providers: Vec<(&str, Surface, invite::DynProvider)> = vec![
        (
            "scim",
            Surface::WebflowScim,
            std::sync::Arc::new(
                invite::scim::WebflowScimConfig::from_lookup(get)
                    .unwrap()
                    .build()
                    .unwrap(),
            ),
        ),
        (
            "workspace",
            Surface::WebflowWorkspace,
            std::sync::Arc::new(
                invite::webflow::WebflowWorkspace::from_config(
                    invite::webflow::WebflowWorkspaceConfig::from_lookup(get).unwrap(),
                )
                .unwrap(),
            ),
        ),
        (
            "flatfile",
            Surface::Flatfile,
            std::sync::Arc::new(
                invite::flatfile::FlatfileProvider::from_config(
                    invite::flatfile::FlatfileConfig::from_lookup(get).unwrap(),
                )
                .unwrap(),
            ),
        ),
        (
            "awork",
            Surface::Awork,
            std::sync::Arc::new(
                invite::awork::AworkProvider::from_config(
                    invite::awork::AworkConfig::from_lookup(get).unwrap(),
                )
                .unwrap(),
            ),
        ),
    ];
    for (name, surface, p) in providers {
        let before = requests(&sb, surface);
        let email = Email::parse(&format!("wrong-token-{name}@example.com")).unwrap();
        match p.find_by_email(&email).await {
            Err(Error::Unauthorized(d)) => assert_eq!(d.status, Some(401), "{name}"),
            other => panic!("{name} with another surface's token: {other:?}"),
        }
        assert_eq!(
            requests(&sb, surface) - before,
            1,
            "{name}: a 401 is not retried"
        );
    }
    sb.shutdown().await;
}
