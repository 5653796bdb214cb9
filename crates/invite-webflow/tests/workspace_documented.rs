//! Webflow workspace members and site access against the vendor's own documented examples
//! (`fixtures/vendors/webflow-workspace/`, copied from the official SDK's wire tests): the
//! adapter builds each documented request and decodes each documented response to asserted
//! values, and the sandbox answers each route in the documented shape.

#![cfg(test)]

use std::fmt::Debug;

use futures::TryStreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{Email, Grant, User, UserDirectory, UserId, UserStatus};
use invite_sandbox::Sandbox;
use invite_sandbox::workspace::CUSTOM_SITE_ROLE_ID;
use invite_testkit::{all_documented, assert_same_shape, documented};
use invite_webflow::workspace::{
    BulkOutcome, ClientInvite, GrantOutcome, InviteAccess, MemberId, MemberRef, RoleAssignment,
    SiteAccessEntry, SiteAccessGrant, SiteId, SiteRole, SiteRoleAssignment, WebflowWorkspace,
    WebflowWorkspaceConfig, WorkspaceRole, WorkspaceRoleGrant,
};
use serde_json::{Value, json};
use time::macros::datetime;
use wiremock::MockServer;

mod support;
use support::{against_documented, concrete, email, http, list_all, send};

/// The ids of the SDK's examples.
const WS: &str = "580e63e98c9a982ac9b8b741";
const SITE: &str = "580e63e98c9a982ac9b8b741";
const WAYLON: &str = "62fa5e47f6b8256f4641c5bd";
const PRIYA: &str = "62fa5e47f6b8256f4641c5be";
const INVITE: &str = "63fa5e47f6b8256f4641c5bf";

fn provider(server: &MockServer) -> WebflowWorkspace {
    let base = format!("{}/v2", server.uri());
    let vars = [
        ("WEBFLOW_WORKSPACE_TOKEN", "wf_documented_token"),
        ("WEBFLOW_WORKSPACE_ID", WS),
        ("WEBFLOW_API_BASE_URL", base.as_str()),
    ];
    WebflowWorkspace::from_config(
        WebflowWorkspaceConfig::from_lookup(invite_testkit::lookup(vars))
            .unwrap()
            .client_options(ClientOptions::default().with_retry(RetryConfig::none())),
    )
    .unwrap()
}

fn role(ws: &str, site: Option<&str>) -> Grant {
    WorkspaceRoleGrant::new(ws, site).into()
}

/// Waylon Dalton's user id.
fn waylon_id() -> UserId {
    UserId::new(format!("member:{WAYLON}"))
}

fn site(id: &str) -> SiteId {
    SiteId::new(id).unwrap()
}

/// The ids the documented paths' placeholders stand for.
const IDS: &[(&str, &str)] = &[
    ("{workspace_id}", WS),
    ("{site_id}", SITE),
    ("{member_id}", WAYLON),
];

/// [`against_documented`] the documented example `name`, on [`provider`].
async fn against<T, E: Debug, F: Future<Output = Result<T, E>>>(
    name: &str,
    call: impl FnOnce(WebflowWorkspace) -> F,
) -> T {
    against_documented(&documented(name), IDS, provider, call).await
}

/// Waylon Dalton as the SDK's `WorkspaceMember` example describes him.
fn assert_waylon(u: &User) {
    assert_eq!(u.id.as_str(), format!("member:{WAYLON}"));
    assert_eq!(u.status, UserStatus::Active);
    assert!(u.has_email(&email("waylon.dalton@example.com")));
    assert_eq!(u.name.full().as_deref(), Some("Waylon Dalton"));
    assert_eq!(u.grants, vec![role("member", Some("designer"))]);
    assert_eq!(u.created_at, Some(datetime!(2026-08-03 18:24:00 UTC)));
}

