//! Exact wire-level tests against a wiremock server: every call's method, path, query,
//! headers and JSON body (field names as in awork's OpenAPI document), every error shape,
//! refusals that send nothing, and secrets kept out of everything shown.

use std::collections::BTreeMap;

use futures::StreamExt;
use invite_awork::{AworkConfig, AworkConfigBuilder, AworkProvider, AworkToken};
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    Email, EmailDelivery, Error, Grant, GrantChange, Invitation, InvitationCode, InviteProvider,
    ListQuery, PersonName, UserDirectory, UserId, UserPatch, UserStatus,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::matchers::{
    bearer_token, body_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "awk_test_token_9f8e7d6c5b4a";
const WS: &str = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
const ROLE: &str = "11111111-2222-4333-8444-555555555555";
const ROLE2: &str = "99999999-2222-4333-8444-555555555555";
const TEAM_A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const TEAM_B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const USER: &str = "c0ffee00-1234-4abc-9def-0123456789ab";
const CODE: &str = "Zm9vYmFyc2VjcmV0Y29kZQ==";

fn builder(server: &MockServer) -> AworkConfigBuilder {
    AworkConfig::builder(AworkToken::new(TOKEN), WS)
        .base_url(format!("{}/api/v1", server.uri()))
        .options(ClientOptions::default().with_retry(RetryConfig::none()))
}

fn provider(server: &MockServer) -> AworkProvider {
    AworkProvider::new(builder(server).build().unwrap()).unwrap()
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

#[tokio::test]
async fn invite_sends_the_spec_fields_and_returns_a_receipt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/invitations"))
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
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "invitationCode": CODE,
            "passwordResetCode": "cmVzZXRzZWNyZXQ=",
            "userId": USER,
            "workspace": {"id": WS, "name": "Acme", "memberCount": 3}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let inv = Invitation::new(email("Ada@Example.com"))
        .with_name(PersonName::new("Ada", "Lovelace"))
        .with_grant(Grant::AworkRole {
            role_id: ROLE.into(),
        })
        .with_grant(Grant::AworkTeam {
            team_id: TEAM_A.into(),
        })
        .with_grant(Grant::AworkTeam {
            team_id: TEAM_B.into(),
        })
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
    assert!(r.user.grants.contains(&Grant::AworkRole {
        role_id: ROLE.into()
    }));
    let shown = format!("{r:?}");
    assert!(
        !shown.contains(CODE) && !shown.contains("cmVzZXRzZWNyZXQ"),
        "{shown}"
    );
}

#[tokio::test]
async fn invite_uses_configured_defaults_and_email_flag() {
    let server = MockServer::start().await;
    for (delivery, skip) in [
        (EmailDelivery::Send, false),
        (EmailDelivery::VendorDefault, false),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/invitations"))
            .and(body_json(json!({
                "workspaceId": WS,
                "invitationFlow": "invite",
                "email": "bob@example.com",
                "roleId": ROLE,
                "teamIds": [TEAM_B],
                "skipSendingEmail": skip
            })))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"invitationCode": null, "userId": USER})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let p = AworkProvider::new(
            builder(&server)
                .default_role_id(ROLE)
                .default_team_ids([TEAM_B.to_owned()])
                .build()
                .unwrap(),
        )
        .unwrap();
        let r = p
            .invite(&Invitation::new(email("bob@example.com")).with_delivery(delivery))
            .await
            .unwrap();
        assert_eq!(r.email_sent, Some(true));
        assert!(r.invitation_code.is_none());
        server.verify().await;
    }
}

