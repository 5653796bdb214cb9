//! # invite-testkit
//!
//! One conformance suite that every `invite` adapter runs, in the way `object_store` runs
//! one integration suite against every backend. An adapter supplies a [`Fixture`] (how to
//! build its provider against a backend — the sandbox, a wiremock server, a real SCIM
//! server — and a few backend facts), and [`conformance_suite!`] expands to one
//! `#[tokio::test]` per check, so `cargo test` names the check that failed.
//!
//! Checks that need a capability the provider does not declare are skipped for that
//! provider, and [`capability_refusals_send_nothing`] asserts instead that every such call is
//! refused with [`Error::Unsupported`] **before any request** leaves the process.
//!
//! ```ignore
//! // crates/invite-foo/tests/conformance.rs
//! invite_testkit::conformance_suite!(async { my_fixture().await });
//! ```
//!
//! These checks create and delete users in the backend they are given: never point them at
//! a production account.
//!
//! A fixture against `invite-sandbox` names its sandbox and surface in [`Fixture::sandbox`]
//! and gets acceptance, request and invitation counts and the surface's token from it. For
//! tests that need a real Redis, [`TestRedis`] starts a throwaway one.
#![warn(missing_docs)]
// An assertion library: its checks report a failure by panicking, as `assert!` does.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

pub mod documented;
mod redis_server;

pub use documented::{
    Documented, SeenRequest, all_documented, assert_request_matches, assert_same_shape, documented,
};
pub use redis_server::TestRedis;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use futures::StreamExt;
use invite_core::{
    Capabilities, DynProvider, Email, EmailDelivery, EnsureOutcome, Error, Grant, GrantChange,
    GrantKind, Invitation, ListQuery, PersonName, User, UserId, UserPatch, UserStatus,
    ensure_invited,
};
use invite_sandbox::{Sandbox, Surface};

/// What a conformance run needs from an adapter and its backend.
#[async_trait]
pub trait Fixture: Send + Sync + 'static {
    /// The provider under test.
    fn provider(&self) -> DynProvider;

    /// An invitation this provider accepts for `email`, with any grant the vendor requires
    /// (e.g. Flatfile's actor role).
    fn invitation(&self, email: Email) -> Invitation;

    /// Two distinct grants the provider can assign, for the replace / add / remove checks.
    /// `None` when the provider cannot update grants.
    fn grant_pair(&self) -> Option<(Grant, Grant)> {
        None
    }

    /// An id in the vendor's format that names no user.
    fn unknown_id(&self) -> UserId;

    /// The [`Sandbox`] and the surface of it the provider talks to, when the backend is
    /// `invite-sandbox`. The other backend facts below then come from the sandbox: a fixture
    /// against the sandbox names it here and implements none of them.
    fn sandbox(&self) -> Option<(&Sandbox, Surface)> {
        None
    }

    /// Makes the invitee accept their invitation (the sandbox's admin API by default).
    /// `Err` when the backend cannot do that; the acceptance check is then skipped.
    async fn accept(&self, email: &Email) -> Result<(), String> {
        let (sandbox, surface) = self
            .sandbox()
            .ok_or("this backend cannot accept invitations")?;
        sandbox
            .accept(surface, email.as_str())
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    /// How many requests the backend has received so far, if it can tell. The sandbox counts
    /// every request to any of its vendor surfaces.
    async fn requests_seen(&self) -> Option<u64> {
        Some(self.sandbox()?.0.requests().total)
    }

    /// How many invitations the backend has created for `email`, if it can tell.
    async fn invitations_for(&self, email: &Email) -> Option<u64> {
        let (sandbox, surface) = self.sandbox()?;
        Some(sandbox.invitation_count(surface, email.normalized()))
    }

    /// Secrets (tokens) the provider holds; the suite checks they never show in `Debug`,
    /// `Display` or errors. By default the sandbox's token for the surface.
    fn secrets(&self) -> Vec<String> {
        self.sandbox()
            .map(|(sandbox, surface)| vec![sandbox_token(sandbox, surface)])
            .unwrap_or_default()
    }
}

/// The token the sandbox expects on `surface`.
pub fn sandbox_token(sandbox: &Sandbox, surface: Surface) -> String {
    let s = sandbox.settings();
    match surface {
        Surface::WebflowData => &s.webflow_api_token,
        Surface::WebflowScim => &s.webflow_scim_token,
        Surface::WebflowWorkspace => &s.webflow_workspace_token,
        Surface::Flatfile => &s.flatfile_api_key,
        Surface::Awork => &s.awork_api_token,
    }
    .clone()
}

