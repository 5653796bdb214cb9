//! Flatfile's own published examples (`fixtures/vendors/flatfile/`) as the oracle: for each
//! documented request the adapter must send exactly that request (method, path, headers,
//! body), and each documented answer, served by wiremock, must decode through the adapter's
//! real calls to the asserted normalized user.

#![cfg(test)]

use invite_core::{
    Email, EnsureOutcome, Invitation, InviteProvider, PersonName, UserDirectory, UserId, UserPatch,
    UserStatus, ensure_invited, parse_timestamp,
};
use invite_flatfile::{ActorRole, FlatfileConfig, FlatfileProvider};
use invite_testkit::{Documented, SeenRequest, all_documented, assert_request_matches, documented};
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every example this file checks; a new fixture must get a test here.
const CHECKED: &[&str] = &[
    "flatfile/assign-user-role",
    "flatfile/delete-user",
    "flatfile/get-current-account",
    "flatfile/get-user",
    "flatfile/invite-user",
    "flatfile/list-user-roles",
    "flatfile/list-users",
    "flatfile/remove-user-role",
    "flatfile/resend-invite",
    "flatfile/update-user",
];

/// The documented id of the example user, on which the per-user calls are made.
const USER: &str = "us_usr_YOUR_ID";

struct Setup {
    server: MockServer,
    ff: FlatfileProvider,
}

async fn setup() -> Setup {
    let server = MockServer::start().await;
    let config = FlatfileConfig::builder("sk_documented_s3cr3t")
        .api_url(server.uri())
        .default_actor_role("us_rol_YOUR_ID", "us_acc_YOUR_ID")
        .build()
        .unwrap();
    let ff = FlatfileProvider::from_config(config).unwrap();
    Setup { server, ff }
}

impl Setup {
    /// Answers `verb` requests to `route` with 200 and `body`.
    async fn answer(&self, verb: &str, route: &str, body: &Value) {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&self.server)
            .await;
    }

    /// The one request sent to `route`, as seen on the wire.
    async fn sent(&self, route: &str) -> SeenRequest {
        let received = self.server.received_requests().await.unwrap_or_default();
        let to_route: Vec<_> = received.iter().filter(|r| r.url.path() == route).collect();
        assert_eq!(to_route.len(), 1, "requests to {route}: {received:?}");
        SeenRequest::from(to_route[0])
    }
}

fn t(s: &str) -> OffsetDateTime {
    parse_timestamp(s).unwrap()
}

fn user_id() -> UserId {
    UserId::new(USER)
}

/// The example with its request body left out, for requests whose documented body the
/// adapter cannot send as is (see the fixture's note); the caller checks the body itself.
fn without_body(example: &Documented) -> Documented {
    let mut e = example.clone();
    if let Some(r) = e.request.as_mut() {
        r.body = None;
    }
    e
}

/// The field names of a JSON object.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// The documented `User`: `john.smith`, created and last seen at the same instant, i.e. an
/// invitee who has not been seen since the invitation.
fn assert_documented_user(u: &invite_core::User, raw: &Value) {
    assert_eq!(u.id.as_str(), USER);
    assert_eq!(u.status, UserStatus::Invited, "lastSeenAt == createdAt");
    assert_eq!(
        u.email.as_ref().map(Email::as_str),
        Some("john.smith@example.com")
    );
    assert_eq!(u.name.full().as_deref(), Some("john.smith"));
    assert_eq!(u.created_at, Some(t("2023-10-30T16:59:45.735Z")));
    assert_eq!(u.updated_at, Some(t("2023-10-30T16:59:45.735Z")));
    assert_eq!(u.last_login_at, None, "the creation stamp is not a login");
    assert_eq!(&u.raw, raw);
}

#[test]
fn every_example_is_checked() {
    let names: Vec<String> = all_documented("flatfile")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, CHECKED);
}

