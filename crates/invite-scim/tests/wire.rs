//! Exact wire-level tests of every SCIM call, against wiremock.

#![cfg(test)]

use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    AdapterGrant, Describe, Email, EmailDelivery, Error, Grant, GrantChange, GrantKind, Invitation,
    InviteProvider, ListQuery, PersonName, UserDirectory, UserId, UserPatch, UserStatus,
};
use invite_scim::webflow::{WebflowScimConfig, WebflowScimToken};
use invite_scim::wire::ScimUser;
use invite_scim::{CAPABILITIES, ScimConfig, ScimGroup, ScimProvider, ScimToken, SortPolicy};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_json, header, header_exists, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "scim-secret-token-4711";
const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn config(server: &MockServer, etags: bool, sort: SortPolicy) -> ScimConfig {
    ScimConfig::builder(format!("{}/scim/v2", server.uri()), ScimToken::new(TOKEN))
        .options(ClientOptions::default().with_retry(RetryConfig::none()))
        .use_etags(etags)
        .sort(sort)
        .build()
        .unwrap()
}

fn provider_for(server: &MockServer, etags: bool, sort: SortPolicy) -> ScimProvider {
    ScimProvider::from_config(config(server, etags, sort)).unwrap()
}

fn provider(server: &MockServer) -> ScimProvider {
    provider_for(server, false, SortPolicy::Never)
}

/// A request to `/scim/v2{route}` with this method.
fn at(verb: &str, route: &str) -> MockBuilder {
    Mock::given(method(verb)).and(path(format!("/scim/v2{route}")))
}

/// Mounts `mock` answering `response`, expected `times` times.
async fn expect(server: &MockServer, mock: MockBuilder, response: ResponseTemplate, times: u64) {
    mock.respond_with(response)
        .expect(times)
        .mount(server)
        .await;
}

/// Mounts `mock` answering `response`, any number of times.
async fn answer(server: &MockServer, mock: MockBuilder, response: ResponseTemplate) {
    mock.respond_with(response).mount(server).await;
}

fn scim(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/scim+json")
        .set_body_json(body)
}

fn no_content() -> ResponseTemplate {
    ResponseTemplate::new(204)
}

fn user_json(id: &str, email: &str) -> Value {
    json!({
        "schemas": [USER_URN], "id": id, "userName": email,
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
        "displayName": "Ada Lovelace",
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
        "meta": {"resourceType": "User", "created": "2026-01-02T03:04:05Z",
                 "lastModified": "2026-01-02T03:04:05Z", "version": "W/\"7\""}
    })
}

/// `user_json` with `groups: []` (grants known, no `GET /Groups`) and `active` as given.
fn user_in_no_group(id: &str, active: bool) -> Value {
    let mut u = user_json(id, "ada@example.com");
    u["groups"] = json!([]);
    u["active"] = json!(active);
    u
}

fn list(resources: Vec<Value>, total: u64, start: u64) -> Value {
    json!({"schemas": [LIST_URN], "totalResults": total, "startIndex": start,
           "itemsPerPage": resources.len(), "Resources": resources})
}

fn error_body(status: &str, scim_type: Option<&str>, detail: &str) -> Value {
    let mut v = json!({"schemas": [ERROR_URN], "status": status, "detail": detail});
    if let Some(t) = scim_type {
        v["scimType"] = json!(t);
    }
    v
}

/// A PatchOp body with these operations.
fn patch_op(operations: Value) -> wiremock::matchers::BodyExactMatcher {
    body_json(json!({"schemas": [PATCH_URN], "Operations": operations}))
}

fn auth() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
}

/// An authenticated request to `/scim/v2{route}` whose body is `application/scim+json`.
fn sent(verb: &str, route: &str) -> MockBuilder {
    at(verb, route)
        .and(auth())
        .and(header("content-type", "application/scim+json"))
}

