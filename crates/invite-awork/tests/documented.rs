//! awork's documented examples (`fixtures/vendors/awork/`, assembled from awork's OpenAPI
//! document) as the oracle: the adapter builds each documented request exactly, and decodes
//! each documented answer, served by wiremock, to an asserted normalized user or value.
//! A wire mapping that drifts from what awork documents fails here.

#![cfg(test)]

use futures::StreamExt;
use invite_awork::{AworkConfig, AworkGrant, AworkProvider, AworkToken};
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    Email, EmailDelivery, Error, GrantChange, Invitation, InvitationCode, InviteProvider,
    ListQuery, PersonName, Result, User, UserDirectory, UserId, UserPatch, UserStatus,
    parse_timestamp,
};
use invite_testkit::{Documented, SeenRequest, all_documented, assert_request_matches, documented};
use serde_json::json;
use time::OffsetDateTime;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "awk_documented_token_1f2e3d";
/// The uuid every example of awork's document uses (user, workspace, role and team ids).
const DOC_ID: &str = "123e4567-e89b-12d3-a456-426614174000";
/// A second team, for a join the documented user has not made yet.
const OTHER_TEAM: &str = "aaaaaaaa-0000-4000-8000-000000000001";
/// The documented timestamps (written from the schema's `date-time` format).
const DOC_TIME: &str = "2022-03-15T10:36:59.805Z";

/// The examples each test below checks; [`every_example_is_checked`] keeps the list whole.
const CHECKED: &[&str] = &[
    "accept-invitation",
    "activate-user",
    "add-team-users",
    "deactivate-user",
    "delete-user",
    "error-not-found",
    "error-validation",
    "get-user",
    "invite",
    "list-roles",
    "list-teams",
    "list-users",
    "me",
    "move-user-role",
    "remove-team-users",
    "update-user",
];

fn example(name: &str) -> Documented {
    documented(&format!("awork/{name}"))
}

/// A provider for the documented workspace, at the server's root (the documented paths are
/// relative to awork's base URL).
fn provider(server: &MockServer) -> AworkProvider {
    let config = AworkConfig::builder(AworkToken::new(TOKEN), DOC_ID)
        .base_url(server.uri())
        .options(ClientOptions::default().with_retry(RetryConfig::none()))
        .build()
        .unwrap();
    AworkProvider::from_config(config).unwrap()
}

/// The documented path as a regex: a `{placeholder}` segment matches any segment.
fn path_pattern(documented: &str) -> String {
    let segments: Vec<&str> = documented
        .split('/')
        .map(|s| if s.starts_with('{') { "[^/]+" } else { s })
        .collect();
    format!("^{}$", segments.join("/"))
}

/// The documented answer as wiremock sends it.
fn answer_of(example: &Documented) -> ResponseTemplate {
    let resp = example.response();
    let t = ResponseTemplate::new(resp.status);
    if resp.body.is_null() {
        t
    } else {
        t.set_body_json(resp.body.clone())
    }
}

/// Serves `example`'s documented answer on its documented method and path.
async fn serve(server: &MockServer, example: &Documented) {
    let doc = example.request();
    Mock::given(method(doc.method.as_str()))
        .and(path_regex(path_pattern(&doc.path)))
        .respond_with(answer_of(example))
        .mount(server)
        .await;
}

/// A server answering each of `examples`, and a provider pointed at it.
async fn serving(examples: &[&Documented]) -> (MockServer, AworkProvider) {
    let server = MockServer::start().await;
    for e in examples {
        serve(&server, e).await;
    }
    let p = provider(&server);
    (server, p)
}

/// The requests the server saw with `example`'s documented method and path.
async fn seen(server: &MockServer, example: &Documented) -> Vec<SeenRequest> {
    let doc = example.request();
    let fits = |path: &str| {
        let (want, got): (Vec<&str>, Vec<&str>) =
            (doc.path.split('/').collect(), path.split('/').collect());
        want.len() == got.len()
            && want
                .iter()
                .zip(&got)
                .all(|(w, g)| w == g || (w.starts_with('{') && !g.is_empty()))
    };
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(SeenRequest::from)
        .filter(|r| r.method == doc.method && fits(&r.path))
        .collect()
}

/// Exactly one request was sent for `example`, and it is the documented one.
async fn assert_sent_once(server: &MockServer, example: &Documented) {
    let seen = seen(server, example).await;
    assert_eq!(seen.len(), 1, "{}: {seen:?}", example.file.display());
    assert_request_matches(example, &seen[0]);
}

/// `get` of the documented user, answered by `example` (a `GET /users/{userId}`), which
/// must be the one request sent.
async fn get_answered_by(example: &Documented) -> Result<User> {
    let (server, p) = serving(&[example]).await;
    let got = p.get(&UserId::new(DOC_ID)).await;
    assert_sent_once(&server, example).await;
    got
}

fn at(s: &str) -> Option<OffsetDateTime> {
    parse_timestamp(s)
}

