//! Workspace and site roles: wide, lenient enums for what Webflow sends, and narrow types
//! for what a request may carry, so an invalid role pairing cannot be built (contracts 5.5).
//!
//! | type | what it allows |
//! |---|---|
//! | [`WorkspaceRole`], [`SiteRole`] | every value Webflow documents when reading, plus `Unknown(raw)` |
//! | [`SiteRoleAssignment`] | the six site roles a request may set (`custom` with its id) |
//! | [`RoleAssignment`] | the seven workspace/default-site-role pairs |
//! | [`ClientInvite`] | a collaborator client: one site, a client-eligible site role |
//! | [`InviteAccess`] | one of the three invite shapes (all sites, listed sites, client) |
//! | [`InvitePlan`] | an invite shape plus the site grants given after acceptance (**the** rule mapping grants to an invite) |
//!
//! Every string parser returns [`Error::InvalidInput`] naming the field, before any request.

use std::fmt;

use invite_core::{Error, Grant, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::{CustomRoleId, SiteId};

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

const WRITABLE_SITE_ROLES: &str =
    "site_manager, designer, marketer, content_editor, reviewer, custom";

impl SiteRoleAssignment {
    /// Parses a site role and the custom role id that must come with `custom` (and only
    /// with it). `field` and `id_field` name the inputs in errors.
    pub fn parse(field: &str, role: &str, id_field: &str, id: Option<&str>) -> Result<Self> {
        let id = id.map(str::trim).filter(|s| !s.is_empty());
        let role = role.trim();
        let out = match role {
            "site_manager" => SiteRoleAssignment::SiteManager,
            "designer" => SiteRoleAssignment::Designer,
            "marketer" => SiteRoleAssignment::Marketer,
            "content_editor" => SiteRoleAssignment::ContentEditor,
            "reviewer" => SiteRoleAssignment::Reviewer,
            "custom" => {
                let id = id.ok_or_else(|| {
                    Error::invalid_input(id_field, "is required with the `custom` site role")
                })?;
                return Ok(SiteRoleAssignment::Custom(CustomRoleId::parse_field(
                    id_field, id,
                )?));
            }
            other => {
                return Err(Error::invalid_input(
                    field,
                    format!(
                        "`{other}` is not a site role a request may set ({WRITABLE_SITE_ROLES})"
                    ),
                ));
            }
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

    /// True for the roles a collaborator client may get (`marketer`, `content_editor`,
    /// `reviewer`, `custom`; a custom role must also be client-eligible, which only Webflow
    /// can check).
    pub fn is_client_eligible(&self) -> bool {
        matches!(
            self,
            SiteRoleAssignment::Marketer
                | SiteRoleAssignment::ContentEditor
                | SiteRoleAssignment::Reviewer
                | SiteRoleAssignment::Custom(_)
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

/// The default site role of a `member` (the five pairings `member` allows).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MemberSiteRole {
    /// Dashboard label "Site manager".
    SiteManager,
    /// "Designer".
    Designer,
    /// "Marketer".
    Marketer,
    /// "Content editor".
    ContentEditor,
    /// A custom Site Role.
    Custom(CustomRoleId),
}

/// A workspace role with its default site role: exactly the seven pairs Webflow accepts
/// (contracts 5.5). Used by invite, update and bulk update.
///
/// ```
/// use invite_webflow::workspace::{MemberSiteRole, RoleAssignment};
/// let r = RoleAssignment::parse("role", "member", "default_site_role", Some("designer"), None)?;
/// assert_eq!(r, RoleAssignment::Member(MemberSiteRole::Designer));
/// assert!(RoleAssignment::parse("role", "reviewer", "default_site_role", Some("designer"), None).is_err());
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoleAssignment {
    /// `admin` / `site_manager`.
    Admin,
    /// `member` with one of five default site roles.
    Member(MemberSiteRole),
    /// `reviewer` / `reviewer` (needs Workspace seats).
    Reviewer,
}

impl RoleAssignment {
    /// Parses a workspace role and default site role (and the custom id) into one of the
    /// seven pairs. `admin` and `reviewer` may omit the site role (it is implied); `member`
    /// needs it. `role_field` / `site_field` name the inputs in errors (`{site_field}_id` for
    /// the custom id).
    pub fn parse(
        role_field: &str,
        workspace_role: &str,
        site_field: &str,
        default_site_role: Option<&str>,
        default_site_role_id: Option<&str>,
    ) -> Result<Self> {
        let id_field = format!("{site_field}_id");
        let site = default_site_role
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| SiteRoleAssignment::parse(site_field, s, &id_field, default_site_role_id))
            .transpose()?;
        if site.is_none()
            && default_site_role_id
                .map(str::trim)
                .is_some_and(|s| !s.is_empty())
        {
            return Err(Error::invalid_input(
                id_field,
                "is only accepted with the `custom` site role",
            ));
        }
        let pair_error = |ws: &str, site: &SiteRoleAssignment| {
            Error::invalid_input(
                site_field,
                format!(
                    "`{ws}` cannot be paired with site role `{}`; valid pairs: admin/site_manager, member/(site_manager|designer|marketer|content_editor|custom), reviewer/reviewer",
                    site.as_str()
                ),
            )
        };
        match workspace_role.trim() {
            "admin" => match site {
                None | Some(SiteRoleAssignment::SiteManager) => Ok(RoleAssignment::Admin),
                Some(s) => Err(pair_error("admin", &s)),
            },
            "reviewer" => match site {
                None | Some(SiteRoleAssignment::Reviewer) => Ok(RoleAssignment::Reviewer),
                Some(s) => Err(pair_error("reviewer", &s)),
            },
            "member" => match site {
                None => Err(Error::invalid_input(
                    site_field,
                    "is required with workspace role `member` (site_manager, designer, marketer, content_editor or custom)",
                )),
                Some(SiteRoleAssignment::SiteManager) => {
                    Ok(RoleAssignment::Member(MemberSiteRole::SiteManager))
                }
                Some(SiteRoleAssignment::Designer) => {
                    Ok(RoleAssignment::Member(MemberSiteRole::Designer))
                }
                Some(SiteRoleAssignment::Marketer) => {
                    Ok(RoleAssignment::Member(MemberSiteRole::Marketer))
                }
                Some(SiteRoleAssignment::ContentEditor) => {
                    Ok(RoleAssignment::Member(MemberSiteRole::ContentEditor))
                }
                Some(SiteRoleAssignment::Custom(id)) => {
                    Ok(RoleAssignment::Member(MemberSiteRole::Custom(id)))
                }
                Some(s @ SiteRoleAssignment::Reviewer) => Err(pair_error("member", &s)),
            },
            "client" => Err(Error::invalid_input(
                role_field,
                "`client` takes no default site role: invite a client with exactly one site grant (ClientInvite)",
            )),
            "owner" | "guest" => Err(Error::invalid_input(
                role_field,
                format!("`{}` can be read but not assigned", workspace_role.trim()),
            )),
            other => Err(Error::invalid_input(
                role_field,
                format!(
                    "`{other}` is not a workspace role a request may set (admin, member, reviewer, client)"
                ),
            )),
        }
    }

    /// Reads a [`Grant::WebflowWorkspaceRole`]; `field` prefixes the field names in errors
    /// (e.g. `grants[0]`).
    pub fn from_grant(field: &str, grant: &Grant) -> Result<Self> {
        match grant {
            Grant::WebflowWorkspaceRole {
                workspace_role,
                default_site_role,
                default_site_role_id,
            } => Self::parse(
                &format!("{field}.workspace_role"),
                workspace_role,
                &format!("{field}.default_site_role"),
                default_site_role.as_deref(),
                default_site_role_id.as_deref(),
            ),
            other => Err(Error::invalid_input(
                field,
                format!(
                    "expected a webflow workspace role grant, got {}",
                    other.kind()
                ),
            )),
        }
    }

    /// The workspace role sent (`workspaceRole` / `role`).
    pub fn workspace_role(&self) -> &'static str {
        match self {
            RoleAssignment::Admin => "admin",
            RoleAssignment::Member(_) => "member",
            RoleAssignment::Reviewer => "reviewer",
        }
    }

    /// The default site role sent (`defaultSiteRole`, plus its id for custom).
    pub fn site_role(&self) -> SiteRoleAssignment {
        match self {
            RoleAssignment::Admin => SiteRoleAssignment::SiteManager,
            RoleAssignment::Reviewer => SiteRoleAssignment::Reviewer,
            RoleAssignment::Member(m) => match m {
                MemberSiteRole::SiteManager => SiteRoleAssignment::SiteManager,
                MemberSiteRole::Designer => SiteRoleAssignment::Designer,
                MemberSiteRole::Marketer => SiteRoleAssignment::Marketer,
                MemberSiteRole::ContentEditor => SiteRoleAssignment::ContentEditor,
                MemberSiteRole::Custom(id) => SiteRoleAssignment::Custom(id.clone()),
            },
        }
    }

    /// The pair as a normalized grant.
    pub fn to_grant(&self) -> Grant {
        let site = self.site_role();
        Grant::WebflowWorkspaceRole {
            workspace_role: self.workspace_role().to_owned(),
            default_site_role: Some(site.as_str().to_owned()),
            default_site_role_id: site.custom_id().map(|id| id.as_str().to_owned()),
        }
    }
}

impl fmt::Display for RoleAssignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.workspace_role(), self.site_role())
    }
}

