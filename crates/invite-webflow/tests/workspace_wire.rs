//! Wire-level tests of the workspace-members / site-access provider against wiremock:
//! exact methods, paths, queries, headers and bodies, every documented error code, bulk
//! reports, and refusals that send nothing.

#![cfg(test)]

use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    EmailDelivery, Error, Grant, GrantChange, Invitation, InviteProvider, InviteReceipt, ListQuery,
    UserDirectory, UserId, UserPatch, UserStatus,
};
use invite_webflow::workspace::{
    BulkOutcome, GrantOutcome, MemberId, MemberRef, RoleAssignment, SiteAccessGrant, SiteId,
    SiteRoleAssignment, WebflowWorkspace, WebflowWorkspaceConfig, WorkspaceRoleGrant,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;
use support::*;

const WS: &str = "5f0c8c9e1c9d440000e8d8c3";
const SITE: &str = "62fa5e47f6b8256f4641c5bd";
const TOKEN: &str = "wf_ws_S3CR3T_token_value";
const MEMBERS: &str = "/v2/workspaces/5f0c8c9e1c9d440000e8d8c3/members";
const BULK: &str = "/v2/workspaces/5f0c8c9e1c9d440000e8d8c3/members/bulk";
const SITE_MEMBERS: &str = "/v2/sites/62fa5e47f6b8256f4641c5bd/members";

fn config(server: &MockServer, extra: &[(&str, &str)]) -> WebflowWorkspaceConfig {
    let base = format!("{}/v2", server.uri());
    let vars = [
        ("WEBFLOW_WORKSPACE_TOKEN", TOKEN),
        ("WEBFLOW_WORKSPACE_ID", WS),
        ("WEBFLOW_API_BASE_URL", base.as_str()),
    ];
    WebflowWorkspaceConfig::from_lookup(invite_testkit::lookup(vars.iter().chain(extra).copied()))
        .unwrap()
        .client_options(ClientOptions::default().with_retry(RetryConfig::none()))
}

async fn setup() -> (MockServer, WebflowWorkspace) {
    let server = MockServer::start().await;
    let p = WebflowWorkspace::from_config(config(&server, &[])).unwrap();
    (server, p)
}

/// Invites `address` with `grants`, which must succeed.
async fn invite<const N: usize>(
    p: &WebflowWorkspace,
    address: &str,
    grants: [Grant; N],
) -> InviteReceipt {
    p.invite(&Invitation::new(email(address)).with_grants(grants))
        .await
        .unwrap()
}

fn role(ws: &str, site: Option<&str>) -> Grant {
    WorkspaceRoleGrant::new(ws, site).into()
}

fn site_grant(site: &str, r: &str) -> Grant {
    SiteAccessGrant::new(site, r).into()
}

fn member_json(id: &str, email: &str) -> Value {
    json!({"id": id, "email": email, "firstName": "Waylon", "lastName": "Dalton",
           "roles": {"workspace": "member", "site": "designer"}, "addedOn": "2026-08-03T18:24:00Z"})
}

/// The answer to an invite that created pending invite `id`.
fn invited(id: &str, email: &str) -> Value {
    json!({"status": "invited", "invite": invite_json(id, email, "pending")})
}

/// The answer to an invite of an address that already belongs to member `id`.
fn active(id: &str, email: &str) -> Value {
    json!({"status": "active", "member": member_json(id, email)})
}

/// Expects one invite of `email` as member/designer on every site, answered
/// `answer(id, email)`.
async fn expect_invite(
    server: &MockServer,
    email: &str,
    answer: fn(&str, &str) -> Value,
    id: &str,
) {
    once(
        server,
        on("POST", MEMBERS).and(body_json(
            json!({"email": email, "workspaceRole": "member", "defaultSiteRole": "designer"}),
        )),
        ok(answer(id, email)),
    )
    .await;
}

fn invite_json(id: &str, email: &str, status: &str) -> Value {
    json!({"id": id, "email": email, "role": "member", "createdOn": "2026-08-03T18:24:00Z",
           "status": status, "sites": [], "allSites": true, "defaultSiteRole": "designer"})
}

// ---- invite ------------------------------------------------------------------------------

#[tokio::test]
async fn invite_sends_the_default_site_role_shape() {
    let (server, p) = setup().await;
    once(
        &server,
        on("POST", MEMBERS)
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({"email": "Sam.Okafor@example.com", "workspaceRole": "member", "defaultSiteRole": "designer"}))),
        ok(invited("63fa5e47f6b8256f4641c5bf", "Sam.Okafor@example.com")),
    )
    .await;
    let r = p
        .invite(
            &Invitation::new(email("Sam.Okafor@example.com"))
                .with_grant(role("member", Some("designer"))),
        )
        .await
        .unwrap();
    assert!(!r.already_member);
    assert_eq!(
        r.user.id.as_str(),
        "invite:63fa5e47f6b8256f4641c5bf:sam.okafor@example.com"
    );
    assert_eq!(r.user.status, UserStatus::Invited);
    assert_eq!(r.user.grants, vec![role("member", Some("designer"))]);
    assert!(r.user.invited_at.is_some());
}

