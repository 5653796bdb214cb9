//! # invite-redis
//!
//! Shared coordination state on Redis, so that several onboarding workers on several
//! machines
//! - share **one vendor budget** ([`RedisRateLimiter`], a [`RateLimiter`]):
//!   what the server says remains spent evenly until its reset by all workers together,
//!   the adapter's [`RateBudget`] as a cap (or, documented, while the server says nothing),
//!   and `Retry-After` honoured by every worker;
//! - **never invite one person twice** ([`RedisInviteLock`], an [`InviteLock`]): the
//!   orchestrator's per-person lock becomes `SET key token NX PX ttl`, released only by its
//!   holder;
//! - **resume each other's runs** ([`RedisJournal`], a [`Journal`]): the latest entry per
//!   (job, provider, email), written before the call returns and kept for
//!   [`RedisOptions::key_ttl`].
//!
//! All three come from one [`RedisStore`] (one multiplexed, auto-reconnecting connection;
//! cheap to clone).
//!
//! ## Running several workers
//!
//! Point every worker at the same Redis (`INVITE_REDIS_URL`) and the same
//! [`RedisOptions::prefix`], then give each worker's adapters the store's limiter
//! ([`ClientOptions::with_limiter`](invite_core::http::ClientOptions::with_limiter)) and its
//! orchestrator the store's lock and journal:
//!
//! - **Budget.** Every worker runs core's one pacing rule, [`Pace`], on state shared in
//!   Redis (`{prefix}:rl:{limit key}`): while the vendor advertises `X-RateLimit-Remaining`
//!   and `-Reset`, all workers together spend what remains evenly until the reset; a budget
//!   the user set is a cap over all of them; a documented one paces while the vendor says
//!   nothing. Each decision reads the state and Redis's clock (`TIME`, so machines whose
//!   clocks disagree still pace correctly) and writes back only if no other worker wrote in
//!   between. A worker that sees `Retry-After` records it, and every other worker waits as
//!   well. Limit keys never hold secrets (core hashes token-scoped keys), and nothing here
//!   writes a token.
//! - **One invite per person.** Two workers onboarding the same person race for
//!   `{prefix}:lock:{target}:{instance}:{email}`; the loser waits, then looks the person up
//!   and reports them as already there.
//! - **Resumption.** A run that crashed on machine A is re-run on machine B: B reads A's
//!   journal entries and neither re-invites nor skips anyone.
//! - **Fail closed.** If Redis is unreachable, slow beyond
//!   [`RedisOptions::command_timeout`], or lost mid-run, every call returns
//!   [`Error::Coordination`]; the orchestrator then reports the target as failed and writes
//!   nothing to the vendor. Nothing falls back to uncoordinated sending.
//! - **Bounded growth.** Limiter keys expire once their state no longer matters (the GCRA
//!   horizon, a pause, or a server window and the one assumed after it have passed), locks expire after their TTL, journal
//!   entries after [`RedisOptions::key_ttl`].
//! - **Durability.** A journal write returns once Redis has it in memory. For the journal to
//!   survive a Redis restart, run Redis with persistence (`appendonly yes`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use invite_core::onboard::{Orchestrator, Person, Target};
//! use invite_core::{Email, InMemoryProvider, PersonName};
//! use invite_redis::{RedisOptions, RedisStore};
//! # async fn run() -> invite_core::Result<()> {
//! // Every worker: same URL, same prefix.
//! let store = RedisStore::connect("redis://:secret@redis.internal:6379/0", RedisOptions::default()).await?;
//! // Adapters draw from the shared budget, e.g.
//! // ClientOptions::default().with_limiter(Arc::new(store.rate_limiter()))
//! let orchestrator = Orchestrator::new(vec![Target::new("wiki", Arc::new(InMemoryProvider::new("wiki")))])
//!     .with_journal(Arc::new(store.journal()))
//!     .with_lock(Arc::new(store.invite_lock()), Duration::from_secs(60), Duration::from_secs(90));
//! let person = Person::new(Email::parse("ada@example.com")?, PersonName::new("Ada", "Lovelace"));
//! let report = orchestrator.onboard(&person).await;
//! assert!(report.succeeded());
//! # Ok(()) }
//! ```
//!
//! [`RateLimiter`]: invite_core::RateLimiter
//! [`RateBudget`]: invite_core::RateBudget
//! [`Pace`]: invite_core::Pace
//! [`InviteLock`]: invite_core::InviteLock
//! [`Journal`]: invite_core::Journal
//! [`Error::Coordination`]: invite_core::Error::Coordination
#![warn(missing_docs)]

mod journal;
mod limiter;
mod lock;
mod store;

pub use journal::RedisJournal;
pub use limiter::RedisRateLimiter;
pub use lock::RedisInviteLock;
pub use store::{RedisOptions, RedisStore, redact_url};
