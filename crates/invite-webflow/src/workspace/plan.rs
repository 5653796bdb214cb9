//! What a workspace invitation becomes: [`SiteAccessEntry`], [`ClientInvite`], the invite
//! body ([`InviteAccess`]) and [`InvitePlan`], **the** rule mapping grants to an invite.

use invite_core::{AdapterGrant, Error, Grant, Result};

use super::grant::{SiteAccessGrant, WorkspaceGrant, WorkspaceRoleGrant};
use super::ids::SiteId;
use super::roles::{RoleAssignment, SiteRoleAssignment};

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

    /// Reads a [`super::SITE_ACCESS`] grant; `field` prefixes the field names in errors.
    pub fn from_grant(field: &str, grant: &Grant) -> Result<Self> {
        let site: SiteAccessGrant = grant.decode(super::SITE_ACCESS, field)?;
        site.entry(field)
    }

    /// The entry as a normalized grant.
    pub fn to_grant(&self) -> Grant {
        self.into()
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
/// `POST /workspaces/{id}/members` (docs/vendors/webflow-workspace.md#request-bodies).
/// `defaultSiteRole` and `siteAccess` never appear together, an admin invite never lists
/// sites, listed sites share one site role, and a client invite names exactly one site.
/// Built from grants by [`InvitePlan`].
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
        if role == RoleAssignment::ADMIN {
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
    /// them, as the workspace provider's `invite` does.
    pub fn from_grants(grants: &[Grant], fallback_role: Option<&str>) -> Result<Self> {
        let plan = InvitePlan::from_grants(grants, fallback_role)?;
        if let Some(first) = plan.deferred.first() {
            let default = match &plan.access.0 {
                Shape::AllSites(r) => r.site_role().to_string(),
                _ => String::new(),
            };
            return Err(Error::invalid_input(
                format!("grants (site {})", first.site_id),
                format!(
                    "one invite body cannot carry site {} as {} next to the default site role {default}: build an InvitePlan (it defers that grant until the invite is accepted)",
                    first.site_id, first.role,
                ),
            ));
        }
        Ok(plan.access)
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
        let (role, sites) = match &self.0 {
            Shape::AllSites(r) => return vec![r.into()],
            Shape::Sites(r, sites) => (
                r.workspace_role(),
                sites
                    .iter()
                    .map(|s| SiteAccessEntry::new(s.clone(), r.site_role().clone()))
                    .collect(),
            ),
            Shape::Client(c) => ("client", vec![c.site().clone()]),
        };
        let mut out = vec![WorkspaceRoleGrant::new(role, None).into()];
        out.extend(sites.iter().map(Grant::from));
        out
    }
}

/// What one workspace invitation becomes: the invite body ([`InviteAccess`]) and the site
/// grants that body cannot carry, which are given once the invitee is a member.
///
/// # The rule (the one place it is decided)
/// Webflow stores **one** site role per pending invite — `defaultSiteRole` for every site, or
/// `siteAccess` entries that all share one role (docs/vendors/webflow-workspace.md#request-bodies)
/// — and grants site access to members only. From at most one workspace role grant
/// ([`super::WORKSPACE_ROLE`]) and any number of site grants ([`super::SITE_ACCESS`];
/// `fallback_role` is the workspace role when no role grant is given, from
/// `WEBFLOW_WORKSPACE_ROLE`):
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
/// use invite_webflow::workspace::{InvitePlan, SiteAccessGrant, WorkspaceRoleGrant};
/// let site = "62fa5e47f6b8256f4641c5bd";
/// let plan = InvitePlan::from_grants(
///     &[
///         WorkspaceRoleGrant::new("member", Some("designer")).into(),
///         SiteAccessGrant::new(site, "content_editor").into(),
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
    /// Applies the rule above to normalized grants (each checked as
    /// [`WorkspaceGrant::from_grant`] does, errors naming `grants[i]`).
    pub fn from_grants(grants: &[Grant], fallback_role: Option<&str>) -> Result<Self> {
        let typed = grants
            .iter()
            .enumerate()
            .map(|(i, g)| WorkspaceGrant::from_grant(g, &format!("grants[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        Self::from_typed(&typed, fallback_role)
    }

    /// Applies the rule above to grants already read (and checked) by
    /// [`WorkspaceGrant::from_grant`].
    pub fn from_typed(grants: &[WorkspaceGrant], fallback_role: Option<&str>) -> Result<Self> {
        let mut role: Option<(String, &WorkspaceRoleGrant)> = None;
        let mut sites: Vec<SiteAccessEntry> = Vec::new();
        for (i, g) in grants.iter().enumerate() {
            let field = format!("grants[{i}]");
            match g {
                WorkspaceGrant::Role(_) if role.is_some() => {
                    return Err(Error::invalid_input(
                        field,
                        "an invite takes one webflow workspace role",
                    ));
                }
                WorkspaceGrant::Role(r) => role = Some((field, r)),
                WorkspaceGrant::Site(s) => {
                    let entry = s.entry(&field)?;
                    match sites.iter().find(|e| e.site_id == entry.site_id) {
                        Some(prev) if prev.role != entry.role => {
                            return Err(Error::invalid_input(
                                format!("{field}.site_id"),
                                format!(
                                    "site {} is granted twice with different roles",
                                    entry.site_id
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => sites.push(entry),
                    }
                }
            }
        }
        let (ws_field, site_field, ws, default) = match (&role, fallback_role) {
            (Some((field, r)), _) => (
                format!("{field}.workspace_role"),
                format!("{field}.default_site_role"),
                r.workspace_role.trim(),
                r.default_site_role
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        SiteRoleAssignment::parse(
                            &format!("{field}.default_site_role"),
                            s,
                            &format!("{field}.default_site_role_id"),
                            r.default_site_role_id.as_deref(),
                        )
                    })
                    .transpose()?,
            ),
            (None, Some(r)) => (
                "WEBFLOW_WORKSPACE_ROLE".to_owned(),
                "WEBFLOW_WORKSPACE_ROLE.default_site_role".to_owned(),
                r.trim(),
                None,
            ),
            (None, None) => {
                return Err(Error::invalid_input(
                    "grants",
                    "no webflow workspace role: add a webflow_workspace_role grant or set WEBFLOW_WORKSPACE_ROLE",
                ));
            }
        };
        if ws == "client" {
            return Self::client(sites);
        }
        if sites.is_empty() {
            let pair = match default {
                Some(site) => RoleAssignment::pair(&ws_field, ws, &site_field, site)?,
                None => RoleAssignment::parse(&ws_field, ws, &site_field, None, None)?,
            };
            return Ok(InviteAccess::all_sites(pair).into());
        }
        if let Some(given) = default
            && sites.iter().any(|e| e.role != given)
        {
            // Row four: the default role on every site now, the other roles later.
            let pair = RoleAssignment::pair(&ws_field, ws, &site_field, given.clone())?;
            if pair == RoleAssignment::ADMIN {
                return Err(admin_with_sites());
            }
            let (covered, deferred) = sites.into_iter().partition(|e| e.role == given);
            return Ok(Self {
                access: InviteAccess::all_sites(pair),
                covered,
                deferred,
            });
        }
        // Site grants in the body: they must share one site role, which pairs with the
        // workspace role.
        let shared = sites
            .first()
            .map(|e| e.role.clone())
            .unwrap_or(SiteRoleAssignment::SiteManager);
        if let Some((i, e)) = sites.iter().enumerate().find(|(_, e)| e.role != shared) {
            return Err(Error::invalid_input(
                format!("grants (site {})", e.site_id),
                format!(
                    "site grants of one invite must share one site role (a pending invite stores one); site #{i} has {} but the first has {shared}. Give a default site role (the other roles are then granted after acceptance), or invite with one role",
                    e.role
                ),
            ));
        }
        let pair = RoleAssignment::pair(&ws_field, ws, &site_field, shared)?;
        Ok(InviteAccess::sites(pair, sites.into_iter().map(|e| e.site_id))?.into())
    }

    /// A client: exactly one site grant, with a client role.
    fn client(sites: Vec<SiteAccessEntry>) -> Result<Self> {
        let [site] = <[SiteAccessEntry; 1]>::try_from(sites).map_err(|_| {
            Error::invalid_input(
                "grants",
                "a client invite takes exactly one webflow site access grant",
            )
        })?;
        let client = ClientInvite::new(site).map_err(|e| match e {
            Error::InvalidInput { reason, .. } => Error::invalid_input("grants.site_role", reason),
            other => other,
        })?;
        Ok(InviteAccess::client(client).into())
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
        self.deferred.iter().map(Grant::from).collect()
    }

    /// Every site grant the plan names for a workspace member (listed sites, covered and
    /// deferred ones); none for a client invite, whose site comes with the invite only.
    pub fn site_entries(&self) -> Vec<SiteAccessEntry> {
        let mut out = match &self.access.0 {
            Shape::Sites(r, sites) => sites
                .iter()
                .map(|s| SiteAccessEntry::new(s.clone(), r.site_role().clone()))
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
        out.extend(self.covered.iter().chain(&self.deferred).map(Grant::from));
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
    use crate::workspace::ids::CustomRoleId;

    fn ws(role: &str, site: Option<&str>) -> Grant {
        WorkspaceRoleGrant::new(role, site).into()
    }
    fn sa(site: &str, role: &str) -> Grant {
        SiteAccessGrant::new(site, role).into()
    }
    fn member(site: SiteRoleAssignment) -> RoleAssignment {
        RoleAssignment::member(site).unwrap()
    }

    #[test]
    fn invite_shapes_from_grants() {
        let a = InviteAccess::from_grants(&[ws("member", Some("designer"))], None).unwrap();
        assert_eq!(a.0, Shape::AllSites(member(SiteRoleAssignment::Designer)));
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
            matches!(b.0, Shape::Sites(ref r, ref s) if *r == member(SiteRoleAssignment::ContentEditor) && s.len() == 2)
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
            Shape::AllSites(member(SiteRoleAssignment::Designer))
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
        assert_eq!(p.access().0, Shape::AllSites(RoleAssignment::REVIEWER));
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
}