#[tokio::test]
async fn invite_with_site_grants_sends_site_access() {
    let (server, p) = setup().await;
    let other = "62fa5e47f6b8256f4641c5be";
    once(
        &server,
        on("POST", MEMBERS)
            .and(body_json(json!({"email": "a@example.com", "workspaceRole": "member", "siteAccess": [
            {"siteId": SITE, "siteRole": "content_editor"}, {"siteId": other, "siteRole": "content_editor"}]}))),
        ok(json!({"status": "invited", "invite": {
            "id": "63fa5e47f6b8256f4641c5bf", "email": "a@example.com", "role": "member", "status": "pending",
            "sites": [SITE, other], "allSites": false, "defaultSiteRole": "content_editor"}})),
    )
    .await;
    let r = invite(
        &p,
        "a@example.com",
        [
            role("member", None),
            site_grant(SITE, "content_editor"),
            site_grant(other, "content_editor"),
        ],
    )
    .await;
    assert!(r.user.grants.contains(&site_grant(other, "content_editor")));
}

#[tokio::test]
async fn a_site_role_other_than_the_default_is_deferred_not_refused() {
    let (server, p) = setup().await;
    let other = "62fa5e47f6b8256f4641c5be";
    // One site role per pending invite: the default-site-role shape, no siteAccess.
    expect_invite(
        &server,
        "sam@example.com",
        invited,
        "63fa5e47f6b8256f4641c5bf",
    )
    .await;
    let r = invite(
        &p,
        "sam@example.com",
        [
            role("member", Some("designer")),
            site_grant(SITE, "content_editor"),
            // Same role as the default: covered by it on every site, not deferred.
            site_grant(other, "designer"),
        ],
    )
    .await;
    assert!(!r.already_member);
    assert_eq!(r.user.status, UserStatus::Invited);
    assert_eq!(r.user.grants, vec![role("member", Some("designer"))]);
    assert_eq!(r.deferred_grants, vec![site_grant(SITE, "content_editor")]);
    let received = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        received.len(),
        1,
        "only the invite: nothing granted to an invitee"
    );

    // Env defaults follow the same rule.
    let server = MockServer::start().await;
    let grants = format!("{SITE}=content_editor");
    let p = WebflowWorkspace::from_config(config(
        &server,
        &[
            ("WEBFLOW_WORKSPACE_ROLE", "member"),
            ("WEBFLOW_DEFAULT_SITE_ROLE", "designer"),
            ("WEBFLOW_SITE_GRANTS", &grants),
        ],
    ))
    .unwrap();
    expect_invite(
        &server,
        "env@example.com",
        invited,
        "63fa5e47f6b8256f4641c5c0",
    )
    .await;
    let r = invite(&p, "env@example.com", []).await;
    assert_eq!(r.deferred_grants, vec![site_grant(SITE, "content_editor")]);
}

