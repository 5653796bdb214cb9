//! The Webflow SCIM documented examples (`fixtures/vendors/webflow-scim/`): the adapter builds
//! every documented request (wiremock + `assert_request_matches`) and decodes the documented
//! answers to asserted normalized users and errors.

#![cfg(test)]

use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{Email, Error, Invitation, InviteProvider, PersonName, UserDirectory, UserId};
use invite_core::{ListQuery, UserPatch, UserStatus};
use invite_scim::webflow::{WebflowScimConfig, WebflowScimToken};
use invite_scim::{ScimProvider, SortPolicy};
use invite_testkit::{Documented, SeenRequest, all_documented, assert_request_matches, documented};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER_ID: &str = "2819c223-7f76-453a-919d-413861904646";
const GROUP_ID: &str = "e9e30dba-f08f-4109-8486-d5c6a331660a";

/// The Webflow preset pointed at `server` (same `/scim/v2` base path as Webflow's).
fn webflow(server: &MockServer) -> ScimProvider {
    WebflowScimConfig::new(WebflowScimToken::new("wf-scim-token"))
        .base_url(format!("{}/scim/v2", server.uri()))
        .client_options(ClientOptions::default().with_retry(RetryConfig::none()))
        .sort(SortPolicy::Never)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn scim(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/scim+json")
        .set_body_json(body)
}

fn user(id: &str, email: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id,
           "userName": email, "emails": [{"value": email, "primary": true}], "active": true})
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
           "totalResults": resources.len(), "startIndex": 1,
           "itemsPerPage": resources.len(), "Resources": resources})
}

/// A server answering every SCIM call the adapter makes, for a user `USER_ID`
/// (`a@b.com`) who belongs to no group.
async fn webflow_server() -> MockServer {
    let server = MockServer::start().await;
    let u = user(USER_ID, "a@b.com");
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "id": GROUP_ID, "displayName": "Designers", "members": []});
    for (verb, route, answer) in [
        ("GET", "/scim/v2/Users", scim(200, list(vec![u.clone()]))),
        ("POST", "/scim/v2/Users", scim(201, u.clone())),
        ("GET", "/scim/v2/Groups", scim(200, list(vec![group]))),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(answer)
            .mount(&server)
            .await;
    }
    for verb in ["GET", "PATCH"] {
        Mock::given(method(verb))
            .and(path_regex(r"^/scim/v2/Users/[^/]+$"))
            .respond_with(scim(200, u.clone()))
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path_regex(r"^/scim/v2/Users/[^/]+$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path_regex(r"^/scim/v2/Groups/[^/]+$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// The requests `server` received since the last call, as [`SeenRequest`]s.
async fn take_seen(server: &MockServer) -> Vec<SeenRequest> {
    let seen = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(SeenRequest::from)
        .collect();
    server.reset().await;
    seen
}

/// Asserts that one of `seen` is the request `example` documents (same method and a path
/// of the documented form), naming the example when none is.
fn assert_sent(example: &Documented, seen: &[SeenRequest]) {
    let doc = example.request();
    let candidate = seen.iter().find(|r| {
        r.method.eq_ignore_ascii_case(&doc.method)
            && r.path.split('/').count() == doc.path.split('/').count()
            && r.path
                .starts_with(doc.path.split('{').next().unwrap_or_default())
    });
    match candidate {
        Some(r) => assert_request_matches(example, r),
        None => panic!(
            "{}: the adapter sent no {} {} (sent: {:?})",
            example.file.display(),
            doc.method,
            doc.path,
            seen.iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
        ),
    }
}

/// Runs the adapter operation that each documented request stands for, and checks the
/// request it sent against the example. Every example with a request is covered.
#[tokio::test]
async fn adapter_builds_every_documented_request() {
    let examples = all_documented("webflow-scim");
    assert!(examples.len() >= 13, "{} examples", examples.len());
    let id = UserId::new(USER_ID);
    let email = Email::parse("a@b.com").unwrap_or_else(|e| panic!("{e}"));
    for (name, example) in examples.iter().filter(|(_, e)| e.request.is_some()) {
        let server = webflow_server().await;
        let p = webflow(&server);
        let short = name.trim_start_matches("webflow-scim/");
        let result = match short {
            "list-users" => p
                .list(ListQuery::default())
                .next()
                .await
                .unwrap_or_else(|| panic!("list-users: no user listed"))
                .map(|_| ()),
            "get-user" | "get-user-answer" => p.get(&id).await.map(|_| ()),
            "find-user-by-email" => p.find_by_email(&email).await.map(|_| ()),
            "provision-user" | "error-uniqueness" => {
                let inv = Invitation::new(email.clone()).with_name(PersonName::new("A", "B"));
                p.invite(&inv).await.map(|_| ())
            }
            "update-user" => {
                let patch = UserPatch::new().name(PersonName::new("Alice", "Smith"));
                p.update(&id, &patch).await.map(|_| ())
            }
            "deactivate-user" => p.deactivate(&id).await,
            "deprovision-user" => p.remove(&id).await,
            "list-groups" => p.adapter().groups_of(&id).await.map(|_| ()),
            "update-group-members" | "add-group-member" => {
                p.adapter().add_member(GROUP_ID, &id).await
            }
            "remove-group-member" => p.adapter().remove_member(GROUP_ID, &id).await,
            other => panic!("{other}: no adapter operation is mapped to this documented request"),
        };
        result.unwrap_or_else(|e| panic!("{short}: {e}"));
        assert_sent(example, &take_seen(&server).await);
    }
}

/// The RFC 7644 §3.4.1 answer decodes to the normalized user it describes.
#[tokio::test]
async fn documented_user_answer_decodes() {
    let example = documented("webflow-scim/get-user-answer");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/scim/v2/Users/{USER_ID}")))
        .respond_with(scim(200, example.response_body().clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .respond_with(scim(200, list(vec![])))
        .mount(&server)
        .await;
    let u = webflow(&server)
        .get(&UserId::new(USER_ID))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(u.id.as_str(), USER_ID);
    assert_eq!(
        u.email.as_ref().map(Email::as_str),
        Some("bjensen@example.com")
    );
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!(
        u.name,
        PersonName::new("Barbara", "Jensen").with_display("Ms. Barbara J Jensen III")
    );
    assert!(u.grants.is_empty());
    assert!(u.created_at.is_some());
    assert_eq!(u.raw.value(), example.response_body());
}

/// The RFC 7644 §3.12 error body (409 `uniqueness`) decodes to a conflict naming the detail.
#[tokio::test]
async fn documented_error_answer_decodes() {
    let example = documented("webflow-scim/error-uniqueness");
    let server = MockServer::start().await;
    let doc = example.response();
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(scim(doc.status, doc.body.clone()))
        .mount(&server)
        .await;
    let email = Email::parse("a@b.com").unwrap_or_else(|e| panic!("{e}"));
    let err = webflow(&server)
        .invite(&Invitation::new(email))
        .await
        .err()
        .unwrap_or_else(|| panic!("a 409 must fail the invite"));
    assert!(err.is_conflict(), "{err:?}");
    assert!(matches!(&err, Error::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("already exists"), "{err}");
}
