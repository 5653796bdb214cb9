//! Workspace and site roles: wide, lenient enums for what Webflow sends, and narrow types
//! for what a request may carry, so an invalid role pairing cannot be built
//! (docs/vendors/webflow-workspace.md#trap-role-pairs).
//!
//! | type | what it allows |
//! |---|---|
//! | [`WorkspaceRole`], [`SiteRole`] | every value Webflow documents when reading, plus `Unknown(raw)` |
//! | [`SiteRoleAssignment`] | the six site roles a request may set (`custom` with its id) |
//! | [`RoleAssignment`] | the seven workspace/default-site-role pairs of [`PAIRINGS`] |
//!
//! Every string parser returns [`Error::InvalidInput`] naming the field, before any request.

use std::fmt;

use invite_core::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::CustomRoleId;

macro_rules! read_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$doc])*
        #[non_exhaustive]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this library does not know; the raw value is kept.
            Unknown(String),
        }

        impl $name {
            /// Reads a wire value; unknown values become `Unknown(raw)`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown(raw) => raw,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                // Borrowed from the input when it lends the string; only an unknown value is
                // copied (into `Unknown`). Same errors as `String` ("expected a string").
                Ok(Self::from_wire(&invite_core::de::BorrowedStr::deserialize(d)?.0))
            }
        }
    };
}

read_enum!(
    /// A workspace role as Webflow reports it (`roles.workspace`, an invite's `role`).
    WorkspaceRole {
        /// The workspace owner (read only).
        Owner => "owner",
        /// Admin.
        Admin => "admin",
        /// Member.
        Member => "member",
        /// Guest (read only).
        Guest => "guest",
        /// Reviewer (needs Workspace seats).
        Reviewer => "reviewer",
        /// A collaborator client.
        Client => "client",
    }
);

read_enum!(
    /// A site role as Webflow reports it (`roles.site`, an invite's `defaultSiteRole`).
    SiteRole {
        /// Site manager.
        SiteManager => "site_manager",
        /// Designer.
        Designer => "designer",
        /// Branch designer (read only).
        BranchDesigner => "branch_designer",
        /// Limited designer (read only).
        LimitedDesigner => "limited_designer",
        /// Marketer.
        Marketer => "marketer",
        /// Content editor.
        ContentEditor => "content_editor",
        /// Reviewer.
        Reviewer => "reviewer",
        /// Viewer (read only).
        Viewer => "viewer",
        /// A custom Site Role (its id travels separately).
        Custom => "custom",
    }
);

/// A site role a request may set: `site_manager`, `designer`, `marketer`,
/// `content_editor`, `reviewer`, or `custom` with the custom Site Role's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SiteRoleAssignment {
    /// `site_manager`.
    SiteManager,
    /// `designer`.
    Designer,
    /// `marketer`.
    Marketer,
    /// `content_editor`.
    ContentEditor,
    /// `reviewer`.
    Reviewer,
    /// `custom` + the Site Role id (`siteRoleId` / `defaultSiteRoleId`).
    Custom(CustomRoleId),
}

/// The site roles a request may set without an id, by wire value.
const PLAIN_SITE_ROLES: [(&str, SiteRoleAssignment); 5] = [
    ("site_manager", SiteRoleAssignment::SiteManager),
    ("designer", SiteRoleAssignment::Designer),
    ("marketer", SiteRoleAssignment::Marketer),
    ("content_editor", SiteRoleAssignment::ContentEditor),
    ("reviewer", SiteRoleAssignment::Reviewer),
];

impl SiteRoleAssignment {
    /// Parses a site role and the custom role id that must come with `custom` (and only
    /// with it). `field` and `id_field` name the inputs in errors.
    pub fn parse(field: &str, role: &str, id_field: &str, id: Option<&str>) -> Result<Self> {
        let id = id.map(str::trim).filter(|s| !s.is_empty());
        let role = role.trim();
        if role == "custom" {
            let id = id.ok_or_else(|| {
                Error::invalid_input(id_field, "is required with the `custom` site role")
            })?;
            return Ok(SiteRoleAssignment::Custom(CustomRoleId::parse_field(
                id_field, id,
            )?));
        }
        let Some((_, out)) = PLAIN_SITE_ROLES.into_iter().find(|(w, _)| *w == role) else {
            return Err(Error::invalid_input(
                field,
                format!(
                    "`{role}` is not a site role a request may set (site_manager, designer, marketer, content_editor, reviewer, custom)"
                ),
            ));
        };
        if id.is_some() {
            return Err(Error::invalid_input(
                id_field,
                format!("is only accepted with the `custom` site role, not `{role}`"),
            ));
        }
        Ok(out)
    }

