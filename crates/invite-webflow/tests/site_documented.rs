//! Webflow site users against the vendor's own documented examples
//! (`fixtures/vendors/webflow-site/`): the adapter builds each documented request and decodes
//! each documented response to an asserted normalized user, and the sandbox answers each
//! route in the documented shape. The examples are the oracle; neither side may drift.

#![cfg(test)]

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    GrantChange, Invitation, InviteProvider, ListQuery, LocalRateLimiter, PersonName, User,
    UserDirectory, UserId, UserPatch, UserStatus,
};
use invite_sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};
use invite_testkit::{
    Documented, SeenRequest, all_documented, assert_request_matches, assert_same_shape, documented,
};
use invite_webflow::{
    AccessGroupGrant, AuthorizedUser, SiteToken, WebflowSiteConfig, WebflowSiteUsers,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer};

mod support;
use support::{
    against_documented, always, answer, concrete, email, expecting, found, http, list_all, ok, on,
    once, only_request, regrant, send, serving,
};

/// The site and user ids of the SDK's examples.
const SITE: &str = "580e63e98c9a982ac9b8b741";
const USER: &str = "6287ec36a841b25637c663df";

fn provider(server: &MockServer) -> WebflowSiteUsers {
    WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(SITE, SiteToken::new("wf_documented_token"))
            .base_url(format!("{}/v2", server.uri()))
            .rate_limit_per_minute(60_000)
            .client_options(
                ClientOptions::default()
                    .with_retry(RetryConfig::none())
                    .with_limiter(Arc::new(LocalRateLimiter::new())),
            )
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn g(slug: &str) -> invite_core::Grant {
    AccessGroupGrant::grant(slug)
}

/// The ids the documented paths' placeholders stand for.
const IDS: &[(&str, &str)] = &[("{site_id}", SITE), ("{user_id}", USER)];

/// [`against_documented`] the documented example `name`, on [`provider`].
async fn against<T, E: Debug, F: Future<Output = Result<T, E>>>(
    name: &str,
    call: impl FnOnce(WebflowSiteUsers) -> F,
) -> T {
    against_documented(&documented(name), IDS, provider, call).await
}

/// A server answering the documented page of `doc` to the first request (`offset=0`) and
/// `last` to the next (`offset=next`), each once.
async fn paging(doc: &Documented, next: &str, last: Value) -> MockServer {
    let server = MockServer::start().await;
    let page = |offset| on("GET", concrete(doc, IDS)).and(query_param("offset", offset));
    once(&server, page("0"), answer(doc)).await;
    once(&server, page(next), ok(last)).await;
    server
}

/// Asserts the first request the server saw is the documented one.
async fn first_request_matches(server: &MockServer, doc: &Documented) {
    let seen = server.received_requests().await.unwrap();
    assert_request_matches(doc, &SeenRequest::from(&seen[0]));
}

/// The documented example without its request body: the adapter's body is checked against
/// the Webflow page instead (the note of the example says why).
fn without_body(mut doc: Documented) -> Documented {
    if let Some(r) = doc.request.as_mut() {
        r.body = None;
    }
    doc
}

const T_2022: OffsetDateTime = datetime!(2022-05-20 13:46:12 UTC);

/// The normalized user of the SDK's `User` example (get, invite, update answers).
fn assert_sdk_user(u: &User) {
    assert_eq!(u.id.as_str(), USER);
    assert_eq!(u.status, UserStatus::Active);
    // The example's address is the placeholder "email": not an address, so left out.
    assert!(u.email.is_none());
    assert_eq!(u.name.full().as_deref(), Some("name"));
    assert_eq!(u.grants, vec![g("webflowers")]);
    assert_eq!(
        (u.created_at, u.updated_at, u.invited_at, u.last_login_at),
        (Some(T_2022), Some(T_2022), Some(T_2022), Some(T_2022))
    );
    assert_eq!(u.raw["data"]["data"]["accept-privacy"], json!(true));
}

#[test]
fn every_example_names_a_public_source_and_a_v2_path() {
    let all = all_documented("webflow-site");
    assert_eq!(all.len(), 22);
    for (name, doc) in all {
        // Webhook deliveries go to the receiver's own URL; every call goes to `/v2`.
        let webhook = name.starts_with("webflow-site/webhook-");
        assert!(webhook || doc.request().path.starts_with("/v2/"), "{name}");
        assert!(doc.note.is_some(), "{name}: say what the example shows");
    }
}

#[tokio::test]
async fn get_user_decodes_the_sdk_example() {
    let u = against("webflow-site/get-user", |p| async move {
        p.get(&UserId::new(USER)).await
    })
    .await;
    assert_sdk_user(&u);
}

#[tokio::test]
async fn list_users_decodes_the_sdk_example() {
    let doc = documented("webflow-site/list-users");
    // The documented page answers the first request; `total` (201) promises more, and the
    // next page is empty, which ends the list.
    let server = paging(&doc, "5", json!({"users": [], "total": 201})).await;
    let users: Vec<User> = provider(&server)
        .list(ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    first_request_matches(&server, &doc).await;
    let got: Vec<_> = users
        .iter()
        .map(|u| (u.id.as_str(), u.status.clone(), u.grants.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "6287ec36a841b25637c663df",
                UserStatus::Unverified,
                vec![g("vogon-construction-crew")]
            ),
            (
                "6287ec36a841b25637c663f0",
                UserStatus::Unverified,
                vec![g("improbability-drive-test-subjects")]
            ),
            (
                "6287ec36a841b25637c663d9",
                UserStatus::Active,
                vec![g("heart-of-gold-crew")]
            ),
            (
                "6287ec37a841b25637c6641b",
                UserStatus::Unverified,
                vec![g("hitchhikers-guide-research-team")]
            ),
            (
                "6287ec37a841b25637c66449",
                UserStatus::Active,
                vec![g("milliways-reservationists")]
            ),
        ]
    );
    let first = &users[0];
    assert_eq!(first.created_at, Some(T_2022));
    assert_eq!(first.updated_at, Some(T_2022));
    assert_eq!(first.invited_at, Some(datetime!(2016-10-24 19:41:29 UTC)));
    assert_eq!(
        first.last_login_at,
        Some(datetime!(2016-10-24 19:41:29 UTC))
    );
    // List items carry no `data`: no address, no name.
    assert!(users.iter().all(|u| u.email.is_none() && u.name.is_empty()));
}

#[tokio::test]
async fn invite_builds_the_sdk_request_and_decodes_its_answer() {
    let inv = Invitation::new(email("some.one@home.com")).with_grant(g("accessGroups"));
    let receipt = against("webflow-site/invite-user", |p| async move {
        p.invite(&inv).await
    })
    .await;
    assert_sdk_user(&receipt.user);
}

#[tokio::test]
async fn invite_builds_the_page_request_and_decodes_a_new_invitee() {
    let inv = Invitation::new(email("some.one@home.com")).with_grant(g("webflowers"));
    let u = against("webflow-site/invite-user-page", |p| async move {
        p.invite(&inv).await
    })
    .await
    .user;
    assert_eq!(u.id.as_str(), USER);
    assert_eq!(u.status, UserStatus::Invited);
    assert!(u.has_email(&email("some.one@home.com")));
    assert_eq!(u.grants, vec![g("webflowers")]);
    assert_eq!(u.invited_at, Some(T_2022));
    assert_eq!(u.last_login_at, None);
}

/// The Update User page's request: `data` with its one nested property and `accessGroups`
/// as `{slug, type}`, after the one read the grant change needs.
#[tokio::test]
async fn update_builds_the_page_request_and_decodes_the_sdk_answer() {
    let doc = documented("webflow-site/update-user-page");
    let server = MockServer::start().await;
    let mut held = documented("webflow-site/get-user").response_body().clone();
    held["accessGroups"] = json!([]);
    once(&server, on("GET", concrete(&doc, IDS)), ok(held)).await;
    let updated = answer(&documented("webflow-site/update-user"));
    once(&server, on("PATCH", concrete(&doc, IDS)), updated).await;
    let u = provider(&server)
        .update(
            &UserId::new(USER),
            &UserPatch::new()
                .name(PersonName::from_display("name"))
                .attribute("accept-privacy", json!(true))
                .grants(GrantChange::Replace(vec![g("webflowers")])),
        )
        .await
        .unwrap();
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 2);
    assert_request_matches(&doc, &SeenRequest::from(&seen[1]));
    assert_sdk_user(&u);
}

