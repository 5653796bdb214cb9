//! The conformance suite and SCIM-specific checks against a real, third-party SCIM 2.0
//! server: scim2-server 0.8.3 (python-scim), started by `scripts/scim-server.sh`.
//!
//! The server is started once per test binary on a free loopback port with a random bearer
//! token, or taken from `INVITE_SCIM_PEER_URL` + `INVITE_SCIM_PEER_TOKEN` when both are set.
//! Without python3 (with venv and pip) and PyPI access the tests FAIL with the script's
//! message: they never skip silently.
//!
//! The server dies with the tests: the script runs with `--exit-on-stdin-eof` and its stdin
//! is a pipe held by [`ServerGuard`]. Dropping the guard closes the pipe (and then kills the
//! script if needed); if the test process ends without dropping it (a `static` is never
//! dropped), the kernel closes the pipe and the script stops the server the same way.

#![cfg(test)]

mod support;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures::StreamExt;
use invite_core::http::{ClientOptions, RetryConfig};
use invite_core::{
    Email, Error, Invitation, InviteProvider, ListQuery, PersonName, UserDirectory, UserId,
    UserPatch, UserStatus,
};
use invite_scim::wire::ScimUser;
use invite_scim::{ScimConfig, ScimGroup, ScimProvider, ScimToken, SortPolicy};
use invite_testkit::unique_email;
use support::ScimFixture;

/// A running scim2-server; stopping it is the guard's job.
struct ServerGuard {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        // End of file on the script's stdin makes it SIGTERM the server and exit.
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Peer {
    url: String,
    token: String,
    _guard: Option<ServerGuard>,
}

fn random_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("scim-test-{:x}{:x}", nanos, std::process::id())
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/scim-server.sh")
}

/// Starts `scripts/scim-server.sh auto --bearer-token T --exit-on-stdin-eof` and waits for
/// the base URL on its stdout. Panics with the script's stderr when it cannot start.
fn start_server(token: &str) -> (String, ServerGuard) {
    let dir = std::env::temp_dir().join(format!("invite-scim-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let err_path = dir.join(format!("script-{}.err", random_token()));
    let err_file = File::create(&err_path).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new("bash")
        .arg(script())
        .args(["auto", "--bearer-token", token, "--exit-on-stdin-eof"])
        .env("SCIM_LOG", dir.join("server.log"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(err_file))
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", script().display()));
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut guard = ServerGuard {
        child: Some(child),
        stdin,
    };
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let url = line.trim().to_owned();
    if read.is_err() || !url.starts_with("http://127.0.0.1:") {
        let status = guard.child.as_mut().and_then(|c| c.wait().ok());
        let mut err = String::new();
        let _ = File::open(&err_path).and_then(|mut f| f.read_to_string(&mut err));
        panic!(
            "scripts/scim-server.sh could not start scim2-server (exit {status:?}). \
             These tests need python3 with venv+pip and PyPI access (or set \
             INVITE_SCIM_PEER_URL and INVITE_SCIM_PEER_TOKEN). Script output:\n{err}"
        );
    }
    (url, guard)
}

fn peer() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        match (
            std::env::var("INVITE_SCIM_PEER_URL")
                .ok()
                .filter(|v| !v.is_empty()),
            std::env::var("INVITE_SCIM_PEER_TOKEN")
                .ok()
                .filter(|v| !v.is_empty()),
        ) {
            (Some(url), Some(token)) => Peer {
                url,
                token,
                _guard: None,
            },
            _ => {
                let token = random_token();
                let (url, guard) = start_server(&token);
                Peer {
                    url,
                    token,
                    _guard: Some(guard),
                }
            }
        }
    })
}

fn options() -> ClientOptions {
    ClientOptions::default().with_retry(
        RetryConfig::default()
            .with_backoff(Duration::from_millis(50), Duration::from_millis(500))
            .with_retry_timeout(Duration::from_secs(20)),
    )
}

fn provider_with(etags: bool, sort: SortPolicy) -> ScimProvider {
    let p = peer();
    let config = ScimConfig::builder(p.url.clone(), ScimToken::new(p.token.clone()))
        .options(options())
        .use_etags(etags)
        .sort(sort)
        .build()
        .unwrap_or_else(|e| panic!("config: {e}"));
    ScimProvider::from_config(config).unwrap_or_else(|e| panic!("provider: {e}"))
}

