//! The normalized user model shared by every adapter.
//!
//! Everything here is vendor-neutral: an adapter maps its vendor's wire shapes into these
//! types and keeps the untouched vendor payload in [`User::raw`], so nothing is lost.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
pub use crate::grant::{Grant, GrantChange, GrantKind};

/// Longest address accepted (RFC 5321 path limit).
const MAX_EMAIL_LEN: usize = 254;
/// Longest local part accepted (RFC 5321).
const MAX_LOCAL_LEN: usize = 64;

/// A validated email address.
///
/// Equality and hashing ignore letter case (every vendor here matches addresses
/// case-insensitively), while [`Email::as_str`] and `Display` keep exactly what the caller
/// typed, so the vendor receives the address as given.
///
/// The policy is stricter than RFC 5322 on purpose: no quoted local parts, no IP-literal
/// domains, no whitespace or control characters, a dot in the domain, and LDH domain labels.
///
/// ```
/// use invite_core::Email;
/// let a: Email = "Ada.Lovelace@Example.com".parse()?;
/// let b: Email = "ada.lovelace@example.com".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "Ada.Lovelace@Example.com");
/// assert!("not an email".parse::<Email>().is_err());
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Email {
    original: String,
    /// `None` when the address is already in normalized form (the usual case): one string
    /// instead of two equal ones.
    lowered: Option<String>,
}

impl Email {
    /// Validates `input` (after trimming surrounding whitespace) as an email address.
    pub fn parse(input: &str) -> Result<Self> {
        let trimmed = input.trim();
        validate_email(trimmed).map_err(|reason| Error::invalid_input("email", reason))?;
        Ok(Self {
            original: trimmed.to_owned(),
            lowered: lowered(trimmed),
        })
    }

    /// The address exactly as the caller typed it (trimmed).
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The lower-cased form used for comparisons and lookup keys.
    #[inline]
    pub fn normalized(&self) -> &str {
        self.lowered.as_deref().unwrap_or(&self.original)
    }

    /// The domain part, lower-cased.
    pub fn domain(&self) -> &str {
        self.normalized()
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
    }
}

/// The normalized form of `s`, or `None` when `s` is already normalized (no second string).
/// Lower-cases character by character, keeping a character whose lower case is more than
/// one character (`İ` → `i` + U+0307): the normalized form stays a valid address that
/// parses back to itself.
fn lowered(s: &str) -> Option<String> {
    if s.is_ascii() {
        return s
            .bytes()
            .any(|b| b.is_ascii_uppercase())
            .then(|| s.to_ascii_lowercase());
    }
    let normalized: String = s
        .chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect();
    (normalized != s).then_some(normalized)
}

fn validate_email(s: &str) -> std::result::Result<(), String> {
    // The common case in one pass over the bytes; anything else (refusals, with their
    // reasons, and internationalized addresses) takes the detailed path below.
    if ascii_address_accepted(s.as_bytes()) {
        return Ok(());
    }
    validate_email_policy(s)?;
    // Second opinion from a maintained parser for internationalized addresses, where our
    // policy is lax (any alphanumeric character). For ASCII addresses the policy is
    // stricter than that parser (`tests::ascii_policy_is_never_laxer_than_email_address`
    // checks it on generated addresses), so the second pass is skipped: it would cost as much
    // as the rest of the validation on every address a vendor returns.
    if !s.is_ascii() && !email_address::EmailAddress::is_valid(s) {
        return Err("is not a valid address".into());
    }
    Ok(())
}