#[tokio::test]
async fn delete_builds_the_documented_request_and_takes_either_answer() {
    for name in ["webflow-site/delete-user", "webflow-site/guide-delete-user"] {
        against(name, |p| async move { p.remove(&UserId::new(USER)).await }).await;
    }
}

#[tokio::test]
async fn access_groups_decode_the_sdk_and_guide_examples() {
    let groups = against("webflow-site/list-access-groups", |p| async move {
        p.list_access_groups().await
    })
    .await;
    let got: Vec<_> = groups
        .iter()
        .map(|a| {
            (
                a.id.as_deref(),
                a.name.as_deref(),
                a.short_id.as_deref(),
                a.slug.as_deref(),
                a.created_on.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("62be58d404be8a6cc900c081"),
                Some("Research Team"),
                Some("rt"),
                Some("hitchhikers-guide-research-team"),
                Some("2022-08-01T19:41:48Z")
            ),
            (
                Some("65a96161991e77bbb4a6c573"),
                Some("Admin"),
                Some("ad"),
                Some("admin"),
                Some("2022-08-01T19:41:48Z")
            ),
        ]
    );
    assert_eq!(
        groups[0].grant(),
        Some(g("hitchhikers-guide-research-team"))
    );

    // The guide's answer has no `total`: the list ends on the next, empty page.
    let doc = documented("webflow-site/guide-list-access-groups");
    let server = paging(&doc, "1", json!({"accessGroups": []})).await;
    let groups = provider(&server).list_access_groups().await.unwrap();
    first_request_matches(&server, &doc).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].grant(), Some(g("premium")));
    assert_eq!(groups[0].short_id, None);
}

