//! The one pipeline every provider call runs through.
//!
//! An adapter implements [`Adapter`]: its vendor's wire mapping, nothing else. Each method
//! is handed input that is already checked (capabilities, ids, grants read into the
//! adapter's typed [`AdapterGrant`]) and answers in the normalized model. [`Pipeline`] wraps
//! an adapter and implements [`InviteProvider`] and [`UserDirectory`] on top of it, once
//! for every vendor (as OpenDAL's layers complete and enforce what its services declare):
//!
//! - capability checks before any request ([`Capabilities::check_invitation`],
//!   [`Capabilities::check_patch`], [`Capabilities::require`]) and id checks ([`check_id`]);
//! - grants read into the adapter's type before any request, errors naming `grants[i]`;
//! - pagination with one runaway guard ([`crate::page::paginate`]) and the page size
//!   clamped to what the tool declares;
//! - lookup by email: the tool's server-side filter where it has one (the answer is checked
//!   for an exact, case-insensitive match), else a scan of the pages;
//! - grant changes as read, merge, write: the pipeline reads the grants held, applies the
//!   [`crate::GrantChange`], and hands the adapter a [`GrantPlan`] (nothing is written when
//!   the plan changes nothing).
//!
//! Auth, retries, rate limits and redaction are the HTTP client's ([`crate::http`]), which
//! every adapter builds once with its vendor's error mapper; [`decode`] is the one way to
//! read a vendor answer into a wire type.
//!
//! ```
//! use invite_core::{Capabilities, InMemoryProvider, Pipeline, ProviderInfo};
//! // InMemoryProvider is itself a Pipeline over an in-memory adapter.
//! let provider = InMemoryProvider::new("demo");
//! let _: &Pipeline<_> = &provider;
//! assert!(provider.info().capabilities.invite);
//! # use invite_core::Describe;
//! ```

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use serde::Deserialize;

use crate::error::{Error, Result, VendorDetail};
use crate::grant::{AdapterGrant, GrantChange, GrantPlan};
use crate::model::{Email, Grant, Invitation, InviteReceipt, ListQuery, User, UserId, UserPatch};
use crate::page::{Page, paginate};
use crate::provider::{
    Capabilities, Describe, InviteProvider, Operation, ProviderInfo, UserDirectory, check_id,
};
use crate::redact;
use crate::registry::MissingGrant;

