//! Webflow Enterprise workspace members and site access, driven over HTTP.

#![cfg(test)]

mod support;

use invite_sandbox::workspace::{CLIENT_SITE_ID, CUSTOM_SITE_ROLE_ID, OWNER_EMAIL};
use invite_sandbox::{SandboxConfig, Surface};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, header, send, start, start_with};

fn members(w: &Api) -> String {
    format!("/workspaces/{}/members", w.s.webflow_workspace_id)
}

async fn invite(w: &Api, body: Value) -> (u16, Value) {
    w.post(&members(w), body).await
}

async fn admin(w: &Api, action: &str, body: Value) -> (u16, Value) {
    w.admin_post(&format!("webflow-workspace/{action}"), body)
        .await
}

/// Adds a member through the admin API; answers its id.
async fn add_member(w: &Api, email: &str, extra: Value) -> String {
    let mut body = json!({"email": email});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, m) = admin(w, "member", body).await;
    assert_eq!(status, 200, "{m}");
    m["id"].as_str().unwrap_or_default().to_owned()
}

/// `PATCH` member `id` with `body`.
async fn update(w: &Api, id: &str, body: Value) -> (u16, Value) {
    w.json(Method::PATCH, &format!("{}/{id}", members(w)), body)
        .await
}

async fn list(w: &Api, q: &str) -> (u16, Value) {
    w.get(format!("{}{q}", members(w))).await
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn invite_shapes_and_role_pairing() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    // workspace-wide default (SDK wire body)
    let (status, body) = invite(&w, json!({"email": "sam.okafor@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "invited");
    let inv = &body["invite"];
    assert_eq!(inv["email"], "sam.okafor@example.com");
    assert_eq!(inv["role"], "member");
    assert_eq!(inv["status"], "pending");
    assert_eq!(inv["allSites"], true);
    assert_eq!(inv["sites"], json!([]));
    assert_eq!(inv["defaultSiteRole"], "designer");
    assert_eq!(inv["id"].as_str().map(str::len), Some(24));
    assert!(inv["createdOn"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert_eq!(
        sb.invitation_count(Surface::WebflowWorkspace, "sam.okafor@example.com"),
        1
    );
    assert!(
        sb.emails()
            .iter()
            .any(|e| e.surface == Surface::WebflowWorkspace
                && e.to == "sam.okafor@example.com"
                && e.kind == "invitation")
    );
    // specific sites
    let (status, body) = invite(
        &w,
        json!({"email": "kit@example.com", "workspaceRole": "member",
            "siteAccess": [{"siteId": w.s.webflow_site_id, "siteRole": "content_editor"},
                           {"siteId": CLIENT_SITE_ID, "siteRole": "content_editor"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["invite"]["allSites"], false);
    assert_eq!(
        body["invite"]["sites"],
        json!([w.s.webflow_site_id, CLIENT_SITE_ID])
    );
    // collaborator client, then extended to a second site (same invite id)
    let (status, body) = invite(
        &w,
        json!({"email": "client@example.com", "workspaceRole": "client",
            "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "content_editor"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let client_invite = body["invite"]["id"].clone();
    let (_, body) = invite(
        &w,
        json!({"email": "client@example.com", "workspaceRole": "client",
            "siteAccess": [{"siteId": w.s.webflow_site_id, "siteRole": "content_editor"}]}),
    )
    .await;
    assert_eq!(body["invite"]["id"], client_invite);
    assert_eq!(
        body["invite"]["sites"],
        json!([CLIENT_SITE_ID, w.s.webflow_site_id])
    );
    // custom role with its id
    let (status, body) = invite(
        &w,
        json!({"email": "cu@example.com", "workspaceRole": "member",
            "defaultSiteRole": "custom", "defaultSiteRoleId": CUSTOM_SITE_ROLE_ID}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["invite"]["defaultSiteRoleId"], CUSTOM_SITE_ROLE_ID);
    // an existing member answers 200 active
    let (status, body) = invite(&w, json!({"email": OWNER_EMAIL.to_uppercase(), "workspaceRole": "member", "defaultSiteRole": "designer"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "active");
    assert_eq!(body["member"]["roles"]["workspace"], "owner");

    // every body is refused with 400 and its code
    let bad = [
        (
            "invalid_workspace_role",
            vec![
                json!({"email": "a@example.com", "workspaceRole": "reviewer", "defaultSiteRole": "designer"}),
                json!({"email": "a@example.com", "workspaceRole": "admin", "defaultSiteRole": "designer"}),
                json!({"email": "a@example.com", "workspaceRole": "member", "defaultSiteRole": "reviewer"}),
            ],
        ),
        (
            "validation_error",
            vec![
                json!({"email": "a@example.com", "workspaceRole": "member", "defaultSiteRole": "designer",
                    "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "designer"}]}),
                json!({"email": "a@example.com", "workspaceRole": "member"}),
                json!({"email": "a@example.com", "workspaceRole": "member", "defaultSiteRole": "custom"}),
                json!({"email": "a@example.com", "workspaceRole": "member", "defaultSiteRole": "custom",
                    "defaultSiteRoleId": "000000000000000000000000"}),
                json!({"email": "a@example.com", "workspaceRole": "member", "defaultSiteRole": "designer",
                    "defaultSiteRoleId": CUSTOM_SITE_ROLE_ID}),
                json!({"email": "a@example.com", "workspaceRole": "client",
                    "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "content_editor"},
                                   {"siteId": w.s.webflow_site_id, "siteRole": "content_editor"}]}),
                json!({"email": "a@example.com", "workspaceRole": "client",
                    "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "designer"}]}),
                json!({"email": "a@example.com", "workspaceRole": "admin",
                    "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "site_manager"}]}),
                json!({"email": "a@example.com", "workspaceRole": "member",
                    "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "designer"},
                                   {"siteId": w.s.webflow_site_id, "siteRole": "marketer"}]}),
                json!({"email": "a@example.com", "workspaceRole": "member",
                    "siteAccess": [{"siteId": "aaaaaaaaaaaaaaaaaaaaaaaa", "siteRole": "designer"}]}),
                json!({"email": "a@example.com", "workspaceRole": "member", "defaultSiteRole": "designer", "sitePlan": "cms"}),
                json!({"email": "a@example.com", "workspaceRole": "owner", "defaultSiteRole": "designer"}),
            ],
        ),
        (
            "invalid_user_email",
            vec![
                json!({"email": "nope", "workspaceRole": "member", "defaultSiteRole": "designer"}),
            ],
        ),
    ];
    for (expected, bodies) in bad {
        for body in bodies {
            let (status, answer) = invite(&w, body.clone()).await;
            assert_eq!((status, code(&answer)), (400, expected), "{body}");
            assert!(answer["message"].is_string() && answer["details"].is_array());
        }
    }
    assert_eq!(
        sb.invitation_count(Surface::WebflowWorkspace, "a@example.com"),
        0
    );
}

#[tokio::test]
async fn list_paginates_both_arrays_and_filters() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    for i in 0..3 {
        add_member(&w, &format!("m{i}@example.com"), json!({})).await;
    }
    add_member(&w, "rev@example.com", json!({"role": "reviewer"})).await;
    let (status, _) = invite(&w, json!({"email": "Inv@Example.com", "workspaceRole": "member", "defaultSiteRole": "marketer"}))
        .await;
    assert_eq!(status, 200);
    // 5 members (owner + 4), 1 invite; limit 2 applies to each array separately
    let (status, p1) = list(&w, "?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(p1["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(p1["invites"].as_array().map(Vec::len), Some(1));
    assert_eq!(p1["pagination"]["limit"], 2);
    let cursor = p1["pagination"]["nextCursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!cursor.is_empty());
    let (_, p2) = list(&w, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(p2["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(p2["invites"], json!([]));
    let cursor = p2["pagination"]["nextCursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, p3) = list(&w, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(p3["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(p3["pagination"]["nextCursor"], Value::Null);
    // default limit 50, roles.site only on Workspace seats
    let (_, all) = list(&w, "").await;
    assert_eq!(all["pagination"], json!({"limit": 50, "nextCursor": null}));
    assert_eq!(all["members"][0]["email"], OWNER_EMAIL);
    assert_eq!(
        all["members"][0]["roles"],
        json!({"workspace": "owner", "site": "site_manager"})
    );
    assert_eq!(
        all["members"][1]["roles"],
        json!({"workspace": "member", "site": "designer"})
    );
    // email filter is case-insensitive and applies to both arrays
    let (_, one) = list(&w, "?email=INV%40example.com").await;
    assert_eq!(one["members"], json!([]));
    assert_eq!(one["invites"][0]["email"], "Inv@Example.com");
    // roles filter, comma-separated or repeated
    let (_, rev) = list(&w, "?roles=reviewer,owner").await;
    assert_eq!(rev["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(rev["invites"], json!([]));
    let (_, rev2) = list(&w, "?roles=reviewer&roles=owner").await;
    assert_eq!(rev2["members"], rev["members"]);
    for q in ["?limit=0", "?limit=101", "?cursor=zz", "?roles=boss"] {
        let (status, body) = list(&w, q).await;
        assert_eq!((status, code(&body)), (400, "validation_error"), "{q}");
    }
    // another workspace id, malformed id
    let (status, body) = w.get("/workspaces/aaaaaaaaaaaaaaaaaaaaaaaa/members").await;
    assert_eq!((status, code(&body)), (404, "resource_not_found"));
    let (status, _) = w.get("/workspaces/nope/members").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn update_and_remove_members() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    let id = add_member(&w, "dev@example.com", json!({"firstName": "Dev"})).await;
    let scim = add_member(&w, "scim@example.com", json!({"scimManaged": true})).await;
    let path = format!("{}/{id}", members(&w));
    let marketer = json!({"role": "member", "defaultSiteRole": "marketer"});
    let (status, body) = update(&w, &id, marketer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["roles"],
        json!({"workspace": "member", "site": "marketer"})
    );
    assert_eq!(body["firstName"], "Dev");
    for (patch, st, c) in [
        (
            json!({"role": "reviewer", "defaultSiteRole": "designer"}),
            400,
            "invalid_workspace_role",
        ),
        (json!({"role": "member"}), 400, "validation_error"),
        (
            json!({"defaultSiteRole": "designer"}),
            400,
            "validation_error",
        ),
        (
            json!({"role": "owner", "defaultSiteRole": "site_manager"}),
            400,
            "validation_error",
        ),
    ] {
        let (status, body) = update(&w, &id, patch.clone()).await;
        assert_eq!((status, code(&body)), (st, c), "{patch}");
    }
    let admin_role = json!({"role": "admin", "defaultSiteRole": "site_manager"});
    let (status, body) = update(&w, &scim, admin_role).await;
    assert_eq!(
        (status, code(&body)),
        (409, "workspace_member_managed_by_scim")
    );
    // without Workspace seats: no reviewer moves, no roles.site
    let (status, _) = admin(&w, "seats", json!({"workspaceSeats": false})).await;
    assert_eq!(status, 200);
    let reviewer = json!({"role": "reviewer", "defaultSiteRole": "reviewer"});
    let (status, body) = update(&w, &id, reviewer).await;
    assert_eq!((status, code(&body)), (400, "cannot_update_user_role"));
    let (_, list) = list(&w, "?email=dev%40example.com").await;
    assert_eq!(list["members"][0]["roles"], json!({"workspace": "member"}));

    // remove: invite ids get 404, SCIM members 409, then success with an empty body
    let (_, inv) = invite(
        &w,
        json!({"email": "p@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"}),
    )
    .await;
    let inv_id = inv["invite"]["id"].as_str().unwrap_or_default();
    let (status, body) = w.delete(format!("{}/{inv_id}", members(&w))).await;
    assert_eq!((status, code(&body)), (404, "resource_not_found"));
    let (status, body) = w.delete(format!("{}/{scim}", members(&w))).await;
    assert_eq!(
        (status, code(&body)),
        (409, "workspace_member_managed_by_scim")
    );
    let (status, _, _, text) = send(w.req(Method::DELETE, &path)).await;
    assert_eq!((status, text.as_str()), (200, ""));
    let (status, _) = w.delete(&path).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bulk_update_and_bulk_remove_report_per_item() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    let a = add_member(&w, "a@example.com", json!({})).await;
    let scim = add_member(&w, "s@example.com", json!({"scimManaged": true})).await;
    let (_, inv) = invite(
        &w,
        json!({"email": "i@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"}),
    )
    .await;
    let inv = inv["invite"]["id"].as_str().unwrap_or_default().to_owned();
    let ghost = "aaaaaaaaaaaaaaaaaaaaaaaa";
    let bulk = format!("{}/bulk", members(&w));
    let (status, body) = w
        .post(
            &bulk,
            json!({
                "memberIds": [a, a, scim, ghost],
                "inviteIds": [inv, ghost],
                "role": "member",
                "defaultSiteRole": "content_editor"
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"], json!({"updated": 2, "failed": 3}));
    let results = body["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 5, "deduplicated");
    assert_eq!(
        results[0],
        json!({"id": a, "type": "member", "outcome": "updated"})
    );
    assert_eq!(
        results[1]["error"]["code"],
        "workspace_member_managed_by_scim"
    );
    assert_eq!(results[2]["error"]["code"], "workspace_member_not_found");
    assert_eq!(
        results[3],
        json!({"id": inv, "type": "invite", "outcome": "updated"})
    );
    assert_eq!(results[4]["outcome"], "failed");
    assert_eq!(results[4]["error"]["code"], "workspace_invite_not_found");
    let (_, listed) = list(&w, "?email=i%40example.com").await;
    assert_eq!(listed["invites"][0]["defaultSiteRole"], "content_editor");
    // invalid pairing fails per item
    let (_, body) = w
        .post(
            &bulk,
            json!({
            "memberIds": [a], "role": "reviewer", "defaultSiteRole": "designer"}),
        )
        .await;
    assert_eq!(
        body["results"][0]["error"]["code"],
        "invalid_workspace_role"
    );
    // whole-request refusals
    let many: Vec<String> = (0..101).map(|i| format!("{i:024x}")).collect();
    for req in [
        json!({"memberIds": many, "role": "member", "defaultSiteRole": "designer"}),
        json!({"memberIds": [], "role": "member", "defaultSiteRole": "designer"}),
        json!({"memberIds": [a], "role": "member"}),
    ] {
        let (status, body) = w.post(&bulk, req.clone()).await;
        assert_eq!((status, code(&body)), (400, "validation_error"));
    }

    // bulk remove: removes members, cancels invites, reports failures, 200 on partial success
    let (status, body) = w
        .json(
            Method::DELETE,
            &bulk,
            json!({
            "memberIds": [a, scim, ghost], "inviteIds": [inv, inv]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"], json!({"removed": 2, "failed": 2}));
    assert_eq!(
        body["results"][0],
        json!({"id": a, "type": "member", "outcome": "removed"})
    );
    assert_eq!(body["results"][1]["outcome"], "failed");
    assert_eq!(
        body["results"][1]["error"]["code"],
        "workspace_member_managed_by_scim"
    );
    assert_eq!(
        body["results"][2]["error"]["code"],
        "workspace_member_not_found"
    );
    assert_eq!(
        body["results"][3],
        json!({"id": inv, "type": "invite", "outcome": "removed"})
    );
    assert_eq!(body["results"].as_array().map(Vec::len), Some(4));
    let (_, listed) = list(&w, "").await;
    assert_eq!(listed["invites"], json!([]));
    assert_eq!(listed["members"].as_array().map(Vec::len), Some(2));
    // a cancelled invite can no longer be accepted
    let (status, _) = admin(&w, "accept", json!({"email": "i@example.com"})).await;
    assert_eq!(status, 404);
    // too many ids: nothing removed
    let many: Vec<String> = std::iter::repeat_n(scim.clone(), 101).collect();
    let (status, _) = w
        .json(Method::DELETE, &bulk, json!({"memberIds": many}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn site_access_grant_update_revoke() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    let id = add_member(
        &w,
        "ed@example.com",
        json!({"defaultSiteRole": "content_editor"}),
    )
    .await;
    let client_site = format!("/sites/{CLIENT_SITE_ID}/members");
    let main_site = format!("/sites/{}/members", w.s.webflow_site_id);
    // the open site lists the owner and the member (default role); the client site only the owner
    let (status, body) = w.get(&main_site).await;
    assert_eq!(status, 200);
    assert_eq!(body["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        body["members"][1]["roles"],
        json!({"workspace": "member", "site": "content_editor"})
    );
    assert_eq!(body["pagination"], json!({"limit": 50, "nextCursor": null}));
    let (_, body) = w.get(&client_site).await;
    assert_eq!(body["members"].as_array().map(Vec::len), Some(1));
    // grant by email
    let (status, body) = w
        .post(&client_site, json!({"email": "ED@example.com", "siteRole": "custom", "siteRoleId": CUSTOM_SITE_ROLE_ID}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(
        body["roles"],
        json!({"workspace": "member", "site": "custom", "siteRoleId": CUSTOM_SITE_ROLE_ID})
    );
    // a second grant is refused
    let (status, body) = w
        .post(
            &client_site,
            json!({"memberId": id, "siteRole": "designer"}),
        )
        .await;
    assert_eq!((status, code(&body)), (409, "member_already_has_access"));
    for bad in [
        json!({"siteRole": "designer"}),
        json!({"email": "ed@example.com", "memberId": id, "siteRole": "designer"}),
        json!({"email": "ed@example.com", "siteRole": "owner"}),
    ] {
        let (status, _) = w.post(&client_site, bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
    }
    let (status, _) = w
        .post(
            &client_site,
            json!({"email": "stranger@example.com", "siteRole": "designer"}),
        )
        .await;
    assert_eq!(status, 404);
    // update by email and by id; neither is a 400
    for (target, role, want) in [
        (
            format!("{client_site}?email=ed%40example.com"),
            "marketer",
            200,
        ),
        (format!("{main_site}/{id}"), "designer", 200),
        (client_site.to_string(), "designer", 400),
    ] {
        let (status, body) = w
            .json(Method::PATCH, &target, json!({"siteRole": role}))
            .await;
        assert_eq!(status, want, "{target}: {body}");
        if want == 200 {
            assert_eq!(body["roles"]["site"], role, "{target}");
        }
    }
    // revoke by email: idempotent for members, 404 for non-members
    for (who, want) in [("ed", 200), ("ed", 200), ("nobody", 404)] {
        let (status, _) = w
            .delete(format!("{client_site}?email={who}%40example.com"))
            .await;
        assert_eq!(status, want, "{who}");
    }
    // on a site-specific site, PATCH needs a grant first
    let (status, body) = w
        .json(
            Method::PATCH,
            &format!("{client_site}/{id}"),
            json!({"siteRole": "designer"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // revoke by id on the open site; the membership stays
    let (status, _) = w.delete(format!("{main_site}/{id}")).await;
    assert_eq!(status, 200);
    let (_, body) = w.get(format!("{main_site}?email=ed%40example.com")).await;
    assert_eq!(body["members"], json!([]));
    let (_, list) = list(&w, "?email=ed%40example.com").await;
    assert_eq!(list["members"][0]["id"], id.as_str());
    // unknown site
    let (status, body) = w.get("/sites/bbbbbbbbbbbbbbbbbbbbbbbb/members").await;
    assert_eq!((status, code(&body)), (404, "resource_not_found"));
    // paging on the site list
    let (_, p1) = w.get(format!("{main_site}?limit=1")).await;
    assert_eq!(p1["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(p1["pagination"]["nextCursor"], Value::Null);
}

#[tokio::test]
async fn accept_decline_expire_and_client_access() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    for (email, role) in [
        ("yes@example.com", "designer"),
        ("no@example.com", "marketer"),
        ("late@example.com", "designer"),
    ] {
        let (status, _) = invite(
            &w,
            json!({"email": email, "workspaceRole": "member", "defaultSiteRole": role}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, body) = admin(&w, "accept", json!({"email": "YES@example.com"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["member"]["roles"],
        json!({"workspace": "member", "site": "designer"})
    );
    assert!(body["member"]["addedOn"].is_string());
    let (status, _) = admin(&w, "decline", json!({"email": "no@example.com"})).await;
    assert_eq!(status, 200);
    let (status, _) = admin(&w, "expire", json!({"email": "late@example.com"})).await;
    assert_eq!(status, 200);
    let (status, _) = admin(&w, "accept", json!({"email": "no@example.com"})).await;
    assert_eq!(status, 400, "only pending invites can be accepted");
    let (_, list) = list(&w, "").await;
    let statuses: Vec<(&str, &str)> = list["invites"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| Some((i["email"].as_str()?, i["status"].as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        statuses,
        [
            ("no@example.com", "declined"),
            ("late@example.com", "expired")
        ]
    );
    assert_eq!(list["members"][1]["email"], "yes@example.com");
    // re-inviting a declined address refreshes the same invite
    let declined_id = list["invites"][0]["id"].clone();
    let (_, again) = invite(&w, json!({"email": "no@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"}))
        .await;
    assert_eq!(again["invite"]["id"], declined_id);
    assert_eq!(again["invite"]["status"], "pending");
    // an accepted client invite gives access to its one site only
    invite(
        &w,
        json!({"email": "cl@example.com", "workspaceRole": "client",
        "siteAccess": [{"siteId": CLIENT_SITE_ID, "siteRole": "reviewer"}]}),
    )
    .await;
    let (status, _) = admin(&w, "accept", json!({"email": "cl@example.com"})).await;
    assert_eq!(status, 200);
    let (_, on_client) = w
        .get(format!(
            "/sites/{CLIENT_SITE_ID}/members?email=cl%40example.com"
        ))
        .await;
    assert_eq!(
        on_client["members"][0]["roles"],
        json!({"workspace": "client", "site": "reviewer"})
    );
    let (_, on_main) = w
        .get(format!(
            "/sites/{}/members?email=cl%40example.com",
            w.s.webflow_site_id
        ))
        .await;
    assert_eq!(on_main["members"], json!([]));
}

#[tokio::test]
async fn auth_scopes_enterprise_switch_and_rate_headers() {
    let sb = start().await;
    let w = Api::workspace(&sb);
    let site_token = Api::webflow(&sb);
    let (status, body) = site_token.get(members(&w)).await;
    assert_eq!((status, code(&body)), (401, "not_authorized"));
    let (status, h, _, _) = send(w.req(Method::GET, &members(&w))).await;
    assert_eq!(status, 200);
    assert!(!header(&h, "x-ratelimit-remaining").is_empty());
    // switch Enterprise off: every workspace and site-access call answers 403
    let (status, _) = admin(&w, "enterprise", json!({"enterprise": false})).await;
    assert_eq!(status, 200);
    for path in [
        members(&w),
        format!("/sites/{}/members", w.s.webflow_site_id),
    ] {
        let (status, body) = w.get(&path).await;
        assert_eq!(
            (status, code(&body)),
            (403, "not_enterprise_plan_workspace")
        );
    }
    let (status, _) = admin(&w, "enterprise", json!({"enterprise": true})).await;
    assert_eq!(status, 200);
    let (status, _) = list(&w, "").await;
    assert_eq!(status, 200);
    // the Data API site-users routes are not affected by the workspace token
    let (status, _) = w.get(format!("/sites/{}/users", w.s.webflow_site_id)).await;
    assert_eq!(status, 401);

    // configured without workspace_members:write
    let sb2 = start_with(
        SandboxConfig::new()
            .webflow_workspace_scopes(["workspace_members:read", "site_access:read"]),
    )
    .await;
    let w2 = Api::workspace(&sb2);
    let (status, _) = list(&w2, "").await;
    assert_eq!(status, 200);
    let (status, body) = invite(
        &w2,
        json!({"email": "x@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"}),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "missing_scopes"));
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("workspace_members:write")
    );
    let (status, body) = w2
        .delete(format!(
            "/sites/{}/members?email=x%40example.com",
            w2.s.webflow_site_id
        ))
        .await;
    assert_eq!((status, code(&body)), (403, "missing_scopes"));

    // configured off Enterprise from the start
    let sb3 = start_with(SandboxConfig::new().webflow_workspace_enterprise(false)).await;
    let w3 = Api::workspace(&sb3);
    let (status, body) = list(&w3, "").await;
    assert_eq!(
        (status, code(&body)),
        (403, "not_enterprise_plan_workspace")
    );
}
