//! The workspace surface's grants: a workspace role (with its default site role) and access
//! to one site, on the wire exactly as before:
//! `{"kind": "webflow_workspace_role", "workspace_role": "member", "default_site_role": "designer"}`,
//! `{"kind": "webflow_site_access", "site_id": "…", "site_role": "content_editor"}`.
//!
//! [`WorkspaceGrant::from_grant`] checks what one grant can say before any request: a
//! workspace role a request may set, a default site role it pairs with ([`PAIRINGS`]), a
//! valid site id and site role. What depends on the other grants of an invitation (a
//! `member` without a default site role needs site grants, a client exactly one site) is
//! [`InvitePlan`]'s rule.
//!
//! [`PAIRINGS`]: super::roles::PAIRINGS
//! [`InvitePlan`]: super::InvitePlan

use invite_core::{AdapterGrant, Error, Grant, GrantKind, Result};
use serde::{Deserialize, Serialize};

use super::ids::SiteId;
use super::plan::SiteAccessEntry;
use super::roles::{RoleAssignment, SiteRoleAssignment};

/// A person's workspace role (one per person). Fields `workspace_role`,
/// `default_site_role`, `default_site_role_id`.
pub const WORKSPACE_ROLE: GrantKind =
    GrantKind::new("webflow_workspace_role").phrased("workspace role {workspace_role}");
/// Access to one site with a site role. Fields `site_id`, `site_role`, `site_role_id`.
pub const SITE_ACCESS: GrantKind =
    GrantKind::new("webflow_site_access").phrased("site {site_id} as {site_role}");

/// A [`WORKSPACE_ROLE`] grant as given or as Webflow reports it (read values such as
/// `owner` or `viewer` included).
///
/// ```
/// use invite_core::Grant;
/// use invite_webflow::workspace::WorkspaceRoleGrant;
/// let g: Grant = WorkspaceRoleGrant::new("member", Some("designer")).into();
/// assert_eq!(g.to_string(), "workspace role member");
/// assert_eq!(
///     serde_json::to_value(&g)?,
///     serde_json::json!({"kind": "webflow_workspace_role", "workspace_role": "member", "default_site_role": "designer"})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkspaceRoleGrant {
    /// `admin`, `member`, `reviewer` or `client` (and, read only, `owner`, `guest`).
    pub workspace_role: String,
    /// The site role on every site, paired with the workspace role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_site_role: Option<String>,
    /// The custom Site Role id, with `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_site_role_id: Option<String>,
}

impl WorkspaceRoleGrant {
    /// A workspace role with an optional default site role.
    pub fn new(workspace_role: impl Into<String>, default_site_role: Option<&str>) -> Self {
        Self {
            workspace_role: workspace_role.into(),
            default_site_role: default_site_role.map(str::to_owned),
            default_site_role_id: None,
        }
    }

    /// Sets the custom Site Role id (with `default_site_role` `custom`).
    #[must_use]
    pub fn with_custom_id(mut self, id: impl Into<String>) -> Self {
        self.default_site_role_id = Some(id.into());
        self
    }

    /// The pair as a [`RoleAssignment`]: one of the seven pairings, or an error naming
    /// `{field}.workspace_role` / `{field}.default_site_role(_id)`.
    pub fn assignment(&self, field: &str) -> Result<RoleAssignment> {
        RoleAssignment::parse(
            &format!("{field}.workspace_role"),
            &self.workspace_role,
            &format!("{field}.default_site_role"),
            self.default_site_role.as_deref(),
            self.default_site_role_id.as_deref(),
        )
    }

    /// The checks one grant can pass alone: `client` takes no default site role, `member`
    /// may leave it to site grants, anything else is one of the seven pairings.
    fn check(&self, field: &str) -> Result<()> {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let site = given(&self.default_site_role) || given(&self.default_site_role_id);
        match self.workspace_role.trim() {
            "client" if site => Err(Error::invalid_input(
                format!("{field}.default_site_role"),
                "a client invite takes no default site role: give exactly one site grant",
            )),
            "client" => Ok(()),
            "member" if !site => Ok(()),
            _ => self.assignment(field).map(drop),
        }
    }
}

/// A [`SITE_ACCESS`] grant.
///
/// ```
/// use invite_core::Grant;
/// use invite_webflow::workspace::SiteAccessGrant;
/// let g: Grant = SiteAccessGrant::new("62fa5e47f6b8256f4641c5bd", "content_editor").into();
/// assert_eq!(g.to_string(), "site 62fa5e47f6b8256f4641c5bd as content_editor");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SiteAccessGrant {
    /// The site.
    pub site_id: String,
    /// The role on the site.
    pub site_role: String,
    /// The custom Site Role id, with `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_role_id: Option<String>,
}

impl SiteAccessGrant {
    /// Access to `site_id` as `site_role`.
    pub fn new(site_id: impl Into<String>, site_role: impl Into<String>) -> Self {
        Self {
            site_id: site_id.into(),
            site_role: site_role.into(),
            site_role_id: None,
        }
    }

    /// Sets the custom Site Role id (with `site_role` `custom`).
    #[must_use]
    pub fn with_custom_id(mut self, id: impl Into<String>) -> Self {
        self.site_role_id = Some(id.into());
        self
    }

