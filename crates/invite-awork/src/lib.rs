//! # invite-awork
//!
//! The [awork](https://www.awork.com) adapter of `invite`: invite people into an awork
//! workspace, find, update, deactivate and remove them, through the
//! [`invite_core::InviteProvider`] and [`invite_core::UserDirectory`] traits. [`Awork`] is
//! the adapter (awork's routes and shapes); [`AworkProvider`] is it behind core's
//! [`invite_core::Pipeline`], which checks capabilities, ids and grants before any request,
//! pages, finds by email and plans grant changes. Every request and every decoded shape
//! follows awork's OpenAPI document ("awork API 1.3.0"; `docs/vendors/awork.md`).
//!
//! ## Capabilities
//!
//! | capability | | how |
//! |---|---|---|
//! | invite | yes | `POST /invitations` (always with `workspaceId`, `invitationFlow: "invite"`) |
//! | silent invite / explicit email | yes / yes | `skipSendingEmail` true / false |
//! | invitation code | yes | `InviteReceipt::invitation_code`, valid 24 h; redeem with [`Awork::accept_invitation`] |
//! | resend | no | no such endpoint |
//! | list | yes | `GET /users?page=&pageSize=` (1-based, ≤ 100, stops on a short page; `showArchived=true` with `include_inactive`) |
//! | get | yes | `GET /users/{userId}` |
//! | find by email | yes, client-side | `User` has no email field: the pipeline pages through `GET /users` and matches `userContactInfos` of `type: "email"` case-insensitively; a user this provider invited and awork lists without an email entry carries the invited address (known by the invite answer's `userId`) |
//! | update name / attributes | yes | `PUT /users/{userId}` with the full `UserForm` (read first: PUT replaces every field) |
//! | update email | no | `UserForm` has no email |
//! | update grants | yes | role: `POST /roles/moveuser`; teams: `POST /teams/{teamId}/addusers` / `removeusers` (the current teams read first) |
//! | attributes | `title`, `position`, `gender` | |
//! | deactivate / reactivate | yes | `POST /users/{userId}/deactivate` / `activate` (reactivation emails the user) |
//! | remove | yes | `DELETE /users/{userId}` (soft delete: `deletedOn`) |
//! | grant kinds | [`ROLE`] (`awork_role`, exclusive), [`TEAM`] (`awork_team`) | built with [`AworkGrant::role`], [`AworkGrant::team`] |
//!
//! Extras, on [`Awork`] and reachable through the provider: [`Awork::me`] (the token's user
//! and workspace: where the workspace id comes from), [`Awork::list_roles`],
//! [`Awork::list_teams`], [`Awork::accept_invitation`].
//!
//! ## Status mapping
//! `deletedOn` set, `isArchived`, or `isDeactivated` (top level or in `status`) →
//! `Deactivated`; else `status.invitationAccepted == false` → `Invited`; else `Active`.
//! The vendor payload stays in [`invite_core::User::raw`].
//!
//! ## Configuration
//!
//! | variable | required | meaning |
//! |---|---|---|
//! | `AWORK_API_TOKEN` | yes | API key or OAuth access token (sent as `Authorization: Bearer`) |
//! | `AWORK_WORKSPACE_ID` | yes | the workspace (UUID; `GET /me` shows it). Without it awork would create a new workspace per invite, so the adapter does not start |
//! | `AWORK_API_BASE_URL` | no | default `https://api.awork.com/api/v1`; HTTPS except loopback |
//! | `AWORK_ROLE_ID` | no | role for invitations without an `awork_role` grant |
//! | `AWORK_TEAM_IDS` | no | comma-separated teams for invitations without an `awork_team` grant |
//!
//! ## Example
//!
//! ```no_run
//! use invite_awork::{AworkConfig, AworkGrant, AworkProvider};
//! use invite_core::{Email, EmailDelivery, Invitation, InviteProvider, PersonName};
//! # async fn run() -> invite_core::Result<()> {
//! let awork = AworkProvider::from_config(AworkConfig::from_env()?)?;
//! let receipt = awork
//!     .invite(
//!         &Invitation::new(Email::parse("ada@example.com")?)
//!             .with_name(PersonName::new("Ada", "Lovelace"))
//!             .with_grant(AworkGrant::team("aaaaaaaa-0000-4000-8000-000000000001"))
//!             .with_attribute("position", "Engineer".into())
//!             .with_delivery(EmailDelivery::Suppress),
//!     )
//!     .await?;
//! if let Some(code) = &receipt.invitation_code {
//!     awork.accept_invitation(code).await?; // onboard without the email round trip
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Limitations
//! - awork's `User` carries no role, so [`invite_core::User::grants`] lists teams only
//!   (`awork_team`); role grants appear on invite receipts, and role changes go through
//!   `POST /roles/moveuser`. A role cannot be removed (every user has exactly one): as the
//!   user's role is never read, `GrantChange::Remove` of a role changes nothing, and a
//!   `GrantChange::Replace` without a role keeps it.
//! - `find_by_email` sees the addresses awork lists in `userContactInfos`, and the addresses
//!   this provider invited people with (by the `userId` each invite answered, for the life of
//!   the provider). Any other account whose login email is not among its contact entries is
//!   not found by email (the login email lives on the account, which the public API does not
//!   list); across runs the onboarding journal's account id covers the people a run invited
//!   (`docs/vendors/awork.md#oq-invitee-email-contact`).
//! - `invite` is never retried once sent; a lost answer is [`invite_core::Error::Uncertain`]
//!   (use [`invite_core::ensure_invited`] to reconcile).
//!
//! ## Unconfirmed wire details
//! The duplicate-invite answer ([`ALREADY_MEMBER_CODES`]), the largest page size
//! ([`MAX_PAGE_SIZE`]) and the `invitationFlow` value ([`INVITATION_FLOW`]) are not settled by
//! awork's spec; each choice is documented where it is made.
#![warn(missing_docs)]

pub mod config;
pub mod errors;
pub mod grant;
pub mod provider;
mod user;
pub mod wire;

pub use config::{
    AworkConfig, AworkConfigBuilder, AworkConfigKey, AworkToken, DEFAULT_BASE_URL, ENTRY,
    check_uuid,
};
pub use errors::{ALREADY_MEMBER_CODES, is_already_member_code, parse_error};
pub use grant::{AworkGrant, ROLE, TEAM};
pub use provider::{
    Awork, AworkMe, AworkProvider, CAPABILITIES, INVITATION_CODE_TTL, INVITATION_FLOW, KIND,
    MAX_PAGE_SIZE,
};
pub use wire::{Role, Team, WorkspaceOfUser};