    /// The wire value of the role.
    pub fn as_str(&self) -> &'static str {
        match self {
            SiteRoleAssignment::SiteManager => "site_manager",
            SiteRoleAssignment::Designer => "designer",
            SiteRoleAssignment::Marketer => "marketer",
            SiteRoleAssignment::ContentEditor => "content_editor",
            SiteRoleAssignment::Reviewer => "reviewer",
            SiteRoleAssignment::Custom(_) => "custom",
        }
    }

    /// The custom Site Role id, for `custom`.
    pub fn custom_id(&self) -> Option<&CustomRoleId> {
        match self {
            SiteRoleAssignment::Custom(id) => Some(id),
            _ => None,
        }
    }

    /// The custom Site Role id as sent, for `custom`.
    pub(crate) fn custom_id_str(&self) -> Option<&str> {
        self.custom_id().map(CustomRoleId::as_str)
    }

    /// True for the roles a collaborator client may get (`marketer`, `content_editor`,
    /// `reviewer`, `custom`; a custom role must also be client-eligible, which only Webflow
    /// can check).
    pub fn is_client_eligible(&self) -> bool {
        !matches!(
            self,
            SiteRoleAssignment::SiteManager | SiteRoleAssignment::Designer
        )
    }
}

impl fmt::Display for SiteRoleAssignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteRoleAssignment::Custom(id) => write!(f, "custom({id})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// The seven (workspace role, default site role) pairs Webflow accepts, and nothing else
/// (docs/vendors/webflow-workspace.md#trap-role-pairs). A workspace role with one pair
/// (`admin`, `reviewer`) implies its site role; `member` needs one named.
pub const PAIRINGS: [(&str, &str); 7] = [
    ("admin", "site_manager"),
    ("member", "site_manager"),
    ("member", "designer"),
    ("member", "marketer"),
    ("member", "content_editor"),
    ("member", "custom"),
    ("reviewer", "reviewer"),
];

/// A workspace role with its default site role: one of the seven [`PAIRINGS`], checked when
/// it is built. Used by invite, update and bulk update.
///
/// ```
/// use invite_webflow::workspace::{RoleAssignment, SiteRoleAssignment};
/// let r = RoleAssignment::parse("role", "member", "default_site_role", Some("designer"), None)?;
/// assert_eq!(r, RoleAssignment::member(SiteRoleAssignment::Designer)?);
/// assert_eq!(r.to_string(), "member/designer");
/// assert!(RoleAssignment::parse("role", "reviewer", "default_site_role", Some("designer"), None).is_err());
/// assert!(RoleAssignment::member(SiteRoleAssignment::Reviewer).is_err());
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleAssignment {
    workspace_role: &'static str,
    site_role: SiteRoleAssignment,
}

impl RoleAssignment {
    /// `admin` / `site_manager`.
    pub const ADMIN: RoleAssignment = RoleAssignment {
        workspace_role: "admin",
        site_role: SiteRoleAssignment::SiteManager,
    };
    /// `reviewer` / `reviewer` (needs Workspace seats).
    pub const REVIEWER: RoleAssignment = RoleAssignment {
        workspace_role: "reviewer",
        site_role: SiteRoleAssignment::Reviewer,
    };

    /// `member` with a default site role it may have.
    pub fn member(site_role: SiteRoleAssignment) -> Result<Self> {
        Self::pair("role", "member", "default_site_role", site_role)
    }

    /// Parses a workspace role and default site role (and the custom id) into one of the
    /// seven pairs. `role_field` / `site_field` name the inputs in errors (`{site_field}_id`
    /// for the custom id).
    pub fn parse(
        role_field: &str,
        workspace_role: &str,
        site_field: &str,
        default_site_role: Option<&str>,
        default_site_role_id: Option<&str>,
    ) -> Result<Self> {
        let id_field = format!("{site_field}_id");
        let ws = workspace_role.trim();
        let site = match default_site_role.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => SiteRoleAssignment::parse(site_field, s, &id_field, default_site_role_id)?,
            None if default_site_role_id.is_some_and(|s| !s.trim().is_empty()) => {
                return Err(Error::invalid_input(
                    id_field,
                    "is only accepted with the `custom` site role",
                ));
            }
            None => match Self::allowed(ws).as_slice() {
                [] => return Err(not_assignable(role_field, ws)),
                [only] => SiteRoleAssignment::parse(site_field, only, &id_field, None)?,
                several => {
                    return Err(Error::invalid_input(
                        site_field,
                        format!(
                            "is required with workspace role `{ws}` ({})",
                            several.join(", ")
                        ),
                    ));
                }
            },
        };
        Self::pair(role_field, ws, site_field, site)
    }

    /// The site roles `workspace_role` pairs with.
    fn allowed(workspace_role: &str) -> Vec<&'static str> {
        PAIRINGS
            .iter()
            .filter(|(w, _)| *w == workspace_role)
            .map(|(_, s)| *s)
            .collect()
    }

    pub(crate) fn pair(
        role_field: &str,
        workspace_role: &str,
        site_field: &str,
        site_role: SiteRoleAssignment,
    ) -> Result<Self> {
        match PAIRINGS
            .iter()
            .find(|(w, s)| *w == workspace_role && *s == site_role.as_str())
        {
            Some((ws, _)) => Ok(Self {
                workspace_role: ws,
                site_role,
            }),
            None if Self::allowed(workspace_role).is_empty() => {
                Err(not_assignable(role_field, workspace_role))
            }
            None => Err(Error::invalid_input(
                site_field,
                format!(
                    "`{workspace_role}` cannot be paired with site role `{}`; valid pairs: {}",
                    site_role.as_str(),
                    PAIRINGS.map(|(w, s)| format!("{w}/{s}")).join(", ")
                ),
            )),
        }
    }

    /// The workspace role sent (`workspaceRole` / `role`).
    pub fn workspace_role(&self) -> &'static str {
        self.workspace_role
    }

    /// The default site role sent (`defaultSiteRole`, plus its id for custom).
    pub fn site_role(&self) -> &SiteRoleAssignment {
        &self.site_role
    }
}