/// The exact `Accept` header (wiremock's `header` matcher splits values at commas).
fn accept() -> impl Fn(&Request) -> bool {
    |r: &Request| {
        r.headers.get("accept").and_then(|v| v.to_str().ok())
            == Some("application/scim+json, application/json")
    }
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn groups(resources: Vec<Value>) -> ResponseTemplate {
    let n = resources.len() as u64;
    scim(200, list(resources, n, 1))
}

/// `GET /Groups` answering no groups (for grant resolution).
async fn no_groups(server: &MockServer) {
    answer(server, at("GET", "/Groups"), groups(vec![])).await;
}

#[test]
fn the_grant_is_a_scim_group_by_id() {
    let grant = ScimGroup::grant("g1");
    assert_eq!(
        serde_json::to_value(&grant).unwrap(),
        json!({"kind": "scim_group", "group_id": "g1"})
    );
    assert_eq!(grant.to_string(), "group g1");
    let read: Grant =
        serde_json::from_value(json!({"kind": "scim_group", "group_id": "g1"})).unwrap();
    assert_eq!(
        ScimGroup::from_grant(&read, "grants[0]").unwrap(),
        ScimGroup::new("g1")
    );
    let field_of = |grant: Grant| match ScimGroup::from_grant(&grant, "grants[3]") {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field_of(ScimGroup::grant("..")), "grants[3].group_id");
    assert_eq!(field_of(Grant::new(invite_scim::SCIM_GROUP)), "grants[3]");
    assert_eq!(
        field_of(Grant::new(GrantKind::new("awork_role")).with("group_id", "g")),
        "grants[3]"
    );
}

#[tokio::test]
async fn invite_posts_the_scim_user_and_joins_groups() {
    let server = MockServer::start().await;
    let post = sent("POST", "/Users").and(accept()).and(body_json(json!({
        "schemas": [USER_URN],
        "userName": "Ada@Example.com",
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "displayName": "Ada Lovelace",
        "active": true,
        "emails": [{"value": "Ada@Example.com", "type": "work", "primary": true}],
        "externalId": "okta-1"
    })));
    expect(
        &server,
        post,
        scim(201, user_json("u1", "Ada@Example.com")),
        1,
    )
    .await;
    let join = sent("PATCH", "/Groups/g%2F1").and(patch_op(
        json!([{"op": "add", "path": "members", "value": [{"value": "u1"}]}]),
    ));
    expect(&server, join, no_content(), 1).await;
    let inv = Invitation::new(email("Ada@Example.com"))
        .with_name(PersonName::new("Ada", "Lovelace"))
        .with_grant(ScimGroup::grant("g/1"))
        .with_attribute("externalId", json!("okta-1"));
    let receipt = provider(&server).invite(&inv).await.unwrap();
    assert_eq!(receipt.user.id.as_str(), "u1");
    assert_eq!(receipt.user.status, UserStatus::Active);
    assert_eq!(receipt.user.grants, vec![ScimGroup::grant("g/1")]);
    assert!(!receipt.already_member);
    assert!(receipt.invitation_code.is_none());
}

#[tokio::test]
async fn failed_group_join_undoes_the_creation() {
    let server = MockServer::start().await;
    let created = scim(201, user_json("u1", "ada@example.com"));
    expect(&server, at("POST", "/Users"), created, 1).await;
    let missing = scim(404, error_body("404", None, "Group 'nope' not found"));
    expect(&server, at("PATCH", "/Groups/nope"), missing, 1).await;
    expect(
        &server,
        at("DELETE", "/Users/u1").and(auth()),
        no_content(),
        1,
    )
    .await;
    let inv = Invitation::new(email("ada@example.com")).with_grant(ScimGroup::grant("nope"));
    let err = provider(&server).invite(&inv).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("Group 'nope' not found"));
}

