//! # invite
//!
//! Invite, find, update and remove one person across many SaaS tools through one typed
//! interface. This facade re-exports [`invite_core`] (traits, model, errors, HTTP machinery,
//! onboarding) and each adapter behind a cargo feature:
//!
//! | feature | module | surfaces |
//! |---|---|---|
//! | `webflow` | [`webflow`] | Webflow site users (Data API v2, retired 2026-01-29), workspace members + site access (Enterprise), webhooks |
//! | `scim` | [`scim`] | any SCIM 2.0 service, and the Webflow SCIM preset |
//! | `flatfile` | [`flatfile`] | Flatfile users and actor roles |
//! | `awork` | [`awork`] | awork invitations and users |
//! | `sandbox` | [`sandbox`] | a local emulator of every surface above |
//! | `redis` (off by default) | `redis` | shared rate limiter, invite lock and journal on Redis, for several workers on several machines |
//!
//! Depend on this crate, or on `invite-core` plus the adapter crates you need.
#![warn(missing_docs)]

pub use invite_core::*;

/// Webflow adapters (`invite-webflow`).
#[cfg(feature = "webflow")]
pub use invite_webflow as webflow;

/// The generic SCIM 2.0 adapter and its Webflow preset (`invite-scim`).
#[cfg(feature = "scim")]
pub use invite_scim as scim;

/// The Flatfile adapter (`invite-flatfile`).
#[cfg(feature = "flatfile")]
pub use invite_flatfile as flatfile;

/// The awork adapter (`invite-awork`).
#[cfg(feature = "awork")]
pub use invite_awork as awork;

/// The local emulator of every vendor surface (`invite-sandbox`).
#[cfg(feature = "sandbox")]
pub use invite_sandbox as sandbox;

/// Shared coordination on Redis for several workers (`invite-redis`): one vendor budget,
/// one invitation per person, resumable runs.
#[cfg(feature = "redis")]
pub use invite_redis as redis;
