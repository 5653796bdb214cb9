//! Exact wire-level tests against wiremock: every Flatfile call this adapter makes, every
//! error shape, and the refusals that must send nothing.

#![cfg(test)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::StreamExt;
use invite_core::ensure::ensure_invited_known;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    Email, EmailDelivery, EnsureOutcome, Error, Grant, GrantChange, GrantKind, Invitation,
    InviteProvider, ListQuery, PersonName, UserDirectory, UserId, UserPatch, UserStatus,
};
use invite_flatfile::{ActorRole, FlatfileConfig, FlatfileConfigBuilder, FlatfileProvider};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate, Times};

/// A distinct key per provider, so one test's rate-limit pause never reaches another.
fn key() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("sk_test_{}_s3cr3t", N.fetch_add(1, Ordering::Relaxed))
}

fn options() -> ClientOptions {
    ClientOptions::default().with_retry(
        RetryConfig::default()
            .with_max_retries(2)
            .with_backoff(Duration::from_millis(1), Duration::from_millis(20))
            .with_jitter(false),
    )
}

struct Setup {
    server: MockServer,
    ff: FlatfileProvider,
    key: String,
}

async fn setup_with(f: impl FnOnce(FlatfileConfigBuilder) -> FlatfileConfigBuilder) -> Setup {
    let server = MockServer::start().await;
    let key = key();
    let builder = FlatfileConfig::builder(key.as_str())
        .api_url(server.uri())
        .client_options(options());
    let ff = FlatfileProvider::from_config(f(builder).build().unwrap()).unwrap();
    Setup { server, ff, key }
}

async fn setup() -> Setup {
    setup_with(|b| b.default_actor_role("us_rol_default", "us_acc_main")).await
}

impl Setup {
    fn bearer(&self) -> String {
        format!("Bearer {}", self.key)
    }

    /// A users or roles call as Flatfile must receive it: `verb` on `route`, with the key as
    /// bearer and `X-Disable-Hooks: true`.
    fn call(&self, verb: &str, route: impl Into<String>) -> MockBuilder {
        Mock::given(method(verb))
            .and(path(route.into()))
            .and(header("authorization", self.bearer().as_str()))
            .and(header("x-disable-hooks", "true"))
    }

    /// Mounts `mock`, answering `answer`, expected `times` times.
    async fn mount(&self, mock: MockBuilder, answer: ResponseTemplate, times: impl Into<Times>) {
        mock.respond_with(answer)
            .expect(times)
            .mount(&self.server)
            .await;
    }

    async fn received(&self) -> Vec<wiremock::Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    async fn requests(&self) -> usize {
        self.received().await.len()
    }
}

/// A 200 answer `{"data": data}`.
fn data(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
}

fn success() -> ResponseTemplate {
    data(json!({"success": true}))
}

fn errors(status: u16, items: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "errors": items }))
}

fn user(id: &str, email: &str) -> Value {
    json!({
        "id": id,
        "email": email,
        "name": "john.smith",
        "accountId": "us_acc_main",
        "idp": "FRONTEGG",
        "idpRef": "0b7e5a1c-1111-2222-3333-444455556666",
        "metadata": {},
        "createdAt": "2024-05-01T10:00:00.000Z",
        "updatedAt": "2024-05-01T10:00:00.000Z",
        "dashboard": 2
    })
}

/// Users `<id>@example.com`.
fn users(ids: &[&str]) -> Vec<Value> {
    ids.iter()
        .map(|id| user(id, &format!("{id}@example.com")))
        .collect()
}

