//! # invite-scim
//!
//! A SCIM 2.0 client (RFC 7643/7644) for **any** SCIM service provider: the adapter
//! [`Scim`] behind core's pipeline, [`ScimProvider`] (`Pipeline<Scim>`, implementing
//! [`invite_core::InviteProvider`] and [`invite_core::UserDirectory`]), plus the Webflow
//! SCIM preset ([`webflow`]), which builds the same adapter from its own config and token. It is tested against a real third-party server,
//! scim2-server 0.8.3 (`scripts/scim-server.sh`), and against the `invite-sandbox` Webflow
//! SCIM surface.
//!
//! ## Capabilities
//!
//! | capability | | how |
//! |---|---|---|
//! | invite | yes | `POST /Users`, then group memberships (undone if a group add fails) |
//! | silent invite / explicit email | no | SCIM sends no email: the identity provider and SSO bring the person in; only `EmailDelivery::VendorDefault` is accepted, so a wish to force or suppress an email is refused instead of ignored |
//! | invitation code / resend | no | SCIM has no invitations |
//! | list | yes | `startIndex`/`count` pages, lazily; creation order when the server supports `sortBy` |
//! | get | yes | `GET /Users/{id}` |
//! | server-side email lookup | yes | `filter=userName eq "…"`, re-checked client-side case-insensitively |
//! | update name / email | yes | PATCH `replace` of `name`+`displayName` / `userName`+`emails` |
//! | update grants | yes | [`ScimGroup`] grants (kind `scim_group`): PATCH of the groups' `members`, after reading them from `GET /Groups` |
//! | attributes | `externalId`, `nickName`, `title`, `userType`, `preferredLanguage`, `locale`, `timezone` | string values |
//! | deactivate / reactivate | yes | PATCH `active` false / true |
//! | remove | yes | `DELETE /Users/{id}` (hard deprovision) |
//!
//! Status: `active: false` is [`invite_core::UserStatus::Deactivated`], everything else
//! [`invite_core::UserStatus::Active`] (SCIM has no pending-invitation state).
//! `list` hides deactivated users unless [`invite_core::ListQuery::include_inactive`].
//!
//! ## Configuration
//!
//! | variable | meaning |
//! |---|---|
//! | `SCIM_BASE_URL` | generic service provider base URL ([`ScimConfig::from_env`]) |
//! | `SCIM_TOKEN` | its bearer token ([`ScimToken`]) |
//! | `WEBFLOW_SCIM_TOKEN` | Webflow SCIM token ([`webflow::WebflowScimToken`]) |
//! | `WEBFLOW_SCIM_BASE_URL` | default `https://api.webflow.com/scim/v2` |
//!
//! Base URLs must be HTTPS (plain HTTP only to loopback). Optional behaviour:
//! [`ScimConfigBuilder::use_etags`] (send `If-Match` with the last seen `meta.version`;
//! a stale version answers [`invite_core::Error::Conflict`] with status 412),
//! [`ScimConfigBuilder::sort`], [`ScimConfigBuilder::page_size`].
//!
//! ## Server quirks tolerated
//!
//! - PATCH answers 200 with the resource **or** 204 without a body (scim2-server); after a
//!   204 the new version comes from the `ETag` header, and `update` reads the user again.
//! - Error bodies carry `status` as a **string** (`"409"`); numbers are accepted too.
//!   `scimType` is the error code, `detail` the message; 401/404/412 carry no `scimType`.
//! - Default list order may be by random id, not creation: paging stays complete either
//!   way; `sortBy=meta.created` is sent only when `/ServiceProviderConfig` says sorting is
//!   supported (probed once per provider; unavailable means "no").
//! - `itemsPerPage` may be missing; `Resources` may be `null`, missing or `resources`;
//!   counters may be strings.
//! - `active` may be a string (`"True"`/`"False"`); ids may be numbers; unknown attributes
//!   are ignored; the untouched resource is kept in [`invite_core::User::raw`].
//! - `User.groups` is often never filled (scim2-server): group memberships are then read
//!   from the groups' `members`.
//! - Member removal uses the RFC path `members[value eq "ID"]`; the Entra-style
//!   `path: "members"` with a value array is refused by strict servers.
//! - HTTP/1.0 servers without keep-alive (scim2-server is Python wsgiref): each request
//!   opens a new connection, which works as is.
//! - `Content-Type: application/scim+json` is sent on every body, and
//!   `Accept: application/scim+json, application/json` on every request.
//!
//! ## Testing against a real server
//!
//! `scripts/scim-server.sh` (repository root) installs scim2-server 0.8.3 from PyPI into a
//! virtualenv under `${XDG_CACHE_HOME:-$HOME/.cache}/invite/scim-venv` on first use and
//! starts it on a free loopback port, printing the base URL once it answers:
//!
//! ```sh
//! scripts/scim-server.sh auto --bearer-token secret          # foreground
//! SCIM_PIDFILE=scim.pid scripts/scim-server.sh auto --daemon  # background
//! ```
//!
//! `tests/scim2_server.rs` starts it by itself (python3 with venv and pip, and PyPI, are
//! required: without them the tests fail with the script's message), or uses
//! `INVITE_SCIM_PEER_URL` + `INVITE_SCIM_PEER_TOKEN` when both are set.
//! `tests/conformance.rs` runs the same suite against the sandbox's Webflow SCIM surface.
//! `tests/documented.rs` checks the Webflow preset against the documented examples in
//! `fixtures/vendors/webflow-scim/` (it builds each documented request and decodes each
//! documented answer).
//!
//! ## Example
//!
//! ```no_run
//! use invite_core::{Email, Invitation, InviteProvider, PersonName, UserDirectory};
//! use invite_scim::{ScimConfig, ScimGroup, ScimProvider, ScimToken};
//! # async fn run() -> invite_core::Result<()> {
//! let config = ScimConfig::builder("https://idp.example.com/scim/v2", ScimToken::new("…"))
//!     .use_etags(true)
//!     .build()?;
//! let scim = ScimProvider::from_config(config)?;
//! let features = scim.discover().await?;
//! println!("sort supported: {}", features.sort);
//! let receipt = scim
//!     .invite(
//!         &Invitation::new(Email::parse("ada@example.com")?)
//!             .with_name(PersonName::new("Ada", "Lovelace"))
//!             .with_grant(ScimGroup::grant("designers-id")),
//!     )
//!     .await?;
//! scim.deactivate(&receipt.user.id).await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod config;
pub mod errors;
pub mod grant;
pub mod groups;
pub mod provider;
pub mod webflow;
pub mod wire;

pub use config::{ENTRY, ScimConfig, ScimConfigBuilder, ScimConfigKey, ScimToken, SortPolicy};
pub use errors::parse_error;
pub use grant::{SCIM_GROUP, ScimGroup};
pub use groups::ScimFeatures;
pub use provider::{ATTRIBUTES, CAPABILITIES, ListCursor, Scim, ScimProvider};
pub use webflow::{
    ENTRY as WEBFLOW_ENTRY, WebflowScimConfig, WebflowScimConfigKey, WebflowScimToken,
};