#[tokio::test]
async fn invite_sends_the_documented_request_and_reads_a_fresh_invitee() {
    let doc = documented("flatfile/invite-user");
    let s = setup().await;
    s.answer("POST", "/v1/users/invite", doc.response_body())
        .await;
    let invitation = Invitation::new(Email::parse("john.smith@example.com").unwrap())
        .with_name(PersonName::new("John", "Smith"))
        .with_grant(ActorRole::new("us_rol_YOUR_ID", "us_acc_YOUR_ID").into())
        .with_grant(ActorRole::new("us_rol_YOUR_ID", "us_env_YOUR_ID").into());
    let receipt = s.ff.invite(&invitation).await.unwrap();
    assert_request_matches(&doc, &s.sent("/v1/users/invite").await);

    let u = &receipt.user;
    assert_documented_user(u, &doc.response_body()["data"]);
    assert!(!receipt.already_member);
    assert_eq!(
        u.grants,
        vec![
            ActorRole::new("us_rol_YOUR_ID", "us_acc_YOUR_ID").into(),
            ActorRole::new("us_rol_YOUR_ID", "us_env_YOUR_ID").into(),
        ]
    );
}

#[tokio::test]
async fn find_by_email_sends_the_documented_filter_and_reads_an_invitee() {
    let doc = documented("flatfile/list-users");
    let s = setup().await;
    s.answer("GET", "/v1/users", doc.response_body()).await;
    let email = Email::parse("john.smith@example.com").unwrap();
    let found = s.ff.find_by_email(&email).await.unwrap().unwrap();
    assert_request_matches(&doc, &s.sent("/v1/users").await);
    assert_documented_user(&found, &doc.response_body()["data"][0]);
    assert!(found.grants.is_empty(), "list answers carry no roles");
}

