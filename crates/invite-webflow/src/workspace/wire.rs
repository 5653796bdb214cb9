//! The wire shapes of the workspace-members and site-access endpoints, exactly as Webflow
//! sends them (docs/vendors/webflow-workspace.md#request-bodies,
//! docs/vendors/webflow-workspace.md#objects), and their mapping to the normalized model.
//! Lenient: unknown fields are ignored, every field the contract marks optional (or that
//! legacy records lack) is optional.
//!
//! The member, invite and site-member shapes are read through [`invite_core::decode`] from
//! the raw JSON value each result keeps (`User::raw`, `SiteMember::raw`): their strings are
//! borrowed from it, not copied.

use std::borrow::Cow;

use invite_core::{
    Email, Grant, PersonName, ProviderInfo, Result, User, UserStatus, decode, parse_timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::grant::{SiteAccessGrant, WorkspaceRoleGrant};
use super::ids::{InviteId, MemberId, SiteId, WorkspaceUserRef};
use super::roles::{RoleAssignment, SiteRole, SiteRoleAssignment, WorkspaceRole};
use super::sites::SiteMember;
use crate::common::{borrow_opt_str, borrow_str_vec};

/// `pagination` of both list answers.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Pagination {
    pub next_cursor: Option<String>,
}

/// `GET /workspaces/{id}/members`. Items are kept as raw JSON so `User::raw` holds them
/// untouched; each is decoded with [`WorkspaceMember`] / [`WorkspaceInvite`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkspaceMembersResponse {
    pub members: Vec<Value>,
    pub invites: Vec<Value>,
    pub pagination: Option<Pagination>,
}

/// `roles` of a workspace member. `site` only on Workspace-seat workspaces.
#[derive(Debug, Deserialize)]
pub(crate) struct MemberRoles {
    pub workspace: WorkspaceRole,
    #[serde(default)]
    pub site: Option<SiteRole>,
}

/// A member as both member lists send it, borrowing its strings from the kept raw value:
/// `WorkspaceMember` (workspace `roles`, `addedOn`) and `SiteMember` (list items, grant and
/// update answers; site `roles`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "R: Deserialize<'de>"))]
pub(crate) struct MemberWire<'a, R> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub email: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub first_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub last_name: Option<Cow<'a, str>>,
    pub roles: R,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub added_on: Option<Cow<'a, str>>,
}

/// `WorkspaceMember`.
pub(crate) type WorkspaceMember<'a> = MemberWire<'a, MemberRoles>;
/// `SiteMember`.
pub(crate) type SiteMemberWire<'a> = MemberWire<'a, SiteMemberRoles<'a>>;

/// `WorkspaceInvite`, borrowing its strings from the kept raw value. `defaultSiteRole` may
/// be missing on legacy invites.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkspaceInvite<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub email: Option<Cow<'a, str>>,
    #[serde(default)]
    pub role: Option<WorkspaceRole>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub created_on: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub status: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_str_vec")]
    pub sites: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub all_sites: Option<bool>,
    #[serde(default)]
    pub default_site_role: Option<SiteRole>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub default_site_role_id: Option<Cow<'a, str>>,
}

/// The status of an answer of `POST /workspaces/{id}/members`: `{status:"invited", invite}`
/// or `{status:"active", member}` (the object is taken from the kept value).
#[derive(Debug, Deserialize)]
pub(crate) struct InviteStatus<'a> {
    #[serde(borrow)]
    pub status: Cow<'a, str>,
}

/// A site role as sent: `siteRole`, and `siteRoleId` with `custom`. The body of
/// `PATCH /sites/{id}/members[/{member_id}]`, and part of the grant and invite bodies.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SiteRoleBody<'a> {
    pub site_role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_role_id: Option<&'a str>,
}

impl<'a> From<&'a SiteRoleAssignment> for SiteRoleBody<'a> {
    fn from(role: &'a SiteRoleAssignment) -> Self {
        Self {
            site_role: role.as_str(),
            site_role_id: role.custom_id_str(),
        }
    }
}

/// A default site role as sent: `defaultSiteRole`, and `defaultSiteRoleId` with `custom`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DefaultSiteRoleBody<'a> {
    pub default_site_role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_site_role_id: Option<&'a str>,
}

impl<'a> From<&'a SiteRoleAssignment> for DefaultSiteRoleBody<'a> {
    fn from(role: &'a SiteRoleAssignment) -> Self {
        Self {
            default_site_role: role.as_str(),
            default_site_role_id: role.custom_id_str(),
        }
    }
}

/// A role pair as update and bulk update send it: `role` and the default site role (both
/// always: Webflow never derives the site role). The body of
/// `PATCH /workspaces/{id}/members/{member_id}`.
#[derive(Debug, Serialize)]
pub(crate) struct RoleBody<'a> {
    pub role: &'a str,
    #[serde(flatten)]
    pub default: DefaultSiteRoleBody<'a>,
}

