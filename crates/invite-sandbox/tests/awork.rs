//! awork v1 invitations & users surface, driven over HTTP.

#![cfg(test)]

mod support;

use invite_sandbox::Surface;
use invite_sandbox::awork::{ADMIN_USER_ID, DESIGN_TEAM_ID, ENGINEERING_TEAM_ID};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, emails_of, start};

async fn invite(a: &Api, body: Value) -> (u16, Value) {
    a.post("/invitations", body).await
}

/// Invites without an email; answers the user id and the invitation code.
async fn invite_user(a: &Api, email: &str, first: &str, last: &str) -> (String, String) {
    let (status, body) = invite(
        a,
        json!({"workspaceId": a.s.awork_workspace_id, "email": email, "firstName": first,
        "lastName": last, "skipSendingEmail": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    (text("userId"), text("invitationCode"))
}

async fn admin(a: &Api, action: &str, email: &str) -> u16 {
    let path = format!("awork/{action}");
    a.admin_post(&path, json!({"email": email})).await.0
}

async fn accept_code(a: &Api, code: &str) -> (u16, Value) {
    a.post("/invitations/accept", json!({"invitationCode": code}))
        .await
}

/// Replays the documented sample (docs/vendors/awork.md#examples) with plain HTTP: /me for the workspace id, invite without
/// the email, redeem the code, read the user back.
#[tokio::test]
async fn smoke_docs_invite_accept_and_read_back() {
    let sb = start().await;
    let a = Api::awork(&sb);
    let (status, me) = a.get("/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], ADMIN_USER_ID);
    assert_eq!(me["workspace"]["id"], a.s.awork_workspace_id.as_str());
    let (status, body) = invite(
        &a,
        json!({
            "workspaceId": me["workspace"]["id"],
            "email": "carla.creative@ncnstn.com",
            "firstName": "Carla",
            "lastName": "Creative",
            "title": "Miss",
            "position": "Creative Director",
            "roleId": a.s.awork_role_id,
            "teamIds": [DESIGN_TEAM_ID],
            "skipSendingEmail": true
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let code = body["invitationCode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(code.ends_with('='), "{code}");
    assert!(body["passwordResetCode"].is_string());
    assert_eq!(body["workspace"]["id"], a.s.awork_workspace_id.as_str());
    assert_eq!(body["workspace"]["allowCredentialsLogin"], true);
    let user_id = body["userId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(user_id.len(), 36);
    // skipSendingEmail: no email, but the invitation is counted
    assert!(sb.emails().iter().all(|e| e.surface != Surface::Awork));
    assert_eq!(
        sb.invitation_count(Surface::Awork, "carla.creative@ncnstn.com"),
        1
    );

    let (status, user) = a.get(&format!("/users/{user_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        user["status"],
        json!({"invitationAccepted": false, "isDeactivated": false})
    );
    assert!(user.get("email").is_none(), "User has no email field");
    assert_eq!(user["userContactInfos"][0]["type"], "email");
    assert_eq!(
        user["userContactInfos"][0]["value"],
        "carla.creative@ncnstn.com"
    );
    assert_eq!(user["teams"][0]["id"], DESIGN_TEAM_ID);
    assert_eq!(user["teams"][0]["name"], "Design");
    assert_eq!(user["firstName"], "Carla");
    assert_eq!(user["position"], "Creative Director");
    assert_eq!(user["deletedOn"], Value::Null);
    let version = user["resourceVersion"].as_i64().unwrap_or_default();
    assert!(version > 1_i64 << 53, "{version}");

    let (status, _) = accept_code(&a, &code).await;
    assert_eq!(status, 200);
    let (_, user) = a.get(&format!("/users/{user_id}")).await;
    assert_eq!(user["status"]["invitationAccepted"], true);
    // a code works once
    let (status, body) = accept_code(&a, &code).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("invalid-invitation-code"))
    );
}

#[tokio::test]
async fn invitation_validation_errors() {
    let sb = start().await;
    let a = Api::awork(&sb);
    // unknown field (additionalProperties: false)
    let (status, body) = invite(
        &a,
        json!({"workspaceId": a.s.awork_workspace_id, "email": "x@example.com", "role": "member"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "validation-error");
    assert_eq!(body["validationErrors"][0]["property"], "role");
    assert_eq!(body["link"], "https://developers.awork.com");
    // no workspaceId: the real API would create a new workspace
    let (status, body) = invite(&a, json!({"email": "x@example.com"})).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("workspace-id-required"))
    );
    assert!(
        body["description"]
            .as_str()
            .unwrap_or_default()
            .contains("NEW workspace")
    );
    // (what, body, status, code when the case checks it)
    let ws = a.s.awork_workspace_id.as_str();
    let cases = [
        (
            "another workspace",
            json!({"workspaceId": "00000000-0000-4000-8000-000000000000", "email": "x@example.com"}),
            404,
            Some("not-found"),
        ),
        (
            "unknown role",
            json!({"workspaceId": ws, "email": "x@example.com",
                "roleId": "00000000-0000-4000-8000-000000000001"}),
            404,
            None,
        ),
        (
            "unknown team",
            json!({"workspaceId": ws, "email": "x@example.com",
                "teamIds": [ENGINEERING_TEAM_ID, "00000000-0000-4000-8000-000000000002"]}),
            404,
            Some("not-found"),
        ),
        ("email missing", json!({"workspaceId": ws}), 400, None),
        (
            "email invalid",
            json!({"workspaceId": ws, "email": "nope"}),
            400,
            None,
        ),
        (
            "gender outside the enum",
            json!({"workspaceId": ws, "email": "x@example.com", "gender": "robot"}),
            400,
            None,
        ),
        (
            "a flow that creates a workspace",
            json!({"workspaceId": ws, "email": "x@example.com",
                "invitationFlow": "new_user_new_workspace"}),
            400,
            None,
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, answer) = invite(&a, body).await;
        assert_eq!(got, status, "{what}: {answer}");
        if let Some(code) = code {
            assert_eq!(answer["code"], code, "{what}");
        }
    }
    // bad uuid
    let (status, body) = invite(&a, json!({"workspaceId": "nope", "email": "x@example.com"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["validationErrors"][0]["property"], "workspaceId");
    assert_eq!(sb.invitation_count(Surface::Awork, "x@example.com"), 0);

    // success with the email sent, then the duplicate
    let (status, _) = invite(&a, json!({"workspaceId": a.s.awork_workspace_id, "email": "x@example.com", "skipSendingEmail": false}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        emails_of(&sb, Surface::Awork),
        [("x@example.com".to_owned(), "invitation".to_owned())]
    );
    let (status, body) = invite(
        &a,
        json!({"workspaceId": a.s.awork_workspace_id, "email": "X@Example.com"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("user-already-in-workspace"))
    );

    // wrong token, unknown user, unknown code, expired code
    let (status, body) = a
        .send(a.c.get(format!("{}/users", a.base)).bearer_auth("wrong"))
        .await;
    assert_eq!((status, body["code"].clone()), (401, json!("unauthorized")));
    assert!(body["description"].is_string() && body["link"].is_string());
    let (status, body) = a.get("/users/00000000-0000-4000-8000-000000000003").await;
    assert_eq!((status, body["code"].clone()), (404, json!("not-found")));
    let (status, _) = accept_code(&a, "bm9wZQ==").await;
    assert_eq!(status, 400);
    let (_, code) = invite_user(&a, "late@example.com", "Late", "Comer").await;
    assert_eq!(admin(&a, "expire", "late@example.com").await, 200);
    let (status, body) = accept_code(&a, &code).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("invitation-expired"))
    );
    // the admin accept hook still accepts it
    assert_eq!(admin(&a, "accept", "late@example.com").await, 200);
    assert_eq!(admin(&a, "accept", "late@example.com").await, 404);
}

#[tokio::test]
async fn users_list_update_deactivate_delete() {
    let sb = start().await;
    let a = Api::awork(&sb);
    let (ada, _) = invite_user(&a, "ada@example.com", "Ada", "Lovelace").await;
    invite_user(&a, "alan@example.com", "Alan", "Turing").await;
    invite_user(&a, "grace@example.com", "Grace", "Hopper").await;
    let list = |q: &str| a.get(format!("/users{q}"));
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u["lastName"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (status, body) = list("").await;
    assert_eq!(status, 200);
    assert!(body.is_array(), "a bare JSON array");
    assert_eq!(names(&body), ["Admin", "Lovelace", "Turing", "Hopper"]);
    let (_, body) = list("?page=2&pageSize=3").await;
    assert_eq!(names(&body), ["Hopper"]);
    let (_, body) = list("?orderby=lastName%20desc&pageSize=2").await;
    assert_eq!(names(&body), ["Turing", "Lovelace"]);
    let (_, body) = list("?filterby=firstName%20eq%20%27alan%27").await;
    assert_eq!(names(&body), ["Turing"]);
    let (_, body) = list("?filterby=firstName eq 'Ada' and lastName eq 'Lovelace'").await;
    assert_eq!(names(&body), ["Lovelace"]);
    let (status, body) = list("?filterby=email%20eq%20%27ada%40example.com%27").await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("invalid-filter"))
    );
    let (status, _) = list("?orderby=shoeSize").await;
    assert_eq!(status, 400);
    let (status, _) = list("?pageSize=0").await;
    assert_eq!(status, 400);
    let (status, _) = list("?showArchived=maybe").await;
    assert_eq!(status, 400);

    // PUT replaces the UserForm fields
    let path = format!("/users/{ada}");
    let (status, body) = a
        .json(
            Method::PUT,
            &path,
            json!({"firstName": "Augusta Ada", "lastName": "King", "language": "en-GB"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["firstName"], "Augusta Ada");
    assert_eq!(body["title"], Value::Null);
    let (status, body) = a
        .json(Method::PUT, &path, json!({"email": "new@example.com"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["validationErrors"][0]["property"], "email");

    // deactivate / activate (activation emails the user)
    let (status, _) = a.post_empty(&format!("{path}/deactivate")).await;
    assert_eq!(status, 204);
    let (_, body) = a.get(&path).await;
    assert_eq!(body["isDeactivated"], true);
    assert_eq!(body["status"]["isDeactivated"], true);
    assert!(body["deactivatedOn"].is_string());
    let (status, _) = a.post_empty(&format!("{path}/activate")).await;
    assert_eq!(status, 204);
    let (_, body) = a.get(&path).await;
    assert_eq!(body["isDeactivated"], false);
    assert!(sb.emails().iter().any(|e| e.surface == Surface::Awork
        && e.to == "ada@example.com"
        && e.kind == "activation"));
    // the last admin cannot be deactivated
    let (status, body) = a
        .post_empty(&format!("/users/{ADMIN_USER_ID}/deactivate"))
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!("last-admin")));

    // roles and teams
    let (_, roles) = a.get("/roles").await;
    assert_eq!(roles.as_array().map(Vec::len), Some(2));
    assert!(
        roles
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["id"] == a.s.awork_role_id.as_str()))
    );
    let (_, roles) = a.get("/roles?showArchived=true").await;
    assert_eq!(roles.as_array().map(Vec::len), Some(3));
    let (_, teams) = a
        .get("/teams?includeUserIds=true&orderby=name%20desc")
        .await;
    assert_eq!(teams[0]["name"], "Engineering");
    assert_eq!(teams[1]["userIds"], json!([]));

    // soft delete: 204, gone from GET and from the list
    let (status, _) = a.delete(&path).await;
    assert_eq!(status, 204);
    let (status, _) = a.get(&path).await;
    assert_eq!(status, 404);
    let (_, body) = list("").await;
    assert_eq!(names(&body), ["Admin", "Turing", "Hopper"]);
    let (status, _) = a.delete(&path).await;
    assert_eq!(status, 404);
    // re-inviting a deleted user's email works
    let (status, _) = invite(&a, json!({"workspaceId": a.s.awork_workspace_id, "email": "ada@example.com", "skipSendingEmail": true}))
        .await;
    assert_eq!(status, 200);
}