/// The SDK's pending invite (`id`, `createdOn`), addressed to `address`.
fn assert_pending(u: &User, address: &str) {
    assert_eq!(u.id.as_str(), format!("invite:{INVITE}:{address}"));
    assert_eq!(u.status, UserStatus::Invited);
    assert!(u.has_email(&email(address)));
    assert_eq!(u.invited_at, Some(datetime!(2026-08-03 18:24:00 UTC)));
}

#[test]
fn every_example_names_its_sdk_test() {
    let all = all_documented("webflow-workspace");
    assert_eq!(all.len(), 14);
    for (name, doc) in all {
        assert!(doc.source.contains("/tests/wire/"), "{name}");
        assert!(doc.request().path.starts_with("/v2/"), "{name}");
    }
}

#[tokio::test]
async fn list_members_decodes_members_and_invites() {
    let users: Vec<User> = against("webflow-workspace/list-members", list_all).await;
    assert_eq!(users.len(), 3);
    assert_waylon(&users[0]);
    let priya = &users[1];
    assert_eq!(priya.id.as_str(), format!("member:{PRIYA}"));
    assert_eq!(priya.grants, vec![role("admin", Some("site_manager"))]);
    assert_eq!(priya.created_at, None);
    assert_pending(&users[2], "sam.okafor@example.com");
    // `allSites: true`: the default site role everywhere (its id only with `custom`).
    assert_eq!(users[2].grants, vec![role("member", Some("site_manager"))]);
}

#[tokio::test]
async fn invite_builds_each_documented_shape_and_decodes_the_answer() {
    let member_designer = RoleAssignment::member(SiteRoleAssignment::Designer).unwrap();
    let editor = RoleAssignment::member(SiteRoleAssignment::ContentEditor).unwrap();
    let cases = [
        (
            "webflow-workspace/invite-member",
            "sam.okafor@example.com",
            InviteAccess::all_sites(member_designer),
        ),
        (
            "webflow-workspace/invite-member-sites",
            "sam.okafor@example.com",
            InviteAccess::sites(editor, [site(WAYLON), site(PRIYA)]).unwrap(),
        ),
        (
            "webflow-workspace/invite-member-client",
            "client@example.com",
            InviteAccess::client(
                ClientInvite::new(SiteAccessEntry::new(
                    site(WAYLON),
                    SiteRoleAssignment::ContentEditor,
                ))
                .unwrap(),
            ),
        ),
    ];
    for (name, address, access) in cases {
        let r = against(name, |p| async move {
            p.invite_with(&email(address), &access).await
        })
        .await;
        assert!(!r.already_member, "{name}");
        let doc = documented(name);
        let answered = doc.response_body()["invite"]["email"].as_str().unwrap();
        assert_pending(&r.user, answered);
        let want = match name {
            // `allSites: true` in the SDK's answers: the default site role everywhere.
            "webflow-workspace/invite-member-client" => vec![
                role("client", None),
                SiteAccessGrant::new(WAYLON, "content_editor").into(),
            ],
            _ => vec![role("member", Some("designer"))],
        };
        assert_eq!(r.user.grants, want, "{name}");
    }
}

#[tokio::test]
async fn invite_of_a_member_answers_that_member() {
    let designer = RoleAssignment::member(SiteRoleAssignment::Designer).unwrap();
    let r = against("webflow-workspace/invite-member-active", |p| async move {
        p.invite_with(
            &email("sam.okafor@example.com"),
            &InviteAccess::all_sites(designer),
        )
        .await
    })
    .await;
    assert!(r.already_member);
    assert_waylon(&r.user);
}

#[tokio::test]
async fn update_role_builds_the_documented_request_and_decodes_the_member() {
    let u = against("webflow-workspace/update-member-role", |p| async move {
        p.update_role(&waylon_id(), &RoleAssignment::ADMIN).await
    })
    .await;
    // The SDK's example answers the member's old roles; the answer is what is reported.
    assert_waylon(&u);
}