#[tokio::test]
async fn get_uses_user_groups_when_sent() {
    let server = MockServer::start().await;
    let mut body = user_json("u1", "ada@example.com");
    body["groups"] = json!([{"value": "g1", "display": "Designers"}]);
    body["active"] = json!("False");
    let get = at("GET", "/Users/u1").and(auth()).and(accept());
    expect(&server, get, scim(200, body.clone()), 1).await;
    expect(&server, at("GET", "/Groups"), groups(vec![]), 0).await;
    let u = provider(&server).get(&UserId::new("u1")).await.unwrap();
    assert_eq!(u.status, UserStatus::Deactivated);
    assert_eq!(u.grants, vec![ScimGroup::grant("g1")]);
    assert_eq!(u.raw, body);
    assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
    assert!(u.created_at.is_some() && u.updated_at.is_some());
}

#[tokio::test]
async fn get_reads_memberships_from_groups_when_user_groups_is_absent() {
    let server = MockServer::start().await;
    let user = scim(200, user_json("u1", "ada@example.com"));
    expect(&server, at("GET", "/Users/u1"), user, 1).await;
    let list_groups = at("GET", "/Groups")
        .and(query_param("startIndex", "1"))
        .and(query_param("count", "100"))
        .and(auth());
    let three = groups(vec![
        json!({"id": "g1", "displayName": "A", "members": [{"value": "u1"}]}),
        json!({"id": "g2", "displayName": "B", "members": [{"value": "u9"}]}),
        json!({"id": "g3", "displayName": "C", "members": null}),
    ]);
    expect(&server, list_groups, three, 1).await;
    let u = provider(&server).get(&UserId::new("u1")).await.unwrap();
    assert_eq!(u.grants, vec![ScimGroup::grant("g1")]);
}

#[tokio::test]
async fn find_by_email_sends_a_quoted_filter_and_rechecks_the_answer() {
    let server = MockServer::start().await;
    let filtered = at("GET", "/Users")
        .and(query_param("filter", "userName eq \"Ada@Example.com\""))
        .and(auth());
    let found = json!({"id": "u1", "userName": "ada@example.com", "groups": []});
    expect(&server, filtered, scim(200, list(vec![found], 1, 1)), 1).await;
    let p = provider(&server);
    let found = p.find_by_email(&email("Ada@Example.com")).await.unwrap();
    assert_eq!(found.unwrap().id.as_str(), "u1");

    // A loose server that ignores the filter: nothing unrelated is returned.
    let loose = MockServer::start().await;
    let other = json!({"id": "u2", "userName": "someone@else.com"});
    expect(
        &loose,
        at("GET", "/Users"),
        scim(200, list(vec![other], 1, 1)),
        1,
    )
    .await;
    let found = provider(&loose)
        .find_by_email(&email("ada@example.com"))
        .await;
    assert!(found.unwrap().is_none());
}

#[tokio::test]
async fn list_pages_with_start_index_and_count_and_sorts_when_supported() {
    let server = MockServer::start().await;
    let config = json!({"patch": {"supported": true}, "sort": {"supported": "true"},
                        "filter": {"supported": true, "maxResults": "2"}});
    expect(
        &server,
        at("GET", "/ServiceProviderConfig"),
        scim(200, config),
        1,
    )
    .await;
    for (start, ids) in [("1", vec!["a", "b"]), ("3", vec!["c"])] {
        let resources: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "userName": format!("{id}@x.io"), "groups": []}))
            .collect();
        let page = at("GET", "/Users")
            .and(query_param("startIndex", start))
            .and(query_param("count", "2"))
            .and(query_param("sortBy", "meta.created"))
            .and(query_param("sortOrder", "ascending"))
            .and(auth());
        // No itemsPerPage, totalResults as a string: tolerated.
        let body = json!({"totalResults": "3", "Resources": resources});
        expect(&server, page, scim(200, body), 1).await;
    }
    let p = provider_for(&server, false, SortPolicy::Auto);
    let ids: Vec<String> = p
        .list(ListQuery::new().page_size(50))
        .map(|r| r.unwrap().id.as_str().to_owned())
        .collect()
        .await;
    assert_eq!(ids, vec!["a", "b", "c"]);
}