fn provider() -> ScimProvider {
    provider_with(false, SortPolicy::Auto)
}

/// A fixture on the shared server; the server starts with no groups, so each fixture
/// makes its own pair.
async fn fixture() -> ScimFixture {
    let provider = provider();
    let tag = random_token();
    let group = |name: &str| {
        let name = format!("tk-{name}-{tag}");
        let provider = provider.clone();
        async move {
            let group = provider.create_group(&name).await;
            group
                .unwrap_or_else(|e| panic!("create group: {e}"))
                .id
                .unwrap_or_default()
        }
    };
    let groups = (group("a").await, group("b").await);
    ScimFixture {
        provider,
        groups,
        // scim2-server ids are 32 hex characters.
        unknown_id: "0123456789abcdef0123456789abcdef",
        token: peer().token.clone(),
        sandbox: None,
    }
}

invite_testkit::conformance_suite!(async { fixture().await });

// ----- SCIM behaviours of the real server ----------------------------------------------

fn invitation(tag: &str) -> (Email, Invitation) {
    let email = unique_email(tag);
    let inv = Invitation::new(email.clone()).with_name(PersonName::new("Ada", "Lovelace"));
    (email, inv)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_reads_the_service_provider_config() {
    let f = provider().discover().await.unwrap();
    assert!(f.patch && f.filter && f.sort && f.etag && f.bulk, "{f:?}");
    assert_eq!(f.max_results, Some(1000));
    assert!(
        f.authentication_schemes
            .iter()
            .any(|s| s == "oauthbearertoken")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_unauthorized() {
    let p = peer();
    let config = ScimConfig::builder(p.url.clone(), ScimToken::new("not-the-token"))
        .build()
        .unwrap();
    let err = ScimProvider::from_config(config)
        .unwrap()
        .get(&UserId::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(err.status(), Some(401));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_resource_is_the_one_sent() {
    let p = provider();
    let (email, inv) = invitation("shape");
    let inv = inv.with_attribute("externalId", serde_json::json!("idp-123"));
    let user = p.invite(&inv).await.unwrap().user;
    let raw = &user.raw;
    assert_eq!(raw["userName"], email.as_str());
    assert_eq!(raw["name"]["givenName"], "Ada");
    assert_eq!(raw["name"]["familyName"], "Lovelace");
    assert_eq!(raw["name"]["formatted"], "Ada Lovelace");
    assert_eq!(raw["displayName"], "Ada Lovelace");
    assert_eq!(raw["emails"][0]["value"], email.as_str());
    assert_eq!(raw["emails"][0]["primary"], true);
    assert_eq!(raw["active"], true);
    assert_eq!(raw["externalId"], "idp-123");
    assert_eq!(user.status, UserStatus::Active);
    assert!(user.created_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_204_then_update_email_and_attributes() {
    let p = provider();
    let (_, inv) = invitation("patch");
    let user = p.invite(&inv).await.unwrap().user;
    let new_email = unique_email("moved");
    let updated = p
        .update(
            &user.id,
            &UserPatch::new()
                .email(new_email.clone())
                .attribute("title", serde_json::json!("Engineer")),
        )
        .await
        .unwrap();
    assert!(updated.has_email(&new_email), "{:?}", updated.email);
    assert_eq!(updated.raw["userName"], new_email.as_str());
    assert_eq!(updated.raw["title"], "Engineer");
    let found = p.find_by_email(&new_email).await.unwrap().unwrap();
    assert_eq!(found.id, user.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etags_detect_a_concurrent_change() {
    let careful = provider_with(true, SortPolicy::Auto);
    let other = provider();
    let (_, inv) = invitation("etag");
    let user = careful.invite(&inv).await.unwrap().user;
    assert!(careful.last_seen_version(&user.id).is_some());
    // A PATCH answered 204: the version comes from the ETag header, so the next write
    // still passes.
    careful.deactivate(&user.id).await.unwrap();
    careful.reactivate(&user.id).await.unwrap();
    // Someone else changes the user: our version is stale now.
    other
        .update(
            &user.id,
            &UserPatch::new().name(PersonName::new("Grace", "Hopper")),
        )
        .await
        .unwrap();
    let err = careful.deactivate(&user.id).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(err.status(), Some(412));
    // Reading again refreshes the version.
    careful.get(&user.id).await.unwrap();
    careful.deactivate(&user.id).await.unwrap();
    assert_eq!(
        other.get(&user.id).await.unwrap().status,
        UserStatus::Deactivated
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sorted_listing_is_in_creation_order() {
    let p = provider_with(false, SortPolicy::Always);
    let mut created = Vec::new();
    for i in 0..3 {
        created.push(
            p.invite(&invitation(&format!("order{i}")).1)
                .await
                .unwrap()
                .user
                .id,
        );
    }
    let listed: Vec<UserId> = p
        .list(ListQuery::new().page_size(3).include_inactive(true))
        .map(|r| r.unwrap().id)
        .collect()
        .await;
    let positions: Vec<usize> = created
        .iter()
        .map(|id| listed.iter().position(|l| l == id).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivated_users_are_listed_only_on_request() {
    let p = provider();
    let user = p.invite(&invitation("hidden").1).await.unwrap().user;
    p.deactivate(&user.id).await.unwrap();
    let default: Vec<UserId> = p
        .list(ListQuery::new().page_size(50))
        .map(|r| r.unwrap().id)
        .collect()
        .await;
    assert!(!default.contains(&user.id));
    let all: Vec<UserId> = p
        .list(ListQuery::new().page_size(50).include_inactive(true))
        .map(|r| r.unwrap().id)
        .collect()
        .await;
    assert!(all.contains(&user.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_membership_round_trip() {
    let p = provider();
    let group = p.create_group("Editors").await.unwrap();
    let gid = group.id.clone().unwrap();
    let user = p.invite(&invitation("member").1).await.unwrap().user;
    p.add_member(&gid, &user.id).await.unwrap();
    p.add_member(&gid, &user.id).await.unwrap();
    let g = p.get_group(&gid).await.unwrap();
    assert_eq!(
        g.members
            .iter()
            .filter(|m| m.value.as_deref() == Some(user.id.as_str()))
            .count(),
        1
    );
    assert_eq!(p.groups_of(&user.id).await.unwrap(), vec![gid.clone()]);
    assert!(
        p.get(&user.id)
            .await
            .unwrap()
            .grants
            .contains(&ScimGroup::grant(&gid))
    );
    p.remove_member(&gid, &user.id).await.unwrap();
    assert!(
        !p.get_group(&gid)
            .await
            .unwrap()
            .has_member(user.id.as_str())
    );
    p.delete_group(&gid).await.unwrap();
    assert!(p.get_group(&gid).await.unwrap_err().is_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_into_an_unknown_group_leaves_nothing_behind() {
    let p = provider();
    let (email, inv) = invitation("nogroup");
    let inv = inv.with_grant(ScimGroup::grant("0000000000000000000000000000dead"));
    let err = p.invite(&inv).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(p.find_by_email(&email).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_replaces_and_delete_twice_is_not_found() {
    let p = provider();
    let (email, inv) = invitation("put");
    let user = p.invite(&inv).await.unwrap().user;
    let mut replacement = ScimUser::new(email.as_str());
    replacement.display_name = Some("Replaced".into());
    replacement.active = Some(false);
    let replaced = p.replace_user(&user.id, &replacement).await.unwrap();
    assert_eq!(replaced.status, UserStatus::Deactivated);
    assert_eq!(replaced.name.display.as_deref(), Some("Replaced"));
    assert!(
        replaced.raw.get("name").is_none(),
        "PUT drops what it omits"
    );
    p.remove(&user.id).await.unwrap();
    assert!(p.remove(&user.id).await.unwrap_err().is_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_is_conflict_with_scim_type() {
    let p = provider();
    let (_, inv) = invitation("uniq");
    p.invite(&inv).await.unwrap();
    let err = p.invite(&inv).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.vendor_code(), Some("uniqueness"));
    assert_eq!(err.status(), Some(409));
}

#[test]
fn the_guard_stops_its_server() {
    let token = random_token();
    let (url, guard) = start_server(&token);
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    drop(guard);
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "server at {addr} still answers after the guard was dropped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