    /// The grant as a checked [`SiteAccessEntry`]; errors name `{field}.site_id`,
    /// `{field}.site_role` or `{field}.site_role_id`.
    pub fn entry(&self, field: &str) -> Result<SiteAccessEntry> {
        Ok(SiteAccessEntry::new(
            SiteId::parse_field(&format!("{field}.site_id"), &self.site_id)?,
            SiteRoleAssignment::parse(
                &format!("{field}.site_role"),
                &self.site_role,
                &format!("{field}.site_role_id"),
                self.site_role_id.as_deref(),
            )?,
        ))
    }
}

/// The workspace adapter's typed grant: a workspace role or a site's access.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WorkspaceGrant {
    /// [`WORKSPACE_ROLE`].
    Role(WorkspaceRoleGrant),
    /// [`SITE_ACCESS`].
    Site(SiteAccessGrant),
}

impl WorkspaceGrant {
    /// Reads a grant as Webflow reported it, without the checks a request needs (so a
    /// member's `owner` role or an invite's `viewer` site role reads too).
    pub(crate) fn read(grant: &Grant, field: &str) -> Result<Self> {
        if grant.is(WORKSPACE_ROLE) {
            grant.decode(WORKSPACE_ROLE, field).map(Self::Role)
        } else {
            grant.decode(SITE_ACCESS, field).map(Self::Site)
        }
    }

    /// The site grant, if this is one.
    pub(crate) fn as_site(&self) -> Option<&SiteAccessGrant> {
        match self {
            Self::Site(s) => Some(s),
            Self::Role(_) => None,
        }
    }

    /// The role grant, if this is one.
    pub(crate) fn as_role(&self) -> Option<&WorkspaceRoleGrant> {
        match self {
            Self::Role(r) => Some(r),
            Self::Site(_) => None,
        }
    }
}

impl AdapterGrant for WorkspaceGrant {
    const KINDS: &'static [GrantKind] = &[WORKSPACE_ROLE, SITE_ACCESS];

    fn to_grant(&self) -> Grant {
        match self {
            Self::Role(r) => Grant::encode(WORKSPACE_ROLE, r),
            Self::Site(s) => Grant::encode(SITE_ACCESS, s),
        }
    }

    fn from_grant(grant: &Grant, field: &str) -> Result<Self> {
        let typed = Self::read(grant, field)?;
        match &typed {
            Self::Role(r) => r.check(field)?,
            Self::Site(s) => drop(s.entry(field)?),
        }
        Ok(typed)
    }
}

impl From<WorkspaceRoleGrant> for Grant {
    fn from(g: WorkspaceRoleGrant) -> Self {
        Grant::encode(WORKSPACE_ROLE, &g)
    }
}

impl From<SiteAccessGrant> for Grant {
    fn from(g: SiteAccessGrant) -> Self {
        Grant::encode(SITE_ACCESS, &g)
    }
}

impl From<&RoleAssignment> for WorkspaceRoleGrant {
    fn from(r: &RoleAssignment) -> Self {
        Self {
            workspace_role: r.workspace_role().to_owned(),
            default_site_role: Some(r.site_role().as_str().to_owned()),
            default_site_role_id: r.site_role().custom_id_str().map(str::to_owned),
        }
    }
}

impl From<&SiteAccessEntry> for SiteAccessGrant {
    fn from(e: &SiteAccessEntry) -> Self {
        Self {
            site_id: e.site_id.as_str().to_owned(),
            site_role: e.role.as_str().to_owned(),
            site_role_id: e.role.custom_id_str().map(str::to_owned),
        }
    }
}

impl From<&RoleAssignment> for Grant {
    fn from(r: &RoleAssignment) -> Self {
        WorkspaceRoleGrant::from(r).into()
    }
}

impl From<&SiteAccessEntry> for Grant {
    fn from(e: &SiteAccessEntry) -> Self {
        SiteAccessGrant::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_grant_is_checked_alone() {
        let role = |w: &str, s: Option<&str>| Grant::from(WorkspaceRoleGrant::new(w, s));
        for ok in [
            role("member", None),
            role("member", Some("designer")),
            role("admin", None),
            role("client", None),
            SiteAccessGrant::new("s1", "marketer").into(),
            SiteAccessGrant::new("s1", "custom")
                .with_custom_id("r1")
                .into(),
        ] {
            assert!(
                WorkspaceGrant::from_grant(&ok, "grants[0]").is_ok(),
                "{ok:?}"
            );
        }
        for (bad, field) in [
            (role("owner", None), "grants[0].workspace_role"),
            (
                role("reviewer", Some("designer")),
                "grants[0].default_site_role",
            ),
            (
                role("client", Some("designer")),
                "grants[0].default_site_role",
            ),
            (
                role("member", Some("custom")),
                "grants[0].default_site_role_id",
            ),
            (
                SiteAccessGrant::new("../x", "designer").into(),
                "grants[0].site_id",
            ),
            (
                SiteAccessGrant::new("s1", "viewer").into(),
                "grants[0].site_role",
            ),
            (Grant::new(SITE_ACCESS).with("site_id", "s1"), "grants[0]"),
        ] {
            match WorkspaceGrant::from_grant(&bad, "grants[0]") {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        // What Webflow reports reads without those checks.
        assert!(WorkspaceGrant::read(&role("owner", Some("viewer")), "g").is_ok());
        let g = role("member", Some("designer"));
        assert_eq!(WorkspaceGrant::from_grant(&g, "g").unwrap().to_grant(), g);
    }
}
