//! awork v1 invitations & users surface, driven over HTTP.

#![cfg(test)]

mod support;

use invite_sandbox::Surface;
use invite_sandbox::awork::{ADMIN_USER_ID, DESIGN_TEAM_ID, ENGINEERING_TEAM_ID, MAX_SAFE_INTEGER};
use invite_testkit::{Documented, assert_same_shape, documented};
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

/// Inviting `email`, already a user, answers 400 `user-already-in-workspace`.
async fn assert_already_in_workspace(a: &Api, email: &str) {
    let body = json!({"workspaceId": a.s.awork_workspace_id, "email": email});
    let (status, body) = invite(a, body).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("user-already-in-workspace")),
        "{email}"
    );
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
    // Below 2^53: read exactly by every client (awork's own values exceed it).
    let version = user["resourceVersion"].as_i64().unwrap_or_default();
    assert!(version > 0 && version <= MAX_SAFE_INTEGER, "{version}");
    assert_eq!(user["resourceVersion"].as_f64(), Some(version as f64));

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
    assert_already_in_workspace(&a, "X@Example.com").await;

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

// ---- documented shapes (fixtures/vendors/awork/, from awork's OpenAPI document) ----

fn example(name: &str) -> Documented {
    documented(&format!("awork/{name}"))
}

/// The `User` fields the spec marks nullable (`#/components/schemas/User`, `ContactInfo`),
/// under `at` (e.g. `"[0]."` for the first user of a list).
fn user_nullable(at: &str) -> Vec<String> {
    let user = [
        "firstName",
        "lastName",
        "birthDate",
        "gender",
        "title",
        "position",
        "language",
        "deactivatedOn",
        "deletedOn",
        "userContactInfos",
        "tags",
        "teams",
    ];
    let contact = [
        "label",
        "value",
        "type",
        "subType",
        "addressLine1",
        "addressLine2",
        "zipCode",
        "city",
        "state",
        "country",
        "createdBy",
        "updatedBy",
    ];
    let team = ["name", "icon", "color"];
    let mut out: Vec<String> = user.iter().map(|f| format!("{at}{f}")).collect();
    out.extend(
        contact
            .iter()
            .map(|f| format!("{at}userContactInfos[0].{f}")),
    );
    for i in 0..2 {
        out.extend(team.iter().map(|f| format!("{at}teams[{i}].{f}")));
    }
    out
}

/// Asserts `body` has the shape of `name`'s documented answer, and `status` its status.
fn assert_documented(name: &str, status: u16, body: &Value, nullable: &[String]) {
    let e = example(name);
    assert_eq!(status, e.response().status, "{name}: status; {body}");
    let nullable: Vec<&str> = nullable.iter().map(String::as_str).collect();
    assert_same_shape(
        &format!("sandbox {name}"),
        e.response_body(),
        body,
        &nullable,
    );
}