fn not_assignable(field: &str, workspace_role: &str) -> Error {
    let reason = match workspace_role {
        "client" => "`client` takes no default site role: invite a client with exactly one site grant (ClientInvite)".to_owned(),
        "owner" | "guest" => format!("`{workspace_role}` can be read but not assigned"),
        other => format!(
            "`{other}` is not a workspace role a request may set (admin, member, reviewer, client)"
        ),
    };
    Error::invalid_input(field, reason)
}

impl fmt::Display for RoleAssignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.workspace_role, self.site_role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_from_strings_and_refuse_what_string_does() {
        use serde_json::json;
        assert_eq!(
            WorkspaceRole::deserialize(&json!("admin")).unwrap(),
            WorkspaceRole::Admin
        );
        assert_eq!(
            SiteRole::deserialize(&json!("chief")).unwrap(),
            SiteRole::Unknown("chief".into())
        );
        let r: SiteRole = serde_json::from_str(r#""content_editor""#).unwrap();
        assert_eq!(r, SiteRole::ContentEditor);
        for v in [
            json!(5),
            json!(null),
            json!(["admin"]),
            json!({"role": "admin"}),
        ] {
            assert_eq!(
                WorkspaceRole::deserialize(&v).unwrap_err().to_string(),
                String::deserialize(&v).unwrap_err().to_string(),
                "{v}"
            );
        }
    }

    #[test]
    fn seven_pairs_and_nothing_else() {
        for (w, s) in PAIRINGS {
            let id = (s == "custom").then_some("abc");
            let r = RoleAssignment::parse("r", w, "s", Some(s), id).unwrap();
            assert_eq!((r.workspace_role(), r.site_role().as_str()), (w, s));
        }
        let mut bad = 0;
        for w in ["admin", "member", "reviewer"] {
            for (s, _) in PLAIN_SITE_ROLES {
                if !PAIRINGS.contains(&(w, s)) {
                    let e = RoleAssignment::parse("r", w, "s", Some(s), None).unwrap_err();
                    assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "s"));
                    bad += 1;
                }
            }
        }
        assert_eq!(bad, 15 - 6);
        // Implied site roles; member needs one.
        assert_eq!(
            RoleAssignment::parse("r", "admin", "s", None, None).unwrap(),
            RoleAssignment::ADMIN
        );
        assert_eq!(
            RoleAssignment::parse("r", " reviewer ", "s", None, None).unwrap(),
            RoleAssignment::REVIEWER
        );
        for (w, s, id, field) in [
            ("member", None, None, "s"),
            ("member", Some("custom"), None, "s_id"),
            ("member", Some("designer"), Some("x"), "s_id"),
            ("member", None, Some("x"), "s_id"),
            ("owner", None, None, "r"),
            ("client", None, None, "r"),
            ("boss", Some("designer"), None, "r"),
            ("member", Some("viewer"), None, "s"),
        ] {
            let e = RoleAssignment::parse("r", w, "s", s, id).unwrap_err();
            assert!(
                matches!(e, Error::InvalidInput { field: ref f, .. } if f == field),
                "{w}/{s:?}/{id:?}: {e:?}"
            );
        }
    }

    #[test]
    fn read_enums_keep_unknown() {
        assert_eq!(WorkspaceRole::from_wire("guest"), WorkspaceRole::Guest);
        assert_eq!(WorkspaceRole::from_wire("boss").as_str(), "boss");
        let s: SiteRole = serde_json::from_str("\"branch_designer\"").unwrap();
        assert_eq!(s, SiteRole::BranchDesigner);
    }
}
