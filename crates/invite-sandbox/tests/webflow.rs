//! Webflow Data API site users, driven over HTTP as the vendor docs' curl examples do.

#![cfg(test)]

mod support;

use invite_sandbox::{SandboxConfig, Surface};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Fetch, header, parts, start, start_with};

/// `POST /sites/{site}/users/invite` with `body`.
async fn invite(api: &Api, body: Value) -> (u16, Value) {
    let path = format!("/sites/{}/users/invite", api.s.webflow_site_id);
    api.post(&path, body).await
}

#[tokio::test]
async fn curl_replay_invite_list_get_update_delete() {
    let sb = start().await;
    let api = Api::webflow(&sb);
    let users = format!("/sites/{}/users", api.s.webflow_site_id);

    // curl -X POST .../users/invite -H "Authorization: Bearer ..." -d '{"email":..,"accessGroups":[..]}'
    let (status, h, user, _) = api
        .c
        .post(format!("{}{users}/invite", api.base))
        .header("Authorization", format!("Bearer {}", api.token))
        .header("content-type", "application/json")
        .body(r#"{"email":"Some.One@Home.com","accessGroups":["webflowers"]}"#)
        .reply()
        .await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-ratelimit-limit"), "1000");
    assert_eq!(header(&h, "x-ratelimit-remaining"), "999");
    assert_eq!(user["status"], "invited");
    assert_eq!(user["isEmailVerified"], false);
    assert_eq!(user["data"]["data"]["email"], "Some.One@Home.com");
    assert_eq!(
        user["accessGroups"],
        json!([{"slug": "webflowers", "type": "admin"}])
    );
    assert!(user["lastUpdated"].is_string() && user["updatedOn"].is_null());
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(id.len(), 24);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let one = format!("{users}/{id}");

    // duplicate, case-insensitive
    let (status, body) = invite(&api, json!({"email": "some.one@home.COM"})).await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "duplicate_user_email");
    assert!(body.get("externalReference").is_some() && body["details"].is_array());

    // list
    let (status, list) = api
        .get(format!("{users}?offset=0&limit=100&sort=-CreatedOn"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["count"], 1);
    assert_eq!(list["limit"], 100);
    assert_eq!(list["users"][0]["id"], id.as_str());

    // get
    assert_eq!(api.get(&one).await.0, 200);

    // PATCH flat data + slug strings (replaces accessGroups wholesale)
    let (status, user) = api
        .json(Method::PATCH, &one, json!({"data": {"name": "Some One", "accept-privacy": true}, "accessGroups": ["premium-members"]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(user["data"]["data"]["name"], "Some One");
    assert_eq!(user["data"]["data"]["accept-privacy"], true);
    assert_eq!(
        user["accessGroups"],
        json!([{"slug": "premium-members", "type": "admin"}])
    );

    // PATCH nested data.data + {slug,type} objects, with read-only fields the SDK sends
    let (status, user) = api
        .json(Method::PATCH, &one, json!({"id": id, "status": "verified", "data": {"data": {"name": "S. One", "email": "some.one@home.com", "favorite-color": "teal"}},
                      "accessGroups": [{"slug": "webflowers", "type": "admin"}, {"slug": "premium-members", "type": "ecommerce"}]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(user["status"], "invited");
    assert_eq!(user["data"]["data"]["name"], "S. One");
    assert_eq!(user["data"]["data"]["favorite-color"], "teal");
    assert_eq!(user["accessGroups"].as_array().map(Vec::len), Some(2));
    assert_eq!(user["accessGroups"][1]["type"], "ecommerce");

    // PATCH that changes email or password
    for body in [
        json!({"data": {"email": "other@home.com"}}),
        json!({"data": {"data": {"password": "x"}}}),
        json!({"email": "other@home.com"}),
    ] {
        let (status, err) = api.json(Method::PATCH, &one, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(err["code"], "validation_error");
    }

    // PATCH with an unknown access group
    let patched = api.json(Method::PATCH, &one, json!({"accessGroups": ["nope"]}));
    assert_eq!(patched.await.0, 400);

    // accept through the admin API: invited -> verified
    let accepted = api.admin_post("webflow/accept", json!({"email": "SOME.ONE@home.com"}));
    assert_eq!(accepted.await.0, 200);
    let (_, user) = api.get(&one).await;
    assert_eq!(user["status"], "verified");
    assert_eq!(user["isEmailVerified"], true);

    // delete: 200 with an empty body, then 404 user_not_found
    let (status, _, _, text) = api.req(Method::DELETE, &one).reply().await;
    assert_eq!((status, text.as_str()), (200, ""));
    let (status, err) = api.get(&one).await;
    assert_eq!(status, 404);
    assert_eq!(err["code"], "user_not_found");

    assert_eq!(
        sb.invitation_count(Surface::WebflowData, "some.one@home.com"),
        1
    );
    let emails = sb.emails();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].kind, "invitation");
    sb.shutdown().await;
}

#[tokio::test]
async fn validation_and_not_found() {
    let sb = start().await;
    let api = Api::webflow(&sb);
    let users = format!("/sites/{}/users", api.s.webflow_site_id);
    let get = |path: String| api.req(Method::GET, &path);
    let invite = || api.req(Method::POST, &format!("{users}/invite"));
    let nobody = format!("{users}/bbbbbbbbbbbbbbbbbbbbbbbb");
    let unknown_group = json!({"email": "a@b.co", "accessGroups": ["unknown-slug"]});
    let invalid = "validation_error";
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            invite().json(&json!({"email": "not-an-email"})),
            400,
            "invalid_user_email",
        ),
        (invite().json(&unknown_group), 400, invalid),
        (invite().body("{not json"), 400, "bad_request"),
        (invite().json(&json!({})), 400, invalid),
        (get(format!("{users}?limit=101")), 400, invalid),
        (get(format!("{users}?limit=abc")), 400, invalid),
        (get(format!("{users}?sort=Name")), 400, invalid),
        (
            get(format!("/sites/{}/users", "a".repeat(24))),
            404,
            "resource_not_found",
        ),
        (get(nobody.clone()), 404, "user_not_found"),
        (api.req(Method::DELETE, &nobody), 404, "user_not_found"),
    ];
    for (req, want_status, want_code) in cases {
        let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let url = r.url().to_string();
        let (status, _, body, _) = parts(r).await;
        assert_eq!(status, want_status, "{url}");
        assert_eq!(body["code"], want_code, "{url}");
        assert!(body["message"].is_string());
    }
    // sort values from the contract are accepted
    for sort in ["CreatedOn", "-Email", "Status", "-LastLogin", "UpdatedOn"] {
        let (status, _) = api
            .get(format!("{users}?sort={sort}&limit=5&offset=0"))
            .await;
        assert_eq!(status, 200, "{sort}");
    }
}

#[tokio::test]
async fn sites_tokens_access_groups() {
    let sb = start().await;
    let api = Api::webflow(&sb);
    let s = &api.s;

    let (status, body) = api.get("/sites").await;
    assert_eq!(status, 200);
    assert_eq!(body["sites"][0]["id"], s.webflow_site_id.as_str());
    assert_eq!(
        body["sites"][0]["workspaceId"],
        s.webflow_workspace_id.as_str()
    );
    assert!(body["sites"][0]["displayName"].is_string());

    let (status, body) = api.get("/token/authorized_by").await;
    assert_eq!(status, 200);
    assert!(body["email"].is_string() && body["firstName"].is_string());

    let (status, body) = api.get("/token/introspect").await;
    assert_eq!(status, 200);
    assert!(
        body["authorization"]["scope"]
            .as_str()
            .unwrap_or_default()
            .contains("users:write")
    );
    assert_eq!(
        body["authorization"]["authorizedTo"]["siteIds"][0],
        s.webflow_site_id.as_str()
    );

    let (status, body) = api
        .get(format!(
            "/sites/{}/accessgroups?limit=1&offset=1&sort=CreatedOn",
            s.webflow_site_id
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 2);
    assert_eq!(body["count"], 1);
    assert_eq!(body["accessGroups"][0]["slug"], "premium-members");
    assert!(body["accessGroups"][0]["shortId"].is_string());
}

#[tokio::test]
async fn auth_failures_and_scopes() {
    let sb =
        start_with(SandboxConfig::default().webflow_token_scopes(["users:read", "sites:read"]))
            .await;
    let api = Api::webflow(&sb);
    let s = &api.s;
    let users = format!("/sites/{}/users", s.webflow_site_id);

    for auth in [
        None,
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {}", s.webflow_scim_token)),
    ] {
        let mut req = api.c.get(format!("{}{users}", api.base));
        if let Some(a) = &auth {
            req = req.header("Authorization", a);
        }
        let (status, _, body, _) = req.reply().await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["code"], "not_authorized");
    }
    // the Data API token is rejected by SCIM too
    let scim_with_data_token = Api::new(&sb, &s.webflow_scim_base_url, &s.webflow_api_token);
    assert_eq!(scim_with_data_token.get("/Users").await.0, 401);

    assert_eq!(api.get(&users).await.0, 200);
    let (status, body) = invite(&api, json!({"email": "a@example.com"})).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "missing_scopes");
    assert_eq!(
        body["message"],
        "OAuthForbidden: You are missing the following scopes - users:write"
    );
    assert_eq!(
        sb.invitation_count(Surface::WebflowData, "a@example.com"),
        0
    );
}

#[tokio::test]
async fn user_limit_reached() {
    let sb = start_with(SandboxConfig::default().webflow_user_limit(Some(1))).await;
    let api = Api::webflow(&sb);
    let send = |email: &'static str| invite(&api, json!({"email": email}));
    assert_eq!(send("one@example.com").await.0, 200);
    let (status, body) = send("two@example.com").await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "user_limit_reached");
}

#[tokio::test]
async fn retire_switch() {
    let sb = start().await;
    let api = Api::webflow(&sb);
    let site = &api.s.webflow_site_id;
    let retired = api.admin_post("webflow/retire", json!({"retired": true}));
    assert_eq!(retired.await.0, 200);
    for req in [
        api.req(Method::GET, &format!("/sites/{site}/users")),
        api.req(Method::GET, &format!("/sites/{site}/accessgroups")),
        api.req(Method::POST, &format!("/sites/{site}/users/invite"))
            .json(&json!({"email": "a@b.co"})),
        api.req(
            Method::DELETE,
            &format!("/sites/{site}/users/aaaaaaaaaaaaaaaaaaaaaaaa"),
        ),
    ] {
        let (status, _, body, _) = req.reply().await;
        assert_eq!(status, 403);
        assert_eq!(body["code"], "users_not_enabled");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("January 29, 2026")
        );
    }
    // sites still answer
    assert_eq!(api.get("/sites").await.0, 200);
    sb.set_webflow_retired(false);
    assert_eq!(api.get(format!("/sites/{site}/users")).await.0, 200);

    // also settable in the config
    let sb2 = start_with(SandboxConfig::default().webflow_retired(true)).await;
    let api2 = Api::webflow(&sb2);
    let users2 = format!("/sites/{}/users", api2.s.webflow_site_id);
    assert_eq!(api2.get(users2).await.0, 403);
}

#[tokio::test]
async fn seeded_users_and_paging() {
    let seed = json!({"webflow": {"sites": [{
        "displayName": "Seeded",
        "accessGroups": [{"slug": "team", "name": "Team"}],
        "users": (0..25).map(|i| json!({"email": format!("user{i:02}@example.com"), "name": format!("User {i}"), "accessGroups": ["team"]})).collect::<Vec<Value>>()
    }]}});
    let sb = start_with(SandboxConfig::default().seed(seed)).await;
    let api = Api::webflow(&sb);
    let users = format!("/sites/{}/users", api.s.webflow_site_id);
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let (_, page) = api.get(format!("{users}?offset={offset}&limit=10")).await;
        assert_eq!(page["total"], 25);
        let users = page["users"].as_array().cloned().unwrap_or_default();
        if users.is_empty() {
            break;
        }
        offset += users.len();
        seen.extend(users.into_iter().map(|u| {
            u["data"]["data"]["email"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }));
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "user00@example.com");
    assert_eq!(
        sb.state()["webflow"]["sites"][0]["users"][3]["status"],
        "verified"
    );
}