/// Whether `s` is an ASCII address [`validate_email_policy`] accepts, in one pass over the
/// bytes (`tests::ascii_fast_path_agrees_with_the_policy` keeps the two in step). `false`
/// says nothing by itself: the caller then runs the detailed check for the reason.
fn ascii_address_accepted(s: &[u8]) -> bool {
    fn local_byte(b: u8) -> bool {
        matches!(b,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
            | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'/' | b'='
            | b'?' | b'^' | b'_' | b'`' | b'{' | b'|' | b'}' | b'~' | b'.')
    }
    if s.is_empty() || s.len() > MAX_EMAIL_LEN {
        return false;
    }
    let Some(at) = s.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let (Some(local), Some(domain)) = (s.get(..at), s.get(at + 1..)) else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= MAX_LOCAL_LEN
        && local.first() != Some(&b'.')
        && local.last() != Some(&b'.')
        && local.iter().all(|&b| local_byte(b))
        && !local.windows(2).any(|w| w == b"..");
    if !local_ok {
        return false;
    }
    let mut labels = 0;
    for label in domain.split(|&b| b == b'.') {
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
            && label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-');
        if !label_ok {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

/// Our acceptance policy: a dot-atom local part, a dotted hostname domain, no IP literals,
/// no quoted parts, RFC length limits.
fn validate_email_policy(s: &str) -> std::result::Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > MAX_EMAIL_LEN {
        return Err(format!("is longer than {MAX_EMAIL_LEN} characters"));
    }
    if let Some(c) = s.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "contains a whitespace or control character ({:?})",
            c
        ));
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err("has no '@'".into());
    };
    if local.is_empty() {
        return Err("has an empty local part".into());
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(format!(
            "has a local part longer than {MAX_LOCAL_LEN} characters"
        ));
    }
    if local.contains('@') || local.contains('"') {
        return Err("quoted local parts and extra '@' are not accepted".into());
    }
    let local_char_ok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '!' | '#'
                    | '$'
                    | '%'
                    | '&'
                    | '\''
                    | '*'
                    | '+'
                    | '-'
                    | '/'
                    | '='
                    | '?'
                    | '^'
                    | '_'
                    | '`'
                    | '{'
                    | '|'
                    | '}'
                    | '~'
                    | '.'
            )
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    if let Some(c) = local.chars().find(|c| !local_char_ok(*c)) {
        return Err(format!(
            "has a character not allowed in the local part ({c:?})"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("has a misplaced '.' in the local part".into());
    }
    if domain.starts_with('[') {
        return Err("IP-literal domains are not accepted".into());
    }
    if !domain.contains('.') {
        return Err("has a domain without a '.'".into());
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("has an invalid domain label {label:?}"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "has a domain label starting or ending with '-' ({label:?})"
            ));
        }
        if let Some(c) = label.chars().find(|c| {
            !(c.is_ascii_alphanumeric() || *c == '-' || (!c.is_ascii() && c.is_alphanumeric()))
        }) {
            return Err(format!("has a character not allowed in the domain ({c:?})"));
        }
    }
    Ok(())
}