/// Access to one site with one site role.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SiteAccessEntry {
    /// The site.
    pub site_id: SiteId,
    /// The role on that site.
    pub role: SiteRoleAssignment,
}

impl SiteAccessEntry {
    /// A site access entry.
    pub fn new(site_id: SiteId, role: SiteRoleAssignment) -> Self {
        Self { site_id, role }
    }

    /// Reads a [`Grant::WebflowSiteAccess`]; `field` prefixes the field names in errors.
    pub fn from_grant(field: &str, grant: &Grant) -> Result<Self> {
        match grant {
            Grant::WebflowSiteAccess {
                site_id,
                site_role,
                site_role_id,
            } => Ok(Self {
                site_id: SiteId::parse_field(&format!("{field}.site_id"), site_id)?,
                role: SiteRoleAssignment::parse(
                    &format!("{field}.site_role"),
                    site_role,
                    &format!("{field}.site_role_id"),
                    site_role_id.as_deref(),
                )?,
            }),
            other => Err(Error::invalid_input(
                field,
                format!("expected a webflow site access grant, got {}", other.kind()),
            )),
        }
    }

    /// The entry as a normalized grant.
    pub fn to_grant(&self) -> Grant {
        Grant::WebflowSiteAccess {
            site_id: self.site_id.as_str().to_owned(),
            site_role: self.role.as_str().to_owned(),
            site_role_id: self.role.custom_id().map(|id| id.as_str().to_owned()),
        }
    }

