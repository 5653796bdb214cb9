//! Exact wire-level tests of every Webflow site-users call against wiremock.

#![cfg(test)]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    EmailDelivery, Error, Grant, GrantChange, GrantKind, Invitation, InviteProvider, ListQuery,
    LocalRateLimiter, PersonName, UserDirectory, UserId, UserPatch, UserStatus, ensure_invited,
};
use invite_webflow::{AccessGroupGrant, SiteToken, WebflowSiteConfig, WebflowSiteUsers};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

mod support;
use support::*;

const SITE: &str = "5f0c8c9e1c9d440000e8d8c3";
const TOKEN: &str = "wf_site_wire_test_token_9d8c7b";
const USER: &str = "6287ec36a841b25637c663df";

fn options() -> ClientOptions {
    ClientOptions::default()
        .with_retry(RetryConfig::none())
        .with_limiter(Arc::new(LocalRateLimiter::new()))
}

fn config(server: &MockServer) -> invite_webflow::WebflowSiteConfigBuilder {
    WebflowSiteConfig::builder(SITE, SiteToken::new(TOKEN))
        .base_url(format!("{}/v2", server.uri()))
        .rate_limit_per_minute(60_000)
        .client_options(options())
}

fn provider(server: &MockServer) -> WebflowSiteUsers {
    WebflowSiteUsers::from_config(config(server).build().unwrap()).unwrap()
}

fn g(slug: &str) -> Grant {
    AccessGroupGrant::grant(slug)
}

/// A user as the final SDK's wire tests show it (nested `data.data`).
fn nested_user(id: &str, address: &str, status: &str, groups: &[&str]) -> Value {
    json!({
        "id": id,
        "isEmailVerified": status == "verified",
        "lastUpdated": "2022-05-20T13:46:12Z",
        "invitedOn": "2022-05-20T13:46:12Z",
        "createdOn": "2022-05-20T13:46:12Z",
        "lastLogin": "2022-05-20T13:46:12Z",
        "status": status,
        "accessGroups": groups.iter().map(|s| json!({"slug": s, "type": "admin"})).collect::<Vec<_>>(),
        "data": {"data": {"name": "Some One", "email": address, "accept-privacy": false, "accept-communications": false}}
    })
}

/// `accessGroups` as an update writes them: `{slug, type: "admin"}` objects.
fn admin(slugs: &[&str]) -> Value {
    slugs
        .iter()
        .map(|s| json!({"slug": s, "type": "admin"}))
        .collect()
}

/// USER (a@example.com, verified) holding the admin groups `groups`.
fn holding(groups: &[&str]) -> ResponseTemplate {
    ok(nested_user(USER, "a@example.com", "verified", groups))
}

/// A PATCH of USER that writes exactly the admin groups `groups`.
fn writing(groups: &[&str]) -> MockBuilder {
    on("PATCH", user_path(USER)).and(body_json(json!({"accessGroups": admin(groups)})))
}

/// A GET of `route`'s page at `offset` of `limit` items.
fn page(route: impl Into<String>, offset: &str, limit: &str) -> MockBuilder {
    on("GET", route)
        .and(query_param("offset", offset))
        .and(query_param("limit", limit))
}

fn users_path() -> String {
    format!("/v2/sites/{SITE}/users")
}

fn user_path(id: &str) -> String {
    format!("/v2/sites/{SITE}/users/{id}")
}

fn auth() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
}

#[tokio::test]
async fn invite_sends_email_and_access_group_slugs() {
    let server = expecting(
        on("POST", format!("/v2/sites/{SITE}/users/invite"))
            .and(auth())
            .and(header("content-type", "application/json"))
            .and(body_json(
                json!({"email": "Some.One@home.com", "accessGroups": ["webflowers", "premium"]}),
            )),
        ok(nested_user(
            USER,
            "some.one@home.com",
            "invited",
            &["webflowers", "premium"],
        )),
    )
    .await;
    let inv = Invitation::new(email("Some.One@home.com"))
        .with_name(PersonName::new("Some", "One"))
        .with_grant(g("webflowers"))
        .with_grant(g("premium"))
        .with_grant(g("webflowers"));
    let receipt = provider(&server).invite(&inv).await.unwrap();
    assert_eq!(receipt.user.id.as_str(), USER);
    assert!(receipt.user.has_email(&email("some.one@home.com")));
    assert_eq!(receipt.user.status, UserStatus::Invited);
    assert_eq!(receipt.user.grants, vec![g("webflowers"), g("premium")]);
    assert_eq!(receipt.email_sent, Some(true));
    assert!(!receipt.already_member);
    assert_eq!(receipt.user.name.full().as_deref(), Some("Some One"));
    assert!(receipt.user.created_at.is_some());
}