/// A page of `GET /users`: `users` with a `pagination` saying `pages` (none when `None`).
fn users_page(users: Vec<Value>, page: u32, pages: Option<u32>) -> ResponseTemplate {
    let mut body = json!({ "data": users });
    if let Some(pages) = pages {
        body["pagination"] = json!({"currentPage": page, "pageCount": pages, "totalCount": 9});
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn role(id: &str, role_id: &str, resource_id: &str) -> Value {
    json!({
        "id": id, "roleId": role_id, "actorId": "us_usr_1", "resourceId": resource_id,
        "createdAt": "2024-05-01T10:00:00.000Z", "updatedAt": "2024-05-01T10:00:00.000Z"
    })
}

fn actor_role(role_id: &str, resource_id: &str) -> Grant {
    ActorRole::new(role_id, resource_id).into()
}

fn ada() -> Invitation {
    Invitation::new(Email::parse("Ada@Example.com").unwrap())
        .with_name(PersonName::new("Ada", "Lovelace"))
}

fn invite_body(name: &str, roles: &[(&str, &str)]) -> Value {
    let roles: Vec<Value> = roles
        .iter()
        .map(|(r, s)| json!({"roleId": r, "resourceId": s}))
        .collect();
    json!({"email": "Ada@Example.com", "name": name, "actorRoles": roles})
}

fn id() -> UserId {
    UserId::new("us_usr_1")
}

// ---- invite ---------------------------------------------------------------------------

#[tokio::test]
async fn invite_sends_email_name_actor_roles_and_headers() {
    let s = setup().await;
    let mut answer = user("us_usr_1", "Ada@Example.com");
    answer["actorRoles"] = json!([role("us_acr_1", "us_rol_ed", "us_env_1")]);
    answer["actorRoles"][0]["actorId"] = json!("us_ag_other");
    let body = invite_body(
        "Ada Lovelace",
        &[("us_rol_ed", "us_env_1"), ("us_rol_viewer", "us_sp_9")],
    );
    let call = s
        .call("POST", "/v1/users/invite")
        .and(header("content-type", "application/json"))
        .and(body_json(body));
    s.mount(call, data(answer), 1).await;
    let inv = ada()
        .with_grant(actor_role("us_rol_ed", "us_env_1"))
        .with_grant(actor_role("us_rol_viewer", "us_sp_9"))
        .with_grant(actor_role("us_rol_ed", "us_env_1"));
    let receipt = s.ff.invite(&inv).await.unwrap();
    let u = &receipt.user;
    assert_eq!(u.id.as_str(), "us_usr_1");
    assert_eq!(u.status, UserStatus::Invited);
    assert!(u.has_email(&Email::parse("ada@example.com").unwrap()));
    // Flatfile answers another name than the one sent; it is reported as answered.
    assert_eq!(u.name.full().as_deref(), Some("john.smith"));
    assert_eq!(u.grants, vec![actor_role("us_rol_ed", "us_env_1")]);
    assert_eq!(u.raw["dashboard"], 2);
    assert!(!receipt.already_member);
    for r in &s.received().await {
        assert!(
            r.headers.get("keep-alive").is_none(),
            "no Keep-Alive header"
        );
    }
}

/// Flatfile requires a name: without one, the address's local part is sent as typed (the
/// name Flatfile's own example answers for an invitee).
#[tokio::test]
async fn invite_without_a_name_sends_the_local_part() {
    let s = setup().await;
    let call = s
        .call("POST", "/v1/users/invite")
        .and(body_json(invite_body("Ada", &[("us_rol_ed", "us_env_1")])));
    s.mount(call, data(user("us_usr_1", "Ada@Example.com")), 1)
        .await;
    let inv = Invitation::new(Email::parse("Ada@Example.com").unwrap())
        .with_grant(actor_role("us_rol_ed", "us_env_1"));
    let receipt = s.ff.invite(&inv).await.unwrap();
    assert_eq!(receipt.user.id.as_str(), "us_usr_1");
}

#[tokio::test]
async fn invite_without_grant_uses_the_default_role_and_sends_the_display_name() {
    let s = setup().await;
    let mut answer = user("us_usr_2", "Ada@Example.com");
    answer["actorRoles"] = json!([role("us_acr_2", "us_rol_default", "us_acc_main")]);
    let default = [("us_rol_default", "us_acc_main")];
    let call = s
        .call("POST", "/v1/users/invite")
        .and(body_json(invite_body("Ada Lovelace", &default)));
    s.mount(call, data(answer), 1).await;
    // An explicit "send the email" is what Flatfile does anyway.
    let receipt =
        s.ff.invite(&ada().with_delivery(EmailDelivery::Send))
            .await
            .unwrap();
    assert_eq!(
        receipt.user.grants,
        vec![actor_role("us_rol_default", "us_acc_main")]
    );

    // The display name wins over the parts.
    let call = s
        .call("POST", "/v1/users/invite")
        .and(body_json(invite_body("Countess Lovelace", &default)));
    s.mount(call, data(user("us_usr_3", "Ada@Example.com")), 1)
        .await;
    let inv = Invitation::new(Email::parse("Ada@Example.com").unwrap())
        .with_name(PersonName::new("Ada", "Lovelace").with_display("Countess Lovelace"));
    s.ff.invite(&inv).await.unwrap();
}

#[tokio::test]
async fn invite_refusals_send_nothing() {
    let s = setup().await;
    let no_default = setup_with(|b| b).await;
    let expect_invalid = |r: Result<invite_core::InviteReceipt, Error>, field: &str| match r {
        Err(Error::InvalidInput { field: f, reason }) => {
            assert_eq!(f, field, "{reason}");
            reason
        }
        other => panic!("expected InvalidInput on {field}, got {other:?}"),
    };
    let reason = expect_invalid(no_default.ff.invite(&ada()).await, "grants");
    assert!(
        reason.contains("FLATFILE_ROLE_ID") && reason.contains("FLATFILE_ACCOUNT_ID"),
        "{reason}"
    );
    expect_invalid(
        s.ff.invite(&ada().with_grant(actor_role("us_rol_a", "us_usr_1")))
            .await,
        "grants[0].resource_id",
    );
    expect_invalid(
        s.ff.invite(
            &ada()
                .with_grant(actor_role("us_rol_a", "us_acc_1"))
                .with_grant(actor_role("admin", "us_acc_1")),
        )
        .await,
        "grants[1].role_id",
    );
    let awork_role = Grant::new(GrantKind::new("awork_role")).with("role_id", "r");
    for (what, inv) in [
        (
            "silent invite",
            ada().with_delivery(EmailDelivery::Suppress),
        ),
        ("foreign grant", ada().with_grant(awork_role)),
    ] {
        match s.ff.invite(&inv).await {
            Err(Error::Unsupported { .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    match s
        .ff
        .invite(&ada().with_attribute("dashboard", json!(2)))
        .await
    {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "attributes.dashboard"),
        other => panic!("attribute: {other:?}"),
    }
    assert_eq!(s.requests().await, 0);
    assert_eq!(no_default.requests().await, 0);
}

#[tokio::test]
async fn disable_hooks_can_be_turned_off() {
    let s = setup_with(|b| b.disable_hooks(false)).await;
    let call = Mock::given(method("GET")).and(path("/v1/users/us_usr_1"));
    s.mount(call, data(user("us_usr_1", "a@b.co")), 1).await;
    s.ff.get(&id()).await.unwrap();
    assert!(
        s.received().await[0]
            .headers
            .get("x-disable-hooks")
            .is_none()
    );
}

#[tokio::test]
async fn invite_lost_answers_are_uncertain() {
    for answer in [
        ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
        data(json!({"ok": true})),
    ] {
        let s = setup().await;
        s.mount(s.call("POST", "/v1/users/invite"), answer, 1).await;
        let e = s.ff.invite(&ada()).await.unwrap_err();
        assert!(e.is_uncertain(), "{e:?}");
    }
}

// ---- resend, get, remove --------------------------------------------------------------

#[tokio::test]
async fn resend_posts_to_resend_invite() {
    let s = setup().await;
    let call = s.call("POST", "/v1/users/us_usr_1/resend-invite");
    s.mount(call, success(), 1).await;
    s.ff.resend(&id()).await.unwrap();
    let reqs = s.received().await;
    assert!(reqs[0].body.is_empty(), "no body");
    assert!(reqs[0].headers.get("content-type").is_none());
}

#[tokio::test]
async fn success_false_is_an_error() {
    let s = setup().await;
    let call = s.call("POST", "/v1/users/us_usr_1/resend-invite");
    s.mount(call, data(json!({"success": false})), 1).await;
    match s.ff.resend(&id()).await {
        Err(Error::Vendor(d)) => assert!(d.message.unwrap().contains("success: false")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn get_maps_last_seen_to_active() {
    let s = setup().await;
    let mut u = user("us_usr_1", "ada@example.com");
    u["lastSeenAt"] = json!("2024-06-01T08:00:00.000Z");
    s.mount(s.call("GET", "/v1/users/us_usr_1"), data(u.clone()), 1)
        .await;
    let got = s.ff.get(&id()).await.unwrap();
    assert_eq!(got.status, UserStatus::Active);
    assert!(got.last_login_at.is_some());
    assert!(got.created_at.is_some());
    assert!(got.grants.is_empty());
    assert_eq!(got.raw, u);
}

#[tokio::test]
async fn remove_deletes_the_user() {
    let s = setup().await;
    s.mount(s.call("DELETE", "/v1/users/us_usr_1"), success(), 1)
        .await;
    s.ff.remove(&id()).await.unwrap();
}

#[tokio::test]
async fn unsupported_operations_send_nothing() {
    let s = setup().await;
    for r in [s.ff.deactivate(&id()).await, s.ff.reactivate(&id()).await] {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    }
    let patch = UserPatch::new().email(Email::parse("new@example.com").unwrap());
    assert!(matches!(
        s.ff.update(&id(), &patch).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        s.ff.update(&id(), &UserPatch::new()).await,
        Err(Error::InvalidInput { .. })
    ));
    let bad = UserPatch::new().grants(GrantChange::Add(vec![actor_role("us_rol_a", "env_1")]));
    match s.ff.update(&id(), &bad).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "grants[0].resource_id"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.requests().await, 0);
}

#[tokio::test]
async fn hostile_ids_are_one_segment_or_refused() {
    let s = setup().await;
    let not_found = errors(404, json!([{"message": "User not found"}]));
    s.mount(Mock::given(method("GET")), not_found, ..).await;
    for (id, sent) in [
        ("../x", "/v1/users/..%2Fx"),
        ("a/b", "/v1/users/a%2Fb"),
        ("a?b", "/v1/users/a%3Fb"),
        ("%2F", "/v1/users/%252F"),
        ("a#b", "/v1/users/a%23b"),
    ] {
        let e = s.ff.get(&UserId::new(id)).await.unwrap_err();
        assert!(e.is_not_found(), "{id}: {e:?}");
        let reqs = s.received().await;
        let last = reqs.last().unwrap();
        assert_eq!(last.url.path(), sent, "{id}");
        assert!(last.url.query().is_none(), "{id}");
    }
    let before = s.requests().await;
    for id in ["", "..", ".", "a\nb"] {
        let e = s.ff.get(&UserId::new(id)).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{id:?}: {e:?}");
        let e = s.ff.remove(&UserId::new(id)).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{id:?}: {e:?}");
    }
    assert_eq!(s.requests().await, before);
}

// ---- list and find --------------------------------------------------------------------

#[tokio::test]
async fn list_pages_until_page_count() {
    let s = setup().await;
    for (page, ids) in [
        (1, ["us_usr_1", "us_usr_2"].as_slice()),
        (2, ["us_usr_3"].as_slice()),
    ] {
        let call = s
            .call("GET", "/v1/users")
            .and(query_param("pageSize", "2"))
            .and(query_param("pageNumber", page.to_string()));
        s.mount(call, users_page(users(ids), page, Some(2)), 1)
            .await;
    }
    let users: Vec<_> =
        s.ff.list(ListQuery::new().page_size(2))
            .map(|r| r.unwrap().id.to_string())
            .collect()
            .await;
    assert_eq!(users, ["us_usr_1", "us_usr_2", "us_usr_3"]);
}

#[tokio::test]
async fn list_is_lazy_and_stops_without_pagination() {
    let s = setup().await;
    let two = users(&["us_usr_1", "us_usr_2"]);
    let call = s
        .call("GET", "/v1/users")
        .and(query_param("pageSize", "100"))
        .and(query_param("pageNumber", "1"));
    s.mount(call, users_page(two, 1, None), 1).await;
    // No pagination object: one page only, even though it was full.
    let all: Vec<_> = s.ff.list(ListQuery::new().page_size(1000)).collect().await;
    assert_eq!(all.len(), 2);

    let s = setup().await;
    let one = users(&["us_usr_1"]);
    let page = |n: &str| s.call("GET", "/v1/users").and(query_param("pageNumber", n));
    s.mount(page("1"), users_page(one, 1, Some(5)), 1).await;
    s.mount(page("2"), ResponseTemplate::new(500), 0).await;
    let mut stream = s.ff.list(ListQuery::new().page_size(1));
    assert!(stream.next().await.unwrap().is_ok());
    drop(stream);
}

#[tokio::test]
async fn list_error_ends_the_stream() {
    let s = setup().await;
    let forbidden = errors(403, json!([{"message": "Forbidden: missing permission"}]));
    s.mount(s.call("GET", "/v1/users"), forbidden, 1).await;
    let items: Vec<_> = s.ff.list(ListQuery::new()).collect().await;
    assert_eq!(items.len(), 1);
    assert!(
        matches!(items[0], Err(Error::Forbidden { .. })),
        "{items:?}"
    );
}

/// `GET /users?email=<filter>` answering `users` (one page).
async fn mount_filter(s: &Setup, filter: &str, users: Vec<Value>, pages: Option<u32>) {
    let call = s
        .call("GET", "/v1/users")
        .and(query_param("email", filter))
        .and(query_param("pageNumber", "1"));
    s.mount(call, users_page(users, 1, pages), 1).await;
}

async fn find(s: &Setup, email: &str) -> Option<String> {
    let email = Email::parse(email).unwrap();
    let found = s.ff.find_by_email(&email).await.unwrap();
    found.map(|u| u.id.to_string())
}

#[tokio::test]
async fn find_by_email_filters_server_side_and_matches_exactly() {
    let s = setup().await;
    let both = vec![
        user("us_usr_9", "ada@example.com.au"),
        user("us_usr_1", "ADA@example.com"),
    ];
    mount_filter(&s, "ada@example.com", both, Some(1)).await;
    assert_eq!(
        find(&s, "ada@example.com").await.as_deref(),
        Some("us_usr_1")
    );
}

#[tokio::test]
async fn find_by_email_retries_lower_case_then_gives_none() {
    let s = setup().await;
    mount_filter(&s, "Ada@Example.com", vec![], None).await;
    let ada = vec![user("us_usr_1", "ada@example.com")];
    mount_filter(&s, "ada@example.com", ada, Some(1)).await;
    assert_eq!(
        find(&s, "Ada@Example.com").await.as_deref(),
        Some("us_usr_1")
    );

    let s = setup().await;
    mount_filter(&s, "nobody@example.com", vec![], Some(0)).await;
    assert_eq!(find(&s, "nobody@example.com").await, None);
    // An empty page ends the search even when `pageCount` claims more.
    mount_filter(&s, "none@example.com", vec![], Some(5)).await;
    assert_eq!(find(&s, "none@example.com").await, None);
}

// ---- update ---------------------------------------------------------------------------

#[tokio::test]
async fn update_name_patches_only_the_name() {
    let s = setup().await;
    let mut answer = user("us_usr_1", "ada@example.com");
    answer["name"] = json!("Grace Hopper");
    let call = s
        .call("PATCH", "/v1/users/us_usr_1")
        .and(body_json(json!({"name": "Grace Hopper"})));
    s.mount(call, data(answer), 1).await;
    let patch = UserPatch::new().name(PersonName::new("Grace", "Hopper"));
    let u = s.ff.update(&id(), &patch).await.unwrap();
    assert_eq!(u.name.full().as_deref(), Some("Grace Hopper"));
    assert_eq!(s.requests().await, 1);
}

/// `GET /users/us_usr_1/roles`, expected `times`: `us_rol_a` (`us_acr_a`) and `us_rol_b`
/// (`us_acr_b`) on `us_acc_main`.
async fn mount_roles_a_and_b(s: &Setup, times: u64) {
    let roles = json!([
        role("us_acr_a", "us_rol_a", "us_acc_main"),
        role("us_acr_b", "us_rol_b", "us_acc_main")
    ]);
    s.mount(
        s.call("GET", "/v1/users/us_usr_1/roles"),
        data(roles),
        times,
    )
    .await;
}

/// A fresh setup whose user holds `us_rol_a` and `us_rol_b` (read once), and whose
/// `GET /users/us_usr_1` answers once.
async fn holding_a_and_b() -> Setup {
    let s = setup().await;
    mount_roles_a_and_b(&s, 1).await;
    let call = Mock::given(method("GET")).and(path("/v1/users/us_usr_1"));
    s.mount(call, data(user("us_usr_1", "ada@example.com")), 1)
        .await;
    s
}

async fn mount_assign(s: &Setup, role_id: &str, acr: &str, times: u64) {
    let call = s.call("POST", "/v1/users/us_usr_1/roles").and(body_json(
        json!({"roleId": role_id, "resourceId": "us_acc_main"}),
    ));
    let answer = data(role(acr, role_id, "us_acc_main"));
    s.mount(call, answer, times).await;
}

async fn mount_unassign(s: &Setup, acr: &str, times: u64) {
    let call = s.call("DELETE", format!("/v1/users/us_usr_1/roles/{acr}"));
    s.mount(call, success(), times).await;
}

async fn change_grants(
    s: &Setup,
    change: fn(Vec<Grant>) -> GrantChange,
    roles: &[&str],
) -> Vec<Grant> {
    let grants = roles.iter().map(|r| actor_role(r, "us_acc_main")).collect();
    let patch = UserPatch::new().grants(change(grants));
    s.ff.update(&id(), &patch).await.unwrap().grants
}

async fn methods(s: &Setup) -> Vec<String> {
    s.received()
        .await
        .iter()
        .map(|r| r.method.to_string())
        .collect()
}

#[tokio::test]
async fn update_grants_replace_assigns_and_deletes_the_difference() {
    let s = holding_a_and_b().await;
    mount_assign(&s, "us_rol_c", "us_acr_c", 1).await;
    mount_assign(&s, "us_rol_b", "us_acr_x", 0).await;
    mount_unassign(&s, "us_acr_a", 1).await;
    mount_unassign(&s, "us_acr_b", 0).await;
    let grants = change_grants(&s, GrantChange::Replace, &["us_rol_b", "us_rol_c"]).await;
    assert_eq!(
        grants,
        vec![
            actor_role("us_rol_b", "us_acc_main"),
            actor_role("us_rol_c", "us_acc_main")
        ]
    );
    // The new role is assigned before the old one is deleted.
    assert_eq!(methods(&s).await, ["GET", "POST", "DELETE", "GET"]);
}

#[tokio::test]
async fn update_grants_add_and_remove() {
    let s = holding_a_and_b().await;
    mount_assign(&s, "us_rol_c", "us_acr_c", 1).await;
    let grants = change_grants(&s, GrantChange::Add, &["us_rol_a", "us_rol_c"]).await;
    assert_eq!(grants.len(), 3);
    assert_eq!(s.requests().await, 3);

    let s = holding_a_and_b().await;
    mount_unassign(&s, "us_acr_b", 1).await;
    let grants = change_grants(&s, GrantChange::Remove, &["us_rol_b", "us_rol_z"]).await;
    assert_eq!(grants, vec![actor_role("us_rol_a", "us_acc_main")]);
    assert_eq!(s.requests().await, 3);

    // A change the user already satisfies writes nothing: the roles are read, then the
    // user is answered.
    let s = holding_a_and_b().await;
    change_grants(&s, GrantChange::Add, &["us_rol_a"]).await;
    assert_eq!(methods(&s).await, ["GET", "GET"]);
}

#[tokio::test]
async fn update_name_and_grants_reads_the_roles_first() {
    let s = setup().await;
    mount_roles_a_and_b(&s, 1).await;
    let call = s
        .call("PATCH", "/v1/users/us_usr_1")
        .and(body_json(json!({"name": "Grace Hopper"})));
    s.mount(call, data(user("us_usr_1", "ada@example.com")), 1)
        .await;
    mount_assign(&s, "us_rol_c", "us_acr_c", 1).await;
    let patch = UserPatch::new()
        .name(PersonName::new("Grace", "Hopper"))
        .grants(GrantChange::Add(vec![actor_role(
            "us_rol_c",
            "us_acc_main",
        )]));
    let u = s.ff.update(&id(), &patch).await.unwrap();
    assert_eq!(u.grants.len(), 3);
    // Everything is read before the first write; the answer to the PATCH is the user.
    assert_eq!(methods(&s).await, ["GET", "PATCH", "POST"]);
}

// ---- Flatfile-specific calls ----------------------------------------------------------

#[tokio::test]
async fn list_roles_and_current_account() {
    let s = setup().await;
    let roles = json!([
        {"id": "us_rol_a", "name": "Admin", "accountId": "us_acc_main",
         "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"}
    ]);
    s.mount(s.call("GET", "/v1/roles"), data(roles), 1).await;
    // `X-Disable-Hooks: true` too: the SDK sends it on `GET /accounts/current` as well.
    let call = s.call("GET", "/v1/accounts/current");
    let account = json!({
        "id": "us_acc_main", "name": "Acme", "defaultEnvironmentId": "us_env_1", "metadata": {}
    });
    s.mount(call, data(account), 1).await;
    let roles = s.ff.list_roles().await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].id, "us_rol_a");
    assert_eq!(roles[0].name.as_deref(), Some("Admin"));
    let acct = s.ff.current_account().await.unwrap();
    assert_eq!(acct.id, "us_acc_main");
    assert_eq!(acct.default_environment_id.as_deref(), Some("us_env_1"));
    assert_eq!(acct.raw["metadata"], json!({}));
    let reqs = s.received().await;
    let account_call = reqs
        .iter()
        .find(|r| r.url.path() == "/v1/accounts/current")
        .unwrap();
    assert_eq!(account_call.headers.get("x-disable-hooks").unwrap(), "true");
}

#[tokio::test]
async fn role_calls() {
    let s = setup().await;
    mount_roles_a_and_b(&s, 2).await;
    mount_assign(&s, "us_rol_c", "us_acr_c", 1).await;
    mount_unassign(&s, "us_acr_b", 1).await;
    mount_unassign(&s, "us_acr_q", 1).await;
    let roles = s.ff.user_roles(&id()).await.unwrap();
    assert_eq!(roles.len(), 2);
    assert_eq!(roles[0].id, "us_acr_a");
    assert_eq!(roles[0].actor_id.as_deref(), Some("us_usr_1"));
    let assigned =
        s.ff.assign_role(&id(), &ActorRole::new("us_rol_c", "us_acc_main"))
            .await;
    assert_eq!(assigned.unwrap().id, "us_acr_c");
    let removed =
        s.ff.remove_role(&id(), &ActorRole::new("us_rol_b", "us_acc_main"))
            .await;
    assert_eq!(removed.unwrap(), 1);
    s.ff.remove_actor_role(&id(), "us_acr_q").await.unwrap();
    let before = s.requests().await;
    assert!(matches!(
        s.ff.assign_role(&id(), &ActorRole::new("us_rol_c", "nope")).await,
        Err(Error::InvalidInput { ref field, .. }) if field == "role.resource_id"
    ));
    assert!(matches!(
        s.ff.remove_actor_role(&id(), "..").await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(s.requests().await, before);
}

// ---- errors ---------------------------------------------------------------------------

async fn error_for(body: ResponseTemplate) -> Error {
    let s = setup().await;
    let call = Mock::given(method("GET")).and(path("/v1/users/us_usr_1"));
    s.mount(call, body, ..).await;
    s.ff.get(&id()).await.unwrap_err()
}

#[tokio::test]
async fn errors_map_by_status_and_keep_the_message() {
    let invalid = json!([{"key": "email", "message": "Invalid email"}]);
    match error_for(errors(400, invalid)).await {
        Error::InvalidInput { field, reason } => {
            assert_eq!(field, "email");
            assert!(
                reason.contains("Invalid email") && reason.contains("400"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    let two = json!([{"message": "Bad thing"}, {"message": "Other thing"}]);
    match error_for(errors(400, two)).await {
        Error::Vendor(d) => {
            assert_eq!(d.status, Some(400));
            assert_eq!(d.message.as_deref(), Some("Bad thing; Other thing"));
        }
        other => panic!("{other:?}"),
    }
    let unauthorized = json!([{"key": "authorization", "message": "Unauthorized"}]);
    let e = error_for(errors(401, unauthorized)).await;
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert_eq!(e.vendor_code(), Some("authorization"));
    let e = error_for(errors(403, json!([{"message": "Forbidden"}]))).await;
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    let e = error_for(errors(404, json!([{"message": "User us_usr_1 not found"}]))).await;
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains("User us_usr_1 not found"), "{e}");
    assert_eq!(e.status(), Some(404));
    let too_many = errors(429, json!([{"message": "Too many requests"}]));
    let e = error_for(too_many.insert_header("retry-after", "3600")).await;
    assert!(matches!(e, Error::RateLimited { .. }), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    let e = error_for(ResponseTemplate::new(500).set_body_string("upstream exploded")).await;
    assert!(matches!(e, Error::Vendor(_)), "{e:?}");
    assert_eq!(e.status(), Some(500));
    let excerpt = e.detail().unwrap().body_excerpt.as_deref().unwrap();
    assert!(excerpt.contains("upstream exploded"), "{e:?}");
    let e = error_for(ResponseTemplate::new(418).set_body_string("not json")).await;
    assert!(matches!(e, Error::Vendor(_)), "{e:?}");
}

/// A 409 for an address the lookup that follows does not find stays the conflict it is.
#[tokio::test]
async fn duplicate_invite_is_conflict() {
    let s = setup().await;
    let exists =
        json!([{"key": "email", "message": "A user with email Ada@Example.com already exists"}]);
    let call = Mock::given(method("POST")).and(path("/v1/users/invite"));
    s.mount(call, errors(409, exists), 1).await;
    mount_filter(&s, "Ada@Example.com", vec![], None).await;
    mount_filter(&s, "ada@example.com", vec![], None).await;
    let e = s.ff.invite(&ada()).await.unwrap_err();
    assert!(e.is_conflict(), "{e:?}");
    assert_eq!(e.vendor_code(), Some("email"));
    assert!(e.to_string().contains("already exists"));
}

fn lower_ada() -> Invitation {
    Invitation::new(Email::parse("ada@example.com").unwrap())
        .with_name(PersonName::new("Ada", "Lovelace"))
}

/// Flatfile documents no status for a duplicate invite: whichever refusal it comes back
/// with, the lookup that follows finds the account and `ensure_invited` links it.
#[tokio::test]
async fn duplicate_refusals_link_the_existing_account_whatever_the_status() {
    let exists = json!([{"key": "email", "message": "User already exists"}]);
    for refusal in [
        errors(400, exists.clone()),
        errors(409, exists.clone()),
        errors(422, exists.clone()),
        errors(400, json!([{"message": "User already exists"}])),
        ResponseTemplate::new(422).set_body_string("duplicate"),
    ] {
        let s = setup().await;
        s.mount(s.call("POST", "/v1/users/invite"), refusal, 2)
            .await;
        let lookup = s
            .call("GET", "/v1/users")
            .and(query_param("email", "ada@example.com"));
        let found = vec![user("us_usr_7", "ada@example.com")];
        s.mount(lookup, users_page(found, 1, Some(1)), 2).await;
        let outcome = ensure_invited_known(&s.ff, &lower_ada(), None).await;
        match outcome {
            Ok(EnsureOutcome::AlreadyMember(u)) => assert_eq!(u.id.as_str(), "us_usr_7"),
            other => panic!("{other:?}"),
        }
        assert_eq!(methods(&s).await, ["POST", "GET"]);
        // A plain invite says so too: the receipt is the existing account.
        let receipt = s.ff.invite(&lower_ada()).await;
        assert!(
            receipt.as_ref().is_ok_and(|r| r.already_member),
            "{receipt:?}"
        );
    }
}

/// A refusal that is not a duplicate (no account has the address, or the refusal names
/// another field) stays the validation error it is.
#[tokio::test]
async fn refusals_that_are_not_duplicates_stay_errors() {
    let s = setup().await;
    let bad = json!([{"key": "email", "message": "Invalid email"}]);
    s.mount(s.call("POST", "/v1/users/invite"), errors(400, bad), 1)
        .await;
    mount_filter(&s, "ada@example.com", vec![], Some(0)).await;
    match ensure_invited_known(&s.ff, &lower_ada(), None).await {
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "email");
            assert!(reason.contains("Invalid email"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(methods(&s).await, ["POST", "GET"]);

    let s = setup().await;
    let unprocessable = json!([{"message": "Unprocessable"}]);
    s.mount(
        s.call("POST", "/v1/users/invite"),
        errors(422, unprocessable),
        1,
    )
    .await;
    mount_filter(&s, "ada@example.com", vec![], Some(0)).await;
    let e = s.ff.invite(&lower_ada()).await.unwrap_err();
    assert_eq!(e.status(), Some(422), "{e:?}");

    // A refusal about another field is not looked up, even for a known address.
    let s = setup().await;
    let role = json!([{"key": "roleId", "message": "Invalid role id"}]);
    s.mount(s.call("POST", "/v1/users/invite"), errors(400, role), 1)
        .await;
    let found = vec![user("us_usr_7", "ada@example.com")];
    let lookup = s.call("GET", "/v1/users");
    s.mount(lookup, users_page(found, 1, Some(1)), 0).await;
    match s.ff.invite(&lower_ada()).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "roleId"),
        other => panic!("{other:?}"),
    }
    assert_eq!(methods(&s).await, ["POST"]);
}

#[tokio::test]
async fn secrets_never_show() {
    let s = setup().await;
    let echo = format!("bad token {}", s.key);
    let call = Mock::given(method("GET")).and(path("/v1/users/us_usr_1"));
    let answer = errors(401, json!([{"key": "authorization", "message": echo}]));
    s.mount(call, answer, ..).await;
    let e = s.ff.get(&id()).await.unwrap_err();
    let in_error = format!("{e} {e:?}");
    assert!(!in_error.contains(&s.key), "{in_error}");
    assert!(in_error.contains("bad token [REDACTED]"), "{in_error}");
    let shown = format!("{} {:?}", s.ff, s.ff);
    assert!(!shown.contains(&s.key), "{shown}");
    assert_eq!(s.ff.to_string(), "flatfile(us_acc_main)");
    let host_only = setup_with(|b| b).await;
    assert_eq!(host_only.ff.to_string(), "flatfile(127.0.0.1)");
}