#[tokio::test]
async fn sites_and_the_token_account_decode_the_sdk_examples() {
    let sites = against("webflow-site/list-sites", |p| async move {
        p.list_sites().await
    })
    .await;
    let got: Vec<_> = sites
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.workspace_id.as_deref(),
                s.display_name.as_deref(),
                s.short_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "42e63e98c9a982ac9b8b741",
                Some("42e63fc8c9a982ac9b8b744"),
                Some("Heart of Gold Spaceship"),
                Some("heart-of-gold")
            ),
            (
                "42e63e98c9a982ac9b8b742",
                Some("42e63fc8c9a982ac9b8b745"),
                Some("Marvin's Personal Blog"),
                Some("paranoid-android")
            ),
            (
                "42e63e98c9a982ac9b8b743",
                Some("42e63fc8c9a982ac9b8b746"),
                Some("Vogon Poetry Archive"),
                Some("vogon-poetry")
            ),
        ]
    );
    assert_eq!(
        sites[0].created_on,
        Some(datetime!(1979-10-12 12:00:00 UTC))
    );
    assert_eq!(
        sites[0].last_published,
        Some(datetime!(2023-04-02 12:42:00 UTC))
    );

    let who = against("webflow-site/authorized-by", |p| async move {
        p.authorized_by().await
    })
    .await;
    assert_eq!(
        account(&who),
        [
            Some("545bbecb7bdd6769632504a7"),
            Some("some@email.com"),
            Some("Some"),
            Some("One")
        ]
    );
}

/// The id, email, first and last name of the account behind the token.
fn account(who: &AuthorizedUser) -> [Option<&str>; 4] {
    [&who.id, &who.email, &who.first_name, &who.last_name].map(Option::as_deref)
}

/// The API definition's webhook examples (flat `data`, milliseconds, no status) parse to
/// the user event they describe.
#[test]
fn webhook_examples_parse_to_user_events() {
    use invite_webflow::webhook::{UserEventKind, parse_event};
    for (kind, want) in [
        ("added", UserEventKind::Added),
        ("updated", UserEventKind::Updated),
        ("deleted", UserEventKind::Deleted),
    ] {
        let doc = documented(&format!("webflow-site/webhook-user-account-{kind}"));
        let body = serde_json::to_vec(doc.request_body()).unwrap();
        let event = parse_event(&body).unwrap();
        assert_eq!(event.kind, want);
        assert_eq!(event.trigger_type, format!("user_account_{kind}"));
        let u = &event.user;
        assert_eq!(u.id.as_str(), USER);
        assert!(u.has_email(&email("arthur.dent@heartofgold.ship")));
        assert_eq!(u.name.full().as_deref(), Some("Arthur Dent"));
        // No `status`, not verified: the status is not known.
        assert_eq!(u.status, UserStatus::Unknown(String::new()));
        assert_eq!(u.grants, vec![g("webflowers")]);
        let t = datetime!(2022-05-20 13:46:12.093 UTC);
        assert_eq!((u.created_at, u.updated_at), (Some(t), Some(t)));
        assert_eq!(
            (event.accept_privacy, event.accept_communications),
            (Some(false), Some(false))
        );
    }
}