#[tokio::test]
async fn invite_uses_default_groups_and_accepts_201_with_flat_data() {
    let server = expecting(
        on("POST", format!("/v2/sites/{SITE}/users/invite")).and(body_json(
            json!({"email": "ada@example.com", "accessGroups": ["members"]}),
        )),
        ResponseTemplate::new(201).set_body_json(json!({
            "id": USER, "status": "invited", "accessGroups": [{"slug": "members", "type": "admin"}],
            "data": {"email": "ada@example.com"}
        })),
    )
    .await;
    let p = WebflowSiteUsers::from_config(
        config(&server)
            .default_access_groups(["members"])
            .build()
            .unwrap(),
    )
    .unwrap();
    let receipt = p
        .invite(&Invitation::new(email("ada@example.com")))
        .await
        .unwrap();
    assert!(receipt.user.has_email(&email("ADA@example.com")));
    assert_eq!(receipt.user.grants, vec![g("members")]);
}

#[tokio::test]
async fn invite_without_groups_sends_only_the_email() {
    let server = expecting(
        on("POST", format!("/v2/sites/{SITE}/users/invite"))
            .and(body_json(json!({"email": "ada@example.com"}))),
        ok(nested_user(USER, "ada@example.com", "invited", &[])),
    )
    .await;
    provider(&server)
        .invite(&Invitation::new(email("ada@example.com")))
        .await
        .unwrap();
}