    /// Parses `SITE_ID=ROLE` (`ROLE` may be `custom:<id>`, or `custom` with `default_custom`
    /// supplying the id), as in `WEBFLOW_SITE_GRANTS`.
    pub fn parse_pair(field: &str, pair: &str, default_custom: Option<&str>) -> Result<Self> {
        let (site, role) = pair.split_once('=').ok_or_else(|| {
            Error::invalid_input(field, format!("expected SITE_ID=ROLE, got {pair:?}"))
        })?;
        let (role, id) = match role.trim().split_once(':') {
            Some((r, id)) => (r, Some(id)),
            None => (role.trim(), default_custom),
        };
        let id = if role == "custom" { id } else { None };
        Ok(Self {
            site_id: SiteId::parse_field(field, site.trim())?,
            role: SiteRoleAssignment::parse(field, role, field, id)?,
        })
    }
}

/// A collaborator-client invite: exactly one site, with a client-eligible site role
/// (`marketer`, `content_editor`, `reviewer`, `custom`). To give a client another site,
/// invite again with that site (Webflow extends the pending client invite).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientInvite {
    site: SiteAccessEntry,
}

impl ClientInvite {
    /// A client invite for one site; refuses roles a client may not have.
    pub fn new(site: SiteAccessEntry) -> Result<Self> {
        if !site.role.is_client_eligible() {
            return Err(Error::invalid_input(
                "site_role",
                format!(
                    "a collaborator client may be marketer, content_editor, reviewer or custom, not {}",
                    site.role.as_str()
                ),
            ));
        }
        Ok(Self { site })
    }