/// What [`lookup`] returns: a variable's value by name.
pub type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A `from_lookup` source that holds `vars` and nothing else, as `from_env` would see an
/// environment of exactly these variables; of two pairs with one name, the later wins.
pub fn lookup<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Lookup {
    let vars: Vec<(String, String)> = vars
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    Box::new(move |k| {
        vars.iter()
            .rev()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
}

/// A fresh address for one check: unique within the process and across runs.
pub fn unique_email(tag: &str) -> Email {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let address = format!(
        "tk-{tag}-{n}-{}-{:06x}@example.com",
        std::process::id(),
        fastrand_u32() & 0xff_ffff
    );
    Email::parse(&address).unwrap_or_else(|e| panic!("unique_email({tag}): {e}"))
}

fn fastrand_u32() -> u32 {
    // Enough entropy to keep runs apart; not security relevant.
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    t ^ (std::process::id().rotate_left(16))
}

/// The same address in a different letter case.
pub fn other_case(email: &Email) -> Email {
    let flipped: String = email
        .as_str()
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    Email::parse(&flipped).unwrap_or_else(|e| panic!("other_case: {e}"))
}

fn caps(f: &dyn Fixture) -> Capabilities {
    f.provider().info().capabilities.clone()
}

async fn invite_new(f: &dyn Fixture, tag: &str) -> (Email, User) {
    let email = unique_email(tag);
    let receipt = f
        .provider()
        .invite(&f.invitation(email.clone()))
        .await
        .unwrap_or_else(|e| panic!("invite {email}: {e}"));
    assert!(
        !receipt.already_member,
        "a fresh address must not be reported as an existing member"
    );
    (email, receipt.user)
}

fn assert_unsupported(what: &str, r: Result<impl std::fmt::Debug, Error>) {
    match r {
        Err(Error::Unsupported { .. }) => {}
        other => panic!("{what}: expected Error::Unsupported, got {other:?}"),
    }
}

/// The provider describes itself consistently, works as `Arc<dyn Provider>` and never
/// shows a secret in `Debug` or `Display`.
pub async fn describes_itself_without_secrets(f: &dyn Fixture) {
    let p = f.provider();
    let info = p.info().clone();
    assert!(!info.kind.is_empty());
    assert_eq!(p.to_string(), info.to_string());
    let shown = format!("{p:?} {p} {info:?}");
    for s in f.secrets() {
        assert!(!s.is_empty());
        assert!(
            !shown.contains(&s),
            "a secret appears in Debug/Display: {shown}"
        );
    }
    // Upcasting works: the same value serves as either trait object.
    let as_invite: std::sync::Arc<dyn invite_core::InviteProvider> = p.clone();
    let as_dir: std::sync::Arc<dyn invite_core::UserDirectory> = p;
    assert_eq!(as_invite.info(), as_dir.info());
}

/// Invite a new person, then get them by id: same id, same email, status invited or active.
pub async fn invite_then_get(f: &dyn Fixture) {
    let (email, invited) = invite_new(f, "get").await;
    assert!(
        invited.has_email(&email),
        "invite answered with email {:?}, expected {email}",
        invited.email
    );
    assert!(
        matches!(invited.status, UserStatus::Invited | UserStatus::Active),
        "a new invitee is invited or active, got {}",
        invited.status
    );
    let got = f
        .provider()
        .get(&invited.id)
        .await
        .unwrap_or_else(|e| panic!("get {}: {e}", invited.id));
    assert_eq!(got.id, invited.id);
    assert!(got.has_email(&email), "get answered email {:?}", got.email);
    assert!(!got.raw.is_null(), "the raw vendor payload is kept");
}

/// Accepting the invitation (through the backend) makes the person active.
pub async fn accepted_invite_becomes_active(f: &dyn Fixture) {
    let (email, invited) = invite_new(f, "accept").await;
    if f.accept(&email).await.is_err() {
        return;
    }
    let got = f
        .provider()
        .get(&invited.id)
        .await
        .unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(got.status, UserStatus::Active, "accepted invitee is active");
}

/// Find by email ignores letter case, and an unknown address finds nothing.
pub async fn find_by_email_any_case(f: &dyn Fixture) {
    let (email, invited) = invite_new(f, "find").await;
    let p = f.provider();
    for probe in [email.clone(), other_case(&email)] {
        let found = p
            .find_by_email(&probe)
            .await
            .unwrap_or_else(|e| panic!("find {probe}: {e}"))
            .unwrap_or_else(|| panic!("{probe} not found"));
        assert_eq!(found.id, invited.id, "find {probe}");
    }
    let nobody = unique_email("nobody");
    assert!(
        p.find_by_email(&nobody)
            .await
            .unwrap_or_else(|e| panic!("find: {e}"))
            .is_none(),
        "an unknown address finds nothing"
    );
}

/// Listing with a small page size returns every user exactly once, across pages.
pub async fn list_pages_lazily(f: &dyn Fixture) {
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(invite_new(f, &format!("list{i}")).await.1.id);
    }
    let mut stream = f.provider().list(ListQuery::new().page_size(2));
    let mut seen = HashSet::new();
    while let Some(item) = stream.next().await {
        let user = item.unwrap_or_else(|e| panic!("list: {e}"));
        assert!(seen.insert(user.id.clone()), "{} listed twice", user.id);
    }
    for id in &ids {
        assert!(seen.contains(id), "{id} missing from the list");
    }
}

/// Getting an unknown id is `NotFound`.
pub async fn get_unknown_is_not_found(f: &dyn Fixture) {
    let id = f.unknown_id();
    match f.provider().get(&id).await {
        Err(Error::NotFound(_)) => {}
        other => panic!("get {id}: expected NotFound, got {other:?}"),
    }
}

/// Ids with path characters never reach another endpoint: they are refused as input or
/// answered as not found.
pub async fn hostile_ids_are_contained(f: &dyn Fixture) {
    let p = f.provider();
    for id in ["../../sites", "a/b", "u1?x=y", "a#b", "%2F", "..", ""] {
        match p.get(&UserId::new(id)).await {
            Err(Error::NotFound(_)) | Err(Error::InvalidInput { .. }) => {}
            other => panic!("get {id:?}: expected NotFound or InvalidInput, got {other:?}"),
        }
    }
}

/// Inviting the same address twice never makes a second account.
pub async fn duplicate_invite_is_conflict(f: &dyn Fixture) {
    let (email, first) = invite_new(f, "dup").await;
    let again = f.provider().invite(&f.invitation(other_case(&email))).await;
    match again {
        Err(Error::Conflict(_)) => {}
        Ok(r) if r.already_member || r.user.id == first.id => {}
        other => {
            panic!("second invite of {email}: expected Conflict or the same account, got {other:?}")
        }
    }
    if let Some(n) = f.invitations_for(&email).await {
        assert!(n <= 2, "{n} invitations for {email}");
    }
}

/// `ensure_invited` twice (second time in another letter case) invites once.
pub async fn ensure_invited_is_idempotent(f: &dyn Fixture) {
    let email = unique_email("ensure");
    let p = f.provider();
    let first = ensure_invited(p.as_ref(), &f.invitation(email.clone()))
        .await
        .unwrap_or_else(|e| panic!("ensure 1: {e}"));
    let EnsureOutcome::Invited(receipt) = first else {
        panic!("first ensure_invited must invite, got {first:?}");
    };
    let second = ensure_invited(p.as_ref(), &f.invitation(other_case(&email)))
        .await
        .unwrap_or_else(|e| panic!("ensure 2: {e}"));
    match second {
        EnsureOutcome::AlreadyMember(u) => assert_eq!(u.id, receipt.user.id),
        other => panic!("second ensure_invited must find the member, got {other:?}"),
    }
    if let Some(n) = f.invitations_for(&email).await {
        assert_eq!(n, 1, "exactly one invitation for {email}");
    }
}

fn of_kinds(grants: &[Grant], kinds: &[&str]) -> Vec<Grant> {
    grants
        .iter()
        .filter(|g| kinds.contains(&g.kind()))
        .cloned()
        .collect()
}

/// Grants: add keeps what was there, replace drops what is not listed, remove removes.
pub async fn update_grants_replace_add_remove(f: &dyn Fixture) {
    let c = caps(f);
    let Some((a, b)) = f.grant_pair() else {
        return;
    };
    if !c.update_grants {
        return;
    }
    let kinds = [a.kind(), b.kind()];
    let email = unique_email("grants");
    let p = f.provider();
    let mut invitation = f.invitation(email.clone());
    invitation.grants.retain(|g| !kinds.contains(&g.kind()));
    invitation.grants.push(a.clone());
    let user = p
        .invite(&invitation)
        .await
        .unwrap_or_else(|e| panic!("invite with {a:?}: {e}"))
        .user;

    let change = async |what: &str, change: GrantChange| {
        p.update(&user.id, &UserPatch::new().grants(change))
            .await
            .unwrap_or_else(|e| panic!("{what} {b:?}: {e}"))
    };
    let added = change("add", GrantChange::Add(vec![b.clone()])).await;
    let now = of_kinds(&added.grants, &kinds);
    assert!(now.contains(&a) && now.contains(&b), "after add: {now:?}");

    let replaced = change("replace with", GrantChange::Replace(vec![b.clone()])).await;
    let now = of_kinds(&replaced.grants, &kinds);
    assert_eq!(now, vec![b.clone()], "after replace");

    let removed = change("remove", GrantChange::Remove(vec![b.clone()])).await;
    assert!(
        !removed.grants.contains(&b),
        "after remove: {:?}",
        removed.grants
    );
}

/// Updating the name is visible in the answer and in a later get.
pub async fn update_name(f: &dyn Fixture) {
    if !caps(f).update_name {
        return;
    }
    let (_, user) = invite_new(f, "name").await;
    let p = f.provider();
    let name = PersonName::new("Grace", "Hopper");
    let updated = p
        .update(&user.id, &UserPatch::new().name(name.clone()))
        .await
        .unwrap_or_else(|e| panic!("update name: {e}"));
    let got = p.get(&user.id).await.unwrap_or_else(|e| panic!("get: {e}"));
    for (what, u) in [("update", updated), ("get", got)] {
        let name = u.name.full();
        assert_eq!(
            name.as_deref(),
            Some("Grace Hopper"),
            "{what}: {:?}",
            u.name
        );
    }
}

/// Deactivate suspends, reactivate restores.
pub async fn deactivate_and_reactivate(f: &dyn Fixture) {
    let c = caps(f);
    if !c.deactivate {
        return;
    }
    let (email, user) = invite_new(f, "deact").await;
    let _ = f.accept(&email).await;
    let p = f.provider();
    p.deactivate(&user.id)
        .await
        .unwrap_or_else(|e| panic!("deactivate: {e}"));
    let got = p.get(&user.id).await.unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(got.status, UserStatus::Deactivated);
    if c.reactivate {
        p.reactivate(&user.id)
            .await
            .unwrap_or_else(|e| panic!("reactivate: {e}"));
        let got = p.get(&user.id).await.unwrap_or_else(|e| panic!("get: {e}"));
        assert_ne!(got.status, UserStatus::Deactivated);
    }
}

/// Remove makes the person gone: get is not found (or no longer present) and find is empty.
pub async fn remove_then_gone(f: &dyn Fixture) {
    if !caps(f).remove {
        return;
    }
    let (email, user) = invite_new(f, "remove").await;
    let p = f.provider();
    p.remove(&user.id)
        .await
        .unwrap_or_else(|e| panic!("remove: {e}"));
    match p.get(&user.id).await {
        Err(Error::NotFound(_)) => {}
        Ok(u) if !u.status.is_present() => {}
        other => panic!("get after remove: expected NotFound, got {other:?}"),
    }
    if let Some(u) = p
        .find_by_email(&email)
        .await
        .unwrap_or_else(|e| panic!("find: {e}"))
    {
        assert!(
            !u.status.is_present(),
            "removed person still present: {u:?}"
        );
    }
}

/// Removing an unknown id is `NotFound`.
pub async fn remove_unknown_is_not_found(f: &dyn Fixture) {
    if !caps(f).remove {
        return;
    }
    let id = f.unknown_id();
    match f.provider().remove(&id).await {
        Err(Error::NotFound(_)) => {}
        other => panic!("remove {id}: expected NotFound, got {other:?}"),
    }
}

/// Every call outside the declared capabilities is refused with `Unsupported` (and unknown
/// attributes with `InvalidInput`) before any request is sent.
pub async fn capability_refusals_send_nothing(f: &dyn Fixture) {
    let c = caps(f);
    let p = f.provider();
    let before = f.requests_seen().await;
    let id = f.unknown_id();
    let email = unique_email("refuse");
    if !c.silent_invite {
        let inv = f
            .invitation(email.clone())
            .with_delivery(EmailDelivery::Suppress);
        assert_unsupported("silent invite", p.invite(&inv).await);
    }
    if !c.explicit_email {
        let inv = f
            .invitation(email.clone())
            .with_delivery(EmailDelivery::Send);
        assert_unsupported("forced email", p.invite(&inv).await);
    }
    if !c.resend {
        assert_unsupported("resend", p.resend(&id).await);
    }
    if !c.deactivate {
        assert_unsupported("deactivate", p.deactivate(&id).await);
    }
    if !c.reactivate {
        assert_unsupported("reactivate", p.reactivate(&id).await);
    }
    if !c.remove {
        assert_unsupported("remove", p.remove(&id).await);
    }
    if !c.update_email {
        let patch = UserPatch::new().email(unique_email("newaddr"));
        assert_unsupported("update email", p.update(&id, &patch).await);
    }
    if !c.update_name {
        let patch = UserPatch::new().name(PersonName::new("A", "B"));
        assert_unsupported("update name", p.update(&id, &patch).await);
    }
    // A kind no adapter declares is refused before any request.
    let foreign = Grant::new(GrantKind::new("testkit_foreign_kind")).with("id", "x");
    if !c.understands(foreign.kind()) {
        let inv = f.invitation(email.clone()).with_grant(foreign.clone());
        assert_unsupported("foreign grant kind", p.invite(&inv).await);
    }
    let inv = f
        .invitation(email.clone())
        .with_attribute("no_such_attribute_anywhere", serde_json::json!(1));
    match p.invite(&inv).await {
        Err(Error::InvalidInput { field, .. }) => {
            assert!(field.contains("no_such_attribute_anywhere"), "{field}")
        }
        other => panic!("unknown attribute: expected InvalidInput, got {other:?}"),
    }
    let after = f.requests_seen().await;
    assert_eq!(before, after, "refused calls must not send requests");
}

/// The errors a provider returns never show its secrets.
pub async fn errors_hide_secrets(f: &dyn Fixture) {
    let p = f.provider();
    let err = p
        .get(&f.unknown_id())
        .await
        .err()
        .unwrap_or_else(|| panic!("get of an unknown id must fail"));
    let shown = format!("{err:?} {err}");
    for s in f.secrets() {
        assert!(!shown.contains(&s), "a secret appears in an error: {shown}");
    }
}

/// Runs every check in order (for callers that do not use the macro).
pub async fn run_all(f: &dyn Fixture) {
    describes_itself_without_secrets(f).await;
    invite_then_get(f).await;
    accepted_invite_becomes_active(f).await;
    find_by_email_any_case(f).await;
    list_pages_lazily(f).await;
    get_unknown_is_not_found(f).await;
    hostile_ids_are_contained(f).await;
    duplicate_invite_is_conflict(f).await;
    ensure_invited_is_idempotent(f).await;
    update_grants_replace_add_remove(f).await;
    update_name(f).await;
    deactivate_and_reactivate(f).await;
    remove_then_gone(f).await;
    remove_unknown_is_not_found(f).await;
    capability_refusals_send_nothing(f).await;
    errors_hide_secrets(f).await;
}

/// Expands to one `#[tokio::test]` per conformance check. The argument is an expression
/// evaluating to a future of a [`Fixture`] (e.g. `async { MyFixture::start().await }`); it is
/// evaluated afresh for every check, so checks do not share state.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@each $make;
            describes_itself_without_secrets,
            invite_then_get,
            accepted_invite_becomes_active,
            find_by_email_any_case,
            list_pages_lazily,
            get_unknown_is_not_found,
            hostile_ids_are_contained,
            duplicate_invite_is_conflict,
            ensure_invited_is_idempotent,
            update_grants_replace_add_remove,
            update_name,
            deactivate_and_reactivate,
            remove_then_gone,
            remove_unknown_is_not_found,
            capability_refusals_send_nothing,
            errors_hide_secrets
        );
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let fixture = $make.await;
                $crate::$check(&fixture).await;
            }
        )*
    };
}
