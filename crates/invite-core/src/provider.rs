//! The two traits every adapter implements, and the capabilities it declares.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::error::{Error, Result};
use crate::grant::{GrantChange, GrantKind};
use crate::model::{
    Email, EmailDelivery, Grant, Invitation, InviteReceipt, ListQuery, User, UserId, UserPatch,
};

/// The operations of [`InviteProvider`] and [`UserDirectory`], for capability checks and
/// error messages.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`InviteProvider::invite`].
    Invite,
    /// [`InviteProvider::resend`].
    Resend,
    /// [`UserDirectory::list`].
    List,
    /// [`UserDirectory::get`].
    Get,
    /// [`UserDirectory::find_by_email`].
    FindByEmail,
    /// [`UserDirectory::update`].
    Update,
    /// [`UserDirectory::deactivate`].
    Deactivate,
    /// [`UserDirectory::reactivate`].
    Reactivate,
    /// [`UserDirectory::remove`].
    Remove,
}

impl Operation {
    /// The operation's name, as used in errors and traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Invite => "invite",
            Operation::Resend => "resend",
            Operation::List => "list",
            Operation::Get => "get",
            Operation::FindByEmail => "find_by_email",
            Operation::Update => "update",
            Operation::Deactivate => "deactivate",
            Operation::Reactivate => "reactivate",
            Operation::Remove => "remove",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an adapter can do, declared once per adapter and checked by [`crate::Pipeline`]
/// ([`Capabilities::check_invitation`], [`Capabilities::check_patch`],
/// [`Capabilities::require`]) before any request is sent, as OpenDAL's layers check what its
/// services declare.
///
/// Declared as a struct literal that starts from [`Capabilities::NONE`]:
///
/// ```
/// use invite_core::{Capabilities, GrantKind};
/// const TEAM: GrantKind = GrantKind::new("demo_team");
/// const CAPS: Capabilities = Capabilities {
///     invite: true,
///     list: true,
///     get: true,
///     update_grants: true,
///     grant_kinds: &[TEAM],
///     max_page_size: Some(100),
///     ..Capabilities::NONE
/// };
/// assert!(CAPS.invite && !CAPS.remove);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Can invite a person.
    pub invite: bool,
    /// Can invite without the vendor emailing the invitee.
    pub silent_invite: bool,
    /// Can be asked explicitly to send the invitation email. False for vendors where the
    /// email is not under the caller's control (SCIM: the identity provider decides).
    pub explicit_email: bool,
    /// Returns an invitation code the caller can hand over.
    pub invitation_code: bool,
    /// Can resend a pending invitation.
    pub resend: bool,
    /// Can list users.
    pub list: bool,
    /// Can get a user by id.
    pub get: bool,
    /// Looks users up by email on the server; when false, `find_by_email` pages through the
    /// list, which costs requests on large directories.
    pub server_side_email_lookup: bool,
    /// Can change a user's name.
    pub update_name: bool,
    /// Can change a user's email.
    pub update_email: bool,
    /// Can change a user's grants.
    pub update_grants: bool,
    /// Which vendor profile attributes invite and update accept.
    pub attributes: Cow<'static, [&'static str]>,
    /// Can suspend a user reversibly.
    pub deactivate: bool,
    /// Can undo a deactivation.
    pub reactivate: bool,
    /// Can remove a user (or cancel their invitation).
    pub remove: bool,
    /// The grant kinds this adapter understands.
    pub grant_kinds: &'static [GrantKind],
    /// Grant kinds a person holds exactly one of (a workspace role, an awork role): grant
    /// convergence never adds them to someone already present, so re-running an onboarding
    /// never changes (or downgrades) an existing member's role.
    pub exclusive_grant_kinds: &'static [GrantKind],
    /// Declined or expired invitations can be re-sent by inviting again. When false,
    /// `ensure_invited` reports such a person instead of inviting.
    pub reinvite_lapsed: bool,
    /// The vendor's largest page size.
    pub max_page_size: Option<u32>,
}