#[tokio::test]
async fn remove_builds_the_documented_request() {
    against("webflow-workspace/remove-member", |p| async move {
        p.remove(&waylon_id()).await
    })
    .await;
}

#[tokio::test]
async fn bulk_update_builds_the_documented_request_and_reads_each_outcome() {
    let designer = RoleAssignment::member(SiteRoleAssignment::Designer).unwrap();
    let report = against(
        "webflow-workspace/bulk-update-member-roles",
        |p| async move {
            p.bulk_update_roles(
                &[
                    waylon_id(),
                    UserId::new(format!("member:{PRIYA}")),
                    UserId::new(format!("invite:{INVITE}")),
                ],
                &designer,
            )
            .await
        },
    )
    .await;
    let outcomes: Vec<_> = report
        .items
        .iter()
        .map(|i| (i.target.raw_id().to_owned(), i.succeeded()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (WAYLON.to_owned(), true),
            (PRIYA.to_owned(), false),
            (INVITE.to_owned(), true)
        ]
    );
    // The `error` on updated items is ignored; the failed one carries its code.
    let failed: Vec<_> = report.failed().collect();
    assert!(matches!(
        &failed[0].outcome,
        BulkOutcome::Failed(e) if e.vendor_code() == Some("workspace_member_managed_by_scim")
    ));
    assert!(!report.is_success());
}

#[tokio::test]
async fn site_members_decode_the_documented_list() {
    let members: Vec<_> = against("webflow-workspace/list-site-members", |p| async move {
        p.list_site_members(&site(SITE)).try_collect().await
    })
    .await;
    let got: Vec<_> = members
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.email.as_ref().map(Email::as_str),
                m.name.full(),
                m.workspace_role.clone(),
                m.site_role.clone(),
                m.site_role_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                WAYLON,
                Some("waylon.dalton@example.com"),
                Some("Waylon Dalton".to_owned()),
                Some(WorkspaceRole::Member),
                Some(SiteRole::Designer),
                Some("72fa5e47f6b8256f4641c5bd")
            ),
            (
                PRIYA,
                Some("priya.nagata@example.com"),
                Some("Priya Nagata".to_owned()),
                Some(WorkspaceRole::Admin),
                Some(SiteRole::SiteManager),
                Some("72fa5e47f6b8256f4641c5bd")
            ),
        ]
    );
}

/// The site member of the SDK's grant and update answers.
fn assert_site_waylon(m: &invite_webflow::workspace::SiteMember) {
    assert_eq!(m.id, WAYLON);
    assert_eq!(
        m.email.as_ref().map(Email::as_str),
        Some("waylon.dalton@example.com")
    );
    assert_eq!(m.workspace_role, Some(WorkspaceRole::Member));
    assert_eq!(m.site_role, Some(SiteRole::Designer));
    assert_eq!(m.site_role_id.as_deref(), Some("72fa5e47f6b8256f4641c5bd"));
}

#[tokio::test]
async fn site_access_calls_build_the_documented_requests() {
    let by_email = &MemberRef::Email(email("waylon.dalton@example.com"));
    let by_id = &MemberRef::Id(MemberId::new(WAYLON).unwrap());
    let custom =
        SiteRoleAssignment::parse("role", "custom", "id", Some("72fa5e47f6b8256f4641c5bd"))
            .unwrap();
    for (name, who, role) in [
        (
            "webflow-workspace/add-site-member",
            by_email,
            SiteRoleAssignment::Designer,
        ),
        ("webflow-workspace/add-site-member-custom", by_id, custom),
    ] {
        let outcome = against(name, |p| async move {
            p.grant_site_access(&site(SITE), who, &role).await
        })
        .await;
        match outcome {
            GrantOutcome::Granted(m) => assert_site_waylon(&m),
            other => panic!("{name}: {other:?}"),
        }
    }

    let m = against(
        "webflow-workspace/update-site-member-role-by-email",
        |p| async move {
            p.update_site_role(&site(SITE), by_email, &SiteRoleAssignment::ContentEditor)
                .await
        },
    )
    .await;
    assert_site_waylon(&m);

    for (name, who) in [
        ("webflow-workspace/remove-site-member-by-email", by_email),
        ("webflow-workspace/remove-site-member", by_id),
    ] {
        against(name, |p| async move {
            p.revoke_site_access(&site(SITE), who).await
        })
        .await;
    }
}