/// Page size asked for when the caller names none and the tool declares no maximum.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// A vendor's wire mapping: what an adapter crate implements. [`Pipeline`] runs every call
/// through the checks and completions every vendor shares, so an adapter never checks
/// capabilities, ids or grant kinds itself, never scans pages for an email and never merges
/// grants.
///
/// Methods for operations the adapter's [`Capabilities`] do not declare are never called;
/// their default bodies answer [`Error::Unsupported`].
#[async_trait]
pub trait Adapter: fmt::Debug + Send + Sync + Sized + 'static {
    /// What the adapter is built from (its config struct).
    type Config;
    /// The adapter's typed grant (use [`crate::grant::NoGrant`] for a tool without grants).
    type Grant: AdapterGrant;
    /// Where a page of the user list starts: an offset, a page number, a token.
    type Cursor: Clone + PartialEq + fmt::Debug + Send + Sync + 'static;

    /// Builds the adapter (its HTTP client, with the vendor's error mapper) from its config.
    fn from_config(config: Self::Config) -> Result<Self>;

    /// Who the provider is and what it can do.
    fn info(&self) -> &ProviderInfo;

    /// The cursor of the first page.
    fn first_page(&self) -> Self::Cursor;

    /// The grants its configuration gives invitations that carry none of their own, as a
    /// front end shows them (the adapter applies them itself). None by default.
    fn configured_grants(&self) -> Vec<Grant> {
        Vec::new()
    }

    /// The grant the vendor requires on every invitation that the configuration does not
    /// give, with the settings that would give it. `None` by default.
    fn missing_grant(&self) -> Option<MissingGrant> {
        None
    }

    /// One page of users, `size` at most (already clamped to
    /// [`Capabilities::max_page_size`]); `query` says whether inactive users are wanted.
    async fn list_page(
        &self,
        cursor: Self::Cursor,
        size: u32,
        query: &ListQuery,
    ) -> Result<Page<User, Self::Cursor>>;

    /// One user by id ([`Error::NotFound`] when there is none).
    async fn get(&self, id: &UserId) -> Result<User>;

    /// Invites one person with `grants` (the invitation's grants, read as the adapter's
    /// type; adapters that give a default grant add it here).
    async fn invite(
        &self,
        invitation: &Invitation,
        grants: Vec<Self::Grant>,
    ) -> Result<InviteReceipt>;

    /// Sends a pending invitation again ([`Capabilities::resend`]).
    async fn resend(&self, _id: &UserId) -> Result<()> {
        Err(undeclared(self.info(), Operation::Resend))
    }

    /// The tool's server-side email filter ([`Capabilities::server_side_email_lookup`]).
    /// May answer loosely: the pipeline keeps only an exact, case-insensitive match.
    async fn find_by_email(&self, _email: &Email) -> Result<Vec<User>> {
        Err(undeclared(self.info(), Operation::FindByEmail))
    }

    /// Refuses a profile change the vendor cannot take (a field's format, a value it does
    /// not know), before any request of the update is sent. Capabilities and an empty name
    /// are checked by the pipeline already.
    fn check_profile(&self, _profile: &UserPatch) -> Result<()> {
        Ok(())
    }

    /// Refuses a grant change the vendor cannot carry out as asked, before any request
    /// (e.g. a `Replace` of grants the tool cannot list).
    fn check_change(&self, _change: &GrantChange, _named: &[Self::Grant]) -> Result<()> {
        Ok(())
    }

    /// Whether [`Adapter::grants_of`] can see `grant` when the user holds it. A grant the
    /// tool cannot list (Webflow lists no member's sites) is taken as held when a `Remove`
    /// names it, so the removal is written, and as not held when an `Add` names it, so the
    /// grant is given (idempotently).
    fn reads_grant(&self, _grant: &Self::Grant) -> bool {
        true
    }

    /// Changes a user's profile and/or grants and answers the user as it is afterwards
    /// (with the grants it holds when `grants` is given). `profile` carries only profile
    /// fields (its `grants` is `None`); `grants` is a plan that changes something.
    async fn update(
        &self,
        _id: &UserId,
        _profile: Option<&UserPatch>,
        _grants: Option<GrantPlan<Self::Grant>>,
    ) -> Result<User> {
        Err(undeclared(self.info(), Operation::Update))
    }

    /// The grants a user holds now, for a grant change. By default the user's grants as
    /// [`Adapter::get`] answers them.
    async fn grants_of(&self, id: &UserId) -> Result<Vec<Self::Grant>> {
        let user = self.get(id).await?;
        Self::Grant::from_grants(&user.grants, "grants")
    }

    /// Suspends a user ([`Capabilities::deactivate`]).
    async fn deactivate(&self, _id: &UserId) -> Result<()> {
        Err(undeclared(self.info(), Operation::Deactivate))
    }

    /// Undoes a suspension ([`Capabilities::reactivate`]).
    async fn reactivate(&self, _id: &UserId) -> Result<()> {
        Err(undeclared(self.info(), Operation::Reactivate))
    }

    /// Removes a user or cancels their invitation ([`Capabilities::remove`]).
    async fn remove(&self, _id: &UserId) -> Result<()> {
        Err(undeclared(self.info(), Operation::Remove))
    }
}

fn undeclared(info: &ProviderInfo, op: Operation) -> Error {
    Error::unsupported(info, op.as_str(), "the adapter does not implement it")
}

/// An [`Adapter`] behind the shared pipeline: the provider type every adapter crate
/// exports (`pub type FlatfileProvider = Pipeline<Flatfile>`). Derefs to the adapter for
/// its vendor-specific calls; cheap to clone.
pub struct Pipeline<A> {
    adapter: Arc<A>,
}

impl<A> Clone for Pipeline<A> {
    fn clone(&self) -> Self {
        Self {
            adapter: Arc::clone(&self.adapter),
        }
    }
}