impl Capabilities {
    /// Nothing supported: the start of every declaration.
    pub const NONE: Capabilities = Capabilities {
        invite: false,
        silent_invite: false,
        explicit_email: false,
        invitation_code: false,
        resend: false,
        list: false,
        get: false,
        server_side_email_lookup: false,
        update_name: false,
        update_email: false,
        update_grants: false,
        attributes: Cow::Borrowed(&[]),
        deactivate: false,
        reactivate: false,
        remove: false,
        grant_kinds: &[],
        exclusive_grant_kinds: &[],
        reinvite_lapsed: false,
        max_page_size: None,
    };

    /// Whether grants of `kind` (a [`crate::Grant::kind`] name) are understood.
    pub fn understands(&self, kind: &str) -> bool {
        self.grant_kinds.iter().any(|k| k.as_str() == kind)
    }

    /// Whether `kind` is one a person holds exactly one of.
    pub fn is_exclusive(&self, kind: &str) -> bool {
        self.exclusive_grant_kinds
            .iter()
            .any(|k| k.as_str() == kind)
    }

    /// Refuses `operation` with [`Error::Unsupported`] unless it is supported.
    pub fn require(&self, provider: &dyn fmt::Display, operation: Operation) -> Result<()> {
        let supported = match operation {
            Operation::Invite => self.invite,
            Operation::Resend => self.resend,
            Operation::List => self.list,
            Operation::Get => self.get,
            Operation::FindByEmail => self.list || self.server_side_email_lookup,
            Operation::Update => self.update_name || self.update_grants || self.update_email,
            Operation::Deactivate => self.deactivate,
            Operation::Reactivate => self.reactivate,
            Operation::Remove => self.remove,
        };
        if supported {
            Ok(())
        } else {
            Err(Error::unsupported(
                provider,
                operation.as_str(),
                "the vendor's API offers no such operation",
            ))
        }
    }

    /// Checks an invitation against what the provider can do: email delivery, grant kinds
    /// and attributes. Returns the first problem as a typed error.
    pub fn check_invitation(&self, provider: &dyn fmt::Display, inv: &Invitation) -> Result<()> {
        self.require(provider, Operation::Invite)?;
        match inv.delivery {
            EmailDelivery::Suppress if !self.silent_invite => {
                return Err(Error::unsupported(
                    provider,
                    "invite with email delivery suppressed",
                    "this vendor always sends the invitation email (or leaves it to an identity provider); use EmailDelivery::VendorDefault",
                ));
            }
            EmailDelivery::Send if !self.explicit_email => {
                return Err(Error::unsupported(
                    provider,
                    "invite with email delivery forced",
                    "this vendor does not let the caller decide whether an email is sent; use EmailDelivery::VendorDefault",
                ));
            }
            _ => {}
        }
        self.check_grant_kinds(provider, &inv.grants)?;
        self.check_exclusive(&inv.grants)?;
        self.check_attributes(provider, inv.attributes.keys())
    }

    /// Checks a patch against what the provider can do.
    pub fn check_patch(&self, provider: &dyn fmt::Display, patch: &UserPatch) -> Result<()> {
        if patch.is_empty() {
            return Err(Error::invalid_input("patch", "the patch changes nothing"));
        }
        if patch.name.as_ref().is_some_and(|n| n.is_empty()) {
            return Err(Error::invalid_input("name", "the new name is empty"));
        }
        if patch.name.is_some() && !self.update_name {
            return Err(Error::unsupported(
                provider,
                "update name",
                "the vendor's API cannot change a user's name",
            ));
        }
        if patch.email.is_some() && !self.update_email {
            return Err(Error::unsupported(
                provider,
                "update email",
                "the vendor's API cannot change a user's email address",
            ));
        }
        if let Some(change) = &patch.grants {
            if !self.update_grants {
                return Err(Error::unsupported(
                    provider,
                    "update grants",
                    "the vendor's API cannot change a user's grants",
                ));
            }
            // Replacing with an empty list is allowed: it removes every grant.
            self.check_grant_kinds(provider, change.grants())?;
            self.check_exclusive(change.grants())?;
            if let GrantChange::Remove(grants) = change
                && let Some((i, g)) = grants
                    .iter()
                    .enumerate()
                    .find(|(_, g)| self.is_exclusive(g.kind()))
            {
                return Err(Error::unsupported(
                    provider,
                    format!("removing a {} (grants[{i}])", g.kind_label()),
                    "a person always holds exactly one; replace it with another instead",
                ));
            }
        }
        self.check_attributes(provider, patch.attributes.keys())
    }