#[tokio::test]
async fn list_without_sort_support_sends_no_sort_and_stops_on_empty_page() {
    let server = MockServer::start().await;
    let refused = scim(404, error_body("404", None, "no such endpoint"));
    expect(&server, at("GET", "/ServiceProviderConfig"), refused, 1).await;
    let first = at("GET", "/Users")
        .and(query_param("startIndex", "1"))
        .and(query_param("count", "100"))
        .and(query_param_is_missing("sortBy"));
    let one = json!({"Resources": [{"id": "a", "userName": "a@x.io", "groups": []}]});
    expect(&server, first, scim(200, one), 1).await;
    let second = at("GET", "/Users").and(query_param("startIndex", "2"));
    let empty = json!({"totalResults": 1, "Resources": null});
    expect(&server, second, scim(200, empty), 1).await;
    let p = provider_for(&server, false, SortPolicy::Auto);
    assert_eq!(p.list(ListQuery::new()).count().await, 1);
}

/// Deactivated users are left out page by page; pages holding only them do not end the
/// listing early, and `GET /Groups` is read once for the whole listing.
#[tokio::test]
async fn list_hides_deactivated_users_across_pages() {
    let server = MockServer::start().await;
    let user = |i: u64, active: bool| json!({"id": format!("u{i}"), "userName": format!("u{i}@x.io"), "active": active});
    for start in 1..=6u64 {
        let resource = user(start, start == 5);
        let page = at("GET", "/Users")
            .and(query_param("startIndex", start.to_string()))
            .and(query_param("count", "1"));
        expect(&server, page, scim(200, list(vec![resource], 6, start)), 2).await;
    }
    let memberships = groups(vec![json!({"id": "g1", "members": [{"value": "u5"}]})]);
    expect(&server, at("GET", "/Groups"), memberships, 2).await;
    let p = provider(&server);
    let visible: Vec<_> = p
        .list(ListQuery::new().page_size(1))
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(visible.len(), 1);
    assert_eq!(visible[0].id.as_str(), "u5");
    assert_eq!(visible[0].grants, vec![ScimGroup::grant("g1")]);
    let all = p.list(ListQuery::new().page_size(1).include_inactive(true));
    assert_eq!(all.count().await, 6);
}

#[tokio::test]
async fn update_patches_name_and_email_then_reads_the_user_after_a_204() {
    let server = MockServer::start().await;
    let patch = sent("PATCH", "/Users/u1").and(patch_op(json!([
        {"op": "replace", "path": "name",
         "value": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"}},
        {"op": "replace", "path": "displayName", "value": "Grace Hopper"},
        {"op": "replace", "path": "userName", "value": "Grace@Navy.mil"},
        {"op": "replace", "path": "emails",
         "value": [{"value": "Grace@Navy.mil", "type": "work", "primary": true}]},
        {"op": "replace", "path": "externalId", "value": "okta-7"},
        {"op": "replace", "path": "title", "value": "Rear Admiral"},
        {"op": "replace", "path": "locale", "value": "en-US"}
    ])));
    let changed = no_content().insert_header("etag", "W/\"9\"");
    expect(&server, patch, changed, 1).await;
    let user = scim(200, user_json("u1", "Grace@Navy.mil"));
    expect(&server, at("GET", "/Users/u1"), user, 1).await;
    no_groups(&server).await;
    let patch = UserPatch::new()
        .name(PersonName::new("Grace", "Hopper"))
        .email(email("Grace@Navy.mil"))
        .attribute("title", json!("Rear Admiral"))
        .attribute("locale", json!("en-US"))
        .attribute("externalId", json!("okta-7"));
    let u = provider(&server)
        .update(&UserId::new("u1"), &patch)
        .await
        .unwrap();
    assert!(u.has_email(&email("grace@navy.mil")));
}

/// Grant changes read the memberships from `GET /Groups`, check that the user exists, then
/// add before they remove; a change that changes nothing writes nothing.
#[tokio::test]
async fn update_grants_reads_memberships_and_patches_groups() {
    let server = MockServer::start().await;
    let user = scim(200, user_json("u1", "ada@example.com"));
    expect(&server, at("GET", "/Users/u1"), user, 3).await;
    let held = groups(vec![
        json!({"id": "g1", "members": [{"value": "u1"}]}),
        json!({"id": "g2", "members": []}),
    ]);
    answer(&server, at("GET", "/Groups"), held).await;
    let add = json!([{"op": "add", "path": "members", "value": [{"value": "u1"}]}]);
    let join = at("PATCH", "/Groups/g2").and(patch_op(add));
    expect(&server, join, scim(200, json!({"id": "g2"})), 1).await;
    let remove = json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]);
    let leave = at("PATCH", "/Groups/g1").and(patch_op(remove));
    expect(&server, leave, no_content(), 1).await;
    let p = provider(&server);
    let id = UserId::new("u1");
    let change = GrantChange::Replace(vec![ScimGroup::grant("g2")]);
    p.update(&id, &UserPatch::new().grants(change))
        .await
        .unwrap();
    // The group listing still says u1 is in g1 only: adding g1 is already done.
    let noop = GrantChange::Add(vec![ScimGroup::grant("g1")]);
    let u = p.update(&id, &UserPatch::new().grants(noop)).await.unwrap();
    assert_eq!(u.grants, vec![ScimGroup::grant("g1")]);
}

