//! The normalized user model shared by every adapter.
//!
//! Everything here is vendor-neutral: an adapter maps its vendor's wire shapes into these
//! types and keeps the untouched vendor payload in [`User::raw`], so nothing is lost.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use crate::grant::{Grant, GrantChange, GrantKind};

mod email;
mod raw;

pub use email::Email;
pub use raw::{RawPayload, parse_timestamp};

/// A person's name as far as it is known: given, family and display name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Display name, when the vendor keeps one separately (e.g. Flatfile's `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl PersonName {
    /// An empty name.
    pub fn unknown() -> Self {
        Self::default()
    }

    /// A name from given and family parts.
    pub fn new(given: impl Into<String>, family: impl Into<String>) -> Self {
        Self {
            given: non_blank(given.into()),
            family: non_blank(family.into()),
            display: None,
        }
    }

    /// A name known only as one display string; given/family are derived by splitting
    /// at the last space ("Ada King Lovelace" → given "Ada King", family "Lovelace").
    pub fn from_display(display: impl Into<String>) -> Self {
        let display = display.into();
        let trimmed = display.trim();
        let (given, family) = match trimmed.rsplit_once(' ') {
            Some((g, f)) => (non_blank(g.trim().to_owned()), non_blank(f.to_owned())),
            None => (non_blank(trimmed.to_owned()), None),
        };
        // Keep the caller's string when it needs no trimming (the usual case).
        let display = if trimmed.len() == display.len() {
            display
        } else {
            trimmed.to_owned()
        };
        Self {
            given,
            family,
            display: non_blank(display),
        }
    }

    /// Sets the display name.
    #[inline]
    pub fn with_display(mut self, display: impl Into<String>) -> Self {
        self.display = non_blank(display.into());
        self
    }

    /// The best full name: the display name, else "given family", else `None`.
    pub fn full(&self) -> Option<String> {
        if let Some(d) = &self.display {
            return Some(d.clone());
        }
        match (&self.given, &self.family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(g), None) => Some(g.clone()),
            (None, Some(f)) => Some(f.clone()),
            (None, None) => None,
        }
    }

    /// True when no part is known.
    pub fn is_empty(&self) -> bool {
        self.given.is_none() && self.family.is_none() && self.display.is_none()
    }
}

fn non_blank(s: String) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s) }
}

/// A provider-scoped user identifier, opaque to the library.
///
/// Adapters percent-encode it as exactly one path segment when they build URLs, so an id
/// such as `../sites` can never reach another endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Wraps a vendor id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    /// The id as a string.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl From<&str> for UserId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}
impl From<String> for UserId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// Whether the vendor should email the invitee.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailDelivery {
    /// Whatever the vendor does by default.
    #[default]
    VendorDefault,
    /// Ask the vendor to send the invitation email.
    Send,
    /// Ask the vendor not to send any email (a "silent" invite). Refused with
    /// [`crate::Error::Unsupported`] by vendors that always send one.
    Suppress,
}

/// A request to invite one person.
///
/// ```
/// use invite_core::{Email, EmailDelivery, Grant, GrantKind, Invitation, PersonName};
/// let invitation = Invitation::new("ada@example.com".parse::<Email>()?)
///     .with_name(PersonName::new("Ada", "Lovelace"))
///     .with_grant(Grant::new(GrantKind::new("awork_role")).with("role_id", "3f1c…"))
///     .with_delivery(EmailDelivery::Suppress);
/// assert_eq!(invitation.email.as_str(), "ada@example.com");
/// # Ok::<(), invite_core::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    /// The invitee's address.
    pub email: Email,
    /// The invitee's name, where known.
    #[serde(default)]
    pub name: PersonName,
    /// What the invitee gets.
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Whether the vendor should send the invitation email.
    #[serde(default)]
    pub delivery: EmailDelivery,
    /// Extra profile attributes the vendor accepts (e.g. awork `title`, `position`).
    /// Adapters reject keys they do not know with [`crate::Error::InvalidInput`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

impl Invitation {
    /// An invitation for `email` with no name, no grants and the vendor's default delivery.
    pub fn new(email: Email) -> Self {
        Self {
            email,
            name: PersonName::default(),
            grants: Vec::new(),
            delivery: EmailDelivery::VendorDefault,
            attributes: BTreeMap::new(),
        }
    }
    crate::setters! {
        /// Sets the name.
        #[inline]
        with_name(name: PersonName);
        /// Replaces the grants.
        #[inline]
        with_grants(grants: impl IntoIterator<Item = Grant>) = grants.into_iter().collect();
        /// Sets the email delivery.
        #[inline]
        with_delivery(delivery: EmailDelivery);
    }
    /// Adds a grant.
    #[inline]
    pub fn with_grant(mut self, grant: Grant) -> Self {
        self.grants.push(grant);
        self
    }
    /// Sets a vendor profile attribute.
    #[inline]
    pub fn with_attribute(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.attributes.insert(key.into(), value);
        self
    }
}