/// The bug the example shows: a fresh invitee looked up by `ensure_invited` is reported
/// as an invitee who is already there, not as an active member.
#[tokio::test]
async fn ensure_invited_reports_a_documented_invitee_as_invited() {
    let doc = documented("flatfile/list-users");
    let s = setup().await;
    s.answer("GET", "/v1/users", doc.response_body()).await;
    let invitation = Invitation::new(Email::parse("john.smith@example.com").unwrap())
        .with_name(PersonName::new("John", "Smith"));
    match ensure_invited(&s.ff, &invitation).await.unwrap() {
        EnsureOutcome::AlreadyMember(u) => assert_eq!(u.status, UserStatus::Invited),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn get_sends_the_documented_request_and_reads_the_user() {
    let doc = documented("flatfile/get-user");
    let s = setup().await;
    let route = format!("/v1/users/{USER}");
    s.answer("GET", &route, doc.response_body()).await;
    let u = s.ff.get(&user_id()).await.unwrap();
    assert_request_matches(&doc, &s.sent(&route).await);
    assert_documented_user(&u, &doc.response_body()["data"]);
}

#[tokio::test]
async fn update_sends_the_documented_call_and_reads_the_placeholder_answer() {
    let doc = documented("flatfile/update-user");
    let s = setup().await;
    let route = format!("/v1/users/{USER}");
    s.answer("PATCH", &route, doc.response_body()).await;
    let patch = UserPatch::new().name(PersonName::new("John", "Smith"));
    let u = s.ff.update(&user_id(), &patch).await.unwrap();
    let seen = s.sent(&route).await;
    assert_request_matches(&without_body(&doc), &seen);
    // Only `UpdateUserRequest` fields (`name`, `dashboard`); the page's body is `{}`.
    assert_eq!(seen.body, Some(json!({"name": "John Smith"})));

    // The schema's placeholders decode leniently: "string" is no address.
    assert_eq!(u.id.as_str(), "string");
    assert_eq!(u.email, None);
    assert_eq!(u.name.full().as_deref(), Some("string"));
    assert_eq!(u.status, UserStatus::Invited, "lastSeenAt == createdAt");
    assert_eq!(u.created_at, Some(t("2023-01-01T00:00:00Z")));
    assert_eq!(u.last_login_at, None);
    assert_eq!(u.raw, doc.response_body()["data"]);
}

#[tokio::test]
async fn remove_sends_the_documented_request() {
    let doc = documented("flatfile/delete-user");
    let s = setup().await;
    let route = format!("/v1/users/{USER}");
    s.answer("DELETE", &route, doc.response_body()).await;
    s.ff.remove(&user_id()).await.unwrap();
    assert_request_matches(&doc, &s.sent(&route).await);
}

#[tokio::test]
async fn resend_sends_the_documented_request() {
    let doc = documented("flatfile/resend-invite");
    let s = setup().await;
    let route = format!("/v1/users/{USER}/resend-invite");
    s.answer("POST", &route, doc.response_body()).await;
    s.ff.resend(&user_id()).await.unwrap();
    let seen = s.sent(&route).await;
    assert_request_matches(&doc, &seen);
    assert_eq!(seen.body, None, "no body");
}

#[tokio::test]
async fn user_roles_sends_the_documented_request_and_reads_the_assignments() {
    let doc = documented("flatfile/list-user-roles");
    let s = setup().await;
    let route = format!("/v1/users/{USER}/roles");
    s.answer("GET", &route, doc.response_body()).await;
    let roles = s.ff.user_roles(&user_id()).await.unwrap();
    assert_request_matches(&doc, &s.sent(&route).await);
    assert_eq!(roles.len(), 2);
    for r in &roles {
        assert_eq!(
            (r.id.as_str(), r.role_id.as_str(), r.resource_id.as_str()),
            ("id", "roleId", "resourceId")
        );
        assert_eq!(r.actor_id.as_deref(), Some("actorId"));
        assert_eq!(r.created_at.as_deref(), Some("2024-01-15T09:30:00Z"));
        assert_eq!(r.updated_at.as_deref(), Some("2024-01-15T09:30:00Z"));
    }
}

#[tokio::test]
async fn assign_role_sends_the_documented_call() {
    let doc = documented("flatfile/assign-user-role");
    // No answer is published: a documented `ActorRoleResponse` (same fields) stands in.
    let item = documented("flatfile/list-user-roles").response_body()["data"][0].clone();
    let s = setup().await;
    let route = format!("/v1/users/{USER}/roles");
    s.answer("POST", &route, &json!({ "data": item })).await;
    let role = ActorRole::new("us_rol_YOUR_ID", "us_acc_YOUR_ID");
    let assigned = s.ff.assign_role(&user_id(), &role).await.unwrap();
    let seen = s.sent(&route).await;
    assert_request_matches(&without_body(&doc), &seen);
    let body = seen.body.unwrap();
    assert_eq!(keys(&body), keys(doc.request_body()));
    assert_eq!(
        body,
        json!({"roleId": "us_rol_YOUR_ID", "resourceId": "us_acc_YOUR_ID"})
    );
    assert_eq!(assigned.id, "id");
}

#[tokio::test]
async fn remove_actor_role_sends_the_documented_request() {
    let doc = documented("flatfile/remove-user-role");
    // No answer body is published: the SDK's `Success` stands in.
    let success = documented("flatfile/resend-invite").response_body().clone();
    let s = setup().await;
    let route = format!("/v1/users/{USER}/roles/us_acr_YOUR_ID");
    s.answer("DELETE", &route, &success).await;
    s.ff.remove_actor_role(&user_id(), "us_acr_YOUR_ID")
        .await
        .unwrap();
    assert_request_matches(&doc, &s.sent(&route).await);
}

#[tokio::test]
async fn current_account_sends_the_documented_request_and_reads_the_account() {
    let doc = documented("flatfile/get-current-account");
    let s = setup().await;
    s.answer("GET", "/v1/accounts/current", doc.response_body())
        .await;
    let account = s.ff.current_account().await.unwrap();
    // `X-Disable-Hooks: true` included: the page marks it required, the SDK sends it.
    assert_request_matches(&doc, &s.sent("/v1/accounts/current").await);
    assert_eq!(account.id, "us_acc_YOUR_ID");
    assert_eq!(account.name.as_deref(), Some("MyAccountName"));
    assert_eq!(account.default_environment_id, None);
    assert_eq!(account.raw, doc.response_body()["data"]);
}
