//! Webflow Enterprise **workspace members and site access** (Data API v2, released
//! 2026-09-29; docs/vendors/webflow-workspace.md): the live way to invite a collaborator
//! into Webflow.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | [`WorkspaceToken`], [`WebflowWorkspaceConfig`] (`from_env`), [`InviteDefaults`] |
//! | [`ids`] | [`WorkspaceId`], [`SiteId`], [`MemberId`], [`InviteId`], [`CustomRoleId`], [`MemberRef`], [`WorkspaceUserRef`] |
//! | [`roles`] | read enums [`WorkspaceRole`], [`SiteRole`]; write types [`SiteRoleAssignment`], [`RoleAssignment`] (the seven [`PAIRINGS`]) |
//! | [`grant`] | the typed grants [`WorkspaceGrant`]: [`WORKSPACE_ROLE`], [`SITE_ACCESS`] |
//! | [`plan`] | [`SiteAccessEntry`], [`ClientInvite`], [`InviteAccess`], [`InvitePlan`] (grants → invite) |
//! | `wire` | the serde shapes, exactly as Webflow sends them, and their mapping |
//! | `errors` | the error mapper |
//! | [`provider`] | [`Workspace`], the adapter behind [`WebflowWorkspace`] |
//! | [`bulk`] | bulk update and remove, [`BulkReport`] |
//! | [`sites`] | site access calls, [`SiteMember`] |
//!
//! # Operations
//! | call | Webflow |
//! |---|---|
//! | `invite` / [`Workspace::invite_with`] | `POST /workspaces/{id}/members` |
//! | `list`, `find_by_email`, `get` | `GET /workspaces/{id}/members` (`?email=`, cursor over members **and** invites) |
//! | `update` / [`Workspace::update_role`] | `PATCH /workspaces/{id}/members/{member_id}`; invites via bulk update |
//! | `remove` | member: `DELETE /workspaces/{id}/members/{member_id}`; invite: `DELETE /workspaces/{id}/members/bulk` |
//! | [`Workspace::bulk_update_roles`] | `POST /workspaces/{id}/members/bulk` (chunks of 100) |
//! | [`Workspace::bulk_remove`] | `DELETE /workspaces/{id}/members/bulk` with a JSON body (chunks of 100) |
//! | [`Workspace::list_site_members`] | `GET /sites/{id}/members` |
//! | [`Workspace::grant_site_access`] | `POST /sites/{id}/members` |
//! | [`Workspace::update_site_role`] | `PATCH /sites/{id}/members/{member_id}` or `?email=` |
//! | [`Workspace::revoke_site_access`] | `DELETE /sites/{id}/members/{member_id}` or `?email=` |
//! | `deactivate`, `reactivate`, `resend`, silent invites | unsupported (no such call) |
//!
//! # Invitations and grants
//! An [`invite_core::Invitation`] carries at most one [`WORKSPACE_ROLE`] grant
//! and any number of [`SITE_ACCESS`] grants; without either, the configured
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
//! only: Webflow lists no per-member sites there. So `update` cannot take site access away
//! (a `Remove` of a site grant finds nothing held and sends nothing): use
//! [`Workspace::revoke_site_access`].
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
//! use invite_core::{ensure_invited, Email, Invitation};
//! use invite_webflow::workspace::{
//!     MemberRef, SiteId, SiteRoleAssignment, WebflowWorkspace, WebflowWorkspaceConfig,
//!     WorkspaceRoleGrant,
//! };
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = invite_sandbox::Sandbox::start().await?;
//! # let vars: Vec<(&str, String)> = sandbox.settings().env_pairs();
//! # let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
//! let config = WebflowWorkspaceConfig::from_lookup(env)?; // or ::from_env()
//! let workspace = WebflowWorkspace::from_config(config)?;
//!
//! // "Invite as member/designer on every site."
//! let invitation = Invitation::new(Email::parse("ada@example.com")?)
//!     .with_grant(WorkspaceRoleGrant::new("member", Some("designer")).into());
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
pub mod grant;
pub mod ids;
pub mod plan;
pub mod provider;
pub mod roles;
pub mod sites;
mod wire;

pub use bulk::{BulkItem, BulkOutcome, BulkReport};
pub use config::{
    ENTRY, InviteDefaults, WebflowWorkspaceConfig, WebflowWorkspaceConfigKey, WorkspaceToken,
};
pub use grant::{SITE_ACCESS, SiteAccessGrant, WORKSPACE_ROLE, WorkspaceGrant, WorkspaceRoleGrant};
pub use ids::{CustomRoleId, InviteId, MemberId, MemberRef, SiteId, WorkspaceId, WorkspaceUserRef};
pub use plan::{ClientInvite, InviteAccess, InvitePlan, SiteAccessEntry};
pub use provider::{CAPABILITIES, KIND, MAX_BULK_IDS, WebflowWorkspace, Workspace};
pub use roles::{PAIRINGS, RoleAssignment, SiteRole, SiteRoleAssignment, WorkspaceRole};
pub use sites::{GrantOutcome, SiteMember};
