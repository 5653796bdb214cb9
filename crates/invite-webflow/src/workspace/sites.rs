//! Site access: list a site's members, grant, change the site role, revoke
//! (`/sites/{id}/members`).

use futures::stream::BoxStream;
use invite_core::http::Request;
use invite_core::page::{Page, paginate};
use invite_core::{Email, PersonName, Result};
use serde_json::Value;

use super::ids::{MemberRef, SiteId};
use super::provider::{MAX_PAGE, Workspace};
use super::roles::{SiteRole, SiteRoleAssignment, WorkspaceRole};
use super::wire;

const SITE_MEMBERS: &str = "/sites/{}/members";
const SITE_MEMBER: &str = "/sites/{}/members/{}";

/// A site member (`GET /sites/{id}/members`, grant and update answers).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SiteMember {
    /// The workspace member's id.
    pub id: String,
    /// The address, when sent.
    pub email: Option<Email>,
    /// The name, when sent.
    pub name: PersonName,
    /// The workspace role, when sent.
    pub workspace_role: Option<WorkspaceRole>,
    /// The role on this site.
    pub site_role: Option<SiteRole>,
    /// The custom Site Role id, for `custom`.
    pub site_role_id: Option<String>,
    /// Webflow's payload, untouched.
    pub raw: Value,
}

/// The outcome of [`Workspace::grant_site_access`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GrantOutcome {
    /// Access was granted.
    Granted(Box<SiteMember>),
    /// The member already had access to the site (`member_already_has_access`); nothing was
    /// changed. Change the role with [`Workspace::update_site_role`].
    AlreadyHadAccess,
}

impl Workspace {
    /// Lists the members with access to a site, lazily (cursor pages of 100).
    pub fn list_site_members(&self, site_id: &SiteId) -> BoxStream<'static, Result<SiteMember>> {
        let this = self.clone();
        let site = site_id.as_str().to_owned();
        paginate(None::<String>, move |cursor| {
            let this = this.clone();
            let site = site.clone();
            async move {
                let answer: wire::SiteMembersResponse = this
                    .client
                    .json(
                        Request::get(SITE_MEMBERS)
                            .segment(site)
                            .query("limit", MAX_PAGE)
                            .query_opt("cursor", cursor)
                            .operation("list_site_members"),
                    )
                    .await?;
                let items = answer
                    .members
                    .into_iter()
                    .map(|v| wire::site_member(v, &this.info, "list_site_members"))
                    .collect::<Result<Vec<_>>>()?;
                let next = answer.pagination.and_then(|p| p.next_cursor).map(Some);
                Ok(Page::new(items, next))
            }
        })
    }

    /// Grants a workspace member access to a site (`POST /sites/{id}/members`). A member who
    /// already has access is [`GrantOutcome::AlreadyHadAccess`], not an error (grant is not
    /// an upsert; change roles with [`Self::update_site_role`]). Site access is granted to
    /// members only; a pending invitee answers not found.
    pub async fn grant_site_access(
        &self,
        site_id: &SiteId,
        who: &MemberRef,
        role: &SiteRoleAssignment,
    ) -> Result<GrantOutcome> {
        let (email, member_id) = match who {
            MemberRef::Email(e) => (Some(e.as_str()), None),
            MemberRef::Id(m) => (None, Some(m.as_str())),
        };
        let req = Request::post(SITE_MEMBERS)
            .segment(site_id.as_str())
            .json(&wire::GrantBody {
                email,
                member_id,
                role: role.into(),
            })
            // Safe to resend: a repeat answers `member_already_has_access`.
            .idempotent(true)
            .operation("grant_site_access");
        match self.client.json::<Value>(req).await {
            Ok(v) => Ok(GrantOutcome::Granted(Box::new(wire::site_member(
                v,
                &self.info,
                "grant_site_access",
            )?))),
            Err(e) if e.vendor_code() == Some("member_already_has_access") => {
                Ok(GrantOutcome::AlreadyHadAccess)
            }
            Err(e) => Err(e),
        }
    }

    /// Changes a member's role on a site: `PATCH /sites/{id}/members/{member_id}` or
    /// `PATCH /sites/{id}/members?email=`. On a site with site-specific access the member
    /// must hold access already (grant first).
    pub async fn update_site_role(
        &self,
        site_id: &SiteId,
        who: &MemberRef,
        role: &SiteRoleAssignment,
    ) -> Result<SiteMember> {
        let req = site_member_request(Request::patch, site_id, who)
            .json(&wire::SiteRoleBody::from(role))
            .operation("update_site_role");
        let v: Value = self.client.json(req).await?;
        wire::site_member(v, &self.info, "update_site_role")
    }

    /// Revokes a member's access to a site: `DELETE /sites/{id}/members/{member_id}` or
    /// `DELETE /sites/{id}/members?email=`. Succeeds (idempotently) when the member had no
    /// access; [`invite_core::Error::NotFound`] ("not a workspace member") when the person is not a
    /// workspace member. The workspace membership stays.
    pub async fn revoke_site_access(&self, site_id: &SiteId, who: &MemberRef) -> Result<()> {
        let req =
            site_member_request(Request::delete, site_id, who).operation("revoke_site_access");
        self.client.send(req).await.map(drop)
    }
}

/// `/sites/{id}/members/{member_id}` or `/sites/{id}/members?email=`, with `verb`.
fn site_member_request(
    verb: fn(&'static str) -> Request,
    site_id: &SiteId,
    who: &MemberRef,
) -> Request {
    match who {
        MemberRef::Id(m) => verb(SITE_MEMBER)
            .segment(site_id.as_str())
            .segment(m.as_str()),
        MemberRef::Email(e) => verb(SITE_MEMBERS)
            .segment(site_id.as_str())
            .query("email", e.as_str()),
    }
}