/// The documented `User` (Carla Creative, a pending invitee in team `DOC_ID`, with an
/// address but no email contact), normalized.
fn assert_documented_user(u: &User) {
    assert_eq!(u.id.as_str(), DOC_ID);
    assert_eq!(u.status, UserStatus::Invited, "invitationAccepted: false");
    assert_eq!(u.email, None, "the documented contact info is an address");
    assert_eq!(u.name.given.as_deref(), Some("Carla"));
    assert_eq!(u.name.family.as_deref(), Some("Creative"));
    assert_eq!(u.grants, vec![AworkGrant::team(DOC_ID)]);
    assert_eq!(u.created_at, at(DOC_TIME));
    assert_eq!(u.updated_at, at(DOC_TIME));
    assert!(u.created_at.is_some());
    assert_eq!(u.invited_at, None);
    // int64 above 2^53, kept exactly in the raw payload.
    assert_eq!(
        u.raw["resourceVersion"].as_i64(),
        Some(637_825_154_598_057_900)
    );
    assert_eq!(u.raw["title"], "Miss");
}

#[test]
fn every_example_is_checked() {
    let names: Vec<String> = all_documented("awork")
        .into_iter()
        .map(|(name, _)| name.trim_start_matches("awork/").to_owned())
        .collect();
    assert_eq!(
        names, CHECKED,
        "a documented example without a test, or gone"
    );
}

#[tokio::test]
async fn invite_builds_the_documented_request_and_reads_the_answer() {
    let e = example("invite");
    let (server, p) = serving(&[&e]).await;
    let body = e.request_body();
    let inv = Invitation::new(Email::parse(body["email"].as_str().unwrap()).unwrap())
        .with_name(PersonName::new("Carla", "Creative"))
        .with_grant(AworkGrant::role(DOC_ID))
        .with_attribute("title", json!("Miss"))
        .with_attribute("position", json!("Creative Director"))
        .with_attribute("gender", json!("female"))
        .with_delivery(EmailDelivery::Send);
    let before = OffsetDateTime::now_utc();
    let r = p.invite(&inv).await.unwrap();
    assert_sent_once(&server, &e).await;

    let u = &r.user;
    assert_eq!(u.id.as_str(), DOC_ID, "userId");
    assert_eq!(u.status, UserStatus::Invited);
    assert_eq!(
        u.email.as_ref().map(Email::as_str),
        Some("carla.creative@ncnstn.com")
    );
    assert_eq!(u.name.full().as_deref(), Some("Carla Creative"));
    assert_eq!(u.grants, vec![AworkGrant::role(DOC_ID)]);
    let invited = u.invited_at.unwrap();
    assert!(invited >= before && invited <= OffsetDateTime::now_utc());
    assert_eq!((u.created_at, u.updated_at), (None, None));
    assert_eq!(r.email_sent, Some(true), "skipSendingEmail: false");
    let code = r.invitation_code.as_ref().unwrap();
    assert_eq!(code.expose(), e.response_body()["invitationCode"]);
    let expires = r.code_expires_at.unwrap();
    assert!(expires >= invited + time::Duration::hours(24));
    // The answer is kept without its secrets.
    assert_eq!(u.raw["workspace"]["id"], DOC_ID);
    assert_eq!(u.raw["workspace"]["name"], "NCNSTN Creative Agency");
    assert!(u.raw.get("invitationCode").is_none());
    assert!(u.raw.get("passwordResetCode").is_none());
    assert!(!format!("{r:?}").contains("f84ab34="));
}

#[tokio::test]
async fn accept_sends_the_documented_code() {
    let e = example("accept-invitation");
    let (server, p) = serving(&[&e]).await;
    let code = e.request_body()["invitationCode"].as_str().unwrap();
    p.accept_invitation(&InvitationCode::new(code))
        .await
        .unwrap();
    assert_sent_once(&server, &e).await;
}

#[tokio::test]
async fn get_reads_the_documented_user() {
    let u = get_answered_by(&example("get-user")).await.unwrap();
    assert_documented_user(&u);
}

#[tokio::test]
async fn list_reads_the_documented_page() {
    let e = example("list-users");
    let (server, p) = serving(&[&e]).await;
    let users: Vec<User> = p
        .list(ListQuery::default())
        .map(Result::unwrap)
        .collect()
        .await;
    // One short page: the last.
    assert_sent_once(&server, &e).await;
    assert_eq!(users.len(), 1);
    assert_documented_user(&users[0]);
}

#[tokio::test]
async fn update_puts_the_documented_user_form() {
    let (get, put) = (example("get-user"), example("update-user"));
    let (server, p) = serving(&[&get, &put]).await;
    // Unchanged values: the form is the documented user's, as PUT replaces every field.
    let patch = UserPatch::new()
        .name(PersonName::new("Carla", "Creative"))
        .attribute("title", json!("Miss"));
    let u = p.update(&UserId::new(DOC_ID), &patch).await.unwrap();
    assert_documented_user(&u);
    // The one field the adapter re-sends differently: the documented birthDate is not a
    // valid date-time (docs/vendors/awork.md#trap-spec-examples-break-formats).
    let mut expected = put.clone();
    let body = expected.request.as_mut().unwrap().body.as_mut().unwrap();
    assert_eq!(body["birthDate"], "1998-04-19T00:00:000Z");
    body["birthDate"] = json!("1998-04-19T00:00:00Z");
    assert_sent_once(&server, &expected).await;
}

