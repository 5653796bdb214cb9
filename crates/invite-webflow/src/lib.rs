//! # invite-webflow
//!
//! Webflow adapters for `invite`:
//!
//! | provider | kind | surface |
//! |---|---|---|
//! | [`WebflowSiteUsers`] | `webflow-site` | Data API v2 site users ("User Accounts"), **retired by Webflow on 2026-01-29** |
//! | [`WebflowWorkspace`] | `webflow-workspace` | Enterprise workspace members and site access ([`workspace`]) |
//! | [`scim`] (re-export of `invite_scim::webflow`) | `webflow-scim` | Webflow SCIM 2.0 (workspace collaborators), the preset from `invite-scim` |
//!
//! plus [`webhook`] (signed user-account webhooks) and [`common`] (the Data API error body,
//! [`SiteToken`], the default base URL), shared with the workspace-members module.
//!
//! ## Site users: what works
//!
//! | operation | Webflow call | notes |
//! |---|---|---|
//! | invite | `POST /sites/{site_id}/users/invite` `{email, accessGroups}` | always emails the invitee: `EmailDelivery::Suppress` is `Unsupported`; the invitation's name is not sent (no such field); no access groups given → the configured defaults |
//! | resend | — | `Unsupported` |
//! | list | `GET /sites/{site_id}/users?offset&limit` | lazy, `limit` ≤ 100; stops at `total` (counted with its own offset) or on an empty page |
//! | get | `GET /sites/{site_id}/users/{user_id}` | |
//! | find by email | list, `limit=100` | no email filter exists: pages through and compares case-insensitively |
//! | update name / user fields | `PATCH …/users/{user_id}` `{data: {name, accept-privacy, accept-communications, <custom>}}` | `data` sent flat; custom field slugs declared with [`WebflowSiteConfigBuilder::custom_field`] |
//! | update access groups | `PATCH …/users/{user_id}` `{accessGroups: [slug…]}` | PATCH **replaces** the list: the current groups are read first and the whole resulting list is written (nothing when it would not change) |
//! | update email | — | immutable: `Unsupported`, no request |
//! | deactivate / reactivate | — | `Unsupported` (delete only) |
//! | remove | `DELETE …/users/{user_id}` | 200 empty, `{}` or 204 |
//! | extras | `GET …/accessgroups`, `GET /sites`, `GET /token/authorized_by` | [`site::SiteUsers::list_access_groups`], [`site::SiteUsers::list_sites`], [`site::SiteUsers::authorized_by`] |
//!
//! Status: `invited` → `Invited`, `verified` → `Active`, `unverified` → `Unverified`.
//! Grants: [`site::AccessGroupGrant`] (`webflow_access_group`) by slug.
//!
//! Errors: 401 → `Unauthorized`; 403 `missing_scopes` → `Forbidden` naming the scope
//! (`users:read` for reads, `users:write` for writes); 404 `resource_not_found` /
//! `user_not_found` → `NotFound`; 409 `duplicate_user_email` → `Conflict`; 409
//! `user_limit_reached` → `Vendor` (the plan's cap: nobody exists, so `ensure_invited` does
//! not mistake it for an existing member); 429 → `RateLimited` after the core's retries.
//!
//! **Retirement.** Webflow disabled User Accounts on all sites on 2026-01-29 without
//! documenting what the endpoints answer since. A 403 `users_not_enabled`, or a 403/404/410
//! whose body mentions "User Accounts", is reported as [`invite_core::Error::Retired`]
//! advising the Workspace Members API (`webflow-workspace`) or SCIM (`webflow-scim`); see
//! [`site::is_retirement`].
//!
//! **Rate limits** are per site and shared by every token and client of the site: every
//! provider for one site in the process draws from one budget (`webflow-site:<site_id>`): the
//! core spends what the site's `X-RateLimit-*` headers say remains evenly until the reset,
//! waits out `Retry-After`, and never exceeds `WEBFLOW_RATE_LIMIT_PER_MINUTE` when it is set.
//!
//! ## Configuration
//!
//! | variable | meaning |
//! |---|---|
//! | `WEBFLOW_API_TOKEN` | site API token or OAuth access token (scopes `users:read`, `users:write`; `sites:read` and `authorized_user:read` for the extras) |
//! | `WEBFLOW_SITE_ID` | the site |
//! | `WEBFLOW_API_BASE_URL` | default `https://api.webflow.com/v2`; HTTPS, or HTTP to loopback |
//! | `WEBFLOW_RATE_LIMIT_PER_MINUTE` | optional cap on requests per minute (to leave room for other integrations); unset, the site's headers set the pace, and 60 (the smallest plan's) applies only while it sends none |
//! | `WEBFLOW_ACCESS_GROUPS` | comma-separated access-group slugs for invitations that name none |
//!
//! ## Example
//!
//! Against the local sandbox (point the same code at Webflow with the real variables):
//!
//! ```
//! use invite_core::{ensure_invited, Email, GrantChange, Invitation, UserDirectory, UserPatch};
//! use invite_webflow::site::AccessGroupGrant;
//! use invite_webflow::{SiteToken, WebflowSiteConfig, WebflowSiteUsers};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = invite_sandbox::Sandbox::start().await?;
//! # let s = sandbox.settings().clone();
//! # let (site_id, token, base) = (s.webflow_site_id, s.webflow_api_token, s.webflow_api_base_url);
//! let config = WebflowSiteConfig::builder(site_id, SiteToken::new(token))
//!     .base_url(base)
//!     .default_access_groups(["webflowers"])
//!     .build()?;
//! let site = WebflowSiteUsers::from_config(config)?;
//!
//! let invitation = Invitation::new(Email::parse("ada@example.com")?);
//! let outcome = ensure_invited(&site, &invitation).await?;
//! let user = outcome.user();
//! assert!(user.grants.contains(&AccessGroupGrant::grant("webflowers")));
//!
//! let user = site
//!     .update(&user.id, &UserPatch::new().grants(GrantChange::Add(vec![
//!         AccessGroupGrant::grant("premium-members"),
//!     ])))
//!     .await?;
//! assert_eq!(user.grants.len(), 2);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod common;
pub mod site;
pub mod webhook;
pub mod workspace;

pub use common::{DEFAULT_BASE_URL, ErrorBody, SiteToken};
pub use site::{
    AccessGroup, AccessGroupGrant, AuthorizedUser, ENTRY as SITE_ENTRY, Site, WebflowSiteConfig,
    WebflowSiteConfigBuilder, WebflowSiteConfigKey, WebflowSiteUsers,
};
pub use workspace::{
    ENTRY as WORKSPACE_ENTRY, WebflowWorkspace, WebflowWorkspaceConfig, WebflowWorkspaceConfigKey,
    WorkspaceToken,
};

/// The Webflow SCIM 2.0 preset (`webflow-scim`), from `invite-scim`.
pub use invite_scim::webflow as scim;
