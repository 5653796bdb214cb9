//! Exact wire-level tests against a wiremock server: every call's method, path, query,
//! headers and JSON body (field names as in awork's OpenAPI document), every error shape,
//! refusals that send nothing, and secrets kept out of everything shown.

#![cfg(test)]

use std::fmt::Debug;

use futures::StreamExt;
use invite_awork::{AworkConfig, AworkConfigBuilder, AworkGrant, AworkProvider, AworkToken};
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    Email, EmailDelivery, Error, Grant, GrantChange, GrantKind, Invitation, InvitationCode,
    InviteProvider, ListQuery, PersonName, Result, UserDirectory, UserId, UserPatch, UserStatus,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::matchers::{
    bearer_token, body_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

const TOKEN: &str = "awk_test_token_9f8e7d6c5b4a";
const WS: &str = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
const ROLE: &str = "11111111-2222-4333-8444-555555555555";
const ROLE2: &str = "99999999-2222-4333-8444-555555555555";
const TEAM_A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const TEAM_B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const USER: &str = "c0ffee00-1234-4abc-9def-0123456789ab";
const CODE: &str = "Zm9vYmFyc2VjcmV0Y29kZQ==";
const RESET_CODE: &str = "cmVzZXRzZWNyZXQ";
/// Three more users, for the list pages.
const USERS: [&str; 3] = [
    "10000000-0000-4000-8000-000000000001",
    "20000000-0000-4000-8000-000000000002",
    "30000000-0000-4000-8000-000000000003",
];

// ---- shared support ----

fn builder(server: &MockServer) -> AworkConfigBuilder {
    AworkConfig::builder(AworkToken::new(TOKEN), WS)
        .base_url(format!("{}/api/v1", server.uri()))
        .options(ClientOptions::default().with_retry(RetryConfig::none()))
}

fn provider_with(b: AworkConfigBuilder) -> AworkProvider {
    AworkProvider::from_config(b.build().unwrap()).unwrap()
}

fn provider(server: &MockServer) -> AworkProvider {
    provider_with(builder(server))
}

/// A server and a provider pointed at it.
async fn start() -> (MockServer, AworkProvider) {
    let server = MockServer::start().await;
    let p = provider(&server);
    (server, p)
}

/// A mock of `verb route` (the route below `/api/v1`).
fn on(verb: &str, route: impl AsRef<str>) -> MockBuilder {
    Mock::given(method(verb)).and(path(format!("/api/v1{}", route.as_ref())))
}

/// Mounts `verb route` answering `answer`, expected once.
async fn answer_once(
    server: &MockServer,
    verb: &str,
    route: impl AsRef<str>,
    answer: ResponseTemplate,
) {
    on(verb, route)
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn user_route() -> String {
    format!("/users/{USER}")
}

fn id() -> UserId {
    UserId::new(USER)
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn user_json(id: &str, mail: &str, accepted: bool) -> Value {
    json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "birthDate": "1998-04-19T00:00:000Z",
        "gender": "female",
        "title": "Dr.",
        "position": "Engineer",
        "language": "en-GB",
        "id": id,
        "status": {"invitationAccepted": accepted, "isDeactivated": false},
        "createdOn": "2024-05-20T13:46:12.093Z",
        "createdBy": USER,
        "updatedOn": "2024-05-21T08:00:00Z",
        "updatedBy": USER,
        "isArchived": false,
        "isDeactivated": false,
        "deactivatedOn": null,
        "deletedOn": null,
        "hasImage": false,
        "shouldMigrateToConnect": false,
        "userContactInfos": [
            {"type": "phone", "subType": "work", "value": "+49 40 123", "id": "d1d1d1d1-0000-4000-8000-000000000000"},
            {"type": "email", "subType": "work", "value": mail, "id": "e1e1e1e1-0000-4000-8000-000000000000"}
        ],
        "resourceVersion": 637825154598057901i64,
        "tags": [],
        "teams": [{"id": TEAM_A, "name": "Design", "icon": "brush", "color": "red"}],
        "isExternal": false
    })
}

/// `GET /users/{USER}` answering Ada (team [`TEAM_A`]), expected `times` times.
async fn serve_user(server: &MockServer, times: u64) {
    on("GET", user_route())
        .respond_with(ok(user_json(USER, "ada@example.com", true)))
        .expect(times)
        .mount(server)
        .await;
}

fn error_body(code: &str, description: &str) -> Value {
    json!({
        "code": code,
        "description": description,
        "link": "https://developers.awork.com",
        "details": null,
        "validationErrors": null,
        "traceId": "trace-42"
    })
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

/// The field an `InvalidInput` names.
fn invalid_field<T: Debug>(r: Result<T>) -> String {
    match r {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

fn is_unsupported<T>(r: Result<T>) -> bool {
    matches!(r, Err(Error::Unsupported { .. }))
}

/// Neither the error nor its debug form shows any of `secrets`.
fn assert_hides(err: &Error, secrets: &[&str]) {
    let shown = format!("{err:?} {err}");
    for s in secrets {
        assert!(!shown.contains(s), "{s} shown in {shown}");
    }
}

// ---- invite ----

/// Answers `POST /invitations` with `answer` (once) and invites dup@example.com: the error.
async fn invite_answered(
    server: &MockServer,
    p: &AworkProvider,
    answer: ResponseTemplate,
) -> Error {
    answer_once(server, "POST", "/invitations", answer).await;
    let inv = Invitation::new(email("dup@example.com"));
    p.invite(&inv).await.unwrap_err()
}

#[tokio::test]
async fn invite_sends_the_spec_fields_and_returns_a_receipt() {
    let (server, p) = start().await;
    on("POST", "/invitations")
        .and(bearer_token(TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "workspaceId": WS,
            "invitationFlow": "invite",
            "email": "Ada@Example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "title": "Dr.",
            "position": "Engineer",
            "gender": "female",
            "roleId": ROLE,
            "teamIds": [TEAM_A, TEAM_B],
            "skipSendingEmail": true
        })))
        .respond_with(ok(json!({
            "invitationCode": CODE,
            "passwordResetCode": "cmVzZXRzZWNyZXQ=",
            "userId": USER,
            "workspace": {"id": WS, "name": "Acme", "memberCount": 3}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let inv = Invitation::new(email("Ada@Example.com"))
        .with_name(PersonName::new("Ada", "Lovelace"))
        .with_grant(AworkGrant::role(ROLE))
        .with_grant(AworkGrant::team(TEAM_A))
        .with_grant(AworkGrant::team(TEAM_B))
        .with_attribute("title", json!("Dr."))
        .with_attribute("position", json!("Engineer"))
        .with_attribute("gender", json!("female"))
        .with_delivery(EmailDelivery::Suppress);
    let before = OffsetDateTime::now_utc();
    let r = p.invite(&inv).await.unwrap();
    assert_eq!(r.user.id.as_str(), USER);
    assert_eq!(r.user.status, UserStatus::Invited);
    assert!(r.user.has_email(&email("ada@example.com")));
    assert_eq!(r.email_sent, Some(false));
    assert!(!r.already_member);
    assert_eq!(r.invitation_code.as_ref().unwrap().expose(), CODE);
    let exp = r.code_expires_at.unwrap();
    assert!(exp >= before + time::Duration::hours(24) - time::Duration::seconds(1));
    assert!(exp <= OffsetDateTime::now_utc() + time::Duration::hours(24));
    assert_eq!(r.user.raw["workspace"]["id"], WS);
    assert_eq!(r.user.raw["userId"], USER);
    assert!(r.user.raw.get("invitationCode").is_none());
    assert!(r.user.raw.get("passwordResetCode").is_none());
    assert!(r.user.grants.contains(&AworkGrant::role(ROLE)));
    let shown = format!("{r:?}");
    assert!(
        !shown.contains(CODE) && !shown.contains(RESET_CODE),
        "{shown}"
    );
}

#[tokio::test]
async fn invite_uses_configured_defaults_and_email_flag() {
    let server = MockServer::start().await;
    for delivery in [EmailDelivery::Send, EmailDelivery::VendorDefault] {
        server.reset().await;
        on("POST", "/invitations")
            .and(body_json(json!({
                "workspaceId": WS,
                "invitationFlow": "invite",
                "email": "bob@example.com",
                "roleId": ROLE,
                "teamIds": [TEAM_B],
                "skipSendingEmail": false
            })))
            .respond_with(ok(json!({"invitationCode": null, "userId": USER})))
            .expect(1)
            .mount(&server)
            .await;
        let p = provider_with(
            builder(&server)
                .default_role_id(ROLE)
                .default_team_ids([TEAM_B.to_owned()]),
        );
        let inv = Invitation::new(email("bob@example.com")).with_delivery(delivery);
        let r = p.invite(&inv).await.unwrap();
        assert_eq!(r.email_sent, Some(true));
        assert!(r.invitation_code.is_none());
        server.verify().await;
    }
}

#[tokio::test]
async fn invite_input_errors_send_nothing() {
    let (server, p) = start().await;
    let base = Invitation::new(email("c@example.com"));
    let cases: Vec<(Invitation, &str)> = vec![
        (
            base.clone().with_grant(AworkGrant::role("../x")),
            "grants[0].role_id",
        ),
        (
            base.clone().with_grant(AworkGrant::team("a/b")),
            "grants[0].team_id",
        ),
        (
            base.clone()
                .with_grant(AworkGrant::role(ROLE))
                .with_grant(AworkGrant::role(ROLE2)),
            "grants[1]",
        ),
        (
            base.clone().with_attribute("gender", json!("robot")),
            "attributes.gender",
        ),
        (
            base.clone().with_attribute("title", json!(42)),
            "attributes.title",
        ),
        (
            base.clone().with_attribute("title", json!("x".repeat(101))),
            "attributes.title",
        ),
        (
            base.clone().with_attribute("password", json!("hunter2")),
            "attributes.password",
        ),
    ];
    for (inv, field) in cases {
        assert_eq!(invalid_field(p.invite(&inv).await), field);
    }
    let foreign = Grant::new(GrantKind::new("scim_group")).with("group_id", "g");
    assert!(is_unsupported(p.invite(&base.with_grant(foreign)).await));
    assert!(is_unsupported(p.resend(&id()).await));
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn duplicate_invite_is_conflict_with_vendor_facts() {
    let (server, p) = start().await;
    let mut body = error_body(
        "user-already-in-workspace",
        "A user with this email address is already a member of the workspace.",
    );
    body["details"] = json!(["The email 'dup@example.com' is already in use."]);
    let answer = ResponseTemplate::new(400).set_body_json(body);
    let err = invite_answered(&server, &p, answer).await;
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.vendor_code(), Some("user-already-in-workspace"));
    assert_eq!(err.request_id(), Some("trace-42"));
    let s = err.to_string();
    assert!(
        s.contains("already a member") && s.contains("already in use"),
        "{s}"
    );
}

#[tokio::test]
async fn undecodable_invite_answer_is_uncertain_and_hides_the_code() {
    let (server, p) = start().await;
    // A cut-off answer (not JSON, but it carries both secrets), then a well-formed answer
    // without a userId, which cannot be tied to anyone: both uncertain.
    let cut = format!(
        r#"{{"invitationCode":"{CODE}","passwordResetCode":"cmVzZXRzZWNyZXQ=","userId":"{USER}","workspace":{{"id""#
    );
    for (answer, excerpt_has_user) in [
        (ResponseTemplate::new(200).set_body_string(cut), true),
        (ok(json!({"invitationCode": CODE})), false),
    ] {
        server.reset().await;
        let err = invite_answered(&server, &p, answer).await;
        assert!(err.is_uncertain(), "{err:?}");
        if excerpt_has_user {
            let excerpt = err.detail().unwrap().body_excerpt.clone().unwrap();
            assert!(excerpt.contains(USER), "{excerpt}");
        }
        assert_hides(&err, &[CODE, RESET_CODE]);
        server.verify().await;
    }
}

#[tokio::test]
async fn accept_invitation_posts_the_code_and_hides_it_in_errors() {
    let (server, p) = start().await;
    on("POST", "/invitations/accept")
        .and(bearer_token(TOKEN))
        .and(body_json(json!({"invitationCode": CODE})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    p.accept_invitation(&InvitationCode::new(CODE))
        .await
        .unwrap();
    server.verify().await;

    server.reset().await;
    let refusal = error_body(
        "invalid-invitation-code",
        &format!("The invitation code {CODE} is invalid or has already been used."),
    );
    let answer = ResponseTemplate::new(400).set_body_json(refusal);
    answer_once(&server, "POST", "/invitations/accept", answer).await;
    let err = p
        .accept_invitation(&InvitationCode::new(CODE))
        .await
        .unwrap_err();
    assert_eq!(err.vendor_code(), Some("invalid-invitation-code"));
    assert!(matches!(err, Error::Vendor(_)), "{err:?}");
    assert_hides(&err, &[CODE]);
    assert_eq!(
        invalid_field(p.accept_invitation(&InvitationCode::new(" ")).await),
        "invitation_code"
    );
}

// ---- get, ids, errors, state changes ----

#[tokio::test]
async fn get_maps_the_user() {
    let (server, p) = start().await;
    on("GET", user_route())
        .and(bearer_token(TOKEN))
        .and(header("accept", "application/json"))
        .respond_with(ok(user_json(USER, "Ada@Example.com", true)))
        .expect(1)
        .mount(&server)
        .await;
    let u = p.get(&id()).await.unwrap();
    assert_eq!(u.id.as_str(), USER);
    assert!(u.has_email(&email("ada@example.com")));
    assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!(u.grants, vec![AworkGrant::team(TEAM_A)]);
    assert!(u.created_at.is_some() && u.updated_at.is_some());
    // resourceVersion above 2^53 survives exactly in raw.
    assert_eq!(u.raw["resourceVersion"].as_i64(), Some(637825154598057901));
}

#[tokio::test]
async fn invited_and_removed_users_map_to_status() {
    let (server, p) = start().await;
    let mut deleted = user_json(USER, "x@example.com", true);
    deleted["deletedOn"] = json!("2024-06-01T10:00:00Z");
    let invited = "d0d0d0d0-1234-4abc-9def-0123456789ab";
    for (user, body, status) in [
        (USER, deleted, UserStatus::Deactivated),
        (
            invited,
            user_json(invited, "y@example.com", false),
            UserStatus::Invited,
        ),
    ] {
        on("GET", format!("/users/{user}"))
            .respond_with(ok(body.clone()))
            .mount(&server)
            .await;
        let u = p.get(&UserId::new(user)).await.unwrap();
        assert_eq!(u.status, status);
        assert_eq!(u.raw["deletedOn"], body["deletedOn"]);
    }
}

/// Ids are refused before anything is sent: by the pipeline (empty, `..`) or as not a UUID
/// by the adapter; both name the argument `id`.
#[tokio::test]
async fn hostile_ids_are_refused_before_sending() {
    let (server, p) = start().await;
    for id in [
        "../x",
        "a/b",
        "a?b",
        "%2F",
        "..",
        "",
        "c0ffee00-1234-4abc-9def-0123456789a/",
    ] {
        let id = UserId::new(id);
        let name = UserPatch::new().name(PersonName::new("A", "B"));
        let team = UserPatch::new().grants(GrantChange::Add(vec![AworkGrant::team(TEAM_A)]));
        for r in [
            p.get(&id).await.map(|_| ()),
            p.deactivate(&id).await,
            p.reactivate(&id).await,
            p.remove(&id).await,
            p.update(&id, &name).await.map(|_| ()),
            p.update(&id, &team).await.map(|_| ()),
        ] {
            assert_eq!(invalid_field(r), "id", "{id}");
        }
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn get_unknown_is_not_found_with_trace_id() {
    let (server, p) = start().await;
    let mut body = error_body("not-found", "The user could not be found.");
    body["details"] = json!([format!("No user with the id '{USER}' exists.")]);
    let answer = ResponseTemplate::new(404).set_body_json(body);
    answer_once(&server, "GET", user_route(), answer).await;
    let err = p.get(&id()).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.vendor_code(), Some("not-found"));
    assert_eq!(err.request_id(), Some("trace-42"));
    assert!(err.to_string().contains("could not be found"));
    assert_hides(&err, &[TOKEN]);
}

#[tokio::test]
async fn error_statuses_map_to_variants() {
    let (server, p) = start().await;
    let validation = json!({
        "code": "validation-error",
        "description": "One or more validation errors occurred.",
        "link": "https://developers.awork.com",
        "validationErrors": [{"property": "FirstName", "message": "FirstName is required."}]
    });
    let cases: Vec<(u16, Value, &str)> = vec![
        (
            401,
            error_body("unauthorized", "Token expired."),
            "unauthorized",
        ),
        (
            403,
            error_body("forbidden", "Missing permission."),
            "forbidden",
        ),
        (400, validation, "vendor"),
        (
            400,
            error_body("last-admin", "The last admin cannot be deactivated."),
            "vendor",
        ),
        (
            402,
            error_body("payment-required", "No free seats."),
            "vendor",
        ),
        (409, error_body("conflict", "Conflict."), "conflict"),
        (429, json!({"error": "rate_limit"}), "rate_limited"),
        (502, json!("<html>bad gateway</html>"), "vendor"),
    ];
    for (status, body, kind) in cases {
        server.reset().await;
        on("POST", format!("/users/{USER}/deactivate"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(body.clone())
                    .insert_header("Retry-After", "0"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let err = p.deactivate(&id()).await.unwrap_err();
        assert_eq!(err.kind_name(), kind, "{status}: {err:?}");
        assert_eq!(err.status(), Some(status));
        if let Some(code) = body.get("code").and_then(Value::as_str) {
            assert_eq!(err.vendor_code(), Some(code));
        }
        if status == 400 && body["code"] == "validation-error" {
            assert!(
                err.to_string()
                    .contains("FirstName: FirstName is required.")
            );
        }
        server.verify().await;
    }
}

#[tokio::test]
async fn state_changes_post_to_their_routes() {
    let (server, p) = start().await;
    for (verb, route) in [
        ("POST", format!("/users/{USER}/deactivate")),
        ("POST", format!("/users/{USER}/activate")),
        ("DELETE", user_route()),
    ] {
        on(verb, route)
            .and(bearer_token(TOKEN))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    p.deactivate(&id()).await.unwrap();
    p.reactivate(&id()).await.unwrap();
    p.remove(&id()).await.unwrap();
}

#[tokio::test]
async fn deactivate_is_retried_as_idempotent() {
    let server = MockServer::start().await;
    for (status, first_only) in [(503, true), (204, false)] {
        let mock = on("POST", format!("/users/{USER}/deactivate"));
        let mock = mock.respond_with(ResponseTemplate::new(status));
        let mock = if first_only {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.expect(1).mount(&server).await;
    }
    let retry = RetryConfig::default()
        .with_max_retries(2)
        .with_jitter(false)
        .with_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        );
    let p = provider_with(builder(&server).options(ClientOptions::default().with_retry(retry)));
    p.deactivate(&id()).await.unwrap();
}

// ---- list and find ----

fn users_page(ids: &[&str]) -> Value {
    Value::Array(
        ids.iter()
            .enumerate()
            .map(|(i, id)| user_json(id, &format!("user{i}-{}@example.com", &id[..4]), true))
            .collect(),
    )
}

/// `GET /users?page={page}&pageSize={size}` (with `showArchived=true` when `archived`, else
/// without it) answering `body`, expected `times` times.
async fn serve_users(
    server: &MockServer,
    (page, size, archived): (u32, u32, bool),
    body: Value,
    times: u64,
) {
    let mock = on("GET", "/users")
        .and(query_param("page", page.to_string()))
        .and(query_param("pageSize", size.to_string()));
    let mock = if archived {
        mock.and(query_param("showArchived", "true"))
    } else {
        mock.and(query_param_is_missing("showArchived"))
    };
    mock.respond_with(ok(body))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn list_pages_lazily_and_stops_on_a_short_page() {
    let (server, p) = start().await;
    serve_users(&server, (1, 2, false), users_page(&[USERS[0], USERS[1]]), 1).await;
    serve_users(&server, (2, 2, false), users_page(&[USERS[2]]), 1).await;
    let mut stream = p.list(ListQuery::new().page_size(2));
    assert_eq!(requests(&server).await, 0, "nothing fetched before polling");
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id.as_str(), USERS[0]);
    assert_eq!(requests(&server).await, 1);
    let rest: Vec<_> = stream.map(|r| r.unwrap().id).collect().await;
    assert_eq!(rest, vec![UserId::new(USERS[1]), UserId::new(USERS[2])]);
}

#[tokio::test]
async fn list_inactive_shows_archived_and_caps_page_size() {
    let (server, p) = start().await;
    let mut deleted = user_json(USERS[0], "gone@example.com", true);
    deleted["deletedOn"] = json!("2024-01-01T00:00:00Z");
    serve_users(&server, (1, 100, true), json!([deleted]), 1).await;
    let all: Vec<_> = p
        .list(ListQuery::new().page_size(5000).include_inactive(true))
        .map(|r| r.unwrap())
        .collect()
        .await;
    // Inactive accounts asked for: a removed one is listed, as removed.
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, UserStatus::Deactivated);
}

#[tokio::test]
async fn list_error_is_yielded_once() {
    let (server, p) = start().await;
    let answer = ResponseTemplate::new(401).set_body_json(error_body("unauthorized", "Bad token."));
    answer_once(&server, "GET", "/users", answer).await;
    let all: Vec<_> = p.list(ListQuery::new()).collect().await;
    assert_eq!(all.len(), 1);
    assert!(matches!(all[0], Err(Error::Unauthorized(_))));
}

/// The pipeline scans the whole list (`showArchived=true`: an archived member is still a
/// member) page by page, matching the address without regard to case; a live account wins
/// over a removed one with the same address.
#[tokio::test]
async fn find_by_email_pages_through_users_ignoring_case() {
    let (server, p) = start().await;
    let mut page1: Vec<Value> = (0..100)
        .map(|i| {
            user_json(
                &format!("00000000-0000-4000-8000-{i:012}"),
                &format!("other{i}@example.com"),
                true,
            )
        })
        .collect();
    let mut gone = user_json(USERS[0], "Target@Example.com", true);
    gone["deletedOn"] = json!("2024-01-01T00:00:00Z");
    page1[7] = gone;
    serve_users(&server, (1, 100, true), Value::Array(page1), 2).await;
    let page2 = json!([user_json(USERS[1], "target@example.COM", false)]);
    serve_users(&server, (2, 100, true), page2, 2).await;
    let found = p
        .find_by_email(&email("TARGET@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_str(), USERS[1]);
    assert_eq!(found.status, UserStatus::Invited);
    assert!(
        p.find_by_email(&email("nobody@example.com"))
            .await
            .unwrap()
            .is_none()
    );
}

// ---- update ----

/// A PUT of the full `UserForm`: Ada's current fields with `changes` applied.
fn user_form(changes: Value) -> Value {
    let mut form = json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "birthDate": "1998-04-19T00:00:00Z",
        "gender": "female",
        "title": "Dr.",
        "position": "Engineer",
        "language": "en-GB"
    });
    for (k, v) in changes.as_object().into_iter().flatten() {
        form[k] = v.clone();
    }
    form
}

#[tokio::test]
async fn profile_updates_put_the_full_user_form() {
    let server = MockServer::start().await;
    let grace = || UserPatch::new().name(PersonName::new("Grace", "Hopper"));
    let cases = [
        (
            grace().attribute("position", json!("Admiral")),
            json!({"firstName": "Grace", "lastName": "Hopper", "position": "Admiral"}),
        ),
        // `null` clears an attribute.
        (
            UserPatch::new().attribute("title", Value::Null),
            json!({"title": null}),
        ),
    ];
    for (patch, changes) in cases {
        server.reset().await;
        serve_user(&server, 1).await;
        let mut after = user_json(USER, "ada@example.com", true);
        for (k, v) in changes.as_object().into_iter().flatten() {
            after[k] = v.clone();
        }
        on("PUT", user_route())
            .and(bearer_token(TOKEN))
            .and(body_json(user_form(changes)))
            .respond_with(ok(after.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let u = provider(&server).update(&id(), &patch).await.unwrap();
        assert_eq!(u.raw, after);
        let name = |k: &str| after[k].as_str().unwrap().to_owned();
        let full = format!("{} {}", name("firstName"), name("lastName"));
        assert_eq!(u.name.full(), Some(full));
        server.verify().await;
    }
}

/// A `POST` the update is expected to send: route and JSON body.
type Post = (String, Value);

/// A grant change reads the user's teams (GET), moves the role and joins and leaves teams
/// as the plan says, then answers the user read again (GET), or, with a profile change, as
/// the `UserForm` PUT answers it (after a GET of the current form). A change that changes
/// nothing writes nothing: the user is read and answered as read.
#[tokio::test]
async fn grant_updates_send_only_what_changes() {
    let server = MockServer::start().await;
    let role = |r: &str| AworkGrant::role(r);
    let team = |t: &str| AworkGrant::team(t);
    let moves = |r: &str| -> Post {
        let body = json!({"userId": USER, "toRoleId": r});
        ("/roles/moveuser".into(), body)
    };
    let joins = |t: &str| -> Post { (format!("/teams/{t}/addusers"), json!([USER])) };
    let leaves = |t: &str| -> Post { (format!("/teams/{t}/removeusers"), json!([USER])) };
    let grants = |c: GrantChange| UserPatch::new().grants(c);
    // The user is in TEAM_A.
    let cases: Vec<(UserPatch, Vec<Post>)> = vec![
        (
            grants(GrantChange::Replace(vec![role(ROLE2), team(TEAM_B)])),
            vec![moves(ROLE2), joins(TEAM_B), leaves(TEAM_A)],
        ),
        // Adding a team the user already has sends nothing for it.
        (
            grants(GrantChange::Add(vec![team(TEAM_A), team(TEAM_B)])),
            vec![joins(TEAM_B)],
        ),
        // Removing a team the user is not in sends nothing for it.
        (
            grants(GrantChange::Remove(vec![team(TEAM_A), team(TEAM_B)])),
            vec![leaves(TEAM_A)],
        ),
        // Nothing to change.
        (grants(GrantChange::Add(vec![team(TEAM_A)])), vec![]),
        // With a profile change: teams first, then the current form and the PUT.
        (
            grants(GrantChange::Replace(vec![team(TEAM_B)]))
                .attribute("position", json!("Admiral")),
            vec![joins(TEAM_B), leaves(TEAM_A)],
        ),
    ];
    for (patch, posts) in cases {
        server.reset().await;
        serve_user(&server, 2).await;
        let profile = !patch.attributes.is_empty();
        if profile {
            on("PUT", user_route())
                .and(body_json(user_form(json!({"position": "Admiral"}))))
                .respond_with(ok(user_json(USER, "ada@example.com", true)))
                .expect(1)
                .mount(&server)
                .await;
        }
        let sent = 2 + posts.len() + usize::from(profile);
        for (route, body) in posts {
            let status = if route.ends_with("removeusers") {
                204
            } else {
                200
            };
            on("POST", route)
                .and(bearer_token(TOKEN))
                .and(body_json(body))
                .respond_with(ResponseTemplate::new(status))
                .expect(1)
                .mount(&server)
                .await;
        }
        let u = provider(&server).update(&id(), &patch).await.unwrap();
        assert_eq!(u.id.as_str(), USER);
        server.verify().await;
        assert_eq!(requests(&server).await, sent, "{patch:?}");
    }
}

#[tokio::test]
async fn refused_updates_send_nothing() {
    let (server, p) = start().await;
    let id = id();
    assert!(is_unsupported(
        p.update(&id, &UserPatch::new().email(email("new@example.com")))
            .await
    ));
    // A user always holds exactly one role: removing it is refused.
    assert!(is_unsupported(
        p.update(
            &id,
            &UserPatch::new().grants(GrantChange::Remove(vec![AworkGrant::role(ROLE)]))
        )
        .await
    ));
    assert_eq!(
        invalid_field(p.update(&id, &UserPatch::new()).await),
        "patch"
    );
    let cases = [
        (
            UserPatch::new().grants(GrantChange::Add(vec![AworkGrant::team("x?y")])),
            "grants[0].team_id",
        ),
        (
            UserPatch::new().grants(GrantChange::Replace(vec![
                AworkGrant::role(ROLE),
                AworkGrant::role(ROLE2),
            ])),
            "grants[1]",
        ),
        (
            UserPatch::new().attribute("gender", json!("robot")),
            "attributes.gender",
        ),
    ];
    for (patch, field) in cases {
        assert_eq!(invalid_field(p.update(&id, &patch).await), field);
    }
    assert_eq!(requests(&server).await, 0);
}

// ---- extras, config, description ----

#[tokio::test]
async fn me_roles_and_teams() {
    let (server, p) = start().await;
    let mut me = user_json(USER, "admin@example.com", true);
    me["accountId"] = json!("acacacac-0000-4000-8000-000000000000");
    me["workspace"] = json!({"id": WS, "name": "Acme", "url": "https://acme.awork.com"});
    on("GET", "/me")
        .and(bearer_token(TOKEN))
        .respond_with(ok(me))
        .expect(1)
        .mount(&server)
        .await;
    on("GET", "/roles")
        .and(query_param("showArchived", "false"))
        .respond_with(ok(json!([
            {"id": ROLE, "name": "Member", "isAdminRole": false, "isGuestRole": false, "isPreset": true, "isArchived": false,
             "createdBy": USER, "createdOn": "2024-01-01T00:00:00Z"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let full_page: Vec<Value> = (0..100)
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "name": format!("T{i}")}))
        .collect();
    let last =
        json!([{"id": TEAM_A, "name": "Design", "icon": "brush", "color": "red", "userIds": null}]);
    for (page, body) in [(1, Value::Array(full_page)), (2, last)] {
        on("GET", "/teams")
            .and(query_param("page", page.to_string()))
            .and(query_param("pageSize", "100"))
            .respond_with(ok(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let me = p.me().await.unwrap();
    assert_eq!(me.workspace.id.as_deref(), Some(WS));
    assert_eq!(me.workspace.url.as_deref(), Some("https://acme.awork.com"));
    assert_eq!(me.user.id.as_str(), USER);
    let roles = p.list_roles(false).await.unwrap();
    assert_eq!(roles[0].name.as_deref(), Some("Member"));
    assert_eq!(roles[0].is_admin_role, Some(false));
    let teams = p.list_teams().await.unwrap();
    assert_eq!(teams.len(), 101);
    assert_eq!(teams[100].name.as_deref(), Some("Design"));
}

#[test]
fn config_from_lookup() {
    let env = |pairs: &[(&str, &str)]| invite_testkit::lookup(pairs.iter().copied());
    let teams = format!("{TEAM_A}, {TEAM_B},");
    let c = AworkConfig::from_lookup(env(&[
        ("AWORK_API_TOKEN", TOKEN),
        ("AWORK_WORKSPACE_ID", WS),
        ("AWORK_ROLE_ID", ROLE),
        ("AWORK_TEAM_IDS", &teams),
    ]))
    .unwrap();
    assert_eq!(c.workspace_id(), WS);
    assert_eq!(c.base_url().as_str(), "https://api.awork.com/api/v1");
    assert_eq!(c.default_role_id(), Some(ROLE));
    assert_eq!(c.default_team_ids(), [TEAM_A.to_owned(), TEAM_B.to_owned()]);
    let shown = format!("{c:?}");
    assert!(!shown.contains(TOKEN), "{shown}");

    let required = [("AWORK_API_TOKEN", TOKEN), ("AWORK_WORKSPACE_ID", WS)];
    let with = |extra: (&'static str, &'static str)| {
        let mut v = required.to_vec();
        v.push(extra);
        v
    };
    for (pairs, needle) in [
        (vec![("AWORK_WORKSPACE_ID", WS)], "AWORK_API_TOKEN"),
        (vec![("AWORK_API_TOKEN", TOKEN)], "AWORK_WORKSPACE_ID"),
        (with(("AWORK_WORKSPACE_ID", "acme")), "AWORK_WORKSPACE_ID"),
        (with(("AWORK_ROLE_ID", "admin")), "AWORK_ROLE_ID"),
        (with(("AWORK_TEAM_IDS", "x,y")), "AWORK_TEAM_IDS"),
        (
            with(("AWORK_API_BASE_URL", "http://api.awork.com/api/v1")),
            "AWORK_API_BASE_URL",
        ),
    ] {
        match AworkConfig::from_lookup(env(&pairs)) {
            Err(Error::Config(msg)) => {
                assert!(msg.contains(needle), "{msg}");
                assert!(!msg.contains(TOKEN));
            }
            other => panic!("{pairs:?}: {other:?}"),
        }
    }
    // Loopback may use plain http (sandboxes).
    let loopback = with(("AWORK_API_BASE_URL", "http://127.0.0.1:9/api/v1"));
    assert!(AworkConfig::from_lookup(env(&loopback)).is_ok());
}

#[tokio::test]
async fn provider_describes_itself_without_secrets() {
    let (_server, p) = start().await;
    let info = invite_core::Describe::info(&p);
    assert_eq!(info.kind, "awork");
    assert_eq!(info.instance, WS);
    assert_eq!(p.to_string(), format!("awork({WS})"));
    let c = &info.capabilities;
    assert!(c.silent_invite && c.invitation_code && !c.server_side_email_lookup);
    assert!(!c.update_email && !c.resend);
    assert_eq!(*c.attributes, ["title", "position", "gender"]);
    assert!(c.is_exclusive("awork_role") && !c.is_exclusive("awork_team"));
    assert!(c.understands("awork_team"));
    let shown = format!("{p:?} {p} {:?}", AworkToken::new(TOKEN));
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn decode_errors_never_show_codes() {
    let (server, p) = start().await;
    // A cut-off success body (not JSON) that carries a code: the core can only redact
    // secret-named fields of well-formed JSON, the adapter scrubs the rest.
    let cut = format!(
        r#"{{"id":"{USER}","invitationCode":"{CODE}","passwordResetCode":"cmVzZXRzZWNyZXQ=","firstName":"Ad"#
    );
    let answer = ResponseTemplate::new(200).set_body_string(cut);
    answer_once(&server, "GET", user_route(), answer).await;
    let err = p.get(&id()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let excerpt = err.detail().unwrap().body_excerpt.clone().unwrap();
    assert!(
        excerpt.contains(USER) && excerpt.contains("[REDACTED]"),
        "{excerpt}"
    );
    assert_hides(&err, &[CODE, RESET_CODE, TOKEN]);
}