#[tokio::test]
async fn invite_answered_active_gives_the_sites_at_once() {
    let (server, p) = setup().await;
    let member = "62fa5e47f6b8256f4641c5c1";
    expect_invite(&server, "waylon@example.com", active, member).await;
    // The member already opens the site (as designer, by default): grant is not an upsert,
    // so the role is set with PATCH.
    already_on_site(&server, member).await;
    let r = invite(
        &p,
        "waylon@example.com",
        [
            role("member", Some("designer")),
            site_grant(SITE, "content_editor"),
        ],
    )
    .await;
    assert!(r.already_member);
    assert!(r.deferred_grants.is_empty(), "{:?}", r.deferred_grants);
    assert!(
        r.user.grants.contains(&site_grant(SITE, "content_editor")),
        "{:?}",
        r.user.grants
    );
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn client_invite_from_env_defaults() {
    let server = MockServer::start().await;
    let grants = format!("{SITE}=custom:72fa5e47f6b8256f4641c5bd");
    let p = WebflowWorkspace::from_config(config(
        &server,
        &[
            ("WEBFLOW_WORKSPACE_ROLE", "client"),
            ("WEBFLOW_SITE_GRANTS", &grants),
        ],
    ))
    .unwrap();
    once(
        &server,
        on("POST", MEMBERS).and(body_json(
            json!({"email": "client@example.com", "workspaceRole": "client", "siteAccess": [
            {"siteId": SITE, "siteRole": "custom", "siteRoleId": "72fa5e47f6b8256f4641c5bd"}]}),
        )),
        ok(invited("63fa5e47f6b8256f4641c5bf", "client@example.com")),
    )
    .await;
    invite(&p, "client@example.com", []).await;
}

#[tokio::test]
async fn invite_of_a_member_is_already_member() {
    let (server, p) = setup().await;
    once(
        &server,
        on("POST", MEMBERS),
        ok(active("62fa5e47f6b8256f4641c5bd", "waylon@example.com")),
    )
    .await;
    let r = invite(&p, "WAYLON@example.com", [role("admin", None)]).await;
    assert!(r.already_member);
    assert_eq!(r.user.id.as_str(), "member:62fa5e47f6b8256f4641c5bd");
    assert_eq!(r.user.status, UserStatus::Active);
    assert_eq!(r.user.name.full().as_deref(), Some("Waylon Dalton"));
}

#[tokio::test]
async fn invalid_invitations_are_refused_before_any_request() {
    let (server, p) = setup().await;
    let cases: Vec<(Vec<Grant>, &str)> = vec![
        (
            vec![role("reviewer", Some("designer"))],
            "grants[0].default_site_role",
        ),
        (vec![role("member", None)], "grants[0].default_site_role"),
        (vec![role("owner", None)], "grants[0].workspace_role"),
        (
            vec![role("admin", None), site_grant(SITE, "site_manager")],
            "site_access",
        ),
        (
            vec![
                role("admin", Some("site_manager")),
                site_grant(SITE, "content_editor"),
            ],
            "site_access",
        ),
        (
            vec![role("client", None), site_grant(SITE, "designer")],
            "grants.site_role",
        ),
        (
            vec![role("member", None), site_grant("../sites", "designer")],
            "grants[1].site_id",
        ),
        (
            vec![role("member", None), site_grant("a%2Fb", "designer")],
            "grants[1].site_id",
        ),
        (
            vec![role("member", Some("custom"))],
            "grants[0].default_site_role_id",
        ),
        (vec![], "grants"),
    ];
    for (grants, field) in cases {
        let e = p
            .invite(&Invitation::new(email("x@example.com")).with_grants(grants.clone()))
            .await
            .unwrap_err();
        match e {
            Error::InvalidInput { field: f, .. } => assert_eq!(f, field, "{grants:?}"),
            other => panic!("{grants:?}: {other:?}"),
        }
    }
    let silent = Invitation::new(email("x@example.com"))
        .with_grant(role("admin", None))
        .with_delivery(EmailDelivery::Suppress);
    assert!(matches!(
        p.invite(&silent).await,
        Err(Error::Unsupported { .. })
    ));
    let id = UserId::new("member:62fa5e47f6b8256f4641c5bd");
    assert!(matches!(
        p.deactivate(&id).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.reactivate(&id).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.resend(&id).await,
        Err(Error::Unsupported { .. })
    ));
    for bad in [
        "62fa5e47f6b8256f4641c5bd",
        "member:../x",
        "member:a/b",
        "member:a?b",
        "member:%2F",
        "invite:..",
        "member:",
    ] {
        let e = p.remove(&UserId::new(bad)).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
        let e = p.get(&UserId::new(bad)).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
    }
    let e = p
        .update(
            &id,
            &UserPatch::new().name(invite_core::PersonName::new("A", "B")),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    assert_eq!(requests(&server).await, 0, "refused calls send nothing");
}

// ---- list / find / get ---------------------------------------------------------------------

#[tokio::test]
async fn list_pages_members_and_invites_with_one_cursor() {
    let (server, p) = setup().await;
    once_each(
        &server,
        [
            (on("GET", MEMBERS)
            .and(query_param("limit", "2"))
            .and(query_param_is_missing("cursor")), ok(json!({
            "members": [member_json("m1", "a@example.com"), member_json("m2", "b@example.com")],
            "invites": [], "pagination": {"limit": 2, "nextCursor": "c1"}}))),
            (on("GET", MEMBERS)
            .and(query_param("cursor", "c1")), ok(json!({
            "members": [], "invites": [invite_json("i1", "c@example.com", "declined"), invite_json("i2", "d@example.com", "expired")],
            "pagination": {"limit": 2, "nextCursor": "c2"}}))),
            (on("GET", MEMBERS).and(query_param("cursor", "c2")), ok(json!({
            "members": [], "invites": [invite_json("i3", "e@example.com", "pending")],
            "pagination": {"limit": 2, "nextCursor": null}}))),
        ],
    )
    .await;
    let mut stream = p.list(ListQuery::new().page_size(2));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id.as_str(), "member:m1");
    assert_eq!(requests(&server).await, 1, "lazy");
    let rest: Vec<_> = stream.map(|u| u.unwrap()).collect().await;
    let statuses: Vec<_> = rest.iter().map(|u| u.status.clone()).collect();
    assert_eq!(
        statuses,
        vec![
            UserStatus::Active,
            UserStatus::InviteDeclined,
            UserStatus::InviteExpired,
            UserStatus::Invited
        ]
    );
    assert_eq!(rest[1].raw["status"], "declined", "raw kept");
}

#[tokio::test]
async fn find_by_email_filters_server_side_and_matches_case_insensitively() {
    let (server, p) = setup().await;
    once(
        &server,
        on("GET", MEMBERS)
            .and(query_param("email", "Ada+x@Example.com"))
            .and(query_param("limit", "100")),
        ok(json!({
            "members": [member_json("m9", "someone-else@example.com")],
            "invites": [invite_json("i1", "ada+x@example.com", "pending")],
            "pagination": {"nextCursor": null}})),
    )
    .await;
    let u = found(&p, "Ada+x@Example.com").await.unwrap();
    assert_eq!(u.id.as_str(), "invite:i1:ada+x@example.com");
    let raw = server.received_requests().await.unwrap();
    assert!(
        raw[0]
            .url
            .query()
            .unwrap()
            .contains("email=Ada%2Bx%40Example.com"),
        "{}",
        raw[0].url
    );
}

#[tokio::test]
async fn get_member_pages_the_list() {
    let (server, p) = setup().await;
    always(
        &server,
        on("GET", MEMBERS)
            .and(query_param_is_missing("cursor")),
        ok(json!({
            "members": [member_json("m1", "a@example.com")], "invites": [], "pagination": {"nextCursor": "n"}})),
    )
    .await;
    always(
        &server,
        on("GET", MEMBERS).and(query_param("cursor", "n")),
        ok(json!({
            "members": [member_json("m2", "b@example.com")], "invites": [], "pagination": {}})),
    )
    .await;
    let u = p.get(&UserId::new("member:m2")).await.unwrap();
    assert!(u.has_email(&email("b@example.com")));
    let e = p.get(&UserId::new("member:m3")).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

// ---- update / remove ---------------------------------------------------------------------

#[tokio::test]
async fn update_member_role_patches_both_fields() {
    let (server, p) = setup().await;
    once(
        &server,
        on("PATCH", format!("{MEMBERS}/m1"))
            .and(body_json(json!({"role": "member", "defaultSiteRole": "custom", "defaultSiteRoleId": "72fa5e47f6b8256f4641c5bd"}))),
        ok(member_json("m1", "a@example.com")),
    )
    .await;
    // The pipeline reads the grants held first (no get-by-id: the list), then writes.
    always(
        &server,
        on("GET", MEMBERS),
        ok(json!({"members": [member_json("m1", "a@example.com")], "invites": [], "pagination": {}})),
    )
    .await;
    let g = WorkspaceRoleGrant::new("member", Some("custom"))
        .with_custom_id("72fa5e47f6b8256f4641c5bd")
        .into();
    let u = p
        .update(
            &UserId::new("member:m1"),
            &UserPatch::new().grants(GrantChange::Replace(vec![g])),
        )
        .await
        .unwrap();
    assert_eq!(u.id.as_str(), "member:m1");

    // The role held already (member/designer): read, nothing written.
    let same =
        UserPatch::new().grants(GrantChange::Replace(vec![role("member", Some("designer"))]));
    let u = p.update(&UserId::new("member:m1"), &same).await.unwrap();
    assert_eq!(u.grants, vec![role("member", Some("designer"))]);
    // Webflow lists no member's sites: a site named by a `Remove` is taken as held and its
    // access revoked (one DELETE); a `Replace` naming sites is refused before any request;
    // removing the role is refused.
    Mock::given(method("DELETE"))
        .and(path(format!("{SITE_MEMBERS}/m1")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let sites = UserPatch::new().grants(GrantChange::Remove(vec![site_grant(SITE, "designer")]));
    let u = p.update(&UserId::new("member:m1"), &sites).await.unwrap();
    assert!(u.grants.iter().all(|g| g.field("site_id") != Some(SITE)));
    let replace = UserPatch::new().grants(GrantChange::Replace(vec![site_grant(SITE, "designer")]));
    let e = p
        .update(&UserId::new("member:m1"), &replace)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput { ref field, ref reason } if field == "grants" && reason.contains("Replace cannot set site access")),
        "{e:?}"
    );
    let no_role =
        UserPatch::new().grants(GrantChange::Remove(vec![role("member", Some("designer"))]));
    let e = p
        .update(&UserId::new("member:m1"), &no_role)
        .await
        .unwrap_err();
    // Core's rule for every exclusive kind (an awork role alike), refused before any request.
    assert!(
        matches!(e, Error::Unsupported { ref operation, .. } if operation.contains("grants[0]")),
        "{e:?}"
    );
    assert_eq!(
        writes(&server).await,
        2,
        "the first PATCH and the site DELETE"
    );
}

#[tokio::test]
async fn update_invite_role_goes_through_bulk_update() {
    let (server, p) = setup().await;
    once(
        &server,
        on("POST", BULK).and(body_json(
            json!({"inviteIds": ["i1"], "role": "reviewer", "defaultSiteRole": "reviewer"}),
        )),
        ok(json!({
            "summary": {"updated": 1, "failed": 0},
            "results": [{"id": "i1", "type": "invite", "outcome": "updated"}]})),
    )
    .await;
    always(
        &server,
        on("GET", MEMBERS)
            .and(query_param("email", "a@example.com")),
        ok(json!({
            "members": [], "invites": [invite_json("i1", "a@example.com", "pending")], "pagination": {}})),
    )
    .await;
    p.update_role(
        &UserId::new("invite:i1:a@example.com"),
        &RoleAssignment::REVIEWER,
    )
    .await
    .unwrap();
}

/// A member is removed with a plain DELETE (no body); an invite is cancelled through bulk
/// remove (a DELETE with a JSON body); an unknown member is not found.
#[tokio::test]
async fn remove_is_a_member_delete_or_a_bulk_cancel() {
    let (server, p) = setup().await;
    once_each(
        &server,
        [
            (
                on("DELETE", format!("{MEMBERS}/m1")),
                ResponseTemplate::new(200),
            ),
            (
                on("DELETE", BULK)
                    .and(header("content-type", "application/json"))
                    .and(body_json(json!({"inviteIds": ["i1"]}))),
                ok(json!({
            "summary": {"removed": 1, "failed": 0},
            "results": [{"id": "i1", "type": "invite", "outcome": "removed"}]})),
            ),
        ],
    )
    .await;
    always(
        &server,
        on("DELETE", format!("{MEMBERS}/m2")),
        err(
            404,
            "resource_not_found",
            "The workspace member cannot be found",
        ),
    )
    .await;
    p.remove(&UserId::new("member:m1")).await.unwrap();
    let raw = server.received_requests().await.unwrap();
    assert!(raw[0].body.is_empty());
    p.remove(&UserId::new("invite:i1")).await.unwrap();
    let e = p.remove(&UserId::new("member:m2")).await.unwrap_err();
    assert!(e.is_not_found());
    assert!(e.to_string().contains("unknown workspace member"), "{e}");
}

// ---- bulk ------------------------------------------------------------------------------------

#[tokio::test]
async fn bulk_update_chunks_150_ids_into_100_and_50_and_dedupes() {
    let (server, p) = setup().await;
    let ids: Vec<String> = (0..150).map(|i| format!("m{i:03}")).collect();
    let mut asked: Vec<UserId> = ids
        .iter()
        .map(|i| UserId::new(format!("member:{i}")))
        .collect();
    asked.push(UserId::new("member:m000"));
    asked.push(UserId::new("member:m149"));
    for chunk in ids.chunks(100) {
        let results: Vec<Value> = chunk
            .iter()
            .rev() // matched by id, not position
            .map(|id| {
                if id == "m007" {
                    json!({"id": id, "type": "member", "outcome": "failed",
                           "error": {"code": "workspace_member_managed_by_scim", "message": "managed by SCIM"}})
                } else {
                    json!({"id": id, "type": "member", "outcome": "updated", "error": {"message": "ignored"}})
                }
            })
            .collect();
        once(
            &server,
            on("POST", BULK).and(body_json(
                json!({"memberIds": chunk, "role": "member", "defaultSiteRole": "marketer"}),
            )),
            ok(json!({
                "summary": {"updated": chunk.len(), "failed": 0}, "results": results})),
        )
        .await;
    }
    let report = p
        .bulk_update_roles(
            &asked,
            &RoleAssignment::member(SiteRoleAssignment::Marketer).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(report.items.len(), 150);
    assert_eq!(report.summaries.len(), 2);
    assert!(
        !report.is_success(),
        "a 200 with a failed item is not success"
    );
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].target.raw_id(), "m007");
    assert_eq!(report.succeeded().count(), 149);
    let e = report.into_result().unwrap_err();
    assert!(e.is_conflict(), "{e:?}");
    assert_eq!(e.vendor_code(), Some("workspace_member_managed_by_scim"));
    assert!(e.to_string().contains("SCIM"), "{e}");
}

#[tokio::test]
async fn bulk_remove_partial_success_and_missing_results() {
    let (server, p) = setup().await;
    once(
        &server,
        on("DELETE", BULK)
            .and(body_json(json!({"memberIds": ["m1", "m2"], "inviteIds": ["i1"]}))),
        ok(json!({
            "summary": {"removed": 1, "failed": 1},
            "results": [
                {"id": "m2", "type": "member", "outcome": "failed", "error": {"code": "workspace_member_not_found", "message": "No member"}},
                {"id": "i1", "type": "invite", "outcome": "removed"}
            ]})),
    )
    .await;
    let report = p
        .bulk_remove(&[
            UserId::new("member:m1"),
            UserId::new("member:m2"),
            UserId::new("invite:i1:x@example.com"),
        ])
        .await
        .unwrap();
    assert!(matches!(report.items[0].outcome, BulkOutcome::NoResult));
    assert!(matches!(report.items[1].outcome, BulkOutcome::Failed(ref e) if e.is_not_found()));
    assert!(report.items[2].succeeded());
    let e = report.into_result().unwrap_err();
    assert!(e.to_string().contains("2 of 3"), "{e}");
}

#[tokio::test]
async fn bulk_remove_4xx_means_nothing_removed() {
    let (server, p) = setup().await;
    once(
        &server,
        on("DELETE", BULK),
        err(400, "validation_error", "Too many ids"),
    )
    .await;
    let e = p
        .bulk_remove(&[UserId::new("member:m1")])
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.vendor_code(), Some("validation_error"));
    let e = p.bulk_remove(&[]).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }));
    let e = p.bulk_remove(&[UserId::new("x/y")]).await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput { ref field, .. } if field == "ids[0]"),
        "{e:?}"
    );
}