/// Every awork route the sandbox serves answers in the documented shape: the fields of
/// awork's examples, with their JSON types and nesting (values may differ; the spec's
/// nullable fields may be null).
#[tokio::test]
async fn answers_have_the_documented_shapes() {
    let sb = start().await;
    let a = Api::awork(&sb);
    let none: Vec<String> = Vec::new();

    // POST /invitations: the documented request, with the sandbox's ids, is accepted.
    let mut body = example("invite").request_body().clone();
    body["workspaceId"] = json!(a.s.awork_workspace_id);
    body["roleId"] = json!(a.s.awork_role_id);
    let (status, answer) = invite(&a, body).await;
    let workspace: Vec<String> = [
        "description",
        "type",
        "size",
        "department",
        "sameDomainSignupRoleId",
    ]
    .iter()
    .map(|f| format!("workspace.{f}"))
    .collect();
    assert_documented("invite", status, &answer, &workspace);
    let user_id = answer["userId"].as_str().unwrap_or_default().to_owned();
    let code = answer["invitationCode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // A second person in a team, so a listed team is checked too.
    invite(
        &a,
        json!({"workspaceId": a.s.awork_workspace_id, "email": "team@example.com",
            "teamIds": [DESIGN_TEAM_ID], "skipSendingEmail": true}),
    )
    .await;

    let path = format!("/users/{user_id}");
    let (status, user) = a.get(&path).await;
    assert_documented("get-user", status, &user, &user_nullable(""));
    let (status, users) = a.get("/users").await;
    let mut nullable = Vec::new();
    for i in 0..users.as_array().map_or(0, Vec::len) {
        nullable.extend(user_nullable(&format!("[{i}].")));
    }
    assert_documented("list-users", status, &users, &nullable);
    assert_eq!(users.as_array().map(Vec::len), Some(3));
    let form = json!({"firstName": "Carla", "lastName": "Creative",
        "birthDate": "1998-04-19T00:00:00Z", "gender": "female", "title": "Miss",
        "position": null, "language": "en-GB"});
    let (status, user) = a.json(Method::PUT, &path, form).await;
    assert_documented("update-user", status, &user, &user_nullable(""));
    assert_eq!(user["birthDate"], "1998-04-19T00:00:00Z");

    let mut me_nullable = user_nullable("");
    me_nullable.extend(["accountId", "workspace.name", "workspace.url"].map(String::from));
    for route in ["/me", "/users/me"] {
        let (status, me) = a.get(route).await;
        assert_documented("me", status, &me, &me_nullable);
    }
    let (status, roles) = a.get("/roles").await;
    assert_documented("list-roles", status, &roles, &none);
    let (status, roles) = a.get("/roles?showArchived=true").await;
    assert_documented("list-roles", status, &roles, &none);
    let team_nullable = |n: usize| -> Vec<String> {
        (0..n)
            .flat_map(|i| {
                [
                    "icon",
                    "color",
                    "createdBy",
                    "updatedBy",
                    "userIds",
                    "projectIds",
                ]
                .map(|f| format!("[{i}].{f}"))
            })
            .collect()
    };
    for q in ["", "?includeUserIds=true&includeProjectIds=true"] {
        let (status, teams) = a.get(format!("/teams{q}")).await;
        assert_documented("list-teams", status, &teams, &team_nullable(2));
    }

    let (status, body) = accept_code(&a, &code).await;
    assert_documented("accept-invitation", status, &body, &none);
    for (name, route) in [
        ("deactivate-user", "deactivate"),
        ("activate-user", "activate"),
    ] {
        let (status, body) = a.post_empty(&format!("{path}/{route}")).await;
        assert_documented(name, status, &body, &none);
    }
    let (status, body) = a.delete(&path).await;
    assert_documented("delete-user", status, &body, &none);

    // Errors: ErrorResponse, with and without validation errors.
    let errors = ["details", "validationErrors", "traceId"].map(String::from);
    let (status, body) = a.get(&path).await;
    assert_documented("error-not-found", status, &body, &errors);
    let (status, body) = a
        .json(
            Method::PUT,
            "/users/00000000-0000-4000-8000-000000000009",
            json!({"x": 1}),
        )
        .await;
    assert_documented("error-validation", status, &body, &errors);
}

/// `resourceVersion` stays below 2^53 in every answer, and grows with each change.
#[tokio::test]
async fn resource_versions_are_read_exactly_by_every_client() {
    let sb = start().await;
    let a = Api::awork(&sb);
    let (user_id, _) = invite_user(&a, "rv@example.com", "Rita", "Version").await;
    let path = format!("/users/{user_id}");
    let version = |v: &Value| {
        let n = v["resourceVersion"].as_i64().unwrap_or_default();
        assert!(n > 0 && n <= MAX_SAFE_INTEGER, "{n} is not below 2^53");
        // What a JavaScript client reads: the same number.
        assert_eq!(v["resourceVersion"].as_f64().map(|f| f as i64), Some(n));
        n
    };
    let (_, user) = a.get(&path).await;
    let first = version(&user);
    let (_, user) = a
        .json(Method::PUT, &path, json!({"firstName": "Rita"}))
        .await;
    assert!(version(&user) > first);
    let (_, users) = a.get("/users?showArchived=true").await;
    for u in users.as_array().into_iter().flatten() {
        version(u);
    }
    let (_, me) = a.get("/me").await;
    version(&me);
}

/// The admin action `remove-contacts` lists the user without an email contact entry (as
/// awork may), while the sandbox still knows the address: a second invite is refused.
#[tokio::test]
async fn users_without_contact_entries() {
    let sb = start().await;
    let a = Api::awork(&sb);
    let (user_id, _) = invite_user(&a, "quiet@example.com", "Quinn", "Quiet").await;
    assert_eq!(admin(&a, "remove-contacts", "quiet@example.com").await, 200);
    assert_eq!(
        admin(&a, "remove-contacts", "nobody@example.com").await,
        404
    );
    let (_, user) = a.get(&format!("/users/{user_id}")).await;
    assert_eq!(user["userContactInfos"], json!([]));
    assert_documented("get-user", 200, &user, &user_nullable(""));
    assert_already_in_workspace(&a, "quiet@example.com").await;
}
