//! # invite-flatfile
//!
//! The [Flatfile](https://flatfile.com) users and actor roles adapter for `invite`: invite,
//! find, update and remove people in a Flatfile account through
//! [`InviteProvider`](invite_core::InviteProvider) and
//! [`UserDirectory`](invite_core::UserDirectory), against
//! `https://api.x.flatfile.com/v1` (the API of `@flatfile/api` 1.23.1; reference:
//! `docs/vendors/flatfile.md`). [`FlatfileProvider`] is core's shared
//! [`Pipeline`](invite_core::Pipeline) over the [`Flatfile`] adapter: the pipeline checks
//! capabilities, ids and grants before any request, pages, matches emails and merges grant
//! changes; the adapter maps Flatfile's wire format and carries the Flatfile-only calls.
//!
//! ## What it can do
//!
//! | operation | Flatfile call | supported |
//! |---|---|---|
//! | invite | `POST /users/invite` (`email`, `name`, `actorRoles`) | yes; `name` and at least one actor role are required |
//! | invite without email ([`EmailDelivery::Suppress`](invite_core::EmailDelivery)) | – | no: Flatfile documents no way to skip the invitation email |
//! | resend | `POST /users/{id}/resend-invite` | yes |
//! | list | `GET /users?pageSize&pageNumber` (lazy, 1-based pages) | yes |
//! | get | `GET /users/{id}` | yes (without roles: see [`Flatfile::user_roles`]) |
//! | find by email | `GET /users?email=` then an exact, case-insensitive match here | yes |
//! | update name | `PATCH /users/{id}` `{name}` | yes |
//! | update email | – | no: Flatfile's update has no email field |
//! | update grants (replace / add / remove) | `GET`, `POST /users/{id}/roles`, `DELETE /users/{id}/roles/{actorRoleId}` | yes |
//! | deactivate / reactivate | – | no: Flatfile has no suspension, only removal |
//! | remove | `DELETE /users/{id}` | yes |
//! | Flatfile only | [`list_roles`](Flatfile::list_roles), [`current_account`](Flatfile::current_account), [`user_roles`](Flatfile::user_roles), [`assign_role`](Flatfile::assign_role), [`remove_role`](Flatfile::remove_role), [`remove_actor_role`](Flatfile::remove_actor_role) | |
//!
//! Grants are [`ActorRole`]s (kind [`ACTOR_ROLE`], `flatfile_actor_role`):
//! `ActorRole::new("us_rol_…", "us_acc_…" | "us_env_…" | "us_sp_…")`, turned into an
//! [`invite_core::Grant`] with `.into()`. An invitation without one gets the configured
//! default role; without either the invite is refused before any request.
//!
//! **Status.** Flatfile's user has no status field, and a user just invited already has
//! `lastSeenAt` (equal to `createdAt`, as the invite page's example shows): a user seen more
//! than a second after creation is reported [`Active`](invite_core::UserStatus::Active),
//! anyone else [`Invited`](invite_core::UserStatus::Invited)
//! (`docs/vendors/flatfile.md#trap-last-seen-at-creation`).
//!
//! **Duplicates.** Flatfile documents no answer for inviting an address that already has an
//! account. An invite refused about the address (409, or 400 / 422 naming no field or
//! `email`) is followed by one lookup: the existing account comes back as an already-member
//! receipt (so `ensure_invited` links it); anything else (a bad address, a refusal naming
//! another field) stays the error it is
//! (`docs/vendors/flatfile.md#trap-duplicate-invite-undocumented`).
//!
//! Every request carries `Authorization: Bearer <key>` and `X-Disable-Hooks: true`, on every
//! call as the official SDK sends it (see [`FlatfileConfigBuilder::disable_hooks`]). Retries, `Retry-After`, rate limiting (one
//! budget per API key; Flatfile documents no numbers) and redaction come from
//! [`invite_core::http`].
//!
//! ## Configuration
//!
//! | variable | meaning |
//! |---|---|
//! | `FLATFILE_API_KEY` (or `FLATFILE_BEARER_TOKEN`) | secret API key, required |
//! | `FLATFILE_API_URL` | API root **without** `/v1` (default `https://api.x.flatfile.com`); HTTPS except to loopback |
//! | `FLATFILE_ROLE_ID` | default role (`us_rol_…`) for invitations without an actor role |
//! | `FLATFILE_ACCOUNT_ID` (or `FLATFILE_RESOURCE_ID`) | the resource the default role binds to |
//!
//! ## Example
//!
//! Against the local sandbox (`invite-sandbox`), which speaks Flatfile's wire format:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use invite_core::{ensure_invited, Email, Invitation, PersonName, UserDirectory};
//! use invite_flatfile::{FlatfileConfig, FlatfileProvider};
//!
//! # let sandbox = invite_sandbox::Sandbox::start().await?;
//! # let s = sandbox.settings().clone();
//! # let vars = move |k: &str| s.env_pairs().into_iter().find(|(n, _)| *n == k).map(|(_, v)| v);
//! // In production: FlatfileProvider::from_config(FlatfileConfig::from_env()?)?
//! let flatfile = FlatfileProvider::from_config(FlatfileConfig::from_lookup(vars)?)?;
//!
//! let ada = Invitation::new(Email::parse("ada@example.com")?)
//!     .with_name(PersonName::new("Ada", "Lovelace"));
//! let outcome = ensure_invited(&flatfile, &ada).await?; // invites with the default role
//! println!("{}: {}", outcome.user().id, outcome.user().status);
//!
//! let found = flatfile.find_by_email(&Email::parse("ADA@example.com")?).await?;
//! assert_eq!(found.map(|u| u.id), Some(outcome.user().id.clone()));
//! for role in flatfile.list_roles().await? {
//!     println!("role {} {:?}", role.id, role.name);
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod config;
pub mod errors;
pub mod grant;
pub mod provider;
pub mod wire;

pub use config::{
    ActorRoleSpec, ENTRY, FlatfileConfig, FlatfileConfigBuilder, FlatfileConfigKey, FlatfileToken,
};
pub use errors::parse_error;
pub use grant::{ACTOR_ROLE, ActorRole};
pub use provider::{CAPABILITIES, Flatfile, FlatfileProvider, KIND};
pub use wire::{Account, Role, RoleAssignment};