impl<'a> From<&'a RoleAssignment> for RoleBody<'a> {
    fn from(role: &'a RoleAssignment) -> Self {
        Self {
            role: role.workspace_role(),
            default: role.site_role().into(),
        }
    }
}

/// One `siteAccess` entry of an invite.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SiteAccessBody<'a> {
    pub site_id: &'a str,
    #[serde(flatten)]
    pub role: SiteRoleBody<'a>,
}

impl<'a> SiteAccessBody<'a> {
    pub fn new(site: &'a SiteId, role: &'a SiteRoleAssignment) -> Self {
        Self {
            site_id: site.as_str(),
            role: role.into(),
        }
    }
}

/// Body of `POST /workspaces/{id}/members` (one of the three shapes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InviteBody<'a> {
    pub email: &'a str,
    pub workspace_role: &'a str,
    #[serde(flatten)]
    pub default: Option<DefaultSiteRoleBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_access: Option<Vec<SiteAccessBody<'a>>>,
}

/// The ids of a bulk call: members and invites, each left out when empty.
///
/// UNCONFIRMED for bulk remove (docs/vendors/webflow-workspace.md#oq-bulk-remove-body): no
/// stored source names its fields. `memberIds` and `inviteIds`, mirroring bulk update, is
/// the likeliest reading; this struct is the one place to change if Webflow names them
/// otherwise. It is the whole body of `DELETE /workspaces/{id}/members/bulk`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkIds<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub member_ids: &'a [&'a str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub invite_ids: &'a [&'a str],
}

/// Body of `POST /workspaces/{id}/members/bulk`.
#[derive(Debug, Serialize)]
pub(crate) struct BulkUpdateBody<'a> {
    #[serde(flatten)]
    pub ids: BulkIds<'a>,
    #[serde(flatten)]
    pub role: RoleBody<'a>,
}

/// Per-item `error` of a bulk answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ItemError {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// One `results[]` item of a bulk answer. Bulk update documents
/// `{id, type, outcome: "updated"|"failed", error?}`; bulk remove's field names are
/// UNCONFIRMED (docs/vendors/webflow-workspace.md#oq-bulk-remove-body) and read the same
/// way (`outcome: "failed"` is a failure, any other outcome a success).
#[derive(Debug, Deserialize)]
pub(crate) struct BulkResultItem {
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub error: Option<ItemError>,
}

/// Answer of both bulk calls: `summary` (kept raw) and `results`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BulkResponse {
    pub summary: Option<Value>,
    pub results: Vec<BulkResultItem>,
}

/// `SiteMember.roles`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SiteMemberRoles<'a> {
    #[serde(default)]
    pub workspace: Option<WorkspaceRole>,
    #[serde(default)]
    pub site: Option<SiteRole>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub site_role_id: Option<Cow<'a, str>>,
}

/// `GET /sites/{id}/members`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SiteMembersResponse {
    pub members: Vec<Value>,
    pub pagination: Option<Pagination>,
}

/// Body of `POST /sites/{id}/members`: `email` or `memberId`, exactly one.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GrantBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<&'a str>,
    #[serde(flatten)]
    pub role: SiteRoleBody<'a>,
}

/// A workspace member. Its grants are the workspace role with the default site role: the
/// members list carries no per-member site list (docs/vendors/webflow-workspace.md#objects;
/// only `GET /sites/{id}/members` tells a site's members), so a member read from the list
/// reports no site access grant. Site grants show on the user an update or an invite has
/// just given; grant convergence therefore gives the target's site grants again on each run
/// that finds the member, which is idempotent (grant, or `PATCH` the role when the member
/// already has access).
///
/// The wire member borrows its strings from `raw`, which is moved into the user once that
/// borrow is over.
pub(crate) fn member_user(raw: Value, info: &ProviderInfo, op: &'static str) -> Result<User> {
    let m: WorkspaceMember<'_> = decode(&raw, info, op, "a WorkspaceMember")?;
    let id = MemberId::parse_field("members[].id", &m.id)?;
    let grant = WorkspaceRoleGrant::new(
        m.roles.workspace.as_str(),
        m.roles.site.as_ref().map(SiteRole::as_str),
    );
    let added = m.added_on.as_deref().and_then(parse_timestamp);
    let user = User::new(
        WorkspaceUserRef::Member(id).to_user_id(),
        UserStatus::Active,
    )
    .with_email(m.email.as_deref().and_then(|e| Email::parse(e).ok()))
    .with_name(name(m.first_name, m.last_name))
    .with_grants(vec![grant.into()])
    .with_timestamps(added, None, None, None);
    Ok(user.with_raw(raw))
}

