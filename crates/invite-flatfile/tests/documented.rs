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
/// The documented id of the example actor role assignment.
const ACTOR_ROLE: &str = "us_acr_YOUR_ID";
/// The ids the `{placeholders}` of the documented paths stand for.
const IDS: [(&str, &str); 2] = [("{userId}", USER), ("{actorRoleId}", ACTOR_ROLE)];

/// A server answering one documented call, a provider pointed at it, and the documented
/// example the call is checked against.
struct Exchange {
    server: MockServer,
    ff: FlatfileProvider,
    doc: Documented,
    route: String,
}

/// Serves example `name`'s documented answer.
async fn serve(name: &str) -> Exchange {
    let doc = documented(name);
    let answer = doc.response_body().clone();
    serve_answer(doc, &answer).await
}

/// Answers `doc`'s documented method and path, its placeholders filled in with [`IDS`],
/// with 200 and `answer`, expected once.
async fn serve_answer(doc: Documented, answer: &Value) -> Exchange {
    let route = IDS
        .iter()
        .fold(doc.request().path.clone(), |p, (k, v)| p.replace(k, v));
    assert!(!route.contains('{'), "{}: {route}", doc.file.display());
    let server = MockServer::start().await;
    Mock::given(method(doc.request().method.as_str()))
        .and(path(&route))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    let config = FlatfileConfig::builder("sk_documented_s3cr3t")
        .api_url(server.uri())
        .default_actor_role("us_rol_YOUR_ID", "us_acc_YOUR_ID")
        .build()
        .unwrap();
    let ff = FlatfileProvider::from_config(config).unwrap();
    Exchange {
        server,
        ff,
        doc,
        route,
    }
}

impl Exchange {
    /// The one request sent to the route, as seen on the wire.
    async fn sent(&self) -> SeenRequest {
        let route = &self.route;
        let received = self.server.received_requests().await.unwrap_or_default();
        let to_route: Vec<_> = received.iter().filter(|r| r.url.path() == route).collect();
        assert_eq!(to_route.len(), 1, "requests to {route}: {received:?}");
        SeenRequest::from(to_route[0])
    }

    /// The one request sent to the route, which is the documented request.
    async fn assert_sent(&self) -> SeenRequest {
        let seen = self.sent().await;
        assert_request_matches(&self.doc, &seen);
        seen
    }

    /// The one request sent to the route, which is the documented request but for its body:
    /// for requests whose documented body the adapter cannot send as is (see the fixture's
    /// note); the caller checks the body itself.
    async fn assert_sent_but_body(&self) -> SeenRequest {
        let mut doc = self.doc.clone();
        if let Some(r) = doc.request.as_mut() {
            r.body = None;
        }
        let seen = self.sent().await;
        assert_request_matches(&doc, &seen);
        seen
    }

    /// The documented answer.
    fn answer(&self) -> &Value {
        self.doc.response_body()
    }
}

fn t(s: &str) -> OffsetDateTime {
    parse_timestamp(s).unwrap()
}

fn user_id() -> UserId {
    UserId::new(USER)
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
    let s = serve("flatfile/invite-user").await;
    let invitation = Invitation::new(Email::parse("john.smith@example.com").unwrap())
        .with_name(PersonName::new("John", "Smith"))
        .with_grant(ActorRole::new("us_rol_YOUR_ID", "us_acc_YOUR_ID").into())
        .with_grant(ActorRole::new("us_rol_YOUR_ID", "us_env_YOUR_ID").into());
    let receipt = s.ff.invite(&invitation).await.unwrap();
    s.assert_sent().await;

    let u = &receipt.user;
    assert_documented_user(u, &s.answer()["data"]);
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
    let s = serve("flatfile/list-users").await;
    let email = Email::parse("john.smith@example.com").unwrap();
    let found = s.ff.find_by_email(&email).await.unwrap().unwrap();
    s.assert_sent().await;
    assert_documented_user(&found, &s.answer()["data"][0]);
    assert!(found.grants.is_empty(), "list answers carry no roles");
}