    /// The one site.
    pub fn site(&self) -> &SiteAccessEntry {
        &self.site
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    AllSites(RoleAssignment),
    Sites(RoleAssignment, Vec<SiteId>),
    Client(ClientInvite),
}

/// What a workspace invite grants: one of the three body shapes of
/// `POST /workspaces/{id}/members` (contracts 5.3). `defaultSiteRole` and `siteAccess` never
/// appear together, an admin invite never lists sites, listed sites share one site role,
/// and a client invite names exactly one site. Built from grants by [`InvitePlan`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InviteAccess(pub(crate) Shape);

impl InviteAccess {
    /// Workspace-wide: `workspaceRole` + `defaultSiteRole` (every site).
    pub fn all_sites(role: RoleAssignment) -> Self {
        InviteAccess(Shape::AllSites(role))
    }

    /// Specific sites: `workspaceRole` + `siteAccess` with the pair's site role on each site.
    /// Refused for `admin` (admins open every site) and for an empty list.
    pub fn sites(role: RoleAssignment, sites: impl IntoIterator<Item = SiteId>) -> Result<Self> {
        if role == RoleAssignment::Admin {
            return Err(admin_with_sites());
        }
        let mut out: Vec<SiteId> = Vec::new();
        for s in sites {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        if out.is_empty() {
            return Err(Error::invalid_input("site_access", "lists no site"));
        }
        Ok(InviteAccess(Shape::Sites(role, out)))
    }

    /// A collaborator client on one site.
    pub fn client(client: ClientInvite) -> Self {
        InviteAccess(Shape::Client(client))
    }

    /// Builds the shape from normalized grants when one invite body can carry all of them
    /// (see [`InvitePlan::from_grants`] for the rule). Grants the body cannot carry (a
    /// default site role plus site grants with another role) are refused here, because an
    /// `InviteAccess` has nowhere to keep them: use [`InvitePlan::from_grants`], which defers
    /// them, as [`super::WebflowWorkspace`]'s `invite` does.
    pub fn from_grants(grants: &[Grant], fallback_role: Option<&str>) -> Result<Self> {
        let plan = InvitePlan::from_grants(grants, fallback_role)?;
        if let Some(first) = plan.deferred.first() {
            return Err(Error::invalid_input(
                format!("grants (site {})", first.site_id),
                format!(
                    "one invite body cannot carry site {} as {} next to the default site role {}: build an InvitePlan (it defers that grant until the invite is accepted)",
                    first.site_id,
                    first.role,
                    plan.access
                        .default_site_role()
                        .map(|r| r.to_string())
                        .unwrap_or_default()
                ),
            ));
        }
        Ok(plan.access)
    }

    /// The default site role of an all-sites invite.
    fn default_site_role(&self) -> Option<SiteRoleAssignment> {
        match &self.0 {
            Shape::AllSites(r) => Some(r.site_role()),
            _ => None,
        }
    }

    /// The workspace role this invite gives.
    pub fn workspace_role(&self) -> &'static str {
        match &self.0 {
            Shape::AllSites(r) | Shape::Sites(r, _) => r.workspace_role(),
            Shape::Client(_) => "client",
        }
    }