#[tokio::test]
async fn deactivate_reactivate_and_remove() {
    let server = MockServer::start().await;
    for (value, response) in [
        (false, no_content()),
        (true, scim(200, user_json("u1", "ada@example.com"))),
    ] {
        let set = sent("PATCH", "/Users/u1").and(patch_op(
            json!([{"op": "replace", "path": "active", "value": value}]),
        ));
        expect(&server, set, response, 1).await;
    }
    at("DELETE", "/Users/u1")
        .and(auth())
        .respond_with(no_content())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let gone = scim(404, error_body("404", None, "User 'u1' not found"));
    expect(&server, at("DELETE", "/Users/u1"), gone, 1).await;
    // A 200 whose body is no User resource still counts as success.
    let odd = scim(200, json!({"result": "ok"}));
    expect(&server, at("PATCH", "/Users/u2"), odd, 1).await;
    let p = provider(&server);
    p.deactivate(&UserId::new("u2")).await.unwrap();
    let id = UserId::new("u1");
    p.deactivate(&id).await.unwrap();
    p.reactivate(&id).await.unwrap();
    p.remove(&id).await.unwrap();
    let err = p.remove(&id).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn etags_send_if_match_and_412_is_a_conflict() {
    let server = MockServer::start().await;
    let user = scim(200, user_in_no_group("u1", true));
    answer(&server, at("GET", "/Users/u1"), user).await;
    let stale = scim(
        412,
        error_body(
            "412",
            None,
            "Failed to update. Resource has changed on the server",
        ),
    );
    let patch = at("PATCH", "/Users/u1").and(header("if-match", "W/\"7\""));
    expect(&server, patch, stale, 1).await;
    let p = provider_for(&server, true, SortPolicy::Never);
    let id = UserId::new("u1");
    p.get(&id).await.unwrap();
    assert_eq!(p.last_seen_version(&id).as_deref(), Some("W/\"7\""));
    let err = p.deactivate(&id).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.status(), Some(412));

    // Without ETags, no If-Match.
    let plain = MockServer::start().await;
    let user = scim(200, user_json("u1", "ada@example.com"));
    answer(&plain, at("GET", "/Users/u1"), user).await;
    no_groups(&plain).await;
    expect(&plain, at("DELETE", "/Users/u1"), no_content(), 1).await;
    let p = provider(&plain);
    p.get(&id).await.unwrap();
    p.remove(&id).await.unwrap();
    let reqs = plain.received_requests().await.unwrap();
    assert!(reqs.iter().all(|r| !r.headers.contains_key("if-match")));
}

