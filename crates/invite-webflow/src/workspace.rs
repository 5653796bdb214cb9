//! Webflow Enterprise **workspace members and site access** (Data API v2, released
//! 2026-09-29; contracts section 5): the live way to invite a collaborator into Webflow.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | [`WorkspaceToken`], [`WebflowWorkspaceConfig`] (`from_env`), [`InviteDefaults`] |
//! | [`ids`] | [`WorkspaceId`], [`SiteId`], [`MemberId`], [`InviteId`], [`CustomRoleId`], [`MemberRef`], [`WorkspaceUserRef`] |
//! | [`roles`] | read enums [`WorkspaceRole`], [`SiteRole`]; write types [`RoleAssignment`], [`SiteRoleAssignment`], [`ClientInvite`], [`InviteAccess`] |
//! | `wire` | the serde shapes, exactly as Webflow sends them |
//! | `errors` | the error mapper |
//! | [`provider`] | [`WebflowWorkspace`]: both traits, bulk calls, site access |
//!
//! # Operations
//! | call | Webflow |
//! |---|---|
//! | `invite` / [`WebflowWorkspace::invite_with`] | `POST /workspaces/{id}/members` |
//! | `list`, `find_by_email`, `get` | `GET /workspaces/{id}/members` (`?email=`, cursor over members **and** invites) |
//! | `update` / [`WebflowWorkspace::update_role`] | `PATCH /workspaces/{id}/members/{member_id}`; invites via bulk update |
//! | `remove` | member: `DELETE /workspaces/{id}/members/{member_id}`; invite: `DELETE /workspaces/{id}/members/bulk` |
//! | [`WebflowWorkspace::bulk_update_roles`] | `POST /workspaces/{id}/members/bulk` (chunks of 100) |
//! | [`WebflowWorkspace::bulk_remove`] | `DELETE /workspaces/{id}/members/bulk` with a JSON body (chunks of 100) |
//! | [`WebflowWorkspace::list_site_members`] | `GET /sites/{id}/members` |
//! | [`WebflowWorkspace::grant_site_access`] | `POST /sites/{id}/members` |
//! | [`WebflowWorkspace::update_site_role`] | `PATCH /sites/{id}/members/{member_id}` or `?email=` |
//! | [`WebflowWorkspace::revoke_site_access`] | `DELETE /sites/{id}/members/{member_id}` or `?email=` |
//! | `deactivate`, `reactivate`, `resend`, silent invites | unsupported (no such call) |
//!
//! # Invitations and grants
//! An [`invite_core::Invitation`] carries at most one [`invite_core::Grant::WebflowWorkspaceRole`]
//! and any number of [`invite_core::Grant::WebflowSiteAccess`]; without either, the configured
//! defaults apply. Site grants travel **in the invite body** (`siteAccess`): Webflow grants
//! site access to members only, so they cannot be granted to a pending invitee afterwards.
//! Therefore they must share one site role that pairs with the workspace role; a default site
//! role plus site grants with a different role is refused before any request (grant those
//! after acceptance with [`WebflowWorkspace::grant_site_access`]). See
//! [`InviteAccess::from_grants`].

pub mod bulk;
pub mod config;
mod errors;
pub mod ids;
pub mod provider;
pub mod roles;
mod wire;

pub use bulk::{BulkItem, BulkOutcome, BulkReport};
pub use config::{InviteDefaults, WebflowWorkspaceConfig, WorkspaceToken};
pub use ids::{CustomRoleId, InviteId, MemberId, MemberRef, SiteId, WorkspaceId, WorkspaceUserRef};
pub use provider::{GrantOutcome, KIND, MAX_BULK_IDS, SiteMember, WebflowWorkspace};
pub use roles::{
    ClientInvite, InviteAccess, MemberSiteRole, RoleAssignment, SiteAccessEntry, SiteRole,
    SiteRoleAssignment, WorkspaceRole,
};