/// The third-party guide: its requests (the ones Webflow's pages agree with) are what the
/// adapter sends; its simplified answers decode to what they hold in Webflow's own fields.
#[tokio::test]
async fn guide_examples_build_and_decode_where_they_agree_with_webflow() {
    // List: limit=100&offset=0, as the guide sends.
    let users: Vec<User> = against("webflow-site/guide-list-users", list_all).await;
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0].id.as_str(), &users[0].status),
        ("u1", &UserStatus::Active)
    );
    // Top-level `email`/`name` are the guide's simplification, not Webflow's `data`.
    assert!(users[0].email.is_none());

    // Get: an entry without `type` is an admin grant.
    let u = against("webflow-site/guide-get-user", |p| async move {
        p.get(&UserId::new(USER)).await
    })
    .await;
    assert_eq!(u.grants, vec![g("premium")]);
    assert_eq!(u.created_at, Some(datetime!(2024-01-10 12:00:00 UTC)));

    // Invite: the guide adds `name`, which Webflow's page does not take; the body is
    // checked against invite-user-page, the rest against the guide.
    let doc = documented("webflow-site/guide-invite-user");
    let server = serving(&doc, IDS).await;
    let inv = Invitation::new(email("new@user.com"))
        .with_name(PersonName::from_display("Bob"))
        .with_grant(g("premium"));
    let u = provider(&server).invite(&inv).await.unwrap().user;
    let seen = only_request(&server).await;
    assert_request_matches(&without_body(doc), &seen);
    assert_eq!(
        seen.body,
        Some(json!({"email": "new@user.com", "accessGroups": ["premium"]}))
    );
    assert_eq!((u.id.as_str(), &u.status), ("u2", &UserStatus::Invited));
    assert_eq!(u.invited_at, Some(datetime!(2025-06-01 09:00:00 UTC)));

    // Update: the guide's body contradicts the Update User page (followed instead).
    let doc = documented("webflow-site/guide-update-user");
    let server = serving(&doc, IDS).await;
    let u = provider(&server)
        .update(
            &UserId::new(USER),
            &UserPatch::new().name(PersonName::from_display("Alice Smith")),
        )
        .await
        .unwrap();
    let seen = only_request(&server).await;
    assert_request_matches(&without_body(doc), &seen);
    assert_eq!(
        seen.body,
        Some(json!({"data": {"data": {"name": "Alice Smith"}}}))
    );
    assert_eq!(u.grants, vec![g("premium"), g("vip")]);
    // `updatedOn` is not Webflow's field (`lastUpdated` is).
    assert_eq!(u.updated_at, None);

    // Sites: the guide's `name` is Webflow's `displayName`.
    let sites = against("webflow-site/guide-list-sites", |p| async move {
        p.list_sites().await
    })
    .await;
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].id, "abc123");
    assert_eq!(sites[0].short_name.as_deref(), Some("mysite"));
    assert_eq!(sites[0].display_name, None);

    // The account behind the token.
    let who = against("webflow-site/guide-authorized-by", |p| async move {
        p.authorized_by().await
    })
    .await;
    assert_eq!(
        account(&who),
        [
            Some("ws_user_abc"),
            Some("admin@company.com"),
            Some("Admin"),
            Some("User")
        ]
    );
}

/// A user holding an admin group and a group they bought (`type: ecommerce`).
fn buyer(admin: &[&str]) -> Value {
    let mut u = documented("webflow-site/get-user").response_body().clone();
    let mut groups: Vec<Value> = admin
        .iter()
        .map(|s| json!({"slug": s, "type": "admin"}))
        .collect();
    groups.push(json!({"slug": "shop-buyers", "type": "ecommerce"}));
    u["accessGroups"] = Value::Array(groups);
    u
}