impl<A: Adapter> Pipeline<A> {
    /// The provider for `config` (`FlatfileProvider::from_config(FlatfileConfig::from_env()?)`).
    pub fn from_config(config: A::Config) -> Result<Self> {
        A::from_config(config).map(Self::from_adapter)
    }

    /// Wraps an adapter.
    pub fn from_adapter(adapter: A) -> Self {
        Self {
            adapter: Arc::new(adapter),
        }
    }

    /// The adapter, for its vendor-specific calls.
    pub fn adapter(&self) -> &A {
        &self.adapter
    }

    fn caps(&self) -> &Capabilities {
        &self.adapter.info().capabilities
    }

    fn require(&self, op: Operation) -> Result<()> {
        self.caps().require(self.adapter.info(), op)
    }

    fn require_with_id(&self, op: Operation, id: &UserId) -> Result<()> {
        self.require(op)?;
        check_id("id", id.as_str())
    }

    fn page_size(&self, asked: Option<u32>) -> u32 {
        let max = self
            .caps()
            .max_page_size
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .max(1);
        asked.unwrap_or(max).clamp(1, max)
    }

    /// Every user, lazily, `size` a page.
    fn pages(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        let size = self.page_size(query.page_size);
        let adapter = Arc::clone(&self.adapter);
        paginate(self.adapter.first_page(), move |cursor| {
            let adapter = Arc::clone(&adapter);
            let query = query.clone();
            async move { adapter.list_page(cursor, size, &query).await }
        })
    }
}

impl<A: Adapter> Deref for Pipeline<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.adapter
    }
}

impl<A: Adapter> fmt::Debug for Pipeline<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.adapter, f)
    }
}

impl<A: Adapter> fmt::Display for Pipeline<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.adapter.info(), f)
    }
}

impl<A: Adapter> Describe for Pipeline<A> {
    fn info(&self) -> &ProviderInfo {
        self.adapter.info()
    }
}

#[async_trait]
impl<A: Adapter> InviteProvider for Pipeline<A> {
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.caps()
            .check_invitation(self.adapter.info(), invitation)?;
        let grants = A::Grant::from_grants(&invitation.grants, "grants")?;
        self.adapter.invite(invitation, grants).await
    }

    async fn resend(&self, id: &UserId) -> Result<()> {
        self.require_with_id(Operation::Resend, id)?;
        self.adapter.resend(id).await
    }
}

#[async_trait]
impl<A: Adapter> UserDirectory for Pipeline<A> {
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        if let Err(e) = self.require(Operation::List) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        self.pages(query)
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.require_with_id(Operation::Get, id)?;
        self.adapter.get(id).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.require(Operation::FindByEmail)?;
        if self.caps().server_side_email_lookup {
            let found = self.adapter.find_by_email(email).await?;
            return Ok(found.into_iter().find(|u| u.has_email(email)));
        }
        // Inactive accounts count (an archived member is still a member), but a live
        // account with the address wins over a removed or archived one.
        let mut users = self.pages(ListQuery {
            include_inactive: true,
            ..ListQuery::default()
        });
        let mut inactive = None;
        while let Some(user) = users.next().await {
            let user = user?;
            if user.has_email(email) {
                if user.status.is_present() {
                    return Ok(Some(user));
                }
                inactive.get_or_insert(user);
            }
        }
        Ok(inactive)
    }

    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.caps().check_patch(self.adapter.info(), patch)?;
        check_id("id", id.as_str())?;
        // Everything is read and checked before the first request.
        let change = match &patch.grants {
            Some(change) => {
                let named = A::Grant::from_grants(change.grants(), "grants")?;
                self.adapter.check_change(change, &named)?;
                Some((change, named))
            }
            None => None,
        };
        let profile = UserPatch {
            grants: None,
            ..patch.clone()
        };
        let profile = (!profile.is_empty()).then_some(&profile);
        if let Some(profile) = profile {
            self.adapter.check_profile(profile)?;
        }
        let Some((change, named)) = change else {
            return self.adapter.update(id, profile, None).await;
        };
        let mut current = self.adapter.grants_of(id).await?;
        if let GrantChange::Remove(_) = change {
            for g in &named {
                if !self.adapter.reads_grant(g) && !current.contains(g) {
                    current.push(g.clone());
                }
            }
        }
        let plan = change.plan(current, &named);
        if !plan.is_noop() {
            return self.adapter.update(id, profile, Some(plan)).await;
        }
        // The grants already are what the change asks for: nothing to write for them, and
        // the user is answered with the grants just read.
        let mut user = match profile {
            Some(profile) => self.adapter.update(id, Some(profile), None).await?,
            None => self.adapter.get(id).await?,
        };
        user.grants = plan.current.iter().map(AdapterGrant::to_grant).collect();
        Ok(user)
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.require_with_id(Operation::Deactivate, id)?;
        self.adapter.deactivate(id).await
    }

    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.require_with_id(Operation::Reactivate, id)?;
        self.adapter.reactivate(id).await
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        self.require_with_id(Operation::Remove, id)?;
        self.adapter.remove(id).await
    }
}