/// The bug the example shows: a fresh invitee looked up by `ensure_invited` is reported
/// as an invitee who is already there, not as an active member.
#[tokio::test]
async fn ensure_invited_reports_a_documented_invitee_as_invited() {
    let s = serve("flatfile/list-users").await;
    let invitation = Invitation::new(Email::parse("john.smith@example.com").unwrap())
        .with_name(PersonName::new("John", "Smith"));
    match ensure_invited(&s.ff, &invitation).await.unwrap() {
        EnsureOutcome::AlreadyMember(u) => assert_eq!(u.status, UserStatus::Invited),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn get_sends_the_documented_request_and_reads_the_user() {
    let s = serve("flatfile/get-user").await;
    let u = s.ff.get(&user_id()).await.unwrap();
    s.assert_sent().await;
    assert_documented_user(&u, &s.answer()["data"]);
}

#[tokio::test]
async fn update_sends_the_documented_call_and_reads_the_placeholder_answer() {
    let s = serve("flatfile/update-user").await;
    let patch = UserPatch::new().name(PersonName::new("John", "Smith"));
    let u = s.ff.update(&user_id(), &patch).await.unwrap();
    let seen = s.assert_sent_but_body().await;
    // Only `UpdateUserRequest` fields (`name`, `dashboard`); the page's body is `{}`.
    assert_eq!(seen.body, Some(json!({"name": "John Smith"})));

    // The schema's placeholders decode leniently: "string" is no address.
    assert_eq!(u.id.as_str(), "string");
    assert_eq!(u.email, None);
    assert_eq!(u.name.full().as_deref(), Some("string"));
    assert_eq!(u.status, UserStatus::Invited, "lastSeenAt == createdAt");
    assert_eq!(u.created_at, Some(t("2023-01-01T00:00:00Z")));
    assert_eq!(u.last_login_at, None);
    assert_eq!(u.raw, s.answer()["data"]);
}

#[tokio::test]
async fn remove_sends_the_documented_request() {
    let s = serve("flatfile/delete-user").await;
    s.ff.remove(&user_id()).await.unwrap();
    s.assert_sent().await;
}

#[tokio::test]
async fn resend_sends_the_documented_request() {
    let s = serve("flatfile/resend-invite").await;
    s.ff.resend(&user_id()).await.unwrap();
    assert_eq!(s.assert_sent().await.body, None, "no body");
}

#[tokio::test]
async fn user_roles_sends_the_documented_request_and_reads_the_assignments() {
    let s = serve("flatfile/list-user-roles").await;
    let roles = s.ff.user_roles(&user_id()).await.unwrap();
    s.assert_sent().await;
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
    let documented_body = doc.request_body().clone();
    // No answer is published: a documented `ActorRoleResponse` (same fields) stands in.
    let item = documented("flatfile/list-user-roles").response_body()["data"][0].clone();
    let s = serve_answer(doc, &json!({ "data": item })).await;
    let role = ActorRole::new("us_rol_YOUR_ID", "us_acc_YOUR_ID");
    let assigned = s.ff.assign_role(&user_id(), &role).await.unwrap();
    let body = s.assert_sent_but_body().await.body.unwrap();
    assert_eq!(keys(&body), keys(&documented_body));
    assert_eq!(
        body,
        json!({"roleId": "us_rol_YOUR_ID", "resourceId": "us_acc_YOUR_ID"})
    );
    assert_eq!(assigned.id, "id");
}

#[tokio::test]
async fn remove_actor_role_sends_the_documented_request() {
    // No answer body is published: the SDK's `Success` stands in.
    let success = documented("flatfile/resend-invite").response_body().clone();
    let s = serve_answer(documented("flatfile/remove-user-role"), &success).await;
    s.ff.remove_actor_role(&user_id(), ACTOR_ROLE)
        .await
        .unwrap();
    s.assert_sent().await;
}

#[tokio::test]
async fn current_account_sends_the_documented_request_and_reads_the_account() {
    let s = serve("flatfile/get-current-account").await;
    let account = s.ff.current_account().await.unwrap();
    // `X-Disable-Hooks: true` included: the page marks it required, the SDK sends it.
    s.assert_sent().await;
    assert_eq!(account.id, "us_acc_YOUR_ID");
    assert_eq!(account.name.as_deref(), Some("MyAccountName"));
    assert_eq!(account.default_environment_id, None);
    assert_eq!(account.raw, s.answer()["data"]);
}