#[tokio::test]
async fn put_replace_user_and_group_calls() {
    let server = MockServer::start().await;
    let put = sent("PUT", "/Users/u1").and(body_json(json!({"schemas": [USER_URN],
            "userName": "ada@example.com", "displayName": "Ada", "active": false})));
    expect(&server, put, scim(200, user_in_no_group("u1", false)), 1).await;
    let designers = json!({"id": "g1", "displayName": "Designers", "members": [{"value": "u1"}]});
    expect(
        &server,
        at("GET", "/Groups/g1").and(auth()),
        scim(200, designers),
        1,
    )
    .await;
    let create = at("POST", "/Groups").and(body_json(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Editors"})));
    let editors = json!({"id": "g2", "displayName": "Editors"});
    expect(&server, create, scim(201, editors), 1).await;
    expect(&server, at("DELETE", "/Groups/g2"), no_content(), 1).await;
    let p = provider(&server);
    let mut u = ScimUser::new("ada@example.com");
    u.display_name = Some("Ada".into());
    u.active = Some(false);
    let replaced = p.replace_user(&UserId::new("u1"), &u).await.unwrap();
    assert_eq!(replaced.status, UserStatus::Deactivated);
    let g = p.get_group("g1").await.unwrap();
    assert!(g.has_member("u1"));
    let created = p.create_group("Editors").await.unwrap();
    assert_eq!(created.id.as_deref(), Some("g2"));
    p.delete_group("g2").await.unwrap();
}

#[tokio::test]
async fn discover_maps_the_service_provider_config() {
    let server = MockServer::start().await;
    let config = json!({
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576},
        "filter": {"supported": true, "maxResults": 200},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": "True"},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer"}]
    });
    let discover = at("GET", "/ServiceProviderConfig").and(accept());
    expect(&server, discover, scim(200, config), 1).await;
    let f = provider(&server).discover().await.unwrap();
    assert!(f.patch && f.bulk && f.filter && f.etag && !f.sort && !f.change_password);
    assert_eq!(f.bulk_max_operations, Some(1000));
    assert_eq!(f.bulk_max_payload_size, Some(1_048_576));
    assert_eq!(f.max_results, Some(200));
    assert_eq!(f.authentication_schemes, vec!["oauthbearertoken"]);
}