/// Reads a vendor answer (`raw`, a JSON value the caller keeps as the user's raw payload)
/// into the wire type `W`, which may borrow its strings from it. The one decode step every
/// adapter uses; a mismatch is an [`Error::Decode`] naming the provider, the operation, what
/// was expected and a bounded, redacted excerpt of the answer.
pub fn decode<'a, W: Deserialize<'a>>(
    raw: &'a serde_json::Value,
    provider: &ProviderInfo,
    operation: &'static str,
    expected: &str,
) -> Result<W> {
    W::deserialize(raw).map_err(|e| decode_error(provider, operation, expected, &e, raw))
}

/// The [`Error::Decode`] for an answer that is not what `expected` names.
pub fn decode_error(
    provider: &ProviderInfo,
    operation: &'static str,
    expected: &str,
    cause: &dyn fmt::Display,
    raw: &serde_json::Value,
) -> Error {
    let mut detail = VendorDetail::new(provider.to_string(), operation);
    detail.message = Some(cause.to_string());
    detail.body_excerpt = Some(redact::excerpt(raw.to_string().as_bytes(), &[]));
    Error::Decode {
        expected: expected.to_owned(),
        detail: Box::new(detail),
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::InMemoryProvider;
    use crate::{Email, Error, GrantChange, Invitation, InviteProvider, UserDirectory, UserPatch};

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[tokio::test]
    async fn two_grants_of_an_exclusive_kind_are_refused_before_any_call() {
        let p = InMemoryProvider::new("x");
        let inv = Invitation::new(email("a@example.com"))
            .with_grant(InMemoryProvider::role("r1"))
            .with_grant(InMemoryProvider::group("g"))
            .with_grant(InMemoryProvider::role("r2"));
        match p.invite(&inv).await {
            Err(Error::InvalidInput { field, reason }) => {
                assert_eq!(field, "grants[2]");
                assert!(reason.contains("role r1"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.calls(), 0);
    }

    #[tokio::test]
    async fn removing_an_exclusive_grant_is_refused_and_a_no_op_change_writes_nothing() {
        let p = InMemoryProvider::new("x");
        let inv = Invitation::new(email("a@example.com"))
            .with_grant(InMemoryProvider::role("r1"))
            .with_grant(InMemoryProvider::group("g"));
        let id = p.invite(&inv).await.unwrap().user.id;
        let calls = p.calls();
        let remove =
            UserPatch::new().grants(GrantChange::Remove(vec![InMemoryProvider::role("r1")]));
        assert!(matches!(
            p.update(&id, &remove).await,
            Err(Error::Unsupported { .. })
        ));
        assert_eq!(p.calls(), calls, "refused before any call");
        // Adding what is held already: nothing written, the held grants answered.
        let add = UserPatch::new().grants(GrantChange::Add(vec![InMemoryProvider::group("g")]));
        let user = p.update(&id, &add).await.unwrap();
        assert_eq!(
            user.grants,
            vec![InMemoryProvider::role("r1"), InMemoryProvider::group("g")]
        );
        assert_eq!(p.calls(), calls + 1, "one read (get), no update");
    }
}