/// Where a person stands in a tool.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Invited; the invitation is pending.
    Invited,
    /// An active member.
    Active,
    /// Signed up but has not verified their email.
    Unverified,
    /// Suspended, deactivated or archived: present but without access.
    Deactivated,
    /// The invitee declined the invitation.
    InviteDeclined,
    /// The invitation expired before it was accepted.
    InviteExpired,
    /// A vendor value this library does not know; the raw value is kept.
    Unknown(String),
}

impl UserStatus {
    /// True for statuses that mean the person has, or is about to have, access
    /// (`Invited`, `Active`, `Unverified`).
    pub fn is_present(&self) -> bool {
        matches!(
            self,
            UserStatus::Invited | UserStatus::Active | UserStatus::Unverified
        )
    }
    /// True for an invitation that can no longer be accepted (declined or expired).
    pub fn is_lapsed_invite(&self) -> bool {
        matches!(self, UserStatus::InviteDeclined | UserStatus::InviteExpired)
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserStatus::Invited => f.write_str("invited"),
            UserStatus::Active => f.write_str("active"),
            UserStatus::Unverified => f.write_str("unverified"),
            UserStatus::Deactivated => f.write_str("deactivated"),
            UserStatus::InviteDeclined => f.write_str("invite declined"),
            UserStatus::InviteExpired => f.write_str("invite expired"),
            UserStatus::Unknown(raw) => write!(f, "unknown ({raw})"),
        }
    }
}

/// A person's account in one tool, normalized.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The provider-scoped id.
    pub id: UserId,
    /// The address, when the vendor returns one.
    pub email: Option<Email>,
    /// The name, where known.
    pub name: PersonName,
    /// The status.
    pub status: UserStatus,
    /// What the person has been given.
    pub grants: Vec<Grant>,
    /// When the account was created.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When the account was last updated.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// When the person was invited.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub invited_at: Option<OffsetDateTime>,
    /// When the person last logged in.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    /// The vendor's payload, untouched. Reads like a `serde_json::Value` (`user.raw["id"]`,
    /// `user.raw.get("id")`); see [`RawPayload`].
    pub raw: RawPayload,
}

impl User {
    /// A user with the given id and status; every other field empty.
    pub fn new(id: impl Into<UserId>, status: UserStatus) -> Self {
        Self {
            id: id.into(),
            email: None,
            name: PersonName::default(),
            status,
            grants: Vec::new(),
            created_at: None,
            updated_at: None,
            invited_at: None,
            last_login_at: None,
            raw: RawPayload::default(),
        }
    }
    crate::setters! {
        /// Sets the email.
        #[inline]
        with_email(email: Option<Email>);
        /// Sets the name.
        #[inline]
        with_name(name: PersonName);
        /// Sets the grants.
        #[inline]
        with_grants(grants: Vec<Grant>);
        /// Sets the raw vendor payload.
        #[inline]
        with_raw(raw: impl Into<RawPayload>) = raw.into();
    }
    /// Sets the timestamps (created, updated, invited, last login).
    #[inline]
    pub fn with_timestamps(
        mut self,
        created_at: Option<OffsetDateTime>,
        updated_at: Option<OffsetDateTime>,
        invited_at: Option<OffsetDateTime>,
        last_login_at: Option<OffsetDateTime>,
    ) -> Self {
        self.created_at = created_at;
        self.updated_at = updated_at;
        self.invited_at = invited_at;
        self.last_login_at = last_login_at;
        self
    }
    /// True when this user's email equals `email` (case-insensitively).
    pub fn has_email(&self, email: &Email) -> bool {
        self.email.as_ref() == Some(email)
    }
}

/// An invitation code returned by a vendor (e.g. awork's `invitationCode`). A secret:
/// it never appears in `Debug` output, and it is not serialized.
#[derive(Clone)]
pub struct InvitationCode(SecretString);

impl InvitationCode {
    /// Wraps a code.
    pub fn new(code: impl Into<String>) -> Self {
        Self(SecretString::from(code.into()))
    }
    /// The code, for handing to whoever must accept the invitation.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}
impl fmt::Debug for InvitationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationCode([REDACTED])")
    }
}