    /// The grants this invite gives, normalized.
    pub fn grants(&self) -> Vec<Grant> {
        match &self.0 {
            Shape::AllSites(r) => vec![r.to_grant()],
            Shape::Sites(r, sites) => {
                let site = r.site_role();
                let mut out = vec![Grant::WebflowWorkspaceRole {
                    workspace_role: r.workspace_role().to_owned(),
                    default_site_role: None,
                    default_site_role_id: None,
                }];
                out.extend(
                    sites
                        .iter()
                        .map(|s| SiteAccessEntry::new(s.clone(), site.clone()).to_grant()),
                );
                out
            }
            Shape::Client(c) => vec![
                Grant::WebflowWorkspaceRole {
                    workspace_role: "client".to_owned(),
                    default_site_role: None,
                    default_site_role_id: None,
                },
                c.site().to_grant(),
            ],
        }
    }
}

/// What one workspace invitation becomes: the invite body ([`InviteAccess`]) and the site
/// grants that body cannot carry, which are given once the invitee is a member.
///
/// # The rule (the one place it is decided)
/// Webflow stores **one** site role per pending invite — `defaultSiteRole` for every site, or
/// `siteAccess` entries that all share one role (contracts 5.3) — and grants site access to
/// members only. From at most one [`Grant::WebflowWorkspaceRole`] and any number of
/// [`Grant::WebflowSiteAccess`] (other kinds are ignored; `fallback_role` is the workspace
/// role when no role grant is given, from `WEBFLOW_WORKSPACE_ROLE`):
///
/// | grants | invite body | deferred |
/// |---|---|---|
/// | role with a default site role, no site grant | `defaultSiteRole` (all sites) | none |
/// | `member`/`reviewer` without a default site role, site grants sharing one role (which pairs with the workspace role) | `siteAccess` with those sites | none |
/// | role with a default site role, every site grant with that same role | `siteAccess` with those sites (as without the default) | none |
/// | role with a default site role, some site grant with **another** role | `defaultSiteRole` (all sites) | the site grants with another role |
/// | `client` plus exactly one site grant with a client role | the client shape | none |
///
/// In the fourth row the site grants sharing the default role are covered by the default
/// role on every site; they are kept in [`InvitePlan::grants`] but neither sent nor deferred.
/// Everything else is refused before any request: an invalid workspace/site role pairing,
/// site grants of mixed roles without a default site role, one site granted twice with
/// different roles, an `admin` with any site grant (admins open every site as
/// `site_manager`), and every client rule.
///
/// ```
/// use invite_core::Grant;
/// use invite_webflow::workspace::InvitePlan;
/// let site = "62fa5e47f6b8256f4641c5bd";
/// let plan = InvitePlan::from_grants(
///     &[
///         Grant::WebflowWorkspaceRole {
///             workspace_role: "member".into(),
///             default_site_role: Some("designer".into()),
///             default_site_role_id: None,
///         },
///         Grant::WebflowSiteAccess {
///             site_id: site.into(),
///             site_role: "content_editor".into(),
///             site_role_id: None,
///         },
///     ],
///     None,
/// )?;
/// assert_eq!(plan.access().workspace_role(), "member");
/// assert_eq!(plan.deferred().len(), 1);
/// assert_eq!(plan.deferred()[0].site_id.as_str(), site);
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InvitePlan {
    access: InviteAccess,
    covered: Vec<SiteAccessEntry>,
    deferred: Vec<SiteAccessEntry>,
}

impl From<InviteAccess> for InvitePlan {
    fn from(access: InviteAccess) -> Self {
        Self {
            access,
            covered: Vec::new(),
            deferred: Vec::new(),
        }
    }
}

impl InvitePlan {
    /// Applies the rule above to normalized grants.
    pub fn from_grants(grants: &[Grant], fallback_role: Option<&str>) -> Result<Self> {
        let mut role_grant: Option<(usize, &Grant)> = None;
        let mut sites: Vec<SiteAccessEntry> = Vec::new();
        for (i, g) in grants.iter().enumerate() {
            match g {
                Grant::WebflowWorkspaceRole { .. } => {
                    if role_grant.is_some() {
                        return Err(Error::invalid_input(
                            format!("grants[{i}]"),
                            "an invite takes one webflow workspace role",
                        ));
                    }
                    role_grant = Some((i, g));
                }
                Grant::WebflowSiteAccess { .. } => {
                    let entry = SiteAccessEntry::from_grant(&format!("grants[{i}]"), g)?;
                    if let Some(prev) = sites.iter().find(|e| e.site_id == entry.site_id) {
                        if prev.role != entry.role {
                            return Err(Error::invalid_input(
                                format!("grants[{i}].site_id"),
                                format!(
                                    "site {} is granted twice with different roles",
                                    entry.site_id
                                ),
                            ));
                        }
                        continue;
                    }
                    sites.push(entry);
                }
                _ => {}
            }
        }
        let (role_field, ws_role, site_role, site_role_id) = match role_grant {
            Some((
                i,
                Grant::WebflowWorkspaceRole {
                    workspace_role,
                    default_site_role,
                    default_site_role_id,
                },
            )) => (
                format!("grants[{i}]"),
                workspace_role.as_str(),
                default_site_role.as_deref(),
                default_site_role_id.as_deref(),
            ),
            _ => match fallback_role {
                Some(r) => ("WEBFLOW_WORKSPACE_ROLE".to_owned(), r, None, None),
                None => {
                    return Err(Error::invalid_input(
                        "grants",
                        "no webflow workspace role: add Grant::WebflowWorkspaceRole or set WEBFLOW_WORKSPACE_ROLE",
                    ));
                }
            },
        };
        let ws_field = if role_grant.is_some() {
            format!("{role_field}.workspace_role")
        } else {
            role_field.clone()
        };
        let site_field = format!("{role_field}.default_site_role");
        if ws_role.trim() == "client" {
            if site_role.is_some() || site_role_id.is_some() {
                return Err(Error::invalid_input(
                    site_field,
                    "a client invite takes no default site role: give exactly one site grant",
                ));
            }
            let mut it = sites.into_iter();
            return match (it.next(), it.next()) {
                (Some(site), None) => Ok(InviteAccess::client(ClientInvite::new(site).map_err(
                    |e| match e {
                        Error::InvalidInput { reason, .. } => {
                            Error::invalid_input("grants.site_role", reason)
                        }
                        other => other,
                    },
                )?)
                .into()),
                _ => Err(Error::invalid_input(
                    "grants",
                    "a client invite takes exactly one webflow site access grant",
                )),
            };
        }
        if sites.is_empty() {
            let role =
                RoleAssignment::parse(&ws_field, ws_role, &site_field, site_role, site_role_id)?;
            return Ok(InviteAccess::all_sites(role).into());
        }
        if let Some(given) = site_role.map(str::trim).filter(|s| !s.is_empty()) {
            let given = SiteRoleAssignment::parse(
                &site_field,
                given,
                &format!("{site_field}_id"),
                site_role_id,
            )?;
            if sites.iter().any(|e| e.role != given) {
                // Row four: the default role on every site now, the other roles later.
                let role = RoleAssignment::parse(
                    &ws_field,
                    ws_role,
                    &site_field,
                    Some(given.as_str()),
                    given.custom_id().map(CustomRoleId::as_str),
                )?;
                if role == RoleAssignment::Admin {
                    return Err(admin_with_sites());
                }
                let (covered, deferred) = sites.into_iter().partition(|e| e.role == given);
                return Ok(Self {
                    access: InviteAccess::all_sites(role),
                    covered,
                    deferred,
                });
            }
        }
        // Site grants in the body: they must share one site role, which pairs with the
        // workspace role.
        let shared = sites.first().map(|e| e.role.clone());
        if let Some(shared) = &shared
            && let Some((i, e)) = sites.iter().enumerate().find(|(_, e)| &e.role != shared)
        {
            return Err(Error::invalid_input(
                format!("grants (site {})", e.site_id),
                format!(
                    "site grants of one invite must share one site role (a pending invite stores one); site #{i} has {} but the first has {shared}. Give a default site role (the other roles are then granted after acceptance), or invite with one role",
                    e.role
                ),
            ));
        }
        let shared = shared.unwrap_or(SiteRoleAssignment::SiteManager);
        let role = RoleAssignment::parse(
            &ws_field,
            ws_role,
            &site_field,
            Some(shared.as_str()),
            shared.custom_id().map(CustomRoleId::as_str),
        )?;
        Ok(InviteAccess::sites(role, sites.into_iter().map(|e| e.site_id))?.into())
    }