/// A workspace invite, borrowing from `raw` like [`member_user`]. `allSites` (or no listed
/// site) means the default site role applies everywhere; otherwise the invite lists its
/// sites, each with the invite's one site role.
pub(crate) fn invite_user(raw: Value, info: &ProviderInfo, op: &'static str) -> Result<User> {
    let i: WorkspaceInvite<'_> = decode(&raw, info, op, "a WorkspaceInvite")?;
    let id = InviteId::parse_field("invites[].id", &i.id)?;
    let email = i.email.as_deref().and_then(|e| Email::parse(e).ok());
    let status = match i.status.as_deref() {
        Some("pending") | None => UserStatus::Invited,
        Some("declined") => UserStatus::InviteDeclined,
        Some("expired") => UserStatus::InviteExpired,
        Some(other) => UserStatus::Unknown(other.to_owned()),
    };
    let role = i
        .role
        .as_ref()
        .map(WorkspaceRole::as_str)
        .unwrap_or_default();
    let site_role = i.default_site_role.as_ref().map(SiteRole::as_str);
    let site_role_id = i
        .default_site_role_id
        .filter(|_| i.default_site_role == Some(SiteRole::Custom));
    let grants: Vec<Grant> = if i.all_sites == Some(true) || i.sites.is_empty() {
        let mut g = WorkspaceRoleGrant::new(role, site_role);
        g.default_site_role_id = site_role_id.map(Cow::into_owned);
        vec![g.into()]
    } else {
        let mut g = vec![WorkspaceRoleGrant::new(role, None).into()];
        g.extend(i.sites.iter().map(|s| {
            let mut site = SiteAccessGrant::new(s.as_ref(), site_role.unwrap_or_default());
            site.site_role_id = site_role_id.as_deref().map(str::to_owned);
            Grant::from(site)
        }));
        g
    };
    let created = i.created_on.as_deref().and_then(parse_timestamp);
    let user = User::new(
        WorkspaceUserRef::Invite(id, email.clone()).to_user_id(),
        status,
    )
    .with_email(email)
    .with_grants(grants)
    .with_timestamps(created, None, created, None);
    Ok(user.with_raw(raw))
}

/// A site member, borrowing from `raw` like [`member_user`].
pub(crate) fn site_member(raw: Value, info: &ProviderInfo, op: &'static str) -> Result<SiteMember> {
    let m: SiteMemberWire<'_> = decode(&raw, info, op, "a SiteMember")?;
    Ok(SiteMember {
        id: m.id.into_owned(),
        email: m.email.as_deref().and_then(|e| Email::parse(e).ok()),
        name: name(m.first_name, m.last_name),
        workspace_role: m.roles.workspace,
        site_role: m.roles.site,
        site_role_id: m.roles.site_role_id.map(Cow::into_owned),
        raw,
    })
}

fn name(first: Option<Cow<'_, str>>, last: Option<Cow<'_, str>>) -> PersonName {
    PersonName::new(
        first.map(Cow::into_owned).unwrap_or_default(),
        last.map(Cow::into_owned).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_invites_and_site_members_borrow_their_strings() {
        let raw = json!({"id":"m1","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace",
            "roles":{"workspace":"member","site":"designer"},"addedOn":"2026-10-01T00:00:00Z"});
        let m = WorkspaceMember::deserialize(&raw).unwrap();
        assert!(matches!(m.id, Cow::Borrowed("m1")));
        assert!(matches!(m.email, Some(Cow::Borrowed("ada@example.com"))));
        assert!(matches!(m.first_name, Some(Cow::Borrowed("Ada"))));
        assert!(matches!(m.last_name, Some(Cow::Borrowed("Lovelace"))));
        assert!(matches!(m.added_on, Some(Cow::Borrowed(_))));
        assert_eq!(m.roles.site, Some(SiteRole::Designer));

        let raw = json!({"id":"i1","email":"b@example.com","role":"member","createdOn":"2026-10-01T00:00:00Z",
            "status":"pending","sites":["s1","s2"],"defaultSiteRole":"custom","defaultSiteRoleId":"r1"});
        let i = WorkspaceInvite::deserialize(&raw).unwrap();
        assert!(matches!(i.id, Cow::Borrowed("i1")));
        assert!(matches!(i.email, Some(Cow::Borrowed(_))));
        assert!(matches!(i.created_on, Some(Cow::Borrowed(_))));
        assert!(matches!(i.status, Some(Cow::Borrowed("pending"))));
        assert!(matches!(
            i.sites.as_slice(),
            [Cow::Borrowed("s1"), Cow::Borrowed("s2")]
        ));
        assert!(matches!(i.default_site_role_id, Some(Cow::Borrowed("r1"))));

        let raw = json!({"id":"m2","email":"c@example.com","firstName":"C",
            "roles":{"workspace":"admin","site":"custom","siteRoleId":"r2"}});
        let s = SiteMemberWire::deserialize(&raw).unwrap();
        assert!(matches!(s.id, Cow::Borrowed("m2")));
        assert!(matches!(s.email, Some(Cow::Borrowed(_))));
        assert!(matches!(s.first_name, Some(Cow::Borrowed("C"))));
        assert!(s.last_name.is_none());
        assert!(matches!(s.roles.site_role_id, Some(Cow::Borrowed("r2"))));
    }
}