/// What an invite call produced.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct InviteReceipt {
    /// The invited (or, for vendors that answer so, already existing) account.
    pub user: User,
    /// Whether the vendor sent an invitation email, when known.
    pub email_sent: Option<bool>,
    /// The invitation code, for vendors that return one.
    pub invitation_code: Option<InvitationCode>,
    /// When the invitation code expires.
    pub code_expires_at: Option<OffsetDateTime>,
    /// True when the vendor answered that the person was already a member (e.g. Webflow's
    /// workspace invite answering `status: active`) rather than creating an invitation.
    pub already_member: bool,
    /// Grants of the invitation the vendor cannot attach to a pending invitation (e.g. a
    /// Webflow site role that differs from the invite's own): they apply once the invitee is
    /// a member, through grant convergence (`onboard::Target::with_grant_convergence`).
    pub deferred_grants: Vec<Grant>,
}

impl InviteReceipt {
    /// A receipt for a new invitation of `user`.
    pub fn new(user: User) -> Self {
        Self {
            user,
            email_sent: None,
            invitation_code: None,
            code_expires_at: None,
            already_member: false,
            deferred_grants: Vec::new(),
        }
    }
    crate::setters! {
        /// Records whether an email was sent.
        #[inline]
        with_email_sent(email_sent: Option<bool>);
        /// Records grants that apply only once the invitee is a member.
        #[inline]
        with_deferred_grants(deferred_grants: Vec<Grant>);
    }
    /// Attaches an invitation code and its expiry.
    #[inline]
    pub fn with_code(mut self, code: InvitationCode, expires_at: Option<OffsetDateTime>) -> Self {
        self.invitation_code = Some(code);
        self.code_expires_at = expires_at;
        self
    }
    /// Marks the receipt as "already a member".
    pub fn already_member(mut self) -> Self {
        self.already_member = true;
        self
    }
}

/// A change to a user's profile and grants. Fields left `None` are not touched.
///
/// ```
/// use invite_core::{Grant, GrantChange, GrantKind, PersonName, UserPatch};
/// let patch = UserPatch::new()
///     .name(PersonName::new("Ada", "King"))
///     .grants(GrantChange::Add(vec![Grant::new(GrantKind::new("scim_group")).with("group_id", "g1")]));
/// assert!(!patch.is_empty());
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPatch {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonName>,
    /// A new email. Vendors whose API cannot change it refuse this with a typed error
    /// before any request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// A change of grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<GrantChange>,
    /// Vendor profile attributes (e.g. Webflow custom user fields, awork `title`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

impl UserPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }
    crate::setters! {
        /// Sets a new name.
        name(name: PersonName) = Some(name);
        /// Sets a new email.
        email(email: Email) = Some(email);
        /// Sets a grant change.
        grants(grants: GrantChange) = Some(grants);
    }
    /// Sets a vendor profile attribute.
    pub fn attribute(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.attributes.insert(key.into(), value);
        self
    }
    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.grants.is_none()
            && self.attributes.is_empty()
    }
}

/// Options for listing users.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size to ask the vendor for; adapters clamp it to the vendor's maximum.
    pub page_size: Option<u32>,
    /// Include deactivated/archived accounts where the vendor hides them by default.
    pub include_inactive: bool,
}

impl ListQuery {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    crate::setters! {
        /// Sets the page size.
        page_size(page_size: u32) = Some(page_size);
        /// Includes inactive accounts.
        include_inactive(include_inactive: bool);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = PersonName::from_display("Ada King Lovelace");
        assert_eq!(n.given.as_deref(), Some("Ada King"));
        assert_eq!(n.family.as_deref(), Some("Lovelace"));
        assert_eq!(n.full().as_deref(), Some("Ada King Lovelace"));
        assert_eq!(PersonName::new("Ada", "").full().as_deref(), Some("Ada"));
        assert!(PersonName::new(" ", "").is_empty());
        assert_eq!(
            PersonName::from_display("Cher").given.as_deref(),
            Some("Cher")
        );
    }

    #[test]
    fn invitation_code_is_redacted() {
        let code = InvitationCode::new("s3cr3t-code");
        assert!(!format!("{code:?}").contains("s3cr3t"));
        assert_eq!(code.expose(), "s3cr3t-code");
        let receipt =
            InviteReceipt::new(User::new("u1", UserStatus::Invited)).with_code(code, None);
        assert!(!format!("{receipt:?}").contains("s3cr3t"));
    }

    #[test]
    fn status_serializes_as_a_plain_name() {
        assert_eq!(
            serde_json::to_value(UserStatus::Invited).unwrap(),
            "invited"
        );
        assert_eq!(
            serde_json::to_value(UserStatus::Unknown("paused".into())).unwrap(),
            serde_json::json!({"unknown": "paused"})
        );
        let back: UserStatus = serde_json::from_str("\"invite_expired\"").unwrap();
        assert_eq!(back, UserStatus::InviteExpired);
    }
}
