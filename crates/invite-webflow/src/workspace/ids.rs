//! Typed ids of the workspace API, and how a normalized [`UserId`] names a member or an
//! invite.
//!
//! Webflow ids are 24-hex objectids (docs/vendors/webflow-workspace.md#ids). The types here accept any run of ASCII
//! letters, digits, `-` and `_` (1 to 64 characters), so a sandbox or a future id format
//! still works, while `/`, `..`, `?`, `%` and friends are refused as input before any request
//! (every path parameter is also percent-encoded as one segment by the HTTP client).

use std::fmt;

use invite_core::{Email, Error, Result, UserId, check_id};

fn validate(field: &str, value: &str) -> Result<()> {
    check_id(field, value)?;
    if value.len() > 64 {
        return Err(Error::invalid_input(field, "is longer than 64 characters"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(Error::invalid_input(
            field,
            format!("contains {c:?}; Webflow ids are objectids (letters and digits only)"),
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id (letters, digits, `-`, `_`; at most 64 characters).
            pub fn new(id: impl Into<String>) -> Result<Self> {
                let id = id.into();
                validate($field, &id)?;
                Ok(Self(id))
            }
            /// Like [`Self::new`], naming `field` in the error.
            pub fn parse_field(field: &str, id: &str) -> Result<Self> {
                validate(field, id)?;
                Ok(Self(id.to_owned()))
            }
            /// The id as sent to Webflow.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }
    };
}

id_type!(
    /// A Webflow workspace id.
    WorkspaceId,
    "workspace_id"
);
id_type!(
    /// A Webflow site id.
    SiteId,
    "site_id"
);
id_type!(
    /// The id of an active workspace member (`members[].id`). Not interchangeable with an
    /// [`InviteId`]: `DELETE …/members/{member_id}` removes members only.
    MemberId,
    "member_id"
);
id_type!(
    /// The id of a workspace invite (`invites[].id`), pending, declined or expired. Invites
    /// are cancelled only through bulk remove.
    InviteId,
    "invite_id"
);
id_type!(
    /// The id of a custom Site Role of the workspace.
    CustomRoleId,
    "custom_role_id"
);

/// Names a member of a site-access call: by email or by member id (exactly one, as the
/// API requires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberRef {
    /// By email address (sent as `email` in bodies, `?email=` in queries).
    Email(Email),
    /// By member id.
    Id(MemberId),
}

impl From<Email> for MemberRef {
    fn from(e: Email) -> Self {
        MemberRef::Email(e)
    }
}

impl From<MemberId> for MemberRef {
    fn from(id: MemberId) -> Self {
        MemberRef::Id(id)
    }
}

/// What a normalized [`UserId`] of this provider names.
///
/// # Scheme
/// - `member:<member_id>`: an active member.
/// - `invite:<invite_id>:<email>`: an invite, with the invitee's address (lower-cased). Webflow gives a
///   person a **new** member id when they accept (the invite leaves the list), so the address
///   lets `get`, `update` and `remove` follow the person to their member record after
///   acceptance. `invite:<invite_id>` without the address is accepted too (no following).
///
/// Ids without one of these prefixes are refused with [`Error::InvalidInput`] (`user_id`)
/// before any request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkspaceUserRef {
    /// An active member.
    Member(MemberId),
    /// An invite, and the invitee's address when known.
    Invite(InviteId, Option<Email>),
}

impl WorkspaceUserRef {
    /// Reads a normalized id.
    pub fn parse(id: &UserId) -> Result<Self> {
        let s = id.as_str();
        if let Some(rest) = s.strip_prefix("member:") {
            return Ok(WorkspaceUserRef::Member(MemberId::parse_field(
                "user_id", rest,
            )?));
        }
        if let Some(rest) = s.strip_prefix("invite:") {
            let (invite, email) = match rest.split_once(':') {
                Some((i, e)) => (
                    i,
                    Some(Email::parse(e).map_err(|err| {
                        Error::invalid_input("user_id", format!("names an invalid email: {err}"))
                    })?),
                ),
                None => (rest, None),
            };
            return Ok(WorkspaceUserRef::Invite(
                InviteId::parse_field("user_id", invite)?,
                email,
            ));
        }
        Err(Error::invalid_input(
            "user_id",
            "expected `member:<id>` or `invite:<id>[:<email>]` (ids of the webflow-workspace provider)",
        ))
    }

    /// The normalized id.
    pub fn to_user_id(&self) -> UserId {
        match self {
            WorkspaceUserRef::Member(m) => UserId::new(format!("member:{m}")),
            WorkspaceUserRef::Invite(i, Some(e)) => {
                UserId::new(format!("invite:{i}:{}", e.normalized()))
            }
            WorkspaceUserRef::Invite(i, None) => UserId::new(format!("invite:{i}")),
        }
    }

    /// The raw Webflow id.
    pub fn raw_id(&self) -> &str {
        match self {
            WorkspaceUserRef::Member(m) => m.as_str(),
            WorkspaceUserRef::Invite(i, _) => i.as_str(),
        }
    }

    /// True for an invite.
    pub fn is_invite(&self) -> bool {
        matches!(self, WorkspaceUserRef::Invite(..))
    }
}

impl fmt::Display for WorkspaceUserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_user_id(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_are_refused() {
        for bad in ["", "..", "a/b", "a?b", "%2F", "a b", "a#b", "../x"] {
            assert!(SiteId::new(bad).is_err(), "{bad:?}");
            assert!(MemberId::new(bad).is_err(), "{bad:?}");
        }
        assert!(SiteId::new("62fa5e47f6b8256f4641c5bd").is_ok());
    }

    #[test]
    fn user_ids_round_trip() {
        let m = WorkspaceUserRef::Member(MemberId::new("abc").unwrap());
        assert_eq!(m.to_user_id().as_str(), "member:abc");
        assert_eq!(WorkspaceUserRef::parse(&m.to_user_id()).unwrap(), m);
        let i = WorkspaceUserRef::Invite(
            InviteId::new("def").unwrap(),
            Some(Email::parse("Ada@Example.com").unwrap()),
        );
        assert_eq!(i.to_user_id().as_str(), "invite:def:ada@example.com");
        assert_eq!(WorkspaceUserRef::parse(&i.to_user_id()).unwrap(), i);
        assert!(WorkspaceUserRef::parse(&UserId::new("invite:def")).is_ok());
        for bad in [
            "abc",
            "member:",
            "member:a/b",
            "invite:x:not-an-email",
            "user:1",
        ] {
            let e = WorkspaceUserRef::parse(&UserId::new(bad)).unwrap_err();
            assert!(
                matches!(e, Error::InvalidInput { ref field, .. } if field == "user_id"),
                "{bad}: {e:?}"
            );
        }
    }
}