#[tokio::test]
async fn state_changes_send_the_documented_requests() {
    for name in ["deactivate-user", "activate-user", "delete-user"] {
        let e = example(name);
        let (server, p) = serving(&[&e]).await;
        let id = UserId::new(DOC_ID);
        match name {
            "deactivate-user" => p.deactivate(&id).await,
            "activate-user" => p.reactivate(&id).await,
            _ => p.remove(&id).await,
        }
        .unwrap();
        assert_sent_once(&server, &e).await;
        let sent = &seen(&server, &e).await[0];
        assert_eq!(sent.body, None, "{name}: no body");
    }
}

#[tokio::test]
async fn grant_changes_send_the_documented_requests() {
    let get = example("get-user");
    // The role: moved (awork's User carries none, so an added role is a move).
    let e = example("move-user-role");
    let (server, p) = serving(&[&get, &e]).await;
    let patch = UserPatch::new().grants(GrantChange::Add(vec![AworkGrant::role(DOC_ID)]));
    assert_documented_user(&p.update(&UserId::new(DOC_ID), &patch).await.unwrap());
    assert_sent_once(&server, &e).await;
    // A team joined, and the documented team left.
    for (name, change) in [
        (
            "add-team-users",
            GrantChange::Add(vec![AworkGrant::team(OTHER_TEAM)]),
        ),
        (
            "remove-team-users",
            GrantChange::Remove(vec![AworkGrant::team(DOC_ID)]),
        ),
    ] {
        let e = example(name);
        let (server, p) = serving(&[&get, &e]).await;
        let patch = UserPatch::new().grants(change);
        p.update(&UserId::new(DOC_ID), &patch).await.unwrap();
        assert_sent_once(&server, &e).await;
    }
}

#[tokio::test]
async fn me_reads_the_documented_user_and_workspace() {
    let e = example("me");
    let (server, p) = serving(&[&e]).await;
    let me = p.me().await.unwrap();
    assert_sent_once(&server, &e).await;
    assert_documented_user(&me.user);
    assert_eq!(me.workspace.id.as_deref(), Some(DOC_ID));
    assert_eq!(me.workspace.name.as_deref(), Some("NCNSTN"));
    assert_eq!(
        me.workspace.url.as_deref(),
        Some("https://ncnstn.awork.com")
    );
}

#[tokio::test]
async fn roles_and_teams_read_the_documented_lists() {
    let (roles, teams) = (example("list-roles"), example("list-teams"));
    let (server, p) = serving(&[&roles, &teams]).await;
    let r = p.list_roles(false).await.unwrap();
    assert_sent_once(&server, &roles).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].id.as_deref(), Some(DOC_ID));
    assert_eq!(r[0].name.as_deref(), Some("Designer"));
    assert_eq!(
        (r[0].is_admin_role, r[0].is_guest_role, r[0].is_archived),
        (Some(false), Some(false), Some(false))
    );
    let t = p.list_teams().await.unwrap();
    assert_sent_once(&server, &teams).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].id.as_deref(), Some(DOC_ID));
    assert_eq!(t[0].name.as_deref(), Some("Designers"));
    assert_eq!(
        (t[0].icon.as_deref(), t[0].color.as_deref()),
        (Some("image"), Some("purple"))
    );
    assert_eq!(t[0].user_ids, None);
}

#[tokio::test]
async fn documented_errors_map_with_their_facts() {
    let e = example("error-not-found");
    let err = get_answered_by(&e).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let body = e.response_body();
    assert_eq!(err.request_id(), body["traceId"].as_str());
    let d = err.detail().unwrap();
    assert_eq!(d.code.as_deref(), Some("not-found"));
    let message = d.message.clone().unwrap_or_default();
    assert!(
        message.contains("There is no matching path for this URL."),
        "{message}"
    );
    assert!(
        message.contains("No project with the id '123' exists."),
        "{message}"
    );

    // A validation answer (400) names the property and its message.
    let e = example("error-validation");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex("/deactivate$"))
        .respond_with(answer_of(&e))
        .mount(&server)
        .await;
    let err = provider(&server)
        .deactivate(&UserId::new(DOC_ID))
        .await
        .unwrap_err();
    let d = err.detail().unwrap();
    assert_eq!(
        (d.status, d.code.as_deref()),
        (Some(400), Some("not-found"))
    );
    let message = d.message.clone().unwrap_or_default();
    assert!(
        message.contains("FirstName: FirstName is required."),
        "{message}"
    );
}
