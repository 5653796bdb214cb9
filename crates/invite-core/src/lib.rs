//! # invite-core
//!
//! The foundation of the `invite` workspace: one typed interface to invite, find, update and
//! remove one person across many SaaS tools.
//!
//! - [`InviteProvider`] and [`UserDirectory`]: the two traits every adapter implements
//!   (object-safe: `Vec<Arc<dyn Provider>>` holds any mix of adapters).
//! - The normalized model: [`Email`], [`PersonName`], [`Invitation`], [`User`],
//!   [`UserStatus`], [`Grant`], [`UserPatch`], [`InviteReceipt`].
//! - [`Capabilities`]: what each adapter can do, checked before any request is sent.
//! - [`Error`]: one error type with semantic variants, including [`Error::Uncertain`] for a
//!   write whose answer was lost.
//! - [`http`], [`limit`], [`page`], [`redact`]: the HTTP machinery adapters share (auth,
//!   retries, rate limits per vendor scope, pagination, redaction).
//! - [`ensure_invited`]: invite unless already there, never twice.
//! - [`onboard`]: onboarding and offboarding across every configured tool (plan first,
//!   bounded concurrency, blast-radius limit, resumable through a [`Journal`]).
//! - [`desired`]: desired state: a roster of who has access where, planned and applied
//!   across tools, with snapshots, diffs and an access report.
//! - [`InMemoryProvider`]: a complete provider in memory for tests and examples.
//!
//! ```
//! use std::sync::Arc;
//! use invite_core::{ensure_invited, DynProvider, Email, Invitation, InMemoryProvider, PersonName};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let providers: Vec<DynProvider> = vec![
//!     Arc::new(InMemoryProvider::new("crm")),
//!     Arc::new(InMemoryProvider::new("wiki")),
//! ];
//! let invitation = Invitation::new(Email::parse("ada@example.com")?)
//!     .with_name(PersonName::new("Ada", "Lovelace"));
//! for p in &providers {
//!     let outcome = ensure_invited(p.as_ref(), &invitation).await?;
//!     println!("{p}: {:?}", outcome.user().status);
//! }
//! # Ok::<(), invite_core::Error>(())
//! # }).unwrap();
//! ```
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod de;
pub mod desired;
pub mod ensure;
pub mod error;
pub mod grant;
pub mod http;
pub mod journal;
pub mod limit;
pub mod lock;
pub mod memory;
pub mod model;
pub mod onboard;
pub mod page;
pub mod pipeline;
pub mod provider;
pub mod redact;
pub mod registry;
pub mod secret;

pub use ensure::{EnsureOutcome, ensure_invited};
pub use error::{Error, Result, VendorDetail};
pub use grant::{AdapterGrant, Grant, GrantChange, GrantKind, GrantPlan, NoGrant, SingleKindGrant};
pub use journal::{FileJournal, Journal, JournalEntry, JournalPhase, MemoryJournal};
pub use limit::{LimitKey, LocalRateLimiter, Pace, RateBudget, RateFeedback, RateLimiter};
pub use lock::{InviteLock, LocalInviteLock, LockToken};
pub use memory::{Fault, InMemoryProvider};
pub use model::{
    Email, EmailDelivery, Invitation, InvitationCode, InviteReceipt, ListQuery, PersonName,
    RawPayload, User, UserId, UserPatch, UserStatus, parse_timestamp,
};
pub use pipeline::{Adapter, Pipeline, decode, decode_error};
pub use provider::{
    Capabilities, Describe, DynProvider, InviteProvider, Operation, Provider, ProviderInfo,
    UserDirectory, check_id,
};
pub use registry::{AdapterSettings, ConfigKey, ProviderEntry, Setting, Settings};
pub use secrecy::{ExposeSecret, SecretString};