/// A group the person bought is never an admin grant: not reported, written back as it
/// is on every grant change (one read, one write), never removed.
#[tokio::test]
async fn a_bought_group_is_no_grant_and_survives_every_grant_change() {
    let cases: [(GrantChange, Value, Vec<&str>); 3] = [
        (
            GrantChange::Replace(vec![g("b")]),
            json!([{"slug": "b", "type": "admin"}, {"slug": "shop-buyers", "type": "ecommerce"}]),
            vec!["b"],
        ),
        (
            GrantChange::Remove(vec![g("a")]),
            json!([{"slug": "shop-buyers", "type": "ecommerce"}]),
            vec![],
        ),
        (
            GrantChange::Add(vec![g("c")]),
            json!([{"slug": "a", "type": "admin"}, {"slug": "c", "type": "admin"}, {"slug": "shop-buyers", "type": "ecommerce"}]),
            vec!["a", "c"],
        ),
    ];
    for (change, written, after) in cases {
        let server = expecting(Mock::given(method("GET")), ok(buyer(&["a"]))).await;
        once(&server, Mock::given(method("PATCH")), ok(buyer(&after))).await;
        let u = regrant(&provider(&server), USER, change.clone())
            .await
            .unwrap();
        let seen = server.received_requests().await.unwrap();
        assert_eq!(
            SeenRequest::from(&seen[1]).body,
            Some(json!({ "accessGroups": written })),
            "{change:?}"
        );
        let want: Vec<_> = after.iter().map(|s| g(s)).collect();
        assert_eq!(u.grants, want, "{change:?}");
    }

    // Reading: only the admin group is a grant.
    let server = MockServer::start().await;
    always(&server, Mock::given(method("GET")), ok(buyer(&["a"]))).await;
    let p = provider(&server);
    assert_eq!(
        p.get(&UserId::new(USER)).await.unwrap().grants,
        vec![g("a")]
    );
    // Naming the bought group in a removal removes nothing: it is not a grant the
    // library holds for the person, so nothing is written.
    let u = regrant(&p, USER, GrantChange::Remove(vec![g("shop-buyers")]))
        .await
        .unwrap();
    assert_eq!(u.grants, vec![g("a")]);
    let writes = server.received_requests().await.unwrap();
    assert!(
        writes.iter().all(|r| r.method.as_str() == "GET"),
        "{writes:?}"
    );
}

// ---- the sandbox answers in the documented shapes ----

fn sandbox_config() -> SandboxConfig {
    SandboxConfig::new()
        .rate_limit(
            Surface::WebflowData,
            RateLimit::new(100_000, Duration::from_secs(60)),
        )
        .seed(json!({"webflow": {"sites": [{
            "accessGroups": [
                {"slug": "webflowers", "name": "Webflowers"},
                {"slug": "shop-buyers", "name": "Shop buyers"}
            ],
            "users": [{
                "email": "grace@example.com", "name": "Grace Hopper", "status": "verified",
                "accessGroups": [{"slug": "webflowers", "type": "admin"}, {"slug": "shop-buyers", "type": "ecommerce"}],
                "data": {"accept-privacy": true}
            }]
        }]}}))
}

/// A documented body without the SDK generator's placeholder for a custom field
/// (`additionalProperties`), which no real user carries.
fn documented_shape(name: &str) -> Value {
    let mut body = documented(name).response_body().clone();
    if let Some(fields) = body
        .pointer_mut("/data/data")
        .and_then(Value::as_object_mut)
    {
        fields.remove("additionalProperties");
    }
    body
}

/// Sends a documented request (its method, path and body) to the sandbox.
async fn replay(
    sb: &Sandbox,
    doc: &Documented,
    user_id: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let s = sb.settings();
    let path = doc
        .request()
        .path
        .strip_prefix("/v2")
        .unwrap_or(&doc.request().path)
        .replace("{site_id}", &s.webflow_site_id)
        .replace("{user_id}", user_id);
    let url = format!("{}{path}", s.webflow_api_base_url);
    let method = reqwest::Method::from_bytes(doc.request().method.as_bytes()).unwrap();
    let rb = http()
        .request(method, url)
        .bearer_auth(&s.webflow_api_token);
    send(rb, body).await
}

