//! Webflow site users ("User Accounts", Data API v2): configuration, wire shapes and the
//! [`WebflowSiteUsers`] provider (the [`SiteUsers`] adapter behind core's pipeline).
//!
//! - [`config`]: [`WebflowSiteConfig`], its builder and `from_env()`.
//! - [`wire`]: the vendor's JSON shapes and their mapping to the normalized model, in one
//!   place (including the open `data` nesting and `accessGroups` element questions).
//! - [`grant`]: [`AccessGroupGrant`], the typed [`ACCESS_GROUP`] grant.
//! - [`provider`]: the adapter, the extras (`list_access_groups`, `list_sites`,
//!   `authorized_by`) and the error mapping with the retirement check.

pub mod config;
pub mod grant;
pub mod provider;
pub mod wire;

pub use config::{ENTRY, WebflowSiteConfig, WebflowSiteConfigBuilder, WebflowSiteConfigKey};
pub use grant::{ACCESS_GROUP, AccessGroupGrant};
pub use provider::{CAPABILITIES, SiteUsers, WebflowSiteUsers, is_retirement};
pub use wire::{AccessGroup, AuthorizedUser, Site};
