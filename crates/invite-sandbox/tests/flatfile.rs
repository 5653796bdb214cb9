//! Flatfile v1 users & roles surface, driven over HTTP.

#![cfg(test)]

mod support;

use invite_sandbox::Surface;
use invite_testkit::{assert_same_shape, documented};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, emails_of, start};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Invites `email` with the account-wide Admin role.
async fn invite(f: &Api, email: &str) -> (u16, Value) {
    let body = json!({
        "email": email,
        "name": "Some Name",
        "actorRoles": [{ "roleId": f.s.flatfile_role_id, "resourceId": f.s.flatfile_account_id }],
    });
    f.post("/users/invite", body).await
}

async fn invite_id(f: &Api, email: &str) -> String {
    let (status, body) = invite(f, email).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["id"].as_str().unwrap_or_default().to_owned()
}

fn is_iso_millis(s: &str) -> bool {
    s.len() == 24 && s.ends_with('Z') && s.as_bytes().get(19) == Some(&b'.')
}

/// Replays the documented requests (docs/vendors/flatfile.md#examples) with plain HTTP: invite, then look the user up by email.
#[tokio::test]
async fn smoke_docs_invite_then_lookup_by_email() {
    let sb = invite_sandbox::Sandbox::start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let f = Api::flatfile(&sb);
    let (status, body) = f
        .send(
            f.req(reqwest::Method::POST, "/users/invite")
                .header("Content-Type", "application/json")
                .body(
                    json!({
                        "email": "john.smith@example.com",
                        "name": "John Smith",
                        "actorRoles": [{"roleId": f.s.flatfile_role_id, "resourceId": f.s.flatfile_account_id}]
                    })
                    .to_string(),
                ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let user = &body["data"];
    let id = user["id"].as_str().unwrap_or_default();
    assert!(id.starts_with("us_usr_"), "{id}");
    assert_eq!(user["email"], "john.smith@example.com");
    // Trap 4: the name comes back as the email's local part.
    assert_eq!(user["name"], "john.smith");
    assert_eq!(user["accountId"], f.s.flatfile_account_id.as_str());
    assert_eq!(user["idp"], "FRONTEGG");
    assert_eq!(user["metadata"], json!({}));
    // As the invite page's example shows: a new invitee was last seen when created.
    assert_eq!(user["lastSeenAt"], user["createdAt"]);
    assert!(is_iso_millis(
        user["createdAt"].as_str().unwrap_or_default()
    ));
    let roles = user["actorRoles"].as_array().cloned().unwrap_or_default();
    assert_eq!(roles.len(), 1);
    assert!(
        roles[0]["id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("us_acr_")
    );
    assert_eq!(roles[0]["roleId"], f.s.flatfile_role_id.as_str());
    assert_eq!(roles[0]["resourceId"], f.s.flatfile_account_id.as_str());
    assert_eq!(roles[0]["actorId"], id);

    let (status, list) = f
        .get("/users?email=john.smith%40example.com&pageSize=2&pageNumber=1")
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"][0]["id"], id);
    assert!(list["data"][0].get("actorRoles").is_none());
    assert_eq!(
        list["pagination"],
        json!({"currentPage": 1, "pageCount": 1, "totalCount": 1})
    );
    assert_eq!(
        sb.invitation_count(Surface::Flatfile, "JOHN.SMITH@example.com"),
        1
    );
    assert_eq!(
        emails_of(&sb, Surface::Flatfile),
        [("john.smith@example.com".to_owned(), "invitation".to_owned())]
    );
}

#[tokio::test]
async fn invite_validation_errors() {
    let sb = start().await;
    let f = Api::flatfile(&sb);
    // X-Disable-Hooks missing
    let (status, body) = f
        .send(
            f.c.post(format!("{}/users/invite", f.base))
                .bearer_auth(&f.token)
                .json(&json!({"email": "a@example.com", "name": "A", "actorRoles": []})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["key"], "X-Disable-Hooks");
    assert!(body["errors"][0]["message"].is_string());
    // (what, body, status, errors[0].key when the case checks it)
    let cases = [
        (
            "name missing",
            json!({"email": "a@example.com", "actorRoles": []}),
            400,
            Some("name"),
        ),
        (
            "actorRoles missing",
            json!({"email": "a@example.com", "name": "A"}),
            400,
            Some("actorRoles"),
        ),
        (
            "bad email",
            json!({"email": "nope", "name": "A", "actorRoles": []}),
            400,
            None,
        ),
        (
            "role id with the wrong prefix",
            json!({"email": "a@example.com", "name": "A",
                "actorRoles": [{"roleId": "role_1", "resourceId": f.s.flatfile_account_id}]}),
            400,
            Some("roleId"),
        ),
        (
            "unknown role",
            json!({"email": "a@example.com", "name": "A",
                "actorRoles": [{"roleId": "us_rol_unknown1", "resourceId": f.s.flatfile_account_id}]}),
            404,
            None,
        ),
        (
            "resource id with the wrong prefix",
            json!({"email": "a@example.com", "name": "A",
                "actorRoles": [{"roleId": f.s.flatfile_role_id, "resourceId": "us_wb_123"}]}),
            400,
            Some("resourceId"),
        ),
        (
            "another account",
            json!({"email": "a@example.com", "name": "A",
                "actorRoles": [{"roleId": f.s.flatfile_role_id, "resourceId": "us_acc_other123"}]}),
            404,
            None,
        ),
    ];
    for (what, body, status, key) in cases {
        let (got, answer) = f.post("/users/invite", body).await;
        assert_eq!(got, status, "{what}: {answer}");
        if let Some(key) = key {
            assert_eq!(answer["errors"][0]["key"], key, "{what}");
        }
    }
    // environment and space ids are accepted, and an empty actorRoles too
    let (status, body) = f
        .post(
            "/users/invite",
            json!({"email": "env@example.com", "name": "E",
            "actorRoles": [{"roleId": f.s.flatfile_role_id, "resourceId": "us_env_abc12345"},
                           {"roleId": f.s.flatfile_role_id, "resourceId": "us_sp_abc12345"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["actorRoles"].as_array().map(Vec::len), Some(2));
    // duplicate email, case-insensitive: 409
    let (status, body) = f
        .post(
            "/users/invite",
            json!({"email": "ENV@example.com", "name": "E", "actorRoles": []}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["errors"][0]["key"], "email");
    // unknown field
    let (status, _) = f
        .post(
            "/users/invite",
            json!({"email": "b@example.com", "name": "B", "actorRoles": [], "role": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    // wrong key
    let (status, body) = f
        .send(
            f.c.get(format!("{}/users", f.base))
                .bearer_auth("sk_wrong")
                .header("X-Disable-Hooks", "true"),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["key"], "authorization");
    // nothing but env@ was created
    assert_eq!(sb.invitation_count(Surface::Flatfile, "a@example.com"), 0);
}

#[tokio::test]
async fn list_pagination_sort_and_search() {
    let sb = start().await;
    let f = Api::flatfile(&sb);
    for name in ["carol", "alice", "erin", "bob", "dave"] {
        invite_id(&f, &format!("{name}@example.com")).await;
    }
    let get = |q: &str| f.get(format!("/users{q}"));
    let (status, body) = get("").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        body["pagination"],
        json!({"currentPage": 1, "pageCount": 1, "totalCount": 5})
    );
    let (_, body) = get("?pageSize=2&pageNumber=3&sortField=email").await;
    assert_eq!(
        body["pagination"],
        json!({"currentPage": 3, "pageCount": 3, "totalCount": 5})
    );
    assert_eq!(body["data"][0]["email"], "erin@example.com");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    let (_, body) = get("?pageSize=2&sortField=email&sortDirection=desc").await;
    let emails: Vec<&str> = body["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["email"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(emails, ["erin@example.com", "dave@example.com"]);
    let (_, body) = get("?pageNumber=9").await;
    assert_eq!(body["data"], json!([]));
    let (_, body) = get("?search=AL").await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["data"][0]["email"], "alice@example.com");
    let (_, body) = get("?email=BOB%40EXAMPLE.COM").await;
    assert_eq!(body["data"][0]["email"], "bob@example.com");
    let (status, body) = get("?sortField=nickname").await;
    assert_eq!(
        (status, body["errors"][0]["key"].clone()),
        (400, json!("sortField"))
    );
    let (status, _) = get("?sortDirection=up").await;
    assert_eq!(status, 400);
    let (status, _) = get("?pageSize=0").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn get_update_roles_resend_accept_delete() {
    let sb = start().await;
    let f = Api::flatfile(&sb);
    let id = invite_id(&f, "pat@example.com").await;
    let path = format!("/users/{id}");
    let (status, body) = f.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["email"], "pat@example.com");

    let (status, body) = f
        .json(
            Method::PATCH,
            &path,
            json!({"name": "Pat Doe", "dashboard": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "Pat Doe");
    assert_eq!(body["data"]["dashboard"], 2);
    let (status, body) = f
        .json(Method::PATCH, &path, json!({"email": "x@example.com"}))
        .await;
    assert_eq!(
        (status, body["errors"][0]["key"].clone()),
        (400, json!("email"))
    );

    // roles: list, assign (idempotent for the same pair), remove by actor role id
    let roles_path = format!("{path}/roles");
    let (status, body) = f.get(&roles_path).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    let (_, roles) = f
        .send(f.c.get(format!("{}/roles", f.base)).bearer_auth(&f.token))
        .await;
    let names: Vec<&str> = roles["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Admin", "Guest Manager"]);
    let guest = invite_sandbox::flatfile::GUEST_ROLE_ID;
    let (status, assigned) = f
        .post(
            &roles_path,
            json!({"roleId": guest, "resourceId": "us_env_abc12345"}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["data"]["roleId"], guest);
    assert_eq!(assigned["data"]["actorId"], id.as_str());
    let (_, again) = f
        .post(
            &roles_path,
            json!({"roleId": guest, "resourceId": "us_env_abc12345"}),
        )
        .await;
    assert_eq!(again["data"]["id"], assigned["data"]["id"]);
    let acr = assigned["data"]["id"].as_str().unwrap_or_default();
    let (status, body) = f.delete(format!("{roles_path}/{acr}")).await;
    assert_eq!((status, body), (200, json!({"data": {"success": true}})));
    let (status, _) = f.delete(format!("{roles_path}/{acr}")).await;
    assert_eq!(status, 404);
    let (status, _) = f
        .post(
            &roles_path,
            json!({"roleId": "us_rol_missing1", "resourceId": f.s.flatfile_account_id}),
        )
        .await;
    assert_eq!(status, 404);

    // resend: another invitation email
    let (status, body) = f.post_empty(&format!("{path}/resend-invite")).await;
    assert_eq!((status, body), (200, json!({"data": {"success": true}})));
    assert_eq!(sb.invitation_count(Surface::Flatfile, "pat@example.com"), 2);

    // the admin accept hook sets lastSeenAt
    let accepted = reqwest::Client::new()
        .post(format!("{}/flatfile/accept", sb.settings().admin_url))
        .json(&json!({"email": "PAT@example.com"}))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok();
    assert_eq!(accepted, Some(200));
    let (_, body) = f.get(&path).await;
    assert!(body["data"]["lastSeenAt"].is_string());
    let at = |k: &str| {
        let s = body["data"][k].as_str().unwrap_or_default();
        OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{k} {s}: {e}"))
    };
    assert!(
        at("lastSeenAt") - at("createdAt") >= time::Duration::seconds(2),
        "an acceptance is a sighting after the invitation: {body}"
    );

    // account
    let (status, body) = f.get("/accounts/current").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["id"], f.s.flatfile_account_id.as_str());

    // delete
    let (status, body) = f.delete(&path).await;
    assert_eq!((status, body), (200, json!({"data": {"success": true}})));
    let (status, body) = f.get(&path).await;
    assert_eq!(status, 404);
    assert!(body["errors"][0]["message"].is_string());
    let (status, _) = f.post_empty(&format!("{path}/resend-invite")).await;
    assert_eq!(status, 404);
}

/// `actual` has the shape of the documented example `name`'s answer
/// (`fixtures/vendors/flatfile/{name}.json`).
fn assert_documented_shape(name: &str, actual: &Value) {
    let example = documented(&format!("flatfile/{name}"));
    assert_same_shape(name, example.response_body(), actual, &[]);
}

/// Every Flatfile route the sandbox serves answers in the shape Flatfile documents: the
/// fields, JSON types and nesting of the vendor's own examples. `GET /v1/roles` has no
/// published example (only its type), so its fields are checked against `RoleResponse`.
#[tokio::test]
async fn answers_have_the_documented_shapes() {
    let sb = start().await;
    let f = Api::flatfile(&sb);
    let (acc, role) = (&f.s.flatfile_account_id, &f.s.flatfile_role_id);
    let (status, invited) = f
        .post(
            "/users/invite",
            json!({"email": "john.smith@example.com", "name": "John Smith", "actorRoles": [
                {"roleId": role, "resourceId": acc},
                {"roleId": role, "resourceId": "us_env_YOURID1"}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{invited}");
    assert_documented_shape("invite-user", &invited);
    let id = invited["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let user = format!("/users/{id}");

    let (_, listed) = f.get("/users?email=john.smith%40example.com").await;
    assert_documented_shape("list-users", &listed);
    let (_, got) = f.get(&user).await;
    assert_documented_shape("get-user", &got);

    let (status, updated) = f
        .json(Method::PATCH, &user, json!({"name": "John Smith"}))
        .await;
    assert_eq!(status, 200, "{updated}");
    // The update page's example is generated from the schema: its `metadata` carries the
    // map-key placeholder "string". `metadata` is an object whose keys are the caller's.
    let mut doc = documented("flatfile/update-user").response_body().clone();
    doc["data"]["metadata"] = json!({});
    assert_same_shape("update-user", &doc, &updated, &[]);

    let roles = format!("{user}/roles");
    let (_, held) = f.get(&roles).await;
    assert_documented_shape("list-user-roles", &held);
    let (status, assigned) = f
        .post(
            &roles,
            json!({"roleId": invite_sandbox::flatfile::GUEST_ROLE_ID, "resourceId": acc}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    // No example answer for assigning: `AssignRoleResponseData` has the fields of the
    // documented `ActorRoleResponse`.
    let item = documented("flatfile/list-user-roles").response_body()["data"][0].clone();
    assert_same_shape("assign-user-role", &json!({ "data": item }), &assigned, &[]);
    let acr = assigned["data"]["id"].as_str().unwrap_or_default();
    let (_, removed) = f.delete(format!("{roles}/{acr}")).await;
    // No example answer for removing a role: the SDK's `Success`, as resend answers.
    assert_documented_shape("resend-invite", &removed);

    let (_, resent) = f.post_empty(&format!("{user}/resend-invite")).await;
    assert_documented_shape("resend-invite", &resent);
    let (_, account) = f.get("/accounts/current").await;
    assert_documented_shape("get-current-account", &account);

    let (_, listed_roles) = f.get("/roles").await;
    let role_type = json!({"data": [
        {"id": "", "name": "", "accountId": "", "createdAt": "", "updatedAt": ""}
    ]});
    assert_same_shape("RoleResponse", &role_type, &listed_roles, &[]);

    let (_, deleted) = f.delete(&user).await;
    assert_documented_shape("delete-user", &deleted);
}

/// Flatfile documents no status for a duplicate invite: the sandbox refuses with 409, or
/// with 400 or 422 after the admin `duplicate-status` action, until the next reset.
#[tokio::test]
async fn duplicate_invite_status_is_a_sandbox_mode() {
    let sb = start().await;
    let f = Api::flatfile(&sb);
    invite_id(&f, "dup@example.com").await;
    for status in [400, 422, 409] {
        let set = sb.admin_action(
            Surface::Flatfile,
            "duplicate-status",
            &json!({ "status": status }),
        );
        assert_eq!(set.ok(), Some(json!({ "duplicateStatus": status })));
        let (got, body) = invite(&f, "DUP@example.com").await;
        assert_eq!(got, status, "{body}");
        assert_eq!(body["errors"][0]["key"], "email");
    }
    for bad in [json!({"status": 500}), json!({})] {
        assert!(
            sb.admin_action(Surface::Flatfile, "duplicate-status", &bad)
                .is_err()
        );
    }
    let (status, _) = f
        .admin_post("flatfile/duplicate-status", json!({"status": 422}))
        .await;
    assert_eq!(status, 200);
    sb.reset().unwrap_or_else(|e| panic!("{e}"));
    invite_id(&f, "dup@example.com").await;
    assert_eq!(invite(&f, "dup@example.com").await.0, 409, "back to 409");
    assert_eq!(sb.invitation_count(Surface::Flatfile, "dup@example.com"), 1);
}