#[tokio::test]
async fn the_sandbox_answers_every_route_in_the_documented_shape() {
    let sb = Sandbox::start_with(sandbox_config()).await.unwrap();
    let (status, list) = replay(&sb, &documented("webflow-site/list-users"), "", None).await;
    assert_eq!(status, 200);
    let grace = list["users"][0]["id"].as_str().unwrap().to_owned();
    // List items: the SDK's list example (no `data` there), and the full `User` of get.
    assert_same_shape(
        "list users",
        documented("webflow-site/list-users").response_body(),
        &list,
        &[],
    );
    assert_same_shape(
        "list users item",
        &documented_shape("webflow-site/get-user"),
        &list["users"][0],
        &[],
    );
    // The bought group is reported as bought.
    assert_eq!(
        list["users"][0]["accessGroups"],
        json!([{"slug": "webflowers", "type": "admin"}, {"slug": "shop-buyers", "type": "ecommerce"}])
    );

    let (status, user) = replay(&sb, &documented("webflow-site/get-user"), &grace, None).await;
    assert_eq!(status, 200);
    assert_same_shape(
        "get user",
        &documented_shape("webflow-site/get-user"),
        &user,
        &[],
    );

    // Invite with the page's request form (slug strings): a new invitee who never logged in.
    let doc = documented("webflow-site/invite-user-page");
    let (status, invited) = replay(&sb, &doc, "", Some(doc.request_body())).await;
    assert_eq!(status, 200, "{invited}");
    assert_same_shape(
        "invite",
        &documented_shape("webflow-site/invite-user-page"),
        &invited,
        &["lastLogin"],
    );
    assert_eq!(invited["status"], "invited");
    assert_eq!(invited["lastLogin"], Value::Null);

    // Update with the page's form, then with the SDK's (the whole User, read-only fields
    // included): both are accepted, and answer the documented `User`.
    for name in ["webflow-site/update-user-page", "webflow-site/update-user"] {
        let doc = documented(name);
        let (status, updated) = replay(&sb, &doc, &grace, Some(doc.request_body())).await;
        assert_eq!(status, 200, "{name}: {updated}");
        assert_same_shape(name, &documented_shape(name), &updated, &[]);
        assert_eq!(
            updated["accessGroups"],
            json!([{"slug": "webflowers", "type": "admin"}]),
            "{name}"
        );
    }
    let (_, user) = replay(&sb, &documented("webflow-site/get-user"), &grace, None).await;
    assert_eq!(user["data"]["data"]["name"], "name");
    assert_eq!(user["data"]["data"]["email"], "grace@example.com");

    let (status, groups) = replay(
        &sb,
        &documented("webflow-site/list-access-groups"),
        "",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_same_shape(
        "list access groups",
        documented("webflow-site/list-access-groups").response_body(),
        &groups,
        &[],
    );
    // The SDK's examples of the token and site routes (the sandbox has no parent folder).
    for (name, nullable) in [
        ("webflow-site/list-sites", &["sites[0].parentFolderId"][..]),
        ("webflow-site/authorized-by", &[]),
        ("webflow-site/introspect", &[]),
    ] {
        let (status, body) = replay(&sb, &documented(name), "", None).await;
        assert_eq!(status, 200, "{name}");
        assert_same_shape(name, documented(name).response_body(), &body, nullable);
    }
    for name in [
        "webflow-site/guide-list-sites",
        "webflow-site/guide-authorized-by",
    ] {
        let (status, body) = replay(&sb, &documented(name), "", None).await;
        assert_eq!(status, 200, "{name}");
        let mut shape = documented(name).response_body().clone();
        // The guide's site `name` is Webflow's `displayName`.
        if let Some(site) = shape.pointer_mut("/sites/0").and_then(Value::as_object_mut) {
            site.remove("name");
            site.insert("displayName".into(), json!("My Site"));
        }
        assert_same_shape(name, &shape, &body, &[]);
    }

    let (status, body) = replay(&sb, &documented("webflow-site/delete-user"), &grace, None).await;
    assert_eq!((status, body), (200, Value::Null));
}

/// Through the adapter: a grant change on the sandbox keeps the bought group.
#[tokio::test]
async fn on_the_sandbox_a_grant_change_keeps_the_bought_group() {
    let sb = Sandbox::start_with(sandbox_config()).await.unwrap();
    let s = sb.settings().clone();
    let p = WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(s.webflow_site_id, SiteToken::new(s.webflow_api_token))
            .base_url(s.webflow_api_base_url)
            .rate_limit_per_minute(100_000)
            .build()
            .unwrap(),
    )
    .unwrap();
    let grace = found(&p, "grace@example.com").await.unwrap();
    assert_eq!(grace.grants, vec![g("webflowers")]);
    for change in [
        GrantChange::Replace(vec![]),
        GrantChange::Add(vec![g("webflowers")]),
        GrantChange::Remove(vec![g("webflowers"), g("shop-buyers")]),
    ] {
        let u = p
            .update(&grace.id, &UserPatch::new().grants(change.clone()))
            .await
            .unwrap();
        assert!(
            u.raw["accessGroups"]
                .as_array()
                .unwrap()
                .contains(&json!({"slug": "shop-buyers", "type": "ecommerce"})),
            "{change:?}: {}",
            *u.raw
        );
        assert!(!u.grants.contains(&g("shop-buyers")), "{change:?}");
    }
    let state = sb.state();
    let users = &state["webflow"]["sites"][0]["users"];
    assert!(users.to_string().contains("ecommerce"), "{users}");
}
