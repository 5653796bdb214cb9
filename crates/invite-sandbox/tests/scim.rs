//! Webflow SCIM 2.0 surface over HTTP.

#![cfg(test)]

mod support;

use invite_sandbox::Surface;
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Fetch, assert_scim_error, header, start};

const ERR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn user_body(email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
        "externalId": "okta-1"
    })
}

#[tokio::test]
async fn users_lifecycle() {
    let sb = start().await;
    let sc = Api::scim(&sb);
    let base = &sc.base;

    let (status, h, user, _) = sc
        .req(Method::POST, "/Users")
        .header("content-type", "application/scim+json")
        .body(user_body("Ada@Example.com").to_string())
        .reply()
        .await;
    assert_eq!(status, 201);
    assert!(header(&h, "content-type").starts_with("application/scim+json"));
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(header(&h, "location"), format!("{base}/Users/{id}"));
    assert_eq!(header(&h, "etag"), "W/\"1\"");
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(user["meta"]["resourceType"], "User");

    // uniqueness, case-insensitive
    let (status, _, err, _) = sc
        .req(Method::POST, "/Users")
        .json(&user_body("ada@example.COM"))
        .reply()
        .await;
    assert_eq!(status, 409);
    assert_eq!(err["schemas"][0], ERR);
    assert_eq!(err["status"], "409");
    assert_eq!(err["scimType"], "uniqueness");
    assert_eq!(
        sb.invitation_count(Surface::WebflowScim, "ada@example.com"),
        1
    );

    // filters
    for filter in [
        r#"userName eq "ADA@example.com""#,
        r#"emails.value eq "ada@example.com""#,
        r#"emails eq "ada@EXAMPLE.com""#,
    ] {
        let (status, _, list, _) =
            sc.c.get(format!("{base}/Users"))
                .query(&[("filter", filter)])
                .bearer_auth(&sc.token)
                .reply()
                .await;
        assert_eq!(status, 200, "{filter}");
        assert_eq!(
            list["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:ListResponse"
        );
        assert_eq!(list["totalResults"], 1, "{filter}");
        assert_eq!(list["Resources"][0]["id"], id.as_str());
    }
    let (_, _, list, _) =
        sc.c.get(format!(
            "{base}/Users?filter=userName%20eq%20%22nobody%40x.com%22"
        ))
        .bearer_auth(&sc.token)
        .reply()
        .await;
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["Resources"], json!([]));
    let (status, _, err, _) =
        sc.c.get(format!("{base}/Users"))
            .query(&[("filter", "userName gt 3")])
            .bearer_auth(&sc.token)
            .reply()
            .await;
    assert_eq!(
        (status, err["scimType"].as_str()),
        (400, Some("invalidFilter"))
    );

    // PATCH replace without path (Okta style) and with path, "False" as a string
    let (status, h, user, _) = sc.req(Method::PATCH, &format!("/Users/{id}"))
        .json(&json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "value": {"active": false, "name.givenName": "Augusta"}}]})).reply().await;
    assert_eq!(status, 200);
    assert_eq!(user["active"], false);
    assert_eq!(user["name"]["givenName"], "Augusta");
    assert_eq!(header(&h, "etag"), "W/\"2\"");
    let (status, _, user, _) = sc.req(Method::PATCH, &format!("/Users/{id}"))
        .json(&json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": "True"},
                                                           {"op": "add", "path": "title", "value": "Engineer"},
                                                           {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada@example.com"},
                                                           {"op": "remove", "path": "externalId"}]})).reply().await;
    assert_eq!(status, 200);
    assert_eq!(user["active"], true);
    assert_eq!(user["title"], "Engineer");
    assert_eq!(user["emails"][0]["value"], "ada@example.com");
    assert!(user.get("externalId").is_none());

    for (ops, scim_type) in [
        (
            json!([{"op": "replace", "path": "favoriteColor", "value": "x"}]),
            "invalidPath",
        ),
        (json!([{"op": "remove"}]), "noTarget"),
        (
            json!([{"op": "frobnicate", "path": "title"}]),
            "invalidSyntax",
        ),
    ] {
        let (status, _, err, _) = sc
            .req(Method::PATCH, &format!("/Users/{id}"))
            .json(&json!({"schemas": [PATCH], "Operations": ops}))
            .reply()
            .await;
        assert_eq!(status, 400);
        assert_eq!(err["scimType"], scim_type);
        assert_eq!(err["status"], "400");
    }

    // If-Match
    let (status, _, err, _) = sc.req(Method::PATCH, &format!("/Users/{id}")).header("If-Match", "W/\"1\"")
        .json(&json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "x"}]})).reply().await;
    assert_eq!(status, 412);
    assert_eq!(err["status"], "412");
    let r = sc
        .req(Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let etag = header(r.headers(), "etag").to_owned();

    // PUT replaces the resource
    let mut body = user_body("ada@example.com");
    body["displayName"] = json!("Ada L.");
    body["active"] = json!(false);
    let (status, _, user, _) = sc
        .req(Method::PUT, &format!("/Users/{id}"))
        .header("If-Match", &etag)
        .json(&body)
        .reply()
        .await;
    assert_eq!(status, 200);
    assert_eq!(user["displayName"], "Ada L.");
    assert_eq!(user["active"], false);
    assert!(user.get("title").is_none());

    // paging in creation order
    for i in 0..4 {
        let r = sc
            .req(Method::POST, "/Users")
            .json(&user_body(&format!("u{i}@example.com")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 201);
    }
    let (_, _, list, _) = sc
        .req(Method::GET, "/Users?startIndex=2&count=2")
        .reply()
        .await;
    assert_eq!(list["totalResults"], 5);
    assert_eq!(list["itemsPerPage"], 2);
    assert_eq!(list["startIndex"], 2);
    assert_eq!(list["Resources"][0]["userName"], "u0@example.com");
    assert_eq!(list["Resources"][1]["userName"], "u1@example.com");

    // DELETE 204, second 404
    assert_eq!(
        sc.req(Method::DELETE, &format!("/Users/{id}"))
            .status()
            .await,
        Some(204)
    );
    let (status, h, err, _) = sc
        .req(Method::DELETE, &format!("/Users/{id}"))
        .reply()
        .await;
    assert_scim_error(status, &h, &err, 404);
}

#[tokio::test]
async fn groups_and_config() {
    let sb = start().await;
    let sc = Api::scim(&sb);
    let base = &sc.base;

    let (_, user) = sc.post("/Users", user_body("g@example.com")).await;
    let uid = user["id"].as_str().unwrap_or_default().to_owned();

    let (status, _, list, _) = sc.req(Method::GET, "/Groups").reply().await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 2);
    let names: Vec<&str> = list["Resources"]
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["displayName"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Designers", "Editors"]);
    let gid = list["Resources"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let (status, _, group, _) = sc.req(Method::PATCH, &format!("/Groups/{gid}"))
        .json(&json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]})).reply().await;
    assert_eq!(status, 200);
    assert_eq!(group["members"][0]["value"], uid.as_str());
    let (_, _, user, _) = sc.req(Method::GET, &format!("/Users/{uid}")).reply().await;
    assert_eq!(user["groups"][0]["display"], "Designers");

    let (status, _, group, _) = sc.req(Method::PATCH, &format!("/Groups/{gid}"))
        .json(&json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]})).reply().await;
    assert_eq!(status, 200);
    assert_eq!(group["members"], json!([]));
    assert_eq!(
        sc.req(Method::GET, &format!("/Groups/{gid}"))
            .status()
            .await,
        Some(200)
    );
    assert_eq!(
        sc.req(Method::GET, "/Groups/nope").status().await,
        Some(404)
    );
    assert_eq!(sc.req(Method::PATCH, &format!("/Groups/{gid}"))
        .json(&json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]})).status().await, Some(400));

    let (status, _, cfg, _) = sc.req(Method::GET, "/ServiceProviderConfig").reply().await;
    assert_eq!(status, 200);
    assert_eq!(cfg["patch"]["supported"], true);
    assert_eq!(cfg["etag"]["supported"], true);

    // auth: missing and the Data API token are both rejected with an RFC 7644 401
    for auth in [None, Some(sc.s.webflow_api_token.clone())] {
        let mut req = sc.c.get(format!("{base}/Users"));
        if let Some(t) = &auth {
            req = req.bearer_auth(t);
        }
        let (status, h, err, _) = req.reply().await;
        assert_eq!(status, 401);
        assert_eq!(err["status"], "401");
        assert!(header(&h, "www-authenticate").starts_with("Bearer"));
    }
    // no email is "sent" for SCIM
    assert!(sb.emails().is_empty());
}
