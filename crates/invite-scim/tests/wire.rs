//! Exact wire-level tests of every SCIM call, against wiremock.

use std::sync::Arc;

use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    Describe, Email, EmailDelivery, Error, Grant, GrantChange, Invitation, InviteProvider,
    ListQuery, PersonName, UserDirectory, UserId, UserPatch, UserStatus,
};
use invite_scim::webflow::{WebflowScimConfig, WebflowScimToken};
use invite_scim::wire::ScimUser;
use invite_scim::{ScimConfig, ScimProvider, ScimToken, SortPolicy};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_json, header, header_exists, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "scim-secret-token-4711";
const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn provider_for(server: &MockServer, etags: bool, sort: SortPolicy) -> ScimProvider {
    let config = ScimConfig::builder(format!("{}/scim/v2", server.uri()), ScimToken::new(TOKEN))
        .options(ClientOptions::default().with_retry(RetryConfig::none()))
        .use_etags(etags)
        .sort(sort)
        .build()
        .unwrap();
    ScimProvider::new(config).unwrap()
}

fn provider(server: &MockServer) -> ScimProvider {
    provider_for(server, false, SortPolicy::Never)
}

fn scim(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/scim+json")
        .set_body_json(body)
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

fn auth() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
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

/// `GET /Groups` answering no groups (for grant resolution).
async fn no_groups(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .respond_with(scim(200, list(vec![], 0, 1)))
        .mount(server)
        .await;
}

#[tokio::test]
async fn invite_posts_the_scim_user_and_joins_groups() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .and(auth())
        .and(header("content-type", "application/scim+json"))
        .and(accept())
        .and(body_json(json!({
            "schemas": [USER_URN],
            "userName": "Ada@Example.com",
            "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
            "displayName": "Ada Lovelace",
            "active": true,
            "emails": [{"value": "Ada@Example.com", "type": "work", "primary": true}],
            "externalId": "okta-1"
        })))
        .respond_with(scim(201, user_json("u1", "Ada@Example.com")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Groups/g%2F1"))
        .and(auth())
        .and(header("content-type", "application/scim+json"))
        .and(body_json(json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": "u1"}]}]
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let inv = Invitation::new(email("Ada@Example.com"))
        .with_name(PersonName::new("Ada", "Lovelace"))
        .with_grant(Grant::ScimGroup {
            group_id: "g/1".into(),
        })
        .with_attribute("externalId", json!("okta-1"));
    let receipt = provider(&server).invite(&inv).await.unwrap();
    assert_eq!(receipt.user.id.as_str(), "u1");
    assert_eq!(receipt.user.status, UserStatus::Active);
    assert_eq!(
        receipt.user.grants,
        vec![Grant::ScimGroup {
            group_id: "g/1".into()
        }]
    );
    assert!(!receipt.already_member);
    assert!(receipt.invitation_code.is_none());
}

#[tokio::test]
async fn failed_group_join_undoes_the_creation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(scim(201, user_json("u1", "ada@example.com")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Groups/nope"))
        .respond_with(scim(404, error_body("404", None, "Group 'nope' not found")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/scim/v2/Users/u1"))
        .and(auth())
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let inv = Invitation::new(email("ada@example.com")).with_grant(Grant::ScimGroup {
        group_id: "nope".into(),
    });
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
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .and(auth())
        .and(accept())
        .respond_with(scim(200, body.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .respond_with(scim(200, list(vec![], 0, 1)))
        .expect(0)
        .mount(&server)
        .await;
    let u = provider(&server).get(&UserId::new("u1")).await.unwrap();
    assert_eq!(u.status, UserStatus::Deactivated);
    assert_eq!(
        u.grants,
        vec![Grant::ScimGroup {
            group_id: "g1".into()
        }]
    );
    assert_eq!(u.raw, body);
    assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
    assert!(u.created_at.is_some() && u.updated_at.is_some());
}

#[tokio::test]
async fn get_reads_memberships_from_groups_when_user_groups_is_absent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(scim(200, user_json("u1", "ada@example.com")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .and(query_param("startIndex", "1"))
        .and(query_param("count", "100"))
        .and(auth())
        .respond_with(scim(
            200,
            list(
                vec![
                    json!({"id": "g1", "displayName": "A", "members": [{"value": "u1"}]}),
                    json!({"id": "g2", "displayName": "B", "members": [{"value": "u9"}]}),
                    json!({"id": "g3", "displayName": "C", "members": null}),
                ],
                3,
                1,
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let u = provider(&server).get(&UserId::new("u1")).await.unwrap();
    assert_eq!(
        u.grants,
        vec![Grant::ScimGroup {
            group_id: "g1".into()
        }]
    );
}

#[tokio::test]
async fn find_by_email_sends_a_quoted_filter_and_rechecks_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(query_param("filter", "userName eq \"Ada@Example.com\""))
        .and(auth())
        .respond_with(scim(
            200,
            list(
                vec![json!({"id": "u1", "userName": "ada@example.com", "groups": []})],
                1,
                1,
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let found = p.find_by_email(&email("Ada@Example.com")).await.unwrap();
    assert_eq!(found.unwrap().id.as_str(), "u1");

    // A loose server that ignores the filter: nothing unrelated is returned.
    let loose = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(scim(
            200,
            list(
                vec![json!({"id": "u2", "userName": "someone@else.com"})],
                1,
                1,
            ),
        ))
        .expect(1)
        .mount(&loose)
        .await;
    assert!(
        provider(&loose)
            .find_by_email(&email("ada@example.com"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn list_pages_with_start_index_and_count_and_sorts_when_supported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/ServiceProviderConfig"))
        .respond_with(scim(
            200,
            json!({"patch": {"supported": true}, "sort": {"supported": "true"},
                   "filter": {"supported": true, "maxResults": "2"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    for (start, ids) in [("1", vec!["a", "b"]), ("3", vec!["c"])] {
        let resources: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "userName": format!("{id}@x.io"), "groups": []}))
            .collect();
        // No itemsPerPage, totalResults as a string: tolerated.
        Mock::given(method("GET"))
            .and(path("/scim/v2/Users"))
            .and(query_param("startIndex", start))
            .and(query_param("count", "2"))
            .and(query_param("sortBy", "meta.created"))
            .and(query_param("sortOrder", "ascending"))
            .and(auth())
            .respond_with(scim(
                200,
                json!({"totalResults": "3", "Resources": resources}),
            ))
            .expect(1)
            .mount(&server)
            .await;
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
    Mock::given(method("GET"))
        .and(path("/scim/v2/ServiceProviderConfig"))
        .respond_with(scim(404, error_body("404", None, "no such endpoint")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(query_param("startIndex", "1"))
        .and(query_param_is_missing("sortBy"))
        .respond_with(scim(
            200,
            json!({"Resources": [{"id": "a", "userName": "a@x.io", "groups": []}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(query_param("startIndex", "2"))
        .respond_with(scim(200, json!({"totalResults": 1, "Resources": null})))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider_for(&server, false, SortPolicy::Auto);
    for _ in 0..1 {
        let n = p.list(ListQuery::new()).count().await;
        assert_eq!(n, 1);
    }
}

#[tokio::test]
async fn update_patches_name_and_email_then_reads_the_user_after_a_204() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Users/u1"))
        .and(auth())
        .and(header("content-type", "application/scim+json"))
        .and(body_json(json!({
            "schemas": [PATCH_URN],
            "Operations": [
                {"op": "replace", "path": "name",
                 "value": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"}},
                {"op": "replace", "path": "displayName", "value": "Grace Hopper"},
                {"op": "replace", "path": "userName", "value": "Grace@Navy.mil"},
                {"op": "replace", "path": "emails",
                 "value": [{"value": "Grace@Navy.mil", "type": "work", "primary": true}]},
                {"op": "replace", "path": "title", "value": "Rear Admiral"}
            ]
        })))
        .respond_with(ResponseTemplate::new(204).insert_header("etag", "W/\"9\""))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(scim(200, user_json("u1", "Grace@Navy.mil")))
        .expect(1)
        .mount(&server)
        .await;
    no_groups(&server).await;
    let patch = UserPatch::new()
        .name(PersonName::new("Grace", "Hopper"))
        .email(email("Grace@Navy.mil"))
        .attribute("title", json!("Rear Admiral"));
    let u = provider(&server)
        .update(&UserId::new("u1"), &patch)
        .await
        .unwrap();
    assert!(u.has_email(&email("grace@navy.mil")));
}

#[tokio::test]
async fn update_grants_reads_memberships_and_patches_groups() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(scim(200, user_json("u1", "ada@example.com")))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .respond_with(scim(
            200,
            list(
                vec![
                    json!({"id": "g1", "members": [{"value": "u1"}]}),
                    json!({"id": "g2", "members": []}),
                ],
                2,
                1,
            ),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Groups/g2"))
        .and(body_json(json!({"schemas": [PATCH_URN],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": "u1"}]}]})))
        .respond_with(scim(200, json!({"id": "g2"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Groups/g1"))
        .and(body_json(json!({"schemas": [PATCH_URN],
            "Operations": [{"op": "remove", "path": "members[value eq \"u1\"]"}]})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let change = GrantChange::Replace(vec![Grant::ScimGroup {
        group_id: "g2".into(),
    }]);
    provider(&server)
        .update(&UserId::new("u1"), &UserPatch::new().grants(change))
        .await
        .unwrap();
}

#[tokio::test]
async fn deactivate_reactivate_and_remove() {
    let server = MockServer::start().await;
    for (value, status) in [(false, 204), (true, 200)] {
        Mock::given(method("PATCH"))
            .and(path("/scim/v2/Users/u1"))
            .and(auth())
            .and(header("content-type", "application/scim+json"))
            .and(body_json(json!({"schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "path": "active", "value": value}]})))
            .respond_with(if status == 204 {
                ResponseTemplate::new(204)
            } else {
                scim(200, user_json("u1", "ada@example.com"))
            })
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path("/scim/v2/Users/u1"))
        .and(auth())
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(scim(404, error_body("404", None, "User 'u1' not found")))
        .expect(1)
        .mount(&server)
        .await;
    // A 200 whose body is no User resource still counts as success.
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Users/u2"))
        .respond_with(scim(200, json!({"result": "ok"})))
        .expect(1)
        .mount(&server)
        .await;
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
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(scim(200, {
            let mut u = user_json("u1", "ada@example.com");
            u["groups"] = json!([]);
            u
        }))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Users/u1"))
        .and(header("if-match", "W/\"7\""))
        .respond_with(scim(
            412,
            error_body(
                "412",
                None,
                "Failed to update. Resource has changed on the server",
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider_for(&server, true, SortPolicy::Never);
    let id = UserId::new("u1");
    p.get(&id).await.unwrap();
    assert_eq!(p.last_seen_version(&id).as_deref(), Some("W/\"7\""));
    let err = p.deactivate(&id).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.status(), Some(412));

    // Without ETags, no If-Match.
    let plain = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(scim(200, user_json("u1", "ada@example.com")))
        .mount(&plain)
        .await;
    no_groups(&plain).await;
    Mock::given(method("DELETE"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&plain)
        .await;
    let p = provider(&plain);
    p.get(&id).await.unwrap();
    p.remove(&id).await.unwrap();
    let reqs = plain.received_requests().await.unwrap();
    assert!(reqs.iter().all(|r| !r.headers.contains_key("if-match")));
}

#[tokio::test]
async fn put_replace_user_and_group_calls() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/scim/v2/Users/u1"))
        .and(auth())
        .and(header("content-type", "application/scim+json"))
        .and(body_json(
            json!({"schemas": [USER_URN], "userName": "ada@example.com",
                              "displayName": "Ada", "active": false}),
        ))
        .respond_with(scim(200, {
            let mut u = user_json("u1", "ada@example.com");
            u["active"] = json!(false);
            u["groups"] = json!([]);
            u
        }))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups/g1"))
        .and(auth())
        .respond_with(scim(
            200,
            json!({"id": "g1", "displayName": "Designers", "members": [{"value": "u1"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Groups"))
        .and(body_json(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                              "displayName": "Editors"}),
        ))
        .respond_with(scim(201, json!({"id": "g2", "displayName": "Editors"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/scim/v2/Groups/g2"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
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
    Mock::given(method("GET"))
        .and(path("/scim/v2/ServiceProviderConfig"))
        .and(accept())
        .respond_with(scim(
            200,
            json!({
                "patch": {"supported": true},
                "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576},
                "filter": {"supported": true, "maxResults": 200},
                "changePassword": {"supported": false},
                "sort": {"supported": false},
                "etag": {"supported": "True"},
                "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer"}]
            }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let f = provider(&server).discover().await.unwrap();
    assert!(f.patch && f.bulk && f.filter && f.etag && !f.sort && !f.change_password);
    assert_eq!(f.bulk_max_operations, Some(1000));
    assert_eq!(f.bulk_max_payload_size, Some(1_048_576));
    assert_eq!(f.max_results, Some(200));
    assert_eq!(f.authentication_schemes, vec!["oauthbearertoken"]);
}

#[tokio::test]
async fn errors_map_by_status_and_scim_type() {
    let cases: Vec<(u16, Value, &str, Option<&str>)> = vec![
        (
            409,
            error_body("409", Some("uniqueness"), "User already exists"),
            "conflict",
            Some("uniqueness"),
        ),
        (
            400,
            error_body("400", Some("uniqueness"), "taken"),
            "conflict",
            Some("uniqueness"),
        ),
        (
            400,
            error_body("400", Some("invalidFilter"), "bad filter"),
            "vendor",
            Some("invalidFilter"),
        ),
        (
            400,
            error_body("400", Some("invalidValue"), "bad value"),
            "vendor",
            Some("invalidValue"),
        ),
        (
            400,
            error_body("400", Some("invalidSyntax"), "bad syntax"),
            "vendor",
            Some("invalidSyntax"),
        ),
        (
            400,
            error_body("400", Some("invalidPath"), "bad path"),
            "vendor",
            Some("invalidPath"),
        ),
        (
            400,
            error_body("400", Some("noTarget"), "no target"),
            "vendor",
            Some("noTarget"),
        ),
        (
            400,
            error_body("400", Some("mutability"), "read-only"),
            "vendor",
            Some("mutability"),
        ),
        (
            401,
            error_body("401", None, "Authorization failure"),
            "unauthorized",
            None,
        ),
        (
            403,
            error_body("403", None, "Not allowed"),
            "forbidden",
            None,
        ),
        (
            404,
            error_body("404", None, "User 'x' not found"),
            "not_found",
            None,
        ),
        (
            412,
            error_body("412", None, "Resource changed"),
            "conflict",
            None,
        ),
        (
            415,
            json!({"schemas": [ERROR_URN], "status": 415, "detail": "Unsupported media"}),
            "vendor",
            None,
        ),
        (
            429,
            error_body("429", None, "slow down"),
            "rate_limited",
            None,
        ),
        (500, error_body("500", None, "boom"), "vendor", None),
    ];
    for (status, body, kind, code) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/scim/v2/Users/x"))
            .respond_with(scim(status, body.clone()).insert_header("retry-after", "0"))
            .mount(&server)
            .await;
        let err = provider(&server).get(&UserId::new("x")).await.unwrap_err();
        assert_eq!(err.kind_name(), kind, "{status} {body}: {err:?}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.vendor_code(), code, "{status}");
        let detail = body["detail"].as_str().unwrap();
        assert!(err.to_string().contains(detail), "{err}");
    }
    // Not an RFC body at all.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/x"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    let err = provider(&server).get(&UserId::new("x")).await.unwrap_err();
    assert_eq!(err.kind_name(), "vendor");
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn refusals_and_bad_input_send_nothing() {
    let server = MockServer::start().await;
    let p = provider(&server);
    let inv = || Invitation::new(email("ada@example.com"));
    let unsupported = |r: Result<(), Error>| {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    };
    unsupported(
        p.invite(&inv().with_delivery(EmailDelivery::Suppress))
            .await
            .map(|_| ()),
    );
    unsupported(
        p.invite(&inv().with_delivery(EmailDelivery::Send))
            .await
            .map(|_| ()),
    );
    unsupported(p.resend(&UserId::new("u1")).await);
    unsupported(
        p.invite(&inv().with_grant(Grant::AworkRole {
            role_id: "r".into(),
        }))
        .await
        .map(|_| ()),
    );
    let invalid = |r: Result<(), Error>, field: &str| match r {
        Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
        other => panic!("{field}: {other:?}"),
    };
    invalid(
        p.invite(&inv().with_attribute("fooBar", json!("x")))
            .await
            .map(|_| ()),
        "attributes.fooBar",
    );
    invalid(
        p.invite(&inv().with_attribute("title", json!(3)))
            .await
            .map(|_| ()),
        "attributes.title",
    );
    invalid(
        p.invite(&inv().with_grant(Grant::ScimGroup {
            group_id: "..".into(),
        }))
        .await
        .map(|_| ()),
        "grants[0].group_id",
    );
    invalid(
        p.update(&UserId::new("u1"), &UserPatch::new())
            .await
            .map(|_| ()),
        "patch",
    );
    invalid(
        p.update(
            &UserId::new("u1"),
            &UserPatch::new().name(PersonName::unknown()),
        )
        .await
        .map(|_| ()),
        "name",
    );
    for bad in ["", "..", ".", "a\nb"] {
        let id = UserId::new(bad);
        assert!(matches!(p.get(&id).await, Err(Error::InvalidInput { .. })));
        assert!(matches!(
            p.remove(&id).await,
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            p.deactivate(&id).await,
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            p.add_member("g1", &id).await,
            Err(Error::InvalidInput { .. })
        ));
    }
    assert!(matches!(
        p.replace_user(&UserId::new("u1"), &ScimUser::default())
            .await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        p.create_group(" ").await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn hostile_ids_are_one_encoded_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(scim(404, error_body("404", None, "not found")))
        .mount(&server)
        .await;
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
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Groups/g1"))
        .and(body_json(json!({"schemas": [PATCH_URN],
            "Operations": [{"op": "remove", "path": "members[value eq \"u\\\" or value pr \\\"\"]"}]})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .remove_member("g1", &UserId::new("u\" or value pr \""))
        .await
        .unwrap();
}

#[tokio::test]
async fn secrets_never_show() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(scim(
            401,
            json!({"status": "401", "detail": format!("bad token {TOKEN}")}),
        ))
        .mount(&server)
        .await;
    let config = ScimConfig::builder(format!("{}/scim/v2", server.uri()), ScimToken::new(TOKEN))
        .options(ClientOptions::default().with_retry(RetryConfig::none()))
        .build()
        .unwrap();
    let p = ScimProvider::new(config.clone()).unwrap();
    let err = p.get(&UserId::new("u1")).await.unwrap_err();
    let wf = WebflowScimConfig::new(WebflowScimToken::new(TOKEN));
    let shown = format!(
        "{config:?} {p:?} {p} {err:?} {err} {:?} {wf:?} {:?}",
        ScimToken::new(TOKEN),
        WebflowScimToken::new(TOKEN)
    );
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("REDACTED"));
    let _ = Arc::new(p);
}

#[tokio::test]
async fn requests_carry_bearer_and_media_types() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(auth())
        .and(accept())
        .and(header_exists("user-agent"))
        .respond_with(scim(200, list(vec![], 0, 1)))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .find_by_email(&email("nobody@example.com"))
        .await
        .unwrap();
    assert!(found.is_none());
}

#[test]
fn configuration_from_env_and_https() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let c = ScimConfig::from_lookup(env(&[
        ("SCIM_BASE_URL", "https://idp.example.com/scim/v2"),
        ("SCIM_TOKEN", "t"),
    ]))
    .unwrap();
    assert_eq!(c.base_url().as_str(), "https://idp.example.com/scim/v2");
    let p = ScimProvider::new(c).unwrap();
    assert_eq!(p.to_string(), "scim(idp.example.com)");
    assert_eq!(p.info().kind, "scim");
    let e = ScimConfig::from_lookup(env(&[("SCIM_BASE_URL", "https://x.io")])).unwrap_err();
    assert!(e.to_string().contains("SCIM_TOKEN"), "{e}");
    let e = ScimConfig::from_lookup(env(&[("SCIM_TOKEN", "t")])).unwrap_err();
    assert!(e.to_string().contains("SCIM_BASE_URL"), "{e}");
    let e = ScimConfig::from_lookup(env(&[
        ("SCIM_BASE_URL", "http://idp.example.com/scim/v2"),
        ("SCIM_TOKEN", "t"),
    ]))
    .unwrap_err();
    assert!(
        e.to_string().contains("SCIM_BASE_URL") && e.to_string().contains("https"),
        "{e}"
    );
    assert!(
        ScimConfig::builder("http://127.0.0.1:9/v2", ScimToken::new("t"))
            .build()
            .is_ok()
    );
    assert!(
        ScimConfig::builder("https://x.io", ScimToken::new("t"))
            .page_size(0)
            .build()
            .is_err()
    );

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
    let direct = ScimProvider::webflow(WebflowScimToken::new("w")).unwrap();
    assert_eq!(direct.info().capabilities, invite_scim::capabilities());
    let caps = invite_scim::capabilities();
    assert!(!caps.silent_invite && !caps.explicit_email && !caps.resend);
    assert!(caps.invite && caps.update_email && caps.update_grants && caps.deactivate);
}