#[tokio::test]
async fn errors_map_by_status_and_scim_type() {
    // (status, scimType, detail, error kind)
    let cases = [
        (409, Some("uniqueness"), "User already exists", "conflict"),
        (400, Some("uniqueness"), "taken", "conflict"),
        (400, Some("invalidFilter"), "bad filter", "vendor"),
        (400, Some("invalidValue"), "bad value", "vendor"),
        (400, Some("invalidSyntax"), "bad syntax", "vendor"),
        (400, Some("invalidPath"), "bad path", "vendor"),
        (400, Some("noTarget"), "no target", "vendor"),
        (400, Some("mutability"), "read-only", "vendor"),
        (401, None, "Authorization failure", "unauthorized"),
        (403, None, "Not allowed", "forbidden"),
        (404, None, "User 'x' not found", "not_found"),
        (412, None, "Resource changed", "conflict"),
        (415, None, "Unsupported media", "vendor"),
        (429, None, "slow down", "rate_limited"),
        (500, None, "boom", "vendor"),
    ];
    for (status, code, detail, kind) in cases {
        let mut body = error_body(&status.to_string(), code, detail);
        if status == 415 {
            body["status"] = json!(415); // a number instead of the RFC's string
        }
        let server = MockServer::start().await;
        let response = scim(status, body.clone()).insert_header("retry-after", "0");
        answer(&server, at("GET", "/Users/x"), response).await;
        let err = provider(&server).get(&UserId::new("x")).await.unwrap_err();
        assert_eq!(err.kind_name(), kind, "{status} {body}: {err:?}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.vendor_code(), code, "{status}");
        assert!(err.to_string().contains(detail), "{err}");
    }
    // Not an RFC body at all.
    let server = MockServer::start().await;
    let html = ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>");
    answer(&server, at("GET", "/Users/x"), html).await;
    let err = provider(&server).get(&UserId::new("x")).await.unwrap_err();
    assert_eq!(err.kind_name(), "vendor");
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn refusals_and_bad_input_send_nothing() {
    let server = MockServer::start().await;
    let p = provider(&server);
    let inv = || Invitation::new(email("ada@example.com"));
    let id = UserId::new("u1");
    let foreign = Grant::new(GrantKind::new("awork_role")).with("role_id", "r");
    for refused in [
        p.invite(&inv().with_delivery(EmailDelivery::Suppress))
            .await
            .map(|_| ()),
        p.invite(&inv().with_delivery(EmailDelivery::Send))
            .await
            .map(|_| ()),
        p.resend(&id).await,
        p.invite(&inv().with_grant(foreign)).await.map(|_| ()),
    ] {
        assert!(
            matches!(refused, Err(Error::Unsupported { .. })),
            "{refused:?}"
        );
    }
    let unknown_name = UserPatch::new().name(PersonName::unknown());
    for (field, invalid) in [
        (
            "attributes.fooBar",
            p.invite(&inv().with_attribute("fooBar", json!("x")))
                .await
                .map(|_| ()),
        ),
        (
            "attributes.title",
            p.invite(&inv().with_attribute("title", json!(3)))
                .await
                .map(|_| ()),
        ),
        (
            "grants[0].group_id",
            p.invite(&inv().with_grant(ScimGroup::grant("..")))
                .await
                .map(|_| ()),
        ),
        ("patch", p.update(&id, &UserPatch::new()).await.map(|_| ())),
        ("name", p.update(&id, &unknown_name).await.map(|_| ())),
    ] {
        match invalid {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    for bad in ["", "..", ".", "a\nb"] {
        let id = UserId::new(bad);
        for result in [
            p.get(&id).await.map(|_| ()),
            p.remove(&id).await,
            p.deactivate(&id).await,
            p.add_member("g1", &id).await,
        ] {
            assert!(matches!(result, Err(Error::InvalidInput { .. })), "{bad:?}");
        }
    }
    let nameless = p.replace_user(&id, &ScimUser::default()).await;
    assert!(matches!(nameless, Err(Error::InvalidInput { .. })));
    let blank = p.create_group(" ").await;
    assert!(matches!(blank, Err(Error::InvalidInput { .. })));
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn hostile_ids_are_one_encoded_segment() {
    let server = MockServer::start().await;
    let not_found = scim(404, error_body("404", None, "not found"));
    answer(&server, Mock::given(method("GET")), not_found).await;
    let p = provider(&server);
    for id in ["../x", "a/b", "a?b", "%2F", "a#b"] {
        let err = p.get(&UserId::new(id)).await.unwrap_err();
        assert!(err.is_not_found(), "{id}: {err:?}");
    }
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r: &Request| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/scim/v2/Users/..%2Fx",
            "/scim/v2/Users/a%2Fb",
            "/scim/v2/Users/a%3Fb",
            "/scim/v2/Users/%252F",
            "/scim/v2/Users/a%23b",
        ]
    );
    // In a member filter, the id is a JSON string: quotes cannot break out.
    let server = MockServer::start().await;
    let path = "members[value eq \"u\\\" or value pr \\\"\"]";
    let remove = at("PATCH", "/Groups/g1").and(patch_op(json!([{"op": "remove", "path": path}])));
    expect(&server, remove, no_content(), 1).await;
    provider(&server)
        .remove_member("g1", &UserId::new("u\" or value pr \""))
        .await
        .unwrap();
}

#[tokio::test]
async fn secrets_never_show() {
    let server = MockServer::start().await;
    let leaky = scim(
        401,
        json!({"status": "401", "detail": format!("bad token {TOKEN}")}),
    );
    answer(&server, Mock::given(method("GET")), leaky).await;
    let config = config(&server, false, SortPolicy::Auto);
    let p = ScimProvider::from_config(config.clone()).unwrap();
    let err = p.get(&UserId::new("u1")).await.unwrap_err();
    let wf = WebflowScimConfig::new(WebflowScimToken::new(TOKEN));
    let shown = format!(
        "{config:?} {p:?} {p} {err:?} {err} {:?} {wf:?} {:?}",
        ScimToken::new(TOKEN),
        WebflowScimToken::new(TOKEN)
    );
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("REDACTED"));
}

#[tokio::test]
async fn requests_carry_bearer_and_media_types() {
    let server = MockServer::start().await;
    let any_user = at("GET", "/Users")
        .and(auth())
        .and(accept())
        .and(header_exists("user-agent"));
    expect(&server, any_user, scim(200, list(vec![], 0, 1)), 1).await;
    let found = provider(&server)
        .find_by_email(&email("nobody@example.com"))
        .await
        .unwrap();
    assert!(found.is_none());
}

#[test]
fn configuration_from_env_and_https() {
    let env = |pairs: &[(&str, &str)]| invite_testkit::lookup(pairs.iter().copied());
    let c = ScimConfig::from_lookup(env(&[
        ("SCIM_BASE_URL", "https://idp.example.com/scim/v2"),
        ("SCIM_TOKEN", "t"),
    ]))
    .unwrap();
    assert_eq!(c.base_url().as_str(), "https://idp.example.com/scim/v2");
    let p = ScimProvider::from_config(c).unwrap();
    assert_eq!(p.to_string(), "scim(idp.example.com)");
    assert_eq!(p.info().kind, "scim");
    let missing = |lookup: Result<ScimConfig, Error>, setting: &str| {
        let e = lookup.unwrap_err().to_string();
        assert!(e.contains(setting), "{e}");
        e
    };
    missing(
        ScimConfig::from_lookup(env(&[("SCIM_BASE_URL", "https://x.io")])),
        "SCIM_TOKEN",
    );
    missing(
        ScimConfig::from_lookup(env(&[("SCIM_TOKEN", "t")])),
        "SCIM_BASE_URL",
    );
    let plain = missing(
        ScimConfig::from_lookup(env(&[
            ("SCIM_BASE_URL", "http://idp.example.com/scim/v2"),
            ("SCIM_TOKEN", "t"),
        ])),
        "SCIM_BASE_URL",
    );
    assert!(plain.contains("https"), "{plain}");
    let loopback = ScimConfig::builder("http://127.0.0.1:9/v2", ScimToken::new("t"));
    assert!(loopback.build().is_ok());
    let zero = ScimConfig::builder("https://x.io", ScimToken::new("t")).page_size(0);
    assert!(zero.build().is_err());

    // Webflow preset.
    let wf = WebflowScimConfig::from_lookup(env(&[("WEBFLOW_SCIM_TOKEN", "w")]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(wf.info().kind, "webflow-scim");
    assert_eq!(wf.base_url().as_str(), "https://api.webflow.com/scim/v2");
    assert_eq!(wf.to_string(), "webflow-scim(api.webflow.com)");
    let e = WebflowScimConfig::from_lookup(env(&[("WEBFLOW_SCIM_BASE_URL", "https://x.io")]))
        .unwrap_err();
    assert!(e.to_string().contains("WEBFLOW_SCIM_TOKEN"), "{e}");
    let e = WebflowScimConfig::from_lookup(env(&[
        ("WEBFLOW_SCIM_TOKEN", "w"),
        ("WEBFLOW_SCIM_BASE_URL", "http://api.webflow.com/scim/v2"),
    ]))
    .unwrap()
    .build()
    .unwrap_err();
    assert!(e.to_string().contains("WEBFLOW_SCIM_BASE_URL"), "{e}");
    let direct = WebflowScimConfig::new(WebflowScimToken::new("w"))
        .build()
        .unwrap();
    assert_eq!(direct.info().capabilities, CAPABILITIES);
    let caps = CAPABILITIES;
    assert!(!caps.silent_invite && !caps.explicit_email && !caps.resend);
    assert!(caps.invite && caps.update_email && caps.update_grants && caps.deactivate);
}
