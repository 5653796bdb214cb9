//! Webflow Enterprise **workspace members and site access** (Data API v2, released
//! 2026-09-29; contracts section 5): the live way to invite a collaborator into Webflow.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | [`WorkspaceToken`], [`WebflowWorkspaceConfig`] (`from_env`), [`InviteDefaults`] |
//! | [`ids`] | [`WorkspaceId`], [`SiteId`], [`MemberId`], [`InviteId`], [`CustomRoleId`], [`MemberRef`], [`WorkspaceUserRef`] |
//! | [`roles`] | read enums [`WorkspaceRole`], [`SiteRole`]; write types [`RoleAssignment`], [`SiteRoleAssignment`], [`ClientInvite`], [`InviteAccess`], [`InvitePlan`] |
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
//! defaults apply. A pending invite stores **one** site role, and Webflow grants site access
//! to members only, so [`InvitePlan`] (the one place the rule is written) turns the grants
//! into an invite body plus the site grants that wait for acceptance: "member/designer, and
//! site S as content_editor" is invited as member/designer on every site, and the receipt's
//! `deferred_grants` holds "site S as content_editor". An onboarding target with grant
//! convergence ([`invite_core::onboard::Target::with_grant_convergence`]) reports them as
//! pending and gives them (grant, or change the site role) on the first run after the
//! invitee has accepted. An invite answered `status: "active"` (already a member) gives the
//! invitation's sites at once. `update` with `GrantChange::Add` of site grants grants or
//! changes the site role of a member idempotently, and is refused with
//! [`invite_core::Error::Conflict`] for an invite that has not been accepted.
//!
//! A member read from the members list reports its workspace role and default site role
//! only: Webflow lists no per-member sites there.
//!
//! # Configuration
//! `WEBFLOW_WORKSPACE_TOKEN`, `WEBFLOW_WORKSPACE_ID`, `WEBFLOW_API_BASE_URL` (default
//! `https://api.webflow.com/v2`), `WEBFLOW_RATE_LIMIT_PER_MINUTE`, and the onboarding defaults
//! `WEBFLOW_WORKSPACE_ROLE`, `WEBFLOW_DEFAULT_SITE_ROLE`, `WEBFLOW_DEFAULT_SITE_ROLE_ID`,
//! `WEBFLOW_SITE_GRANTS` (`SITE_ID=ROLE,...`); see [`WebflowWorkspaceConfig`].
//!
//! # Example
//! Against the local sandbox (the same code runs against Webflow with the real variables):
//!
//! ```
//! use invite_core::{ensure_invited, Email, Grant, Invitation};
//! use invite_webflow::workspace::{MemberRef, SiteId, SiteRoleAssignment, WebflowWorkspace, WebflowWorkspaceConfig};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = invite_sandbox::Sandbox::start().await?;
//! # let vars: Vec<(&str, String)> = sandbox.settings().env_pairs();
//! # let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
//! let config = WebflowWorkspaceConfig::from_lookup(env)?; // or ::from_env()
//! let workspace = WebflowWorkspace::new(config)?;
//!
//! // "Invite as member/designer on every site."
//! let invitation = Invitation::new(Email::parse("ada@example.com")?).with_grant(
//!     Grant::WebflowWorkspaceRole {
//!         workspace_role: "member".into(),
//!         default_site_role: Some("designer".into()),
//!         default_site_role_id: None,
//!     },
//! );
//! let outcome = ensure_invited(&workspace, &invitation).await?;
//! assert!(outcome.user().id.as_str().starts_with("invite:"));
//!
//! // Once accepted, give one site another role.
//! # sandbox.accept(invite_sandbox::Surface::WebflowWorkspace, "ada@example.com").map_err(|e| format!("{e:?}"))?;
//! let site = SiteId::new(invite_sandbox::workspace::CLIENT_SITE_ID)?;
//! let who = MemberRef::Email(Email::parse("ada@example.com")?);
//! workspace.grant_site_access(&site, &who, &SiteRoleAssignment::ContentEditor).await?;
//! # Ok(())
//! # }
//! ```

pub mod bulk;
pub mod config;
mod errors;
pub mod ids;
pub mod provider;
pub mod roles;
mod wire;

pub use bulk::{BulkItem, BulkOutcome, BulkReport};
pub use config::{
    ENTRY, InviteDefaults, WebflowWorkspaceConfig, WebflowWorkspaceConfigKey, WorkspaceToken,
};
pub use ids::{CustomRoleId, InviteId, MemberId, MemberRef, SiteId, WorkspaceId, WorkspaceUserRef};
pub use provider::{GrantOutcome, KIND, MAX_BULK_IDS, SiteMember, WebflowWorkspace};
pub use roles::{
    ClientInvite, InviteAccess, InvitePlan, MemberSiteRole, RoleAssignment, SiteAccessEntry,
    SiteRole, SiteRoleAssignment, WorkspaceRole,
};