#[tokio::test]
async fn invite_input_errors_send_nothing() {
    let server = MockServer::start().await;
    let p = provider(&server);
    let base = Invitation::new(email("c@example.com"));
    let cases: Vec<(Invitation, &str)> = vec![
        (
            base.clone().with_grant(Grant::AworkRole {
                role_id: "../x".into(),
            }),
            "grants[0].role_id",
        ),
        (
            base.clone().with_grant(Grant::AworkTeam {
                team_id: "a/b".into(),
            }),
            "grants[0].team_id",
        ),
        (
            base.clone()
                .with_grant(Grant::AworkRole {
                    role_id: ROLE.into(),
                })
                .with_grant(Grant::AworkRole {
                    role_id: ROLE2.into(),
                }),
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
        match p.invite(&inv).await {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let foreign = base.with_grant(Grant::ScimGroup {
        group_id: "g".into(),
    });
    assert!(matches!(
        p.invite(&foreign).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.resend(&UserId::new(USER)).await,
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn duplicate_invite_is_conflict_with_vendor_facts() {
    let server = MockServer::start().await;
    let mut body = error_body(
        "user-already-in-workspace",
        "A user with this email address is already a member of the workspace.",
    );
    body["details"] = json!(["The email 'dup@example.com' is already in use."]);
    Mock::given(method("POST"))
        .and(path("/api/v1/invitations"))
        .respond_with(ResponseTemplate::new(400).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .invite(&Invitation::new(email("dup@example.com")))
        .await
        .unwrap_err();
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
    let server = MockServer::start().await;
    // A cut-off answer: not JSON, but it carries both secrets.
    let cut = format!(
        r#"{{"invitationCode":"{CODE}","passwordResetCode":"cmVzZXRzZWNyZXQ=","userId":"{USER}","workspace":{{"id""#
    );
    Mock::given(method("POST"))
        .and(path("/api/v1/invitations"))
        .respond_with(ResponseTemplate::new(200).set_body_string(cut))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .invite(&Invitation::new(email("d@example.com")))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    let excerpt = err.detail().unwrap().body_excerpt.clone().unwrap();
    assert!(excerpt.contains(USER), "{excerpt}");
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains(CODE), "{shown}");
    assert!(!shown.contains("cmVzZXRzZWNyZXQ"), "{shown}");

    // A well-formed answer without a userId cannot be tied to anyone: uncertain too.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/invitations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"invitationCode": CODE})))
        .mount(&server)
        .await;
    let err = provider(&server)
        .invite(&Invitation::new(email("d@example.com")))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(!format!("{err:?} {err}").contains(CODE));
}

#[tokio::test]
async fn accept_invitation_posts_the_code_and_hides_it_in_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/invitations/accept"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({"invitationCode": CODE})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    p.accept_invitation(&InvitationCode::new(CODE))
        .await
        .unwrap();
    server.verify().await;

    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/invitations/accept"))
        .respond_with(ResponseTemplate::new(400).set_body_json(error_body(
            "invalid-invitation-code",
            &format!("The invitation code {CODE} is invalid or has already been used."),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let err = p
        .accept_invitation(&InvitationCode::new(CODE))
        .await
        .unwrap_err();
    assert_eq!(err.vendor_code(), Some("invalid-invitation-code"));
    assert!(matches!(err, Error::Vendor(_)), "{err:?}");
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains(CODE), "{shown}");
    assert!(matches!(
        p.accept_invitation(&InvitationCode::new(" ")).await,
        Err(Error::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn get_maps_the_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .and(bearer_token(TOKEN))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            USER,
            "Ada@Example.com",
            true,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let u = provider(&server).get(&UserId::new(USER)).await.unwrap();
    assert_eq!(u.id.as_str(), USER);
    assert!(u.has_email(&email("ada@example.com")));
    assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!(
        u.grants,
        vec![Grant::AworkTeam {
            team_id: TEAM_A.into()
        }]
    );
    assert!(u.created_at.is_some() && u.updated_at.is_some());
    // resourceVersion above 2^53 survives exactly in raw.
    assert_eq!(u.raw["resourceVersion"].as_i64(), Some(637825154598057901));
}

#[tokio::test]
async fn invited_and_removed_users_map_to_status() {
    let server = MockServer::start().await;
    let mut deleted = user_json(USER, "x@example.com", true);
    deleted["deletedOn"] = json!("2024-06-01T10:00:00Z");
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(deleted))
        .mount(&server)
        .await;
    let invited_id = "d0d0d0d0-1234-4abc-9def-0123456789ab";
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{invited_id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            invited_id,
            "y@example.com",
            false,
        )))
        .mount(&server)
        .await;
    let p = provider(&server);
    let u = p.get(&UserId::new(USER)).await.unwrap();
    assert_eq!(u.status, UserStatus::Deactivated);
    assert_eq!(u.raw["deletedOn"], "2024-06-01T10:00:00Z");
    let u = p.get(&UserId::new(invited_id)).await.unwrap();
    assert_eq!(u.status, UserStatus::Invited);
}

#[tokio::test]
async fn hostile_ids_are_refused_before_sending() {
    let server = MockServer::start().await;
    let p = provider(&server);
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
        for r in [
            p.get(&id).await.map(|_| ()),
            p.deactivate(&id).await,
            p.reactivate(&id).await,
            p.remove(&id).await,
            p.update(&id, &UserPatch::new().name(PersonName::new("A", "B")))
                .await
                .map(|_| ()),
        ] {
            match r {
                Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "user_id"),
                other => panic!("{id}: {other:?}"),
            }
        }
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn get_unknown_is_not_found_with_trace_id() {
    let server = MockServer::start().await;
    let mut body = error_body("not-found", "The user could not be found.");
    body["details"] = json!([format!("No user with the id '{USER}' exists.")]);
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(404).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server).get(&UserId::new(USER)).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.vendor_code(), Some("not-found"));
    assert_eq!(err.request_id(), Some("trace-42"));
    assert!(err.to_string().contains("could not be found"));
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains(TOKEN));
}

#[tokio::test]
async fn error_statuses_map_to_variants() {
    let server = MockServer::start().await;
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
        (
            400,
            json!({
                "code": "validation-error",
                "description": "One or more validation errors occurred.",
                "link": "https://developers.awork.com",
                "validationErrors": [{"property": "FirstName", "message": "FirstName is required."}]
            }),
            "vendor",
        ),
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
    let p = provider(&server);
    for (status, body, kind) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path(format!("/api/v1/users/{USER}/deactivate")))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(body.clone())
                    .insert_header("Retry-After", "0"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let err = p.deactivate(&UserId::new(USER)).await.unwrap_err();
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
    let server = MockServer::start().await;
    for suffix in ["deactivate", "activate"] {
        Mock::given(method("POST"))
            .and(path(format!("/api/v1/users/{USER}/{suffix}")))
            .and(bearer_token(TOKEN))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/users/{USER}")))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let id = UserId::new(USER);
    p.deactivate(&id).await.unwrap();
    p.reactivate(&id).await.unwrap();
    p.remove(&id).await.unwrap();
}

#[tokio::test]
async fn deactivate_is_retried_as_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/deactivate")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/deactivate")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let retry = RetryConfig::default()
        .with_max_retries(2)
        .with_jitter(false)
        .with_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        );
    let p = AworkProvider::new(
        builder(&server)
            .options(ClientOptions::default().with_retry(retry))
            .build()
            .unwrap(),
    )
    .unwrap();
    p.deactivate(&UserId::new(USER)).await.unwrap();
}

fn users_page(ids: &[&str]) -> Value {
    Value::Array(
        ids.iter()
            .enumerate()
            .map(|(i, id)| user_json(id, &format!("user{i}-{}@example.com", &id[..4]), true))
            .collect(),
    )
}

const U1: &str = "10000000-0000-4000-8000-000000000001";
const U2: &str = "20000000-0000-4000-8000-000000000002";
const U3: &str = "30000000-0000-4000-8000-000000000003";

#[tokio::test]
async fn list_pages_lazily_and_stops_on_a_short_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("page", "1"))
        .and(query_param("pageSize", "2"))
        .and(query_param_is_missing("showArchived"))
        .respond_with(ResponseTemplate::new(200).set_body_json(users_page(&[U1, U2])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("page", "2"))
        .and(query_param("pageSize", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(users_page(&[U3])))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let mut stream = p.list(ListQuery::new().page_size(2));
    assert_eq!(requests(&server).await, 0, "nothing fetched before polling");
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id.as_str(), U1);
    assert_eq!(requests(&server).await, 1);
    let rest: Vec<_> = stream.map(|r| r.unwrap().id).collect().await;
    assert_eq!(rest, vec![UserId::new(U2), UserId::new(U3)]);
}

#[tokio::test]
async fn list_inactive_shows_archived_and_caps_page_size() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("page", "1"))
        .and(query_param("pageSize", "100"))
        .and(query_param("showArchived", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<_> = provider(&server)
        .list(ListQuery::new().page_size(5000).include_inactive(true))
        .collect()
        .await;
    assert!(all.is_empty());
}

#[tokio::test]
async fn list_error_is_yielded_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(error_body("unauthorized", "Bad token.")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<_> = provider(&server).list(ListQuery::new()).collect().await;
    assert_eq!(all.len(), 1);
    assert!(matches!(all[0], Err(Error::Unauthorized(_))));
}

#[tokio::test]
async fn find_by_email_pages_through_users_ignoring_case() {
    let server = MockServer::start().await;
    let mut page1: Vec<Value> = (0..100)
        .map(|i| {
            user_json(
                &format!("00000000-0000-4000-8000-{i:012}"),
                &format!("other{i}@example.com"),
                true,
            )
        })
        .collect();
    // A deleted account with the same address must lose against the present one.
    let mut gone = user_json(U1, "Target@Example.com", true);
    gone["deletedOn"] = json!("2024-01-01T00:00:00Z");
    page1[7] = gone;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("page", "1"))
        .and(query_param("pageSize", "100"))
        .and(query_param("showArchived", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(page1)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user_json(
            U2,
            "target@example.COM",
            false
        )])))
        .expect(2)
        .mount(&server)
        .await;
    let p = provider(&server);
    let found = p
        .find_by_email(&email("TARGET@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_str(), U2);
    assert_eq!(found.status, UserStatus::Invited);
    assert!(
        p.find_by_email(&email("nobody@example.com"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn update_name_puts_the_full_user_form() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            USER,
            "ada@example.com",
            true,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let mut after = user_json(USER, "ada@example.com", true);
    after["firstName"] = json!("Grace");
    after["lastName"] = json!("Hopper");
    after["position"] = json!("Admiral");
    Mock::given(method("PUT"))
        .and(path(format!("/api/v1/users/{USER}")))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({
            "firstName": "Grace",
            "lastName": "Hopper",
            "birthDate": "1998-04-19T00:00:00Z",
            "gender": "female",
            "title": "Dr.",
            "position": "Admiral",
            "language": "en-GB"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(after))
        .expect(1)
        .mount(&server)
        .await;
    let u = provider(&server)
        .update(
            &UserId::new(USER),
            &UserPatch::new()
                .name(PersonName::new("Grace", "Hopper"))
                .attribute("position", json!("Admiral")),
        )
        .await
        .unwrap();
    assert_eq!(u.name.full().as_deref(), Some("Grace Hopper"));
    assert_eq!(u.raw["position"], "Admiral");
}

#[tokio::test]
async fn update_attribute_null_clears_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            USER,
            "ada@example.com",
            true,
        )))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/api/v1/users/{USER}")))
        .and(body_json(json!({
            "firstName": "Ada",
            "lastName": "Lovelace",
            "birthDate": "1998-04-19T00:00:00Z",
            "gender": "female",
            "title": null,
            "position": "Engineer",
            "language": "en-GB"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            USER,
            "ada@example.com",
            true,
        )))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .update(
            &UserId::new(USER),
            &UserPatch::new().attribute("title", Value::Null),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn update_grants_moves_role_and_syncs_teams() {
    let server = MockServer::start().await;
    // Current teams: [TEAM_A].
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            USER,
            "ada@example.com",
            true,
        )))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/roles/moveuser"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({"userId": USER, "toRoleId": ROLE2})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/teams/{TEAM_B}/addusers")))
        .and(body_json(json!([USER])))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"userId": USER, "teamId": TEAM_B}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/teams/{TEAM_A}/removeusers")))
        .and(body_json(json!([USER])))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .update(
            &UserId::new(USER),
            &UserPatch::new().grants(GrantChange::Replace(vec![
                Grant::AworkRole {
                    role_id: ROLE2.into(),
                },
                Grant::AworkTeam {
                    team_id: TEAM_B.into(),
                },
            ])),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn update_grants_add_and_remove_touch_only_what_changes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json(
            USER,
            "ada@example.com",
            true,
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/teams/{TEAM_B}/addusers")))
        .and(body_json(json!([USER])))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/teams/{TEAM_A}/removeusers")))
        .and(body_json(json!([USER])))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let id = UserId::new(USER);
    let team = |t: &str| Grant::AworkTeam { team_id: t.into() };
    // Adding a team the user already has sends nothing for it.
    p.update(
        &id,
        &UserPatch::new().grants(GrantChange::Add(vec![team(TEAM_A), team(TEAM_B)])),
    )
    .await
    .unwrap();
    // Removing a team the user is not in sends nothing for it.
    p.update(
        &id,
        &UserPatch::new().grants(GrantChange::Remove(vec![team(TEAM_A), team(TEAM_B)])),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn refused_updates_send_nothing() {
    let server = MockServer::start().await;
    let p = provider(&server);
    let id = UserId::new(USER);
    let role = Grant::AworkRole {
        role_id: ROLE.into(),
    };
    assert!(matches!(
        p.update(
            &id,
            &UserPatch::new().grants(GrantChange::Remove(vec![role]))
        )
        .await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.update(&id, &UserPatch::new().email(email("new@example.com")))
            .await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.update(&id, &UserPatch::new()).await,
        Err(Error::InvalidInput { .. })
    ));
    match p
        .update(
            &id,
            &UserPatch::new().grants(GrantChange::Add(vec![Grant::AworkTeam {
                team_id: "x?y".into(),
            }])),
        )
        .await
    {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "grants[0].team_id"),
        other => panic!("{other:?}"),
    }
    match p
        .update(&id, &UserPatch::new().attribute("gender", json!("robot")))
        .await
    {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "attributes.gender"),
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn me_roles_and_teams() {
    let server = MockServer::start().await;
    let mut me = user_json(USER, "admin@example.com", true);
    me["accountId"] = json!("acacacac-0000-4000-8000-000000000000");
    me["workspace"] = json!({"id": WS, "name": "Acme", "url": "https://acme.awork.com"});
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(me))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/roles"))
        .and(query_param("showArchived", "false"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": ROLE, "name": "Member", "isAdminRole": false, "isGuestRole": false, "isPreset": true, "isArchived": false,
             "createdBy": USER, "createdOn": "2024-01-01T00:00:00Z"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let full_page: Vec<Value> = (0..100)
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "name": format!("T{i}")}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/teams"))
        .and(query_param("page", "1"))
        .and(query_param("pageSize", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(full_page)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/teams"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": TEAM_A, "name": "Design", "icon": "brush", "color": "red", "userIds": null}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
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
    let env = |pairs: &[(&str, &str)]| {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k: &str| m.get(k).cloned()
    };
    let c = AworkConfig::from_lookup(env(&[
        ("AWORK_API_TOKEN", TOKEN),
        ("AWORK_WORKSPACE_ID", WS),
        ("AWORK_ROLE_ID", ROLE),
        ("AWORK_TEAM_IDS", &format!("{TEAM_A}, {TEAM_B},")),
    ]))
    .unwrap();
    assert_eq!(c.workspace_id(), WS);
    assert_eq!(c.base_url().as_str(), "https://api.awork.com/api/v1");
    assert_eq!(c.default_role_id(), Some(ROLE));
    assert_eq!(c.default_team_ids(), [TEAM_A.to_owned(), TEAM_B.to_owned()]);
    let shown = format!("{c:?}");
    assert!(!shown.contains(TOKEN), "{shown}");

    for (pairs, needle) in [
        (vec![("AWORK_WORKSPACE_ID", WS)], "AWORK_API_TOKEN"),
        (vec![("AWORK_API_TOKEN", TOKEN)], "AWORK_WORKSPACE_ID"),
        (
            vec![("AWORK_API_TOKEN", TOKEN), ("AWORK_WORKSPACE_ID", "acme")],
            "AWORK_WORKSPACE_ID",
        ),
        (
            vec![
                ("AWORK_API_TOKEN", TOKEN),
                ("AWORK_WORKSPACE_ID", WS),
                ("AWORK_ROLE_ID", "admin"),
            ],
            "AWORK_ROLE_ID",
        ),
        (
            vec![
                ("AWORK_API_TOKEN", TOKEN),
                ("AWORK_WORKSPACE_ID", WS),
                ("AWORK_TEAM_IDS", "x,y"),
            ],
            "AWORK_TEAM_IDS",
        ),
        (
            vec![
                ("AWORK_API_TOKEN", TOKEN),
                ("AWORK_WORKSPACE_ID", WS),
                ("AWORK_API_BASE_URL", "http://api.awork.com/api/v1"),
            ],
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
    assert!(
        AworkConfig::from_lookup(env(&[
            ("AWORK_API_TOKEN", TOKEN),
            ("AWORK_WORKSPACE_ID", WS),
            ("AWORK_API_BASE_URL", "http://127.0.0.1:9/api/v1"),
        ]))
        .is_ok()
    );
}

#[tokio::test]
async fn provider_describes_itself_without_secrets() {
    let server = MockServer::start().await;
    let p = provider(&server);
    let info = invite_core::Describe::info(&p);
    assert_eq!(info.kind, "awork");
    assert_eq!(info.instance, WS);
    assert_eq!(p.to_string(), format!("awork({WS})"));
    let c = &info.capabilities;
    assert!(c.silent_invite && c.invitation_code && !c.server_side_email_lookup);
    assert!(!c.update_email && !c.resend);
    assert_eq!(c.attributes, vec!["title", "position", "gender"]);
    let shown = format!("{p:?} {p} {:?}", AworkToken::new(TOKEN));
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn decode_errors_never_show_codes() {
    let server = MockServer::start().await;
    // A cut-off success body (not JSON) that carries a code: the core can only redact
    // secret-named fields of well-formed JSON, the adapter scrubs the rest.
    let cut = format!(
        r#"{{"id":"{USER}","invitationCode":"{CODE}","passwordResetCode":"cmVzZXRzZWNyZXQ=","firstName":"Ad"#
    );
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_string(cut))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server).get(&UserId::new(USER)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let excerpt = err.detail().unwrap().body_excerpt.clone().unwrap();
    assert!(
        excerpt.contains(USER) && excerpt.contains("[REDACTED]"),
        "{excerpt}"
    );
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains(CODE), "{shown}");
    assert!(!shown.contains("cmVzZXRzZWNyZXQ"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}