    fn check_grant_kinds(&self, provider: &dyn fmt::Display, grants: &[Grant]) -> Result<()> {
        for grant in grants {
            if !self.understands(grant.kind()) {
                return Err(Error::unsupported(
                    provider,
                    format!("grant of kind {}", grant.kind_label()),
                    format!(
                        "this provider understands {}",
                        if self.grant_kinds.is_empty() {
                            "no grants".to_owned()
                        } else {
                            self.grant_kinds
                                .iter()
                                .map(|k| k.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A person holds one grant of an exclusive kind: a list naming two is refused.
    fn check_exclusive(&self, grants: &[Grant]) -> Result<()> {
        for (i, g) in grants.iter().enumerate() {
            if self.is_exclusive(g.kind())
                && let Some(first) = grants
                    .iter()
                    .take(i)
                    .find(|h| h.kind() == g.kind() && *h != g)
            {
                return Err(Error::invalid_input(
                    format!("grants[{i}]"),
                    format!(
                        "a person holds one {}: {first} is already asked for",
                        g.kind_label()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_attributes<'a>(
        &self,
        provider: &dyn fmt::Display,
        keys: impl Iterator<Item = &'a String>,
    ) -> Result<()> {
        for key in keys {
            if !self.attributes.contains(&key.as_str()) {
                return Err(Error::invalid_input(
                    format!("attributes.{key}"),
                    format!(
                        "{provider} accepts no attribute named {key:?} (known: {})",
                        if self.attributes.is_empty() {
                            "none".to_owned()
                        } else {
                            self.attributes.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Who a provider is: a stable kind name, a secret-free instance label and its capabilities.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderInfo {
    /// The adapter kind, e.g. `webflow-site`, `webflow-scim`, `flatfile`, `awork`, `scim`.
    pub kind: &'static str,
    /// The instance, e.g. the site or workspace id; never a secret.
    pub instance: String,
    /// What it can do.
    pub capabilities: Capabilities,
}

impl ProviderInfo {
    /// Builds provider info.
    pub fn new(
        kind: &'static str,
        instance: impl Into<String>,
        capabilities: Capabilities,
    ) -> Self {
        Self {
            kind,
            instance: instance.into(),
            capabilities,
        }
    }
}

impl fmt::Display for ProviderInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.instance.is_empty() {
            f.write_str(self.kind)
        } else {
            write!(f, "{}({})", self.kind, self.instance)
        }
    }
}

/// Something that describes itself. Both [`InviteProvider`] and [`UserDirectory`] build on it.
pub trait Describe: fmt::Debug + fmt::Display + Send + Sync + 'static {
    /// The provider's identity and capabilities. Cheap; no I/O.
    fn info(&self) -> &ProviderInfo;
}

/// Invites people into one tool.
///
/// # Contract
/// - Everything a vendor cannot do is refused with [`Error::Unsupported`] before any request
///   ([`crate::Pipeline`] checks every call against the adapter's [`Capabilities`]).
/// - `invite` is **not idempotent**. An adapter never retries it blindly: when the request may
///   have reached the vendor and the answer was lost, it returns [`Error::Uncertain`]. Use
///   [`crate::ensure_invited`] to look the person up first and to reconcile such outcomes,
///   which can never produce two invitations for one person.
/// - An existing account answers [`Error::Conflict`] (or, for vendors that say so in a 2xx
///   answer, a receipt with [`InviteReceipt::already_member`] set).
#[async_trait]
pub trait InviteProvider: Describe {
    /// Invites one person.
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt>;

    /// Sends a pending invitation again. Requires [`Capabilities::resend`].
    async fn resend(&self, id: &UserId) -> Result<()>;
}

/// Finds, updates and removes people in one tool.
///
/// Reads are retried on transient failures; `update`, `deactivate`, `reactivate` and
/// `remove` are idempotent by nature (setting a state) and retried like reads.
#[async_trait]
pub trait UserDirectory: Describe {
    /// Lists users lazily: pages are fetched as the stream is polled. The stream owns what
    /// it needs (no borrow of `self`), yields an error at most once and then ends.
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>>;

    /// Gets a user by id; [`Error::NotFound`] when there is none.
    async fn get(&self, id: &UserId) -> Result<User>;

    /// Finds the account with this email (case-insensitively), if any.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>>;

    /// Changes a user's profile and/or grants; returns the user as it is afterwards.
    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User>;

    /// Suspends a user reversibly. Requires [`Capabilities::deactivate`].
    async fn deactivate(&self, id: &UserId) -> Result<()>;

    /// Undoes [`UserDirectory::deactivate`]. Requires [`Capabilities::reactivate`].
    async fn reactivate(&self, id: &UserId) -> Result<()>;

    /// Removes a user, or cancels their pending invitation. Removing someone who is already
    /// gone answers [`Error::NotFound`].
    async fn remove(&self, id: &UserId) -> Result<()>;
}

/// A provider that both invites and manages users: what onboarding works with.
///
/// Blanket-implemented for every type with both traits, so `Arc<dyn Provider>` holds any
/// adapter and upcasts to `Arc<dyn InviteProvider>` or `Arc<dyn UserDirectory>`.
pub trait Provider: InviteProvider + UserDirectory {}
impl<T: InviteProvider + UserDirectory + ?Sized> Provider for T {}

/// A shared, type-erased provider.
pub type DynProvider = Arc<dyn Provider>;

macro_rules! forward_impls {
    ($($wrapper:ident),*) => {$(
        impl<T: Describe + ?Sized> Describe for $wrapper<T> {
            fn info(&self) -> &ProviderInfo {
                (**self).info()
            }
        }

        #[async_trait]
        impl<T: InviteProvider + ?Sized> InviteProvider for $wrapper<T> {
            async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
                (**self).invite(invitation).await
            }
            async fn resend(&self, id: &UserId) -> Result<()> {
                (**self).resend(id).await
            }
        }

        #[async_trait]
        impl<T: UserDirectory + ?Sized> UserDirectory for $wrapper<T> {
            fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
                (**self).list(query)
            }
            async fn get(&self, id: &UserId) -> Result<User> {
                (**self).get(id).await
            }
            async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
                (**self).find_by_email(email).await
            }
            async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
                (**self).update(id, patch).await
            }
            async fn deactivate(&self, id: &UserId) -> Result<()> {
                (**self).deactivate(id).await
            }
            async fn reactivate(&self, id: &UserId) -> Result<()> {
                (**self).reactivate(id).await
            }
            async fn remove(&self, id: &UserId) -> Result<()> {
                (**self).remove(id).await
            }
        }
    )*};
}

forward_impls!(Arc, Box);

/// Validates an id before it is used in a request: not empty, no control characters, not
/// `.` or `..`. (Every id is also percent-encoded as exactly one path segment by the HTTP
/// client; this check turns nonsense into a clear input error instead of a vendor 404.)
pub fn check_id(field: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(field, "is empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid_input(field, "may not be `.` or `..`"));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::invalid_input(field, "contains a control character"));
    }
    if id.len() > 512 {
        return Err(Error::invalid_input(field, "is longer than 512 characters"));
    }
    Ok(())
}