// ---- the sandbox answers in the documented shapes ----

/// Asserts the sandbox `answered` the documented request of `name` with a 200 in its
/// documented shape less the `optional` fields ([`shape`]); answers the body.
fn in_shape(name: &str, answered: (u16, Value), optional: &[&str]) -> Value {
    let (status, got) = answered;
    assert_eq!(status, 200, "{name}: {got}");
    assert_same_shape(name, &shape(name, optional), &got, &[]);
    got
}

/// A documented body without the fields the SDK types mark optional and the sandbox leaves
/// out in the case at hand (`defaultSiteRoleId`, `siteRoleId`: only with a custom role).
fn shape(name: &str, optional: &[&str]) -> Value {
    let mut body = documented(name).response_body().clone();
    for pointer in optional {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        if let Some(o) = body.pointer_mut(parent).and_then(Value::as_object_mut) {
            o.remove(key);
        }
    }
    body
}

struct Api {
    sb: Sandbox,
    c: reqwest::Client,
}

impl Api {
    /// Sends the documented request of `name` (method and path, `{…}` filled in with site
    /// `site_id` and member `member`) with `body` and `query`.
    async fn replay(
        &self,
        site_id: &str,
        name: &str,
        member: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value) {
        let s = self.sb.settings();
        let doc = documented(name);
        let ids = [
            ("{workspace_id}", s.webflow_workspace_id.as_str()),
            ("{site_id}", site_id),
            ("{member_id}", member),
        ];
        let path = concrete(&doc, &ids);
        let route = path.strip_prefix("/v2").unwrap();
        let m = reqwest::Method::from_bytes(doc.request().method.as_bytes()).unwrap();
        let rb = self
            .c
            .request(m, format!("{}{route}", s.webflow_api_base_url))
            .bearer_auth(&s.webflow_workspace_token)
            .query(query);
        send(rb, body).await
    }

    /// [`Api::replay`], asserting an empty 200 answer.
    async fn empty(&self, site_id: &str, name: &str, member: &str, query: &[(&str, &str)]) {
        let answered = self.replay(site_id, name, member, query, None).await;
        assert_eq!(answered, (200, Value::Null), "{name}");
    }