#[tokio::test]
async fn invite_answer_without_id_is_uncertain() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({"status": "invited"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .invite(&Invitation::new(email("ada@example.com")))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
}

#[tokio::test]
async fn refused_invites_send_nothing() {
    let server = MockServer::start().await;
    let p = provider(&server);
    let base = Invitation::new(email("ada@example.com"));
    let awork = Grant::new(GrantKind::new("awork_role")).with("role_id", "r");
    // `None`: unsupported; `Some(field)`: invalid input naming the field.
    for (invitation, field) in [
        (base.clone().with_delivery(EmailDelivery::Suppress), None),
        (base.clone().with_grant(awork), None),
        // A known user field is still not part of the invite body.
        (
            base.clone().with_attribute("accept-privacy", json!(true)),
            Some("attributes.accept-privacy"),
        ),
        (
            base.clone().with_attribute("nickname", json!("x")),
            Some("attributes.nickname"),
        ),
        (base.clone().with_grant(g(" ")), Some("grants[0].slug")),
    ] {
        let err = p.invite(&invitation).await.unwrap_err();
        match field {
            None => assert!(matches!(err, Error::Unsupported { .. }), "{err:?}"),
            Some(f) => assert!(
                matches!(&err, Error::InvalidInput { field, .. } if field == f),
                "{err:?}"
            ),
        }
    }
    let err = p.resend(&UserId::new(USER)).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    for r in [
        p.deactivate(&UserId::new(USER)).await,
        p.reactivate(&UserId::new(USER)).await,
    ] {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    }
    let err = p
        .update(
            &UserId::new(USER),
            &UserPatch::new().email(email("new@example.com")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let err = p
        .update(
            &UserId::new(USER),
            &UserPatch::new().name(PersonName::unknown()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, .. } if field == "name"),
        "{err:?}"
    );
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn list_pages_with_own_offset_and_total() {
    let server = MockServer::start().await;
    // The answer's count/limit/offset do not echo the query (as in the SDK's wire test).
    once(
        &server,
        page(users_path(), "0", "2").and(auth()),
        ok(json!({
            "count": 5, "limit": 5, "offset": 0, "total": 3,
            "users": [nested_user("u1", "a@example.com", "verified", &[]), nested_user("u2", "b@example.com", "invited", &[])]
        })),
    )
    .await;
    once(
        &server,
        page(users_path(), "2", "2"),
        ok(json!({
            "count": 5, "limit": 5, "offset": 0, "total": 3,
            "users": [nested_user("u3", "c@example.com", "unverified", &[])]
        })),
    )
    .await;
    let users: Vec<_> = provider(&server)
        .list(ListQuery::new().page_size(2))
        .map(|r| r.unwrap())
        .collect()
        .await;
    let ids: Vec<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2", "u3"]);
    assert_eq!(
        users.iter().map(|u| u.status.clone()).collect::<Vec<_>>(),
        [
            UserStatus::Active,
            UserStatus::Invited,
            UserStatus::Unverified
        ]
    );
}

#[tokio::test]
async fn list_without_total_stops_on_an_empty_page_and_clamps_the_page_size() {
    let server = expecting(
        page(users_path(), "0", "100"),
        ok(json!({
            "users": [nested_user("u1", "a@example.com", "verified", &[])]
        })),
    )
    .await;
    once(
        &server,
        page(users_path(), "1", "100"),
        ok(json!({"users": []})),
    )
    .await;
    let users: Vec<_> = provider(&server)
        .list(ListQuery::new().page_size(1000))
        .collect()
        .await;
    assert_eq!(users.len(), 1);
    assert!(users[0].is_ok());
}

#[tokio::test]
async fn list_error_is_yielded_once() {
    let server = expecting(
        on("GET", users_path()),
        ResponseTemplate::new(401)
            .set_body_json(json!({"code": "not_authorized", "message": "Request not authorized"})),
    )
    .await;
    let items: Vec<_> = provider(&server).list(ListQuery::new()).collect().await;
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Err(Error::Unauthorized(_))), "{items:?}");
}

#[tokio::test]
async fn get_user_by_id() {
    let server = expecting(
        on("GET", user_path(USER))
            .and(auth())
            .and(query_param_is_missing("limit")),
        ok(nested_user(
            USER,
            "some.one@home.com",
            "verified",
            &["webflowers"],
        )),
    )
    .await;
    let u = provider(&server).get(&UserId::new(USER)).await.unwrap();
    assert_eq!(u.id.as_str(), USER);
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!(u.grants, vec![g("webflowers")]);
    assert_eq!(u.raw["data"]["data"]["accept-privacy"], json!(false));
}

#[tokio::test]
async fn hostile_ids_are_one_encoded_segment_or_refused() {
    let server = MockServer::start().await;
    for (id, encoded) in [
        ("../x", "..%2Fx"),
        ("a/b", "a%2Fb"),
        ("a?b", "a%3Fb"),
        ("%2F", "%252F"),
    ] {
        once(
            &server,
            on("GET", user_path(encoded)),
            ResponseTemplate::new(404).set_body_json(json!({
                "code": "user_not_found", "message": "Requested resource not found: The user cannot be found"
            })),
        )
        .await;
        let err = provider(&server).get(&UserId::new(id)).await.unwrap_err();
        assert!(err.is_not_found(), "{id}: {err:?}");
    }
    let before = requests(&server).await;
    for id in ["", "..", ".", "a\nb"] {
        let err = provider(&server).get(&UserId::new(id)).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{id:?}: {err:?}");
        let err = provider(&server)
            .remove(&UserId::new(id))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{id:?}: {err:?}");
    }
    assert_eq!(requests(&server).await, before);
}

#[tokio::test]
async fn find_by_email_pages_and_ignores_case() {
    let server = MockServer::start().await;
    let first: Vec<Value> = (0..100)
        .map(|i| {
            nested_user(
                &format!("u{i}"),
                &format!("p{i}@example.com"),
                "verified",
                &[],
            )
        })
        .collect();
    page(users_path(), "0", "100")
        .respond_with(ok(json!({"total": 102, "users": first})))
        .expect(2)
        .mount(&server)
        .await;
    page(users_path(), "100", "100")
        .respond_with(ok(json!({"total": 102, "users": [
            nested_user("target", "Grace.Hopper@Example.com", "invited", &[]),
            nested_user("u101", "x@example.com", "invited", &[]),
        ]})))
        .expect(2)
        .mount(&server)
        .await;
    let p = provider(&server);
    let target = found(&p, "grace.hopper@example.COM").await.unwrap();
    assert_eq!(target.id.as_str(), "target");
    assert!(found(&p, "nobody@example.com").await.is_none());
}

#[tokio::test]
async fn update_name_and_fields_sends_nested_data() {
    let server = MockServer::start().await;
    let mut answer = nested_user(USER, "a@example.com", "verified", &[]);
    answer["data"]["data"]["name"] = json!("Grace Hopper");
    once(
        &server,
        on("PATCH", user_path(USER))
            .and(auth())
            .and(header("content-type", "application/json"))
            .and(body_json(
            json!({"data": {"data": {"name": "Grace Hopper", "accept-privacy": true, "company": "Navy"}}}),
        )),
        ok(answer),
    )
    .await;
    let p = WebflowSiteUsers::from_config(config(&server).custom_field("company").build().unwrap())
        .unwrap();
    let u = p
        .update(
            &UserId::new(USER),
            &UserPatch::new()
                .name(PersonName::new("Grace", "Hopper"))
                .attribute("accept-privacy", json!(true))
                .attribute("company", json!("Navy")),
        )
        .await
        .unwrap();
    assert_eq!(u.name.full().as_deref(), Some("Grace Hopper"));
    // Undeclared custom fields are refused before any request.
    let err = provider(&server)
        .update(
            &UserId::new(USER),
            &UserPatch::new().attribute("company", json!("Navy")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

/// `accessGroups` on PATCH replaces the list: the pipeline reads the groups held first (one
/// GET), writes the whole resulting list, and writes nothing when it would not change.
#[tokio::test]
async fn replace_reads_then_writes_the_whole_list_and_nothing_when_unchanged() {
    let server = expecting(on("GET", user_path(USER)), holding(&["a"])).await;
    once(&server, writing(&["b", "c"]), holding(&["b", "c"])).await;
    let u = regrant(
        &provider(&server),
        USER,
        GrantChange::Replace(vec![g("b"), g("c"), g("b")]),
    )
    .await
    .unwrap();
    assert_eq!(u.grants, vec![g("b"), g("c")]);

    // Already exactly these groups: read, no write (the answer is a fresh get).
    let server = MockServer::start().await;
    always(&server, on("GET", user_path(USER)), holding(&["b", "c"])).await;
    let u = regrant(
        &provider(&server),
        USER,
        GrantChange::Replace(vec![g("c"), g("b")]),
    )
    .await
    .unwrap();
    assert_eq!(u.grants, vec![g("b"), g("c")]);
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn replace_with_nothing_clears_every_group() {
    let server = expecting(on("GET", user_path(USER)), holding(&["a", "shop"])).await;
    once(&server, writing(&[]), holding(&[])).await;
    let u = regrant(&provider(&server), USER, GrantChange::Replace(vec![]))
        .await
        .unwrap();
    assert!(u.grants.is_empty());
}

#[tokio::test]
async fn add_and_remove_read_current_groups_first() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(user_path(USER)))
        .and(auth())
        .respond_with(holding(&["a", "shop"]))
        .expect(2)
        .mount(&server)
        .await;
    once(
        &server,
        writing(&["a", "shop", "b"]),
        holding(&["a", "shop", "b"]),
    )
    .await;
    once(&server, writing(&["shop"]), holding(&["shop"])).await;
    let p = provider(&server);
    let u = regrant(&p, USER, GrantChange::Add(vec![g("b"), g("a")]))
        .await
        .unwrap();
    assert_eq!(u.grants, vec![g("a"), g("shop"), g("b")]);
    let u = regrant(&p, USER, GrantChange::Remove(vec![g("a")]))
        .await
        .unwrap();
    assert_eq!(u.grants, vec![g("shop")]);
}

#[tokio::test]
async fn add_to_an_unknown_user_stops_at_the_read() {
    let server = expecting(
        on("GET", user_path(USER)),
        ResponseTemplate::new(404).set_body_json(
            json!({"code": "user_not_found", "message": "The user cannot be found"}),
        ),
    )
    .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = regrant(&provider(&server), USER, GrantChange::Add(vec![g("b")]))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn remove_accepts_empty_object_and_no_content() {
    for answer in [
        ResponseTemplate::new(200),
        ok(json!({})),
        ResponseTemplate::new(204),
    ] {
        let server = expecting(on("DELETE", user_path(USER)).and(auth()), answer).await;
        provider(&server).remove(&UserId::new(USER)).await.unwrap();
    }
}

#[tokio::test]
async fn extras_access_groups_sites_and_authorized_by() {
    let server = expecting(
        page(format!("/v2/sites/{SITE}/accessgroups"), "0", "100").and(auth()),
        ok(json!({
            "count": 1, "limit": 10, "offset": 0, "total": 2,
            "accessGroups": [{"id": "65a1", "name": "Webflowers", "shortId": "ab12", "slug": "webflowers", "createdOn": "2022-05-20T13:46:12Z"}]
        })),
    )
    .await;
    once(
        &server,
        page(format!("/v2/sites/{SITE}/accessgroups"), "1", "100"),
        ok(json!({
            "total": 2, "accessGroups": [{"slug": "premium", "name": "Premium", "unknown": 1}]
        })),
    )
    .await;
    once(
        &server,
        on("GET", "/v2/sites")
            .and(auth()),
        ok(json!({"sites": [
            {"id": SITE, "workspaceId": "ws1", "displayName": "My Site", "shortName": "my-site", "createdOn": "2022-05-20T13:46:12.093Z", "customDomains": []},
            {"displayName": "no id"}
        ]})),
    )
    .await;
    once(
        &server,
        on("GET", "/v2/token/authorized_by").and(auth()),
        ok(json!({
            "id": "acc1", "email": "owner@example.com", "firstName": "Own", "lastName": "Er"
        })),
    )
    .await;
    let p = provider(&server);
    let groups = p.list_access_groups().await.unwrap();
    assert_eq!(
        groups
            .iter()
            .map(|a| a.slug.clone().unwrap())
            .collect::<Vec<_>>(),
        ["webflowers", "premium"]
    );
    assert_eq!(groups[0].grant(), Some(g("webflowers")));
    assert_eq!(groups[0].short_id.as_deref(), Some("ab12"));
    let sites = p.list_sites().await.unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].id, SITE);
    assert_eq!(sites[0].display_name.as_deref(), Some("My Site"));
    assert!(sites[0].created_on.is_some());
    let who = p.authorized_by().await.unwrap();
    assert_eq!(who.email.as_deref(), Some("owner@example.com"));
    assert_eq!(who.first_name.as_deref(), Some("Own"));
}

async fn error_for(status: u16, body: ResponseTemplate, call: &str) -> Error {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(body.set_delay(Duration::ZERO))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let id = UserId::new(USER);
    let err = match call {
        "invite" => p
            .invite(&Invitation::new(email("a@example.com")))
            .await
            .map(|_| ())
            .unwrap_err(),
        "get" => p.get(&id).await.map(|_| ()).unwrap_err(),
        "remove" => p.remove(&id).await.unwrap_err(),
        "sites" => p.list_sites().await.map(|_| ()).unwrap_err(),
        other => panic!("{other}"),
    };
    assert_eq!(err.status(), Some(status), "{err:?}");
    err
}

#[tokio::test]
async fn vendor_errors_map_to_typed_errors() {
    type Check = fn(&Error) -> bool;
    let scope = "OAuthForbidden: You are missing the following scopes - users:write";
    let cases: Vec<(u16, ResponseTemplate, &str, Check)> = vec![
        (403, err(403, "missing_scopes", scope), "invite", |e| {
            matches!(e, Error::Forbidden { missing_scope: Some(s), .. } if s == "users:write")
                && e.vendor_code() == Some("missing_scopes")
        }),
        // A `missing_scopes` answer that does not name the scope: the operation's scope.
        (
            403,
            err(403, "missing_scopes", "OAuthForbidden"),
            "get",
            |e| matches!(e, Error::Forbidden { missing_scope: Some(s), .. } if s == "users:read"),
        ),
        (403, err(403, "forbidden", "Forbidden"), "get", |e| {
            matches!(
                e,
                Error::Forbidden {
                    missing_scope: None,
                    ..
                }
            )
        }),
        (
            409,
            err(
                409,
                "duplicate_user_email",
                "Conflict: A user with this email already exists",
            ),
            "invite",
            |e| e.is_conflict(),
        ),
        (
            409,
            err(
                409,
                "user_limit_reached",
                "The site has reached its user limit",
            ),
            "invite",
            |e| {
                matches!(e, Error::Vendor(d) if d.code.as_deref() == Some("user_limit_reached") && d.status == Some(409))
                    && !e.is_conflict()
            },
        ),
        (
            404,
            err(404, "user_not_found", "Requested resource not found"),
            "get",
            |e| e.is_not_found() && e.vendor_code() == Some("user_not_found"),
        ),
        (
            404,
            err(404, "resource_not_found", "Requested resource not found"),
            "get",
            |e| e.is_not_found() && e.vendor_code() == Some("resource_not_found"),
        ),
        (
            404,
            err(404, "resource_not_found", "not found"),
            "remove",
            |e| e.is_not_found(),
        ),
        (
            401,
            err(401, "not_authorized", "Request not authorized"),
            "get",
            |e| matches!(e, Error::Unauthorized(_)),
        ),
        (
            429,
            err(429, "too_many_requests", "Too many requests").insert_header("retry-after", "7"),
            "get",
            |e| matches!(e, Error::RateLimited { .. }),
        ),
        (
            400,
            ResponseTemplate::new(400).set_body_json(json!({
                "code": "validation_error", "message": "Validation Error: Provided ID is invalid",
                "details": ["accessGroups[0] is unknown"]
            })),
            "invite",
            |e| {
                matches!(e, Error::Vendor(d) if d.code.as_deref() == Some("validation_error")
                    && d.message.as_deref().is_some_and(|m| m.contains("Provided ID is invalid") && m.contains("accessGroups[0]")))
            },
        ),
        // 400/403/409 bodies may not have Webflow's shape.
        (
            400,
            ResponseTemplate::new(400).set_body_json(json!({"key": "value"})),
            "get",
            |e| matches!(e, Error::Vendor(d) if d.status == Some(400) && d.code.is_none()),
        ),
        (
            409,
            ResponseTemplate::new(409).set_body_string("conflict happened"),
            "invite",
            |e| e.is_conflict() && e.to_string().contains("conflict happened"),
        ),
    ];
    for (status, body, call, check) in cases {
        let e = error_for(status, body, call).await;
        assert!(check(&e), "{status} {call}: {e:?}");
    }
}

#[tokio::test]
async fn retirement_answers_are_retired() {
    for (status, tpl, call) in [
        (
            403,
            err(
                403,
                "users_not_enabled",
                "Users are not enabled for this site",
            ),
            "invite",
        ),
        (
            404,
            err(
                404,
                "resource_not_found",
                "User Accounts are no longer available",
            ),
            "get",
        ),
        (
            410,
            ResponseTemplate::new(410).set_body_string("User Accounts have been retired"),
            "remove",
        ),
    ] {
        let e = error_for(status, tpl, call).await;
        match &e {
            Error::Retired {
                feature,
                since,
                advice,
                detail,
            } => {
                assert_eq!(feature, "Webflow User Accounts");
                assert_eq!(since.as_deref(), Some("2026-01-29"));
                assert!(advice.contains("webflow-workspace") && advice.contains("webflow-scim"));
                assert_eq!(detail.status, Some(status));
            }
            other => panic!("{status}: expected Retired, got {other:?}"),
        }
        assert!(!e.is_retryable());
    }
    // Not a users route: a site listing is never "retired".
    let e = error_for(403, err(403, "users_not_enabled", "x"), "sites").await;
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
}

#[tokio::test]
async fn ensure_invited_does_not_mistake_the_user_limit_for_a_member() {
    let server = MockServer::start().await;
    always(
        &server,
        on("GET", users_path()),
        ok(json!({"total": 0, "users": []})),
    )
    .await;
    Mock::given(method("POST"))
        .respond_with(err(
            409,
            "user_limit_reached",
            "Conflict: The site has reached its user limit",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = ensure_invited(
        &provider(&server),
        &Invitation::new(email("ada@example.com")),
    )
    .await
    .unwrap_err();
    assert_eq!(err.vendor_code(), Some("user_limit_reached"));
    assert!(matches!(err, Error::Vendor(_)), "{err:?}");
}

#[tokio::test]
async fn secrets_never_show() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(err(401, "not_authorized", "Request not authorized"))
        .mount(&server)
        .await;
    let cfg = config(&server).build().unwrap();
    let p = WebflowSiteUsers::from_config(cfg.clone()).unwrap();
    let err = p.get(&UserId::new(USER)).await.unwrap_err();
    let shown = format!("{cfg:?} {p:?} {p} {err:?} {err} {:?}", config(&server));
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains("wire_test_token"), "{shown}");
    assert!(shown.contains("webflow-site(5f0c8c9e1c9d440000e8d8c3)"));
    // The token is sent, as a bearer.
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        reqs[0].headers.get("authorization").unwrap(),
        &format!("Bearer {TOKEN}")
    );
}