    /// The invite body.
    pub fn access(&self) -> &InviteAccess {
        &self.access
    }

    /// The site grants the body cannot carry: given once the invitee is a member.
    pub fn deferred(&self) -> &[SiteAccessEntry] {
        &self.deferred
    }

    /// [`Self::deferred`] as normalized grants (an invite receipt's `deferred_grants`).
    pub fn deferred_grants(&self) -> Vec<Grant> {
        self.deferred
            .iter()
            .map(SiteAccessEntry::to_grant)
            .collect()
    }

    /// Every site grant the plan names for a workspace member (listed sites, covered and
    /// deferred ones); none for a client invite, whose site comes with the invite only.
    pub fn site_entries(&self) -> Vec<SiteAccessEntry> {
        let mut out = match &self.access.0 {
            Shape::Sites(r, sites) => sites
                .iter()
                .map(|s| SiteAccessEntry::new(s.clone(), r.site_role()))
                .collect(),
            Shape::AllSites(_) | Shape::Client(_) => Vec::new(),
        };
        out.extend(self.covered.iter().cloned());
        out.extend(self.deferred.iter().cloned());
        out
    }

    /// Every grant of the plan, normalized: the body's, then the covered and deferred site
    /// grants. [`Self::from_grants`] of these gives the same plan.
    pub fn grants(&self) -> Vec<Grant> {
        let mut out = self.access.grants();
        out.extend(self.covered.iter().map(SiteAccessEntry::to_grant));
        out.extend(self.deferred.iter().map(SiteAccessEntry::to_grant));
        out
    }
}

fn admin_with_sites() -> Error {
    Error::invalid_input(
        "site_access",
        "an admin has access to every site: an admin invite cannot list sites",
    )
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

    fn ws(role: &str, site: Option<&str>) -> Grant {
        Grant::WebflowWorkspaceRole {
            workspace_role: role.into(),
            default_site_role: site.map(Into::into),
            default_site_role_id: None,
        }
    }
    fn sa(site: &str, role: &str) -> Grant {
        Grant::WebflowSiteAccess {
            site_id: site.into(),
            site_role: role.into(),
            site_role_id: None,
        }
    }

    #[test]
    fn seven_pairs_and_nothing_else() {
        let ok = [
            ("admin", "site_manager"),
            ("member", "site_manager"),
            ("member", "designer"),
            ("member", "marketer"),
            ("member", "content_editor"),
            ("reviewer", "reviewer"),
        ];
        for (w, s) in ok {
            assert!(
                RoleAssignment::parse("r", w, "s", Some(s), None).is_ok(),
                "{w}/{s}"
            );
        }
        assert!(RoleAssignment::parse("r", "member", "s", Some("custom"), Some("abc")).is_ok());
        let sites = [
            "site_manager",
            "designer",
            "marketer",
            "content_editor",
            "reviewer",
        ];
        let mut bad = 0;
        for w in ["admin", "member", "reviewer"] {
            for s in sites {
                if !ok.contains(&(w, s)) {
                    let e = RoleAssignment::parse("r", w, "s", Some(s), None).unwrap_err();
                    assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "s"));
                    bad += 1;
                }
            }
        }
        assert_eq!(bad, 15 - 6);
        assert!(RoleAssignment::parse("r", "member", "s", Some("custom"), None).is_err());
        assert!(RoleAssignment::parse("r", "member", "s", Some("designer"), Some("x")).is_err());
        assert!(RoleAssignment::parse("r", "owner", "s", None, None).is_err());
        assert!(RoleAssignment::parse("r", "client", "s", None, None).is_err());
        assert!(RoleAssignment::parse("r", "member", "s", Some("viewer"), None).is_err());
    }

    #[test]
    fn invite_shapes_from_grants() {
        let a = InviteAccess::from_grants(&[ws("member", Some("designer"))], None).unwrap();
        assert_eq!(
            a.0,
            Shape::AllSites(RoleAssignment::Member(MemberSiteRole::Designer))
        );
        let b = InviteAccess::from_grants(
            &[
                ws("member", None),
                sa("s1", "content_editor"),
                sa("s2", "content_editor"),
            ],
            None,
        )
        .unwrap();
        assert!(
            matches!(b.0, Shape::Sites(RoleAssignment::Member(MemberSiteRole::ContentEditor), ref s) if s.len() == 2)
        );
        // Mixed roles, admin with sites, default + other site role: refused.
        assert!(
            InviteAccess::from_grants(
                &[
                    ws("member", None),
                    sa("s1", "designer"),
                    sa("s2", "marketer")
                ],
                None
            )
            .is_err()
        );
        assert!(
            InviteAccess::from_grants(&[ws("admin", None), sa("s1", "site_manager")], None)
                .is_err()
        );
        // A default site role plus another site role: one body cannot carry it.
        let e = InviteAccess::from_grants(
            &[ws("member", Some("designer")), sa("s1", "content_editor")],
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("InvitePlan"), "{e}");
        // Client: exactly one site, eligible role.
        assert!(
            InviteAccess::from_grants(&[ws("client", None), sa("s1", "content_editor")], None)
                .is_ok()
        );
        assert!(
            InviteAccess::from_grants(&[ws("client", None), sa("s1", "designer")], None).is_err()
        );
        assert!(InviteAccess::from_grants(&[ws("client", None)], None).is_err());
        assert!(
            InviteAccess::from_grants(
                &[
                    ws("client", None),
                    sa("s1", "marketer"),
                    sa("s2", "marketer")
                ],
                None
            )
            .is_err()
        );
        // Fallback role.
        assert!(InviteAccess::from_grants(&[sa("s1", "reviewer")], Some("reviewer")).is_ok());
        assert!(InviteAccess::from_grants(&[], None).is_err());
        // Hostile site ids.
        let e = InviteAccess::from_grants(&[ws("member", None), sa("../x", "designer")], None)
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput { ref field, .. } if field == "grants[1].site_id"),
            "{e:?}"
        );
    }

    #[test]
    fn plan_defers_site_roles_a_pending_invite_cannot_store() {
        let s1 = "62fa5e47f6b8256f4641c5bd";
        let s2 = "62fa5e47f6b8256f4641c5be";
        let s3 = "62fa5e47f6b8256f4641c5bf";
        // Default designer; s1 designer is covered, s2 and s3 wait for acceptance.
        let grants = [
            ws("member", Some("designer")),
            sa(s1, "designer"),
            sa(s2, "content_editor"),
            sa(s3, "marketer"),
        ];
        let p = InvitePlan::from_grants(&grants, None).unwrap();
        assert_eq!(
            p.access().0,
            Shape::AllSites(RoleAssignment::Member(MemberSiteRole::Designer))
        );
        assert_eq!(
            p.deferred_grants(),
            vec![sa(s2, "content_editor"), sa(s3, "marketer")]
        );
        assert_eq!(p.site_entries().len(), 3, "covered and deferred sites");
        // Normalized grants give the same plan again.
        assert_eq!(InvitePlan::from_grants(&p.grants(), None).unwrap(), p);
        // Every site with the default role: listed sites, as before; nothing deferred.
        let p =
            InvitePlan::from_grants(&[ws("member", Some("designer")), sa(s1, "designer")], None)
                .unwrap();
        assert!(matches!(p.access().0, Shape::Sites(_, ref s) if s.len() == 1));
        assert!(p.deferred().is_empty());
        assert_eq!(
            InviteAccess::from_grants(&p.grants(), None).unwrap(),
            p.access().clone()
        );
        // Reviewer/reviewer everywhere, one site as content_editor later.
        let p = InvitePlan::from_grants(
            &[ws("reviewer", Some("reviewer")), sa(s1, "content_editor")],
            None,
        )
        .unwrap();
        assert_eq!(p.access().0, Shape::AllSites(RoleAssignment::Reviewer));
        assert_eq!(p.deferred().len(), 1);
        // Every other rule still holds.
        for (grants, field) in [
            (
                vec![ws("admin", Some("site_manager")), sa(s1, "content_editor")],
                "site_access",
            ),
            (
                vec![ws("reviewer", Some("designer")), sa(s1, "content_editor")],
                "grants[0].default_site_role",
            ),
            (
                vec![ws("member", None), sa(s1, "designer"), sa(s2, "marketer")],
                "grants (site 62fa5e47f6b8256f4641c5be)",
            ),
            (
                vec![
                    ws("member", Some("designer")),
                    sa(s1, "marketer"),
                    sa(s1, "content_editor"),
                ],
                "grants[2].site_id",
            ),
            (
                vec![ws("client", Some("designer")), sa(s1, "content_editor")],
                "grants[0].default_site_role",
            ),
            (
                vec![ws("member", Some("custom")), sa(s1, "content_editor")],
                "grants[0].default_site_role_id",
            ),
        ] {
            match InvitePlan::from_grants(&grants, None) {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field, "{grants:?}"),
                other => panic!("{grants:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn pairs_parse() {
        let e = SiteAccessEntry::parse_pair("WEBFLOW_SITE_GRANTS", "abc=custom:def", None).unwrap();
        assert_eq!(
            e.role,
            SiteRoleAssignment::Custom(CustomRoleId::new("def").unwrap())
        );
        let e = SiteAccessEntry::parse_pair("X", "abc=custom", Some("r1")).unwrap();
        assert_eq!(e.role.custom_id().unwrap().as_str(), "r1");
        assert!(SiteAccessEntry::parse_pair("X", "abc", None).is_err());
        assert!(SiteAccessEntry::parse_pair("X", "a/b=designer", None).is_err());
    }

    #[test]
    fn read_enums_keep_unknown() {
        assert_eq!(WorkspaceRole::from_wire("guest"), WorkspaceRole::Guest);
        assert_eq!(WorkspaceRole::from_wire("boss").as_str(), "boss");
        let s: SiteRole = serde_json::from_str("\"branch_designer\"").unwrap();
        assert_eq!(s, SiteRole::BranchDesigner);
    }
}