// ---- site access -----------------------------------------------------------------------------

fn site_member_json(id: &str, email: &str, role: &str) -> Value {
    json!({"id": id, "email": email, "roles": {"workspace": "member", "site": role}})
}

/// `member` (waylon@example.com) already opens SITE: a grant as content_editor answers
/// `member_already_has_access` (grant is not an upsert) and the role is set with PATCH;
/// each expected once.
async fn already_on_site(server: &MockServer, member: &str) {
    once_each(
        server,
        [
            (
                on("POST", SITE_MEMBERS).and(body_json(
                    json!({"memberId": member, "siteRole": "content_editor"}),
                )),
                err(
                    409,
                    "member_already_has_access",
                    "The member already has access to this site",
                ),
            ),
            (
                on("PATCH", format!("{SITE_MEMBERS}/{member}"))
                    .and(body_json(json!({"siteRole": "content_editor"}))),
                ok(site_member_json(
                    member,
                    "waylon@example.com",
                    "content_editor",
                )),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn site_access_calls() {
    let (server, p) = setup().await;
    let site = SiteId::new(SITE).unwrap();
    once_each(
        &server,
        [
            (on("GET", SITE_MEMBERS)
            .and(query_param("limit", "100")), ok(json!({
            "members": [site_member_json("m1", "a@example.com", "designer")], "pagination": {"nextCursor": null}}))),
            (on("POST", SITE_MEMBERS).and(body_json(
            json!({"email": "a@example.com", "siteRole": "content_editor"}),
        )), ok(site_member_json("m1", "a@example.com", "content_editor"))),
            (on("POST", SITE_MEMBERS).and(body_json(
            json!({"memberId": "m2", "siteRole": "custom", "siteRoleId": "r1"}),
        )), err(
            409,
            "member_already_has_access",
            "The member already has access to this site",
        )),
            (on("PATCH", format!("{SITE_MEMBERS}/m2")).and(body_json(json!({"siteRole": "marketer"}))), ok(site_member_json("m2", "b@example.com", "marketer"))),
            (on("PATCH", SITE_MEMBERS)
            .and(query_param("email", "b@example.com"))
            .and(body_json(json!({"siteRole": "reviewer"}))), ok(site_member_json("m2", "b@example.com", "reviewer"))),
            (on("DELETE", format!("{SITE_MEMBERS}/m2")), ResponseTemplate::new(200)),
            (on("DELETE", SITE_MEMBERS).and(query_param("email", "b@example.com")), ok(json!({}))),
            (on("DELETE", SITE_MEMBERS).and(query_param("email", "nobody@example.com")), err(
            404,
            "resource_not_found",
            "The person is not a member of this workspace",
        )),
        ],
    )
    .await;

    let listed: Vec<_> = p.list_site_members(&site).collect().await;
    assert_eq!(listed.len(), 1);
    let g = p
        .grant_site_access(
            &site,
            &MemberRef::Email(email("a@example.com")),
            &SiteRoleAssignment::ContentEditor,
        )
        .await
        .unwrap();
    assert!(matches!(g, GrantOutcome::Granted(ref m) if m.id == "m1"));
    let m2 = MemberRef::Id(MemberId::new("m2").unwrap());
    let custom = SiteRoleAssignment::parse("r", "custom", "id", Some("r1")).unwrap();
    assert_eq!(
        p.grant_site_access(&site, &m2, &custom).await.unwrap(),
        GrantOutcome::AlreadyHadAccess
    );
    p.update_site_role(&site, &m2, &SiteRoleAssignment::Marketer)
        .await
        .unwrap();
    let by_email = MemberRef::Email(email("b@example.com"));
    let m = p
        .update_site_role(&site, &by_email, &SiteRoleAssignment::Reviewer)
        .await
        .unwrap();
    assert_eq!(m.site_role.unwrap().as_str(), "reviewer");
    p.revoke_site_access(&site, &m2).await.unwrap();
    p.revoke_site_access(&site, &by_email).await.unwrap();
    let e = p
        .revoke_site_access(&site, &MemberRef::Email(email("nobody@example.com")))
        .await
        .unwrap_err();
    assert!(e.is_not_found());
    assert!(e.to_string().contains("not a workspace member"), "{e}");
}

#[tokio::test]
async fn update_adds_site_access_to_members_only() {
    let (server, p) = setup().await;
    let member = "62fa5e47f6b8256f4641c5c1";
    let admin = "62fa5e47f6b8256f4641c5c2";
    let mut admin_json = member_json(admin, "boss@example.com");
    admin_json["roles"] = json!({"workspace": "admin", "site": "site_manager"});
    always(
        &server,
        on("GET", MEMBERS).and(query_param_is_missing("email")),
        ok(json!({
            "members": [member_json(member, "waylon@example.com"), admin_json],
            "invites": [], "pagination": {"nextCursor": null}})),
    )
    .await;
    always(
        &server,
        on("GET", MEMBERS)
            .and(query_param("email", "sam@example.com")),
        ok(json!({
            "members": [], "invites": [invite_json("63fa5e47f6b8256f4641c5bf", "sam@example.com", "pending")],
            "pagination": {"nextCursor": null}})),
    )
    .await;
    // First Add grants; the second finds access and sets the role (idempotent).
    Mock::given(method("POST"))
        .and(path(SITE_MEMBERS))
        .and(body_json(
            json!({"memberId": member, "siteRole": "content_editor"}),
        ))
        .respond_with(ok(site_member_json(
            member,
            "waylon@example.com",
            "content_editor",
        )))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    already_on_site(&server, member).await;
    let add = UserPatch::new().grants(GrantChange::Add(vec![site_grant(SITE, "content_editor")]));
    let id = UserId::new(format!("member:{member}"));
    for _ in 0..2 {
        let u = p.update(&id, &add).await.unwrap();
        assert_eq!(
            u.grants,
            vec![
                role("member", Some("designer")),
                site_grant(SITE, "content_editor")
            ]
        );
    }

    // A pending invite: a typed refusal, nothing sent to the site.
    let invite = UserId::new("invite:63fa5e47f6b8256f4641c5bf:sam@example.com");
    let e = p.update(&invite, &add).await.unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    assert!(e.to_string().contains("members only"), "{e}");

    // An admin opens every site as site_manager: refused, never lowered.
    let e = p
        .update(&UserId::new(format!("member:{admin}")), &add)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    assert!(e.to_string().contains("admin"), "{e}");

    assert_eq!(
        writes(&server).await,
        3,
        "grant, grant + PATCH; none for the invite or the admin"
    );
}

// ---- errors ----------------------------------------------------------------------------------

#[tokio::test]
async fn documented_errors_are_mapped() {
    type Case = (
        u16,
        &'static str,
        &'static str,
        fn(&Error) -> bool,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            401,
            "not_authorized",
            "Request not authorized",
            |e| matches!(e, Error::Unauthorized(_)),
            "not_authorized",
        ),
        (
            403,
            "missing_scopes",
            "OAuthForbidden: You are missing the following scopes - workspace_members:read",
            |e| matches!(e, Error::Forbidden { missing_scope: Some(s), .. } if s == "workspace_members:read"),
            "missing scope",
        ),
        (
            403,
            "not_enterprise_plan_workspace",
            "Nope",
            |e| {
                matches!(
                    e,
                    Error::Forbidden {
                        missing_scope: None,
                        ..
                    }
                )
            },
            "Enterprise workspace is required",
        ),
        (
            403,
            "not_enterprise_plan_site",
            "Nope",
            |e| matches!(e, Error::Forbidden { .. }),
            "Enterprise workspace is required",
        ),
        (
            404,
            "resource_not_found",
            "Requested resource not found: The workspace cannot be found",
            |e| e.is_not_found(),
            "unknown workspace",
        ),
        (
            409,
            "workspace_member_managed_by_scim",
            "managed",
            |e| e.is_conflict(),
            "through the identity provider (SCIM)",
        ),
        (
            400,
            "invalid_workspace_role",
            "bad pair",
            |e| matches!(e, Error::Vendor(_)),
            "invalid_workspace_role",
        ),
        (
            400,
            "cannot_update_user_role",
            "no seats",
            |e| e.is_conflict(),
            "cannot_update_user_role",
        ),
        (
            400,
            "invalid_site_role",
            "bad site role",
            |e| matches!(e, Error::Vendor(_)),
            "invalid_site_role",
        ),
        (
            429,
            "too_many_requests",
            "Too Many Requests",
            |e| matches!(e, Error::RateLimited { .. }),
            "too_many_requests",
        ),
        (
            500,
            "internal_error",
            "An Internal Error occurred",
            |e| e.is_retryable(),
            "internal_error",
        ),
    ];
    for (status, code, message, check, shown) in cases {
        let (server, p) = setup().await;
        always(
            &server,
            on("PATCH", format!("{MEMBERS}/m1")),
            err(status, code, message),
        )
        .await;
        let e = p
            .update_role(&UserId::new("member:m1"), &RoleAssignment::ADMIN)
            .await
            .unwrap_err();
        assert!(check(&e), "{status} {code}: {e:?}");
        assert_eq!(e.vendor_code(), Some(code));
        assert!(e.to_string().contains(shown), "{status} {code}: {e}");
        assert!(!format!("{e:?} {e}").contains(TOKEN));
    }
    // A body that is not Webflow's shape still maps by status.
    let (server, p) = setup().await;
    always(
        &server,
        on("DELETE", format!("{MEMBERS}/m1")),
        ResponseTemplate::new(409).set_body_string("{\"key\":\"value\"}"),
    )
    .await;
    assert!(
        p.remove(&UserId::new("member:m1"))
            .await
            .unwrap_err()
            .is_conflict()
    );
}

#[tokio::test]
async fn unknown_site_is_named() {
    let (server, p) = setup().await;
    always(
        &server,
        on("GET", SITE_MEMBERS),
        err(
            404,
            "resource_not_found",
            "Requested resource not found: The site cannot be found",
        ),
    )
    .await;
    let r: Vec<_> = p
        .list_site_members(&SiteId::new(SITE).unwrap())
        .collect()
        .await;
    let e = r.into_iter().next().unwrap().unwrap_err();
    assert!(e.to_string().contains("unknown site"), "{e}");
}

#[tokio::test]
async fn secrets_never_show() {
    let (server, p) = setup().await;
    let c = config(&server, &[]);
    let shown = format!("{c:?} {p:?} {p}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("webflow-workspace(5f0c8c9e1c9d440000e8d8c3)"));
    let t = invite_webflow::WorkspaceToken::new(TOKEN).unwrap();
    assert_eq!(format!("{t:?}"), "WorkspaceToken([REDACTED])");
    assert!(WebflowWorkspaceConfig::from_lookup(|_| None).is_err());
    let e = WebflowWorkspaceConfig::from_lookup(|k| match k {
        "WEBFLOW_WORKSPACE_TOKEN" => Some(TOKEN.into()),
        "WEBFLOW_WORKSPACE_ID" => Some(WS.into()),
        "WEBFLOW_API_BASE_URL" => Some("http://api.webflow.com/v2".into()),
        _ => None,
    })
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    let e = WebflowWorkspaceConfig::from_lookup(|k| match k {
        "WEBFLOW_WORKSPACE_TOKEN" => Some(TOKEN.into()),
        "WEBFLOW_WORKSPACE_ID" => Some(WS.into()),
        "WEBFLOW_WORKSPACE_ROLE" => Some("member".into()),
        "WEBFLOW_DEFAULT_SITE_ROLE" => Some("reviewer".into()),
        _ => None,
    })
    .unwrap_err();
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("reviewer")),
        "{e:?}"
    );
    assert!(!format!("{e:?} {e}").contains(TOKEN));
}