impl FromStr for Email {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Email {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}
impl Eq for Email {}
impl Hash for Email {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}
impl PartialOrd for Email {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Email {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.normalized().cmp(other.normalized())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.original)
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.original)
    }
}
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

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
    /// [`Error::Unsupported`] by vendors that always send one.
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
    /// Adapters reject keys they do not know with [`Error::InvalidInput`].
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
    /// Sets the name.
    #[inline]
    pub fn with_name(mut self, name: PersonName) -> Self {
        self.name = name;
        self
    }
    /// Adds a grant.
    #[inline]
    pub fn with_grant(mut self, grant: Grant) -> Self {
        self.grants.push(grant);
        self
    }
    /// Replaces the grants.
    #[inline]
    pub fn with_grants(mut self, grants: impl IntoIterator<Item = Grant>) -> Self {
        self.grants = grants.into_iter().collect();
        self
    }
    /// Sets the email delivery.
    #[inline]
    pub fn with_delivery(mut self, delivery: EmailDelivery) -> Self {
        self.delivery = delivery;
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
    /// Sets the email.
    #[inline]
    pub fn with_email(mut self, email: Option<Email>) -> Self {
        self.email = email;
        self
    }
    /// Sets the name.
    #[inline]
    pub fn with_name(mut self, name: PersonName) -> Self {
        self.name = name;
        self
    }
    /// Sets the grants.
    #[inline]
    pub fn with_grants(mut self, grants: Vec<Grant>) -> Self {
        self.grants = grants;
        self
    }
    /// Sets the raw vendor payload.
    #[inline]
    pub fn with_raw(mut self, raw: impl Into<RawPayload>) -> Self {
        self.raw = raw.into();
        self
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
    /// Records whether an email was sent.
    #[inline]
    pub fn with_email_sent(mut self, sent: Option<bool>) -> Self {
        self.email_sent = sent;
        self
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
    /// Records grants that apply only once the invitee is a member.
    #[inline]
    pub fn with_deferred_grants(mut self, grants: Vec<Grant>) -> Self {
        self.deferred_grants = grants;
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
    /// Sets a new name.
    pub fn name(mut self, name: PersonName) -> Self {
        self.name = Some(name);
        self
    }
    /// Sets a new email.
    pub fn email(mut self, email: Email) -> Self {
        self.email = Some(email);
        self
    }
    /// Sets a grant change.
    pub fn grants(mut self, change: GrantChange) -> Self {
        self.grants = Some(change);
        self
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
    /// Sets the page size.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }
    /// Includes inactive accounts.
    pub fn include_inactive(mut self, yes: bool) -> Self {
        self.include_inactive = yes;
        self
    }
}

/// A vendor's payload for one user, kept untouched: either the JSON text exactly as the vendor
/// sent it (adapters that read their answers straight from the bytes keep it that way, which
/// spares every call building a `serde_json::Value` tree nobody may look at), or a
/// `serde_json::Value`.
///
/// It reads like a `Value` either way: it dereferences to one, parsed from the text the first
/// time it is looked at and kept.
///
/// ```
/// use invite_core::model::RawPayload;
/// use serde_json::{json, value::RawValue};
///
/// let text = RawValue::from_string(r#"{"id":"u1","plan":"pro"}"#.to_owned())?;
/// let raw = RawPayload::from_text(text);
/// assert_eq!(raw["plan"], "pro");
/// assert_eq!(raw.text(), Some(r#"{"id":"u1","plan":"pro"}"#));
/// assert_eq!(raw, json!({"id": "u1", "plan": "pro"}));
/// assert_eq!(RawPayload::from(json!({"id": "u1"}))["id"], "u1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct RawPayload {
    repr: RawRepr,
}

#[derive(Clone)]
enum RawRepr {
    Value(serde_json::Value),
    Text {
        text: Box<serde_json::value::RawValue>,
        parsed: std::sync::OnceLock<serde_json::Value>,
    },
}

impl Default for RawRepr {
    fn default() -> Self {
        Self::Value(serde_json::Value::Null)
    }
}

impl RawPayload {
    /// The payload as the JSON text the vendor sent.
    pub fn from_text(text: Box<serde_json::value::RawValue>) -> Self {
        Self {
            repr: RawRepr::Text {
                text,
                parsed: std::sync::OnceLock::new(),
            },
        }
    }

    /// The payload as a JSON value (parsed from the text on first use).
    pub fn value(&self) -> &serde_json::Value {
        match &self.repr {
            RawRepr::Value(v) => v,
            // The text was validated as JSON when it was captured, so parsing it again
            // cannot fail; `Null` only keeps this free of a panic path.
            RawRepr::Text { text, parsed } => {
                parsed.get_or_init(|| serde_json::from_str(text.get()).unwrap_or_default())
            }
        }
    }

    /// The payload as an owned JSON value.
    pub fn into_value(self) -> serde_json::Value {
        match self.repr {
            RawRepr::Value(v) => v,
            RawRepr::Text { text, parsed } => parsed
                .into_inner()
                .unwrap_or_else(|| serde_json::from_str(text.get()).unwrap_or_default()),
        }
    }

    /// The JSON text exactly as the vendor sent it, when it was kept that way.
    pub fn text(&self) -> Option<&str> {
        match &self.repr {
            RawRepr::Value(_) => None,
            RawRepr::Text { text, .. } => Some(text.get()),
        }
    }
}

impl std::ops::Deref for RawPayload {
    type Target = serde_json::Value;
    fn deref(&self) -> &serde_json::Value {
        self.value()
    }
}

impl From<serde_json::Value> for RawPayload {
    fn from(v: serde_json::Value) -> Self {
        Self {
            repr: RawRepr::Value(v),
        }
    }
}

impl From<Box<serde_json::value::RawValue>> for RawPayload {
    fn from(text: Box<serde_json::value::RawValue>) -> Self {
        Self::from_text(text)
    }
}

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<serde_json::Value> for RawPayload {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.value() == other
    }
}

impl fmt::Debug for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl fmt::Display for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            RawRepr::Value(v) => fmt::Display::fmt(v, f),
            RawRepr::Text { text, .. } => f.write_str(text.get()),
        }
    }
}