    /// Adds a member through the sandbox's admin API; answers its id.
    async fn add_member(&self, email: &str, first: &str, last: &str) -> String {
        let body = json!({"email": email, "firstName": first, "lastName": last,
            "role": "member", "defaultSiteRole": "designer"});
        let url = format!("{}/webflow-workspace/member", self.sb.settings().admin_url);
        let r = self.c.post(url).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let m: Value = r.json().await.unwrap();
        m["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn the_sandbox_answers_every_route_in_the_documented_shape() {
    let api = Api {
        sb: Sandbox::start().await.unwrap(),
        c: http(),
    };
    let main_site = api.sb.settings().webflow_site_id.clone();
    let main = main_site.as_str();
    let waylon = api
        .add_member("waylon.dalton@example.com", "Waylon", "Dalton")
        .await;
    let priya = api
        .add_member("priya.nagata@example.com", "Priya", "Nagata")
        .await;

    // Invites: each documented request form is accepted and answers the documented shape.
    let custom = json!({"email": "sam.okafor@example.com", "workspaceRole": "member",
        "defaultSiteRole": "custom", "defaultSiteRoleId": CUSTOM_SITE_ROLE_ID});
    let mut sites = documented("webflow-workspace/invite-member-sites")
        .request_body()
        .clone();
    sites["email"] = json!("sites@example.com");
    sites["siteAccess"] = json!([{"siteId": main_site, "siteRole": "content_editor"}]);
    let client_site = invite_sandbox::workspace::CLIENT_SITE_ID;
    let mut client = documented("webflow-workspace/invite-member-client")
        .request_body()
        .clone();
    client["siteAccess"][0]["siteId"] = json!(client_site);
    let again = json!({"email": "waylon.dalton@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"});
    let no_default_id = &["/invite/defaultSiteRoleId"][..];
    for (name, body, optional) in [
        ("webflow-workspace/invite-member", custom, &[][..]),
        (
            "webflow-workspace/invite-member-sites",
            sites,
            no_default_id,
        ),
        (
            "webflow-workspace/invite-member-client",
            client,
            no_default_id,
        ),
        ("webflow-workspace/invite-member-active", again, &[]),
    ] {
        in_shape(
            name,
            api.replay(main, name, "", &[], Some(&body)).await,
            optional,
        );
    }

    // The list: members (the owner first, then Waylon) and the pending invites.
    let name = "webflow-workspace/list-members";
    let answered = api.replay(main, name, "", &[("limit", "50")], None).await;
    let list = in_shape(name, answered, &["/invites/0/defaultSiteRoleId"]);

    let name = "webflow-workspace/update-member-role";
    let body = documented(name).request_body().clone();
    let body = in_shape(
        name,
        api.replay(main, name, &waylon, &[], Some(&body)).await,
        &[],
    );
    assert_eq!(
        body["roles"],
        json!({"workspace": "admin", "site": "site_manager"})
    );

    let invite_id = list["invites"][0]["id"].as_str().unwrap().to_owned();
    let bulk = json!({"memberIds": [priya], "inviteIds": [invite_id], "role": "member", "defaultSiteRole": "designer"});
    // The SDK's `error` on an item is there only when it failed (none here).
    let name = "webflow-workspace/bulk-update-member-roles";
    let answered = api.replay(main, name, "", &[], Some(&bulk)).await;
    in_shape(name, answered, &["/results/0/error"]);

    // Site access on the site with site-specific access (nobody opens it by default): grant
    // by email, by id with a custom role, list, change by email, revoke by email and by id.
    let on = client_site;
    let ada = api.add_member("ada@example.com", "Ada", "Lovelace").await;
    let mut grant = documented("webflow-workspace/add-site-member")
        .request_body()
        .clone();
    grant["email"] = json!("priya.nagata@example.com");
    let custom_grant =
        json!({"memberId": ada, "siteRole": "custom", "siteRoleId": CUSTOM_SITE_ROLE_ID});
    let by_email = &[("email", "priya.nagata@example.com")][..];
    let changed = documented("webflow-workspace/update-site-member-role-by-email");
    let site_role_id = &["/roles/siteRoleId"][..];
    for (name, query, body, optional) in [
        (
            "webflow-workspace/add-site-member",
            &[][..],
            Some(&grant),
            site_role_id,
        ),
        (
            "webflow-workspace/add-site-member-custom",
            &[],
            Some(&custom_grant),
            &[],
        ),
        (
            "webflow-workspace/list-site-members",
            &[("limit", "50")],
            None,
            &["/members/0/roles/siteRoleId"],
        ),
    ] {
        in_shape(name, api.replay(on, name, "", query, body).await, optional);
    }
    let name = "webflow-workspace/update-site-member-role-by-email";
    let answered = api
        .replay(on, name, "", by_email, Some(changed.request_body()))
        .await;
    let changed = in_shape(name, answered, site_role_id);
    assert_eq!(changed["roles"]["site"], "content_editor");
    api.empty(
        on,
        "webflow-workspace/remove-site-member-by-email",
        "",
        by_email,
    )
    .await;
    api.empty(on, "webflow-workspace/remove-site-member", &ada, &[])
        .await;
    api.empty(main, "webflow-workspace/remove-member", &priya, &[])
        .await;
}
