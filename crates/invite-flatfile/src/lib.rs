//! # invite-flatfile
//!
//! The [Flatfile](https://flatfile.com) users and actor roles adapter for `invite`: invite,
//! find, update and remove people in a Flatfile account through
//! [`InviteProvider`](invite_core::InviteProvider) and
//! [`UserDirectory`](invite_core::UserDirectory), against
//! `https://api.x.flatfile.com/v1` (the API of `@flatfile/api` 1.23.1).
//!
//! ## What it can do
//!
//! | operation | Flatfile call | supported |
//! |---|---|---|
//! | invite | `POST /users/invite` (`email`, `name`, `actorRoles`) | yes; `name` and at least one actor role are required |
//! | invite without email ([`EmailDelivery::Suppress`](invite_core::EmailDelivery)) | – | no: Flatfile documents no way to skip the invitation email |
//! | resend | `POST /users/{id}/resend-invite` | yes |
//! | list | `GET /users?pageSize&pageNumber` (lazy, 1-based pages) | yes |
//! | get | `GET /users/{id}` | yes (without roles: see [`FlatfileProvider::user_roles`]) |
//! | find by email | `GET /users?email=` then an exact, case-insensitive match here | yes |
//! | update name | `PATCH /users/{id}` `{name}` | yes |
//! | update email | – | no: Flatfile's update has no email field |
//! | update grants (replace / add / remove) | `GET`, `POST /users/{id}/roles`, `DELETE /users/{id}/roles/{actorRoleId}` | yes |
//! | deactivate / reactivate | – | no: Flatfile has no suspension, only removal |
//! | remove | `DELETE /users/{id}` | yes |
//! | Flatfile only | [`list_roles`](FlatfileProvider::list_roles), [`current_account`](FlatfileProvider::current_account), [`user_roles`](FlatfileProvider::user_roles), [`assign_role`](FlatfileProvider::assign_role), [`remove_role`](FlatfileProvider::remove_role), [`remove_actor_role`](FlatfileProvider::remove_actor_role) | |
//!
//! Grants are [`Grant::FlatfileActorRole`](invite_core::Grant) `{ role_id: "us_rol_…",
//! resource_id: "us_acc_…" | "us_env_…" | "us_sp_…" }`. An invitation without one gets the
//! configured default role; without either the invite is refused before any request.
//!
//! **Status.** Flatfile's user has no status field: a user with `lastSeenAt` is reported
//! [`Active`](invite_core::UserStatus::Active), anyone else
//! [`Invited`](invite_core::UserStatus::Invited).
//!
//! Every request carries `Authorization: Bearer <key>` and, on users and roles calls,
//! `X-Disable-Hooks: true` (as the official SDK sends; see
//! [`FlatfileConfigBuilder::disable_hooks`]). Retries, `Retry-After`, rate limiting (one
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
//! // In production: FlatfileProvider::from_env()?
//! let flatfile = FlatfileProvider::new(FlatfileConfig::from_lookup(vars)?)?;
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
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod config;
pub mod provider;
pub mod wire;

pub use config::{
    ActorRoleSpec, ENTRY, FlatfileConfig, FlatfileConfigBuilder, FlatfileConfigKey, FlatfileToken,
};
pub use provider::{FlatfileProvider, KIND, capabilities, parse_error};
pub use wire::{Account, ActorRole, Role};