impl Serialize for RawPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawPayload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Self::from)
    }
}

/// Parses a vendor timestamp leniently: RFC 3339 with or without fractions, and the
/// malformed fractions some vendor examples carry (awork's `…T00:00:000Z`). `None` when it
/// cannot be read; adapters keep the raw value in [`User::raw`] either way.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Some(t) = parse_utc_timestamp(s.as_bytes()) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // "2022-05-20T13:46:12" without offset: assume UTC.
    let with_z = format!("{s}Z");
    if let Ok(t) = OffsetDateTime::parse(&with_z, &Rfc3339) {
        return Some(t);
    }
    // "1998-04-19T00:00:000Z": seconds with an extra digit; keep the first two.
    let (date, rest) = s.split_once('T')?;
    let rest = rest.trim_end_matches('Z');
    let mut parts = rest.splitn(3, ':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    let sec: String = sec.chars().take(2).collect();
    OffsetDateTime::parse(&format!("{date}T{h}:{m}:{sec}Z"), &Rfc3339).ok()
}

/// The shape nearly every vendor sends, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, read directly:
/// every user a list or lookup returns carries two to four of these, and the general RFC 3339
/// parser costs several times more. `None` for anything else (other offsets, leap seconds,
/// more than nine fraction digits, malformed input), which then goes through `time`'s
/// parser; `tests::utc_fast_path_agrees_with_time` keeps the two in step.
fn parse_utc_timestamp(s: &[u8]) -> Option<OffsetDateTime> {
    fn digits(s: &[u8], from: usize, len: usize) -> Option<u32> {
        s.get(from..from + len)?.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    }
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if s.last() != Some(&b'Z') || separators.iter().any(|&(i, c)| s.get(i) != Some(&c)) {
        return None;
    }
    let year = i32::try_from(digits(s, 0, 4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(digits(s, 5, 2)?).ok()?).ok()?;
    let day = u8::try_from(digits(s, 8, 2)?).ok()?;
    let hour = u8::try_from(digits(s, 11, 2)?).ok()?;
    let minute = u8::try_from(digits(s, 14, 2)?).ok()?;
    let second = u8::try_from(digits(s, 17, 2)?).ok()?;
    let nanos = match s.get(19..s.len().saturating_sub(1))? {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let value = digits(fraction, 0, fraction.len())?;
            value * 10u32.pow(9 - u32::try_from(fraction.len()).ok()?)
        }
        _ => return None,
    };
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let time = time::Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "O'Brien@example.ie",
            "x_y-z@ex-ample.org",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    /// A payload kept as text reads, compares, serializes and converts like the value it
    /// holds; it is parsed once, on first look.
    #[test]
    fn raw_payload_as_text_behaves_like_its_value() {
        use serde_json::{json, value::RawValue};
        let text = r#"{"id": "u1", "n": 1.50, "nested": {"a": [1, 2]}}"#;
        let raw = RawPayload::from_text(RawValue::from_string(text.to_owned()).unwrap());
        let value = json!({"id": "u1", "n": 1.50, "nested": {"a": [1, 2]}});
        assert_eq!(raw.text(), Some(text));
        assert!(matches!(&raw.repr, RawRepr::Text { parsed, .. } if parsed.get().is_none()));
        assert_eq!(raw["nested"]["a"][1], 2);
        assert!(matches!(&raw.repr, RawRepr::Text { parsed, .. } if parsed.get().is_some()));
        assert_eq!(raw, value);
        assert_eq!(raw, RawPayload::from(value.clone()));
        assert_eq!(raw.to_string(), text, "Display keeps the vendor's text");
        assert_eq!(serde_json::to_value(&raw).unwrap(), value);
        assert_eq!(format!("{raw:?}"), format!("{value:?}"));
        assert_eq!(raw.clone().into_value(), value);
        let unparsed = RawPayload::from_text(RawValue::from_string(text.to_owned()).unwrap());
        assert_eq!(unparsed.into_value(), value);
        let back: RawPayload = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back.text(), None);
        assert_eq!(back, value);
        assert_eq!(RawPayload::default(), serde_json::Value::Null);
        let user = User::new("u1", UserStatus::Active).with_raw(raw);
        let round: User = serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
        assert_eq!(round, user);
    }

    /// Wherever the UTC fast path answers, `time`'s RFC 3339 parser gives the same instant;
    /// and it does answer for the usual shapes.
    #[test]
    fn utc_fast_path_agrees_with_time() {
        use time::format_description::well_known::Rfc3339;
        let mut answered = 0;
        let bases = [
            "2026-11-25T10:55:58Z",
            "2026-11-25T10:55:58.1Z",
            "2026-11-25T10:55:58.123Z",
            "2024-02-29T23:59:59.999999999Z",
            "0001-01-01T00:00:00Z",
        ];
        for base in bases {
            assert!(parse_utc_timestamp(base.as_bytes()).is_some(), "{base}");
            for i in 0..=base.len() {
                for b in b"0123456789:-.TZz+ 9x\xff".iter().copied() {
                    let mut bytes = base.as_bytes().to_vec();
                    if i < bytes.len() {
                        bytes[i] = b;
                    } else {
                        bytes.push(b);
                    }
                    for candidate in [bytes.clone(), {
                        let mut v = base.as_bytes().to_vec();
                        v.insert(i, b);
                        v
                    }] {
                        let Ok(text) = std::str::from_utf8(&candidate) else {
                            assert!(parse_utc_timestamp(&candidate).is_none());
                            continue;
                        };
                        if let Some(fast) = parse_utc_timestamp(&candidate) {
                            answered += 1;
                            let slow = OffsetDateTime::parse(text, &Rfc3339).ok();
                            assert_eq!(Some(fast), slow, "{text:?}");
                        }
                    }
                }
            }
        }
        for odd in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:60:00Z",
            "2026-11-25T10:55:60Z",
            "2026-11-25T10:55:58.Z",
            "2026-11-25T10:55:58.1234567891Z",
            "2026-11-25T10:55:58+00:00",
            "2026-11-25 10:55:58Z",
        ] {
            assert!(parse_utc_timestamp(odd.as_bytes()).is_none(), "{odd}");
        }
        // What the fast path leaves alone still parses through the general path.
        assert!(parse_timestamp("2026-11-25T10:55:58+01:00").is_some());
        assert!(parse_timestamp("2026-11-25T10:55:58.1234567891Z").is_some());
        assert!(
            answered > 200,
            "the fast path answered only {answered} variants"
        );
    }

    /// The one-pass ASCII check accepts exactly what the detailed policy accepts, on
    /// generated addresses and on every byte in every position of a few real ones.
    #[test]
    fn ascii_fast_path_agrees_with_the_policy() {
        let check = |address: &str| {
            let fast = ascii_address_accepted(address.as_bytes());
            let policy = address.is_ascii() && validate_email_policy(address).is_ok();
            assert_eq!(fast, policy, "{address:?}: fast {fast}, policy {policy}");
            fast
        };
        let mut accepted = 0;
        for base in [
            "first.last+tag@sub.example.com",
            "a@b.co",
            "x_y-z@ex-ample.org",
        ] {
            for i in 0..=base.len() {
                for b in 0u8..=127 {
                    let mut bytes = base.as_bytes().to_vec();
                    bytes.insert(i, b);
                    accepted += usize::from(check(&String::from_utf8(bytes.clone()).unwrap()));
                    bytes.remove(i);
                    if i < bytes.len() {
                        bytes[i] = b;
                        accepted += usize::from(check(&String::from_utf8(bytes).unwrap()));
                    }
                }
            }
        }
        for long in [
            format!("{}@example.com", "a".repeat(64)),
            format!("{}@example.com", "a".repeat(65)),
            format!("a@{}.com", "b".repeat(63)),
            format!("a@{}.com", "b".repeat(64)),
            format!("a@{}com", "bcdefghij.".repeat(25)),
            format!("a@{}com", "bcdefghij.".repeat(26)),
            "é@example.com".to_owned(),
            "a@exämple.com".to_owned(),
        ] {
            check(&long);
        }
        assert!(accepted > 1_000, "only {accepted} variants were accepted");
    }

    /// `validate_email` skips the `email_address` second opinion for ASCII addresses: that
    /// is only sound while our policy accepts nothing that parser rejects. Generated
    /// addresses mix every allowed local-part symbol, dots, hyphens, digit-only labels and
    /// the length limits.
    #[test]
    fn ascii_policy_is_never_laxer_than_email_address() {
        let local_chars: Vec<char> = "aZ09.-_+!#$%&'*/=?^`{|}~".chars().collect();
        let domain_chars: Vec<char> = "aZ09-".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        let pick = |rng: &mut fastrand::Rng, from: &[char], n: usize| -> String {
            (0..n).map(|_| from[rng.usize(..from.len())]).collect()
        };
        let mut accepted = 0;
        for _ in 0..200_000 {
            let local_len = if rng.u8(..10) == 0 {
                rng.usize(60..70)
            } else {
                rng.usize(1..8)
            };
            let local = pick(&mut rng, &local_chars, local_len);
            let mut labels: Vec<String> = (0..rng.usize(1..5))
                .map(|_| {
                    let n = match rng.u8(..20) {
                        0 => rng.usize(60..66),
                        1 => 0,
                        _ => rng.usize(1..6),
                    };
                    pick(&mut rng, &domain_chars, n)
                })
                .collect();
            if rng.u8(..4) == 0 {
                labels.push("co".into());
            }
            if rng.u8(..30) == 0 {
                while labels.iter().map(|l| l.len() + 1).sum::<usize>() + local.len() < 250 {
                    labels.insert(0, "abcdefghi".into());
                }
            }
            let address = format!("{local}@{}", labels.join("."));
            assert_eq!(
                ascii_address_accepted(address.as_bytes()),
                validate_email_policy(&address).is_ok(),
                "fast path and policy disagree on {address:?}"
            );
            if validate_email_policy(&address).is_ok() {
                accepted += 1;
                assert!(
                    email_address::EmailAddress::is_valid(&address),
                    "our policy accepts {address:?}, email_address does not"
                );
            }
        }
        // The generator must exercise the policy's accepting side, not only its refusals.
        assert!(
            accepted > 20_000,
            "only {accepted} generated addresses were accepted"
        );
    }

    #[test]
    fn email_rejects_bad_addresses_with_reason() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@exa mple.com",
            "a@example.com\nBcc: x@y.com",
            "\"a b\"@example.com",
            "a@[127.0.0.1]",
            "a..b@example.com",
            "a@-x.com",
            "a@x.com?b",
            "a@x..com",
            "a\u{0}@x.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidInput { ref field, .. } if field == "email"),
                "{bad:?}: {err:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn email_case_insensitive_but_keeps_original() {
        let a = Email::parse("  Ada@Example.COM ").unwrap();
        let b = Email::parse("ada@example.com").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Ada@Example.COM");
        assert_eq!(a.normalized(), "ada@example.com");
        assert_eq!(a.domain(), "example.com");
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"ada@example.com\"");
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn normalized_form_parses_back_to_itself() {
        // Found by fuzzing: "İ".to_lowercase() is "i" + a combining dot, which is not a
        // valid local-part character.
        for raw in [
            "İ@example.com",
            "ÀDA@Example.COM",
            "ǅx@example.com",
            "ada@example.com",
        ] {
            let e = Email::parse(raw).unwrap();
            let again = Email::parse(e.normalized()).unwrap();
            assert_eq!(again.normalized(), e.normalized(), "{raw}");
            assert_eq!(again, e);
        }
        assert_eq!(
            Email::parse("ÀDA@x.com").unwrap(),
            Email::parse("àda@X.COM").unwrap()
        );
    }

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
    fn timestamps() {
        assert!(parse_timestamp("2022-05-20T13:46:12Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12.093Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12+02:00").is_some());
        assert!(parse_timestamp("1998-04-19T00:00:000Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12").is_some());
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("").is_none());
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
